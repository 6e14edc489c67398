"""The one engine: run an ordered list of steps under the migration lock, and record the run.

A *step source* (``service/steps.py``: Flyway's order, a release plan, an expand phase, a resumed
run) chooses what runs and in which order; this module runs it the same way for every source. It
decides nothing.

- One step per lock. Under the lock the runner reads a cheap token (highest history rank, failed
  rows, interrupted runs' progress records: one indexed query) and compares it with the one the source
  planned from; only when another runner changed the history does the source read it again and plan
  again (``refresh``). Otherwise the source advances past the step it handed out (``done``, with the
  rows the step wrote), so a run costs one history read and one plan, not one per migration, and
  concurrent runners still agree (each re-plans from what the other wrote).
- ``check`` runs under the lock before every step with the token just read (a runner killed
  mid-migration since we started shows as a progress record in it).
- Flyway's callbacks in Flyway's order (flyway-semantics.md §5.3): ``beforeMigrate``; around each
  migration ``beforeEachMigrate`` … ``afterEachMigrate`` (``apply.walk``) or ``afterEachMigrateError``;
  ``afterVersioned`` and ``beforeRepeatables`` once, before the first repeatable or at the end;
  ``afterMigrateApplied`` when something ran, ``afterMigrate``; ``afterMigrateError`` on failure.
- The run record in ``flywayx_runs``: started before the first step, finished with the outcome.
- ``stop_after_one``: Flyway's ``target=next``.
- ``dry_run``: the same loop over the same source, without the lock, the run record or any write:
  each step and each callback is handed to the service's recorder instead of being run
  (``migrate --dry-run`` shows exactly this sequence).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Protocol

from flywayx.apply.ahead import Lookahead
from flywayx.apply.record import record_satisfied
from flywayx.apply.walk import Applied, ApplyOptions, Reporter, Turn, apply_one, quiet
from flywayx.db.base import Database, HistoryTable
from flywayx.db.connect import one_line
from flywayx.db.own_tables import LIVE_RUN, OwnTables
from flywayx.errors import CallbackFailed, FlywayxError, LockTimeout
from flywayx.model import HistoryRow, Migration
from flywayx.model.results import Recorded
from flywayx.model.work import Work

LOG = logging.getLogger(__name__)
Token = tuple[int | None, int, int]  # (highest installed_rank, failed rows, running progress records)


@dataclass(frozen=True)
class Step:
    """One migration to apply, and why it is in the run (the words ``plan`` and ``--dry-run`` show).

    A step whose ``work.recorded_as`` is set is *recorded*, not run: its change is already in the
    database (``plan/ledger.py``); ``retire`` is the row of the version it was renamed from.
    """

    work: Work
    reason: str = ""
    retire: HistoryRow | None = None

    @property
    def migration(self) -> Migration:
        return self.work.migration

    @property
    def recorded(self) -> bool:
        return self.work.recorded_as is not None

    @property
    def rows(self) -> int:
        """History rows the step writes."""
        return 2 if self.retire is not None else 1


class StepSource(Protocol):
    """Chooses the steps of a run. ``token`` is the history token the current choice was made from."""

    token: Token | None

    def refresh(self) -> None:
        """Read the history again (token first, then rows) and choose again; may raise a refusal."""

    def check(self, token: Token | None) -> None:
        """Under the lock, before each step: raise when no step may start (a dead runner's leftovers).
        ``token``: as just read (None in a dry run, which reads what it needs itself)."""

    def next_step(self) -> Step | None:
        """The next step, or None when the run is complete."""

    def done(self, step: Step, applied: Applied) -> None:
        """``step`` ran and wrote ``applied.rows``: advance past it."""

    def prepare(self) -> None:
        """Do ahead what the coming steps will need that comes from files alone (their statements),
        choosing nothing and reading nothing from the database: the engine hands it to
        ``Database.idle``, so it runs while the server works on a step."""

    def due_after_failure(self) -> list[Step]:
        """A step failed: the records the steps that did run made due (the history contract's rows,
        ``plan/ledger.py``), written before the failure is reported; none when nothing ran."""


@dataclass(frozen=True)
class RunRecord:
    """What ``flywayx_runs`` says about the run."""

    run_id: str
    tool_version: str
    installed_by: str
    from_release: str | None = None
    to_release: str | None = None
    phase: str | None = None
    outcome: str = "success"  # written when every step ran ("expanded" for an expand phase)


@dataclass
class RunOptions:
    lock: Callable[[], AbstractContextManager[None]]
    apply: ApplyOptions
    record: RunRecord
    stop_after_one: bool = False
    dry_run: bool = False  # record what would run; write nothing, take no lock
    lock_timeout: float = 600.0  # also bounds the time spent leaving the lock to another live run (_yield)


@dataclass
class Ran:
    """The steps a run applied, in order, with what each took."""

    steps: list[tuple[Step, Applied]] = field(default_factory=list)


def history_token(history: HistoryTable, own: OwnTables) -> Token:
    """Changes whenever any runner adds or removes a history row or leaves a ``running`` progress
    record behind (``HistoryTable.token``, ``OwnTables.running_sql``): one query."""
    return history.token(own.running_sql())


def _advance(token: Token, rows: int) -> Token:
    """The token after this runner wrote ``rows`` more successful rows (ranks are the highest + 1)."""
    return (token[0] or 0) + rows, token[1], token[2]


def run_steps(
    db: Database, history: HistoryTable, own: OwnTables, source: StepSource, opts: RunOptions, report: Reporter = quiet
) -> Ran:
    """Apply ``source``'s steps one per lock; record the run's outcome; re-raise a failure."""
    record = opts.record
    ahead = Lookahead(db, own, record.run_id, held=not opts.dry_run and not opts.stop_after_one)
    if opts.dry_run:
        ran = Ran()
        _loop(db, history, own, source, opts, report, ran, ahead)
        return ran
    ahead.held = ahead.held and db.hold_run(record.run_id)  # sent with the run record
    own.start_run(
        record.run_id,
        from_release=record.from_release,
        to_release=record.to_release,
        phase=record.phase,
        tool_version=record.tool_version,
        installed_by=record.installed_by,
    )
    ran = Ran()
    try:
        _loop(db, history, own, source, opts, report, ran, ahead)
    except Exception as err:
        _fire(opts, "afterMigrateError", report, quietly=True, failure=err)
        _record_due(db, history, own, source, opts, report, ran, err)
        unclosed = _finish(db, own, record.run_id, "failed", str(err), ahead)
        if unclosed and isinstance(err, FlywayxError):
            err.warn(unclosed)
        elif unclosed:
            LOG.warning("WARNING: %s", unclosed)
        raise
    unclosed = _finish(db, own, record.run_id, record.outcome, f"{len(ran.steps)} applied", ahead)
    if unclosed:
        LOG.warning("WARNING: %s", unclosed)
    return ran


def _loop(
    db: Database,
    history: HistoryTable,
    own: OwnTables,
    source: StepSource,
    opts: RunOptions,
    report: Reporter,
    ran: Ran,
    ahead: Lookahead,
) -> None:
    _fire(opts, "beforeMigrate", report)
    repeatables = False
    expected = token = source.token
    lock = (lambda: nullcontext()) if opts.dry_run else opts.lock
    peeked: list[Step | None] = [None]  # the next step, chosen before the previous one's COMMIT
    waits = 0
    yielding_since = 0.0
    while True:
        _yield(db, waits)
        if not opts.dry_run:  # the token and the session reset travel behind the lock (MySQL, PostgreSQL)
            db.prefetch(history.token_sql(own.running_sql()))
            db.restore_session(opts.apply.default_schema, ahead=True)
        with lock():
            if not opts.dry_run:
                token = history_token(history, own)
                if token[2] >= LIVE_RUN:  # another live run is between two of its steps: let it go on
                    yielding_since = yielding_since or time.monotonic()
                    if time.monotonic() - yielding_since > opts.lock_timeout:
                        raise _stuck_live_run(opts.lock_timeout)
                    waits += 1
                    continue
                waits, yielding_since = 0, 0.0
            if token != expected:  # another runner wrote to the history: read it again, choose again
                source.refresh()
                token = source.token or token
                peeked[0] = None
            source.check(None if opts.dry_run else token)
            step = peeked[0] or source.next_step()
            peeked[0] = None
            written_ahead = step is not None and ahead.take(step.work)
            if step is None:
                ahead.drop()
                break
            if step.migration.version is None and not repeatables and not step.recorded:
                _fire(opts, "afterVersioned", report)
                _fire(opts, "beforeRepeatables", report)
                repeatables = True
            rank = None if token is None else (token[0] or 0) + 1
            if not opts.dry_run and not step.recorded:
                db.idle(source.prepare)  # while the server runs the step's statements
            turn = Turn(written_ahead, _Next(source, step, ahead, peeked), commit_later=True)
            done = _apply(db, history, own, step, opts, report, rank, turn)
            ran.steps.append((step, done))
            if step.recorded or opts.dry_run:
                source.done(step, done)
            expected = token if opts.dry_run or token is None else _advance(token, step.rows)
        if opts.stop_after_one and not step.recorded:
            break
    if not repeatables:
        _fire(opts, "afterVersioned", report)
    if any(not step.recorded for step, _ in ran.steps):
        _fire(opts, "afterMigrateApplied", report)
    _fire(opts, "afterMigrate", report)
    if not opts.dry_run:
        db.commit()


def _stuck_live_run(timeout: float) -> LockTimeout:
    """Another run's session is alive and has written its next step's record, but for ``timeout`` seconds
    has not come back for the lock to run it (a stopped process, a stalled network the server has not
    noticed): this run gives up instead of leaving the lock to it forever."""
    return LockTimeout(
        f"Another flywayx run has been about to run its next migration for over {timeout:g} s without taking "
        "the migration lock (its session is alive, its progress record written ahead)",
        hint="if that run's process is stopped or gone, end its session on the server (the session holding "
        "the lock named 'flywayx-run:<run id>', see `SELECT * FROM flywayx_progress`), then run again; or "
        "raise lock_timeout",
        timeout=timeout,
    )


def _yield(db: Database, waits: int) -> None:
    """``waits`` times in a row, another live run had written its next step's progress record ahead
    (``apply.ahead``): it waits for the lock this runner held. The first time, the release goes with
    the next GET_LOCK, which the server then makes wait for that run's step. Seen again, that run is
    not waiting (its session is ending: the server frees its locks one by one): the lock goes now, and
    a pause that grows with each turn keeps this from being a busy loop."""
    if waits > 1:
        db.commit()  # sends the queued release
        time.sleep(min(0.01 * waits, 0.5))


@dataclass
class _Next:
    """Called by ``apply_one`` before the step's COMMIT (still under the lock, the history as this run
    expects it): advance the source past the step, choose the next step now and, where it pays, write
    its progress record ahead in that COMMIT (``apply.ahead``)."""

    source: StepSource
    step: Step
    ahead: Lookahead
    peeked: list[Step | None]

    def __call__(self, applied: Applied) -> None:
        self.source.done(self.step, applied)
        if not self.ahead.held:
            return
        try:
            following = self.source.next_step()
        except Exception:  # a refusal: the next turn of the loop raises it, under the lock, after check
            return
        self.peeked[0] = following  # the loop takes it unless another runner changed the history
        if following is not None and not following.recorded:
            self.ahead.write(following.work)


def _record_due(
    db: Database,
    history: HistoryTable,
    own: OwnTables,
    source: StepSource,
    opts: RunOptions,
    report: Reporter,
    ran: Ran,
    failure: Exception,
) -> None:
    """After a failed step: write the rows the steps that ran made due (e.g. another line's declared
    equivalent of a change that ran, its release now reached), which the run would have written at
    its end or at their turn; the failure (a FlywayxError) lists them (``recorded_after_failure``, in
    the JSON error). Never raises: a failure here becomes a warning of the run's error."""
    if not any(not step.recorded for step, _ in ran.steps):
        return  # nothing ran: a refusal or a first failure changes nothing more
    written: list[Step] = []
    try:
        db.rollback()
        with opts.lock():
            source.refresh()  # the history as it is now, under the lock (another runner may have written)
            for step in source.due_after_failure():
                done = _apply(db, history, own, step, opts, report, None)
                ran.steps.append((step, done))
                source.done(step, done)
                written.append(step)
    except Exception as err:
        text = f"the rows this run's migrations made due could not be written: {one_line(str(err))}"
        if isinstance(failure, FlywayxError):
            failure.warn(text)
        else:
            LOG.warning("WARNING: %s", text)
    if written and isinstance(failure, FlywayxError):
        failure.details["recorded_after_failure"] = [
            Recorded(st.migration, st.work.recorded_as or "", st.work.satisfied_by or "", st.work.release).to_json()
            for st in written
        ]


def _apply(
    db: Database,
    history: HistoryTable,
    own: OwnTables,
    step: Step,
    opts: RunOptions,
    report: Reporter,
    rank: int | None,
    turn: Turn | None = None,
) -> Applied:
    """``rank``: the rank the step's row takes (the highest read under the lock, + 1). A run step's
    ``turn.before_commit`` advances the source (``_Next``); the caller does it for the others."""
    if opts.dry_run:
        return _dry(step, opts, report)
    if step.recorded:
        return record_satisfied(db, history, own, step.work, opts.apply, report, step.retire)
    try:
        return apply_one(db, history, own, step.work, opts.apply, report, rank, turn)
    except Exception as err:
        _fire(opts, "afterEachMigrateError", report, quietly=True, migration=step.migration, failure=err)
        raise


def _dry(step: Step, opts: RunOptions, report: Reporter) -> Applied:
    """What ``apply_one`` would do, told to the recorder (callbacks) and the reporter (the step)."""
    m, statements = step.migration, step.work.statements
    if step.recorded:
        report("migration.dry", {"step": step})
        return Applied(m, 0, 0)
    _fire(opts, "beforeEachMigrate", report, migration=m)
    report("migration.dry", {"step": step})
    for _ in statements if opts.apply.each_statement and statements else ():
        _fire(opts, "beforeEachMigrateStatement", report, migration=m)
        _fire(opts, "afterEachMigrateStatement", report, migration=m)
    _fire(opts, "afterEachMigrate", report, migration=m)
    return Applied(m, 0, len(statements) if statements is not None else 1)


def _fire(
    opts: RunOptions,
    event: str,
    report: Reporter,
    *,
    quietly: bool = False,
    migration: Migration | None = None,
    failure: BaseException | None = None,
) -> None:
    """Run an event's callbacks. ``quietly``: an error callback that fails itself must not hide the
    error being reported (``failure``): its own failure becomes a warning of that error (``warning:``
    after the error's hint, ``warnings`` in JSON), and a reporter event."""
    fire = opts.apply.callbacks
    if fire is None:
        return
    if not quietly:
        fire(event, migration)
        return
    try:
        fire(event, migration)
    except Exception as err:
        cause = err.__cause__ if isinstance(err, CallbackFailed) and err.__cause__ else err  # already names the event
        text = f"the {event} callback failed too: {one_line(str(cause))}"
        if isinstance(failure, FlywayxError):
            failure.warn(text)
        else:
            LOG.warning("WARNING: %s", text)
        report("callback.failed", {"event": event, "error": str(err)})


def _finish(db: Database, own: OwnTables, run_id: str, outcome: str, detail: str, ahead: Lookahead) -> str | None:
    """Close the run record (and remove a progress record written ahead for a step that did not run).
    Never raises: a connection already gone leaves the record ``running`` and the warning saying so is
    returned (the caller adds it to the run's error, or logs it)."""
    try:
        db.rollback()
        ahead.drop()
        own.finish_run(run_id, outcome, detail)
    except Exception as err:
        return (
            f"run {run_id} could not be closed in flywayx_runs and stays 'running' "
            f"({type(err).__name__}: {one_line(str(err))})"
        )
    return None


__all__ = ["Ran", "RunOptions", "RunRecord", "Step", "StepSource", "Token", "history_token", "run_steps"]
