"""Statement-level resume on MariaDB through the real console script."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import databases
from tests.databases import ScratchDb
from tests.e2e import harness

pytestmark = pytest.mark.mariadb

BROKEN = (
    "CREATE TABLE t1 (id INT PRIMARY KEY);\n"
    "INSERT INTO t1 VALUES (1);\n"
    "INSERT INTO no_such_table VALUES (2);\n"
    "CREATE TABLE t2 (id INT, note VARCHAR(20));\n"
)
FIXED = BROKEN.replace("INSERT INTO no_such_table VALUES (2);", "INSERT INTO t1 VALUES (2);")


def _project(tmp: Path, v2: str) -> Path:
    loc = tmp / "sql"
    loc.mkdir(exist_ok=True)
    (loc / "V1__base.sql").write_text("CREATE TABLE base (id INT);\n")
    (loc / "V2__more.sql").write_text(v2)
    return loc


def _migrate(db: ScratchDb, loc: Path, *extra: str) -> harness.Proc:
    return harness.run("--url", db.url, "--locations", str(loc), "migrate", *extra)


def test_failure_then_fix_then_resume_matches_a_clean_run(tmp_path: Path) -> None:
    loc = _project(tmp_path, BROKEN)
    with databases.scratch("mariadb", tmp_path) as db:
        failed = _migrate(db, loc)
        assert failed.code == 1 and "Traceback" not in failed.text
        assert failed.err.count("ERROR:") == 1
        assert "V2__more.sql line 3" in failed.err and "2 of 4 statements were applied" in failed.err
        rows = harness.snapshot(db)["history"]
        assert [(r[1], r[6]) for r in rows] == [("1", 1), ("2", 0)]  # Flyway's success=0 row
        again = _migrate(db, loc)
        assert again.code == 1 and "failed migration to version 2" in again.err
        (loc / "V2__more.sql").write_text(FIXED)
        resumed = _migrate(db, loc, "--resume")
        assert resumed.code == 0, resumed.err
        got = harness.snapshot(db)
        assert db.query("SELECT id FROM t1 ORDER BY id") == [(1,), (2,)]  # statement 2 ran once, not twice
    with databases.scratch("mariadb", tmp_path) as ref:
        assert _migrate(ref, loc).code == 0
        want = harness.snapshot(ref)
    assert got == want


def test_resume_refuses_an_edited_applied_prefix(tmp_path: Path) -> None:
    loc = _project(tmp_path, BROKEN)
    with databases.scratch("mariadb", tmp_path) as db:
        assert _migrate(db, loc).code == 1
        (loc / "V2__more.sql").write_text(FIXED.replace("INSERT INTO t1 VALUES (1);", "INSERT INTO t1 VALUES (9);"))
        refused = _migrate(db, loc, "--resume")
        assert refused.code == 1 and "were edited since the failed run" in refused.err
        assert [(r[1], r[6]) for r in harness.snapshot(db)["history"]] == [("1", 1), ("2", 0)]
        assert db.query("SELECT id FROM t1") == [(1,)]


def test_repair_still_behaves_as_flyway(tmp_path: Path) -> None:
    loc = _project(tmp_path, BROKEN)
    with databases.scratch("mariadb", tmp_path) as db:
        assert _migrate(db, loc).code == 1
        fixed = harness.run("--url", db.url, "--locations", str(loc), "repair")
        assert fixed.code == 0 and "Successfully repaired" in fixed.out, fixed.out
        assert [(r[1], r[6]) for r in harness.snapshot(db)["history"]] == [("1", 1)]
        nothing = _migrate(db, loc, "--resume")
        assert nothing.code == 1 and "Nothing to resume" in nothing.err


def test_resume_with_nothing_to_resume(tmp_path: Path) -> None:
    loc = _project(tmp_path, FIXED)
    with databases.scratch("mariadb", tmp_path) as db:
        assert _migrate(db, loc).code == 0
        r = _migrate(db, loc, "--resume")
        assert r.code == 1 and "Nothing to resume" in r.err and "Traceback" not in r.text


def _inserts(ids: range) -> str:
    return "".join(f"INSERT INTO t1 VALUES ({i});\n" for i in ids)


def test_a_failure_inside_a_run_of_dml_stops_at_that_statement(tmp_path: Path) -> None:
    """Consecutive DML goes to MariaDB in one round trip; a failure in the middle must still name the
    failed statement, keep exactly the statements before it, and resume there."""
    broken = (
        "CREATE TABLE t1 (id INT PRIMARY KEY);\n"
        + _inserts(range(1, 41))
        + "INSERT INTO t1 VALUES (7);\n"
        + _inserts(range(41, 61))
        + "CREATE TABLE t2 (id INT);\n"
    )
    loc = _project(tmp_path, broken)
    with databases.scratch("mariadb", tmp_path) as db:
        failed = _migrate(db, loc)
        assert failed.code == 1 and "Duplicate entry '7'" in failed.err
        assert "V2__more.sql line 42" in failed.err and "41 of 63 statements were applied" in failed.err
        assert db.query("SELECT COUNT(*), MAX(id) FROM t1") == [(40, 40)]  # the 40 before it, nothing after
        second = "(7);\nINSERT INTO t1 VALUES (41)"  # the failed statement, not the first (7)
        (loc / "V2__more.sql").write_text(broken.replace(second, second.replace("(7)", "(700)")))
        resumed = _migrate(db, loc, "--resume")
        assert resumed.code == 0, resumed.err
        assert db.query("SELECT COUNT(*), COUNT(DISTINCT id) FROM t1") == [(61, 61)]
        got = harness.snapshot(db)
    with databases.scratch("mariadb", tmp_path) as ref:
        assert _migrate(ref, loc).code == 0
        assert harness.snapshot(ref) == got


def test_statement_callbacks_still_fire_for_every_statement(tmp_path: Path) -> None:
    loc = _project(tmp_path, "CREATE TABLE t1 (id INT PRIMARY KEY);\n" + _inserts(range(1, 6)))
    (loc / "beforeMigrate.sql").write_text("CREATE TABLE IF NOT EXISTS cb_log (id INT AUTO_INCREMENT PRIMARY KEY);\n")
    (loc / "afterEachMigrateStatement.sql").write_text("INSERT INTO cb_log VALUES (NULL);\n")
    with databases.scratch("mariadb", tmp_path) as db:
        done = _migrate(db, loc)
        assert done.code == 0, done.err
        assert db.query("SELECT COUNT(*) FROM cb_log") == [(1 + 6,)]  # V1's statement and V2's six
