"""Walk migrations onto a database: run statements, record history, report progress.

Decides nothing: what to run and in which order comes from ``plan/``. What it guarantees: each
migration's history row is written in the same transaction as its changes where the database has
transactional DDL; elsewhere (MySQL/MariaDB) a failure leaves Flyway's ``success=0`` row and a
progress record naming the failed statement, so ``repair`` or ``migrate --resume`` can continue.
Settling a statement a killed run left in flight is ``settle.py``'s job.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flywayx.db.base import Database, HistoryTable
from flywayx.db.own_tables import OwnTables
from flywayx.errors import FlywayxError, MigrationFailed
from flywayx.model import HistoryRow, Migration, Statement
from flywayx.model.abbrev import abbreviate_description, abbreviate_script
from flywayx.model.redact import redact_text
from flywayx.model.work import Work

Reporter = Callable[[str, dict[str, Any]], None]


def quiet(event: str, data: dict[str, Any]) -> None:
    """Default reporter: says nothing."""


@dataclass
class ApplyOptions:
    installed_by: str
    default_schema: str
    execute_in_transaction: bool = True
    skip_executing: bool = False
    secrets: list[str] = field(default_factory=list)
    run_id: str | None = None
    callbacks: Callable[[str, Migration | None], None] | None = None
    each_statement: bool = True  # per-statement callbacks exist: send statements one by one


@dataclass(frozen=True)
class Applied:
    migration: Migration
    execution_time: int
    statements: int


def apply_one(db: Database, history: HistoryTable, own: OwnTables | None, work: Work, opts: ApplyOptions,
              report: Reporter = quiet) -> Applied:
    """Apply one migration and record it; raise MigrationFailed (after recording the failure)."""
    m = work.migration
    db.restore_session(opts.default_schema)
    in_txn = _transactional(db, work, opts)
    report("migration.start", {"migration": m, "out_of_order": work.out_of_order, "transactional": in_txn})
    if in_txn or not db.capabilities.transactional_ddl:
        db.begin()  # non-transactional PostgreSQL statements (CREATE INDEX CONCURRENTLY…) refuse a BEGIN
    started = time.monotonic()
    p = _Progress(work.skip_statements, _prefix_digest(work.statements, work.skip_statements))
    p.tracked = not in_txn and not db.capabilities.transactional_ddl and own is not None and not m.is_python
    try:
        _fire(opts, "beforeEachMigrate", m)
        if not opts.skip_executing:
            _run_body(db, own, work, opts, report, p)
        _fire(opts, "afterEachMigrate", m)
        _unlock(db, p)
        _reopen(db, p)
    except Exception as err:
        elapsed = _ms(started)
        _record_failure(db, history, own, work, opts, elapsed, in_txn, p)
        raise _as_failure(err, work, p.done, opts) from err
    elapsed = _ms(started)
    _insert_row(db, history, m, opts, elapsed, success=True)
    if own is not None:
        own.record_applied(work, opts.run_id, p.done, p.digest)
    db.commit()  # MySQL: the row, the progress record's removal and the trailing DML commit together
    report("migration.done", {"migration": m, "ms": elapsed, "statements": p.done})
    return Applied(m, elapsed, p.done)


@dataclass
class _Progress:
    """Statements applied so far and the running hash over them (survives an exception).

    ``durable``/``durable_digest``: the statements whose effect no rollback can undo (up to the last
    implicitly committing statement). ``locked``: a ``LOCK TABLES`` is in force. ``closed``: the
    last statement ended the transaction; the next DML (or the history row) opens one.
    """

    done: int
    digest: str
    tracked: bool = False
    durable: int = -1
    durable_digest: str = ""
    locked: bool = False
    closed: bool = False
    sending_ddl: bool = False  # an implicitly committing statement was sent and has not returned

    def __post_init__(self) -> None:
        self.durable, self.durable_digest = self.done, self.digest


def _transactional(db: Database, work: Work, opts: ApplyOptions) -> bool:
    if not db.capabilities.transactional_ddl:
        return False
    wanted = work.migration.execute_in_transaction
    if wanted is None:
        wanted = opts.execute_in_transaction
    return wanted and all(s.transactional for s in work.statements or ())


def _run_body(db: Database, own: OwnTables | None, work: Work, opts: ApplyOptions, report: Reporter,
              p: _Progress) -> None:
    """Run the statements. Tracked (MySQL/MariaDB): DML runs in one open transaction with the progress
    record, so both commit together; before a statement that commits implicitly (DDL) the record is
    updated to name it as in flight, and that statement's own implicit commit makes the record durable
    before the server starts it. No explicit COMMIT per statement (issue 4), and at every kill point the
    durable record says exactly which statements are applied, up to the one in flight (issue 6)."""
    m = work.migration
    if work.statements is None:
        _run_python(db, m)
        p.done = 1
        return
    if p.tracked:
        assert own is not None
        own.start_progress(work, opts.run_id, p.done, p.digest)
    statements, total = work.statements, len(work.statements)
    batching = p.tracked and db.capabilities.batches and not opts.each_statement
    i = work.skip_statements
    while i < total:
        end = max(_dml_run(statements, i), i + 1) if batching and not p.locked else i + 1
        if end - i > 1:  # a run of DML: one round trip; the progress record still commits with it
            _reopen(db, p)
            completed, failure = db.run_batch([s.sql for s in statements[i:end]])
            for stmt in statements[i:i + completed]:
                _done(p, stmt, m, total, report)
            if failure is not None:
                raise failure
        else:
            _run_statement(db, own, work, opts, report, p, statements[i], batching)
        i = end


_BATCH_STATEMENTS, _BATCH_BYTES = 200, 1 << 20


def _dml_run(statements: Sequence[Statement], i: int) -> int:
    """End (exclusive) of the run of transactional statements from ``i`` that fits one batch."""
    end, size = i, 0
    while end < len(statements) and end - i < _BATCH_STATEMENTS and not implicit_commit(statements[end].sql):
        size += len(statements[end].sql)
        if size > _BATCH_BYTES and end > i:
            break
        end += 1
    return end


def _run_statement(db: Database, own: OwnTables | None, work: Work, opts: ApplyOptions, report: Reporter,
                   p: _Progress, stmt: Statement, batching: bool) -> None:
    m = work.migration
    _fire(opts, "beforeEachMigrateStatement", m)
    commits = p.tracked and implicit_commit(stmt.sql)
    if commits and not p.locked:
        assert own is not None  # outside a transaction (after a DDL) this UPDATE commits on its own
        in_flight = _chain(p.digest, stmt)
        if batching:  # the record and the statement in one round trip, still in that order
            p.sending_ddl = True
            record = own.progress_statement(work, p.done, p.digest, in_flight)
            completed, failure = db.run_batch([record, stmt.sql])
            if failure is not None:
                p.sending_ddl = completed == 1  # else the record failed and the statement was never sent
                raise failure
        else:
            own.progress(work, p.done, p.digest, in_flight)
            p.sending_ddl = True
            db.execute(stmt.sql)
    else:
        if not commits:
            _reopen(db, p)
        p.sending_ddl = commits
        db.execute(stmt.sql)
    p.sending_ddl = False
    if commits:
        p.done += 1
        p.digest = _chain(p.digest, stmt)
        _after_commit(db, stmt.sql, p)
        report("statement.done", {"migration": m, "done": p.done, "total": len(work.statements or ())})
    else:
        _done(p, stmt, m, len(work.statements or ()), report)
    _fire(opts, "afterEachMigrateStatement", m)


def _done(p: _Progress, stmt: Statement, m: Migration, total: int, report: Reporter) -> None:
    p.done += 1
    p.digest = _chain(p.digest, stmt)
    if p.locked:  # under LOCK TABLES each statement commits on its own (no transaction is open)
        p.durable, p.durable_digest = p.done, p.digest
    report("statement.done", {"migration": m, "done": p.done, "total": total})


def _after_commit(db: Database, sql: str, p: _Progress) -> None:
    """After an implicitly committing statement: it and all before it are durable. The DML that follows
    reopens the transaction (`_reopen`); consecutive DDL statements need none (saves a round trip each)."""
    p.locked = _lock_state(sql, p.locked)
    p.durable, p.durable_digest = p.done, p.digest
    p.closed = True


def _reopen(db: Database, p: _Progress) -> None:
    """Open the transaction again before DML; never under LOCK TABLES (a BEGIN would release the locks)."""
    if p.closed and not p.locked:
        db.begin()
        p.closed = False


def _unlock(db: Database, p: _Progress) -> None:
    """A script that ends under LOCK TABLES: release them, or the history row cannot be written."""
    if p.locked:
        db.execute("UNLOCK TABLES")
        p.locked = False
        p.closed = True


_IN_TRANSACTION = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SELECT", "WITH", "VALUES", "TABLE", "(", "SET", "USE",
                   "DO")
_LEADING_NOISE = re.compile(r"\A(?:\s+|--[^\n]*(?:\n|\Z)|#[^\n]*(?:\n|\Z)|/\*(?!!)(?:[^*]|\*(?!/))*\*/)*")


def implicit_commit(sql: str) -> bool:
    """Whether a MySQL/MariaDB statement may commit (or must not run inside) the open transaction.

    Conservative: only DML, SELECT, session ``SET``/``USE`` and ``DO`` count as transactional; anything
    else (DDL, LOCK/UNLOCK TABLES, BEGIN/COMMIT, CALL, GRANT, LOAD, ``SET autocommit``/``PASSWORD``,
    versioned ``/*!...*/`` statements) is treated as committing, which only costs a progress write."""
    body = _LEADING_NOISE.sub("", sql, count=1)
    head = body[:40].split(None, 1)[0].upper() if body.strip() else ""
    head = "(" if head.startswith("(") else head.rstrip(";")
    if head not in _IN_TRANSACTION:
        return True
    if head == "SET":
        words = body[:200].upper()
        return "AUTOCOMMIT" in words or "PASSWORD" in words
    return False


def _lock_state(sql: str, locked: bool) -> bool:
    """Whether a MySQL ``LOCK TABLES`` is in force after ``sql`` (the progress record waits for UNLOCK)."""
    head = " ".join(sql.split()[:2]).upper()
    if head.startswith(("LOCK TABLE", "LOCK TABLES")):
        return True
    return False if head.startswith("UNLOCK TABLE") else locked


def _run_python(db: Database, m: Migration) -> None:
    spec = importlib.util.spec_from_file_location(f"flywayx_migration_{abs(hash(m.path))}", m.path)
    if spec is None or spec.loader is None:
        raise MigrationFailed(f"Cannot load Python migration {m.script}", hint="check the file is a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    func = getattr(module, "migrate", None)
    if not callable(func):
        raise MigrationFailed(f"Python migration {m.script} has no function migrate(conn)",
                              hint="define `def migrate(conn):` taking a DBAPI connection")
    func(db.raw)


def _chain(digest: str, stmt: Statement) -> str:
    return hashlib.sha256((digest + "\x00" + stmt.sql).encode("utf-8")).hexdigest()


def _prefix_digest(statements: Sequence[Statement] | None, n: int) -> str:
    """Running hash over the first n statements; resume compares it with the recorded one."""
    digest = ""
    for stmt in (statements or ())[:n]:
        digest = _chain(digest, stmt)
    return digest


def prefix_digest(statements: Sequence[Statement], n: int) -> str:
    return _prefix_digest(statements, n)


def _record_failure(db: Database, history: HistoryTable, own: OwnTables | None, work: Work, opts: ApplyOptions,
                    elapsed: int, in_txn: bool, p: _Progress) -> None:
    """Write Flyway's ``success=0`` row and the progress record; ``p`` is set to what stays applied."""
    if p.tracked:
        _record_tracked_failure(db, history, own, work, opts, elapsed, p)
        return
    try:
        db.rollback()
    except Exception:
        return
    if in_txn:
        return  # rolled back completely: Flyway writes no row
    try:
        db.begin()
        _insert_row(db, history, work.migration, opts, elapsed, success=False)
        if own is not None:
            own.record_failed(work, opts.run_id, p.done, p.digest)
        db.commit()
    except Exception:
        return


def _record_tracked_failure(db: Database, history: HistoryTable, own: OwnTables | None, work: Work,
                            opts: ApplyOptions, elapsed: int, p: _Progress) -> None:
    """MySQL/MariaDB: statements before the failed one stay applied as far as the server kept them.

    A failed statement is undone alone, so the open transaction (earlier DML, and the in-flight record
    of a DDL the server did not start) still holds them and commits with the failure record. When the
    server rolled the whole transaction back (deadlock), only the durable prefix counts."""
    assert own is not None
    try:
        if p.locked:
            db.execute("UNLOCK TABLES")  # statements under LOCK TABLES each committed on their own
            p.locked = False
            db.begin()
        elif p.closed or p.sending_ddl:  # the DDL's implicit commit (if any) kept everything before it
            if p.closed or not _transaction_alive(db):
                db.begin()
        elif not _transaction_alive(db):  # DML failed and the server dropped the whole transaction
            p.done, p.digest = p.durable, p.durable_digest
            db.begin()
        _insert_row(db, history, work.migration, opts, elapsed, success=False)
        own.record_failed(work, opts.run_id, p.done, p.digest, tracked=True)
        db.commit()
    except Exception:
        return


def _transaction_alive(db: Database) -> bool:
    """Whether the server still has this session's transaction open (MariaDB ``@@in_transaction``;
    MySQL: an InnoDB transaction of this connection). Without one, uncommitted DML is gone."""
    try:
        return bool(db.query("SELECT @@in_transaction")[0][0])
    except Exception:
        rows = db.query("SELECT COUNT(*) FROM information_schema.INNODB_TRX"
                        " WHERE trx_mysql_thread_id = CONNECTION_ID()")
        return bool(rows[0][0])


def _insert_row(db: Database, history: HistoryTable, m: Migration, opts: ApplyOptions, elapsed: int, *,
                success: bool) -> None:
    # the next rank only: re-reading every row for each migration cost ~1 s over CloudStack's ~170
    history.insert(HistoryRow(
        installed_rank=history.next_rank(),
        version=m.version,
        description=abbreviate_description(m.description),
        type=m.type.value,
        script=abbreviate_script(m.script),
        checksum=m.checksum,
        installed_by=opts.installed_by,
        execution_time=elapsed,
        success=success,
    ))


def _as_failure(err: Exception, work: Work, done: int, opts: ApplyOptions) -> FlywayxError:
    m = work.migration
    if isinstance(err, MigrationFailed) and err.details.get("script"):
        return err
    stmt = None
    if work.statements is not None and done < len(work.statements):
        stmt = work.statements[done]
    where = f"{m.script}" + (f" line {stmt.line}" if stmt else "")
    text = str(err).strip()
    reason = redact_text(text.splitlines()[0] if text else type(err).__name__, opts.secrets)
    label = f"version {m.version}" if m.version is not None else f'repeatable "{m.description}"'
    return MigrationFailed(
        f"Migration {m.script} failed at {where}: {reason}",
        hint=(f"{done} of {len(work.statements or ())} statements were applied. "
              "Fix the statement, then run `flywayx migrate --resume` (MySQL/MariaDB) or `flywayx repair`"
              if not work.migration.is_python else "fix the Python migration and run `flywayx repair`"),
        migration=label, script=m.script, line=stmt.line if stmt else None,
        statement=stmt.sql if stmt else None, applied_statements=done,
    )


def _fire(opts: ApplyOptions, event: str, m: Migration | None) -> None:
    if opts.callbacks is not None:
        opts.callbacks(event, m)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
