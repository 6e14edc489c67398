"""Plain ``migrate`` across a merge: the migrations Flyway's order skips that a release it reaches includes.

Flyway's order runs the pending versions above the database's current version; a maintenance fix
that sorts below it is *Ignored*. With a ``releases.toml``, a release that ``merges`` the fix's
release includes it, so running that release's own migrations without the fix would leave the
database at no release at all: neither the one before the merge nor the merge (history contract,
docs/history-tables.md). ``place_merged`` puts each such fix where ``migrate --to`` the merging
release would run it (on MySQL/MariaDB a late step's columns placed as ``--to`` places them: the
planner's steps are returned beside the order), or refuses before anything runs when ``migrate --to``
would refuse too.
Migrations that no pending migration's release includes stay *Ignored*, as in Flyway.
"""

from __future__ import annotations

from collections.abc import Sequence

from flywayx.errors import PlanError
from flywayx.model import HistoryRow
from flywayx.model.info import MigrationInfo, State
from flywayx.model.plan import PlanStep
from flywayx.model.release import ReleaseGraph
from flywayx.plan.ledger import Ledger
from flywayx.plan.world import Item
from flywayx.service import lines
from flywayx.service.kernel import Session


def place_merged(
    s: Session,
    graph: ReleaseGraph,
    analysed: lines.Analysed,
    ledger: Ledger,
    known: Sequence[MigrationInfo],
    pending: Sequence[MigrationInfo],
    rows: Sequence[HistoryRow],
) -> tuple[list[MigrationInfo], dict[str, PlanStep]]:
    """``pending`` (Flyway's order) with the skipped migrations of each release it reaches placed as
    ``migrate --to`` that release places them, and the planner's steps by script (a late step's
    added columns are placed as ``--to`` places them); raises PlanError (up front) where it would refuse.

    ``known``: every migration info (the skipped ones among them); ``rows``: the history the steps
    start from."""
    queued = {i.resolved.script for i in pending if i.resolved is not None}
    ignored = {i.resolved.script for i in known if i.resolved is not None and i.state is State.IGNORED}
    left_out = [i for i in _missing(ledger) if i.change is not None and i.change.migration.script in ignored]
    planned: dict[str, PlanStep] = {}
    if not left_out:
        return list(pending), planned
    by_script = {i.resolved.script: i for i in known if i.resolved is not None}
    index = ledger.world.index
    out: list[MigrationInfo] = []
    rest = list(pending)
    while rest:
        info = rest.pop(0)
        change = analysed.by_script.get(info.resolved.script) if info.resolved is not None else None
        item = ledger.item(change) if change is not None else None
        skipped = [i for i in left_out if item is not None and index.includes(item.owner, i.owner)]
        if item is None or not skipped:
            out.append(info)
            continue
        chosen = _plan_to(s, graph, analysed, item.owner, skipped[0], [*rows, *_rows_of(out, rows)])
        chosen = [step for step in chosen if step.migration.script in queued | ignored]  # never past -target
        planned.update((step.migration.script, step) for step in chosen)
        steps = [step.migration.script for step in chosen]
        out.extend(by_script[script] for script in steps if script in by_script)
        placed = set(steps) | {info.resolved.script if info.resolved is not None else ""}
        if info.resolved is not None and info.resolved.script not in steps:
            out.append(info)
        rest = [i for i in rest if i.resolved is None or i.resolved.script not in placed]
        # the plan to the release accounted for its whole closure (ran, or the same change as another)
        left_out = [i for i in left_out if not index.includes(item.owner, i.owner)]
    return out, planned


def _missing(ledger: Ledger) -> list[Item]:
    """Local versioned migrations whose change is not in the database."""
    return [i for i in ledger.world.items if not i.baseline and not ledger.in_database(i)]


def _plan_to(
    s: Session, graph: ReleaseGraph, analysed: lines.Analysed, release: str, first: Item, rows: Sequence[HistoryRow]
) -> list[PlanStep]:
    """The versioned steps ``migrate --to release`` would run from ``rows``, in its order."""
    try:
        plan = lines.make_plan(s, graph, analysed, release, rows=rows)
    except PlanError as e:
        message = (
            f"plain migrate would reach release {release} without {first.key} (release {first.owner}), "
            f"which {release} includes and Flyway's order skips; {e.message}"
        )
        raise PlanError(message, e.hint, **e.details) from None
    return [step for step in plan.steps if step.migration.version is not None]


def _rows_of(infos: Sequence[MigrationInfo], rows: Sequence[HistoryRow]) -> list[HistoryRow]:
    """History rows as if ``infos`` had run after ``rows`` (what a later plan starts from)."""
    rank = max((r.installed_rank for r in rows), default=0)
    out = []
    for n, info in enumerate(infos, start=1):
        m = info.resolved
        if m is None or m.version is None:
            continue
        out.append(HistoryRow(rank + n, m.version, m.description, m.type.value, m.script, m.checksum, "", 0, True))
    return out


__all__ = ["place_merged"]
