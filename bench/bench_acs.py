"""Benchmark: `flywayx import acs` and a full MariaDB fresh install to the latest release, next to
piping the same converted files through the `mariadb` client in CloudStack's order.

Usage: .venv/bin/python bench/bench_acs.py [CORPUS] [--repeat N] (default ../shared/corpus/acs, 5).
Uses and DROPS the `cloud` and `cloud_usage` databases on MariaDB root@127.0.0.1:3306, under the
same file lock the CloudStack tests take. The two paths run alternately N times each (a fresh
install every time); the table shows medians, the ratio of medians against issue 19's goal (1.05x, median of 5), and
every run. Prints a table.
"""

from __future__ import annotations

import argparse
import fcntl
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tabulate import tabulate  # noqa: E402

from flywayx.cli.app import run  # noqa: E402
from flywayx_cloudstack.project import CLOUDSTACK_OVERRIDES, import_acs  # noqa: E402
from tests.acs_e2e.cloudstack_path import install  # noqa: E402
from tests.acs_e2e.conftest import LOCK, CloudPair  # noqa: E402
from tests.acs_e2e.java_fixture import write_source_tree  # noqa: E402

LATEST = "4.22.0.0"
GOAL = 1.05  # issue 19: flywayx at most 1.05x the client, median of 5 runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=ROOT.parent / "shared" / "corpus" / "acs")
    parser.add_argument("--repeat", type=int, default=5, help="fresh installs of each path (default 5)")
    args = parser.parse_args()
    corpus, repeat = args.corpus, args.repeat
    if not (corpus / "META-INF" / "db").is_dir():
        parser.error(f"no CloudStack corpus at {corpus} (META-INF/db missing); give its directory")
    base = Path(tempfile.mkdtemp(prefix="bench_acs_"))
    source = write_source_tree(corpus, base / "source")
    t0 = time.monotonic()
    import_acs(source, base / "project", overrides=CLOUDSTACK_OVERRIDES)
    t_import = time.monotonic() - t0
    pair = CloudPair()
    client: list[float] = []
    fx: list[float] = []
    codes: list[int] = []
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for _ in range(repeat):
            pair.drop()
            conn = pair.connect()
            client.append(
                install(source, base / "project", LATEST, host=pair.host, port=pair.port, user=pair.user, conn=conn)
            )
            conn.close()  # type: ignore[attr-defined]
            pair.drop()
            t0 = time.monotonic()
            codes.append(
                run(
                    ["-q", "--url", pair.url, "--working-directory", str(base / "project"), "migrate", "--to", LATEST],
                    prog_name="flywayx",
                )
            )
            fx.append(time.monotonic() - t0)
        pair.drop()
    t_client, t_fx = statistics.median(client), statistics.median(fx)
    failed = any(codes)
    verdict = "FAILED" if failed else ("ok" if t_fx <= GOAL * t_client else f"over the {GOAL}x goal")
    runs = lambda xs: " ".join(f"{x:.2f}" for x in xs)  # noqa: E731
    rows = [
        ["import acs", f"{t_import:.2f}", "", "", ""],
        [f"mariadb client, 4.0.0 -> {LATEST}", f"{t_client:.2f}", "1.00", "", runs(client)],
        [f"flywayx migrate --to {LATEST}", f"{t_fx:.2f}", f"{t_fx / t_client:.2f}", verdict, runs(fx)],
    ]
    print(tabulate(rows, headers=["what", f"median s ({repeat} runs)", "x client", "vs target", "each run"]))


if __name__ == "__main__":
    main()
