"""The database clients flywayx runs (``mariadb-dump``, ``pg_dump``, the ``mariadb`` that loads a
restore) are bounded too: a server that stops answering mid-transfer ends the client once it has
made no progress for ``socketTimeout``, with one error naming the client and the limit; the backup
file does not stay behind looking complete, a restore leaves the target as it was. A slow dump that
keeps moving is not ended.

The clients connect through ``tests/faults/proxy.py``, which holds the server's answers back once the
dump asks for the big table's rows (the stall is mid-transfer: the file has a head already).
"""

from __future__ import annotations

import ctypes
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
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


def _dump_sessions(db: ScratchDb) -> list[tuple[object, ...]]:
    """The sessions of this database's dump left on the server (the one asking is not counted)."""
    if db.dialect == "mariadb":
        return db.query(
            "SELECT ID, STATE, INFO FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() "
            f"AND INFO LIKE '%`big`%' AND (DB = '{db.schema}' OR INFO LIKE '%{db.schema}%')"
        )
    return db.query(
        "SELECT pid, state, query FROM pg_stat_activity WHERE datname = current_database() "
        "AND application_name LIKE 'flywayx-pg_dump-%'"
    )


def _hold_client_socket(parent: subprocess.Popen[str], name: str, port: int) -> list[socket.socket]:
    """Copies of the TCP sockets to ``port`` of ``parent``'s child process ``name``, once it has one
    (``pidfd_getfd``): while the test keeps them open, the child's end of the connection does not close
    when the child dies, as when the network path broke and its FIN never arrives."""
    libc, deadline = ctypes.CDLL(None, use_errno=True), time.monotonic() + 30
    while time.monotonic() < deadline and parent.poll() is None:
        for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
                fds = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                continue
            comm, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
            if comm != name or int(fields[1]) != parent.pid:
                continue
            held, pidfd = [], os.pidfd_open(pid)
            try:
                for fd in fds:
                    try:
                        if not os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                            continue
                    except OSError:
                        continue
                    got = libc.syscall(438, pidfd, int(fd), 0)  # pidfd_getfd
                    if got < 0:
                        continue
                    sock = socket.socket(fileno=got)
                    try:
                        ours = sock.type == socket.SOCK_STREAM and sock.getpeername()[1] == port
                    except (OSError, IndexError, TypeError):
                        ours = False
                    held.append(sock) if ours else sock.close()
            finally:
                os.close(pidfd)
            if held:
                return held
        time.sleep(0.02)
    raise AssertionError(f"no {name} connected to port {port}")


# The stall limit of the test below, above any pause of a dump that still moves: a limit of 1 s also
# fired while a loaded server took over a second to answer one of pg_dump's catalog queries, before the
# COPY the test stalls; its path intact, pg_dump's close reached the server, which ended the session
# itself, and flywayx rightly did not say it had (the test failed once so, on a fresh-clone CI run).
ENDED_LIMIT = 3.0


@pytest.mark.parametrize("family", FAMILIES)
def test_the_server_session_of_an_ended_dump_is_ended_too(family: str, tmp_path: Path) -> None:
    """The stall watchdog ends the dump client, and the server never hears of it (the network path
    broke), so the client's session would live on, with its transaction and locks (pg_dump's: one on
    every table it dumps), until the server's own timeouts, hours later. flywayx ends it from a new
    connection.

    MariaDB, found by the client's address: the dump waits for a table another session has locked,
    and the test keeps a copy of the client's socket, so the client's close never reaches the server.
    PostgreSQL, found by the name the dump connects with: the path of the dump's connection breaks
    once it asks for the big table's rows (the proxy passes nothing more, not even the close; pg_dump,
    ended, cancels its query over a new connection, which leaves its session idle in the aborted
    transaction, locks held).

    What is checked needs the stall to be the one made here: the watchdog must fire while the dump
    waits for ``big`` (MariaDB: the test holds the socket by then; PostgreSQL: the path has broken). A
    run where the watchdog fired earlier (a loaded server slower than ``ENDED_LIMIT`` to answer) tests
    something else and is run again, on a fresh database, at most twice."""
    for attempt in range(3):
        with databases.scratch(family, tmp_path) as db, Proxy(db.host, db.port) as proxy:
            tmp = tmp_path / f"attempt{attempt}"
            tmp.mkdir()
            loc = _project(tmp, db)
            bk = tmp / "bk"
            if _dump_ended_by_the_watchdog(family, db, proxy, loc, bk):
                return
    raise AssertionError("in three runs the watchdog never fired at the stall the test made")


def _dump_ended_by_the_watchdog(family: str, db: ScratchDb, proxy: Proxy, loc: Path, bk: Path) -> bool:
    """One run of the test above; False when the watchdog fired before the dump reached the stall."""
    locker, held = db.connect(), []
    try:
        if family == "mariadb":
            url = db.url
            locker.cursor().execute(f"LOCK TABLES {db.qualified('big')} WRITE")
        else:
            url = via(proxy, db.url)
            proxy.hold_replies_after(BIG_ROWS[family], stall_link=True)
        run = subprocess.Popen(
            [*harness.FLYWAYX, "--url", url, "--locations", str(loc), "--socket-timeout", str(ENDED_LIMIT),
             "migrate", "--backup", str(bk)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=harness.env(),
        )  # fmt: skip
        waited = threading.Event()
        if family == "mariadb":
            held = _hold_client_socket(run, CLIENT[family], db.port)
            threading.Thread(target=_see_waiting, args=(db, run, waited), daemon=True).start()
        _, err = run.communicate(timeout=120)
        if not (proxy.marked is not None if family == "postgresql" else waited.is_set()):
            return False
        assert run.returncode == 1, err
        limit = f"{CLIENT[family]} made no progress for socketTimeout ({ENDED_LIMIT:g} s) and was ended"
        assert limit in err, err
        assert "its session on the server was ended too" in err, err
        _one_error(err)
        left, deadline = _dump_sessions(db), time.monotonic() + 30
        while left and time.monotonic() < deadline:  # KILL and pg_terminate_backend end it asynchronously
            time.sleep(0.1)
            left = _dump_sessions(db)
        assert left == [], f"the dump's session is still on the server: {left}"
    finally:
        for sock in held:
            sock.close()
        locker.close()
    assert _dumps(bk) == [] and "c" not in db.tables()
    r = harness.run("--url", db.url, "--locations", str(loc), "--lock-timeout", "30", "migrate", "--backup", str(bk))
    assert r.code == 0, r.err
    assert len(_dumps(bk)) == 1 and "c" in db.tables()
    return True


def _see_waiting(db: ScratchDb, run: subprocess.Popen[str], seen: threading.Event) -> None:
    """Set ``seen`` once the dump's session waits for the lock on ``big`` (MariaDB), while ``run`` lives."""
    while run.poll() is None and not seen.is_set():
        if any("metadata lock" in str(state) for _, state, _ in _dump_sessions(db)):
            seen.set()
        time.sleep(0.05)


# the last statement of the backup's own reads, before it starts the dump (its fingerprint's last, on MariaDB)
LAST_READ = {"mariadb": b"SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE", "postgresql": b"SHOW server_version"}


@pytest.mark.parametrize("family", FAMILIES)
def test_a_dump_that_cannot_connect_ends_within_the_connect_timeout(family: str, tmp_path: Path) -> None:
    """Once the backup has read what it needs over its own connection, the server stops greeting new
    connections (TCP accepted, no handshake). Without a socket limit, the dump client must still give
    up after connectTimeout: pg_dump by its own PGCONNECT_TIMEOUT, mariadb-dump (which has no connect
    timeout, not even from an option file) by flywayx's watchdog."""
    connect = 2.0
    with databases.scratch(family, tmp_path) as db:
        loc = _project(tmp_path, db)
        bk = tmp_path / "bk"
        with Proxy(db.host, db.port) as proxy:
            proxy.stall_new_after(LAST_READ[family])
            r = harness.run(
                "--url", via(proxy, db.url), "--locations", str(loc), "--connect-timeout", str(connect), "migrate",
                "--backup", str(bk), timeout=120,
            )  # fmt: skip
            assert proxy.stalled_new is not None, r.text
            # from the moment the server stopped greeting (not from the process start: flywayx's start and
            # its own statements took up to 12 s at load 19, and failed a bound that included them)
            took = time.monotonic() - proxy.stalled_new
        assert r.code == 1, r.text
        if family == "mariadb":
            assert "mariadb-dump could not connect within connectTimeout (2 s)" in r.err, r.err
        else:
            assert "pg_dump failed" in r.err and "timeout expired" in r.err and "raise connectTimeout" in r.err, r.err
        _one_error(r.err)
        assert took <= connect + SLACK, took  # the client's start and the run's end included
        assert _dumps(bk) == [] and "c" not in db.tables()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word (a server that stopped greeting)."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()


@pytest.mark.parametrize("what", ["mysql connection", "postgresql connection", "mariadb-dump", "pg_dump"])
def test_every_connection_and_client_gives_up_on_a_silent_server_within_the_connect_limit(
    what: str, silent_port: int, tmp_path: Path
) -> None:
    """No server needed: the listener accepts and stays silent, no socket limit is set. flywayx's raw
    connections (backup, restore) bound the greeting too (PyMySQL's own connect_timeout covers only the
    TCP connect), pg_dump by PGCONNECT_TIMEOUT, mariadb-dump (no option of its own) by the watchdog."""
    from flywayx.config.urls import parse_url
    from flywayx.db import backup, clients
    from flywayx.db.timeouts import Timeouts
    from flywayx.errors import FlywayxError

    family = what.split()[0].replace("-dump", "").replace("mariadb", "mysql").replace("pg_dump", "postgresql")
    url = parse_url(f"{family}://root@127.0.0.1:{silent_port}/x")
    limits, out = Timeouts(2.0, 0.0), tmp_path / "out"
    out.touch()
    started = time.monotonic()
    with pytest.raises(FlywayxError) as err:
        if what.endswith("connection"):
            with clients.connection(url, None, limits=limits):
                pass
        else:  # the dump functions as backup() calls them, after its own reads
            dump = backup._dump_mysql if family == "mysql" else backup._dump_pg
            dump(clients.tools(family), url, None, ["x"], out, limits)
    took = time.monotonic() - started
    assert 1.5 <= took <= 2.0 + SLACK, (took, err.value.message)
    if what == "mariadb-dump":
        assert "mariadb-dump could not connect within connectTimeout (2 s)" in err.value.message
    elif what == "pg_dump":
        assert "timeout expired" in err.value.message and err.value.hint
    else:  # the driver's own words ("timed out", "timeout expired") said nothing of the setting
        assert "cannot connect" in err.value.message and "no answer within connectTimeout (2 s" in err.value.message
        assert "\n" not in err.value.message and "raise connectTimeout" in (err.value.hint or "")
