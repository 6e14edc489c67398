"""``--resume`` runs a rolled-back INSERT again after InnoDB consumed its AUTO_INCREMENT values (found by
the hold-out runs of issue 15: lpg-civil-servant-register's V1.8__professions.sql, killed during its
INSERT, failed on --resume with a foreign key error because its rows' ids no longer started at 1).

A failed or killed INSERT is rolled back, but the AUTO_INCREMENT counter does not go back. A clean run
of the fixed migration numbers the rows 1, 2, 3; the resumed one got 4, 5, 6, so every later statement
that names a generated id (a parent_id, a seed row's key) pointed elsewhere or failed. Fixed: --resume sets
the counters back first (flywayx/apply/counters.py); a table that existed before the migration keeps its
counter, with a warning naming it.
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
from tests.e2e import harness

BROKEN = (
    "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(3));\n"
    "INSERT INTO t (name) VALUES ('a'), ('b'), ('toolong');\n"
)
FIXED = BROKEN.replace("'toolong'", "'c'")


def _counter(db: databases.ScratchDb, table: str) -> int:
    return int(
        db.query(
            f"SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{db.schema}' "
            f"AND TABLE_NAME = '{table}'"
        )[0][0]
    )


def _dry_resume(db: databases.ScratchDb, loc: Path) -> tuple[str, dict[str, Any]]:
    """``migrate --resume --dry-run``'s text, and its one ``resume`` action as JSON."""
    text = harness.run("--url", db.url, "--locations", str(loc), "migrate", "--resume", "--dry-run")
    assert text.code == 0, text.text
    js = harness.run(
        "--url", db.url, "--locations", str(loc), "--output-type", "json", "migrate", "--resume", "--dry-run"
    )
    assert js.code == 0, js.text
    (resumed,) = [a for a in json.loads(js.out)["actions"] if a["action"] == "resume"]
    return text.out, resumed


@pytest.mark.mariadb
def test_a_resumed_insert_numbers_its_rows_as_a_clean_run(tmp_path: Path) -> None:
    """``--resume --dry-run`` shows the counter it will set back (and sets nothing); ``--resume`` does it."""
    loc = tmp_path / "sql"
    loc.mkdir()
    (loc / "V1__t.sql").write_text(BROKEN)
    with databases.scratch("mariadb", tmp_path) as db:
        failed = harness.run("--url", db.url, "--locations", str(loc), "migrate")
        assert failed.code == 1 and "Fix statement 2" in failed.err
        (loc / "V1__t.sql").write_text(FIXED)  # what the hint says: fix statement 2, then --resume
        # the rolled-back INSERT took 1, 2, 3: the counter is 4, or 3 once InnoDB evicted the table from its
        # cache and reopened it (it restarts from the value persisted with the last row written)
        assert _counter(db, "t") in (3, 4)
        text, action = _dry_resume(db, loc)
        (reset,) = action["counters"]
        assert reset["table"] == "t" and reset["from"] in (3, 4) and reset["to"] == 1, action
        assert "countersWarning" not in action, action
        shown = f"resume V1__t.sql after statement 1 of 2; first, AUTO_INCREMENT set back: t {reset['from']} -> 1"
        assert shown in text, text
        assert _counter(db, "t") in (3, 4), "a dry run changes nothing"
        done = harness.run("--url", db.url, "--locations", str(loc), "migrate", "--resume")
        assert done.code == 0, done.err
        assert db.query("SELECT id, name FROM t ORDER BY id") == [(1, "a"), (2, "b"), (3, "c")]


@pytest.mark.postgres
def test_postgresql_has_no_counter_to_set_back(tmp_path: Path) -> None:
    """The failed migration's transaction took its sequence with it: nothing is left to resume (the dry run
    says so), and the fixed migration numbers its rows from 1."""
    loc = tmp_path / "sql"
    loc.mkdir()
    broken = BROKEN.replace("INT AUTO_INCREMENT PRIMARY KEY", "SERIAL PRIMARY KEY")
    (loc / "V1__t.sql").write_text(broken)
    with databases.scratch("postgresql", tmp_path) as db:
        failed = harness.run("--url", db.url, "--locations", str(loc), "migrate")
        assert failed.code == 1, failed.text
        (loc / "V1__t.sql").write_text(broken.replace("'toolong'", "'c'"))
        dry = harness.run("--url", db.url, "--locations", str(loc), "migrate", "--resume", "--dry-run")
        assert dry.code == 1 and "Nothing to resume" in dry.err, dry.text
        done = harness.run("--url", db.url, "--locations", str(loc), "migrate")
        assert done.code == 0, done.err
        assert db.query("SELECT id, name FROM t ORDER BY id") == [(1, "a"), (2, "b"), (3, "c")]


@pytest.mark.mariadb
def test_a_resumed_insert_keeps_the_create_tables_auto_increment_option_and_later_ids(tmp_path: Path) -> None:
    loc = tmp_path / "sql"
    loc.mkdir()
    broken = (
        "CREATE TABLE p (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(3)) AUTO_INCREMENT = 100;\n"
        "CREATE TABLE c (id INT AUTO_INCREMENT PRIMARY KEY, p_id INT NOT NULL, FOREIGN KEY (p_id) REFERENCES p (id));\n"
        "INSERT INTO p (name) VALUES ('a'), ('toolong');\n"
        "INSERT INTO c (p_id) VALUES (100), (101);\n"
    )
    (loc / "V1__p.sql").write_text(broken)
    with databases.scratch("mariadb", tmp_path) as db:
        failed = harness.run("--url", db.url, "--locations", str(loc), "migrate")
        assert failed.code == 1 and "Fix statement 3" in failed.err
        (loc / "V1__p.sql").write_text(broken.replace("'toolong'", "'b'"))
        done = harness.run("--url", db.url, "--locations", str(loc), "migrate", "--resume")
        assert done.code == 0, done.err  # the seed rows naming 100 and 101 meet no foreign key error
        assert "WARNING" not in done.err  # the counter's whole history is in this migration: exact
        assert db.query("SELECT id, name FROM p ORDER BY id") == [(100, "a"), (101, "b")]


@pytest.mark.mariadb
def test_a_table_created_by_an_earlier_migration_keeps_its_counter_with_a_warning(tmp_path: Path) -> None:
    loc = tmp_path / "sql"
    loc.mkdir()
    (loc / "V1__t.sql").write_text("CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(3));\n")
    (loc / "V2__rows.sql").write_text(BROKEN.split("\n", 1)[1])
    with databases.scratch("mariadb", tmp_path) as db:
        failed = harness.run("--url", db.url, "--locations", str(loc), "migrate")
        assert failed.code == 1 and "Fix statement 1" in failed.err
        (loc / "V2__rows.sql").write_text(FIXED.split("\n", 1)[1])
        text, action = _dry_resume(db, loc)
        assert "counters" not in action and "table(s) t " in str(action["countersWarning"]), action
        assert "ids generated in table(s) t may differ from a clean run's" in text, text
        done = harness.run("--url", db.url, "--locations", str(loc), "migrate", "--resume")
        assert done.code == 0, done.err
        warnings = [line for line in done.err.splitlines() if line.startswith("WARNING")]
        assert len(warnings) == 1 and "V2__rows.sql" in warnings[0] and "table(s) t " in warnings[0], done.err
        # left as the failed run left it: ids the server handed out are never handed out again
        assert db.query("SELECT id, name FROM t ORDER BY id") == [(4, "a"), (5, "b"), (6, "c")]


@pytest.mark.mariadb
def test_a_kill_while_the_insert_is_uncommitted_then_resume_meets_the_foreign_key(tmp_path: Path) -> None:
    """The hold-out case: killed while the INSERT's transaction was open, then --resume; the child rows
    name the parents' ids a clean run gives, so the old counter failed their foreign key (1452)."""
    loc = tmp_path / "sql"
    loc.mkdir()
    (loc / "V1__seed.sql").write_text(
        "CREATE TABLE p (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(9));\n"
        "CREATE TABLE c (p_id INT NOT NULL, FOREIGN KEY (p_id) REFERENCES p (id));\n"
        "INSERT INTO p (name) VALUES ('a'), ('b');\n"
        "SELECT SLEEP(${pause}) AS fx_kill_counter;\n"
        "INSERT INTO c (p_id) VALUES (1), (2);\n"
    )
    with databases.scratch("mariadb", tmp_path) as db:
        args = [*harness.FLYWAYX, "--url", db.url, "--locations", str(loc), "-p", "pause=2", "migrate"]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=harness.env())
        try:
            deadline = time.monotonic() + 30
            while not harness.running(db, "%SLEEP(%fx_kill_counter%"):
                assert proc.poll() is None and time.monotonic() < deadline, "kill point never reached"
                time.sleep(0.02)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
        time.sleep(2.5)  # the server ends the pause, then rolls the INSERT back: ids 1 and 2 are consumed
        done = harness.run("--url", db.url, "--locations", str(loc), "-p", "pause=0", "migrate", "--resume")
        assert done.code == 0, done.err
        assert "WARNING" not in done.err
        assert db.query("SELECT id, name FROM p ORDER BY id") == [(1, "a"), (2, "b")]
        assert db.query("SELECT p_id FROM c ORDER BY p_id") == [(1,), (2,)]


@pytest.mark.mariadb
def test_rows_deleted_earlier_in_the_migration_are_named_in_the_warning(tmp_path: Path) -> None:
    """The counter is set back to max(id)+1, below a clean run's (which stays above the deleted row):
    not exact, so not silent."""
    loc = tmp_path / "sql"
    loc.mkdir()
    broken = (
        "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(3));\n"
        "INSERT INTO t (name) VALUES ('a'), ('b'), ('c');\n"
        "DELETE FROM t WHERE id = 3;\n"
        "INSERT INTO t (name) VALUES ('toolong');\n"
    )
    (loc / "V1__t.sql").write_text(broken)
    with databases.scratch("mariadb", tmp_path) as db:
        assert harness.run("--url", db.url, "--locations", str(loc), "migrate").code == 1
        (loc / "V1__t.sql").write_text(broken.replace("'toolong'", "'d'"))
        done = harness.run("--url", db.url, "--locations", str(loc), "-q", "migrate", "--resume")
        assert done.code == 0, done.err
        warnings = [line for line in done.err.splitlines() if line.startswith("WARNING")]
        assert len(warnings) == 1 and "table(s) t may" in warnings[0] and "deleted or skipped" in warnings[0]
        assert db.query("SELECT id, name FROM t ORDER BY id") == [(1, "a"), (2, "b"), (3, "d")]
