"""SIGKILL a real `flywayx migrate` anywhere; recovery must reach the uninterrupted run's state.

Named points (deterministic: the process is killed while the server runs a marked statement):
mid-statement, between two statements, and after a migration's statements but before its history
row. Then seeded random kill times (tests/e2e/harness.py; a longer soak is bench/bench_soak.py).
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests import databases
from tests.databases import ScratchDb
from tests.e2e import harness

FAMILIES = ["mariadb", "postgresql"]
MARK = "fx_kill_here"


def _sleep(family: str) -> str:
    return f"SELECT SLEEP(${{pause}}) AS {MARK}" if family == "mariadb" else f"SELECT pg_sleep(${{pause}}) AS {MARK}"


def _project(tmp: Path, family: str, point: str) -> Path:
    """Two migrations; the marked pause sits where ``point`` says."""
    loc = tmp / "sql"
    loc.mkdir()
    mid = f"{_sleep(family)};\n" if point == "mid-statement" else ""
    (loc / "V1__a.sql").write_text(
        "CREATE TABLE a (id INT PRIMARY KEY);\nINSERT INTO a VALUES (1);\n"
        + mid
        + "CREATE TABLE b (id INT);\nINSERT INTO b VALUES (7);\n"
    )
    (loc / "V2__c.sql").write_text("CREATE TABLE c (id INT);\nINSERT INTO c VALUES (3);\n")
    callback = {
        "between-statements": "afterEachMigrateStatement.sql",
        "before-history-row": "afterEachMigrate.sql",
    }.get(point)
    if callback:
        (loc / callback).write_text(f"{_sleep(family)};\n")
    return loc


def _wait_for_marker(db: ScratchDb, proc: subprocess.Popen[bytes]) -> None:
    """Poll until this database's session runs the marked pause (the server is shared: filter by db)."""
    like = f"%SLEEP(%{MARK}%" if db.dialect == "mariadb" else f"%pg_sleep(%{MARK}%"
    deadline = time.monotonic() + 30  # the server finishes the marked pause (2 s) after the kill
    while time.monotonic() < deadline:
        assert proc.poll() is None, "migrate ended before reaching the kill point"
        if harness.running(db, like):
            return
        time.sleep(0.02)
    raise AssertionError("kill point never reached")


def _history(db: ScratchDb) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = harness.snapshot(db)["history"]
    return rows


@pytest.mark.parametrize("point", ["mid-statement", "between-statements", "before-history-row"])
@pytest.mark.parametrize("family", FAMILIES)
def test_kill_at_named_point_then_recover(family: str, point: str, tmp_path: Path) -> None:
    loc = _project(tmp_path, family, point)
    with databases.scratch(family, tmp_path) as ref:
        assert harness.run("--url", ref.url, "--locations", str(loc), "-p", "pause=0", "migrate").code == 0
        want = harness.snapshot(ref)
    with databases.scratch(family, tmp_path) as db:
        args = [*harness.FLYWAYX, "--url", db.url, "--locations", str(loc), "-p", "pause=2", "migrate"]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=harness.env())
        try:
            _wait_for_marker(db, proc)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
        assert all(r[6] for r in _history(db)), "a killed run must not leave a success=0 row"
        first = harness.run("--url", db.url, "--locations", str(loc), "-p", "pause=0", "migrate")
        if family == "mariadb":
            # V1's first statements are applied (DDL commits at once) but no history row says so:
            # migrate must refuse rather than re-run them, and --resume continues after them
            assert first.code == 1 and "interrupted" in first.err and "--resume" in first.err, first.err
            assert "Traceback" not in first.text and first.err.count("ERROR:") == 1
            assert all(r[1] != "1" for r in _history(db))
            again = harness.run("--url", db.url, "--locations", str(loc), "-p", "pause=0", "migrate", "--resume")
            assert again.code == 0, again.err
        else:  # transactional DDL: the kill rolled V1 back; a plain migrate starts it again
            assert first.code == 0, first.err
        assert harness.snapshot(db) == want


@pytest.mark.parametrize(("family", "n"), [("mariadb", 6), ("postgresql", 3)])
def test_random_kills_converge(family: str, n: int, tmp_path: Path) -> None:
    results = harness.trials(family, tmp_path, n, seed=20240611)
    # every trial must converge, a kill while MariaDB runs a DDL included (--resume settles it)
    failed = [t for t, _ in results if not t.converged]
    assert not failed, "\n".join(f"delay {t.delay:.2f}s killed={t.killed} {t.recovery}: {t.detail}" for t in failed)
    assert any(t.killed for t, _ in results)
