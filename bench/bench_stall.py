"""Longest write stall seen by a writer while schema changes run on a large MariaDB table.

    .venv/bin/python bench/bench_stall.py [--rows 1000000] [--server mysql://root@127.0.0.1:3306/]

Two ways to make the same two changes (add a nullable column, add an index) to a table of --rows rows:
  * flywayx: ``migrate --to 1.1.0 --phase expand`` with the migrations written for online DDL
    (ALGORITHM=INSTANT for the column, ALGORITHM=INPLACE, LOCK=NONE for the index);
  * naive: the same ALTERs forced through ALGORITHM=COPY (what an old server or a careless
    migration gets), each run directly.
A writer thread with its own connection inserts a row and updates a random row in a loop; the
stall is the longest time between two completed writes while the change runs. Prints a table.
Not run by CI (it takes minutes at 1M rows).
"""

from __future__ import annotations

import argparse
import itertools
import random
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pymysql
from tabulate import tabulate

RELEASES = '[release."1.0.0"]\n[release."1.1.0"]\nfrom = "1.0.0"\n'
CREATE = "CREATE TABLE big (id INT AUTO_INCREMENT PRIMARY KEY, a INT NOT NULL, b VARCHAR(40) NOT NULL)"
EXPAND = {
    "V1.1.0.1__add_column.sql": "ALTER TABLE big ADD COLUMN c INT NULL, ALGORITHM=INSTANT;\n",
    "V1.1.0.2__add_index.sql": "CREATE INDEX idx_big_b ON big (b) ALGORITHM=INPLACE LOCK=NONE;\n",
}
NAIVE = [
    ("add nullable column", "ALTER TABLE big ADD COLUMN c INT NULL, ALGORITHM=COPY"),
    ("add index", "ALTER TABLE big ADD INDEX idx_big_b (b), ALGORITHM=COPY"),
]


class Writer:
    """Insert + update in a loop; remembers when each write completed."""

    def __init__(self, connect: Any, rows: int) -> None:
        self.conn = connect()
        self.rows = rows
        self.done: list[float] = []
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        cur = self.conn.cursor()
        while not self.stop.is_set():
            try:
                cur.execute("INSERT INTO big (a, b) VALUES (%s, %s)", (1, uuid.uuid4().hex))
                cur.execute("UPDATE big SET a = a + 1 WHERE id = %s", (random.randint(1, self.rows),))
            except pymysql.MySQLError as err:
                self.errors.append(str(err))
            self.done.append(time.monotonic())

    def stall(self, start: float, end: float) -> float:
        """Longest gap (s) between completed writes inside [start, end], edges included."""
        marks = [start] + [t for t in self.done if start <= t <= end] + [end]
        later = [t for t in self.done if t > end]
        if later:
            marks.append(later[0])
        return max(b - a for a, b in itertools.pairwise(marks))


def measure(db: dict[str, Any], rows: int, change: Any) -> tuple[float, float, int, int]:
    """Run ``change()`` under a writer: (seconds, longest stall, writes during, errors)."""
    w = Writer(lambda: pymysql.connect(autocommit=True, **db), rows)
    w.thread.start()
    time.sleep(0.5)
    start = time.monotonic()
    change()
    end = time.monotonic()
    time.sleep(0.5)
    w.stop.set()
    w.thread.join()
    w.conn.close()
    return end - start, w.stall(start, end), sum(1 for t in w.done if start <= t <= end), len(w.errors)


def fresh(admin: Any, db: dict[str, Any], rows: int) -> None:
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{db['database']}`")
        cur.execute(f"CREATE DATABASE `{db['database']}`")
    conn = pymysql.connect(autocommit=True, **db)
    with conn.cursor() as cur:
        cur.execute(CREATE)
        cur.execute(f"INSERT INTO big (a, b) SELECT seq, MD5(seq) FROM seq_1_to_{rows}")
    conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--server", default="mysql://root@127.0.0.1:3306/")
    args = ap.parse_args()
    u = urlsplit(args.server)
    name = "fx_bench_" + uuid.uuid4().hex[:8]
    db: dict[str, Any] = {
        "host": u.hostname or "127.0.0.1",
        "port": u.port or 3306,
        "user": u.username or "root",
        "password": u.password or "",
        "database": name,
    }
    admin = pymysql.connect(autocommit=True, **{k: v for k, v in db.items() if k != "database"})
    url = f"mysql://{db['user']}{':' + db['password'] if db['password'] else ''}@{db['host']}:{db['port']}/{name}"
    table = []
    try:
        table += run_flywayx(admin, db, url, args.rows)
        table += run_naive(admin, db, args.rows)
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    print(f"rows: {args.rows:,}")
    print(
        tabulate(
            table,
            headers=["way", "change", "seconds", "longest write stall (ms)", "writes during", "writer errors"],
            floatfmt=".3f",
        )
    )


def run_flywayx(admin: Any, db: dict[str, Any], url: str, rows: int) -> list[list[Any]]:
    from flywayx.cli.app import run

    with tempfile.TemporaryDirectory() as tmp:
        loc = Path(tmp)
        (loc / "releases.toml").write_text(RELEASES)
        (loc / "V1.0.0.1__big.sql").write_text(CREATE + ";\n")
        fresh(admin, db, rows)
        base = ["-q", "--url", url, "--locations", str(loc)]
        with pymysql.connect(autocommit=True, **db) as conn, conn.cursor() as cur:
            cur.execute("DROP TABLE big")
        assert run([*base, "migrate", "--to", "1.0.0"], "flywayx") == 0
        with pymysql.connect(autocommit=True, **db) as conn, conn.cursor() as cur:
            cur.execute(f"INSERT INTO big (a, b) SELECT seq, MD5(seq) FROM seq_1_to_{rows}")
        for name, text in EXPAND.items():
            (loc / name).write_text(text)

        def expand() -> None:
            if run([*base, "migrate", "--to", "1.1.0", "--phase", "expand"], "flywayx") != 0:
                raise SystemExit("flywayx migrate --phase expand failed")
            with pymysql.connect(autocommit=True, **db) as conn, conn.cursor() as cur:
                cur.execute("SELECT COUNT(*) FROM flyway_schema_history WHERE version LIKE '1.1.0.%%'")
                if cur.fetchone()[0] != len(EXPAND):
                    raise SystemExit("--phase expand did not apply both changes")

        secs, stall, writes, errors = measure(db, rows, expand)
    return [["flywayx --phase expand", "add nullable column + add index", secs, stall * 1000, writes, errors]]


def run_naive(admin: Any, db: dict[str, Any], rows: int) -> list[list[Any]]:
    fresh(admin, db, rows)
    out = []
    for label, sql in NAIVE:

        def change(sql: str = sql) -> None:
            with pymysql.connect(autocommit=True, **db) as conn, conn.cursor() as cur:
                cur.execute(sql)

        secs, stall, writes, errors = measure(db, rows, change)
        out.append(["naive ALGORITHM=COPY", label, secs, stall * 1000, writes, errors])
    return out


if __name__ == "__main__":
    main()
