"""The runner's statement layer: how one migration's statements reach the server.

Every result of every statement is read (a CALL returns one result per SELECT of its procedure, then
its own), and every statement is classified once as the server sees it (``statements/classify``):
comments, and versioned ``/*!NNNNN … */`` comments by the server's version.

Tracked migrations (MySQL/MariaDB, where DDL commits implicitly) keep an exact record:

- DML runs in one open transaction with the progress record, so both commit together; consecutive
  DML goes in one multi-statement packet (docs/decisions/migrate-speed.md).
- Before a statement that may commit (DDL, CALL, LOCK TABLES, COMMIT …) the record is updated to name
  it as in flight, in the same packet, so that statement's own commit makes the record durable.
- A CALL (EXECUTE, a compound statement) runs in a transaction of its own behind a savepoint: if it
  fails, what its procedure did is rolled back (as Flyway's transaction would), so ``--resume`` runs it
  once more from a clean start; only work its procedure committed itself (DDL inside) stays, and the
  failure says so. A completed CALL is counted, so ``--resume`` never runs it again.
- PostgreSQL outside a transaction (``executeInTransaction=false``) is tracked the same way, each
  statement committing on its own; a DML statement there runs in a transaction of its own with the
  record saying it is done (``_run_dml_with_record``), so it is never left in flight.
- Under ``LOCK TABLES`` no BEGIN is sent (it would release the locks) and nothing is written to
  flywayx's tables (they are not locked); the statements commit one by one, as with the client.
- A script's own BEGIN/START TRANSACTION … COMMIT/ROLLBACK is left to the script; a ROLLBACK outside
  one undoes nothing, as in the client's autocommit mode.

``--resume`` first runs again what rebuilds the session the failed run had built
(``statements/session.plan_replay``). SIGINT/SIGTERM cancel the running statement (``interrupt``), which
then fails like any other.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from flywayx.apply import interrupt
from flywayx.db.base import SHOW_WARNINGS, Database, DbWarning
from flywayx.db.own_tables import OwnTables
from flywayx.errors import MigrationFailed, StateError
from flywayx.model import Migration, Statement
from flywayx.model.work import Work
from flywayx.statements.classify import Server, StatementClass, classify, client_text, ends_script_transaction
from flywayx.statements.session import Replay

if TYPE_CHECKING:
    from flywayx.apply.walk import ApplyOptions, Reporter

SAVEPOINT = "flywayx_statement"
_COMMIT_WORD = re.compile(r"\b(?:COMMIT|END)\b", re.IGNORECASE)


@dataclass
class Progress:
    """Statements applied so far and the running hash over them (survives an exception).

    ``ahead``: the record was committed before the migration started, with its first statement in
    flight (``OwnTables.start_progress_ahead``): neither it nor that statement's in-flight update is sent.
    ``durable``/``durable_digest``: the statements whose effect no rollback can undo (up to the last
    implicitly committing statement). ``locked``: a ``LOCK TABLES`` is in force. ``closed``: the
    last statement ended the transaction; the next DML (or the history row) opens one. ``own_txn``:
    the script opened its own transaction (BEGIN/START TRANSACTION); ``txn_start``: (done, digest)
    before the statement that opened it, where a failure inside it sends ``--resume``. ``sending``: a statement that may
    commit was sent and has not returned; ``guarded``: a savepoint protects it; ``partial``: it failed
    after committing part of its work.
    """

    done: int
    digest: str
    tracked: bool = False
    durable: int = -1
    durable_digest: str = ""
    locked: bool = False
    closed: bool = False
    own_txn: bool = False
    txn_start: tuple[int, str] = (0, "")
    sending: bool = False
    guarded: bool = False
    partial: bool = False
    ahead: bool = False  # the record, naming the first statement in flight, was written ahead (engine)
    script_committed: bool = False  # a record went with the script's own COMMIT (in the migration's transaction)

    def __post_init__(self) -> None:
        self.durable, self.durable_digest = self.done, self.digest


def server_of(db: Database) -> Server:
    """The server statements are classified for (its version decides versioned comments)."""
    return _server(db.dialect, db.server_version() if db.dialect in ("mysql", "mariadb") else None)


@lru_cache(maxsize=16)
def _server(dialect: str, version: str | None) -> Server:
    """Asked several times a migration, always of the same server."""
    return Server.of(dialect, version) if version is not None else Server(dialect)


@dataclass
class Body:
    """One migration's statements on one connection."""

    db: Database
    own: OwnTables | None
    work: Work
    opts: ApplyOptions
    report: Reporter
    p: Progress
    server: Server
    replay: Replay

    def __post_init__(self) -> None:
        self.statements: Sequence[Statement] = self.work.statements or ()
        self.hashed: Sequence[Statement] = self.work.written or self.statements  # what the record's hashes cover
        self.classes: dict[int, StatementClass] = {}

    def cls(self, i: int) -> StatementClass:
        c = self.classes.get(i)
        if c is None:
            c = classify(self.statements[i].sql, self.server)
            if self.p.tracked and not self.server.mysql_family and not c.empty:
                c = StatementClass(c.words, True)  # PostgreSQL outside a transaction: each statement commits
            self.classes[i] = c
        return c

    def text(self, i: int) -> str:
        return client_text(self.statements[i].sql, self.server)

    # ------------------------------------------------------------------------------------------
    def run(self) -> None:
        """Run the statements from ``work.skip_statements`` on (after the session replay)."""
        p, total = self.p, len(self.statements)
        if self.replay.statements:
            self._send([self.text(i) for i in self.replay.statements], None)
        if p.tracked and not p.ahead:
            assert self.own is not None
            self.own.start_progress(self.work, self.opts.run_id, p.done, p.digest)
        if self.replay.lock is not None:
            self._send([self.text(self.replay.lock)], None)
            p.locked = p.closed = True
        batching = p.tracked and self.db.capabilities.batches and not self.opts.each_statement
        # in the migration's transaction (PostgreSQL): runs of statements in one round trip (a pipeline)
        pipelining = not p.tracked and self.db.capabilities.pipelines and not self.opts.each_statement
        i = self.work.skip_statements
        while i < total:
            self._check_interrupt()
            end = self._dml_end(i) if batching and not p.locked else i + 1
            if pipelining and _copy_data(self.statements[i]) is None:
                end = self._pipeline_end(i)
                self._record_script_commit(i, end)
                self._run_dml(i, end)
            elif end - i > 1:
                self._run_dml(i, end)
            elif batching and not p.locked and self._leads_dml(i):
                end = self._dml_end(i + 1)
                self._run_committing(i, self.cls(i), end)
            else:
                self._run_one(i)
            i, p.ahead = end, False  # the record written ahead named the first statement only

    def _check_interrupt(self) -> None:
        signum = interrupt.requested()
        if signum is not None:
            raise StateError(f"interrupted by {interrupt.name(signum)} before this statement was sent")

    _BATCH_STATEMENTS, _BATCH_BYTES = 200, 1 << 20

    def _dml_end(self, i: int) -> int:
        """End (exclusive) of the run of transactional statements from ``i`` that fits one packet."""
        end, size = i, 0
        while (
            end < len(self.statements)
            and end - i < self._BATCH_STATEMENTS
            and _batchable(self.cls(end))
            and not _copy_data(self.statements[end])
        ):
            size += len(self.statements[end].sql)
            if size > self._BATCH_BYTES and end > i:
                break
            end += 1
        return max(end, i + 1)

    def _pipeline_end(self, i: int) -> int:
        """End (exclusive) of the statements from ``i`` up to the next COPY that fit one round trip; a
        script's own COMMIT ends the run (``_record_script_commit``)."""
        end, size = i, 0
        while end < len(self.statements) and end - i < self._BATCH_STATEMENTS:
            if _copy_data(self.statements[end]) is not None:
                break
            size += len(self.statements[end].sql)
            if size > self._BATCH_BYTES and end > i:
                break
            end += 1
            if self._script_commit(end - 1):
                break
        return max(end, i + 1)

    def _script_commit(self, i: int) -> bool:
        # most statements say neither word: no classification for them
        return _COMMIT_WORD.search(self.statements[i].sql) is not None and ends_script_transaction(self.cls(i))

    def _record_script_commit(self, i: int, end: int) -> None:
        """The run ``i``..``end`` ends with the script's own COMMIT (PostgreSQL, in the migration's
        transaction): a ``running`` record saying "statements 1 to ``end`` applied" goes in front of it, in
        the same transaction, so that COMMIT keeps it with them. A kill after the COMMIT then leaves it, and
        the next ``migrate`` says what the COMMIT kept (``service.resume``); the history row's transaction
        removes it, a failure after the COMMIT too (``walk``)."""
        if self.own is None or not self.db.capabilities.transactional_ddl or not self._script_commit(end - 1):
            return
        digest = self.p.digest
        for j in range(i, end):
            digest = _chain(digest, self.hashed[j])
        self.own.start_progress(self.work, self.opts.run_id, end, digest)
        self.p.script_committed = True

    def _leads_dml(self, i: int) -> bool:
        """Statement ``i`` commits (a plain DDL: not a CALL, a transaction's start or end, a table lock or
        a COPY) and DML follows it: both go in one packet (``_run_with_dml``)."""
        c = self.cls(i)
        if not c.commits or c.many_results or c.opens or c.lock is not None or c.head in ("COMMIT", "ROLLBACK"):
            return False
        following = i + 1 < len(self.statements) and _batchable(self.cls(i + 1))
        return following and _copy_data(self.statements[i]) is None and _copy_data(self.statements[i + 1]) is None

    def _run_dml(self, i: int, end: int) -> None:
        """A run of DML: one round trip; the progress record still commits with it."""
        self._reopen()
        completed, failure = self._send([self.text(j) for j in range(i, end)], 0, first=i)
        for j in range(i, i + completed):
            self._done(j)
        if failure is not None:
            raise failure

    def _run_one(self, i: int) -> None:
        p, c = self.p, self.cls(i) if self.p.tracked else _PLAIN
        self._fire("beforeEachMigrateStatement")
        if p.tracked and self._dml_outside_transaction(i):
            self._run_dml_with_record(i, c)
        elif p.tracked and c.commits and not p.locked:
            self._run_committing(i, c)
        else:
            if not c.commits:
                self._reopen()
            if not p.tracked:
                self._record_script_commit(i, i + 1)
            p.sending = c.commits
            _, failure = self._send_statement(i)
            if failure is not None:
                raise failure
            p.sending = False
            self._after_commit(i, c) if c.commits else self._done(i)
        self._fire("afterEachMigrateStatement")

    def _dml_outside_transaction(self, i: int) -> bool:
        """PostgreSQL outside a transaction (``executeInTransaction=false``), no script transaction open:
        statement ``i`` is plain DML (INSERT, UPDATE, DELETE, MERGE), which runs in a transaction anyway."""
        if self.server.mysql_family or self.p.own_txn or self.p.locked or _copy_data(self.statements[i]) is not None:
            return False
        c = classify(self.statements[i].sql, self.server)  # as the server reads it, before ``cls`` says "commits"
        return c.head in _DML and not (c.commits or c.many_results or c.opens or c.lock is not None)

    def _run_dml_with_record(self, i: int, c: StatementClass) -> None:
        """The statement and the record saying it is done in one transaction of their own, as autocommit
        would have run the statement alone: a kill leaves both or neither, so ``--resume`` never meets a
        DML statement in flight, which the catalog cannot judge. A failure rolls both back."""
        assert self.own is not None
        p = self.p
        record = self.own.progress_statement(self.work, p.done + 1, _chain(p.digest, self.hashed[i]))
        self.db.begin()
        with interrupt.statement():
            _, failure = self.db.run_batch([self.text(i), record], warnings_from=0)
        self._warn(lambda k: i if k == 0 else None)
        if failure is not None:
            with contextlib.suppress(Exception):  # a lost connection: the server rolls it back itself
                self.db.rollback()
            raise failure
        self.db.commit()
        self._after_commit(i, c)

    def _run_committing(self, i: int, c: StatementClass, dml_end: int | None = None) -> None:
        """The in-flight record and the statement in one packet, in that order (see the module doc);
        with ``dml_end``, the DML after it up to there too (``_run_with_dml``)."""
        assert self.own is not None
        p = self.p
        record = self.own.progress_statement(self.work, p.done, p.digest, _chain(p.digest, self.hashed[i]))
        pre: list[str | tuple[str, tuple[Any, ...]]] = [] if p.ahead else [record]
        p.ahead = False
        if c.many_results:  # the CALL's work, and only it, can be undone (inside the script's transaction too)
            pre += [*([] if p.own_txn else ["BEGIN"]), f"SAVEPOINT {SAVEPOINT}"]
        elif c.head == "ROLLBACK" and not p.own_txn:
            pre.append("COMMIT")  # autocommit (the client) had committed what came before
        p.sending = True
        if _copy_data(self.statements[i]) is not None:  # PostgreSQL COPY: the record first, then the rows
            completed, failure = self.db.run_batch([record])
            if failure is None:
                completed, failure = self._send_statement(i)
                completed += len(pre)
        elif dml_end is not None:
            self._run_with_dml(i, c, pre, dml_end)
            return
        else:
            completed, failure = self._send([*pre, self.text(i)], len(pre), first=i - len(pre))
        if failure is not None:
            p.sending = completed >= len(pre)  # else the record failed and the statement was never sent
            p.guarded = p.sending and c.many_results
            raise failure
        p.sending = False
        self._after_commit(i, c)

    def _run_with_dml(self, i: int, c: StatementClass, pre: list[str | tuple[str, tuple[Any, ...]]], end: int) -> None:
        """[record, statement ``i``, its warnings, BEGIN, the DML up to ``end``] in one packet: what the
        two packets ``_run_committing`` and ``_run_dml`` send, in the same order, so a kill leaves what
        they could have left (the statement's commit keeps the record; the DML's open transaction dies
        with the session). The results read say which statement failed, as in any batch."""
        p, n = self.p, len(pre)
        batch = [*pre, self.text(i), SHOW_WARNINGS, "BEGIN", *(self.text(j) for j in range(i + 1, end))]
        owners: list[int | None] = [*([None] * n), i, None, None, *range(i + 1, end)]
        with interrupt.statement():
            completed, failure = self.db.run_batch(batch, warnings_from=n)
        self._warn(lambda k: owners[k] if k < len(owners) else None)
        if completed <= n:  # the record, or the statement, failed
            p.sending = completed >= n
            assert failure is not None
            raise failure
        p.sending = False
        self._after_commit(i, c)
        p.closed = completed < n + 3  # BEGIN ran: the DML's transaction is open
        for j in range(i + 1, i + 1 + max(completed - n - 3, 0)):
            self._done(j)
        if failure is not None:
            raise failure

    def _send_statement(self, i: int) -> tuple[int, Exception | None]:
        data = _copy_data(self.statements[i])
        if data is None:
            return self._send([self.text(i)], 0, first=i)
        with interrupt.statement():
            try:
                self.db.copy_in(self.text(i), data)
            except Exception as err:
                return 0, err
        return 1, None

    def _send(
        self, batch: list[str | tuple[str, tuple[Any, ...]]], warnings_from: int | None, first: int = 0
    ) -> tuple[int, Exception | None]:
        """``run_batch`` under the interrupt guard; warnings reported per statement (``first`` is the
        statement index of the batch's first item)."""
        with interrupt.statement():
            completed, failure = self.db.run_batch(batch, warnings_from=warnings_from)
        if warnings_from is not None:
            self._warn(lambda k: first + k)
        if failure is not None and warnings_from is None:
            raise StateError(
                f"Cannot rebuild the session: {failure}",
                hint="check the statements that set session state before the failed one",
            )
        return completed, failure

    def _warn(self, owner: Callable[[int], int | None]) -> None:
        """Report the warnings kept by the last batch, each with its statement (``owner`` of its index)."""
        by_index: dict[int, list[DbWarning]] = {}
        for w in self.db.take_warnings():
            j = owner(w.index)
            if j is not None:
                by_index.setdefault(j, []).append(w)
        for j, found in sorted(by_index.items()):
            stmt = self.statements[j]
            self.report(
                "statement.warnings",
                {"migration": self.work.migration, "statement": j + 1, "line": stmt.line, "warnings": found},
            )

    def _done(self, i: int) -> None:
        p = self.p
        p.done += 1
        p.digest = _chain(p.digest, self.hashed[i])
        if p.locked:  # under LOCK TABLES each statement commits on its own (no transaction is open)
            p.durable, p.durable_digest = p.done, p.digest
        self.report("statement.done", {"migration": self.work.migration, "done": p.done, "total": len(self.statements)})

    def _after_commit(self, i: int, c: StatementClass) -> None:
        """After a statement that may commit: it and all before it are durable. The DML that follows
        reopens the transaction (``_reopen``); consecutive DDL needs none (a round trip saved each)."""
        p = self.p
        if c.opens:
            p.txn_start = (p.done, p.digest)
        self._done(i)
        if c.many_results and p.own_txn:
            return  # the script's transaction goes on (unless the procedure commits: then as with the client)
        if c.lock == "lock" and c.head in ("LOCK", "FLUSH"):
            p.locked = True
        elif c.lock == "unlock":
            p.locked = False
        p.durable, p.durable_digest = p.done, p.digest
        p.own_txn, p.closed = c.opens, not c.opens

    def _reopen(self) -> None:
        """Open the transaction again before DML; never under LOCK TABLES (a BEGIN would release them)."""
        if self.p.closed and not self.p.locked:
            self.db.begin()
            self.p.closed = False

    def _fire(self, event: str) -> None:
        if self.opts.callbacks is not None:
            self.opts.callbacks(event, self.work.migration)


_DML = ("INSERT", "UPDATE", "DELETE", "MERGE")
_PLAIN = StatementClass(("?",), False)  # untracked: every statement simply runs in the migration's transaction


def _batchable(c: StatementClass) -> bool:
    return not c.commits and not c.empty and not c.many_results


def _copy_data(stmt: Statement) -> str | None:
    data = getattr(stmt, "copy_data", None)
    return data if isinstance(data, str) else None


def undo_guarded(db: Database, p: Progress) -> None:
    """A CALL behind a savepoint failed: roll its work back. When the savepoint is gone, the procedure
    committed part of its work itself (``p.partial``)."""
    if not p.guarded:
        return
    p.guarded = False
    try:
        db.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
    except Exception:  # SAVEPOINT does not exist: a statement inside the procedure committed
        p.partial = True


def run_python(db: Database, m: Migration) -> None:
    """``def migrate(conn)`` of a Python migration, on the DBAPI connection."""
    spec = importlib.util.spec_from_file_location(f"flywayx_migration_{abs(hash(m.path))}", m.path)
    if spec is None or spec.loader is None:
        raise MigrationFailed(f"Cannot load Python migration {m.script}", hint="check the file is a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    func = getattr(module, "migrate", None)
    if not callable(func):
        raise MigrationFailed(
            f"Python migration {m.script} has no function migrate(conn)",
            hint="define `def migrate(conn):` taking a DBAPI connection",
        )
    with interrupt.statement():
        func(db.raw)


def _chain(digest: str, stmt: Statement) -> str:
    return hashlib.sha256((digest + "\x00" + stmt.sql).encode("utf-8")).hexdigest()


def prefix_digest(statements: Sequence[Statement] | None, n: int) -> str:
    """Running hash over the first n statements; resume compares it with the recorded one."""
    digest = ""
    for stmt in (statements or ())[:n]:
        digest = _chain(digest, stmt)
    return digest
