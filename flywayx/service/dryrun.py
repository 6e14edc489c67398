"""``migrate --dry-run``: the run, recorded instead of executed.

The real run's own pieces decide what happens — the same step source (``service/steps.py``), the
same validation and refusals (``core.choose``), the same preparation decision (``prepare.preparation``)
and the same runner loop (``apply/engine.py`` with ``dry_run``), which hands each step and each
callback to the ``Recorder`` here instead of running it. Nothing is written anywhere: no schema, no
history row, no flywayx table, no lock (the runner takes none in a dry run), no backup file.

The result is a ``MigrateReport`` with ``dry_run`` set and ``actions``: what would run, in order,
each a JSON-ready dict (``action`` names it), with the exact statements when ``show_sql``.
"""

from __future__ import annotations

import time
from typing import Any

from flywayx.apply import Applied
from flywayx.apply.engine import RunOptions, RunRecord, Step, run_steps
from flywayx.model import Migration
from flywayx.model.results import TOOL_VERSION
from flywayx.model.write_results import AppliedItem, MigrateReport, Recorded
from flywayx.service.kernel import Session, apply_options, load_statements, statements_of
from flywayx.service.prepare import Preparation, missing_schemas, preparation
from flywayx.service.steps import ReleasePlan, Source, one_step_only
from flywayx.service.upgrade import missing_content_ids


class Recorder:
    """Collects a dry run's actions in the order the real run would take them."""

    def __init__(self, s: Session, show_sql: bool) -> None:
        self.s = s
        self.show_sql = show_sql
        self.actions: list[dict[str, Any]] = []

    def add(self, action: str, **fields: Any) -> None:
        self.actions.append({"action": action, **fields})

    def fire(self, event: str, _m: Migration | None) -> None:
        """The callback dispatcher's stand-in: which scripts the event would run."""
        if self.s.config.skip_default_callbacks:
            return
        for cb in self.s.found.callbacks.get(event, []):
            extra = self._sql(load_statements(cb, self.s.config, self.s.placeholders, self.s.dialect))
            self.add("callback", event=event, script=cb.script, **extra)

    def report(self, event: str, data: dict[str, Any]) -> None:
        if event == "migration.dry":
            self.step(data["step"])

    def step(self, step: Step) -> None:
        m, work = step.migration, step.work
        if step.recorded:
            retired = step.retire.version.text if step.retire is not None and step.retire.version else None
            self.add(
                "record",
                version=m.version.text if m.version is not None else None,
                description=m.description,
                script=m.script,
                release=work.release,
                recordedAs=work.recorded_as,
                satisfiedBy=work.satisfied_by,
                retires=retired,
                reason=step.reason,
            )
            return
        statements = work.statements if work.statements is not None else statements_of(self.s, m)
        extra = (
            self._sql(statements)
            if statements is not None
            else (
                {"statements": [{"line": 0, "sql": f"-- Python migration {m.script}: migrate(conn)"}]}
                if self.show_sql
                else {}
            )
        )
        self.add(
            "migrate",
            version=m.version.text if m.version is not None else None,
            description=m.description,
            script=m.script,
            type=m.type.value,
            release=work.release,
            line=work.line,
            reason=step.reason,
            outOfOrder=work.out_of_order,
            skipStatements=work.skip_statements,
            **extra,
        )

    def prepared(self, p: Preparation) -> None:
        for name in p.schemas:
            self.add("createSchema", schema=name)
        if p.history:
            self.add("createHistoryTable", table=self.s.history.table, schema=self.s.default_schema)
        for row in p.rows:
            self.add(
                "insertHistoryRow",
                type=row.type,
                version=row.version.text if row.version else None,
                description=row.description,
                rank=row.installed_rank,
            )
        if p.own_tables:
            self.add("createFlywayxTables", schema=self.s.default_schema)

    def _sql(self, statements: Any) -> dict[str, Any]:
        if not self.show_sql:
            return {}
        return {"statements": [{"line": st.line, "sql": st.sql} for st in statements]}


def migrate(s: Session, source: Source, recorder: Recorder, phase: str | None, started: float) -> MigrateReport:
    """Walk ``source`` dry; ``recorder`` already holds what came before (backup, resume)."""
    prep = preparation(s, missing_schemas(s))  # refuses a non-empty schema as the real run would
    recorder.prepared(prep)
    for _, script, _ in missing_content_ids(s, source.analysed):
        recorder.add("fillContentId", script=script)
    if prep.history and prep.rows:
        source.refresh(rows=prep.rows)
    initial = source.initial_text()
    options = RunOptions(
        s.lock,
        apply_options(s, None, recorder.fire),
        RunRecord("", TOOL_VERSION, s.installed_by),
        stop_after_one=one_step_only(s, source),
        dry_run=True,
    )
    ran = run_steps(s.db, s.history, s.own, source, options, recorder.report)
    s.db.rollback()  # end the read transaction: nothing was written
    warnings = list(s.found.warnings) + (list(source.plan.warnings) if isinstance(source, ReleasePlan) else [])
    applied = [_item(step, done) for step, done in ran.steps if not step.recorded]
    recorded = [
        Recorded(step.migration, step.work.recorded_as or "", step.work.satisfied_by or "", step.work.release)
        for step, _ in ran.steps
        if step.recorded
    ]
    target = source.plan.target if isinstance(source, ReleasePlan) else None
    return MigrateReport(
        s.header(),
        initial,
        source.current_text(),
        applied,
        warnings,
        int((time.monotonic() - started) * 1000),
        to_release=target,
        phase=phase,
        dry_run=True,
        actions=recorder.actions,
        recorded=recorded,
        waiting=source.waiting() if isinstance(source, ReleasePlan) else [],
    )


def _item(step: Step, done: Applied) -> AppliedItem:
    return AppliedItem(step.migration, done.execution_time, step.work.release, step.work.line)


__all__ = ["Recorder", "migrate"]
