"""``migrate --phase expand --rsu``: a rolling schema upgrade (RSU) of a Galera cluster, node by node.

By default DDL on Galera runs in total order isolation (TOI): every node runs it at once, and writes to
the table wait cluster-wide. With ``--rsu`` each expand migration is applied to one node at a time with
``wsrep_OSU_method=RSU``: the node desyncs, runs the DDL locally (not replicated), and resyncs, while
the other nodes keep serving writes. The runner's own node goes last; the history row is then written
normally (it is a row, so it replicates). Nodes come from ``wsrep_incoming_addresses`` and are reached
with the runner's credentials.

Before anything runs, every selected migration must be replication-compatible
(``flywayx.plan.galera.rsu_refusal``: new tables, views, non-unique indexes, columns added at the end);
otherwise the run is refused naming the migration, the line and why. A node that already has a change
(a rerun after a failure part-way through the nodes) answers with the server's "already exists" error,
which counts as done there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from flywayx.apply.engine import Step
from flywayx.db.connect import StatementFailed, connect
from flywayx.errors import StateError, UsageError
from flywayx.model import Statement
from flywayx.plan.galera import rsu_refusal
from flywayx.service.kernel import Reporter, Session
from flywayx.service.steps import Source

ALREADY = frozenset({1050, 1060, 1061})  # table, column, key already there: this node has the change
SYNC_TIMEOUT = 300.0


@dataclass(frozen=True)
class Node:
    host: str
    port: int
    name: str


def check(s: Session, phase: str | None, scripts: Sequence[tuple[str, Sequence[Statement] | None]]) -> None:
    """Refuse ``--rsu`` where it cannot run, before anything changes."""
    if phase != "expand":
        raise UsageError(
            "--rsu goes with --phase expand",
            hint="a rolling schema upgrade applies expand changes only; run the contract phase with the default TOI",
        )
    info = s.db.cluster()
    if info.kind != "galera":
        raise StateError(
            f"--rsu needs a Galera cluster; this is a {info.describe()}",
            hint="leave --rsu out: on a single server every DDL already runs once",
        )
    for script, statements in scripts:
        if statements is None:
            raise StateError(
                f"--rsu cannot apply {script} node by node: flywayx does not know its statements (a Python migration)",
                hint="run this migration without --rsu",
            )
        why = rsu_refusal(statements)
        if why is not None:
            raise StateError(
                f"--rsu refused: {script} is not replication-compatible, {why}",
                hint="apply this migration without --rsu (TOI), or split the compatible changes "
                "(new tables, columns at the end, non-unique indexes) into their own migration",
            )


def nodes(s: Session) -> list[Node]:
    """Every node of the cluster, the runner's own node last."""
    rows = s.db.query("SHOW STATUS LIKE 'wsrep_incoming_addresses'")
    own = s.db.cluster().node
    found: list[Node] = []
    url = s.config.url
    assert url is not None
    for address in str(rows[0][1]).split(",") if rows else []:
        host, _, port = address.strip().rpartition(":")
        if not host or not port.isdigit():
            continue
        peer = connect(
            replace(url, host=host.strip("[]"), port=int(port)), user=s.config.user, password=s.config.password
        )
        try:
            name = str(peer.query("SELECT @@wsrep_node_name")[0][0])
        finally:
            peer.close()
        found.append(Node(host.strip("[]"), int(port), name))
    others = [n for n in found if n.name != own]
    if len(others) == len(found):
        raise StateError(
            f"--rsu: the runner's node {own} is not among the cluster's incoming addresses "
            f"({', '.join(f'{n.host}:{n.port}' for n in found) or 'none'})",
            hint="set wsrep_node_incoming_address on each node, or run without --rsu",
        )
    return others


class RollingSource:
    """Wraps a step source: before a step is handed to the engine, its DDL is applied to every other node
    with RSU (the engine then applies it on the runner's node, whose session is in RSU mode too)."""

    def __init__(self, inner: Source, s: Session, statements: dict[str, Sequence[Statement]], report: Reporter) -> None:
        self.inner, self.s, self.statements, self.report = inner, s, statements, report
        self.peers = nodes(s)
        self._done: set[str] = set()

    @property
    def token(self) -> Any:
        return self.inner.token

    @token.setter
    def token(self, value: Any) -> None:
        self.inner.token = value

    def refresh(self) -> None:
        self.inner.refresh()

    def check(self, token: Any) -> None:
        self.inner.check(token)

    def done(self, step: Step, applied: Any) -> None:
        self.inner.done(step, applied)

    def due_after_failure(self) -> list[Step]:
        return self.inner.due_after_failure()

    def prepare(self) -> None:
        self.inner.prepare()

    def next_step(self) -> Step | None:
        step = self.inner.next_step()
        script = step.migration.script if step is not None else None
        if step is not None and not step.recorded and script in self.statements and script not in self._done:
            for node in self.peers:
                self._upgrade(node, script, self.statements[script])
            self._done.add(script)
            self.report("rsu.node", {"node": self.s.db.cluster().node, "script": script, "last": True})
        return step

    def _upgrade(self, node: Node, script: str, statements: Sequence[Statement]) -> None:
        url = self.s.config.url
        assert url is not None
        peer = connect(
            replace(url, host=node.host, port=node.port), user=self.s.config.user, password=self.s.config.password
        )
        try:
            _wait_synced(peer, node, "before")
            peer.execute("SET SESSION wsrep_OSU_method = 'RSU'")
            peer.execute(f"USE {peer.quote(self.s.default_schema)}")
            for st in statements:
                try:
                    peer.execute(st.sql)
                except StatementFailed as err:
                    if err.details.get("code") not in ALREADY:
                        raise StateError(
                            f"--rsu: {script} line {st.line} failed on node {node.name} "
                            f"({node.host}:{node.port}): {err.message}",
                            hint="the nodes before it have the change, the rest do not: fix the cause "
                            "and run the same command again (a node that has a change skips it)",
                        ) from None
            peer.execute("SET SESSION wsrep_OSU_method = 'TOI'")
            _wait_synced(peer, node, "after")
        finally:
            peer.close()
        self.report("rsu.node", {"node": node.name, "script": script, "last": False})


def _wait_synced(db: Any, node: Node, when: str, clock: Callable[[], float] = time.monotonic) -> None:
    deadline = clock() + SYNC_TIMEOUT
    while True:
        state = db.query("SHOW STATUS LIKE 'wsrep_local_state_comment'")
        if state and str(state[0][1]) == "Synced":
            return
        if clock() >= deadline:
            raise StateError(
                f"--rsu: node {node.name} is {state[0][1] if state else '?'}, not Synced, {when} its "
                f"upgrade (waited {SYNC_TIMEOUT:g} s)",
                hint="check the node's error log; rerun when it is Synced",
            )
        time.sleep(0.2)


__all__ = ["Node", "RollingSource", "check", "nodes"]
