"""Longest write stall per operation, on MariaDB and PostgreSQL, with an old and a new app live.

    .venv/bin/python bench/bench_operations.py [--rows 1000000] [--ops rename_column,add_index]
                                               [--servers mariadb,postgresql]

For each operation of ``tests/online/two_apps.py``: release 1.0.0 is installed in a scratch
database (``i18bench_<pid>``, dropped afterwards) and seeded with --rows rows; the old app runs
while ``flywayx migrate --phase expand`` applies the expand and data steps, the new app joins, the
old app stops and the new app keeps running while ``--phase contract`` runs. The stall is the
longest time between two completed iterations of the app that runs during the command (an iteration:
insert, read, update, read, read a random seed row), so it includes any wait for a lock the
migration holds. Prints a Markdown table (errors must be 0). Not run by CI: minutes at 1M rows.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flywayx.cli.app import run as flywayx_run  # noqa: E402
from tests.online.two_apps import (  # noqa: E402
    NEW_BASE,
    OLD_BASE,
    SCENARIOS,
    App,
    connect,
    longest_gap,
    project_files,
    seed_sql,
)

SERVERS = {
    "mariadb": (
        "mysql://root@127.0.0.1:3306/{db}",
        {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""},
    ),
    "postgresql": (
        "postgresql://postgres@127.0.0.1:5432/{db}",
        {"host": "127.0.0.1", "port": 5432, "user": "postgres", "password": ""},
    ),
}


IDLE_SECONDS = 3.0  # --idle


def _admin(dialect: str, sql: str) -> None:
    params = dict(SERVERS[dialect][1])
    if dialect == "postgresql":
        params["dbname"] = "postgres"
    conn = connect(dialect, params)
    try:
        conn.cursor().execute(sql)
    finally:
        conn.close()


def _flywayx(*args: str) -> float:
    started = time.monotonic()
    try:
        flywayx_run(list(args), "flywayx")
    except SystemExit as done:
        if done.code not in (0, None):
            raise RuntimeError(f"flywayx {' '.join(args)} exited {done.code}") from None
    return time.monotonic() - started


def measure(dialect: str, operation: str, rows: int, idle: float = IDLE_SECONDS) -> dict[str, Any]:
    name = f"i18bench_{os.getpid()}_{operation}"
    url, params = SERVERS[dialect]
    params = {**params, ("database" if dialect == "mariadb" else "dbname"): name}
    _admin(dialect, f"DROP DATABASE IF EXISTS {name}")
    _admin(dialect, f"CREATE DATABASE {name}")
    scenario = SCENARIOS[operation]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for file, text in project_files(scenario).items():
                (Path(tmp) / file).write_text(text, encoding="utf-8")
            base = ("--url", url.format(db=name), "--locations", tmp, "-q")
            _flywayx(*base, "migrate", "--to", "1.0.0")
            conn = connect(dialect, params)
            conn.cursor().execute(seed_sql(dialect, rows))
            conn.close()
            old = App(dialect, params, scenario.old, OLD_BASE, rows, max_seconds=3600)
            time.sleep(0.5)
            idle_from = time.monotonic()
            time.sleep(idle)  # the noise floor: the same app, no migration running
            t0 = time.monotonic()
            expand = _flywayx(*base, "migrate", "--to", "1.1.0", "--phase", "expand")
            t1 = time.monotonic()
            new = App(dialect, params, scenario.new, NEW_BASE, rows, max_seconds=3600)
            time.sleep(0.5)
            old_result = old.finish()
            t2 = time.monotonic()
            contract = _flywayx(*base, "migrate", "--to", "1.1.0", "--phase", "contract")
            t3 = time.monotonic()
            time.sleep(0.3)
            new_result = new.finish()
    finally:
        _admin(dialect, f"DROP DATABASE IF EXISTS {name}")
    return {
        "operation": operation,
        "dialect": dialect,
        "expand_s": expand,
        "contract_s": contract,
        "idle_stall_ms": longest_gap(old_result.marks, idle_from, t0) * 1000,
        "load": os.getloadavg()[0],
        "expand_stall_ms": longest_gap(old_result.marks, t0, t1) * 1000,
        "contract_stall_ms": longest_gap(new_result.marks, t2, t3) * 1000,
        "errors": len(old_result.errors) + len(new_result.errors),
        "first_error": (old_result.errors + new_result.errors + [""])[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--ops", default=",".join(sorted(SCENARIOS)))
    parser.add_argument("--servers", default="mariadb,postgresql")
    parser.add_argument(
        "--idle",
        type=float,
        default=IDLE_SECONDS,
        help="seconds the old app runs alone before expand: the noise floor's window",
    )
    args = parser.parse_args()
    print(f"rows: {args.rows:,}\n")
    print(
        "| operation | database | expand (s) | longest stall during expand (ms) | contract (s) "
        "| longest stall during contract (ms) | idle stall (ms) | load | app errors |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for operation in args.ops.split(","):
        for dialect in args.servers.split(","):
            r = measure(dialect, operation, args.rows, args.idle)
            print(
                f"| {operation} | {'MariaDB' if dialect == 'mariadb' else 'PostgreSQL'} | {r['expand_s']:.2f} "
                f"| {r['expand_stall_ms']:.0f} | {r['contract_s']:.2f} | {r['contract_stall_ms']:.0f} "
                f"| {r['idle_stall_ms']:.0f} | {r['load']:.1f} | {r['errors']}"
                f"{' (' + r['first_error'][:60] + ')' if r['errors'] else ''} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
