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

PER_LINE = 100

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


def write_project(n: int, root: Path) -> str:
    """N releases and a migration every tenth release under ``root``; returns the last release."""
    root.mkdir(parents=True, exist_ok=True)
    parts = ["[lines]\ndepth = 2\n"]
    name = ""
    for i in range(n):
        line, k = divmod(i, PER_LINE)
        name = f"1.{line}.{k}"
        body = f'from = "1.{line - 1}.50"\n' if k == 0 and line > 0 else ""
        body += f'merges = ["1.{line - 1}.{k}"]\n' if k % 10 == 5 and line > 0 else ""
        parts.append(f'[release."{name}"]\n{body}')
        if k % 10 == 0:
            (root / f"V{name}.1__change_{i}.sql").write_text(f"CREATE TABLE t{i} (id INT);\n")
    (root / "releases.toml").write_text("\n".join(parts))
    return name


def measure(n: int, work: Path) -> dict[str, float]:
    loc = work / f"p{n}"
    last = write_project(n, loc)
    url = f"sqlite:///{work / f'db{n}.sqlite'}"
    out = subprocess.run([sys.executable, "-c", CHILD, url, str(loc), last], capture_output=True, text=True,
                         check=True, timeout=1800)
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
