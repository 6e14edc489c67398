"""A server that stops answering mid-run: the run ends within the configured timeout with one clear
error, and the migration lock does not outlive it (freed at once when the server can still be
reached, expiring otherwise); the next run then finishes the job.

The run goes through ``tests/faults/proxy.py``: the packet carrying a marked statement reaches the
server, and from then on nothing comes back (the server completed it; the client never hears).
"""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

import pytest

from flywayx.db.locks import mysql_lock_name
from flywayx.db.timeouts import Timeouts
from tests import databases
from tests.databases import ScratchDb
from tests.e2e import harness
from tests.faults.proxy import Proxy, via

FAMILIES = [pytest.param("mariadb", marks=pytest.mark.mariadb), pytest.param("postgresql", marks=pytest.mark.postgres)]
SOCKET, CONNECT = 1.0, 1.0  # short: the waits below are multiples of these
SLACK = 6.0  # process start, the shared machine's load


def _project(tmp: Path) -> Path:
    loc = tmp / "sql"
    loc.mkdir()
    (loc / "V1__a.sql").write_text("CREATE TABLE a (id INT);\nINSERT INTO a VALUES (1);\n")
    (loc / "V2__b.sql").write_text("CREATE TABLE b (id INT);\nINSERT INTO b VALUES (42);\nCREATE TABLE c (id INT);\n")
    return loc


def _finish(db: ScratchDb, loc: Path, lock_timeout: float = 60) -> float:
    """Recover as an operator would; return how long the first command took (its lock wait included).
    A lock still held makes it fail after ``lock_timeout`` seconds, whatever the machine's load."""
    started = time.monotonic()
    r = harness.run("--url", db.url, "--locations", str(loc), "--lock-timeout", f"{lock_timeout:g}", "migrate")
    waited = time.monotonic() - started
    if not db.caps.transactional_ddl:  # DDL committed as it ran: the interrupted migration is resumed
        assert r.code == 1 and "--resume" in r.err, r.err
        r = harness.run("--url", db.url, "--locations", str(loc), "migrate", "--resume")
    assert r.code == 0, r.err
    assert db.query("SELECT id FROM b") == [(42,)] and db.query("SELECT COUNT(*) FROM c") == [(0,)]
    return waited


def _one_error(err: str) -> None:
    assert err.count("ERROR:") == 1 and "hint:" in err and "Traceback" not in err, err


def _one_line(err: str, setting: str) -> None:
    """The error is one line and its hint, the hint naming ``setting`` to raise."""
    lines = err.strip().splitlines()  # warnings may follow (what could not be recorded)
    assert lines[0].startswith("ERROR:") and lines[1].startswith("hint:"), err
    assert all(line.startswith("warning:") for line in lines[2:]), err
    assert f"raise {setting}" in lines[1], err


@pytest.mark.parametrize("family", FAMILIES)
def test_stalled_connection_ends_the_run_within_the_socket_timeout(family: str, tmp_path: Path) -> None:
    loc = _project(tmp_path)
    with databases.scratch(family, tmp_path) as db, Proxy(db.host, db.port) as proxy:
        proxy.hold_replies_after(b"VALUES (42)")
        r = harness.run(
            "--url", via(proxy, db.url), "--locations", str(loc), "--socket-timeout", str(SOCKET), "migrate", timeout=60
        )
        ended = time.monotonic()
        assert proxy.marked is not None
        assert SOCKET * 0.9 <= ended - proxy.marked <= SOCKET + SLACK, ended - proxy.marked
        assert r.code == 1 and f"no answer from the server within socketTimeout ({SOCKET:g} s)" in r.err, r.err
        _one_line(r.err, "socketTimeout")
        # the server is still reachable: the stalled session was ended from a new connection, so the
        # lock is free at once (the proxy still holds the old connection open): a lock timeout far
        # below the idle expiry is enough (a process start on a loaded machine is not the measure)
        _finish(db, loc, lock_timeout=2)


@pytest.mark.parametrize("family", FAMILIES)
def test_unreachable_server_the_lock_expires(family: str, tmp_path: Path) -> None:
    """The whole path breaks (new connections stall too): the run still ends, within the socket limit
    plus one connect limit (its attempt to end the stalled session), and the server ends the idle
    session that held the lock after ``Timeouts.idle_expiry``. Limits given JDBC-style in the URL."""
    loc = _project(tmp_path)
    unit = 1000 if family == "mariadb" else 1  # Connector/J: milliseconds; PgJDBC: seconds
    with databases.scratch(family, tmp_path) as db, Proxy(db.host, db.port) as proxy:
        proxy.hold_replies_after(b"VALUES (42)", stall_new=True)
        url = via(proxy, db.url) + f"?socketTimeout={SOCKET * unit:g}&connectTimeout={CONNECT * unit:g}"
        r = harness.run("--url", url, "--locations", str(loc), "migrate", timeout=60)
        assert proxy.marked is not None
        took = time.monotonic() - proxy.marked
        assert took <= SOCKET + CONNECT + SLACK, took
        assert r.code == 1 and "socketTimeout" in r.err, r.err
        _one_error(r.err)
        waited = _finish(db, loc)
        expiry = Timeouts(CONNECT, SOCKET).idle_expiry
        assert expiry - SOCKET - 1 <= took + waited <= expiry + SLACK, (took, waited, expiry)


@pytest.mark.parametrize("how", ["option", "jdbcProperties"])
@pytest.mark.parametrize("family", FAMILIES)
def test_silent_server_ends_the_connect_within_the_connect_timeout(family: str, how: str, tmp_path: Path) -> None:
    """The TCP connect succeeds (to the proxy) but the server's greeting never comes. The limit given
    as flywayx's option, or as a Flyway user gives a JDBC driver property in flyway.toml (in the
    driver's unit: Connector/J milliseconds, PgJDBC seconds)."""
    unit = 1000 if family == "mariadb" else 1
    toml = f'[environments.default.jdbcProperties]\nconnectTimeout = "{CONNECT * unit:g}"\n'
    (tmp_path / "flyway.toml").write_text(toml if how == "jdbcProperties" else "")
    limit = ["--connect-timeout", str(CONNECT)] if how == "option" else []
    with databases.scratch(family, tmp_path) as db, Proxy(db.host, db.port) as proxy:
        proxy.stall(new=True)
        r = harness.run("--url", via(proxy, db.url), *limit, "info", timeout=60, cwd=tmp_path)
        took = time.monotonic() - proxy.accepted[0]  # from the TCP connect (not the process start) to its end
        assert r.code == 1 and "Unable to connect" in r.err, r.err
        # both drivers name the limit (PostgreSQL said libpq's "connection timeout expired")
        assert f"no answer within connectTimeout ({CONNECT:g} s" in r.err, r.err
        _one_line(r.err, "connectTimeout")
        assert took <= CONNECT + SLACK, took


@pytest.mark.mariadb
@pytest.mark.parametrize("command", ["info", "verify"])
@pytest.mark.parametrize("point", [1, 2], ids=["login", "after-login"])
def test_a_server_silent_during_the_handshake_names_the_connect_timeout(
    command: str, point: int, tmp_path: Path
) -> None:
    """The greeting comes, then the answer to the login (or to what follows it in the handshake) never
    does: the connect limit bounds it, and the error says so by name (it read as the driver's raw
    "Lost connection to MySQL server during query (timed out)", error 2013, for every command)."""
    loc = _project(tmp_path)
    with databases.scratch("mariadb", tmp_path) as db:
        assert harness.run("--url", db.url, "--locations", str(loc), "migrate").code == 0
        with Proxy(db.host, db.port) as proxy:
            proxy.hold_replies_at(point)
            limits = ["--connect-timeout", str(CONNECT), "--socket-timeout", str(SOCKET)]
            r = harness.run("--url", via(proxy, db.url), "--locations", str(loc), *limits, command, timeout=60)
        assert r.code == 1 and f"no answer within connectTimeout ({CONNECT:g} s)" in r.err, r.err
        assert "raise connectTimeout" in r.err and "Lost connection" not in r.err
        _one_error(r.err)


@pytest.mark.mariadb
def test_waiting_for_a_busy_lock_is_not_a_silent_server(tmp_path: Path) -> None:
    """GET_LOCK waits on the server, silently; with a socket limit shorter than Flyway's 10 s wait per
    call, the runner polls in shorter calls: another runner's lock is waited for, not taken for a stall."""
    loc = _project(tmp_path)
    with databases.scratch("mariadb", tmp_path) as db:
        holder = db.connect()
        holder.cursor().execute("SELECT GET_LOCK(%s, 0)", (mysql_lock_name(db.schema, "flyway_schema_history"),))
        release = threading.Timer(3 * SOCKET, holder.close)  # the other runner ends: its lock goes with it
        release.start()
        try:
            r = harness.run(
                "--url",
                db.url,
                "--locations",
                str(loc),
                "--socket-timeout",
                str(SOCKET),
                "--lock-timeout",
                "60",
                "migrate",
                timeout=120,
            )
        finally:
            release.join()
        assert r.code == 0, r.err
        assert db.query("SELECT id FROM b") == [(42,)]


@pytest.mark.postgres
def test_a_restore_through_a_stalled_connection_ends_within_the_socket_timeout(tmp_path: Path) -> None:
    """PostgreSQL restore: the server stops answering while the data loads; the restore ends within the
    socket limit with one error, and the database is as it was (the load's transaction never commits).
    The path broke (the proxy passes nothing more, not even the close), so the server keeps the load's
    session, which holds every lock of the schema it was replacing: flywayx ends it from a new connection."""
    loc = _project(tmp_path)
    with databases.scratch("postgresql", tmp_path) as db:
        assert harness.run("--url", db.url, "--locations", str(loc), "migrate").code == 0
        bk = tmp_path / "bk"
        assert harness.run("--url", db.url, "--locations", str(loc), "migrate", "--backup", str(bk)).code == 0
        dump = next(p for p in bk.iterdir() if p.name.endswith(".dump"))
        db.query("INSERT INTO b VALUES (43)")
        with Proxy(db.host, db.port) as proxy:
            proxy.hold_replies_after(b"COPY public.b ", stall_link=True)
            r = harness.run(
                "--url",
                via(proxy, db.url),
                "--socket-timeout",
                str(SOCKET),
                "restore",
                "--force",
                str(dump),
                timeout=60,
            )
            ended = time.monotonic()
            assert proxy.marked is not None, r.text
            assert ended - proxy.marked <= SOCKET + SLACK, ended - proxy.marked
            assert r.code == 1 and "socketTimeout" in r.err and "nothing was changed" in r.err, r.text
            assert "its session was ended" in r.err, r.err
            _one_error(r.err)
            others = (
                "SELECT pid, state, query FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            left, deadline = db.query(others), time.monotonic() + 5
            while left and time.monotonic() < deadline:  # pg_terminate_backend ends it asynchronously
                time.sleep(0.1)
                left = db.query(others)
            assert left == [], f"the restore's session is still on the server: {left}"
        assert sorted(db.query("SELECT id FROM b")) == [(42,), (43,)]


COMMANDS = ["info", "validate", "repair", "baseline", "clean", "verify", "backup", "restore"]


def _prepared(command: str, db: ScratchDb, tmp: Path, loc: Path) -> list[str]:
    """``db`` made ready for ``command``; the command's arguments (after the URL and locations)."""
    if command == "baseline":  # an existing schema without history
        db.execute(f"CREATE TABLE {db.qualified('legacy')} (id INT)")
        return ["baseline"]
    assert harness.run("--url", db.url, "--locations", str(loc), "migrate").code == 0
    if command == "backup":
        return ["migrate", "--backup", str(tmp / f"bk-{db.name}")]
    if command == "restore":
        backups = tmp / "bk"
        if not backups.exists():  # one backup, restored into each database
            r = harness.run("--url", db.url, "--locations", str(loc), "migrate", "--backup", str(backups))
            assert r.code == 0, r.err
        return ["restore", "--force", str(next(p for p in backups.iterdir() if p.suffix in (".sql", ".dump")))]
    return ["clean", "--clean-disabled=false"] if command == "clean" else [command]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("family", FAMILIES)
def test_every_command_ends_within_the_socket_timeout_when_the_server_stops_answering(
    family: str, command: str, tmp_path: Path
) -> None:
    """A clean run of the command through the proxy counts what its connections send; a run on a database
    in the same state (the same one for a read-only command) hears nothing more from the middle one on
    (the server got it, answered, the answer never came). It ends within the socket limit with one
    error, and a command that takes the lock, run again without the proxy (the server reachable: the
    stalled session was ended), does its job."""
    loc = _project(tmp_path)
    limits = ["--connect-timeout", str(CONNECT), "--socket-timeout", str(SOCKET)]
    read_only = command in ("info", "validate", "verify")
    with contextlib.ExitStack() as stack:
        db = stack.enter_context(databases.scratch(family, tmp_path))
        args = _prepared(command, db, tmp_path, loc)
        with Proxy(db.host, db.port) as proxy:
            r = harness.run("--url", via(proxy, db.url), "--locations", str(loc), *limits, *args, timeout=60)
            assert r.code == 0, r.text
            middle = proxy.sent // 2
        # what a client sends in one write may arrive in fewer, larger chunks another time (a restore's
        # data): a run that ends before the point proves nothing and is run again with an earlier one
        for point in (middle, middle // 2):
            if not read_only:
                db = stack.enter_context(databases.scratch(family, tmp_path))
                args = _prepared(command, db, tmp_path, loc)
            with Proxy(db.host, db.port) as proxy:
                proxy.hold_replies_at(point)
                r = harness.run("--url", via(proxy, db.url), "--locations", str(loc), *limits, *args, timeout=60)
                ended = time.monotonic()
            if proxy.marked is not None:
                break
            assert r.code == 0, r.text
        assert proxy.marked is not None, f"the command sent fewer than {point} chunks twice: {r.text}"
        assert ended - proxy.marked <= SOCKET + SLACK, (ended - proxy.marked, r.text)
        assert r.code == 1, r.text
        assert "socketTimeout" in r.err, r.err
        _one_error(r.err)
        if not read_only:  # the lock did not outlive the run
            again = harness.run("--url", db.url, "--locations", str(loc), "--lock-timeout", "10", *args, timeout=120)
            assert again.code == 0, again.text


# the first statement of a session, sent by the driver's opener right after the login
FIRST_QUERY = {"mariadb": b"SELECT VERSION(), @@foreign_key_checks", "postgresql": b"current_setting('search_path')"}


@pytest.mark.parametrize("family", FAMILIES)
def test_a_server_silent_from_the_first_query_on_ends_the_run_within_the_socket_timeout(
    family: str, tmp_path: Path
) -> None:
    """The login completes, then the server stops answering: the session's very first query is bounded
    too (PostgreSQL's waited forever: the socket limit was armed only after it)."""
    with databases.scratch(family, tmp_path) as db, Proxy(db.host, db.port) as proxy:
        proxy.hold_replies_after(FIRST_QUERY[family])
        r = harness.run("--url", via(proxy, db.url), "--socket-timeout", str(SOCKET), "info", timeout=60)
        ended = time.monotonic()
        assert proxy.marked is not None, r.text
        assert SOCKET * 0.9 <= ended - proxy.marked <= SOCKET + SLACK, ended - proxy.marked
        assert r.code == 1 and f"no answer from the server within socketTimeout ({SOCKET:g} s)" in r.err, r.err
        _one_line(r.err, "socketTimeout")
