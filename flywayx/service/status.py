"""Flyway's info and validate (flyway-semantics.md §5): they read the history and the files, change nothing.

Kept apart from ``service/core.py`` (migrate, plan) so that ``flywayx info`` and ``flywayx validate`` load
the session kernel and the info computation, not the engine, the step sources and the release planner:
those are imported only when a ``releases.toml`` asks for them (docs/decisions/startup.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flywayx.model import Config
from flywayx.model.results import InfoReport, InvalidMigration, ValidateReport
from flywayx.service import lines, resume
from flywayx.service.kernel import callbacks, session

if TYPE_CHECKING:
    from flywayx.plan.ledger import Record


def _quiet(event: str, data: dict[str, Any]) -> None:
    """The reporter of info's callbacks: says nothing (as ``flywayx.apply.quiet``)."""


def info(config: Config) -> InfoReport:
    with session(config) as s:
        callbacks(s, _quiet)("beforeInfo", None)
        result = s.info(extra_rows=resume.interrupted_rows(s))  # a killed run's migration reads Failed
        current = result.current()
        empty = all(s.schema_empty(name) for name in s.schemas)
        report = InfoReport(
            s.header(),
            list(result.migrations),
            current.version.text if current and current.version else None,
            empty,
            warnings=list(s.found.warnings),
            undo={u.version.text: u.path for u in s.found.undo if u.version is not None},
        )
        server = s.db.cluster()
        if server.kind != "single" or server.read_only:  # a plain server's info stays Flyway's
            report.cluster = server.describe()
        graph = lines.release_graph(s)
        if graph is not None:
            report.releases = lines.release_columns(s, graph)
            report.current_releases = lines.current(s, graph)
            report.phase_state = lines.phase_state(s)
        return report


def validate(config: Config) -> ValidateReport:
    """Flyway's validation. With a ``releases.toml``: of the history as the contract has it (rows the
    next migrate writes — a renamed file, an equivalent change — count, with a warning), and a
    migration of a release the database has not reached is not "not applied"."""
    from flywayx.service.validation import validation_issues

    with session(config) as s:
        issues, count = validation_issues(s)
        warnings = [] if s.found.migrations else ["No migrations found. Are your locations set up correctly?"]
        graph = lines.release_graph(s)
        if graph is not None:
            from flywayx.service import steps

            source = steps.FlywayOrder(s, graph, lines.analyse(s))
            issues = source.validation_of([])
            warnings += _unwritten(source.start)
        invalid = [InvalidMigration(i.version, i.description, i.script, i.code, i.message) for i in issues]
        return ValidateReport(s.header(), invalid, count, warnings + list(s.found.warnings))


def _unwritten(records: Iterable[Record]) -> list[str]:
    """Rows the contract misses until the next migrate writes them (Flyway would not see them yet)."""
    from flywayx.service.steps import record_reason

    out = [f"{r.change.migration.script}: {record_reason(r.how, r.by)}" for r in records]
    if out:
        out.append(
            "run `flywayx migrate` (or `migrate --dry-run` to see it) to write these rows before Flyway "
            "reads this database"
        )
    return out


__all__ = ["info", "validate"]
