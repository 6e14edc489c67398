"""Kill soak: many seeded SIGKILL trials of a real `flywayx migrate` on random DDL-heavy migrations.

Usage: .venv/bin/python bench/bench_soak.py [--trials N] [--seed S] [--family mariadb,postgresql] [--aimed F]
The migration sets come from tests/faults/randmig.py (renames of columns and tables, added and dropped
columns, indexes, primary and foreign keys, checks, views, routines, triggers, events, sequences, DML;
on PostgreSQL some migrations outside a transaction), a new set every 10 trials. About F of the trials
(default 0.5) kill in a DDL statement's window through tests/faults/proxy.py, the rest after random
delays (tests/faults/soak.py says how). Each trial recovers as docs/operations.md says and must reach
the clean run's schema fingerprint, history and rows. "in-flight DDL" counts the refusals that named a
statement left in flight, which `--resume` settled from the catalog. Exits 1 if any trial diverged.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tabulate import tabulate

from tests.faults import soak

HEADERS = ["family", "trials", "aimed", "killed", "kills", "in-flight DDL", "resumed", "converged", "diverged", "time"]


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the flywayx processes)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--family", default="mariadb,postgresql")
    ap.add_argument("--aimed", type=float, default=0.5, help="share of trials killed in a DDL statement's window")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per trial on stderr, as it ends")
    args = ap.parse_args()
    rows, bad = [], 0
    for family in args.family.split(","):
        started, cpu = time.monotonic(), _cpu()

        def done(t: soak.Trial, family: str = family) -> None:
            if args.verbose or not t.converged:
                verdict = "ok" if t.converged else "DIVERGED"
                line = f"{family} seed {t.seed} {t.kind} {verdict} kills {t.kills} in-flight {t.in_flight}"
                print(f"{line}: {'; '.join(t.steps)} {t.detail[:400]}", file=sys.stderr, flush=True)

        with tempfile.TemporaryDirectory() as tmp:
            results = soak.soak(family, Path(tmp), args.trials, args.seed, args.aimed, done=done)
        took, cpu = time.monotonic() - started, _cpu() - cpu
        failed = [t for t in results if not t.converged]
        bad += len(failed)
        rows.append(
            [
                family,
                len(results),
                sum(t.kind == "aimed" for t in results),
                sum(t.kills > 0 for t in results),
                sum(t.kills for t in results),
                sum(t.in_flight for t in results),
                sum(t.resumed for t in results),
                len(results) - len(failed),
                len(failed),
                f"{took:.0f}s (CPU {cpu:.0f}s, load {os.getloadavg()[0]:.1f})",
            ]
        )
    print(tabulate(rows, headers=HEADERS))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
