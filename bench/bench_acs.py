"""Benchmark: `flywayx import acs` and a full MariaDB fresh install to the latest release, next to
piping the same converted files through the `mariadb` client in CloudStack's order.

Usage: .venv/bin/python bench/bench_acs.py [CORPUS] (default ../shared/corpus/acs). Uses and DROPS
the `cloud` and `cloud_usage` databases on MariaDB root@127.0.0.1:3306. Prints a table.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tabulate import tabulate  # noqa: E402

from flywayx.cli.app import run  # noqa: E402
from flywayx.sources.acs.project import import_acs  # noqa: E402
from tests.acs_e2e.cloudstack_path import install  # noqa: E402
from tests.acs_e2e.conftest import CloudPair  # noqa: E402
from tests.acs_e2e.java_fixture import write_source_tree  # noqa: E402

LATEST = "4.22.0.0"


def main() -> None:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus" / "acs"
    base = Path(tempfile.mkdtemp(prefix="bench_acs_"))
    source = write_source_tree(corpus, base / "source")
    t0 = time.monotonic()
    import_acs(source, base / "project", overrides=ROOT / "acs" / "overrides.toml")
    t_import = time.monotonic() - t0
    pair = CloudPair()
    pair.drop()
    conn = pair.connect()
    t_client = install(source, base / "project", LATEST, host=pair.host, port=pair.port, user=pair.user, conn=conn)
    conn.close()  # type: ignore[attr-defined]
    pair.drop()
    t0 = time.monotonic()
    code = run(["-q", "--url", pair.url, "--working-directory", str(base / "project"), "migrate", "--to", LATEST],
               prog_name="flywayx")
    t_fx = time.monotonic() - t0
    pair.drop()
    rows = [["import acs", f"{t_import:.2f}", "", ""],
            [f"mariadb client, 4.0.0 -> {LATEST}", f"{t_client:.2f}", "1.00", ""],
            [f"flywayx migrate --to {LATEST}", f"{t_fx:.2f}", f"{t_fx / t_client:.2f}",
             "ok" if code == 0 and t_fx <= 1.15 * t_client else ("FAILED" if code else "over 1.15x target")]]
    print(tabulate(rows, headers=["what", "seconds", "x client", "vs target"]))


if __name__ == "__main__":
    main()
