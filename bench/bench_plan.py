"""Planner benchmark: fresh installs and interleaved upgrades at 1k / 10k / 50k migrations.

Synthetic project: 10 lines of 5 releases (50 releases). Line k branches from release 2 of line
k-1; the last release of line k merges release 4 of line k-1, which ships after line k's branch
point (a maintenance release, like CloudStack 4.5.3 after 4.6.0). Each migration adds its own
column to one of 500 tables, so late changes share tables (and buckets of the footprint index) with
applied ones but commute.

Scenarios (median wall time of ``--repeat`` runs, each including graph indexing):
  fresh      empty database -> the last release of the last line (every migration)
  upgrade    database at the second-to-last release of the last line (maintenance
             releases of older lines not merged yet) -> the last release: late changes
             checked for commutation

``--freeze`` moves the inputs to the garbage collector's permanent generation first (``gc.freeze``),
as a long-lived process holding its resolved migrations would: Python's cyclic GC otherwise rescans
the inputs during planning, which is most of the non-linear growth at 50k.

Run: ``.venv/bin/python bench/bench_plan.py [--sizes 1000,10000,50000] [--repeat 5] [--freeze]``
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time

from flywayx.model import HistoryRow, Kind, Migration, MigrationType, Version
from flywayx.model.footprint import Footprint, Phase
from flywayx.model.plan import Change
from flywayx.model.release import Release, ReleaseGraph
from flywayx.plan.interleave import plan_migrate

LINES, PER_LINE, TABLES = 10, 5, 500


def build_graph() -> ReleaseGraph:
    releases = []
    for k in range(LINES):
        for p in range(PER_LINE):
            name = f"1.{k}.{p}"
            parents: tuple[str, ...] = (f"1.{k}.{p - 1}",) if p else ((f"1.{k - 1}.2",) if k else ())
            merges = (f"1.{k - 1}.4",) if k and p == PER_LINE - 1 else ()
            branch = f"1.{k - 1}.2" if k and not p else None
            releases.append(Release(name, Version.parse(name), f"1.{k}", parents + merges, branch, merges))
    return ReleaseGraph(tuple(sorted(releases, key=lambda r: r.version)), depth=2)


def build_changes(graph: ReleaseGraph, n: int, rng: random.Random) -> list[Change]:
    per_release = n // len(graph.releases)
    changes = []
    for r in graph.releases:
        for i in range(1, per_release + 1):
            version = f"{r.name}.{i}"
            name = f"V{version}__c.sql"
            m = Migration(Kind.VERSIONED, Version.parse(version), "c", name, name, MigrationType.SQL, 0)
            table = f"t{rng.randrange(TABLES)}"
            fp = Footprint(Phase.EXPAND, frozenset(), frozenset({f"column:{table}.c{version.replace('.', '_')}"}))
            changes.append(Change(m, f"cid-{version}", fp))
    return changes


def history_at(graph: ReleaseGraph, changes: list[Change], release: str) -> list[HistoryRow]:
    plan = plan_migrate(graph, changes, [], release)
    return [
        HistoryRow(i, s.migration.version, "c", "SQL", s.migration.script, 0, "bench", 0, True)
        for i, s in enumerate(plan.steps, start=1)
    ]


def timed(fn: object, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--freeze", action="store_true", help="gc.freeze() the inputs before timing")
    args = parser.parse_args()
    graph = build_graph()
    last, before = f"1.{LINES - 1}.{PER_LINE - 1}", f"1.{LINES - 1}.{PER_LINE - 2}"
    print(
        f"{'migrations':>10} {'releases':>8} {'fresh ms':>9} {'steps':>6} {'upgrade ms':>10} "
        f"{'applied':>7} {'steps':>6} {'late':>5}"
    )
    for n in (int(s) for s in args.sizes.split(",")):
        changes = build_changes(graph, n, random.Random(n))
        fresh_ms, fresh = timed(lambda c=changes: plan_migrate(graph, c, [], last), args.repeat)
        rows = history_at(graph, changes, before)
        if args.freeze:
            gc.collect()
            gc.freeze()
        up_ms, up = timed(lambda c=changes, h=rows: plan_migrate(graph, c, h, last), args.repeat)
        late = sum(s.out_of_order for s in up.steps)  # type: ignore[attr-defined]
        print(
            f"{len(changes):>10} {len(graph.releases):>8} {fresh_ms:>9.1f} {len(fresh.steps):>6} "  # type: ignore[attr-defined]
            f"{up_ms:>10.1f} {len(rows):>7} {len(up.steps):>6} {late:>5}"
        )  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
