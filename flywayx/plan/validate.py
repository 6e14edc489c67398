"""Flyway's ``validate`` rules over an info result (flyway-semantics.md §5.4). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from flywayx.model.abbrev import abbreviate_description
from flywayx.model.history import HistoryRow
from flywayx.model.info import MigrationInfo, State
from flywayx.model.version import Version
from flywayx.plan.info import InfoResult, is_baseline_row

_REPAIR = "Please remove any half-completed changes then run repair to fix the schema history."


class Pattern(Protocol):
    def matches(self, *, versioned: bool, state: str) -> bool: ...


@dataclass(frozen=True)
class ValidationIssue:
    """One failed check: Flyway's error code and message, and the migration it concerns."""

    code: str
    message: str
    version: str | None
    description: str
    script: str


def validate_info(info: InfoResult, patterns: Sequence[Pattern]) -> list[ValidationIssue]:
    """Every validation error, in info order; empty means valid."""
    issues = []
    future_ignored = any(
        p.matches(versioned=True, state=State.FUTURE_SUCCESS.value)
        and p.matches(versioned=False, state=State.FUTURE_SUCCESS.value)
        for p in patterns
    )
    baseline = max(
        (
            r.applied.version
            for r in info.migrations
            if r.applied is not None and r.applied.version is not None and is_baseline_row(r.applied)
        ),
        default=None,
    )  # once: asking per migration made validate quadratic (12 s at 10,000)
    ignored = _ignored_table(patterns)
    for m in info.migrations:
        issue = _check(m, ignored, future_ignored, baseline)
        if issue is not None:
            issues.append(issue)
    return issues


def _ignored_table(patterns: Sequence[Pattern]) -> dict[tuple[bool, State], bool]:
    """Whether any of ``patterns`` matches, for every (versioned, state): a pattern looks at nothing
    else, so the 36 answers are asked once and ``_check`` looks them up (twice a migration, 10,000
    migrations) without a call."""
    return {
        (versioned, state): any(p.matches(versioned=versioned, state=state.value) for p in patterns)
        for versioned in (True, False)
        for state in State
    }


def _check(
    m: MigrationInfo, ignored: dict[tuple[bool, State], bool], future_ignored: bool, baseline: Version | None
) -> ValidationIssue | None:
    if m.state in (State.UNDONE, State.ABOVE_TARGET, State.DELETED):
        return None
    versioned = m.version is not None
    if ignored[versioned, m.state]:
        return None
    if m.state.failed and not (m.state is State.FUTURE_FAILED and future_ignored):
        if versioned:
            return _issue(
                m,
                "FAILED_VERSIONED_MIGRATION",
                f"Detected failed migration to version {m.version} ({m.description}).\n{_REPAIR}",
            )
        return _issue(
            m, "FAILED_REPEATABLE_MIGRATION", f"Detected failed repeatable migration: {m.description}.\n{_REPAIR}"
        )
    synthetic = m.applied is not None and (m.applied.is_synthetic or m.applied.type.upper().startswith("UNDO"))
    if (
        m.applied is not None
        and m.resolved is None
        and not synthetic
        and m.state is not State.SUPERSEDED
        and not m.state.failed
    ):
        what = str(m.version) if versioned else m.description
        kind = "VERSIONED" if versioned else "REPEATABLE"
        label = "" if versioned else "repeatable "
        return _issue(
            m,
            f"APPLIED_{kind}_MIGRATION_NOT_RESOLVED",
            f"Detected applied {label}migration not resolved locally: {what}.\n"
            "If you removed this migration intentionally, run repair to mark the migration as deleted.",
        )
    return _check_resolved(m, versioned, ignored[versioned, State.PENDING], baseline)


def _check_resolved(
    m: MigrationInfo, versioned: bool, pending_ok: bool, baseline: Version | None
) -> ValidationIssue | None:
    baseline_type = m.type.upper() in ("SQL_BASELINE", "JDBC_BASELINE", "BASELINE")
    if m.state is State.IGNORED and not baseline_type:
        if versioned:
            return _issue(
                m,
                "RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED",
                f"Detected resolved migration not applied to database: {m.version}.\n"
                "To ignore this migration, set -ignoreMigrationPatterns='*:ignored'. "
                "To allow executing this migration, set -outOfOrder=true.",
            )
        return _issue(
            m,
            "RESOLVED_REPEATABLE_MIGRATION_NOT_APPLIED",
            f"Detected resolved repeatable migration not applied to database: {m.description}.\n"
            "To ignore this migration, set -ignoreMigrationPatterns='*:ignored'.",
        )
    if m.state is State.PENDING and not pending_ok:
        what = (
            f"migration not applied to database: {m.version}"
            if versioned
            else f"repeatable migration not applied to database: {m.description}"
        )
        code = "RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED" if versioned else "RESOLVED_REPEATABLE_MIGRATION_NOT_APPLIED"
        return _issue(
            m,
            code,
            f"Detected resolved {what}.\n"
            "To fix this error, either run migrate, or set -ignoreMigrationPatterns='*:pending'.",
        )
    if m.state is State.OUTDATED and not pending_ok:
        return _issue(
            m,
            "OUTDATED_REPEATABLE_MIGRATION",
            "Detected outdated resolved repeatable migration that should be re-applied to "
            f"database: {m.description}.\nRun migrate to execute this migration.",
        )
    return _check_mismatch(m, pending_ok, baseline)


def _check_mismatch(m: MigrationInfo, pending_ok: bool, baseline: Version | None) -> ValidationIssue | None:
    """Type, checksum, description of an applied migration against its file (above the baseline)."""
    row, local = m.applied, m.resolved
    if row is None or local is None:
        return None
    applied_type = row.type.upper()
    if applied_type == "DELETE" or applied_type.startswith("UNDO"):
        return None
    if row.version is not None and baseline is not None and not row.version > baseline:
        return None
    if applied_type != local.type:  # a str enum: compares as its value
        return _mismatch(m, "TYPE_MISMATCH", "type", _ident(row), row.type, local.type.value)
    check_sum = row.version is not None or (pending_ok and m.state not in (State.OUTDATED, State.SUPERSEDED))
    if check_sum and not local.checksum_matches(row.checksum):
        return _mismatch(m, "CHECKSUM_MISMATCH", "checksum", _ident(row), str(row.checksum), str(local.checksum))
    resolved_desc = abbreviate_description(local.description)
    if resolved_desc != row.description:
        return _mismatch(m, "DESCRIPTION_MISMATCH", "description", _ident(row), row.description, resolved_desc)
    return None


def _ident(row: HistoryRow) -> str:
    """How a mismatch names the migration (formatted only for a mismatch: most rows have none)."""
    return f"version {row.version}" if row.version is not None else row.script


def _mismatch(m: MigrationInfo, code: str, what: str, ident: str, applied: str, resolved: str) -> ValidationIssue:
    return _issue(
        m,
        code,
        f"Migration {what} mismatch for migration {ident}\n"
        f"-> Applied to database : {applied}\n-> Resolved locally    : {resolved}\n"
        "Either revert the changes to the migration, or run repair to update the schema history.",
    )


def _issue(m: MigrationInfo, code: str, message: str) -> ValidationIssue:
    return ValidationIssue(code, message, str(m.version) if m.version is not None else None, m.description, m.script)
