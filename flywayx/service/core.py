"""Flyway's info, validate and migrate (flyway-semantics.md §5).

``migrate`` gathers (the session), chooses (a step source from ``service/steps.py``: Flyway's order,
or a release plan with ``--to``/``--phase``), validates the same way for every source, prepares
the history table and hands the steps to the one engine (``apply/run.py``). baseline/repair/clean
are in ``service/admin.py``; ``--resume`` in ``service/resume.py``; the session kernel in
``service/kernel.py``.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass

from flywayx import apply
from flywayx.apply.run import RunOptions, RunRecord, history_token, run_steps
from flywayx.errors import FlywayxError
from flywayx.model import Config, Kind, MigrationType
from flywayx.model.results import (
    TOOL_VERSION,
    AppliedItem,
    InfoReport,
    InvalidMigration,
    MigrateReport,
    ValidateReport,
)
from flywayx.service import lines, resume, steps
from flywayx.service.kernel import Reporter, Session, apply_options, callbacks, session
from flywayx.service.prepare import prepare_history
from flywayx.service.validation import validation_error, validation_issues

# ---------------------------------------------------------------------------------------------------
# info / validate


def info(config: Config) -> InfoReport:
    with session(config) as s:
        callbacks(s, apply.quiet)("beforeInfo", None)
        result = s.info()
        current = result.current()
        empty = all(s.schema_empty(name) for name in s.schemas)
        report = InfoReport(s.header(), list(result.migrations),
                            current.version.text if current and current.version else None, empty,
                            warnings=list(s.found.warnings))
        graph = lines.release_graph(s)
        if graph is not None:
            report.releases = lines.release_columns(s, graph)
            report.current_releases = lines.current(s, graph)
            report.phase_state = lines.phase_state(s)
        return report


def validate(config: Config) -> ValidateReport:
    with session(config) as s:
        issues, count = validation_issues(s)
        warnings = [] if s.found.migrations else ["No migrations found. Are your locations set up correctly?"]
        invalid = [InvalidMigration(i.version, i.description, i.script, i.code, i.message) for i in issues]
        return ValidateReport(s.header(), invalid, count, warnings + list(s.found.warnings))


# ---------------------------------------------------------------------------------------------------
# migrate


@dataclass(frozen=True)
class MigrateOptions:
    resume: bool = False
    dry_run: bool = False
    backup_dir: str | None = None
    to_release: str | None = None
    phase: str | None = None


def migrate(config: Config, options: MigrateOptions = MigrateOptions(),
            report: Reporter = apply.quiet) -> MigrateReport:
    """Flyway's migrate (or ``--to``/``--phase``): validate, create schemas and history, run the steps."""
    started = time.monotonic()
    with session(config) as s:
        if options.backup_dir is not None:
            _backup_first(s, options.backup_dir)
        if options.resume:
            resume.prepare_resume(s)
        else:
            with s.lock():
                resume.refuse_interrupted(s)
        source = steps.source_for(s, options.to_release, options.phase, options.resume)
        if config.validate_on_migrate:
            issues = source.validation()
            if issues:
                raise validation_error([i.message for i in issues])
        if isinstance(source, steps.ReleasePlan):
            _ = source.plan  # refuse impossible paths before touching anything
        prepare_history(s)
        if history_token(s.history) != source.token:
            source.refresh()
        initial = source.current_text()
        run_id = str(uuid.uuid4())
        ran = run_steps(s.db, s.history, s.own, source, _run_options(s, source, run_id, options, report), report)
        warnings = list(s.found.warnings)
        if isinstance(source, steps.ReleasePlan):
            warnings += list(source.plan.warnings)
        applied = [AppliedItem(step.migration, done.execution_time, step.work.release, step.work.line)
                   for step, done in ran.steps]
        warnings += _record_state(s, run_id)
        return MigrateReport(s.header(), initial, source.current_text(), applied, warnings,
                             int((time.monotonic() - started) * 1000),
                             to_release=source.plan.target if isinstance(source, steps.ReleasePlan) else None,
                             phase=options.phase)


def _run_options(s: Session, source: steps.FlywayOrder | steps.ReleasePlan, run_id: str,
                 options: MigrateOptions, report: Reporter) -> RunOptions:
    from_release = to_release = None
    if isinstance(source, steps.ReleasePlan):
        from_release, to_release = ",".join(source.plan.from_releases) or None, source.plan.target
    record = RunRecord(run_id, TOOL_VERSION, s.installed_by, from_release, to_release, options.phase,
                       "expanded" if options.phase == "expand" else "success")
    next_only = isinstance(source, steps.FlywayOrder) and s.config.target.lower() == "next"
    return RunOptions(s.lock, apply_options(s, run_id, callbacks(s, report)), record, stop_after_one=next_only)


def _backup_first(s: Session, dest: str) -> None:
    """migrate --backup: a checked dump before anything changes; any failure stops the migrate."""
    from flywayx.service import safety

    taken = safety.backup_before_migrate(s, dest)
    s.own.pending_backup = str(taken.path) if taken is not None else None


def _record_state(s: Session, run_id: str | None) -> list[str]:
    """Record the schema for `verify`; a failure here must not turn a successful migrate into an error."""
    from flywayx.service import safety

    if not s.history.exists():
        return []
    try:
        safety.record_state(s, run_id)
    except FlywayxError as err:
        with contextlib.suppress(Exception):  # the connection may be gone; the warning says enough
            s.db.rollback()
        return [f"could not record the schema state for `flywayx verify`: {err.message}"]
    return []


__all__ = ["Kind", "MigrateOptions", "MigrationType", "info", "migrate", "validate"]
