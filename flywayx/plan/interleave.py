"""The interleave planner: from any applied state to any release, or a precise refusal (pure).

``plan_migrate`` follows DESIGN.md "Planning":

1. applied set: successful history rows mapped to changes by version (and, through flywayx's per-line
   records, by content id when a file was renumbered); a ``BASELINE`` marker at a release's version
   stands for that release's closure, at any other version for every version up to it (Flyway).
   Migrations known ``elsewhere`` (on another branch, by content id; see ``service/known.py``) are
   changes like the others: equivalent to local ones by content or declaration, never run from here;
2. reachability: every applied change must be in ``closure(target)`` or equivalent to a change there
   (declared in ``[equivalent]`` or identical content id), else ``PlanError`` naming each such change
   and the minimal releases whose closure covers the database;
3. pending = closure(target) - applied - changes equivalent to an applied or earlier planned change;
4. canonical order (``flywayx.plan.releases``);
5. interleaving: a pending change that the canonical order puts before an applied change runs late
   only if its line's policy is ``interleave`` and it commutes (``shared_objects == ()``, both
   idempotent, or a ``[commutes]`` declaration) with every applied change after it. Otherwise
   ``PlanError`` lists every conflicting pair with the objects both touch, and the releases that
   would plan cleanly. Footprints are indexed by table/object, so the check is near linear.

Nothing depends on input order: every output is sorted by canonical position or name.

The footprint index lives in ``flywayx.plan.footprint_index``, the wording of refusals in
``flywayx.plan.interleave_errors``; the steps above stay here because they share one private
state (``_World``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flywayx.errors import Conflict, DuplicateMigrationError, ReleaseConfigError, UsageError
from flywayx.model.footprint import Footprint, shared_objects
from flywayx.model.history import HistoryRow
from flywayx.model.migration import Kind, MigrationType
from flywayx.model.plan import UNKNOWN_FOOTPRINT, Change, LineRecord, Ordering, Plan, PlanStep, Skipped
from flywayx.model.release import ReleaseGraph, ReleaseProblem
from flywayx.model.version import Version
from flywayx.plan.footprint_index import FootprintIndex, Pos
from flywayx.plan.interleave_errors import absent_error, conflict_error, unreachable_error
from flywayx.plan.releases import ReleaseIndex, covering, index_releases, owner_of
from flywayx.plan.renames import recognise_cut_renames


@dataclass(slots=True)
class _Item:
    """A versioned change the planner knows: local (``change`` set) or applied but missing locally."""

    key: str
    version: Version
    owner: str
    line: str
    pos: Pos
    content_id: str | None
    change: Change | None = None
    baseline: bool = False
    peers: list[_Item] = field(default_factory=list)  # equivalence class, self included

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
class _World:
    """Every known change, by identity, with equivalence classes and the applied state."""

    index: ReleaseIndex
    items: list[_Item]
    by_version: dict[tuple[Version, bool], _Item]
    applied: dict[int, _Item] = field(default_factory=dict)  # id(item) -> item
    warnings: list[str] = field(default_factory=list)
    resolutions: set[tuple[Version, Version]] = field(default_factory=set)  # both directions

    def is_applied(self, item: _Item) -> bool:
        return id(item) in self.applied


def _make_item(index: ReleaseIndex, version: Version, owner: str, baseline: bool,
               change: Change | None, content_id: str | None) -> _Item:
    pos: Pos = (index.rank[owner], version.parts, 0 if baseline else 1)
    return _Item(("B" if baseline else "") + version.text, version, owner, index.release(owner).line, pos,
                 content_id, change, baseline)


def _local_items(index: ReleaseIndex, changes: Sequence[Change]) -> list[_Item]:
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
        items.append(_make_item(index, m.version, owner, c.is_baseline, c, c.content_id))
    if nowhere:
        raise ReleaseConfigError(f"{len(nowhere)} migration(s) belong to no release, first: {nowhere[0]}",
                                 hint="declare their releases in releases.toml", problems=nowhere)
    return items


def _link_peers(world: _World) -> None:
    """Equivalence classes: declared ``[equivalent]`` pairs and identical content ids."""
    parent: dict[int, _Item] = {id(i): i for i in world.items}

    def find(i: _Item) -> _Item:
        while parent[id(i)] is not i:
            parent[id(i)] = parent[id(parent[id(i)])]
            i = parent[id(i)]
        return i

    def union(a: _Item, b: _Item) -> None:
        ra, rb = find(a), find(b)
        if ra is not rb:
            parent[id(max(ra, rb, key=lambda x: x.pos))] = min(ra, rb, key=lambda x: x.pos)

    by_content: dict[str, _Item] = {}
    for item in world.items:
        if item.content_id is not None:
            union(item, by_content.setdefault(item.content_id, item))
    for e in world.index.graph.equivalents:
        a, b = world.by_version.get((e.version, False)), world.by_version.get((e.other, False))
        if a is not None and b is not None:
            union(a, b)
    classes: dict[int, list[_Item]] = {}
    for item in world.items:
        classes.setdefault(id(find(item)), []).append(item)
    for members in classes.values():
        for item in members:
            item.peers = members


def _build_world(graph: ReleaseGraph, changes: Sequence[Change], history: Sequence[HistoryRow],
                 elsewhere: Mapping[Version, str | None]) -> _World:
    extra = [r.version for r in history if r.version is not None and not r.version.is_special]
    index = index_releases(graph, [c.migration for c in changes], [*extra, *elsewhere])
    items = _local_items(index, changes)
    by_version: dict[tuple[Version, bool], _Item] = {}
    for item in items:
        if (item.version, item.baseline) in by_version:
            raise DuplicateMigrationError(f"found more than one migration with version {item.version.text}",
                                          version=item.version.text)
        by_version[(item.version, item.baseline)] = item
    for version, cid in sorted(elsewhere.items()):
        owner = graph.owner(version)
        if (version, False) not in by_version and owner is not None and owner in index.rank:
            by_version[(version, False)] = _make_item(index, version, owner, False, None, cid)
            items.append(by_version[(version, False)])
    items.sort(key=lambda i: i.pos)
    pairs = {(r.version, r.other) for r in graph.resolutions}
    return _World(index, items, by_version, resolutions=pairs | {(b, a) for a, b in pairs})


def _ghost(world: _World, row: HistoryRow, record: LineRecord | None, baseline: bool) -> _Item:
    """An applied change whose file is missing: unknown footprint, owner from the graph."""
    assert row.version is not None
    owner = world.index.graph.owner(row.version, inclusive=baseline)
    if owner is None or owner not in world.index.rank:
        owner_name, line, pos = "<none>", "<none>", (len(world.index.order), row.version.parts, 1)
        item = _Item(row.version.text, row.version, owner_name, line, pos, None)
    else:
        item = _make_item(world.index, row.version, owner, baseline, None,
                          record.content_id if record else None)
    world.warnings.append(f"applied migration {row.version.text} is not among the resolved migrations")
    item.peers = [item]
    return item


def _mark_baseline_marker(world: _World, version: Version) -> None:
    release = next((r for r in world.index.graph.releases if r.version == version), None)
    scope = world.index.closure(release.name) if release is not None else None
    for item in world.items:
        if (item.owner in scope) if scope is not None else item.version <= version:
            world.applied[id(item)] = item


def _mark_applied(world: _World, history: Sequence[HistoryRow], records: Sequence[LineRecord]) -> None:
    """Fill ``world.applied`` from successful history rows, honouring DELETE rows and baselines."""
    by_record = {r.version: r for r in records}
    by_content: dict[str, _Item] = {}
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
            _mark_baseline_marker(world, row.version)
        else:
            live[(row.version, row.type.upper().endswith("_BASELINE"))] = row
    for (version, baseline), row in sorted(live.items(), key=lambda kv: kv[1].installed_rank):
        item = world.by_version.get((version, baseline))
        record = by_record.get(version)
        if item is None and record is not None and record.content_id in by_content:
            item = by_content[record.content_id]
        world.applied[id(item) if item else id(row)] = item or _ghost(world, row, record, baseline)


def _unreachable(world: _World, scope: frozenset[str]) -> list[_Item]:
    def inside(item: _Item) -> bool:
        return any(p.owner in scope for p in item.peers)

    return sorted((a for a in world.applied.values() if not inside(a)), key=lambda a: a.pos)


def _covering_releases(world: _World) -> set[str]:
    rank = world.index.rank
    return covering(world.index, (frozenset(p.owner for p in a.peers if p.owner in rank)
                                  for a in world.applied.values()))


def _effective_pos(item: _Item, scope: frozenset[str]) -> Pos:
    """Where an applied change sits in the target's canonical order (its in-scope equivalent's place)."""
    if item.owner in scope:
        return item.pos
    return min(p.pos for p in item.peers if p.owner in scope)


@dataclass
class _Outcome:
    steps: list[tuple[_Item, bool, str]] = field(default_factory=list)  # item, late, reason
    skipped: list[Skipped] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    strict: list[Conflict] = field(default_factory=list)
    absent: list[_Item] = field(default_factory=list)  # must run, but its file is not here


def _baseline_choice(world: _World, scope: frozenset[str], out: _Outcome) -> set[int]:
    """Ids of items that baselines settle: on an empty schema the last baseline migration in scope
    stands for its release's closure; otherwise baseline migrations never run (Flyway)."""
    bases = [i for i in world.items if i.baseline and i.owner in scope and not world.is_applied(i)]
    if not bases:
        return set()
    settled = {id(b) for b in bases}
    if world.applied:
        out.skipped += [Skipped(b.key, "baseline migrations only run on an empty schema") for b in bases]
        return settled
    chosen = bases[-1]
    covered = world.index.closure(chosen.owner)
    for item in world.items:
        if item is not chosen and item.owner in covered and item.owner in scope:
            settled.add(id(item))
            out.skipped.append(Skipped(item.key, f"covered by baseline migration {chosen.key}"))
    settled.discard(id(chosen))
    return settled


def _pending(world: _World, scope: frozenset[str], out: _Outcome) -> list[_Item]:
    settled = _baseline_choice(world, scope, out)
    chosen: set[int] = set()
    pending: list[_Item] = []
    for item in world.items:
        if item.owner not in scope or world.is_applied(item) or id(item) in settled:
            continue
        done = next((p for p in item.peers if world.is_applied(p)), None)
        earlier = next((p for p in item.peers if id(p) in chosen), None)
        here = next((p for p in item.peers if p.change is not None and p.owner in scope), None)
        if done is not None:
            how = "identical content" if done.content_id == item.content_id else "declared equivalent"
            out.skipped.append(Skipped(item.key, f"satisfied by applied {done.key} ({how})"))
        elif earlier is not None:
            out.skipped.append(Skipped(item.key, f"same change as {earlier.key}, planned earlier"))
        elif item.change is None and here is not None:
            out.skipped.append(Skipped(item.key, f"its file is not here; the same change runs as {here.key}"))
        elif item.change is None:
            out.absent.append(item)
        else:
            chosen.add(id(item))
            pending.append(item)
    return pending


def _declared(world: _World, a: _Item, b: _Item) -> bool:
    return (a.version, b.version) in world.resolutions


def _interleave(world: _World, scope: frozenset[str], pending: list[_Item],
                policy: Mapping[str, Ordering], target: str, out: _Outcome) -> None:
    applied = [(_effective_pos(a, scope), a) for a in world.applied.values()]
    last = max((p for p, _ in applied), default=None)
    fx = FootprintIndex(applied) if any(last is not None and p.pos < last for p in pending) else None
    for item in pending:
        if fx is None or last is None or item.pos > last:
            out.steps.append((item, False, f"in {target}: release {item.owner}, line {item.line}"))
            continue
        later = fx.after(item.pos, item.footprint)
        first = fx.first_after(item.pos)
        if policy.get(item.line, Ordering.INTERLEAVE) is Ordering.STRICT:
            out.strict.append(Conflict(item.key, first.key, ()))
            continue
        clashes = [(a, shared_objects(item.footprint, a.footprint)) for a in later
                   if not _declared(world, item, a)]
        bad = [Conflict(item.key, a.key, objs) for a, objs in clashes if objs]
        out.conflicts += bad
        if not bad:
            n = fx.count_after(item.pos)
            why = (f"out of order in {target}: canonically before applied {first.key}; "
                   f"commutes with the {n} applied change(s) after it")
            out.steps.append((item, True, why))


def _normalise_policy(policy: Mapping[str, Ordering | str] | None) -> dict[str, Ordering]:
    out: dict[str, Ordering] = {}
    for line, value in (policy or {}).items():
        try:
            out[line] = Ordering(value)
        except ValueError:
            raise UsageError(f"unknown ordering policy {value!r} for line {line}",
                             hint="use 'strict' or 'interleave'", line=line) from None
    return out


def _resolve_target(index: ReleaseIndex, target: str | None) -> str | None:
    if target is None or target in index.releases:
        return target
    wanted = Version.try_parse(target)
    match = next((r.name for r in index.graph.releases if wanted is not None and r.version == wanted), None)
    if match is None:
        index.closure(target)  # raises UsageError naming known releases
    return match


def _attempt(world: _World, target: str | None, policy: Mapping[str, Ordering]) -> _Outcome:
    scope = world.index.closure(target)
    out = _Outcome()
    _interleave(world, scope, _pending(world, scope, out), policy, target or "latest", out)
    return out


def _raise_unreachable(world: _World, target: str | None, bad: list[_Item]) -> None:
    covers = _covering_releases(world)
    line = world.index.release(target).line if target is not None else None
    on_line = world.index.minimal([r for r in covers if world.index.release(r).line == line])
    raise unreachable_error(target, bad, line, world.index.minimal(covers), on_line)


def _raise_conflicts(world: _World, target: str | None, out: _Outcome,
                     policy: Mapping[str, Ordering]) -> None:
    candidates = [r for r in world.index.order if r != target and r in _covering_releases(world)]
    working = [r for r in candidates if _clean(_attempt(world, r, policy))]
    raise conflict_error(target, out.conflicts, out.strict, working)


def _clean(out: _Outcome) -> bool:
    return not out.conflicts and not out.strict and not out.absent


def plan_migrate(
    graph: ReleaseGraph,
    changes: Sequence[Change],
    history: Sequence[HistoryRow],
    target: str | None = None,
    *,
    line_records: Sequence[LineRecord] = (),
    policy: Mapping[str, Ordering | str] | None = None,
    elsewhere: Mapping[Version, str | None] | None = None,
) -> Plan:
    """Plan the way from the applied state to ``target`` (a release name or version; None = latest).

    Returns a Plan (versioned steps in canonical order, late ones flagged ``out_of_order``, then
    repeatables whose checksum changed) or raises PlanError with ``details['conflicts']``,
    ``details['reachable']`` (and ``unreachable``/``strict``). ``policy`` maps a line key to
    ``strict`` or ``interleave`` (default). ``elsewhere``: versions (with content ids) of migrations
    whose file is not here but which exist on another branch or in the history; a plan that would
    have to run one refuses (PlanError with ``details['absent']``).
    """
    history = recognise_cut_renames(history, [c.migration for c in changes])
    world = _build_world(graph, changes, history, elsewhere or {})
    _link_peers(world)
    _mark_applied(world, history, line_records)
    policies = _normalise_policy(policy)
    target = _resolve_target(world.index, target)
    bad = _unreachable(world, world.index.closure(target))
    if bad:
        _raise_unreachable(world, target, bad)
    out = _attempt(world, target, policies)
    if out.absent:
        raise absent_error(target, out.absent)
    if not _clean(out):
        _raise_conflicts(world, target, out, policies)
    from_releases = world.index.minimal(_covering_releases(world)) if world.applied else []
    steps = [PlanStep(i.change, i.owner, i.line, why, late)
             for i, late, why in out.steps if i.change is not None]
    steps += pending_repeatables(changes, history)
    return Plan(tuple(steps), target, tuple(from_releases), tuple(world.warnings), tuple(out.skipped))


def pending_repeatables(changes: Sequence[Change], history: Sequence[HistoryRow]) -> list[PlanStep]:
    """Repeatable migrations that are new or whose checksum differs from their latest applied row,
    ordered by description (Flyway's rule); they run after every versioned step."""
    latest: dict[str, HistoryRow] = {}
    for row in sorted(history, key=lambda r: r.installed_rank):
        synthetic = row.mtype in (MigrationType.SCHEMA, MigrationType.DELETE)
        if row.version is None and row.success and not synthetic:
            latest[row.description] = row
    steps = []
    for c in sorted(changes, key=lambda c: c.migration.description):
        m = c.migration
        if m.kind is not Kind.REPEATABLE:
            continue
        last = latest.get(m.description)
        if last is None or not m.checksum_matches(last.checksum):
            why = "repeatable: new" if last is None else "repeatable: checksum changed"
            steps.append(PlanStep(c, None, None, why))
    return steps
