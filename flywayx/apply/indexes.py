"""A failed ``CREATE INDEX CONCURRENTLY`` leaves an invalid index behind (PostgreSQL): drop it.

PostgreSQL keeps the half-built index, marked invalid, when a concurrent build fails (a duplicate
key, a cancelled statement, a deadlock); it costs every later write and blocks the retry's name.
``watch`` notes the invalid indexes before a migration with such a build runs; ``clean`` drops
the ones that appeared since, each with ``DROP INDEX CONCURRENTLY`` (never blocking writers), and
returns their names. Elsewhere (index builds are atomic) both do nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from flywayx.db.base import Database
from flywayx.model import Statement

_CONCURRENT_BUILD = re.compile(r"\bCREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\b", re.IGNORECASE)


def watch(db: Database, statements: Sequence[Statement] | None) -> frozenset[tuple[str, str]] | None:
    """The invalid indexes now, when ``statements`` build one concurrently; else None (nothing to watch)."""
    if not statements or not any(not s.transactional and _CONCURRENT_BUILD.search(s.sql) for s in statements):
        return None
    return db.invalid_indexes()


def clean(db: Database, before: frozenset[tuple[str, str]] | None) -> list[str]:
    """Drop the indexes that became invalid since ``watch``; the dropped names. Never raises: the
    migration's own failure is what the user must see (an index left behind is named by ``watch``
    on the next attempt's failure, or by ``\\di``)."""
    if before is None:
        return []
    dropped = []
    try:
        for schema, name in sorted(db.invalid_indexes() - before):
            db.drop_invalid_index(schema, name)
            dropped.append(f"{schema}.{name}")
    except Exception:
        return dropped
    return dropped
