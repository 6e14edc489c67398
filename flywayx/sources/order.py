"""Flyway's order of resolved migrations and callbacks, and its duplicate checks (flyway-semantics.md §1.6).

``resolved_order`` sorts versioned and baseline migrations by version, then repeatables by
description in Java's string order (``java_order``); ``check_duplicates`` raises Flyway's message for
every clashing group; ``order_callbacks`` groups callbacks per event in Flyway's order.
"""

from __future__ import annotations

from collections.abc import Sequence

from flywayx.errors import DuplicateMigrationError
from flywayx.model.migration import Kind, Migration
from flywayx.sources.names import event_rank, filename_without_suffix

__all__ = ["check_duplicates", "java_order", "order_callbacks", "resolved_order"]


def java_order(text: str) -> bytes:
    """Sort key equal to Java's ``String.compareTo`` (UTF-16 code units)."""
    return text.encode("utf-16-be", "surrogatepass")


def resolved_order(m: Migration) -> tuple[object, ...]:
    if m.version is not None:  # the version's sort key: tuples compare in C (10,000 files, ~140,000 comparisons)
        return (0, m.version.sort_key, m.kind is Kind.BASELINE, m.script)
    return (1, java_order(m.description), m.script)


def _offenders(group: Sequence[Migration]) -> str:
    return "\n".join(f"-> {m.path} ({m.type.value})" for m in group)


def check_duplicates(migrations: Sequence[Migration]) -> None:
    """Raise DuplicateMigrationError (Flyway's message) for equal versions or descriptions.

    Versions compare numerically (``1`` equals ``1.0``); a baseline migration only clashes with
    other baseline migrations. Every clashing group is reported, one message after the other.
    """
    groups: dict[tuple[object, ...], list[Migration]] = {}
    for m in migrations:
        key: tuple[object, ...] = ("R", m.description) if m.version is None else (m.kind, m.version.sort_key)
        groups.setdefault(key, []).append(m)
    messages = []
    for key, group in groups.items():
        if len(group) < 2:
            continue
        if key[0] == "R":
            head = f"Found more than one repeatable migration with description {group[0].description}"
        else:
            head = f"Found more than one migration with version {group[0].version}"
        messages.append(f"{head}\nOffenders:\n{_offenders(group)}")
    if messages:
        raise DuplicateMigrationError(
            "\n".join(messages),
            hint="give each migration its own version "
            "(or description, for repeatables) and delete or rename the others",
        )


def order_callbacks(callbacks: Sequence[Migration]) -> dict[str, list[Migration]]:
    """Callbacks per event id, events in Flyway's order, each list by description ("" first).

    Two scripts with the same name (without suffix) raise Flyway's "more than 1" error.
    """
    by_name: dict[str, Migration] = {}
    for cb in callbacks:
        assert cb.name is not None
        key = filename_without_suffix(cb.name)
        if key in by_name:
            raise DuplicateMigrationError(
                f"Found more than 1 SQL callback script called {key}!\nOffenders:\n"
                f"-> {by_name[key].path}\n-> {cb.path}",
                hint="keep one script per callback name",
            )
        by_name[key] = cb
    result: dict[str, list[Migration]] = {}
    for cb in sorted(callbacks, key=lambda c: (event_rank(_event(c)), java_order(c.description), c.path)):
        result.setdefault(_event(cb), []).append(cb)
    return result


def _event(callback: Migration) -> str:
    assert callback.name is not None
    return callback.name.prefix
