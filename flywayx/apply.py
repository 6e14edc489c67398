"""Walk migrations onto a database: run statements, record history, report progress.

Decides nothing: what to run and in which order comes from ``plan/``. What it guarantees: each
migration's history row is written in the same transaction as its changes where the database has
transactional DDL; elsewhere (MySQL/MariaDB) a failure leaves Flyway's ``success=0`` row and a
progress record naming the failed statement, so ``repair`` or ``migrate --resume`` can continue.
"""

from __future__ import annotations

import hashlib
import importlib.util
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


def _quiet(event: str, data: dict[str, Any]) -> None:
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


@dataclass(frozen=True)
class Applied:
    migration: Migration
    execution_time: int
    statements: int


def apply_one(db: Database, history: HistoryTable, own: OwnTables | None, work: Work, opts: ApplyOptions,
              report: Reporter = _quiet) -> Applied:
    """Apply one migration and record it; raise MigrationFailed (after recording the failure)."""
    m = work.migration
    db.restore_session(opts.default_schema)
    in_txn = _transactional(db, work, opts)
    report("migration.start", {"migration": m, "out_of_order": work.out_of_order, "transactional": in_txn})
    if in_txn or not db.capabilities.transactional_ddl:
        db.begin()  # non-transactional PostgreSQL statements (CREATE INDEX CONCURRENTLY…) refuse a BEGIN
    started = time.monotonic()
    p = _Progress(work.skip_statements, _prefix_digest(work.statements, work.skip_statements))
    try:
        _fire(opts, "beforeEachMigrate", m)
        if not opts.skip_executing:
            _run_body(db, own, work, opts, in_txn, report, p)
        _fire(opts, "afterEachMigrate", m)
    except Exception as err:
        elapsed = _ms(started)
        _record_failure(db, history, own, work, opts, elapsed, in_txn, p.done, p.digest)
        raise _as_failure(err, work, p.done, opts) from err
    elapsed = _ms(started)
    _insert_row(history, m, opts, elapsed, success=True)
    if own is not None:
        own.record_applied(work, opts.run_id, p.done, p.digest)
    db.commit()
    report("migration.done", {"migration": m, "ms": elapsed, "statements": p.done})
    return Applied(m, elapsed, p.done)


@dataclass
class _Progress:
    """Statements applied so far and the running hash over them (survives an exception)."""

    done: int
    digest: str


def _transactional(db: Database, work: Work, opts: ApplyOptions) -> bool:
    if not db.capabilities.transactional_ddl:
        return False
    wanted = work.migration.execute_in_transaction
    if wanted is None:
        wanted = opts.execute_in_transaction
    return wanted and all(s.transactional for s in work.statements or ())


def _run_body(db: Database, own: OwnTables | None, work: Work, opts: ApplyOptions, in_txn: bool,
              report: Reporter, p: _Progress) -> None:
    m = work.migration
    if work.statements is None:
        _run_python(db, m)
        p.done = 1
        return
    tracked = not in_txn and not db.capabilities.transactional_ddl and own is not None
    if tracked:
        assert own is not None
        own.start_progress(work, opts.run_id, p.done, p.digest)
    total = len(work.statements)
    locked = False  # between LOCK TABLES and UNLOCK TABLES the server refuses writes to other tables
    for stmt in work.statements[work.skip_statements:]:
        _fire(opts, "beforeEachMigrateStatement", m)
        db.execute(stmt.sql)
        p.done += 1
        p.digest = _chain(p.digest, stmt)
        locked = _lock_state(stmt.sql, locked)
        if tracked and not locked:
            assert own is not None
            own.progress(work, p.done, p.digest)
            db.commit()  # MySQL: the DDL is already committed; keep the record exact and durable
        _fire(opts, "afterEachMigrateStatement", m)
        report("statement.done", {"migration": m, "done": p.done, "total": total})


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
                    elapsed: int, in_txn: bool, done: int, digest: str) -> None:
    try:
        db.rollback()
    except Exception:
        return
    if in_txn:
        return  # rolled back completely: Flyway writes no row
    try:
        db.begin()
        _insert_row(history, work.migration, opts, elapsed, success=False)
        if own is not None:
            own.record_failed(work, opts.run_id, done, digest)
        db.commit()
    except Exception:
        return


def _insert_row(history: HistoryTable, m: Migration, opts: ApplyOptions, elapsed: int, *, success: bool) -> None:
    history.lock_rows()
    rows = history.rows()
    rank = (rows[-1].installed_rank + 1) if rows else 1
    history.insert(HistoryRow(
        installed_rank=rank,
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
