"""Flyway's validation as the commands run it (flyway-semantics.md §5.3 step 1, §5.4, §4.4).

``validate`` reports the issues; ``migrate`` and ``plan`` raise the same ``validation_error`` before
anything changes; the engine refuses to start from a failed migration (``refuse_failed``).
"""

from __future__ import annotations

from collections.abc import Sequence

from flywayx.errors import StateError, ValidationError
from flywayx.model.info import State
from flywayx.plan.info import InfoResult
from flywayx.plan.validate import ValidationIssue, validate_info
from flywayx.service.kernel import Session, ignore_patterns


def validation_issues(
    s: Session, extra_patterns: Sequence[str] = (), result: InfoResult | None = None
) -> tuple[list[ValidationIssue], int]:
    """Every validation issue and the number of resolved migrations checked; ``result`` is the info
    to check (computed from the history when not given)."""
    if s.found.migrations and not s.db.schema_exists(s.default_schema) and "*:pending" not in extra_patterns:
        return [
            ValidationIssue("SCHEMA_DOES_NOT_EXIST", f"Schema {s.default_schema} doesn't exist yet", None, "", "")
        ], 0
    result = s.info() if result is None else result
    issues = validate_info(result, ignore_patterns(s.config, extra_patterns))
    return issues, len([m for m in result.migrations if m.resolved is not None])


def validation_error(messages: Sequence[str]) -> ValidationError:
    body = "\n".join(messages)
    return ValidationError(
        f"Validate failed: Migrations have failed validation\n{body}",
        hint="run `flywayx info` to see each migration's state; `flywayx repair` realigns "
        "the history after an intended change",
        errors=list(messages),
    )


def refuse_failed(s: Session, result: InfoResult) -> None:
    """StateError when the history holds a failed migration (Flyway's message, §4.4)."""
    future_ignored = any(p.state == "future" for p in ignore_patterns(s.config))
    failed = [m for m in result.failed() if not (m.state is State.FUTURE_FAILED and future_ignored)]
    if not failed:
        return
    m = failed[0]
    what = f"migration to version {m.version}" if m.version is not None else f'repeatable migration ("{m.description}")'
    raise StateError(
        f"Schema {s.quoted(s.default_schema)} contains a failed {what} !",
        hint="fix the failed statement, then `flywayx migrate --resume` (MySQL/MariaDB) or "
        "`flywayx repair` and migrate again",
    )


__all__ = ["refuse_failed", "validation_error", "validation_issues"]
