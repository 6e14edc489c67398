"""Flyway's migrate and flywayx's plan (flyway-semantics.md §5); info and validate are ``service/status.py``.

``migrate`` gathers (the session), chooses (a step source from ``service/steps.py``: Flyway's order,
or a release plan with ``--to``/``--phase``), validates the same way for every source, prepares
the history table and hands the steps to the one engine (``apply/engine.py``). baseline/repair/clean
are in ``service/admin.py``; ``--resume`` in ``service/resume.py``; the session kernel in
``service/kernel.py``.
"""

from __future__ import annotations

import contextlib
import functools
import operator
import os
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flywayx import apply
from flywayx.apply import Applied
from flywayx.apply.engine import Ran, RunOptions, RunRecord, Step, history_token, run_steps
from flywayx.errors import FlywayxError
from flywayx.model import Config, HistoryRow, Kind, MigrationType, Statement
from flywayx.model.later import Later
from flywayx.model.plan import OperatorSummary, Plan, PlanStep
from flywayx.model.results import TOOL_VERSION
from flywayx.model.write_results import AppliedItem, MigrateReport, Recorded, Waiting
from flywayx.plan.summary import summarize
from flywayx.service import lines, resume, steps, upgrade
from flywayx.service.kernel import Reporter, Session, apply_options, callbacks, session, statements_of
from flywayx.service.prepare import announce, prepare_history, require_history_schema
from flywayx.service.validation import validation_error

# What a plain migrate does not run is imported where it is used: the dry run (``--dry-run``, ``plan``),
# the Galera checks (a Galera node) and the rolling schema upgrade (``--rsu``) (docs/decisions/startup.md).
if TYPE_CHECKING:
    from flywayx.plan.ledger import Record  # a releases.toml's history contract (service/steps.py)
    from flywayx.service import dryrun

# ---------------------------------------------------------------------------------------------------
# migrate


@dataclass(frozen=True)
class MigrateOptions:
    resume: bool = False
    in_flight: str | None = None  # --resume --in-flight done|redo: the operator settles the statement
    dry_run: bool = False
    backup_dir: str | None = None
    to_release: str | None = None
    phase: str | None = None
    show_sql: bool = False  # --dry-run --sql: the statements of every step and callback
    rsu: bool = False  # --phase expand --rsu: Galera rolling schema upgrade, node by node (service/rsu.py)


def migrate(
    config: Config, options: MigrateOptions = MigrateOptions(), report: Reporter = apply.quiet
) -> MigrateReport:
    """Flyway's migrate (or ``--to``/``--phase``): validate, create schemas and history, run the steps.

    ``options.dry_run``: the same choices and refusals, recorded instead of run (``service/dryrun.py``).
    """
    started = time.monotonic()
    with session(config, read_only=options.dry_run) as s:
        s.require_writable()  # a dry run is refused where the run would be
        require_history_schema(s)
        if options.dry_run:
            from flywayx.service import dryrun, rsu

            recorder = dryrun.Recorder(s, options.show_sql)
            chosen = choose(s, options, recorder)
            if options.rsu:
                rsu.check(s, options.phase, _pending_statements(s, chosen))
            summary = _due(operator_summary(s, chosen, options.backup_dir))
            _say_summary(report, summary)
            announce(s, report, chosen.initial_text())  # where the run would start, as the real run says it
            dry = dryrun.migrate(s, chosen, recorder, options.phase, started)
            dry.summary = summary
            return dry
        if options.backup_dir is not None and options.resume:  # settling a resumed run writes: dump first
            _backup_first(s, options.backup_dir, report)
        source = choose(s, options, report=report)
        for _ in range(2):  # the first steps split while the server prepares the history (Database.idle)
            s.db.idle(source.prepare)
        summary = _due(operator_summary(s, source, options.backup_dir))
        _say_summary(report, summary)  # before the backup and the first step: what the run will do
        if options.backup_dir is not None and not options.resume:  # a refused run takes no backup
            _backup_first(s, options.backup_dir, report)
        pending = _pending_statements(s, source) if options.rsu else []
        if options.rsu:
            from flywayx.service import rsu

            rsu.check(s, options.phase, pending)
        prepare_history(s)
        upgrade.fill_content_ids(s, source.analysed)
        source.sync(history_token(s.history, s.own))
        initial = source.initial_text()
        announce(s, report, initial)
        run_id = str(uuid.uuid4())
        run_options = _run_options(s, source, run_id, options, report)
        if options.rsu:
            ran = _rolling(s, source, dict((k, v) for k, v in pending if v is not None), run_options, report)
        else:
            ran = run_steps(s.db, s.history, s.own, source, run_options, report)
        warnings = list(s.found.warnings)
        if isinstance(source, steps.ReleasePlan):
            warnings += list(source.plan.warnings)
        warnings += _record_state(s, run_id, source.history(), changed=bool(ran.steps))
        return MigrateReport(
            s.header(),
            initial,
            source.current_text(),
            applied_items(ran.steps),
            warnings,
            int((time.monotonic() - started) * 1000),
            to_release=source.plan.target if isinstance(source, steps.ReleasePlan) else None,
            phase=options.phase,
            recorded=recorded_items(ran.steps),
            backup=_absolute(s.own.pending_backup),
            waiting=source.waiting() if isinstance(source, steps.ReleasePlan) else [],
            summary=summary,
        )


def operator_summary(
    s: Session, source: steps.Source, backup_dir: str | None, chosen: Sequence[PlanStep] | None = None
) -> OperatorSummary:
    """What a run of ``source`` will do, for the operator (``plan/summary.py``); ``chosen``: the steps
    when not the source's own (``plan`` in Flyway's order). ``migrate`` prints it unless nothing is due."""
    if isinstance(source, steps.ReleasePlan):
        plan = source.plan
        chosen = source.selected() if chosen is None else chosen
        origin, target, deferred = ", ".join(plan.from_releases), plan.target or "latest", plan.skipped
    else:
        chosen = source.preview() if chosen is None else chosen
        target, deferred = s.config.target or "latest", ()
        origin = ", ".join(lines.current(s, source.graph)) if chosen and source.graph is not None else ""
    at = source.initial_text()
    origin = origin or (f"schema version {at}" if at else "an empty database")
    backup = (
        (f"into {backup_dir}, a dump of every schema before the first change (put it back with `flywayx restore`)")
        if backup_dir is not None
        else None
    )
    return summarize(chosen, origin, target, backup=backup, deferred=deferred)


def _due(summary: OperatorSummary) -> OperatorSummary | None:
    """The summary ``migrate`` prints: none when nothing is due (the up-to-date line says it all) or
    without a ``releases.toml`` (a plain Flyway project's output stays Flyway's: ``preview`` is empty)."""
    return summary if summary.steps or summary.repeatables else None


def _say_summary(report: Reporter, summary: OperatorSummary | None) -> None:
    if summary is not None:
        report("migrate.summary", {"summary": summary})


def _rolling(
    s: Session, source: steps.Source, statements: dict[str, Sequence[Statement]], opts: RunOptions, report: Reporter
) -> Ran:
    """The engine's run with each step applied to the other nodes first, then here, all in RSU mode."""
    from flywayx.service import rsu

    rolling = rsu.RollingSource(source, s, statements, report)
    s.db.execute("SET SESSION wsrep_OSU_method = 'RSU'")
    try:
        return run_steps(s.db, s.history, s.own, rolling, opts, report)
    finally:
        with contextlib.suppress(Exception):  # the connection may be gone; the session ends with it
            s.db.execute("SET SESSION wsrep_OSU_method = 'TOI'")


def _absolute(path: str | None) -> str | None:
    return os.path.abspath(path) if path is not None else None


def applied_items(ran: list[tuple[Step, Applied]]) -> list[AppliedItem]:
    """The steps that ran (Flyway's ``migrations``)."""
    return [
        AppliedItem(step.migration, done.execution_time, step.work.release, step.work.line)
        for step, done in ran
        if not step.recorded
    ]


def recorded_items(ran: list[tuple[Step, Applied]]) -> list[Recorded]:
    """The steps recorded as satisfied without running."""
    return [
        Recorded(step.migration, step.work.recorded_as or "", step.work.satisfied_by or "", step.work.release)
        for step, _ in ran
        if step.recorded
    ]


@dataclass(frozen=True)
class PlanView:
    """What ``flywayx plan`` shows: the plan, the steps this run takes, their statements, and the
    rows recorded without running (``before`` the steps: renames, earlier equivalents; ``after``)."""

    plan: Plan
    steps: list[PlanStep]
    statements: Mapping[str, Sequence[Statement] | None]
    before: list[Record]
    after: list[Record]
    summary: OperatorSummary  # what the operator reads first (the same as migrate prints)
    waiting: list[Waiting] = field(default_factory=list)  # --phase expand: steps left for --phase contract


def plan(config: Config, to_release: str | None, phase: str | None) -> PlanView:
    """``flywayx plan``: the release plan ``migrate --to`` would run, after the same validation and
    refusals (a plan that migrate would refuse is refused with migrate's error). Reads only."""
    with session(config, read_only=True) as s:
        return plan_in(s, to_release, phase)


def plan_in(s: Session, to_release: str | None, phase: str | None) -> PlanView:
    """``plan`` in a session opened read-only (``service/answers.py`` remembers what it printed)."""
    options = MigrateOptions(dry_run=True, to_release=to_release, phase=phase)
    plain = to_release is None and lines.release_graph(s) is None  # no releases.toml: Flyway's order
    from flywayx.service import dryrun

    source = choose(s, options, dryrun.Recorder(s, False), release=not plain)
    if isinstance(source, steps.FlywayOrder):
        analysed = lines.analyse(s)
        order = lines.flyway_plan(s, analysed)
        chosen = lines.select_phase(order, phase, analysed)
        return PlanView(order, chosen, analysed.statements, [], [], operator_summary(s, source, None, chosen))
    summary = operator_summary(s, source, None)  # footprints now, while the background analysis is there
    before, after = source.records_due()
    statements: Later[Sequence[Statement] | None] = Later()  # decoded from the cache only where shown
    for script in source.analysed.statements:
        statements.later(script, functools.partial(operator.getitem, source.analysed.statements, script))
    statements.update(source.sent())
    return PlanView(source.plan, source.selected(), statements, before, after, summary, source.waiting())


def choose(
    s: Session,
    options: MigrateOptions,
    recorder: dryrun.Recorder | None = None,
    *,
    release: bool = False,
    report: Reporter = apply.quiet,
) -> steps.Source:
    """Settle a resumed run, pick the step source, validate, plan: every refusal happens here, before
    anything changes, and identically for a dry run (``recorder`` set: nothing is written).
    ``release``: the release planner even without ``--to``/``--phase`` (``flywayx plan``)."""
    dry = recorder is not None
    if recorder is not None and options.backup_dir is not None:
        recorder.add("backup", directory=options.backup_dir, **_backup_check(s))
    failed: frozenset[int] = frozenset()
    if options.resume:
        if recorder is not None:
            failed = _preview_resume(s, recorder, options.in_flight)
        else:
            for warning in resume.prepare_resume(s, options.in_flight):
                report("migrate.warning", {"text": warning})  # before the run: it may fail on those ids
    elif dry:
        resume.refuse_interrupted(s)
    else:
        with s.lock():
            resume.refuse_interrupted(s)
    source = steps.source_for(s, options.to_release, options.phase, options.resume, release=release)
    if failed:  # the resumed failure's row goes before the run starts
        source.refresh(rows=[r for r in source.rows if r.installed_rank not in failed])
    if s.config.validate_on_migrate:
        issues = source.validation()
        if issues:
            raise validation_error([i.message for i in issues])
    if isinstance(source, steps.ReleasePlan):
        _ = source.plan  # refuse impossible paths before touching anything
        if options.resume:
            source.require_resumed_first()
    if s.db.cluster().kind == "galera":  # the statements are decoded from the cache only to be checked
        from flywayx.service import cluster

        cluster.refuse_unsafe_for_galera(s, _pending_statements(s, source))
    return source


def _pending_statements(s: Session, source: steps.Source) -> list[tuple[str, Sequence[Statement] | None]]:
    """The statements of the migrations this run would apply, in order (for the cluster checks)."""
    if isinstance(source, steps.ReleasePlan):
        return [(st.migration.script, source.analysed.statements.get(st.migration.script)) for st in source.selected()]
    return [(i.resolved.script, statements_of(s, i.resolved)) for i in source.pending() if i.resolved is not None]


def _preview_resume(s: Session, recorder: dryrun.Recorder, in_flight: str | None) -> frozenset[int]:
    r, entries = resume.preview(s, in_flight)
    for entry in entries:
        recorder.add("resume", **entry)
    return r.failed_ranks


def _backup_check(s: Session) -> dict[str, object]:
    """What a dry run can check of ``--backup``: the client is installed; the schemas it would dump."""
    from flywayx.service import safety

    return {"schemas": safety.backup_preview(s)}


def _run_options(
    s: Session, source: steps.Source, run_id: str, options: MigrateOptions, report: Reporter
) -> RunOptions:
    from_release = to_release = None
    if isinstance(source, steps.ReleasePlan):
        from_release, to_release = ",".join(source.plan.from_releases) or None, source.plan.target
    record = RunRecord(
        run_id,
        TOOL_VERSION,
        s.installed_by,
        from_release,
        to_release,
        options.phase,
        "expanded" if options.phase == "expand" else "success",
    )
    return RunOptions(
        s.step_lock,
        apply_options(s, run_id, callbacks(s, report)),
        record,
        stop_after_one=steps.one_step_only(s, source),
        lock_timeout=s.config.lock_timeout,
    )


def _backup_first(s: Session, dest: str, report: Reporter) -> None:
    """migrate --backup: a checked dump before anything changes; any failure stops the migrate.
    Reports ``backup.done`` (where the dump went) or ``backup.skipped`` (nothing exists yet)."""
    from flywayx.service import safety

    taken = safety.backup_before_migrate(s, dest)
    s.own.pending_backup = str(taken.path) if taken is not None else None
    if taken is None:
        report("backup.skipped", {"dir": dest})
    else:
        report(
            "backup.done",
            {
                "path": os.path.abspath(taken.path),
                "size": taken.size,
                "tool": taken.tool,
                "schemas": list(taken.schemas),
            },
        )


def _record_state(s: Session, run_id: str | None, rows: list[HistoryRow], *, changed: bool) -> list[str]:
    """Record the schema for `verify` (``rows``: the history as this run left it); a failure here must
    not turn a successful migrate into an error."""
    from flywayx.service import safety

    if not s.history.exists():
        return []
    try:
        # under the migration lock: another runner cannot be half-way through its migrations while
        # this one reads the schema, and the next seq of flywayx_schema_state is this runner's alone
        with s.lock():
            safety.record_state(s, run_id, rows, changed=changed)
    except FlywayxError as err:
        with contextlib.suppress(Exception):  # the connection may be gone; the warning says enough
            s.db.rollback()
        return [f"could not record the schema state for `flywayx verify`: {err.message}"]
    return []


__all__ = ["Kind", "MigrateOptions", "MigrationType", "migrate", "plan", "plan_in"]
