"""Flyway's ``mixed`` rule: one migration may not mix transactional and non-transactional statements."""

from __future__ import annotations

from collections.abc import Sequence

from flywayx.errors import MigrationFailed
from flywayx.model import Statement


def check_mixed(statements: Sequence[Statement], mixed: bool, script: str) -> None:
    """Raise Flyway's error when ``statements`` mix both kinds and ``mixed`` is false.

    Non-transactional statements (PostgreSQL ``CREATE INDEX CONCURRENTLY``, ``VACUUM``…) make the
    whole migration run outside a transaction; mixing them silently would lose atomicity.
    """
    if mixed or all(s.transactional for s in statements) or not any(s.transactional for s in statements):
        return
    bad = next(s for s in statements if not s.transactional)
    raise MigrationFailed(
        "Detected both transactional and non-transactional statements within the same migration (even though "
        f"mixed is false). Offending statement found at line {bad.line}: {bad.sql} [non-transactional]",
        hint=f"move the non-transactional statement of {script} into a migration of its own, or set mixed=true",
        script=script,
        line=bad.line,
    )
