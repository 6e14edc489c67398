"""``migrate --resume --dry-run`` shows the catalog's decision on the statement a killed run left in
flight -- whether it took effect and what ``--resume`` will do -- and changes nothing; the real
``--resume`` then does exactly that.

Both answers, for real on MariaDB: the server completed the DDL and the process was killed before
hearing it (the proxy holds the reply back), or the DDL waited on a metadata lock and the server
aborted it when the process was killed.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests import databases
from tests.databases import ScratchDb
from tests.e2e import harness
from tests.faults.proxy import Proxy, kill_once_replied
from tests.faults.test_inflight_kinds import until_finished

pytestmark = pytest.mark.mariadb

DDL = "ALTER TABLE host RENAME COLUMN old_col TO new_col"


def _project(tmp: Path) -> Path:
    loc = tmp / "sql"
    loc.mkdir()
    (loc / "V1__setup.sql").write_text("CREATE TABLE host (id INT, old_col INT);\nCREATE TABLE note (id INT);\n")
    (loc / "V2__rename.sql").write_text(f"INSERT INTO note VALUES (1);\n{DDL};\nCREATE TABLE after_it (id INT);\n")
    return loc


def _state(db: ScratchDb) -> dict[str, Any]:
    snap = harness.snapshot(db)
    return {**snap, "progress": db.query("SELECT mkey, statements_done, status, inflight_hash FROM flywayx_progress")}


def _dry(db: ScratchDb, loc: Path) -> tuple[str, dict[str, Any]]:
    text = harness.run("--url", db.url, "--locations", str(loc), "migrate", "--resume", "--dry-run")
    assert text.code == 0, text.text
    js = harness.run(
        "--url", db.url, "--locations", str(loc), "--output-type", "json", "migrate", "--resume", "--dry-run"
    )
    assert js.code == 0, js.text
    resumed = [a for a in json.loads(js.out)["actions"] if a["action"] == "resume"]
    assert len(resumed) == 1, resumed
    return text.out, resumed[0]


def _kill_after_reply(db: ScratchDb, loc: Path) -> None:
    with Proxy(db.host, db.port) as proxy:
        proxy.hold_replies_after(DDL.encode())
        # the server has completed it, not just answered the record before it
        kill_once_replied(proxy, db.url, loc, then=lambda: until_finished(db, DDL))


def _kill_while_waiting(db: ScratchDb, loc: Path) -> None:
    blocker = db.connect()
    try:
        cur = blocker.cursor()
        cur.execute("BEGIN")
        cur.execute("SELECT COUNT(*) FROM host")  # a metadata lock: the RENAME COLUMN waits for it
        proc = subprocess.Popen(
            [*harness.FLYWAYX, "--url", db.url, "--locations", str(loc), "migrate"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=harness.env(),
        )
        try:
            deadline = time.monotonic() + 60
            while not db.query(
                "SELECT 1 FROM information_schema.PROCESSLIST WHERE STATE LIKE 'Waiting for table "
                f"metadata lock' AND DB = '{db.schema}' AND INFO LIKE 'ALTER TABLE host%'"
            ):
                assert proc.poll() is None and time.monotonic() < deadline, "the RENAME never waited"
                time.sleep(0.01)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
        deadline = time.monotonic() + 30
        while db.query(
            "SELECT 1 FROM information_schema.PROCESSLIST WHERE STATE LIKE 'Waiting for table metadata"
            f" lock' AND DB = '{db.schema}'"
        ):  # the server aborts the orphaned statement
            assert time.monotonic() < deadline
            time.sleep(0.02)
        cur.execute("COMMIT")
    finally:
        blocker.close()


@pytest.mark.parametrize("outcome", ["completed", "aborted"])
def test_dry_run_resume_shows_the_catalog_decision_and_resume_follows_it(outcome: str, tmp_path: Path) -> None:
    loc = _project(tmp_path)
    want = harness.migrated("mariadb", tmp_path, loc, harness.snapshot)
    with databases.scratch("mariadb", tmp_path) as db:
        assert harness.run("--url", db.url, "--locations", str(loc), "migrate", "--target", "1").code == 0
        (_kill_after_reply if outcome == "completed" else _kill_while_waiting)(db, loc)
        columns = {
            c
            for (c,) in db.query(
                f"SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA ="
                f" '{db.schema}' AND TABLE_NAME = 'host'"
            )
        }
        assert ("new_col" in columns) == (outcome == "completed"), columns
        before = _state(db)
        text, action = _dry(db, loc)
        assert _state(db) == before  # the dry run changed nothing
        assert action["statement"] == 2 and action["sql"] == DDL and action["inFlight"] is True, action
        line = next(ln for ln in text.splitlines() if "resume V2__rename.sql" in ln)
        assert f"statement 2 (line 2) `{DDL}` was in flight when the run stopped" in line, line
        if outcome == "completed":
            assert action["decision"] == "done", action
            assert "the catalog shows its effect" in line and "new_col present" in line, line
            assert "it took effect: resume continues after it, at statement 3" in line, line
        else:
            assert action["decision"] == "redo", action
            assert "the catalog shows the state before it" in line and "new_col absent" in line, line
            assert line.endswith("resume runs it again"), line
        resumed = harness.run("--url", db.url, "--locations", str(loc), "migrate", "--resume")
        assert resumed.code == 0, resumed.text
        assert harness.snapshot(db) == want
