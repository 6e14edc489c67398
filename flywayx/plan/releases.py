"""Ownership, closure and canonical order over a release graph (pure).

``index_releases`` materialises the graph for a set of migration versions: the declared releases
plus the unreleased heads some migration belongs to, their canonical order and their closures.

Canonical order: releases in topological order (parents first), ties broken by version (a line's
unreleased head after its last release); migrations by version inside a release. A fresh install
of release T applies the migrations of ``closure(T)`` in this order.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from flywayx.errors import ReleaseConfigError, UsageError
from flywayx.model.migration import Kind, Migration
from flywayx.model.release import Release, ReleaseGraph, ReleaseMatch, head_name
from flywayx.model.version import Version


@dataclass(frozen=True)
class ReleaseIndex:
    """A release graph made ready for planning. ``order`` is canonical; ``rank`` its inverse.

    Nothing here is quadratic: a closure (or the set of descendants) is computed when asked, by a
    walk over parents (children), and only the last ``_KEPT`` of each are kept, so 10,000 releases
    in one chain need memory for 10,000 releases, not for 50 million closure entries. Questions
    about every release at once (``complete``) are answered in one pass in canonical order."""

    graph: ReleaseGraph
    releases: Mapping[str, Release]
    order: tuple[str, ...]
    rank: Mapping[str, int]
    _children: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)
    _closures: dict[str, frozenset[str]] = field(default_factory=dict, repr=False, compare=False)
    _descendants: dict[str, frozenset[str]] = field(default_factory=dict, repr=False, compare=False)

    def release(self, name: str) -> Release:
        return self.releases[name]

    def closure(self, name: str | None) -> frozenset[str]:
        """Release names whose migrations ``name`` includes; None means every release."""
        if name is None:
            return frozenset(self.order)
        if name not in self.rank:
            known = ", ".join(self.order[-8:])
            raise UsageError(f"unknown release {name!r}", hint=f"known releases include: {known}", release=name)
        found = self._closures.get(name)
        if found is None:
            found = _walk(name, lambda r: self.releases[r].parents, self.rank)
            _keep(self._closures, name, found)
        return found

    def includes(self, name: str, member: str) -> bool:
        """Whether ``member`` is in ``closure(name)``."""
        return member in self.closure(name)

    def descendants(self, name: str) -> frozenset[str]:
        """Releases whose closure includes ``name`` (itself included)."""
        if name not in self.rank:
            return frozenset()
        found = self._descendants.get(name)
        if found is None:
            if not self._children:
                self._children.update((r, []) for r in self.order)
                for r in self.order:
                    for p in self.releases[r].parents:
                        if p in self._children:
                            self._children[p].append(r)
            found = _walk(name, self._children.__getitem__, self.rank)
            _keep(self._descendants, name, found)
        return found

    def complete(self, missing: Collection[str]) -> frozenset[str]:
        """The releases whose closure holds none of ``missing``: one pass in canonical order (a
        release is complete when it is not missing and its parents are complete)."""
        done: set[str] = set()
        for r in self.order:
            if r not in missing and all(p in done for p in self.releases[r].parents if p in self.rank):
                done.add(r)
        return frozenset(done)

    def minimal(self, names: Collection[str]) -> list[str]:
        """The names none of whose closures holds another of the names, in canonical order."""
        chosen = set(names)
        keep = [n for n in chosen if not any(o != n and self.includes(n, o) for o in chosen)]
        return sorted(keep, key=self.rank.__getitem__)


_KEPT = 64  # closures and descendant sets kept per index (a bounded cache keeps memory linear)


def _walk(start: str, step: Callable[[str], Iterable[str]], known: Mapping[str, int]) -> frozenset[str]:
    """Every release reachable from ``start`` through ``step`` (itself included), iteratively."""
    seen, todo = {start}, [start]
    while todo:
        for nxt in step(todo.pop()):
            if nxt in known and nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return frozenset(seen)


def _keep(cache: dict[str, frozenset[str]], name: str, value: frozenset[str]) -> None:
    if len(cache) >= _KEPT:
        cache.pop(next(iter(cache)))  # the oldest
    cache[name] = value


def owner_of(graph: ReleaseGraph, migration: Migration) -> str | None:
    """The release a migration belongs to (baseline migrations may equal their release's version)."""
    if migration.version is None:
        return None
    return graph.owner(migration.version, inclusive=migration.kind is Kind.BASELINE)


def _heads(graph: ReleaseGraph, owners: Iterable[str | None]) -> list[Release]:
    heads: dict[str, Release] = {}
    for line in graph.lines:
        last = graph.last_of_line(line)
        name = head_name(line)
        if last is not None and name in owners and name not in heads:
            heads[name] = Release(name, last.version, line, (last.name,), declared=False)
    return list(heads.values())


def _topological(releases: Mapping[str, Release]) -> tuple[str, ...]:
    children: dict[str, list[str]] = {n: [] for n in releases}
    waiting = {n: 0 for n in releases}
    for r in releases.values():
        for p in r.parents:
            if p in releases:
                children[p].append(r.name)
                waiting[r.name] += 1
    ready = [(releases[n].order_key, n) for n, w in waiting.items() if w == 0]
    heapq.heapify(ready)
    out: list[str] = []
    while ready:
        _, name = heapq.heappop(ready)
        out.append(name)
        for kid in children[name]:
            waiting[kid] -= 1
            if waiting[kid] == 0:
                heapq.heappush(ready, (releases[kid].order_key, kid))
    if len(out) != len(releases):
        stuck = sorted(set(releases) - set(out))
        raise ReleaseConfigError(f"release graph has a cycle through {', '.join(stuck)}", releases=stuck)
    return tuple(out)


def index_releases(
    graph: ReleaseGraph, migrations: Iterable[Migration] = (), extra: Iterable[Version] = ()
) -> ReleaseIndex:
    """Index the graph plus the unreleased heads that ``migrations`` (or ``extra`` versions, e.g.
    applied versions missing locally) belong to."""
    owners = {owner_of(graph, m) for m in migrations} | {graph.owner(v) for v in extra}
    releases = {r.name: r for r in graph.releases}
    releases.update((h.name, h) for h in _heads(graph, owners))
    order = _topological(releases)
    return ReleaseIndex(graph, releases, order, {n: i for i, n in enumerate(order)})


def canonical_order(
    index: ReleaseIndex, migrations: Iterable[Migration], target: str | None = None
) -> list[tuple[str, Migration]]:
    """(release, migration) for the versioned/baseline migrations of ``closure(target)``, canonically
    ordered. Migrations that belong nowhere are left out (validation reports them)."""
    scope = index.closure(target)
    owned: list[tuple[tuple[int, Version, int], str, Migration]] = []
    for m in migrations:
        owner = owner_of(index.graph, m)
        if owner is not None and owner in scope and m.version is not None:
            tie = 0 if m.kind is Kind.BASELINE else 1
            owned.append(((index.rank[owner], m.version, tie), owner, m))
    owned.sort(key=lambda item: item[0])
    return [(owner, m) for _, owner, m in owned]


def equivalence_classes(graph: ReleaseGraph) -> dict[Version, frozenset[Version]]:
    groups: dict[Version, set[Version]] = {}
    for e in graph.equivalents:
        merged = groups.get(e.version, {e.version}) | groups.get(e.other, {e.other})
        for v in merged:
            groups[v] = merged
    return {v: frozenset(g) for v, g in groups.items()}


def covering(index: ReleaseIndex, homes: Iterable[frozenset[str]]) -> set[str]:
    """Releases whose closure meets every one of ``homes`` (for each applied change: the releases
    owning it or a change equivalent to it)."""
    out = set(index.order)
    for home in set(homes):
        out &= set().union(*(index.descendants(h) for h in home))
    return out


def _releases_covering(index: ReleaseIndex, owners: Mapping[Version, str], applied: Iterable[Version]) -> set[str]:
    """Releases whose closure holds every applied version or a declared equivalent of it."""
    classes = equivalence_classes(index.graph)
    return covering(
        index, (frozenset(owners[x] for x in classes.get(v, frozenset({v})) if x in owners) for v in applied)
    )


def _owners(
    index: ReleaseIndex, migrations: Iterable[Migration], elsewhere: Iterable[Version] = ()
) -> dict[Version, str]:
    """Versioned migration -> owning release, for the migrations here and those known elsewhere
    (on another branch: their release is not complete without them)."""
    owners: dict[Version, str] = {}
    for m in migrations:
        owner = owner_of(index.graph, m)
        if owner is not None and m.version is not None and m.kind is Kind.VERSIONED:
            owners[m.version] = owner
    for v in elsewhere:
        away = index.graph.owner(v)
        if away is not None and away in index.rank:
            owners.setdefault(v, away)
    return owners


def infer_releases(
    graph: ReleaseGraph, migrations: Sequence[Migration], applied: Iterable[Version], elsewhere: Iterable[Version] = ()
) -> list[ReleaseMatch]:
    """The minimal releases whose closure covers an applied set (a declared equivalent counts).

    For adopting a database migrated by plain Flyway: each match lists the closure versions the
    database lacks (``exact`` when none). Empty when no release covers it (or nothing is applied).
    """
    index = index_releases(graph, migrations)
    owners = _owners(index, migrations, elsewhere)
    done = {v for v in applied if v in owners}
    if not done:
        return []
    classes = equivalence_classes(graph)
    satisfied = {x for v in done for x in classes.get(v, frozenset({v}))}
    out = []
    for name in index.minimal(_releases_covering(index, owners, done)):
        scope = index.closure(name)
        missing = sorted(v for v, o in owners.items() if o in scope and v not in satisfied)
        out.append(ReleaseMatch(name, tuple(v.text for v in missing)))
    return out


def current_releases(
    graph: ReleaseGraph, migrations: Sequence[Migration], applied: Iterable[Version], elsewhere: Iterable[Version] = ()
) -> dict[str, str | None]:
    """Per line, the latest release (canonical order) whose whole closure is applied, else None.

    A version counts as applied when it or a declared equivalent is; ``elsewhere`` are versions of
    migrations whose file is not here (another branch's). For ``info`` and ``graph``.
    """
    index = index_releases(graph, migrations)
    owners = _owners(index, migrations, elsewhere)
    classes = equivalence_classes(graph)
    satisfied = {x for v in applied for x in classes.get(v, frozenset({v}))}
    if not satisfied & owners.keys():
        return {line: None for line in graph.lines}
    complete = index.complete({o for v, o in owners.items() if v not in satisfied})
    status: dict[str, str | None] = {line: None for line in graph.lines}
    for name in index.order:
        release = index.releases[name]
        if release.declared and name in complete:
            status[release.line] = name
    return status
