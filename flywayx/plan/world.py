"""The planner's world (pure): every known change by identity, with equivalence classes and the applied state.

``build_world`` indexes the local versioned and baseline migrations of a release graph, plus the
migrations known ``elsewhere`` (another branch's, by content id); ``link_peers`` joins changes that
are the same change (identical content id, or a declared ``[equivalent]``); ``mark_applied`` reads
the history (and flywayx's per-line records) into the applied set: a row by version, a row whose file
is gone by its recorded content id, a ``BASELINE`` marker at a release's version as that release's
closure (at any other version as every version up to it), an applied baseline migration as its
release's closure, DELETE rows undoing earlier rows. The planner (``interleave.py``) and the history
contract's bookkeeping (``ledger.py``) both read this world.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flywayx.errors import DuplicateMigrationError, ReleaseConfigError
from flywayx.model.footprint import Footprint
from flywayx.model.history import HistoryRow
from flywayx.model.migration import Kind
from flywayx.model.plan import UNKNOWN_FOOTPRINT, Change, LineRecord
from flywayx.model.release import ReleaseGraph, ReleaseProblem
from flywayx.model.version import Version
from flywayx.plan.footprint_index import Pos
from flywayx.plan.releases import ReleaseIndex, index_releases, owner_of


@dataclass(slots=True)
class Item:
    """A versioned change the planner knows: local (``change`` set) or applied but missing locally."""

    key: str
    version: Version
    owner: str
    line: str
    pos: Pos
    content_id: str | None
    change: Change | None = None
    baseline: bool = False
    peers: list[Item] = field(default_factory=list)  # equivalence class, self included

    @property
    def footprint(self) -> Footprint:
        """The change's (computed on first use: most plans never compare footprints). A change whose
        file is not here has the footprint of a local change it is the same change as, else unknown."""
        if self.change is not None:
            return self.change.footprint
        local = next((p for p in self.peers if p.change is not None), None)
        return local.footprint if local is not None else UNKNOWN_FOOTPRINT

    @property
    def label(self) -> str:
        return f"{self.key} (release {self.owner}, line {self.line})"


@dataclass
class World:
    """Every known change, by identity, with equivalence classes and the applied state."""

    index: ReleaseIndex
    items: list[Item]
    by_version: dict[tuple[Version, bool], Item]
    applied: dict[int, Item] = field(default_factory=dict)  # id(item) -> item
    warnings: list[str] = field(default_factory=list)
    resolutions: set[tuple[Version, Version]] = field(default_factory=set)  # both directions
    column_order_matters: bool = True  # releases.toml [lines] column_order = "any" turns it off

    def is_applied(self, item: Item) -> bool:
        return id(item) in self.applied


def make_item(
    index: ReleaseIndex, version: Version, owner: str, baseline: bool, change: Change | None, content_id: str | None
) -> Item:
    pos: Pos = (index.rank[owner], version.parts, 0 if baseline else 1)
    return Item(
        ("B" if baseline else "") + version.text,
        version,
        owner,
        index.release(owner).line,
        pos,
        content_id,
        change,
        baseline,
    )


def local_items(index: ReleaseIndex, changes: Sequence[Change]) -> list[Item]:
    items, nowhere = [], []
    for c in changes:
        m = c.migration
        if m.kind not in (Kind.VERSIONED, Kind.BASELINE) or m.version is None:
            continue
        owner = owner_of(index.graph, m)
        if owner is None:
            problem = f"migration {m.version.text} belongs to no release"
            nowhere.append(ReleaseProblem(m.path or m.script, None, problem))
            continue
        items.append(make_item(index, m.version, owner, c.is_baseline, c, c.content_id))
    if nowhere:
        raise ReleaseConfigError(
            f"{len(nowhere)} migration(s) belong to no release, first: {nowhere[0]}",
            hint="declare their releases in releases.toml",
            problems=nowhere,
        )
    return items


def link_peers(world: World) -> None:
    """Equivalence classes: declared ``[equivalent]`` pairs and identical content ids."""
    parent: dict[int, Item] = {id(i): i for i in world.items}

    def find(i: Item) -> Item:
        while parent[id(i)] is not i:
            parent[id(i)] = parent[id(parent[id(i)])]
            i = parent[id(i)]
        return i

    def union(a: Item, b: Item) -> None:
        ra, rb = find(a), find(b)
        if ra is not rb:
            parent[id(max(ra, rb, key=lambda x: x.pos))] = min(ra, rb, key=lambda x: x.pos)

    by_content: dict[str, Item] = {}
    for item in world.items:
        if item.content_id is not None:
            union(item, by_content.setdefault(item.content_id, item))
    for e in world.index.graph.equivalents:
        a, b = world.by_version.get((e.version, False)), world.by_version.get((e.other, False))
        if a is not None and b is not None:
            union(a, b)
    classes: dict[int, list[Item]] = {}
    for item in world.items:
        classes.setdefault(id(find(item)), []).append(item)
    for members in classes.values():
        for item in members:
            item.peers = members


def build_world(
    graph: ReleaseGraph,
    changes: Sequence[Change],
    history: Sequence[HistoryRow],
    elsewhere: Mapping[Version, str | None] | None = None,
) -> World:
    elsewhere = elsewhere or {}
    extra = [r.version for r in history if r.version is not None and not r.version.is_special]
    index = index_releases(graph, [c.migration for c in changes], [*extra, *elsewhere])
    items = local_items(index, changes)
    by_version: dict[tuple[Version, bool], Item] = {}
    for item in items:
        if (item.version, item.baseline) in by_version:
            raise DuplicateMigrationError(
                f"found more than one migration with version {item.version.text}", version=item.version.text
            )
        by_version[(item.version, item.baseline)] = item
    for version, cid in sorted(elsewhere.items()):
        owner = graph.owner(version)
        if (version, False) not in by_version and owner is not None and owner in index.rank:
            by_version[(version, False)] = make_item(index, version, owner, False, None, cid)
            items.append(by_version[(version, False)])
    items.sort(key=lambda i: i.pos)
    pairs = {(r.version, r.other) for r in graph.resolutions}
    return World(
        index,
        items,
        by_version,
        resolutions=pairs | {(b, a) for a, b in pairs},
        column_order_matters=graph.column_order != "any",
    )


# The last linked world's inputs (its changes as they were) and that world, with nothing applied.
_LAST: list[
    tuple[ReleaseGraph, tuple[Change, ...], frozenset[Version], frozenset[Version], tuple[object, ...], World]
] = []


def linked_world(
    graph: ReleaseGraph,
    changes: Sequence[Change],
    history: Sequence[HistoryRow],
    elsewhere: Mapping[Version, str | None] | None = None,
) -> World:
    """``build_world`` then ``link_peers``, with nothing applied yet. A plan reads the same changes three
    times (the ledger of the history, the plan, the ledger once the steps ran): the changes, their
    release index and equivalence classes are then shared with the last world built from the same
    graph and the same changes, when the history's versions that no change has (they may add release
    heads to the index) and ``elsewhere`` are the same too. Each world has its own applied state and
    warnings; nothing changes an item once ``link_peers`` has run."""
    known = tuple(sorted((elsewhere or {}).items()))
    if _LAST:
        last_graph, last_changes, local, foreign, last_known, shared = _LAST[0]
        if (
            last_graph is graph
            and len(last_changes) == len(changes)
            and all(map(operator.is_, last_changes, changes))
            and last_known == known
            and _foreign(history, local) == foreign
        ):
            return _fresh(shared)
    world = build_world(graph, changes, history, elsewhere)
    link_peers(world)
    local = frozenset(c.migration.version for c in changes if c.migration.version is not None)
    _LAST[:] = [(graph, tuple(changes), local, _foreign(history, local), known, world)]
    return _fresh(world)


def _fresh(world: World) -> World:
    """``world``'s changes, index and classes, nothing applied."""
    return World(
        world.index,
        world.items,
        world.by_version,
        resolutions=world.resolutions,
        column_order_matters=world.column_order_matters,
    )


def _foreign(history: Sequence[HistoryRow], local: frozenset[Version]) -> frozenset[Version]:
    """The history's versions that no change has (what ``build_world`` adds to the release index)."""
    return frozenset(v for r in history if (v := r.version) is not None and not v.is_special and v not in local)


def ghost(world: World, row: HistoryRow, record: LineRecord | None, baseline: bool) -> Item:
    """An applied change whose file is missing: unknown footprint, owner from the graph."""
    assert row.version is not None
    owner = world.index.graph.owner(row.version, inclusive=baseline)
    if owner is None or owner not in world.index.rank:
        owner_name, line, pos = "<none>", "<none>", (len(world.index.order), row.version.parts, 1)
        item = Item(row.version.text, row.version, owner_name, line, pos, None)
    else:
        item = make_item(world.index, row.version, owner, baseline, None, record.content_id if record else None)
    world.warnings.append(f"applied migration {row.version.text} is not among the resolved migrations")
    item.peers = [item]
    return item


def mark_baseline_marker(world: World, version: Version) -> None:
    """A ``BASELINE`` row: at a release's version the release's closure is in the database (flywayx's
    adoption before the history contract), at any other version every version up to it (Flyway)."""
    release = next((r for r in world.index.graph.releases if r.version == version), None)
    scope = world.index.closure(release.name) if release is not None else None
    for item in world.items:
        if (item.owner in scope) if scope is not None else item.version <= version:
            world.applied[id(item)] = item


def mark_baseline_migration(world: World, item: Item) -> None:
    """An applied baseline migration (``B`` file) installed its release's whole closure (the planner
    runs it on an empty schema instead of that closure)."""
    scope = world.index.closure(item.owner)
    for other in world.items:
        if other.owner in scope:
            world.applied[id(other)] = other


def mark_applied(world: World, history: Sequence[HistoryRow], records: Sequence[LineRecord]) -> None:
    """Fill ``world.applied`` from successful history rows, honouring DELETE rows and baselines."""
    by_record = {r.version: r for r in records}
    by_content: dict[str, Item] = {}
    for i in world.items:  # a renumbered file maps to the local change of that content, not another branch's
        if i.content_id is not None and (i.content_id not in by_content or by_content[i.content_id].change is None):
            by_content[i.content_id] = i
    live: dict[tuple[Version, bool], HistoryRow] = {}
    for row in sorted(history, key=lambda r: r.installed_rank):
        if row.version is None or row.version.is_special or row.type.upper() == "SCHEMA":
            continue
        if not row.success:
            world.warnings.append(f"history has a failed row for {row.version.text}; run repair or resume")
        elif row.type.upper() == "DELETE":
            live = {k: v for k, v in live.items() if k[0] != row.version}
        elif row.type.upper() == "BASELINE":
            mark_baseline_marker(world, row.version)
        else:
            live[(row.version, row.type.upper().endswith("_BASELINE"))] = row
    for (version, baseline), row in sorted(live.items(), key=lambda kv: kv[1].installed_rank):
        item = world.by_version.get((version, baseline))
        record = by_record.get(version)
        if item is None and record is not None and record.content_id in by_content:
            item = by_content[record.content_id]
        if item is not None and item.baseline:
            mark_baseline_migration(world, item)
        world.applied[id(item) if item else id(row)] = item or ghost(world, row, record, baseline)
