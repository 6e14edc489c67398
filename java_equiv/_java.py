"""Java behaviour the ports must reproduce to leave the rows CloudStack leaves.

``hashmap_order``: iteration order of a ``java.util.HashMap`` (String or Long keys), which decides
the order rows are inserted in, so their new ids. ``java_split``: ``String.split`` on a literal
separator (trailing empty strings dropped). ``java_date``: what ``ResultSet.getDate`` keeps of a
DATETIME (the day; ``setDate`` stores it at midnight). ``StepFails``: raised where the Java throws,
so the upgrade stops where CloudStack's stops.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

from java_equiv.upgrade_4930to41000 import java_string_hash

K = TypeVar("K", bound=Hashable)

TREEIFY_THRESHOLD = 8
MIN_TREEIFY_CAPACITY = 64


class StepFails(RuntimeError):
    """CloudStack's Java throws here (a CloudRuntimeException or an unchecked exception), ending the
    upgrade; the port stops too rather than write what CloudStack never writes."""


def long_hash(value: int) -> int:
    """``Long.hashCode`` as an unsigned 32-bit pattern."""
    v = value & 0xFFFFFFFFFFFFFFFF
    return (v ^ (v >> 32)) & 0xFFFFFFFF


def hashmap_order(keys: Sequence[K], hash_of: Callable[[K], int], capacity: int = 16) -> list[K]:
    """Iteration order of ``new HashMap<>()`` after ``put`` of ``keys`` in order (a repeated key
    keeps its place). Emulates the table growth of ``putVal``: doubling past 3/4 load, and doubling
    instead of making a tree when a bin passes 8 entries in a table under 64. A bin that would become
    a tree has another order, which is not emulated: refused."""
    table: list[list[K]] = [[] for _ in range(capacity)]
    for size, key in enumerate(dict.fromkeys(keys), 1):
        h = hash_of(key) & 0xFFFFFFFF
        spread = h ^ (h >> 16)
        bin_ = table[spread & (len(table) - 1)]
        bin_.append(key)
        if len(bin_) > TREEIFY_THRESHOLD:
            if len(table) >= MIN_TREEIFY_CAPACITY:
                raise ValueError("a HashMap bin would become a tree; its iteration order is not emulated")
            table = _resize(table, hash_of)
        if size > len(table) * 3 // 4:
            table = _resize(table, hash_of)
    return [k for bin_ in table for k in bin_]


def _resize(table: list[list[K]], hash_of: Callable[[K], int]) -> list[list[K]]:
    """Double the table; a bin splits in two keeping its order, as ``HashMap.resize`` does."""
    grown: list[list[K]] = [[] for _ in range(2 * len(table))]
    for bin_ in table:
        for key in bin_:
            h = hash_of(key) & 0xFFFFFFFF
            grown[(h ^ (h >> 16)) & (len(grown) - 1)].append(key)
    return grown


def string_hash(text: str) -> int:
    return java_string_hash(text)


def java_split(text: str, separator: str) -> list[str]:
    """``text.split(separator)`` for a one-character literal: trailing empty strings are dropped."""
    if text == "":
        return [""]  # no separator found: the whole (empty) string
    parts = text.split(separator)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def java_date(value: dt.date | None) -> dt.date | None:
    """``getDate`` of a DATETIME, as ``setDate`` writes it back: the day only."""
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def java_str(value: object) -> str:
    """String concatenation of a possibly null value, as Java writes it."""
    return "null" if value is None else str(value)


def equals_ignore_case(value: str | None, expected: str, what: str) -> bool:
    """``value.equalsIgnoreCase(expected)``; a null ``value`` is the Java's NullPointerException."""
    if value is None:
        raise StepFails(f"{what} is NULL: CloudStack's Java stops here with a NullPointerException")
    return value.lower() == expected.lower()
