"""Applied changes indexed by what they touch, so the interleave check is near linear (pure).

Holds ``FootprintIndex`` and the bucket keys it stores and probes. The interleave planner
(``flywayx.plan.interleave``) builds one over the applied changes and asks, for each change that
would run late, which applied changes after it might interfere; ``shared_objects`` then confirms.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from typing import Generic, Protocol, TypeVar

from flywayx.model.footprint import UNKNOWN_OBJECT, Footprint, table_of

Pos = tuple[int, tuple[int, ...], int]  # canonical position: (release rank, version parts, baseline first)


class Placed(Protocol):
    """What the index needs of a change: its canonical position and its footprint."""

    @property
    def pos(self) -> Pos: ...

    @property
    def footprint(self) -> Footprint: ...


T = TypeVar("T", bound=Placed)


class FootprintIndex(Generic[T]):
    """Applied changes by what they touch, each list sorted by effective position.

    Two footprints can only interfere through objects of one table (or one non-table object), and
    a ``column:T.c`` meets another column object only when it is the same column; anything else
    in T (``table:T``, ``rows:T``, ``append:T``, indexes, keys) may meet every object of T. So a
    pending change that touches T only through columns is compared with the applied changes on
    the same columns plus those touching T more broadly; otherwise with everything on T. Changes
    touching anything (``*``, or a table named ``*`` as in ``index:*.i``) meet everything.
    Candidates are confirmed with ``shared_objects``; ``test_index_never_misses_an_interference``
    checks that this filter never drops a real interference.
    """

    def __init__(self, applied: Iterable[tuple[Pos, T]]) -> None:
        """``applied``: (effective position, change) pairs, in any order."""
        self.buckets: dict[str, tuple[list[Pos], list[T]]] = {}
        self.all: tuple[list[Pos], list[T]] = ([], [])
        for pos, item in sorted(applied, key=lambda pi: pi[0]):
            self.all[0].append(pos)
            self.all[1].append(item)
            for key in _stored_keys(item.footprint):
                bucket = self.buckets.setdefault(key, ([], []))
                bucket[0].append(pos)
                bucket[1].append(item)

    def after(self, pos: Pos, fp: Footprint) -> list[T]:
        """Applied changes after ``pos`` that may interfere with ``fp`` (a superset; confirm each)."""
        keys = _probe_keys(fp)
        if keys is None:
            return _suffix(self.all, pos)
        found = {id(i): i for key in keys if key in self.buckets for i in _suffix(self.buckets[key], pos)}
        return sorted(found.values(), key=lambda i: i.pos)

    def first_after(self, pos: Pos) -> T:
        """The first applied change after ``pos``; there must be one."""
        return self.all[1][bisect_right(self.all[0], pos)]

    def count_after(self, pos: Pos) -> int:
        """How many applied changes sit after ``pos``."""
        return len(self.all[0]) - bisect_right(self.all[0], pos)


def _objects_by_table(fp: Footprint) -> dict[str, tuple[set[str], bool]] | None:
    """Table (or non-table object) -> (its column objects, touched beyond columns); None: anything."""
    out: dict[str, tuple[set[str], bool]] = {}
    for obj in fp.reads | fp.writes:
        table = table_of(obj)
        if obj == UNKNOWN_OBJECT or (table or "").rpartition(".")[2] == "*":
            return None
        columns, broad = out.get(table or obj, (set(), False))
        if obj.startswith("column:"):
            columns.add(obj)
        out[table or obj] = (columns, broad or not obj.startswith("column:"))
    return out


def _stored_keys(fp: Footprint) -> list[str]:
    """The buckets an applied change goes into."""
    tables = _objects_by_table(fp)
    if tables is None:
        return ["*"]
    keys = []
    for table, (columns, broad) in tables.items():
        keys.append("all:" + table)
        keys += ["broad:" + table] if broad else []
        keys += sorted(columns)
    return keys


def _probe_keys(fp: Footprint) -> list[str] | None:
    """The buckets a late change must look in; None: every applied change."""
    tables = _objects_by_table(fp)
    if tables is None:
        return None
    keys = ["*"]
    for table, (columns, broad) in tables.items():
        keys += ["all:" + table] if broad else ["broad:" + table, *sorted(columns)]
    return keys


def _suffix(bucket: tuple[list[Pos], list[T]], pos: Pos) -> list[T]:
    return bucket[1][bisect_right(bucket[0], pos) :]
