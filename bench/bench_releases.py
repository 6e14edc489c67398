"""releases.toml at scale: peak memory and time of `flywayx info` and `flywayx plan` for N releases.

Synthetic project: lines ``1.L`` (``[lines] depth = 2``) of 100 releases each; line L branches from
release 50 of line L-1 and every tenth release merges the same release of line L-1; one migration
every tenth release. Each size runs in a fresh Python process that calls the console script's
entry point in-process (``info``, then ``plan --to`` the last release, on an empty SQLite database)
and reports its own peak RSS with ``resource.getrusage`` -- what a user's process would need.

Run: ``.venv/bin/python bench/bench_releases.py [--sizes 1000,5000,10000]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fixtures.release_lines import write_release_lines

CHILD = """
import json, resource, sys, time
from contextlib import redirect_stdout
from io import StringIO
from flywayx.cli.app import run
url, loc, last = sys.argv[1:4]
started = time.perf_counter()
codes = []
for args in (["info"], ["plan", "--to", last]):
    with redirect_stdout(StringIO()):
        codes.append(run(["--url", url, "--locations", loc, *args], prog_name="flywayx"))
took = time.perf_counter() - started
print(json.dumps({"codes": codes, "seconds": took, "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def measure(n: int, work: Path) -> dict[str, float]:
    loc = work / f"p{n}"
    last = write_release_lines(n, loc)
    url = f"sqlite:///{work / f'db{n}.sqlite'}"
    out = subprocess.run(
        [sys.executable, "-c", CHILD, url, str(loc), last], capture_output=True, text=True, check=True, timeout=1800
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["codes"] != [0, 0]:
        raise SystemExit(f"flywayx failed at {n} releases: {result} {out.stderr[-2000:]}")
    return {"releases": n, "peak_mb": result["peak_kb"] / 1024, "seconds": result["seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,10000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="fx-releases-") as tmp:
        rows = [measure(n, Path(tmp)) for n in sizes]
    print(f"{'releases':>9} {'peak RSS MB':>12} {'info+plan s':>12} {'MB per 1k releases over the first':>34}")
    first = rows[0]
    for r in rows:
        extra = r["releases"] - first["releases"]
        slope = f"{(r['peak_mb'] - first['peak_mb']) / extra * 1000:.1f}" if extra else "-"
        print(f"{r['releases']:>9} {r['peak_mb']:>12.1f} {r['seconds']:>12.2f} {slope:>34}")


if __name__ == "__main__":
    main()
