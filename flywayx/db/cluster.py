"""What kind of server a connection reaches: a single server, a Galera node, a Group Replication member,
an asynchronous replica, a read-only server or a PostgreSQL standby — and whether a migration may run
through it.

``probe(db)`` asks the server (a handful of ``SHOW`` queries, each tolerated when the server lacks it
or the user may not see it) and returns a ``ClusterInfo``; ``ClusterInfo.refusal()`` is the one-line
error, with a hint, that ``migrate`` (and every command that writes) raises before anything runs:

- Galera: the node must be ``Synced`` and in the ``Primary`` component (``wsrep_local_state_comment``,
  ``wsrep_cluster_status``); a Joiner, Donor/Desynced node or a node without quorum is refused.
- Group Replication: the member must be ``ONLINE`` and, in single-primary mode, the ``PRIMARY``.
- ``read_only`` / ``super_read_only`` ON: refused (root may still write to a read_only MariaDB, which
  is why the tool checks instead of relying on the server).
- An asynchronous replica (its SQL or IO thread running): refused; the change belongs on its primary.
- PostgreSQL: ``pg_is_in_recovery()`` (a standby), or ``default_transaction_read_only`` on by default.

The probe reads through ``db.query`` only, so it works on any ``Database``; SQLite is always single.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from flywayx.errors import StateError


class _Queries(Protocol):
    dialect: str

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]: ...


@dataclass(frozen=True)
class ClusterInfo:
    """What the probe found. ``kind``: ``single``, ``galera``, ``group-replication``, ``replica`` or
    ``standby``; the other fields are filled where they apply."""

    kind: str = "single"
    node: str | None = None  # Galera node name / GR member host
    state: str | None = None  # Galera local state comment, GR member state
    size: int | None = None  # nodes in the cluster (Galera, GR)
    status: str | None = None  # Galera cluster status (Primary / non-Primary); GR member role
    read_only: str | None = None  # "read_only", "super_read_only", "default_transaction_read_only"
    source: str | None = None  # replica: host:port of its primary
    where: str = ""  # host:port as the runner reached it (for messages)

    @property
    def clustered(self) -> bool:
        """Several servers accept writes (Galera, Group Replication): node-local locks do not exclude."""
        return self.kind in ("galera", "group-replication")

    def describe(self) -> str:
        """One line for ``info``: e.g. ``Galera node node1: Synced, Primary component of 3 nodes``."""
        if self.kind == "galera":
            text = (
                f"Galera node {self.node or '?'}: {self.state or '?'}, {self.status or '?'} component of "
                f"{self.size if self.size is not None else '?'} nodes"
            )
        elif self.kind == "group-replication":
            text = (
                f"Group Replication member {self.node or '?'}: {self.state or '?'}, {self.status or '?'} "
                f"of {self.size if self.size is not None else '?'} members"
            )
        elif self.kind == "replica":
            text = f"asynchronous replica of {self.source or '?'} (replication threads running)"
        elif self.kind == "standby":
            text = "PostgreSQL standby (in recovery)"
        else:
            text = "single server"
        return text + (f"; read-only ({self.read_only}=ON)" if self.read_only else "")

    def refusal(self) -> StateError | None:
        """The error a write through this server gets, or None when it may be migrated."""
        at = f" at {self.where}" if self.where else ""
        if self.kind == "galera" and self.status is not None and self.status != "Primary":
            return StateError(
                f"Galera node {self.node or ''}{at} is in a {self.status} component (no quorum): "
                "refusing to migrate through it",
                hint="point --url at a node of the Primary component (SHOW STATUS LIKE "
                "'wsrep_cluster_status' says Primary), or restore quorum first",
            )
        if self.kind == "galera" and self.state != "Synced":
            return StateError(
                f"Galera node {self.node or ''}{at} is {self.state or 'not ready'}, not Synced: "
                "refusing to migrate through it",
                hint="wait until SHOW STATUS LIKE 'wsrep_local_state_comment' says Synced (a joining "
                "or desynced node lags the cluster), or point --url at a Synced node",
            )
        if self.kind == "group-replication" and self.state != "ONLINE":
            return StateError(
                f"Group Replication member {self.node or ''}{at} is {self.state}, not ONLINE: "
                "refusing to migrate through it",
                hint="point --url at an ONLINE member (performance_schema.replication_group_members)",
            )
        if self.kind == "group-replication" and self.status == "SECONDARY":
            return StateError(
                f"Group Replication member {self.node or ''}{at} is a SECONDARY of a single-primary "
                "group: refusing to migrate through it",
                hint="point --url at the group's PRIMARY",
            )
        if self.kind == "replica":
            return StateError(
                f"the server{at} is an asynchronous replica of {self.source or 'another server'} "
                "(its replication threads are running): refusing to migrate it",
                hint="migrate its primary; the replica receives the change through replication "
                "(a change written here would diverge from the primary)",
            )
        if self.kind == "standby":
            return StateError(
                f"the PostgreSQL server{at} is a standby in recovery (pg_is_in_recovery() is true): "
                "refusing to migrate it",
                hint="migrate the primary; the standby replays its changes",
            )
        if self.read_only:
            return StateError(
                f"the server{at} is read-only ({self.read_only}=ON): refusing to migrate it",
                hint="migrate the primary (a read-only server is usually a replica or a failed-over "
                "old primary), or turn read-only off if this is the writable server",
            )
        return None


def probe(db: _Queries, where: str = "") -> ClusterInfo:
    """Ask the server what it is. Never raises for a missing variable, view or privilege."""
    if db.dialect in ("mysql", "mariadb"):
        return _probe_mysql(db, where)
    if db.dialect == "postgresql":
        return _probe_postgres(db, where)
    return ClusterInfo(where=where)


def _try(db: _Queries, sql: str) -> list[tuple[Any, ...]] | None:
    try:
        return db.query(sql)
    except Exception:  # the server lacks the view/variable, or the user may not read it
        return None


def _pairs(rows: list[tuple[Any, ...]] | None) -> dict[str, str]:
    return {str(r[0]).lower(): str(r[1]) for r in rows or []}


def _probe_mysql(db: _Queries, where: str) -> ClusterInfo:
    variables = _pairs(
        _try(
            db,
            "SHOW GLOBAL VARIABLES WHERE Variable_name IN "
            "('wsrep_on', 'wsrep_node_name', 'read_only', 'super_read_only')",
        )
    )
    read_only = next(
        (name for name in ("super_read_only", "read_only") if variables.get(name, "OFF").upper() in ("ON", "1")), None
    )
    if variables.get("wsrep_on", "OFF").upper() in ("ON", "1"):
        status = _pairs(
            _try(
                db,
                "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state_comment', "
                "'wsrep_cluster_size', 'wsrep_cluster_status')",
            )
        )
        size = status.get("wsrep_cluster_size")
        return ClusterInfo(
            "galera",
            variables.get("wsrep_node_name"),
            status.get("wsrep_local_state_comment"),
            int(size) if size and size.isdigit() else None,
            status.get("wsrep_cluster_status"),
            read_only,
            where=where,
        )
    group = _try(
        db,
        "SELECT m.MEMBER_HOST, m.MEMBER_STATE, m.MEMBER_ROLE, (SELECT COUNT(*) FROM "
        "performance_schema.replication_group_members) "
        "FROM performance_schema.replication_group_members m WHERE m.MEMBER_ID = @@server_uuid",
    )
    if group:
        host, state, role, size = group[0]
        return ClusterInfo(
            "group-replication", str(host), str(state), int(size), str(role) if role else None, read_only, where=where
        )
    source = _replica_source(db)
    if source is not None:
        return ClusterInfo("replica", read_only=read_only, source=source, where=where)
    return ClusterInfo(read_only=read_only, where=where)


def _replica_source(db: _Queries) -> str | None:
    """host:port of the primary when a replication channel has a thread running, else None."""
    for sql in ("SHOW ALL REPLICAS STATUS", "SHOW ALL SLAVES STATUS", "SHOW REPLICA STATUS", "SHOW SLAVE STATUS"):
        try:
            rows = db.query_named(sql)  # type: ignore[attr-defined]
        except Exception:  # not this server's spelling, or no privilege to see it
            continue
        for row in rows:
            running = [
                str(row.get(k) or "")
                for k in ("replica_io_running", "replica_sql_running", "slave_io_running", "slave_sql_running")
            ]
            if any(v.lower() in ("yes", "connecting") for v in running):
                host = row.get("source_host") or row.get("master_host") or "?"
                port = row.get("source_port") or row.get("master_port") or "?"
                return f"{host}:{port}"
        return None
    return None


def _probe_postgres(db: _Queries, where: str) -> ClusterInfo:
    recovery = _try(db, "SELECT pg_is_in_recovery()")
    if recovery and recovery[0][0]:
        return ClusterInfo("standby", read_only="transaction_read_only", where=where)
    # reset_val: the server/database/role default, not this session's own SET (a --dry-run session)
    rows = _try(db, "SELECT reset_val FROM pg_settings WHERE name = 'default_transaction_read_only'")
    read_only = "default_transaction_read_only" if rows and str(rows[0][0]).lower() in ("on", "true") else None
    return ClusterInfo(read_only=read_only, where=where)


__all__ = ["ClusterInfo", "probe"]
