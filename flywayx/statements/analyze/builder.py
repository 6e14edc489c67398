"""Collects what one statement reads and writes while its analyser walks it, then freezes a Footprint."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field

from flywayx.model.footprint import UNKNOWN_OBJECT, Footprint, Phase
from flywayx.model.lint import UNKNOWN, note

_PHASE_RANK = {Phase.EXPAND: 0, Phase.DATA: 1, Phase.UNKNOWN: 2, Phase.CONTRACT: 3}
MYSQL_LOCKS = ("INSTANT", "INPLACE", "COPY")
PG_LOCKS = (
    "ACCESS SHARE",
    "ROW SHARE",
    "ROW EXCLUSIVE",
    "SHARE UPDATE EXCLUSIVE",
    "SHARE",
    "SHARE ROW EXCLUSIVE",
    "EXCLUSIVE",
    "ACCESS EXCLUSIVE",
)


def _lock_rank(level: str) -> int:
    if level in MYSQL_LOCKS:
        return MYSQL_LOCKS.index(level)
    return PG_LOCKS.index(level) if level in PG_LOCKS else -1


# Where ``Context.fk_checks`` lives in ``Context.types`` (no ``table.column`` holds a NUL), so one
# mapping is all the state a migration's analysis hands to the next one.
FK_CHECKS_KEY = "\0foreign_key_checks"


@dataclass
class Context:
    """What the analysers know beyond the statement: dialect family, server, known column types.

    ``types`` maps ``table.column`` to its declared type text (lower-cased) as learnt from earlier
    statements; analysers read it to tell widening from narrowing and update it as they go. It also
    holds MySQL's ``foreign_key_checks`` (``fk_checks``), so that wrapping it in a ``Tracked``
    mapping records everything one migration's analysis read from, and wrote for, the next.
    """

    family: str
    mariadb: bool = False
    server: tuple[int, ...] | None = None
    types: MutableMapping[str, str] = field(default_factory=dict)

    @property
    def fk_checks(self) -> bool:
        """MySQL foreign_key_checks; adding a FK is COPY unless it is off."""
        return self.types.get(FK_CHECKS_KEY, "1") == "1"

    @fk_checks.setter
    def fk_checks(self, on: bool) -> None:
        self.types[FK_CHECKS_KEY] = "1" if on else "0"


class Tracked(MutableMapping[str, str]):
    """``base`` as seen through one migration's analysis: ``before`` holds, for every key it read or
    wrote, the value it had before (None: absent). The analysis of the same statements from a context
    that agrees on those keys is the same, and leaves those keys as they are in ``base`` afterwards."""

    def __init__(self, base: MutableMapping[str, str]) -> None:
        self.base = base
        self.before: dict[str, str | None] = {}

    def _touch(self, key: str) -> None:
        if key not in self.before:
            self.before[key] = self.base.get(key)

    def __getitem__(self, key: str) -> str:
        self._touch(key)
        return self.base[key]

    def __setitem__(self, key: str, value: str) -> None:
        self._touch(key)
        self.base[key] = value

    def __delitem__(self, key: str) -> None:
        self._touch(key)
        del self.base[key]

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self._touch(key)
        return key in self.base

    def __iter__(self) -> Iterator[str]:
        raise TypeError("an analyser that iterates the known types depends on all of them: not tracked")

    def __len__(self) -> int:
        raise TypeError("an analyser that counts the known types depends on all of them: not tracked")


@dataclass
class Acc:
    """The footprint under construction for one statement."""

    ctx: Context
    phase: Phase = Phase.EXPAND
    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)
    idempotent: bool = False
    lock: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def family(self) -> str:
        return self.ctx.family

    def read(self, kind: str, name: str) -> None:
        self.reads.add(f"{kind}:{name}")

    def write(self, kind: str, name: str) -> None:
        self.writes.add(f"{kind}:{name}")

    def bump(self, phase: Phase) -> None:
        """Raise the phase to ``phase`` if it is more disruptive than the current one."""
        if _PHASE_RANK[phase] > _PHASE_RANK[self.phase]:
            self.phase = phase

    def note(self, tag: str, detail: str) -> None:
        text = note(tag, detail)
        if text not in self.notes:
            self.notes.append(text)

    def set_lock(self, level: str | None) -> None:
        """Keep the most restrictive lock seen."""
        if level is not None and (self.lock is None or _lock_rank(level) > _lock_rank(self.lock)):
            self.lock = level

    def unknown(self, why: str) -> None:
        self.bump(Phase.UNKNOWN)
        self.writes.add(UNKNOWN_OBJECT)
        self.note(UNKNOWN, why)

    def footprint(self) -> Footprint:
        return Footprint(
            phase=self.phase,
            reads=frozenset(self.reads),
            writes=frozenset(self.writes),
            idempotent=self.idempotent,
            lock=self.lock,
            notes=tuple(self.notes),
        )
