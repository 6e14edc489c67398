"""Release-line commands: ``migrate --to``, ``plan``, ``graph`` and the release columns of ``info``.

Gathers what the pure planner (``plan/interleave.py``) needs — the release graph, each migration's
content id and footprint, the Flyway history and flywayx's per-line history — and walks the plan
with ``apply``, one step per lock, re-planning under the lock so concurrent runners agree.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flywayx import apply
from flywayx.errors import StateError
from flywayx.model import Statement
from flywayx.model.footprint import Footprint, Phase, shared_objects
from flywayx.model.plan import Change, LineRecord, Plan, PlanStep
from flywayx.model.release import ReleaseGraph
from flywayx.model.results import TOOL_VERSION, AppliedItem, MigrateReport
from flywayx.model.version import Version
from flywayx.model.work import Work
from flywayx.plan.interleave import plan_migrate
from flywayx.plan.releases import current_releases, infer_releases
from flywayx.service.analysis import Footprints, jobs_of
from flywayx.service.core import (
    MigrateOptions,
    Session,
    _finish,
    _validation,
    load_statements,
)
from flywayx.service.core import validation_error as _validation_error
from flywayx.service.prepare import _prepare_history, announce
from flywayx.sources.checksum import read_migration_text
from flywayx.sources.content_id import content_id, content_id_of_python
from flywayx.sources.releases import find_releases_file, load_releases


def release_graph(s: Session) -> ReleaseGraph | None:
    """The validated graph, or None without a releases.toml (plain Flyway behaviour)."""
    path = find_releases_file(list(s.config.locations), s.config.releases_file)
    if path is None:
        return None
    return load_releases(path, [m for m in s.found.migrations])


def require_graph(s: Session) -> ReleaseGraph:
    graph = release_graph(s)
    if graph is None:
        raise StateError("No releases.toml found: release lines are not declared for these migrations",
                         hint="create releases.toml at the root of the first location, or pass --releases FILE")
    return graph


@dataclass
class Analysed:
    """Changes with their statements, computed once per command."""

    changes: list[Change]
    statements: dict[str, list[Statement] | None]


def analyse(s: Session) -> Analysed:
    """Content id of every versioned/baseline/repeatable migration now; footprints as they are
    needed (``service/analysis.py``: in a background worker for large projects)."""
    statements: dict[str, list[Statement] | None] = {}
    ids: dict[str, str] = {}
    for m in s.found.migrations:
        if m.is_python:
            ids[m.script] = content_id_of_python(read_migration_text(m.path, m.encoding))
            statements[m.script] = None
            continue
        stmts = load_statements(m, s.config, s.placeholders, s.dialect)
        ids[m.script] = content_id(stmts, s.dialect)
        statements[m.script] = stmts
    prints = Footprints(jobs_of(s.found.migrations, statements), s.dialect, _server_version(s))
    s.cleanups.append(prints.close)
    changes = [Change(m, ids[m.script], prints.of(m.script)) if statements[m.script] is not None
               else Change(m, ids[m.script]) for m in s.found.migrations]
    return Analysed(changes, statements)


def _server_version(s: Session) -> str | None:
    try:
        return s.db.server_version()
    except Exception:
        return None


def line_records(s: Session) -> list[LineRecord]:
    if not s.history.exists() or not s.own.exists():
        return []
    out = []
    for row in s.own.applied():
        if row["version"] and row["success"]:
            out.append(LineRecord(Version.parse(row["version"]), row["content_id"], row["release_name"]))
    return out


def make_plan(s: Session, graph: ReleaseGraph, analysed: Analysed, target: str | None) -> Plan:
    return plan_migrate(graph, analysed.changes, s.rows(), target, line_records=line_records(s),
                        policy=dict(graph.ordering))


def select_phase(plan: Plan, phase: str | None, analysed: Analysed) -> list[PlanStep]:
    """``expand``: the expand steps that depend on no pending contract step; ``contract``/None: all."""
    if phase != "expand":
        return list(plan.steps)
    prints = {c.migration.script: c.footprint for c in analysed.changes}
    blocked: list[Footprint] = []
    chosen = []
    for step in plan.steps:
        fp = prints.get(step.migration.script, Footprint())
        if step.phase is Phase.EXPAND and not any(shared_objects(b, fp) for b in blocked):
            chosen.append(step)
        else:
            blocked.append(fp)
    return chosen


def migrate_to(s: Session, target: str | None, options: MigrateOptions, phase: str | None,
               report: apply.Reporter) -> MigrateReport:
    """Upgrade to release ``target`` along the plan (one step per lock, re-planned under the lock)."""
    started = time.monotonic()
    graph = require_graph(s)
    analysed = analyse(s)
    if s.config.validate_on_migrate:
        issues, _ = _validation(s, ["*:pending", "*:ignored"])
        issues = [i for i in issues if i.code not in ("RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED",)]
        if issues:
            raise _validation_error([i.message for i in issues])
    plan = make_plan(s, graph, analysed, target)  # refuse impossible paths before touching anything
    initial = _prepare_history(s)
    announce(s, report, initial)
    run_id = str(uuid.uuid4())
    s.own.start_run(run_id, from_release=",".join(plan.from_releases) or None, to_release=plan.target,
                    phase=phase, tool_version=TOOL_VERSION, installed_by=s.installed_by)
    try:
        applied = _walk(s, graph, analysed, target, phase, run_id, report)
    except Exception as err:
        _finish(s, run_id, "failed", str(err))
        raise
    _finish(s, run_id, "expanded" if phase == "expand" else "success", f"{len(applied)} applied")
    current = s.info(target="latest").current()
    return MigrateReport(s.header(), initial, current.version.text if current and current.version else None,
                         applied, list(plan.warnings), int((time.monotonic() - started) * 1000),
                         to_release=plan.target, phase=phase)


def _walk(s: Session, graph: ReleaseGraph, analysed: Analysed, target: str | None, phase: str | None,
          run_id: str, report: apply.Reporter) -> list[AppliedItem]:
    from flywayx.service.core import _callbacks, apply_options
    from flywayx.service.resume import refuse_interrupted

    fire = _callbacks(s, report)
    opts = apply_options(s, run_id, fire)
    by_script = {c.migration.script: c for c in analysed.changes}
    fire("beforeMigrate", None)
    applied: list[AppliedItem] = []
    queue: list[PlanStep] = []
    planned_at: tuple[Any, ...] | None = None  # the history state the queue was planned from
    while True:
        with s.db.lock(s.default_schema, s.config.table, s.config.lock_timeout):
            refuse_interrupted(s)  # another runner may have been killed mid-migration since we started
            state = _history_state(s)
            if state != planned_at:  # someone else changed the history: plan again
                queue = select_phase(make_plan(s, graph, analysed, target), phase, analysed)
            if not queue:
                break
            step = queue.pop(0)
            change = by_script[step.migration.script]
            work = Work(step.migration, analysed.statements[step.migration.script], step.release, step.line,
                        _phase_of(step), change.content_id, step.out_of_order)
            done = apply.apply_one(s.db, s.history, s.own, work, opts, report)
            applied.append(AppliedItem(step.migration, done.execution_time, step.release, step.line))
            planned_at = (state[0] + 1, (state[1] or 0) + 1)  # our own row: the rest of the queue still holds
    if applied:
        fire("afterMigrateApplied", None)
    fire("afterMigrate", None)
    s.db.commit()
    return applied


def _phase_of(step: PlanStep) -> Callable[[], str]:
    """The step's phase, asked for only when its history row is written (footprints may still be
    computed in the background while the first steps run)."""
    return lambda: step.phase.value


def _history_state(s: Session) -> tuple[Any, ...]:
    """A cheap token of the history table's content (row count and highest rank)."""
    table = s.db.quote(s.default_schema, s.config.table)
    return tuple(s.db.query(f"SELECT COUNT(*), MAX(installed_rank) FROM {table}")[0])


def plan_for(s: Session, target: str | None, phase: str | None) -> tuple[Plan, list[PlanStep], Analysed]:
    """The plan to release ``target``; without releases.toml (and without ``target``) the pending
    migrations in the order plain ``migrate`` applies them (``flyway_plan``)."""
    graph = release_graph(s)
    if graph is None and target is None:
        analysed = analyse(s)
        plan = flyway_plan(s, analysed)
        return plan, select_phase(plan, phase, analysed), analysed
    graph = graph or require_graph(s)
    analysed = analyse(s)
    plan = make_plan(s, graph, analysed, target)
    return plan, select_phase(plan, phase, analysed), analysed


def flyway_plan(s: Session, analysed: Analysed) -> Plan:
    """Flyway's order, as ``info`` computes it: pending versions ascending (out-of-order ones only
    with outOfOrder), then new or changed repeatables by description; nothing else runs."""
    result = s.info()
    current = result.current()
    at = current.version if current is not None else None
    by_script = {c.migration.script: c for c in analysed.changes}
    applied_repeatables = {r.description for r in s.rows() if r.version is None}
    steps = []
    for m in result.pending():
        if m.resolved is None:
            continue
        if m.version is None:
            why = "repeatable: checksum changed" if m.description in applied_repeatables else "repeatable: new"
        else:
            why = "pending (plain Flyway order: no releases.toml)"
        late = m.version is not None and at is not None and m.version < at
        steps.append(PlanStep(by_script[m.resolved.script], None, None, why, late))
    return Plan(tuple(steps), None, (), tuple(s.found.warnings), from_version=at.text if at is not None else None)


def release_columns(s: Session, graph: ReleaseGraph) -> dict[str, tuple[str | None, str | None]]:
    """version text -> (release, line) for info's extra columns."""
    out: dict[str, tuple[str | None, str | None]] = {}
    for m in s.found.migrations:
        if m.version is None:
            continue
        owner = graph.owner(m.version, inclusive=m.kind.value == "baseline")
        release = graph.get(owner) if owner else None
        out[m.version.text] = (owner, release.line if release else (owner.split(" ")[0] if owner else None))
    return out


def current(s: Session, graph: ReleaseGraph) -> list[str]:
    applied = [r.version for r in s.rows() if r.version is not None and r.success and r.type.upper() != "DELETE"]
    matches = infer_releases(graph, s.found.migrations, applied)
    exact = [m.release for m in matches if m.exact]
    if exact or not matches:
        return exact
    return [f"{m.release} (partly: {len(m.missing)} of its migrations not applied)" for m in matches]


def phase_state(s: Session) -> str | None:
    """"expanded to R, contract pending" when the last run was an expand phase."""
    if not s.history.exists() or not s.own.exists():
        return None
    runs = [r for r in s.own.runs() if r["outcome"] in ("expanded", "success")]
    if runs and runs[-1]["outcome"] == "expanded":
        return f"expanded to {runs[-1]['to_release']}, contract pending"
    return None




def graph_view(s: Session, target: str | None) -> tuple[ReleaseGraph, list[str], list[str]]:
    """The graph, the database's current releases and the releases the plan to ``target`` passes."""
    graph = require_graph(s)
    applied = [r.version for r in s.rows() if r.version is not None and r.success and r.type.upper() != "DELETE"]
    status = current_releases(graph, s.found.migrations, applied)
    now = [name for name in status.values() if name]
    path: list[str] = []
    if target is not None:
        plan = make_plan(s, graph, analyse(s), target)
        path = sorted({st.release for st in plan.steps if st.release})
    return graph, now, path
