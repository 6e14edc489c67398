"""The database clients flywayx runs (``mariadb-dump``, ``pg_dump``, the ``mariadb`` that loads a
restore) are bounded too: a server that stops answering mid-transfer ends the client once it has
made no progress for ``socketTimeout``, with one error naming the client and the limit; the backup
file does not stay behind looking complete, a restore leaves the target as it was. A slow dump that
keeps moving is not ended.

The clients connect through ``tests/faults/proxy.py``, which holds the server's answers back once the
dump asks for the big table's rows (the stall is mid-transfer: the file has a head already).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests import databases
from tests.databases import ScratchDb
from tests.e2e import harness
from tests.faults.proxy import Proxy, via

FAMILIES = [pytest.param("mariadb", marks=pytest.mark.mariadb), pytest.param("postgresql", marks=pytest.mark.postgres)]
SOCKET = 1.0
SLACK = 6.0  # the terminate -> kill step (2 s), process start, the shared machine's load
CLIENT = {"mariadb": "mariadb-dump", "postgresql": "pg_dump"}
BIG_ROWS = {"mariadb": b"FROM `big`", "postgresql": b"COPY public.big "}  # the dump asks for the rows


def _project(tmp: Path, db: ScratchDb) -> Path:
    """V1 (applied): a table ``big`` of about 1 MB and a table ``b``; V2 pending."""
    loc = tmp / "sql"
    loc.mkdir()
    rows = (
        "INSERT INTO big SELECT seq, REPEAT('x', 100) FROM seq_1_to_10000;\n"
        if db.dialect == "mariadb"
        else "INSERT INTO big SELECT g, REPEAT('x', 100) FROM generate_series(1, 10000) g;\n"
    )
    (loc / "V1__a.sql").write_text(
        f"CREATE TABLE big (id INT PRIMARY KEY, t VARCHAR(200));\n{rows}CREATE TABLE b (id INT);\n"
        "INSERT INTO b VALUES (42);\n"
    )
    r = harness.run("--url", db.url, "--locations", str(loc), "migrate")
    assert r.code == 0, r.err
    (loc / "V2__c.sql").write_text("CREATE TABLE c (id INT);\n")
    return loc


def _dumps(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.suffix in (".sql", ".dump")] if folder.exists() else []


def _one_error(err: str) -> None:
    assert err.count("ERROR:") == 1 and "hint:" in err and "Traceback" not in err, err


@pytest.mark.parametrize("family", FAMILIES)
def test_a_dump_from_a_stalled_server_ends_within_the_socket_timeout(family: str, tmp_path: Path) -> None:
    with databases.scratch(family, tmp_path) as db:
        loc = _project(tmp_path, db)
        bk = tmp_path / "bk"
        with Proxy(db.host, db.port) as proxy:
            proxy.hold_replies_after(BIG_ROWS[family])
            r = harness.run(
                "--url",
                via(proxy, db.url),
                "--locations",
                str(loc),
                "--socket-timeout",
                str(SOCKET),
                "migrate",
                "--backup",
                str(bk),
                timeout=60,
            )
            ended = time.monotonic()
            assert proxy.marked is not None, r.text
            assert SOCKET * 0.9 <= ended - proxy.marked <= SOCKET + SLACK, ended - proxy.marked
        assert r.code == 1, r.text
        assert f"{CLIENT[family]} made no progress for socketTimeout ({SOCKET:g} s)" in r.err, r.err
        _one_error(r.err)
        assert _dumps(bk) == [], "a dump that stopped half-way must not be left looking like a backup"
        assert db.query("SELECT COUNT(*) FROM b") == [(1,)]
        assert "c" not in db.tables(), "migrate must stop before it changes anything"
        # the lock went with the failed run: the next one (server answering) takes the backup and migrates
        r = harness.run(
            "--url", db.url, "--locations", str(loc), "--lock-timeout", "10", "migrate", "--backup", str(bk)
        )
        assert r.code == 0, r.err
        assert len(_dumps(bk)) == 1 and "c" in db.tables()


@pytest.mark.parametrize("family", FAMILIES)
def test_a_slow_dump_that_keeps_moving_is_not_ended(family: str, tmp_path: Path) -> None:
    """Once the dump asks for the big table's rows, every chunk the proxy forwards waits 1 s, for
    several socket limits (3 s) in all: each pause is shorter than the limit, so the dump completes."""
    limit, window = 3 * SOCKET, 8.0
    with databases.scratch(family, tmp_path) as db:
        loc = _project(tmp_path, db)
        bk = tmp_path / "bk"
        with Proxy(db.host, db.port) as proxy:
            proxy.delay(1.0, after=BIG_ROWS[family])

            def back_to_speed() -> None:  # the rest of the run (flywayx's own statements) at full speed
                while proxy.delay_started is None or time.monotonic() < proxy.delay_started + window:
                    if stop.wait(0.1):
                        return
                proxy.delay(0)

            stop = threading.Event()
            speed = threading.Thread(target=back_to_speed, daemon=True)
            speed.start()
            try:
                r = harness.run(
                    "--url",
                    via(proxy, db.url),
                    "--locations",
                    str(loc),
                    "--socket-timeout",
                    str(limit),
                    "migrate",
                    "--backup",
                    str(bk),
                    timeout=300,
                )
            finally:
                stop.set()
                speed.join()
        assert r.code == 0, r.text
        assert proxy.delayed * 1.0 > 2 * limit, f"only {proxy.delayed} chunks were slowed: the test proves nothing"
        assert len(_dumps(bk)) == 1 and "c" in db.tables()
        r = harness.run("--url", db.url, "restore", "--force", str(_dumps(bk)[0]))
        assert r.code == 0, r.err
        assert db.query("SELECT COUNT(*) FROM big") == [(10000,)]


@pytest.mark.mariadb
def test_a_mariadb_restore_through_a_stalled_connection_ends_within_the_socket_timeout(tmp_path: Path) -> None:
    """The ``mariadb`` client loading the dump stops hearing from the server: it is ended within the
    socket limit, and the target is as it was (the load went into a scratch database)."""
    with databases.scratch("mariadb", tmp_path) as db:
        loc = _project(tmp_path, db)
        bk = tmp_path / "bk"
        assert harness.run("--url", db.url, "--locations", str(loc), "migrate", "--backup", str(bk)).code == 0
        db.execute(f"INSERT INTO {db.qualified('b')} VALUES (43)")
        with Proxy(db.host, db.port) as proxy:
            proxy.hold_replies_after(b"INSERT INTO `b`")
            r = harness.run(
                "--url",
                via(proxy, db.url),
                "--socket-timeout",
                str(SOCKET),
                "restore",
                "--force",
                str(_dumps(bk)[0]),
                timeout=60,
            )
            ended = time.monotonic()
            assert proxy.marked is not None, r.text
            assert SOCKET * 0.9 <= ended - proxy.marked <= SOCKET + SLACK, ended - proxy.marked
        assert r.code == 1 and "mariadb made no progress for socketTimeout (1 s)" in r.err, r.text
        _one_error(r.err)
        assert sorted(db.query(f"SELECT id FROM {db.qualified('b')}")) == [(42,), (43,)]
        assert "c" in db.tables()
        leftovers = db.query(f"SHOW DATABASES LIKE '{db.name}\\_\\_fx\\_%'")
        assert leftovers == [], leftovers
