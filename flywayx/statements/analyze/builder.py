"""Collects what one statement reads and writes while its analyser walks it, then freezes a Footprint."""

from __future__ import annotations

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


@dataclass
class Context:
    """What the analysers know beyond the statement: dialect family, server, known column types.

    ``types`` maps ``table.column`` to its declared type text (lower-cased) as learnt from earlier
    statements; analysers read it to tell widening from narrowing and update it as they go.
    """

    family: str
    mariadb: bool = False
    server: tuple[int, ...] | None = None
    types: dict[str, str] = field(default_factory=dict)
    fk_checks: bool = True  # MySQL foreign_key_checks; adding a FK is COPY unless it is off


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
