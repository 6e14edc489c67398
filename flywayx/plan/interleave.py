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
3. pending = closure(target) - applied - changes equivalent to an applied one; a class of equivalent
   changes runs once, as its stand-in (the first in the target's closure: ``_stand_in``), and an
   applied change takes its stand-in's place in the order;
4. canonical order (``flywayx.plan.releases``);
5. interleaving: a pending change that the canonical order puts before an applied change runs late
   only if its line's policy is ``interleave`` and it commutes (``shared_objects == ()``, both
   idempotent, or a ``[commutes]`` declaration) with every applied change after it. Otherwise
   ``PlanError`` lists every conflicting pair with the objects both touch, and the releases that
   would plan cleanly. Footprints are indexed by table/object, so the check is near linear. Applied
   changes that the target orders otherwise than they ran (only a stand-in's place can do that) must
   commute too (``_reordered``).

Nothing depends on input order: every output is sorted by canonical position or name.

The world (changes, equivalence classes, applied set) lives in ``flywayx.plan.world``, the footprint
index in ``flywayx.plan.footprint_index``, the wording of refusals in ``flywayx.plan.interleave_errors``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flywayx.errors import Conflict, UsageError
from flywayx.model.footprint import Footprint, shared_objects, table_of
from flywayx.model.history import HistoryRow
from flywayx.model.migration import Kind, MigrationType
from flywayx.model.plan import Change, LineRecord, Ordering, Plan, PlanStep, Skipped
from flywayx.model.release import ReleaseGraph
from flywayx.model.version import Version
from flywayx.plan.footprint_index import FootprintIndex, Pos
from flywayx.plan.interleave_errors import absent_error, conflict_error, unreachable_error
from flywayx.plan.releases import ReleaseIndex, covering
from flywayx.plan.renames import recognise_cut_renames
from flywayx.plan.world import Item, World, linked_world, mark_applied


def _unreachable(world: World, scope: frozenset[str]) -> list[Item]:
    def inside(item: Item) -> bool:
        return any(p.owner in scope for p in item.peers)

    return sorted((a for a in world.applied.values() if not inside(a)), key=lambda a: a.pos)


def _covering_releases(world: World) -> set[str]:
    rank = world.index.rank
    return covering(
        world.index, (frozenset(p.owner for p in a.peers if p.owner in rank) for a in world.applied.values())
    )


def _stand_in(item: Item, scope: frozenset[str]) -> Item:
    """The member of ``item``'s equivalence class that runs for it in a target's closure: the first in
    canonical order (a fix merged from an older line runs where that line put it, as Flyway's version
    order runs it), one whose file is here before one whose file is not."""
    inside = [p for p in item.peers if p.owner in scope] or [item]
    here = [p for p in inside if p.change is not None] or inside
    return min(here, key=lambda p: p.pos)


def _effective_pos(item: Item, scope: frozenset[str]) -> Pos:
    """Where an applied change sits in the target's canonical order (its class's stand-in's place)."""
    if len(item.peers) == 1 and item.owner in scope:
        return item.pos
    return _stand_in(item, scope).pos


@dataclass
class _Outcome:
    steps: list[tuple[Item, bool, str]] = field(default_factory=list)  # item, late, reason
    later: dict[int, tuple[Item, ...]] = field(default_factory=dict)  # id(late item) -> applied after it
    skipped: list[Skipped] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    reordered: list[Conflict] = field(default_factory=list)  # applied pairs the target orders otherwise
    moved: dict[str, str] = field(default_factory=dict)  # applied change -> what runs for it in the target
    strict: list[Conflict] = field(default_factory=list)
    absent: list[Item] = field(default_factory=list)  # must run, but its file is not here


def _baseline_choice(world: World, scope: frozenset[str], out: _Outcome) -> set[int]:
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


def _pending(world: World, scope: frozenset[str], out: _Outcome) -> list[Item]:
    settled = _baseline_choice(world, scope, out)
    pending: list[Item] = []
    for item in world.items:
        if item.owner not in scope or world.is_applied(item) or id(item) in settled:
            continue
        done = next((p for p in item.peers if world.is_applied(p)), None)
        stand_in = _stand_in(item, scope) if len(item.peers) > 1 else item
        if done is not None:
            how = "identical content" if done.content_id == item.content_id else "declared equivalent"
            out.skipped.append(Skipped(item.key, f"satisfied by applied {done.key} ({how})"))
        elif stand_in is not item and item.change is None:
            out.skipped.append(Skipped(item.key, f"its file is not here; the same change runs as {stand_in.key}"))
        elif stand_in is not item:
            out.skipped.append(Skipped(item.key, f"same change as {stand_in.key}, which runs in its place"))
        elif item.change is None:
            out.absent.append(item)
        else:
            pending.append(item)
    return pending


def _shared(world: World, a: Item, b: Item) -> tuple[str, ...]:
    """The objects through which two changes interfere; a table's column order (``order:t``) only when
    releases.toml does not declare ``[lines] column_order = "any"``."""
    objects = shared_objects(a.footprint, b.footprint)
    return objects if world.column_order_matters else tuple(o for o in objects if not o.startswith("order:"))


def _declared(world: World, a: Item, b: Item) -> bool:
    return (a.version, b.version) in world.resolutions


def _interleave(
    world: World, scope: frozenset[str], pending: list[Item], policy: Mapping[str, Ordering], target: str, out: _Outcome
) -> None:
    applied = [(_effective_pos(a, scope), a) for a in world.applied.values()]
    out.reordered += _reordered(world, scope, applied, out.moved)
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
        clashes = [(a, _shared(world, item, a)) for a in later if not _declared(world, item, a)]
        bad = [Conflict(item.key, a.key, objs) for a, objs in clashes if objs]
        out.conflicts += bad
        if not bad:
            n = fx.count_after(item.pos)
            trusted = [a.key for a in later if _declared(world, item, a)]
            why = (
                f"out of order in {target}: canonically before applied {first.key}; "
                f"commutes with the {n} applied change(s) after it"
                + (f" (declared, not proven: [commutes] with {', '.join(trusted)})" if trusted else "")
            )
            out.steps.append((item, True, why))
            out.later[id(item)] = tuple(_same_tables(fx, item))


def _reordered(
    world: World, scope: frozenset[str], applied: list[tuple[Pos, Item]], moved: dict[str, str]
) -> list[Conflict]:
    """Applied pairs that ran in one order where the target's canonical order has the other, and that
    do not commute. Only a change whose class runs elsewhere in the target can be out of place:
    1.1.0.1 ran before 1.1.0.2, but in 1.1.1 the same change as 1.1.0.2 runs as 1.0.3.1, before 1.1.0.1.
    ``applied`` is in the history's order; a class's first row there is when the change ran (a later
    row of the same class records it as satisfied: ``plan/ledger.py``). ``moved`` receives, for each
    change found out of place, the change that runs for it in the target."""
    found: dict[tuple[str, str], Conflict] = {}
    by_class: dict[int, tuple[Pos, Item]] = {}
    for p, a in applied:
        by_class.setdefault(id(a.peers), (p, a))
    ran = list(by_class.values())
    for i, (p, a) in enumerate(ran):
        if p == a.pos:
            continue
        for j, (q, b) in enumerate(ran):
            if (i < j) == (p < q):
                continue
            first, second = (a, b) if p < q else (b, a)
            objects = () if _declared(world, a, b) else _shared(world, a, b)
            if objects:
                found[(first.key, second.key)] = Conflict(first.key, second.key, objects)
                moved[a.key] = _stand_in(a, scope).key
    return [found[k] for k in sorted(found)]


def _same_tables(fx: FootprintIndex[Item], item: Item) -> list[Item]:
    """The applied changes after ``item`` that touch a table whose columns ``item`` writes (where a late
    ADD COLUMN is placed: ``service/placement.py``)."""
    tables = {table_of(o) for o in item.footprint.writes if o.startswith("column:")}
    probe = Footprint(writes=frozenset(f"table:{t}" for t in tables if t))
    return fx.after(item.pos, probe) if probe.writes else []


def _normalise_policy(policy: Mapping[str, Ordering | str] | None) -> dict[str, Ordering]:
    out: dict[str, Ordering] = {}
    for line, value in (policy or {}).items():
        try:
            out[line] = Ordering(value)
        except ValueError:
            raise UsageError(
                f"unknown ordering policy {value!r} for line {line}", hint="use 'strict' or 'interleave'", line=line
            ) from None
    return out


def _resolve_target(index: ReleaseIndex, target: str | None) -> str | None:
    if target is None or target in index.releases:
        return target
    wanted = Version.try_parse(target)
    match = next((r.name for r in index.graph.releases if wanted is not None and r.version == wanted), None)
    if match is None:
        index.closure(target)  # raises UsageError naming known releases
    return match


def _attempt(world: World, target: str | None, policy: Mapping[str, Ordering]) -> _Outcome:
    scope = world.index.closure(target)
    out = _Outcome()
    _interleave(world, scope, _pending(world, scope, out), policy, target or "latest", out)
    return out


def _raise_unreachable(world: World, target: str | None, bad: list[Item]) -> None:
    covers = _covering_releases(world)
    line = world.index.release(target).line if target is not None else None
    on_line = world.index.minimal([r for r in covers if world.index.release(r).line == line])
    reachable = world.index.minimal(covers)
    past = target is not None and any(target in world.index.closure(r) for r in reachable)
    onward = world.index.minimal([r for r in covers if target in world.index.closure(r)]) if target else []
    raise unreachable_error(target, bad, line, reachable, on_line, past=past, onward=onward)


def _raise_conflicts(world: World, target: str | None, out: _Outcome, policy: Mapping[str, Ordering]) -> None:
    candidates = [r for r in world.index.order if r != target and r in _covering_releases(world)]
    working = [r for r in candidates if _clean(_attempt(world, r, policy))]
    raise conflict_error(target, out.conflicts, out.strict, working, out.reordered, out.moved)


def _clean(out: _Outcome) -> bool:
    return not out.conflicts and not out.reordered and not out.strict and not out.absent


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
    world = linked_world(graph, changes, history, elsewhere or {})
    mark_applied(world, history, line_records)
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
    steps = [
        PlanStep(
            i.change,
            i.owner,
            i.line,
            why,
            late,
            tuple(a.change.migration for a in out.later.get(id(i), ()) if a.change is not None),
        )
        for i, late, why in out.steps
        if i.change is not None
    ]
    repeatables = pending_repeatables(changes, history)
    owner = graph.repeatables_with
    if owner is not None and owner not in world.index.closure(target):
        note = f"; {graph.repeatables_note}" if graph.repeatables_note else ""
        out.skipped += [
            Skipped(
                st.migration.script,
                f"deferred: repeatable migrations are written for release "
                f"{owner} and run once an upgrade reaches it{note}",
            )
            for st in repeatables
        ]
        repeatables = []
    steps += repeatables
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
