"""Fleet throughput: ``flywayx migrate --fleet`` over many databases at ``-j 1, 2, 4, 8``, and a Galera
cluster's migrate time against a single server.

    .venv/bin/python bench/bench_fleet.py --full     # 200 x 50 at -j 1,2,4,8; Galera vs single at 20 x 50
    .venv/bin/python bench/bench_fleet.py --dbs 20   # a quick look
    .venv/bin/python bench/bench_fleet.py            # print the last --full result (bench/run.py does this)

Each database gets the same 50 migrations: a table, then inserts, with an added column every tenth
(the mix a tenant schema sees). Every run starts from empty databases and times the whole command as a
user runs it (``--output-type json``; process start-up included). Throughput is migrations applied per
second; the server saturates where more jobs stop adding throughput. The single server is the MariaDB at
``FLYWAYX_TEST_MARIADB_URL``; the cluster is ``tests/cluster/galera.sh``'s (node 1), when it runs. A
``--full`` run writes ``bench/results/fleet.txt`` line by line (Galera comparison first), which a run
without arguments prints.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SAVED = ROOT / "bench" / "results" / "fleet.txt"
FLYWAYX = [sys.executable, "-m", "flywayx"]
SINGLE = os.environ.get("FLYWAYX_TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306/")
GALERA = "mysql://root@127.0.0.1:3311/"


def project(root: Path, migrations: int) -> Path:
    loc = root / "sql"
    loc.mkdir(parents=True)
    (loc / "V1__items.sql").write_text("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40));\n")
    for v in range(2, migrations + 1):
        body = (
            f"ALTER TABLE items ADD COLUMN c{v} INT NULL;\n"
            if v % 10 == 0
            else f"INSERT INTO items (id, name) VALUES ({v}, 'tenant row {v}');\n"
        )
        (loc / f"V{v}__step_{v}.sql").write_text(body)
    return loc


def _sql(url: str, statement: str) -> str:
    u = urlsplit(url)
    return subprocess.run(
        [
            "mariadb",
            "-u",
            u.username or "root",
            "-h",
            u.hostname or "127.0.0.1",
            "-P",
            str(u.port or 3306),
            "-N",
            "-B",
            "-e",
            statement,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout


def reachable(url: str) -> bool:
    try:
        _sql(url, "SELECT 1")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, FileNotFoundError):
        return False
    return True


def run_fleet(server: str, loc: Path, dbs: int, jobs: int, work: Path) -> tuple[float, dict[str, int]]:
    """Fresh databases, one timed ``migrate --fleet``; returns (seconds, status counts). Drops them after."""
    prefix = "fxbench_" + uuid.uuid4().hex[:6]
    names = [f"{prefix}_{i:03d}" for i in range(dbs)]
    _sql(server, "".join(f"CREATE DATABASE `{n}`;" for n in names))
    u = urlsplit(server)
    fleet = work / f"{prefix}.toml"
    fleet.write_text(
        "targets = [\n"
        + "".join(f'  "mysql://{u.username or "root"}@{u.hostname}:{u.port or 3306}/{n}",\n' for n in names)
        + "]\n"
    )
    try:
        started = time.perf_counter()
        done = subprocess.run(
            [
                *FLYWAYX,
                "--locations",
                str(loc),
                "--output-type",
                "json",
                "migrate",
                "--fleet",
                str(fleet),
                "-j",
                str(jobs),
            ],
            capture_output=True,
            text=True,
            timeout=7200,
        )
        seconds = time.perf_counter() - started
        counts = json.loads(done.stdout)["counts"] if done.stdout.strip().startswith("{") else {"error": 1}
    finally:
        _sql(server, "".join(f"DROP DATABASE IF EXISTS `{n}`;" for n in names))
    return seconds, counts


def measure(dbs: int, migrations: int, jobs: list[int], galera_dbs: int, emit: Callable[[str], None]) -> None:
    """The Galera comparison first (shorter), then the -j series; each line is emitted as it is measured."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        loc = project(work, migrations)
        emit(
            f"Galera (3 nodes on this machine, tests/cluster/galera.sh) vs the single server: {galera_dbs} "
            f"databases x {migrations} migrations\n"
        )
        emit("| server | -j | seconds | migrations/s |")
        emit("|---|---|---|---|")
        if reachable(GALERA):
            for j in (1, 4):
                for server, label in ((SINGLE, "single"), (GALERA, "galera node 1")):
                    secs, _ = run_fleet(server, loc, galera_dbs, j, work)
                    emit(f"| {label} | {j} | {secs:.1f} | {galera_dbs * migrations / secs:.0f} |")
        else:
            emit("| galera | - | n/a | cluster not running (tests/cluster/galera.sh start) |")
        emit(
            f"\nfleet: {dbs} databases x {migrations} migrations ({dbs * migrations} migrations per run), "
            "single MariaDB server\n"
        )
        emit("| -j | seconds | migrations/s | speed-up vs -j 1 | result |")
        emit("|---|---|---|---|---|")
        base = None
        for j in jobs:
            secs, counts = run_fleet(SINGLE, loc, dbs, j, work)
            base = base or secs
            emit(
                f"| {j} | {secs:.1f} | {dbs * migrations / secs:.0f} | {base / secs:.2f}x | "
                f"{', '.join(f'{n} {k}' for k, n in sorted(counts.items()))} |"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="200 databases x 50 migrations; saves the result")
    parser.add_argument("--dbs", type=int, default=None)
    parser.add_argument("--migrations", type=int, default=50)
    parser.add_argument("--jobs", default="1,2,4,8")
    parser.add_argument("--galera-dbs", type=int, default=None)
    args = parser.parse_args()
    if not args.full and args.dbs is None:
        if SAVED.exists():
            print(SAVED.read_text(encoding="utf-8").rstrip())
        else:
            print("no saved result: run bench/bench_fleet.py --full")
        return 0
    dbs = 200 if args.full else int(args.dbs)
    if not reachable(SINGLE):
        print(f"MariaDB at {SINGLE} not reachable")
        return 1
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = os.getloadavg()[0]
    lines = [
        f"measured {started} by bench/bench_fleet.py{' --full' if args.full else ''} (load average "
        f"{load:.1f} on 2 cores shared with other work: the absolute figures are pessimistic)",
        "",
    ]
    if args.full:
        SAVED.parent.mkdir(exist_ok=True)
        SAVED.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def emit(line: str) -> None:
        print(line, flush=True)
        if args.full:  # kept line by line: a long run stopped part-way keeps what it measured
            with SAVED.open("a", encoding="utf-8") as out:
                out.write(line + "\n")

    for line in lines:
        print(line)
    measure(
        dbs,
        args.migrations,
        [int(j) for j in args.jobs.split(",")],
        args.galera_dbs or (20 if args.full else max(dbs // 4, 1)),
        emit,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
