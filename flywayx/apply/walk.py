"""Walk migrations onto a database: run statements, record history, report progress.

Decides nothing: what to run and in which order comes from ``plan/``. What it guarantees: each
migration's history row is written in the same transaction as its changes where the database has
transactional DDL; elsewhere (MySQL/MariaDB) a failure leaves Flyway's ``success=0`` row and a
progress record naming the failed statement, so ``repair`` or ``migrate --resume`` can continue.
Settling a statement a killed run left in flight is ``settle.py``'s job.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flywayx.apply import indexes, interrupt
from flywayx.apply.failure import failure
from flywayx.apply.run import Body, Progress, prefix_digest, run_python, server_of, undo_guarded
from flywayx.db.base import Database, HistoryTable
from flywayx.db.connect import one_line
from flywayx.db.own_tables import OwnTables, migration_key
from flywayx.errors import Interrupted, StateError
from flywayx.model import HistoryRow, Migration, Statement
from flywayx.model.abbrev import abbreviate_description, abbreviate_script
from flywayx.model.work import Work
from flywayx.statements.classify import Server, classify
from flywayx.statements.session import Replay, plan_replay

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
class Turn:
    """What the engine asks of one step (docs/decisions/round-trips.md). ``ahead``: it wrote the step's
    progress record ahead, with the first statement in flight (``apply.ahead``). ``before_commit``:
    called with what the step did once its rows are queued, before the COMMIT that carries them.
    ``commit_later``: the COMMIT may go with the next statement (``Database.commit_later``): the
    engine sends one straight away (the next lock, or its own COMMIT)."""

    ahead: bool = False
    before_commit: Callable[[Applied], None] | None = None
    commit_later: bool = False


@dataclass(frozen=True)
class Applied:
    """What one step did: its time, its statements, and the history rows it wrote (in rank order; a
    step source keeps them, so nothing this run wrote is read back)."""

    migration: Migration
    execution_time: int
    statements: int
    rows: tuple[HistoryRow, ...] = ()


def apply_one(
    db: Database,
    history: HistoryTable,
    own: OwnTables | None,
    work: Work,
    opts: ApplyOptions,
    report: Reporter = quiet,
    rank: int | None = None,
    turn: Turn | None = None,
) -> Applied:
    """Apply one migration and record it; raise MigrationFailed (after recording the failure).

    The history row takes the next rank in its own INSERT and goes, with flywayx's row and the progress
    record's removal, in the packet of the COMMIT (``Database.later``). ``rank``: the rank the caller
    expects it to get (it holds the lock and read the highest rank under it); ``Applied.rows`` then
    holds the row as written (without it, no rows: nothing is read back).

    ``--resume`` (``work.skip_statements``): the session the failed run had built is rebuilt first,
    or StateError (nothing recorded) names the state that cannot be. SIGINT/SIGTERM (``interrupt``)
    end it as a failure of the statement that was running, or of the next one.

    ``turn``: what the engine asks of the step's start and end (``Turn``)."""
    turn = turn or Turn()
    with interrupt.migration(db):
        try:
            _refuse_if_interrupted(work)
        except Interrupted:
            if turn.ahead and own is not None and opts.run_id is not None:
                own.drop_ahead(work, opts.run_id)  # nothing of it ran: no record may say otherwise
                db.commit()
            raise
        return _apply(db, history, own, work, opts, report, rank, turn)


def _apply(
    db: Database,
    history: HistoryTable,
    own: OwnTables | None,
    work: Work,
    opts: ApplyOptions,
    report: Reporter,
    rank: int | None,
    turn: Turn,
) -> Applied:
    m = work.migration
    db.restore_session(opts.default_schema)
    in_txn = _transactional(db, work, opts)
    server = server_of(db)
    replay = session_replay(work.statements, work.skip_statements, server, m.script, db)
    report("migration.start", {"migration": m, "out_of_order": work.out_of_order, "transactional": in_txn})
    if in_txn or not db.capabilities.transactional_ddl:
        db.begin()  # non-transactional PostgreSQL statements (CREATE INDEX CONCURRENTLY…) refuse a BEGIN
    started = time.monotonic()
    p = Progress(work.skip_statements, prefix_digest(work.written or work.statements, work.skip_statements))
    # MySQL/MariaDB always; PostgreSQL when the migration runs outside a transaction (executeInTransaction
    # =false, CREATE INDEX CONCURRENTLY): each statement then commits on its own (run.py)
    p.tracked = not in_txn and db.capabilities.statement_record and own is not None and not m.is_python
    if p.tracked and db.capabilities.transactional_ddl:
        p.closed = True  # no BEGIN was sent: nothing is open until the history row's transaction
    p.ahead = turn.ahead and p.tracked and work.skip_statements == 0 and not opts.skip_executing
    if turn.ahead and not p.ahead and own is not None and opts.run_id is not None:
        own.drop_ahead(work, opts.run_id)  # the engine's guess did not hold: the record goes
    invalid_before = indexes.watch(db, work.statements)
    try:
        _fire(opts, "beforeEachMigrate", m)
        if not opts.skip_executing:
            _run_body(Body(db, own, work, opts, report, p, server, replay))
        _fire(opts, "afterEachMigrate", m)
        _unlock(db, p)
        _reopen(db, p)
    except Exception as err:
        elapsed, failed_at = _ms(started), p.done
        for name in indexes.clean(db, invalid_before):
            report("index.dropped", {"migration": m, "index": name})
        unrecorded = _record_failure(db, history, own, work, opts, elapsed, in_txn, p)
        error = failure(err, work, p, opts, in_txn, failed_at)
        if unrecorded:
            error.warn(unrecorded)
        raise error from err
    elapsed = _ms(started)
    row = _row(m, opts, elapsed, success=True, rank=rank or 0)
    history.insert_next(row)
    if own is not None:
        own.record_applied(work, opts.run_id, p.done, p.digest)
    applied = Applied(m, elapsed, p.done, (row,) if rank is not None else ())
    if turn.before_commit is not None:
        turn.before_commit(applied)
    if turn.commit_later:  # MySQL: the rows, the progress record's removal and the COMMIT go in the next packet
        db.commit_later()
    else:
        db.commit()
    report("migration.done", {"migration": m, "ms": elapsed, "statements": p.done})
    return applied


def _refuse_if_interrupted(work: Work) -> None:
    """A signal came between two migrations: stop before this one changes anything."""
    signum = interrupt.honoured()
    if signum is not None:
        raise Interrupted(
            f"Interrupted by {interrupt.name(signum)} before {work.migration.script} started: nothing of it is applied",
            hint="run `flywayx migrate` to apply it and the rest",
            signum=signum,
            script=work.migration.script,
        )


def session_replay(
    statements: Sequence[Statement] | None, k: int, server: Server, script: str, db: Database | None = None
) -> Replay:
    """What rebuilds the session for resuming at statement ``k``; StateError naming what cannot be.
    ``db``: read the bodies of procedures the statements call but did not create from it."""
    if not statements or k <= 0:
        return Replay()
    replay = plan_replay(statements, k, server, _procedure_body(db) if db is not None else None)
    if replay.refusals:
        raise StateError(
            f"Cannot resume {script} at statement {k + 1}: the session its first {k} statement(s) built cannot "
            f"be rebuilt on a new connection: {'; '.join(replay.refusals)}",
            hint="make the statements from the failed one on set what they read themselves (only they may "
            "change), or finish the migration by hand and run `flywayx repair`",
            script=script,
            applied_statements=k,
            state=list(replay.refusals),
        )
    return replay


def _procedure_body(db: Database) -> Callable[[str], str | None]:
    def body(name: str) -> str | None:
        rows = db.query(
            "SELECT routine_definition FROM information_schema.routines WHERE routine_schema = "
            "DATABASE() AND routine_type = 'PROCEDURE' AND routine_name = ?",
            (name,),
        )
        return str(rows[0][0]) if rows and rows[0][0] is not None else None

    return body


def _transactional(db: Database, work: Work, opts: ApplyOptions) -> bool:
    if not db.capabilities.transactional_ddl:
        return False
    wanted = work.migration.execute_in_transaction
    if wanted is None:
        wanted = opts.execute_in_transaction
    return wanted and all(s.transactional for s in work.statements or ())


def _run_body(body: Body) -> None:
    if body.work.statements is None:
        run_python(body.db, body.work.migration)
        body.p.done = 1
        return
    body.run()


def _reopen(db: Database, p: Progress) -> None:
    """Open the transaction again for the history row; never under LOCK TABLES."""
    if p.closed and not p.locked:
        db.begin()
        p.closed = False


def _unlock(db: Database, p: Progress) -> None:
    """A script that ends under LOCK TABLES: release them, or the history row cannot be written."""
    if p.locked:
        db.unlock_tables()
        p.locked = False
        p.closed = True


def implicit_commit(sql: str, server: Server | None = None) -> bool:
    """Whether a MySQL/MariaDB statement may commit (or must not run inside) the open transaction
    (``statements.classify``: comments and versioned comments read as the server reads them)."""
    return classify(sql, server or Server("mariadb")).commits


def _record_failure(
    db: Database,
    history: HistoryTable,
    own: OwnTables | None,
    work: Work,
    opts: ApplyOptions,
    elapsed: int,
    in_txn: bool,
    p: Progress,
) -> str | None:
    """Write Flyway's ``success=0`` row and the progress record; ``p`` is set to what stays applied.
    Returns a warning when they could not be written (``unrecorded``), else None."""
    if p.tracked:
        return _record_tracked_failure(db, history, own, work, opts, elapsed, p)
    try:
        db.rollback()
    except Exception as err:
        return unrecorded(work, err)
    if in_txn:  # rolled back (after the script's own COMMIT: what followed it): Flyway writes no row
        return _forget_script_commit(db, own, work, p)
    try:
        db.begin()
        _insert_row(db, history, work.migration, opts, elapsed, success=False)
        if own is not None:
            own.record_failed(work, opts.run_id, p.done, p.digest)
        db.commit()
    except Exception as err:
        return unrecorded(work, err)
    return None


def _forget_script_commit(db: Database, own: OwnTables | None, work: Work, p: Progress) -> str | None:
    """The record the script's own COMMIT kept (``Body._record_script_commit``) was for a kill: the failure's
    hint says what that COMMIT kept and what to do, and the next ``migrate`` runs the whole migration."""
    if not p.script_committed or own is None:
        return None
    try:
        db.begin()
        own.clear_progress(
            migration_key(work.migration.version.text if work.migration.version else None, work.migration.description)
        )
        db.commit()
    except Exception as err:
        return unrecorded(work, err)
    return None


def _record_tracked_failure(
    db: Database,
    history: HistoryTable,
    own: OwnTables | None,
    work: Work,
    opts: ApplyOptions,
    elapsed: int,
    p: Progress,
) -> str | None:
    """MySQL/MariaDB: statements before the failed one stay applied as far as the server kept them.

    Inside a transaction the script opened itself, that transaction is rolled back (the client's session
    would have ended without its COMMIT) and the record points at the statement that opened it.
    A failed statement is undone alone, so the open transaction (earlier DML, and the in-flight record
    of a DDL the server did not start) still holds them and commits with the failure record. When the
    server rolled the whole transaction back (deadlock), only the durable prefix counts."""
    assert own is not None
    try:
        undo_guarded(db, p)
        if p.own_txn:  # as the client's session would on disconnect: the script's open transaction is undone,
            db.rollback()  # and --resume starts it again at its BEGIN / START TRANSACTION
            (p.done, p.digest), p.own_txn = p.txn_start, False
            db.begin()
        elif p.locked:
            db.unlock_tables()  # statements under LOCK TABLES each committed on their own
            p.locked = False
            db.begin()
        elif p.closed or p.sending:  # the DDL's implicit commit (if any) kept everything before it
            if p.closed or not db.transaction_alive():
                db.begin()
        elif not db.transaction_alive():  # DML failed and the server dropped the whole transaction
            p.done, p.digest = p.durable, p.durable_digest
            db.begin()
        _insert_row(db, history, work.migration, opts, elapsed, success=False)
        own.record_failed(work, opts.run_id, p.done, p.digest, tracked=True)
        db.commit()
    except Exception as err:
        return unrecorded(work, err)
    return None


def unrecorded(work: Work, err: Exception) -> str:
    """The warning for a failure row that could not be written (the connection is gone, the server
    refuses). The migration's own error is still raised, with this warning: the history lacks its
    ``success=0`` row, so ``info`` shows the migration pending and ``migrate`` runs it again."""
    return (
        f"the failure of {work.migration.script} could not be recorded in the history table "
        f"({type(err).__name__}: {one_line(str(err))})"
    )


def _insert_row(
    db: Database, history: HistoryTable, m: Migration, opts: ApplyOptions, elapsed: int, *, success: bool
) -> HistoryRow:
    # the next rank only: re-reading every row for each migration cost ~1 s over CloudStack's ~170
    row = _row(m, opts, elapsed, success=success, rank=history.next_rank())
    history.insert(row)
    return row


def _row(m: Migration, opts: ApplyOptions, elapsed: int, *, success: bool, rank: int) -> HistoryRow:
    return HistoryRow(
        installed_rank=rank,
        version=m.version,
        description=abbreviate_description(m.description),
        type=m.type.value,
        script=abbreviate_script(m.script),
        checksum=m.checksum,
        installed_by=opts.installed_by,
        execution_time=elapsed,
        success=success,
    )


def _fire(opts: ApplyOptions, event: str, m: Migration | None) -> None:
    if opts.callbacks is not None:
        opts.callbacks(event, m)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
