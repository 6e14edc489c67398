"""Kill soak: many seeded SIGKILL trials of a real `flywayx migrate`, recovered and compared.

Usage: .venv/bin/python bench/bench_soak.py [--trials N] [--seed S] [--family mariadb,postgresql,sqlite]
Each trial kills `flywayx migrate` at a random moment on a fresh database, recovers as
docs/operations.md says (`migrate`, then `migrate --resume` if told to) and compares schema
fingerprint, history rows and data row counts with an uninterrupted run. Prints a table; exits 1
if any trial diverged other than by the documented in-flight DDL gap (counted apart).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tabulate import tabulate

from tests.e2e import harness


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--family", default="mariadb,postgresql")
    args = ap.parse_args()
    rows, bad = [], 0
    for family in args.family.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.monotonic()
            results = harness.trials(family, Path(tmp), args.trials, args.seed)
            took = time.monotonic() - started
        recoveries = Counter(" / ".join(t.recovery) for t, _ in results)
        failed = [t for t, _ in results if not t.converged]
        gap = sum(t.in_flight_ddl for t in failed)
        bad += len(failed) - gap
        rows.append(
            [
                family,
                len(results),
                sum(t.killed for t, _ in results),
                len(results) - len(failed),
                len(failed) - gap,
                gap,
                "; ".join(f"{k}: {v}" for k, v in sorted(recoveries.items())),
                f"{took:.0f}s",
            ]
        )
        for t in failed:
            print(f"{family}: delay {t.delay:.2f}s {t.recovery}: {t.detail[:300]}", file=sys.stderr)
    print(
        tabulate(
            rows,
            headers=["family", "trials", "killed", "converged", "diverged", "in-flight DDL", "recovery paths", "time"],
        )
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
