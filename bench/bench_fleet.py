"""Fleet throughput: ``flywayx migrate --fleet`` over many databases at ``-j 1, 2, 4, 8``, and a Galera
cluster's migrate time against a single server.

    .venv/bin/python bench/bench_fleet.py --full     # 200 databases x 50 migrations (tens of minutes)
    .venv/bin/python bench/bench_fleet.py --dbs 20   # a quick look
    .venv/bin/python bench/bench_fleet.py            # print the last --full result (bench/run.py does this)

Each database gets the same 50 migrations: a table, then inserts, with an added column every tenth
(the mix a tenant schema sees). Every run starts from empty databases and times the whole command as a
user runs it (``--output-type json``; process start-up included). Throughput is migrations applied per
second; the server saturates where more jobs stop adding throughput. The single server is the MariaDB at
``FLYWAYX_TEST_MARIADB_URL``; the cluster is ``tests/cluster/galera.sh``'s (node 1), when it runs. A
``--full`` run writes ``bench/results/fleet.txt``, which a run without arguments prints.
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
        body = f"ALTER TABLE items ADD COLUMN c{v} INT NULL;\n" if v % 10 == 0 else \
            f"INSERT INTO items (id, name) VALUES ({v}, 'tenant row {v}');\n"
        (loc / f"V{v}__step_{v}.sql").write_text(body)
    return loc


def _sql(url: str, statement: str) -> str:
    u = urlsplit(url)
    return subprocess.run(["mariadb", "-u", u.username or "root", "-h", u.hostname or "127.0.0.1",
                           "-P", str(u.port or 3306), "-N", "-B", "-e", statement], capture_output=True, text=True,
                          check=True, timeout=600).stdout


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
    fleet.write_text("targets = [\n" + "".join(
        f'  "mysql://{u.username or "root"}@{u.hostname}:{u.port or 3306}/{n}",\n' for n in names) + "]\n")
    try:
        started = time.perf_counter()
        done = subprocess.run([*FLYWAYX, "--locations", str(loc), "--output-type", "json", "migrate", "--fleet",
                               str(fleet), "-j", str(jobs)], capture_output=True, text=True, timeout=7200)
        seconds = time.perf_counter() - started
        counts = json.loads(done.stdout)["counts"] if done.stdout.strip().startswith("{") else {"error": 1}
    finally:
        _sql(server, "".join(f"DROP DATABASE IF EXISTS `{n}`;" for n in names))
    return seconds, counts


def measure(dbs: int, migrations: int, jobs: list[int], galera_dbs: int) -> str:
    lines = [f"fleet: {dbs} databases x {migrations} migrations ({dbs * migrations} migrations per run), "
             f"single MariaDB server, 2 cores shared", "",
             "| -j | seconds | migrations/s | speed-up vs -j 1 | result |", "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        loc = project(work, migrations)
        base = None
        for j in jobs:
            secs, counts = run_fleet(SINGLE, loc, dbs, j, work)
            base = base or secs
            lines.append(f"| {j} | {secs:.1f} | {dbs * migrations / secs:.0f} | {base / secs:.2f}x | "
                         f"{', '.join(f'{n} {k}' for k, n in sorted(counts.items()))} |")
        lines += ["", f"Galera (3 nodes on this machine, tests/cluster/galera.sh) vs the single server: "
                      f"{galera_dbs} databases x {migrations} migrations", "",
                  "| server | -j | seconds | migrations/s |", "|---|---|---|---|"]
        if not reachable(GALERA):
            lines.append("| galera | - | n/a | cluster not running (tests/cluster/galera.sh start) |")
            return "\n".join(lines)
        for server, label in ((SINGLE, "single"), (GALERA, "galera node 1")):
            for j in (1, 4):
                secs, _ = run_fleet(server, loc, galera_dbs, j, work)
                lines.append(f"| {label} | {j} | {secs:.1f} | {galera_dbs * migrations / secs:.0f} |")
    return "\n".join(lines)


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
    text = measure(dbs, args.migrations, [int(j) for j in args.jobs.split(",")],
                   args.galera_dbs or (50 if args.full else max(dbs // 4, 1)))
    text = f"measured {started} by bench/bench_fleet.py{' --full' if args.full else ''}\n\n{text}"
    print(text)
    if args.full:
        SAVED.parent.mkdir(exist_ok=True)
        SAVED.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
