"""Speed where users feel it (issue 19): runs against databases, each row side by side in one run.

Rows (each measurement the median of ``--repeat`` runs, the tools taken in turn — A B C A B C … — so a
slow minute on a shared machine hits them alike; every process timed whole, start-up included):

- 300 small migrations (``CREATE TABLE`` + 2 ``INSERT`` each) onto a fresh MariaDB database: flywayx,
  the ``mariadb`` client fed the same statements as one stream, ``yoyo apply``;
- the same on PostgreSQL: flywayx, ``psql`` one stream (``-f``), ``yoyo apply``;
- a generated 400-migration MariaDB project shaped like a real one (tables, ``ALTER``s, indexes,
  multi-row ``INSERT``s, ``UPDATE``s, a stored procedure every 25 migrations): flywayx vs the client;
- fresh ``migrate`` of 1,000 and 10,000 small migrations on SQLite (time per migration, and its ratio);
- ``migrate``, ``info`` and ``validate`` with nothing to do at 10,000 applied (SQLite).

``plan`` and ``explain`` (the database-free side) are ``bench/bench_cache.py``'s rows.

``--markdown`` prints the issue's table (work, flywayx, yardstick, ratio, goal, met) for
docs/benchmarks.md (``bench/run.py``); each flywayx cell also gives the CPU seconds the process used
(user + system: on a shared machine, wall time includes waiting for a core). The load average is
printed before and after.

SQLite databases live in ``--sqlite-dir`` (default: /dev/shm when present, so a row measures flywayx,
not the disk's flush latency; pass a disk directory to include it). Servers: FLYWAYX_TEST_MARIADB_URL,
FLYWAYX_TEST_POSTGRES_URL (as the tests); databases named ``bench_speed_*`` are created and dropped.
yoyo rows need ``pip install yoyo-migrations`` (the ``bench`` extra); without it they say so.

Run: ``.venv/bin/python bench/bench_speed.py [--repeat 3] [--quick] [--markdown]``
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MARIADB = urlparse(os.environ.get("FLYWAYX_TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306/"))
POSTGRES = urlparse(os.environ.get("FLYWAYX_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
Row = tuple[str, str, float | None, str]


def flywayx(*args: str) -> list[str]:
    return [str(BIN / "flywayx"), *args]


CPU: dict[str, list[float]] = {}  # CPU seconds of each flywayx row's runs, by row (``timed``'s ``cpu``)


def timed(
    cmd: Sequence[str],
    before: Callable[[], object] | None = None,
    stdin: Path | None = None,
    ok: tuple[int, ...] = (0,),
    cpu: str | None = None,
) -> float:
    """Wall seconds of one run of ``cmd`` (``before`` runs first, untimed); another exit status than
    ``ok`` stops the bench. ``cpu``: record the process's CPU seconds under this row."""
    if before is not None:
        before()
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as feed:
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(list(cmd), stdin=feed, capture_output=True)
        took = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in ok:
        raise RuntimeError(f"{' '.join(cmd[:3])} … failed: {done.stderr.decode(errors='replace')[-400:]}")
    if cpu is not None:
        CPU.setdefault(cpu, []).append(after.ru_utime - used.ru_utime + after.ru_stime - used.ru_stime)
    return took


def side_by_side(
    what: str, tools: Mapping[str, tuple[Sequence[str], Callable[[], object] | None, Path | None]], repeat: int
) -> dict[str, float]:
    """Median wall time of each tool, run in turn ``repeat`` times (flywayx's CPU kept under ``what``)."""
    times: dict[str, list[float]] = {name: [] for name in tools}
    for _ in range(repeat):
        for name, (cmd, before, stdin) in tools.items():
            times[name].append(timed(cmd, before, stdin, cpu=what if name == "flywayx" else None))
    return {name: statistics.median(t) for name, t in times.items()}


# --- servers -----------------------------------------------------------------------------------------


def _my_client(*extra: str) -> list[str]:
    return [
        "mariadb",
        "-u",
        MARIADB.username or "root",
        "-h",
        MARIADB.hostname or "127.0.0.1",
        "-P",
        str(MARIADB.port or 3306),
        *([f"-p{MARIADB.password}"] if MARIADB.password else []),
        *extra,
    ]


def _my_url(db: str) -> str:
    auth = MARIADB.username or "root"
    auth += f":{MARIADB.password}" if MARIADB.password else ""
    return f"mysql://{auth}@{MARIADB.hostname or '127.0.0.1'}:{MARIADB.port or 3306}/{db}"


def _my_fresh(db: str) -> Callable[[], object]:
    return lambda: subprocess.run(_my_client("-e", f"DROP DATABASE IF EXISTS {db}; CREATE DATABASE {db}"), check=True)


def _pg_client(db: str, *extra: str) -> list[str]:
    return [
        "psql",
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        POSTGRES.hostname or "127.0.0.1",
        "-p",
        str(POSTGRES.port or 5432),
        "-U",
        POSTGRES.username or "postgres",
        "-d",
        db,
        *extra,
    ]


def _pg_url(db: str) -> str:
    auth = POSTGRES.username or "postgres"
    auth += f":{POSTGRES.password}" if POSTGRES.password else ""
    return f"postgresql://{auth}@{POSTGRES.hostname or '127.0.0.1'}:{POSTGRES.port or 5432}/{db}"


def _pg_fresh(db: str) -> Callable[[], object]:
    def fresh() -> None:
        admin = (POSTGRES.path or "/postgres").lstrip("/") or "postgres"
        subprocess.run(_pg_client(admin, "-c", f"DROP DATABASE IF EXISTS {db}"), check=True, capture_output=True)
        subprocess.run(_pg_client(admin, "-c", f"CREATE DATABASE {db}"), check=True, capture_output=True)

    return fresh


def small_project(root: Path, n: int) -> tuple[Path, Path, Path]:
    """(flywayx locations, yoyo directory, one-stream file) of ``n`` CREATE + 2 INSERT migrations."""
    loc, yo = root / "sql", root / "yoyo"
    loc.mkdir()
    yo.mkdir()
    stream = []
    for i in range(1, n + 1):
        body = (
            f"CREATE TABLE t{i} (id INT PRIMARY KEY, v VARCHAR(20));\n"
            f"INSERT INTO t{i} VALUES (1, 'a');\nINSERT INTO t{i} VALUES (2, 'b');\n"
        )
        (loc / f"V{i}__small_{i}.sql").write_text(body)
        (yo / f"{i:05d}_small.sql").write_text(body)
        stream.append(body)
    (root / "stream.sql").write_text("".join(stream))
    return loc, yo, root / "stream.sql"


def realistic_project(root: Path, n: int) -> tuple[Path, Path]:
    """A MySQL project shaped like a real one: (flywayx locations, one-stream file for the client)."""
    loc = root / "real"
    loc.mkdir()
    stream, tables = [], 0
    for i in range(1, n + 1):
        if i % 25 == 0:
            body = (
                f"DELIMITER $$\nCREATE PROCEDURE p{i}()\nBEGIN\n  UPDATE t{tables} SET note = 'p{i}' "
                f"WHERE id < 3;\n  SELECT COUNT(*) FROM t{tables};\nEND$$\nDELIMITER ;\nCALL p{i}();\n"
            )
        elif i % 5 == 1 or tables == 0:
            tables += 1
            values = ", ".join(f"({k}, 'row {k}', NOW())" for k in range(1, 21))
            body = (
                f"CREATE TABLE t{tables} (\n  id INT NOT NULL PRIMARY KEY,\n  name VARCHAR(64) NOT NULL,\n"
                f"  created DATETIME NULL,\n  note VARCHAR(255) NULL\n) ENGINE=InnoDB;\n"
                f"INSERT INTO t{tables} (id, name, created) VALUES {values};\n"
            )
        elif i % 5 == 2:
            body = f"ALTER TABLE t{tables} ADD COLUMN c{i} INT NULL DEFAULT 0;\nUPDATE t{tables} SET c{i} = id * 2;\n"
        elif i % 5 == 3:
            body = f"CREATE INDEX ix_{i} ON t{tables} (name);\n"
        else:
            body = (
                "".join(
                    f"INSERT INTO t{tables} (id, name) VALUES ({100 + i * 10 + k}, 'late {k}');\n" for k in range(5)
                )
                + f"UPDATE t{tables} SET note = 'touched' WHERE id % 2 = 0;\n"
            )
        (loc / f"V{i}__step_{i}.sql").write_text(body)
        stream.append(body)
    (root / "real.sql").write_text("".join(stream))
    return loc, root / "real.sql"


def server_rows(root: Path, repeat: int) -> list[Row]:
    rows: list[Row] = []
    loc, yo, stream = small_project(root, 300)
    yoyo = shutil.which("yoyo", path=str(BIN)) or shutil.which("yoyo")
    db = "bench_speed_my"
    tools = {
        "flywayx": (flywayx("--url", _my_url(db), "--locations", str(loc), "-q", "migrate"), _my_fresh(db), None),
        "mariadb client": (_my_client(db), _my_fresh(db), stream),
    }
    if yoyo:
        tools["yoyo"] = (
            [yoyo, "apply", "--batch", "--no-config-file", "--database", _my_url(db), str(yo)],
            _my_fresh(db),
            None,
        )
    what = "300 small migrations, MariaDB"
    for name, secs in side_by_side(what, tools, repeat).items():
        rows.append((what, name, secs, "one stream" if "client" in name else ""))
    db = "bench_speed_pg"
    tools = {
        "flywayx": (flywayx("--url", _pg_url(db), "--locations", str(loc), "-q", "migrate"), _pg_fresh(db), None),
        "psql": (_pg_client(db, "-f", str(stream)), _pg_fresh(db), None),
    }
    if yoyo:
        tools["yoyo"] = (
            [
                yoyo,
                "apply",
                "--batch",
                "--no-config-file",
                "--database",
                _pg_url(db).replace("postgresql://", "postgresql+psycopg://"),
                str(yo),
            ],
            _pg_fresh(db),
            None,
        )
    what = "300 small migrations, PostgreSQL"
    for name, secs in side_by_side(what, tools, repeat).items():
        rows.append((what, name, secs, "one stream" if name == "psql" else ""))
    real, real_stream = realistic_project(root, 400)
    db = "bench_speed_real"
    tools = {
        "flywayx": (flywayx("--url", _my_url(db), "--locations", str(real), "-q", "migrate"), _my_fresh(db), None),
        "mariadb client": (_my_client(db), _my_fresh(db), real_stream),
    }
    what = "400-migration generated project, MariaDB"
    for name, secs in side_by_side(what, tools, repeat).items():
        rows.append((what, name, secs, "one stream" if "client" in name else ""))
    subprocess.run(_my_client("-e", "DROP DATABASE IF EXISTS bench_speed_my; DROP DATABASE IF EXISTS bench_speed_real"))
    admin = (POSTGRES.path or "/postgres").lstrip("/") or "postgres"
    subprocess.run(_pg_client(admin, "-c", "DROP DATABASE IF EXISTS bench_speed_pg"), capture_output=True)
    return rows


# --- SQLite and files --------------------------------------------------------------------------------


def sqlite_rows(root: Path, work: Path, sizes: Sequence[int], repeat: int) -> list[Row]:
    rows: list[Row] = []
    per: dict[int, float] = {}
    for n in sizes:
        loc = root / f"ins{n}"
        loc.mkdir()
        (loc / "V0__table.sql").write_text("CREATE TABLE t (id INTEGER);\n")
        for i in range(1, n + 1):
            (loc / f"V{i}__row_{i}.sql").write_text(f"INSERT INTO t VALUES ({i});\n")
        db = work / f"fresh{n}.db"

        def clean(db: Path = db) -> None:
            for f in work.glob(db.name + "*"):
                f.unlink()

        url = f"sqlite:///{db}"
        what = f"fresh migrate, {n:,} small migrations, SQLite"
        secs = statistics.median(
            timed(flywayx("--url", url, "--locations", str(loc), "-q", "migrate"), clean, cpu=what)
            for _ in range(1 if n >= 10000 else repeat)
        )
        per[n] = secs / n
        rows.append((what, "flywayx", secs, f"{secs / n * 1000:.2f} ms a migration"))
    if len(sizes) > 1:
        small, big = min(sizes), max(sizes)
        rows.append(
            (
                f"time a migration at {big:,} / at {small:,}",
                "flywayx",
                None,
                f"{per[big] / per[small]:.2f}x (goal ≤ 1.2x)",
            )
        )
        loc, url = root / f"ins{big}", f"sqlite:///{work / f'fresh{big}.db'}"
        for command in ("migrate", "info", "validate"):
            what = f"`{command}` with nothing to do, {big:,} applied"
            secs = statistics.median(
                timed(flywayx("--url", url, "--locations", str(loc), "-q", command), cpu=what) for _ in range(repeat)
            )
            rows.append((what, "flywayx", secs, "goal < 1 s"))
    return rows


def plan_project(root: Path, n: int) -> tuple[Path, str]:
    """``n`` migrations in 50 releases on 10 lines (each line branches from release 2 of the one
    before; its last release merges release 4 of it); the last release."""
    loc = root / "plan"
    loc.mkdir()
    toml = ["[lines]", "depth = 2", ""]
    names = []
    for k in range(10):
        for p in range(5):
            name = f"1.{k}.{p}"
            names.append(name)
            toml.append(f'[release."{name}"]')
            if k and not p:
                toml.append(f'from = "1.{k - 1}.2"')
            if k and p == 4:
                toml.append(f'merges = ["1.{k - 1}.4"]')
            toml.append("")
    (loc / "releases.toml").write_text("\n".join(toml))
    per = n // len(names)
    for name in names:
        for i in range(1, per + 1):
            t = f"t_{name.replace('.', '_')}_{i % 20}"
            (loc / f"V{name}.{i}__c.sql").write_text(
                f"CREATE TABLE IF NOT EXISTS {t} (id INT);\nALTER TABLE {t} ADD COLUMN c{i} INT;\n"
            )
    return loc, names[-1]


def table(rows: list[Row]) -> str:
    base = {what: secs for what, tool, secs, _ in rows if tool == "flywayx" and secs}
    out = [f"{'measurement':<58} {'tool':<16} {'median':>9} {'vs flywayx':>10}  note", "-" * 116]
    for what, tool, secs, note in rows:
        ref = base.get(what)
        ratio = "" if secs is None or ref is None or tool == "flywayx" else f"{secs / ref:.2f}x"
        shown = "" if secs is None else f"{secs:.2f} s"
        out.append(f"{what:<58} {tool:<16} {shown:>9} {ratio:>10}  {note}")
    return "\n".join(out)


def _cell(secs: float, what: str) -> str:
    cpu = CPU.get(what)
    return f"{secs:.2f} s" + (f" (CPU {statistics.median(cpu):.2f} s)" if cpu else "")


def _versus(what: str, fx: float, tool: str, secs: float) -> tuple[str, str, bool]:
    """(ratio, goal, met) of flywayx against one yardstick of a row (issue 19's goals)."""
    if tool == "yoyo":
        return f"yoyo {secs / fx:.1f}x slower", "yoyo ≥ 10x slower", secs / fx >= 10
    limit = 1.5 if what.startswith("400") else 1.3
    return f"{fx / secs:.2f}x", f"≤ {limit}x", fx / secs <= limit


def markdown(rows: list[Row]) -> str:
    """The issue's table: one line per (work, yardstick), flywayx's wall (and CPU) time, the goal."""
    out = ["| work | flywayx | yardstick | ratio | goal | met |", "|---|---|---|---|---|---|"]
    fx = {what: secs for what, tool, secs, _ in rows if tool == "flywayx" and secs is not None}
    for what, tool, secs, note in rows:
        if secs is None:  # the per-migration ratio of the fresh runs
            growth = float(note.split("x")[0])
            out.append(f"| {what} | | | {growth:.2f}x | ≤ 1.2x | {'yes' if growth <= 1.2 else 'no'} |")
        elif tool == "flywayx" and not any(w == what and t != "flywayx" for w, t, _, _ in rows):
            limit = 20.0 if what.startswith("fresh migrate, 10,000") else 1.0 if "nothing to do" in what else None
            goal = f"< {limit:g} s" if limit else ""
            met = ("yes" if secs < limit else "no") if limit else ""
            out.append(f"| {what} | {_cell(secs, what)} | | {note} | {goal} | {met} |")
        elif tool != "flywayx" and what in fx:
            ratio, goal, ok = _versus(what, fx[what], tool, secs)
            yard = f"{tool}{' (' + note + ')' if note else ''}: {secs:.2f} s"
            out.append(f"| {what} | {_cell(fx[what], what)} | {yard} | {ratio} | {goal} | {'yes' if ok else 'no'} |")
    return "\n".join(out)


def compiled() -> None:
    """Byte-compile flywayx first, as ``pip install`` does for an installed package: a development
    checkout under ``PYTHONDONTWRITEBYTECODE`` (this machine's shells set it) otherwise compiles every
    module again in every timed run (~0.2 s a run, not flywayx's but the checkout's cost)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "flywayx")], check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1,000 instead of 10,000 at the large sizes")
    parser.add_argument("--sqlite-dir", default="/dev/shm" if os.path.isdir("/dev/shm") else None)
    parser.add_argument("--skip-servers", action="store_true")
    parser.add_argument("--markdown", action="store_true", help="the issue's table, for docs/benchmarks.md")
    args = parser.parse_args()
    big = 1000 if args.quick else 10000
    rows: list[Row] = []
    compiled()
    before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory(dir=args.sqlite_dir) as work:
        root = Path(tmp)
        if not args.skip_servers:
            rows += server_rows(root, args.repeat)
        rows += sqlite_rows(root, Path(work), sorted({1000, big}), args.repeat)
    after = os.getloadavg()
    load = (
        f"load average (1, 5, 15 min) {before[0]:.1f}, {before[1]:.1f}, {before[2]:.1f} before, "
        f"{after[0]:.1f}, {after[1]:.1f}, {after[2]:.1f} after"
    )
    where = f"SQLite in {args.sqlite_dir or 'a temporary dir'}"
    if args.markdown:
        print(f"Each time: the median of {args.repeat} runs, tools taken in turn; {where}; {load}.\n")
        print(markdown(rows))
    else:
        print(f"each row: median of {args.repeat} runs, tools in turn; {where}; {load}")
        print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
