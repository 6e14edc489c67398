"""The history contract's bookkeeping (pure): which migrations the database has without a row of its own.

docs/history-tables.md states the contract: every migration in the closure of a release the database
has reached appears in ``flyway_schema_history`` exactly once — executed, or recorded as *satisfied*
in the form Flyway Teams' ``skipExecutingMigrations`` writes (its own version, description, type,
checksum; success) — so that Flyway's own rules read it as applied. A migration is in the database
without having run when

- ``identical`` / ``equivalent``: a change with the same content id, or a declared ``[equivalent]``,
  was applied;
- ``baseline``: an applied baseline migration (``B`` file) installed its release's closure;
- ``adopted``: a ``BASELINE`` row at a release's version (flywayx's adoption before this contract)
  stands for that release's closure;
- ``renamed``: its file was renamed (``release cut`` freezes a pending version into a release): the
  old version's row has no file any more, and its content id (or, for rows without one, its checksum,
  description and type) is this migration's. The old row is retired with Flyway's ``DELETE`` row.

Versions at or below the applied baseline need no row: Flyway reads them as "Below Baseline".

A release is *reached* when every migration of its closure is in the database. ``Ledger.records``
lists the rows the contract is missing within reached releases (plus every rename); a migrate run
writes them under the lock, before its steps and again after them, or after the steps that ran
when one fails (``service/steps.py``, ``apply/engine.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from flywayx.model.history import HistoryRow
from flywayx.model.plan import Change, LineRecord
from flywayx.model.release import ReleaseGraph
from flywayx.model.version import EMPTY, Version
from flywayx.plan.info import is_baseline_row
from flywayx.plan.world import Item, World, linked_world, mark_applied, mark_baseline_migration


@dataclass(frozen=True)
class Record:
    """A row the contract needs: ``change`` recorded as satisfied, ``how`` and ``by`` what.

    ``retire``: for a rename, the applied row whose file is gone (a ``DELETE`` row is written first).
    """

    change: Change
    how: str
    by: str
    release: str | None
    line: str | None
    retire: HistoryRow | None = None

    @property
    def rows(self) -> int:
        """History rows writing this record adds (the DELETE row of a rename, then its own)."""
        return 2 if self.retire is not None else 1


class Ledger:
    """The applied state of one history, answering the contract's questions; ``mark`` keeps it
    current while a run writes rows."""

    def __init__(
        self,
        graph: ReleaseGraph,
        changes: Sequence[Change],
        rows: Sequence[HistoryRow],
        records: Sequence[LineRecord] = (),
        elsewhere: Mapping[Version, str | None] | None = None,
    ) -> None:
        self.world: World = linked_world(graph, changes, rows, elsewhere)
        mark_applied(self.world, rows, records)
        live = _live(rows)
        self.rowed: set[int] = {id(i) for i in self.world.items if (i.version, i.baseline) in live}
        self.baseline: Version = max((v for (v, _), r in live.items() if is_baseline_row(r)), default=EMPTY)
        self.renamed: dict[int, HistoryRow] = _renames(self.world, live, self.rowed, records)
        for key in self.renamed:
            self.world.applied[key] = self.item_by_id(key)
        self._by_script = {i.change.migration.script: i for i in self.world.items if i.change is not None}
        self._bases = [i for i in self.world.items if i.baseline and id(i) in self.rowed]

    def item_by_id(self, key: int) -> Item:
        return next(i for i in self.world.items if id(i) == key)

    def item(self, change: Change) -> Item | None:
        return self._by_script.get(change.migration.script)

    def in_database(self, item: Item) -> bool:
        """Its change is there: applied, covered by a baseline, or an identical/equivalent change applied."""
        return self.world.is_applied(item) or any(self.world.is_applied(p) for p in item.peers)

    def why(self, item: Item) -> tuple[str, str] | None:
        """(how, by) when ``item`` is in the database without a row of its own; None otherwise."""
        if id(item) in self.rowed:
            return None
        if id(item) in self.renamed:
            old = self.renamed[id(item)]
            return "renamed", old.version.text if old.version is not None else old.script
        if self.world.is_applied(item):
            return self._covered(item)
        peer = next((p for p in item.peers if p is not item and self.world.is_applied(p)), None)
        if peer is None:
            return None
        return ("identical" if peer.content_id == item.content_id else "equivalent"), peer.key

    def _covered(self, item: Item) -> tuple[str, str]:
        base = next((b for b in self._bases if self.world.index.includes(b.owner, item.owner)), None)
        if base is not None:
            return "baseline", base.key
        return "adopted", f"BASELINE row {self.baseline.text}"

    def needs_row(self, item: Item) -> bool:
        """In the database, no row of its own, and above the applied baseline (Flyway would call it pending)."""
        return self.why(item) is not None and (item.version > self.baseline or id(item) in self.renamed)

    def reached(self) -> frozenset[str]:
        """Releases whose whole closure is in the database."""
        missing = {i.owner for i in self.world.items if not i.baseline and not self.in_database(i)}
        index = self.world.index
        return index.complete(missing)

    def records(self, scope: Iterable[str] | None = None) -> list[Record]:
        """The rows the contract misses: every rename, and within ``scope`` (default: the reached
        releases) every migration in the database without a row; in canonical order."""
        inside = frozenset(scope) if scope is not None else self.reached()
        out = []
        for item in self.world.items:
            if item.change is None or item.baseline or not self.needs_row(item):
                continue
            if item.owner in inside or id(item) in self.renamed:
                how, by = self.why(item) or ("", "")
                out.append(Record(item.change, how, by, item.owner, item.line, self.renamed.get(id(item))))
        return out

    def mark(self, change: Change) -> None:
        """A row of ``change`` was written (it ran, or was recorded as satisfied)."""
        item = self.item(change)
        if item is not None:
            self.rowed.add(id(item))
            if item.baseline:
                self._bases.append(item)
                mark_baseline_migration(self.world, item)
            self.world.applied[id(item)] = item
            self.renamed.pop(id(item), None)


def with_records(rows: Sequence[HistoryRow], records: Iterable[Record], installed_by: str) -> list[HistoryRow]:
    """The history once ``records`` are written: a rename's DELETE row, then each record's own row."""
    out = list(rows)
    rank = max((r.installed_rank for r in out), default=0)
    for rec in records:
        m = rec.change.migration
        if rec.retire is not None:
            rank += 1
            old = rec.retire
            out.append(
                HistoryRow(
                    rank, old.version, old.description, "DELETE", old.script, old.checksum, installed_by, 0, True
                )
            )
        rank += 1
        out.append(
            HistoryRow(rank, m.version, m.description, m.type.value, m.script, m.checksum, installed_by, 0, True)
        )
    return out


def _live(rows: Sequence[HistoryRow]) -> dict[tuple[Version, bool], HistoryRow]:
    """Successful versioned rows still in force (a DELETE row retires the rows of its version)."""
    live: dict[tuple[Version, bool], HistoryRow] = {}
    for row in sorted(rows, key=lambda r: r.installed_rank):
        t = row.type.upper()
        if row.version is None or row.version.is_special or t == "SCHEMA" or not row.success:
            continue
        if t == "DELETE":
            live = {k: v for k, v in live.items() if k[0] != row.version}
        else:
            live[(row.version, t.endswith("_BASELINE"))] = row
    return live


def _renames(
    world: World, live: dict[tuple[Version, bool], HistoryRow], rowed: set[int], records: Sequence[LineRecord]
) -> dict[int, HistoryRow]:
    """Local migrations whose applied row sits under an old version with no file any more."""
    content = {r.version: r.content_id for r in records if r.content_id}
    out: dict[int, HistoryRow] = {}
    for (version, baseline), row in sorted(live.items(), key=lambda kv: kv[1].installed_rank):
        if row.type.upper() == "BASELINE" or (version, baseline) in world.by_version:
            continue
        match = _same_content(world, content.get(version), rowed, out) or _same_file(world, row, rowed, out)
        if match is not None:
            out[id(match)] = row
    return out


def _same_content(world: World, content_id: str | None, rowed: set[int], taken: dict[int, HistoryRow]) -> Item | None:
    if content_id is None:
        return None
    return next(
        (i for i in world.items if i.content_id == content_id and id(i) not in rowed and id(i) not in taken), None
    )


def _same_file(world: World, row: HistoryRow, rowed: set[int], taken: dict[int, HistoryRow]) -> Item | None:
    """A row without a content id (written by Flyway, or by flywayx before ids were recorded): the one
    local migration, without a row, with its checksum, description and type."""
    found = [
        i
        for i in world.items
        if i.change is not None
        and id(i) not in rowed
        and id(i) not in taken
        and i.change.migration.checksum == row.checksum
        and row.checksum is not None
        and i.change.migration.description == row.description
        and i.change.migration.type.value == row.type.upper()
    ]
    return found[0] if len(found) == 1 else None


__all__ = ["Ledger", "Record", "with_records"]
