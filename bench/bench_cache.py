"""The database-free side of issue 19: ``plan`` over 10,000 migrations and ``explain`` over CloudStack,
without the analysis cache, with an empty one (cold) and with a filled one (warm).

Rows (medians of ``--repeat`` runs, every process timed whole, start-up included, byte code compiled
first as after ``pip install``):

- ``plan --to`` the last release over N migrations in 50 releases on 10 lines (``bench_speed.plan_project``)
  on SQLite: ``--no-cache``; cold (a new empty cache directory each run); warm (the same directory
  again); goal ≤ 1.0 s cold, ≤ 0.3 s warm;
- ``explain --dialect mysql`` over every ``.sql`` file of the CloudStack corpus, the same three ways,
  in MB/s (goal ≥ 5 MB/s);
- in one process: Flyway name parsing per file name, and the whole scan (walk, names, reading,
  checksums) per file, over the same N files (issue 19's baseline: 130 µs a name, 3.3 s a 10k scan).

Each row also gives the CPU seconds the process used (user + system): on a machine shared with
other work, wall time includes waiting for a core, CPU time does not. The load average is printed
before and after.

Run: ``.venv/bin/python bench/bench_cache.py [--repeat 3] [--quick]``
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_speed import plan_project  # the same project as bench_speed's rows

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CORPUS = Path(os.environ.get("FLYWAYX_ACS_CORPUS", ROOT.parent / "shared" / "corpus" / "acs"))
Row = tuple[str, str, float, float, str]  # (what, how, median wall s, median CPU s, note)


def timed(cmd: Sequence[str], ok: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(list(cmd), capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in ok:
        raise RuntimeError(f"{' '.join(cmd[:4])} … failed: {done.stderr.decode(errors='replace')[-400:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def three_ways(
    cmd: Sequence[str], caches: Path, repeat: int, ok: tuple[int, ...] = (0,)
) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) without the cache, with an empty one, and with the one the cold run filled."""
    runs: dict[str, list[tuple[float, float]]] = {"no cache": [], "cold": [], "warm": []}
    for i in range(repeat):
        runs["no cache"].append(timed([*cmd, "--no-cache"], ok))
        directory = str(caches / f"c{i}")
        runs["cold"].append(timed([*cmd, "--cache-dir", directory], ok))
        runs["warm"].append(timed([*cmd, "--cache-dir", directory], ok))
    return {how: (statistics.median(w for w, _ in t), statistics.median(c for _, c in t)) for how, t in runs.items()}


def plan_rows(root: Path, n: int, repeat: int) -> list[Row]:
    loc, target = plan_project(root, n)
    cmd = [
        str(BIN / "flywayx"),
        "--url",
        f"sqlite:///{root / 'plan.db'}",
        "--locations",
        str(loc),
        "-q",
        "plan",
        "--to",
        target,
    ]
    goals = {"cold": "goal ≤ 1.0 s", "warm": "goal ≤ 0.3 s", "no cache": ""}
    what = f"`plan --to` over {n:,} migrations, 50 releases, 10 lines"
    return [(what, how, wall, cpu, goals[how]) for how, (wall, cpu) in three_ways(cmd, root / "caches", repeat).items()]


def explain_rows(root: Path, repeat: int) -> list[Row]:
    files = sorted(CORPUS.rglob("*.sql")) if CORPUS.is_dir() else []
    if not files:
        return [("`explain` over the CloudStack corpus", "-", 0.0, 0.0, f"corpus not found at {CORPUS}")]
    size = sum(f.stat().st_size for f in files) / 1e6
    cmd = [str(BIN / "flywayx"), "explain", "--dialect", "mysql", *map(str, files)]
    # exit 1: some corpus files are reported as not migrations, which is explain's answer, not a failure
    found = three_ways(cmd, root / "explain-caches", repeat, ok=(0, 1))
    what = f"`explain` over the CloudStack corpus ({len(files)} files, {size:.1f} MB)"
    return [
        (what, how, wall, cpu, f"{size / wall:.1f} MB/s ({size / cpu:.1f} MB/s of CPU); goal ≥ 5 MB/s")
        for how, (wall, cpu) in found.items()
    ]


SCAN_CHILD = """
import os, sys, time
from flywayx.model.config import Config
from flywayx.sources.names import NamingConfig, parse_resource_name
from flywayx.sources.scan import scan
loc = sys.argv[1]
names = [n for n in os.listdir(loc) if n.endswith(".sql")]
naming = NamingConfig.from_config(Config())
best_names = best_scan = float("inf")
for _ in range(3):
    start = time.process_time()
    for n in names:
        parse_resource_name(n, prefixes=naming)
    best_names = min(best_names, time.process_time() - start)
    start = time.process_time()
    found = scan(Config(locations=(loc,)))
    best_scan = min(best_scan, time.process_time() - start)
print(best_names / len(names) * 1e6, best_scan, len(found.migrations))
"""


def scan_rows(root: Path) -> list[Row]:
    """Name parsing and scanning, CPU time in one process (best of 3)."""
    loc = root / "plan"
    done = subprocess.run([sys.executable, "-c", SCAN_CHILD, str(loc)], capture_output=True, text=True, check=True)
    per_name, scan_secs, n = done.stdout.split()
    return [
        (
            f"Flyway name parsing, {int(n):,} names",
            "CPU",
            0.0,
            float(per_name) / 1e6,
            f"{float(per_name):.1f} µs a name (issue's baseline 130 µs)",
        ),
        (
            f"scan (walk, names, read, checksum), {int(n):,} files",
            "CPU",
            float(scan_secs),
            float(scan_secs),
            f"{float(scan_secs) / int(n) * 1e6:.0f} µs a file (issue's baseline: 3.3 s for 10k)",
        ),
    ]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1,000 migrations instead of 10,000, one run")
    args = parser.parse_args()
    repeat = 1 if args.quick else args.repeat
    n = 1000 if args.quick else 10000
    compileall.compile_dir(str(ROOT / "flywayx"), quiet=1)
    started = load()
    with tempfile.TemporaryDirectory() as tmp:
        rows = plan_rows(Path(tmp), n, repeat) + scan_rows(Path(tmp)) + explain_rows(Path(tmp), repeat)
    print(
        f"each row: median of {repeat} run(s); load average before: {started}, after: {load()} ({os.cpu_count()} cores)"
    )
    print(f"{'measurement':<62} {'cache':<9} {'wall':>8} {'CPU':>8}  note")
    print("-" * 120)
    for what, how, wall, cpu, note in rows:
        print(f"{what:<62} {how:<9} {wall:>6.2f} s {cpu:>6.2f} s  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
