"""What a statement or migration touches, and whether two of them commute.

Objects are strings ``kind:name``, lower-cased, schema-qualified only when the statement names a schema:

    table:T        the table itself (created, dropped, renamed, or existence read)
    column:T.C     one column (added, dropped, modified, read, updated)
    index:T.I      an index or key on T
    fk:T.N         a foreign key constraint on T
    rows:T         existing rows of T (UPDATE/DELETE write them, SELECT/joins read them)
    append:T       new rows inserted into T (INSERT ... VALUES): appends commute with each other
    order:T        the column order of T (PostgreSQL ADD COLUMN appends; two appends do not commute,
                   as applying them in the other order leaves a table unlike a fresh install's)
    view:V, routine:P, trigger:G, event:E, schema:S, sequence:Q
    *              unknown: a statement that could touch anything

Two footprints commute when neither writes an object the other reads or writes, where writing a
``table:T`` also covers everything under T, reading ``table:T`` depends on every column, index and
key of T, a table named ``*`` (``index:*.i``) may be any table, and two appends to the same table
commute. An
``unknown`` footprint conflicts with everything unless declared (``-- flywayx:writes``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum


class Phase(str, Enum):
    EXPAND = "expand"
    CONTRACT = "contract"
    DATA = "data"
    UNKNOWN = "unknown"


_PHASE_RANK = {Phase.EXPAND: 0, Phase.DATA: 1, Phase.UNKNOWN: 2, Phase.CONTRACT: 3}

UNKNOWN_OBJECT = "*"
_UNDER_TABLE = ("column:", "index:", "fk:", "rows:", "append:", "order:")


@dataclass(frozen=True)
class Footprint:
    """Objects read and written, the phase, and whether re-running is harmless (idempotent)."""

    phase: Phase = Phase.UNKNOWN
    reads: frozenset[str] = field(default_factory=frozenset)
    writes: frozenset[str] = field(default_factory=frozenset)
    idempotent: bool = False
    lock: str | None = None  # lock impact, e.g. "INSTANT", "INPLACE", "COPY", "ACCESS EXCLUSIVE"
    notes: tuple[str, ...] = ()

    @property
    def unknown(self) -> bool:
        return UNKNOWN_OBJECT in self.writes


def table_of(obj: str) -> str | None:
    """The table an object lives in: ``column:t.c`` -> ``t``; ``table:s.t`` -> ``s.t``."""
    kind, _, name = obj.partition(":")
    if kind == "table":
        return name
    if obj.startswith(_UNDER_TABLE):
        return name.rsplit(".", 1)[0] if kind not in ("rows", "append", "order") else name
    return None


def _same_table(a: str | None, b: str | None) -> bool:
    """Equal table names, where ``*`` (or ``schema.*``) stands for a table not named, e.g. the
    table of a PostgreSQL ``DROP INDEX i``, which names only the index."""
    if a is None or b is None:
        return False
    return a == b or "*" in (a.rpartition(".")[2], b.rpartition(".")[2])


def _covers(written: str, other: str) -> bool:
    if UNKNOWN_OBJECT in (written, other):
        return True
    if written == other:
        return not written.startswith("append:")
    if written.startswith("table:"):
        return _same_table(table_of(other), written[6:])
    if other.startswith("table:") and not written.startswith(("rows:", "append:", "index:")):
        # reading table:T depends on T's columns and constraints (a view, a FK target, INSERT without
        # columns); an index changes how T is read, not what reading it yields
        return _same_table(table_of(written), other[6:])
    if written.startswith(("index:", "fk:")) and written.partition(":")[0] == other.partition(":")[0]:
        return written.rpartition(".")[2] == other.rpartition(".")[2] and _same_table(
            table_of(written), table_of(other)
        )
    if written.startswith("append:") and other.startswith("rows:"):
        return written[7:] == other[5:]
    if written.startswith("rows:") and other.startswith("append:"):
        return written[5:] == other[7:]
    return False


def shared_objects(a: Footprint, b: Footprint) -> tuple[str, ...]:
    """Objects through which a and b interfere, sorted; empty means they commute.

    Two idempotent footprints always commute (re-applying either in any order is harmless).
    """
    if a.idempotent and b.idempotent:
        return ()
    hits: set[str] = set()
    for w in a.writes:
        hits.update(_pair(w, o) for o in b.reads | b.writes if _covers(w, o))
    for w in b.writes:
        hits.update(_pair(w, o) for o in a.reads | a.writes if _covers(w, o))
    return tuple(sorted(hits))


def _pair(x: str, y: str) -> str:
    if x == y or y == UNKNOWN_OBJECT:
        return x
    if x == UNKNOWN_OBJECT:
        return y
    return min(x, y, key=len)


def combine(parts: Iterable[Footprint]) -> Footprint:
    """A migration's footprint: union of its statements', the most disruptive phase."""
    items = list(parts)
    if not items:
        return Footprint(phase=Phase.EXPAND, idempotent=True)
    phase = max((p.phase for p in items), key=_PHASE_RANK.__getitem__)
    return Footprint(
        phase=phase,
        reads=frozenset().union(*(p.reads for p in items)),
        writes=frozenset().union(*(p.writes for p in items)),
        idempotent=all(p.idempotent for p in items),
        lock=next((p.lock for p in items if p.lock in ("COPY", "ACCESS EXCLUSIVE")), None),
        notes=tuple(n for p in items for n in p.notes),
    )
