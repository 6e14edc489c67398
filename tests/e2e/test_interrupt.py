"""Ctrl-C (SIGINT) and SIGTERM during a real ``flywayx migrate`` (issue 14, case 5): one ERROR line
naming the migration and the statement that was running, a hint with the exact next command, the same
record as any other failure, ``info`` showing ``Failed`` where statements stay applied, and never
click's bare ``Aborted.``."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests import databases
from tests.databases import ScratchDb
from tests.e2e import harness

MARK = "fx_interrupt_here"


def _project(tmp: Path, family: str) -> Path:
    pause = f"SELECT SLEEP(${{pause}}) AS {MARK}" if family == "mariadb" else f"SELECT pg_sleep(${{pause}}) AS {MARK}"
    loc = tmp / "sql"
    loc.mkdir()
    (loc / "V1__base.sql").write_text("CREATE TABLE base (id INT);\n")
    (loc / "V2__slow.sql").write_text(
        f"CREATE TABLE a (id INT PRIMARY KEY);\nINSERT INTO a VALUES (1);\n{pause};\nCREATE TABLE b (id INT);\n"
    )
    return loc


def _interrupt_at(db: ScratchDb, args: list[str], sql_like: str, sig: int) -> harness.Proc:
    """Start the console script, send ``sig`` once the server runs ``sql_like``, return what it said."""
    proc = subprocess.Popen(
        [*harness.FLYWAYX, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=harness.env()
    )
    try:
        deadline = time.monotonic() + 60
        while not harness.running(db, sql_like):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the statement to interrupt never ran"
            time.sleep(0.05)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)  # the 30 s pause is cancelled, not waited for
    finally:
        if proc.poll() is None:
            proc.kill()
    return harness.Proc(proc.returncode, out, err)


def _state_of(db: ScratchDb, loc: Path, version: str) -> str:
    info = harness.run("--url", db.url, "--locations", str(loc), "info")
    return next(line for line in info.out.splitlines() if f"| {version} " in line or f"| {version}  " in line)


@pytest.mark.mariadb
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_mariadb_interrupt_is_an_exact_failure_and_resumes(tmp_path: Path, sig: int) -> None:
    loc = _project(tmp_path, "mariadb")
    with databases.scratch("mariadb", tmp_path) as db:
        args = ["--url", db.url, "--locations", str(loc), "-p", "pause=30", "migrate"]
        got = _interrupt_at(db, args, f"%{MARK}%", sig)
        name = "SIGINT (Ctrl-C)" if sig == signal.SIGINT else "SIGTERM"
        assert got.code == 128 + sig, got.text
        assert got.err.count("ERROR:") == 1 and "Aborted" not in got.text and "Traceback" not in got.text
        assert f"Migration V2__slow.sql interrupted by {name} at V2__slow.sql line 3 (statement 3 of 4)" in got.err
        assert (
            "hint: 2 of 4 statements were applied; run `flywayx migrate --resume` to continue at statement 3" in got.err
        )
        assert "Failed" in _state_of(db, loc, "2")
        assert [(r[1], r[6]) for r in harness.snapshot(db)["history"]] == [("1", 1), ("2", 0)]
        resumed = harness.run("--url", db.url, "--locations", str(loc), "-p", "pause=0", "migrate", "--resume")
        assert resumed.code == 0, resumed.err
        assert db.query("SELECT COUNT(*) FROM a") == [(1,)]
        got_state = harness.snapshot(db)
    with databases.scratch("mariadb", tmp_path) as ref:
        assert harness.run("--url", ref.url, "--locations", str(loc), "-p", "pause=0", "migrate").code == 0
        assert harness.snapshot(ref) == got_state


@pytest.mark.postgres
def test_postgresql_interrupt_rolls_back_and_says_so(tmp_path: Path) -> None:
    loc = _project(tmp_path, "postgresql")
    with databases.scratch("postgresql", tmp_path) as db:
        args = ["--url", db.url, "--locations", str(loc), "-p", "pause=30", "migrate"]
        got = _interrupt_at(db, args, f"%{MARK}%", signal.SIGINT)
        assert got.code == 130 and got.err.count("ERROR:") == 1 and "Aborted" not in got.text
        assert "Migration V2__slow.sql interrupted by SIGINT (Ctrl-C) at V2__slow.sql line 3" in got.err
        assert "rolled back; run `flywayx migrate` to apply it again" in got.err and "resume" not in got.err
        assert "Pending" in _state_of(db, loc, "2")  # nothing of it is applied
        again = harness.run("--url", db.url, "--locations", str(loc), "-p", "pause=0", "migrate")
        assert again.code == 0, again.err


@pytest.mark.mariadb
def test_interrupt_outside_a_migration(tmp_path: Path) -> None:
    """Waiting for another runner's lock: nothing is partly applied; one ERROR line, no ``Aborted.``."""
    loc = _project(tmp_path, "mariadb")
    with databases.scratch("mariadb", tmp_path) as db:
        from flywayx.db.locks import mysql_lock_name

        holder = db.connect()
        try:
            holder.cursor().execute(f"SELECT GET_LOCK('{mysql_lock_name(db.schema, 'flyway_schema_history')}', 10)")
            args = ["--url", db.url, "--locations", str(loc), "migrate"]
            got = _interrupt_at(db, args, "%GET_LOCK(%", signal.SIGINT)
        finally:
            holder.close()
        assert got.code == 130 and got.err.count("ERROR:") == 1 and "Aborted" not in got.text, got.text
        assert "Interrupted by SIGINT (Ctrl-C) while no migration was running: nothing is partly applied" in got.err
        assert "hint: run the command again" in got.err


@pytest.mark.mariadb
def test_a_killed_run_reads_failed_in_info_unless_a_run_holds_the_lock(tmp_path: Path) -> None:
    """SIGKILL cannot be handled: no history row is written. ``info`` still shows the partly applied
    migration as Failed (from flywayx's progress record), never Pending, except while a run holds the
    migration lock (then it is simply running)."""
    loc = _project(tmp_path, "mariadb")
    with databases.scratch("mariadb", tmp_path) as db:
        got = _interrupt_at(
            db, ["--url", db.url, "--locations", str(loc), "-p", "pause=30", "migrate"], f"%{MARK}%", signal.SIGKILL
        )
        assert got.code == -signal.SIGKILL
        # the server runs the dead client's statement to its end (and keeps its lock) unless killed
        for (thread,) in db.query(
            f"SELECT ID FROM information_schema.PROCESSLIST WHERE DB = '{db.schema}' "
            f"AND INFO LIKE '%{MARK}%' AND INFO NOT LIKE '%PROCESSLIST%'"
        ):
            db.query(f"KILL {thread}")
        deadline = time.monotonic() + 30
        while harness.running(db, f"%{MARK}%") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "Failed" in _state_of(db, loc, "2")
        from flywayx.db.locks import mysql_lock_name

        holder = db.connect()
        try:
            holder.cursor().execute(f"SELECT GET_LOCK('{mysql_lock_name(db.schema, 'flyway_schema_history')}', 10)")
            assert "Pending" in _state_of(db, loc, "2")
        finally:
            holder.close()
        resumed = harness.run("--url", db.url, "--locations", str(loc), "-p", "pause=0", "migrate", "--resume")
        assert resumed.code == 0, resumed.err
        assert "Success" in _state_of(db, loc, "2")
