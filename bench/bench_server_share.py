"""The server's share of a MariaDB migrate: flywayx's exact requests replayed without flywayx (issue 19).

Records every query a ``flywayx migrate`` of ``bench_speed.small_project`` sends (in-process, at PyMySQL's
``_execute_command``), then replays the recording through the ``mariadb`` client (whose CPU is ~0) beside
the client's own one-stream run, with variants that leave out some of flywayx's statements (``--drop
NAME=REGEX``, matched against each statement of a multi-statement packet). Each replay starts on a fresh
database; tools and variants are taken in turn ``--repeat`` times. Per migration it prints the wall time
and the server's counters (``SHOW GLOBAL STATUS`` deltas: redo-log fsyncs and writes, commits, queries)
and, with ``--server-pid``, the server process's CPU (from /proc). The counters and the CPU are the
whole server's: on a shared server use a private instance (docs/decisions/round-trips.md, session 8).

Run: ``.venv/bin/python bench/bench_server_share.py --url mysql://root@127.0.0.1:3399/ --server-pid PID``
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bench_speed import small_project

COUNTERS = ("Innodb_data_fsyncs", "Innodb_log_writes", "Handler_commit", "Questions")
VARIANTS = {  # what flywayx sends a migration beyond the client's statements (round-trips.md)
    "no lock": r"GET_LOCK\('Flyway|RELEASE_LOCK\('Flyway",
    "no token": r"^SELECT \(SELECT MAX\(",
    "no session reset": r"^SET foreign_key_checks|^USE |USER_VARIABLES",
    "no progress record": r"flywayx_progress",
    "no SHOW WARNINGS": r"^SHOW WARNINGS",
    "no history rows": r"flyway_schema_history` \(`installed_rank|INTO \S+flywayx_applied",
}


def record(url: str, locations: Path) -> list[str]:
    """Every query text one ``flywayx migrate`` sends, in order (a fresh database first)."""
    import pymysql
    from pymysql.constants import COMMAND

    from flywayx.cli import main

    sent: list[str] = []
    original = pymysql.connections.Connection._execute_command

    def recording(conn: Any, command: int, sql: Any) -> Any:
        if command == COMMAND.COM_QUERY:
            sent.append(sql.decode() if isinstance(sql, bytes) else str(sql))
        return original(conn, command, sql)

    pymysql.connections.Connection._execute_command = recording
    try:
        main(["--url", url, "--locations", str(locations), "-q", "migrate"])
    except SystemExit as end:
        if end.code:
            raise RuntimeError(f"flywayx migrate failed (exit {end.code})") from None
    finally:
        pymysql.connections.Connection._execute_command = original
    return sent


def without(queries: Sequence[str], pattern: str) -> list[str]:
    """``queries`` with the statements matching ``pattern`` left out of each packet."""
    kept = []
    for query in queries:
        parts = [s for s in query.split("\n;\n") if not re.search(pattern, s.strip())]
        if parts:
            kept.append("\n;\n".join(parts))
    return kept


def stream(queries: Sequence[str], path: Path) -> Path:
    """A ``mariadb`` client script sending each query as one packet (a delimiter no query holds)."""
    assert not any("$$" in q for q in queries), "a query holds the delimiter"
    path.write_text("DELIMITER $$\n" + "".join(f"{q}$$\n" for q in queries))
    return path


class Server:
    def __init__(self, url: str, db: str, pid: int | None) -> None:
        u = urlparse(url)
        self.base = ["mariadb", "-u", u.username or "root", "-h", u.hostname or "127.0.0.1", "-P", str(u.port or 3306)]
        self.base += [f"-p{u.password}"] if u.password else []
        self.db, self.pid = db, pid
        self.url = f"{url.rstrip('/')}/{db}"

    def client(self, *args: str, feed: Path | None = None, errors: bool = False) -> str:
        """The client's output (``errors``: its error messages, the statements failing being no failure)."""
        with open(feed or os.devnull, "rb") as stdin:
            done = subprocess.run([*self.base, *args], stdin=stdin, capture_output=True, check=not errors)
        return "\n" + done.stderr.decode() if errors else done.stdout.decode()

    def fresh(self) -> None:
        self.client("-e", f"DROP DATABASE IF EXISTS {self.db}; CREATE DATABASE {self.db}")

    def counters(self) -> dict[str, float]:
        names = ",".join(f"'{c}'" for c in COUNTERS)
        rows = self.client("-N", "-e", f"SHOW GLOBAL STATUS WHERE Variable_name IN ({names})")
        got = {k: float(v) for k, v in (line.split("\t") for line in rows.splitlines())}
        if self.pid is not None:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
            got["server CPU ms"] = (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
        return got

    def replay(self, script: Path) -> tuple[float, dict[str, float]]:
        """Wall seconds of the client fed ``script`` on a fresh database, and the counters' deltas."""
        self.fresh()
        before, start = self.counters(), time.perf_counter()
        errors = self.client("--force", self.db, feed=script, errors=True)
        took, after = time.perf_counter() - start, self.counters()
        return took, {**{k: after[k] - before[k] for k in after}, "errors": errors.count("\nERROR ")}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("FLYWAYX_TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306/"))
    parser.add_argument("--db", default="bench_share")
    parser.add_argument("--migrations", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--server-pid", type=int, help="the server's process id (local server): its CPU per run")
    parser.add_argument("--drop", action="append", default=[], metavar="NAME=REGEX", help="another variant")
    args = parser.parse_args(argv)
    server = Server(args.url, args.db, args.server_pid)
    variants = dict(VARIANTS, **dict(d.split("=", 1) for d in args.drop))
    with tempfile.TemporaryDirectory(prefix="bench_share_") as tmp:
        root = Path(tmp)
        locations, _, client_stream = small_project(root, args.migrations)
        server.fresh()
        queries = record(server.url, locations)
        scripts = {"mariadb client, one stream": client_stream, "flywayx's requests": stream(queries, root / "all.sql")}
        for i, (name, pattern) in enumerate(variants.items()):
            scripts[f"  {name}"] = stream(without(queries, pattern), root / f"v{i}.sql")
        runs: dict[str, list[tuple[float, dict[str, float]]]] = {name: [] for name in scripts}
        for _ in range(args.repeat):
            for name, script in scripts.items():
                runs[name].append(server.replay(script))
    n = args.migrations
    print(f"{len(queries)} requests recorded for {n} migrations; per migration, medians of {args.repeat}:")
    for name, got in runs.items():
        deltas = {k: statistics.median(d[k] for _, d in got) / n for k in got[0][1]}
        shown = "  ".join(f"{k} {v:.2f}" for k, v in deltas.items())
        print(f"{name:28s} wall {statistics.median(w for w, _ in got) * 1000 / n:6.2f} ms  {shown}")
    print("load average", Path("/proc/loadavg").read_text().split()[:3])
    return 0


if __name__ == "__main__":
    sys.exit(main())
