"""A SQL callback that fails while a migration runs (found by the hold-out runs of issue 15).

``beforeEachMigrate.sql`` failing was reported as the migration's own statement 1 ("failed at
V1__a.sql line 1 … Fix statement 1"), ``afterEachMigrate.sql`` as a statement after the last one;
and on MariaDB the ``--resume`` the hint offered was refused ("no statement record") when the failed
migration had sent no statement and no record had been written ahead for it: only a migration after
another one whose first statement is DDL got one (apply/ahead.py). The error now names the callback,
and a failure before the first statement leaves a record that ``--resume`` continues from.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import databases
from tests.e2e import harness

FAMILIES = [pytest.param("mariadb", marks=pytest.mark.mariadb), pytest.param("postgresql", marks=pytest.mark.postgres)]
BAD = "SELECT * FROM no_such_table;\n"


def _project(tmp: Path, callback: str) -> Path:
    loc = tmp / "sql"
    loc.mkdir(exist_ok=True)
    (loc / "V1__a.sql").write_text("CREATE TABLE a (id INT);\n")
    (loc / "V2__b.sql").write_text("CREATE TABLE b (id INT);\n")
    (loc / f"{callback}.sql").write_text(BAD)
    return loc


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("callback", ["beforeEachMigrate", "afterEachMigrate"])
def test_a_failed_callback_is_named_and_resume_finishes(family: str, callback: str, tmp_path: Path) -> None:
    loc = _project(tmp_path, callback)
    with databases.scratch(family, tmp_path) as db:
        failed = harness.run("--url", db.url, "--locations", str(loc), "migrate")
        assert failed.code == 1 and "Traceback" not in failed.text
        assert f"Callback {callback}.sql ({callback}) failed" in failed.err
        assert "Fix statement" not in failed.err and "V1__a.sql line" not in failed.err
        assert f"fix {callback}.sql" in failed.err
        (loc / f"{callback}.sql").unlink()
        # what the hint says: PostgreSQL rolled V1 back (plain migrate), MariaDB resumes it
        again = ("migrate", "--resume") if family == "mariadb" else ("migrate",)
        assert ("--resume" in failed.err) == (family == "mariadb")
        done = harness.run("--url", db.url, "--locations", str(loc), *again)
        assert done.code == 0, done.err
        assert harness.run("--url", db.url, "--locations", str(loc), "validate").code == 0
        assert db.query("SELECT COUNT(*) FROM b") == [(0,)]


@pytest.mark.mariadb
def test_a_failed_before_migrate_callback_names_its_script(tmp_path: Path) -> None:
    loc = _project(tmp_path, "beforeMigrate")
    with databases.scratch("mariadb", tmp_path) as db:
        failed = harness.run("--url", db.url, "--locations", str(loc), "migrate")
        assert failed.code == 1 and "Traceback" not in failed.text
        assert "Callback beforeMigrate.sql (beforeMigrate) failed at line 1" in failed.err


@pytest.mark.mariadb
def test_a_kill_between_two_migrations_says_none_of_the_next_is_applied(tmp_path: Path) -> None:
    """The next migration's record is written ahead in the previous COMMIT (apply/ahead.py): a kill right
    after that COMMIT leaves it ``running`` with 0 statements done. The catalog shows its first statement
    not applied, so a plain migrate drops the record and runs the migration, as before records were
    written ahead (``service/resume._never_started``)."""
    from tests.faults.proxy import Proxy, kill_once_replied

    loc = tmp_path / "sql"
    loc.mkdir()
    (loc / "V1__a.sql").write_text("CREATE TABLE a (id INT);\n")
    (loc / "V2__b.sql").write_text("CREATE TABLE b (id INT);\n")
    with databases.scratch("mariadb", tmp_path) as db:
        with Proxy(db.host, db.port) as proxy:
            proxy.hold_replies_after(b"V2__b.sql")  # the packet of V1's history row, its COMMIT and V2's record
            kill_once_replied(proxy, db.url, loc)
        assert db.query("SELECT COUNT(*) FROM flyway_schema_history WHERE success = 1") == [(1,)]
        # a dry run says what the run will do, and writes nothing: the record stays
        preview = harness.run("--url", db.url, "--locations", str(loc), "migrate", "--dry-run")
        assert preview.code == 0, preview.err
        assert "would apply 1 migration" in preview.out and "reaching version v2" in preview.out
        assert db.query("SELECT COUNT(*) FROM flywayx_progress WHERE status = 'running'") == [(1,)]
        # the catalog shows V2's first statement not applied: plain migrate runs V2 from its start
        done = harness.run("--url", db.url, "--locations", str(loc), "migrate")
        assert done.code == 0, done.err
        assert db.query("SELECT COUNT(*) FROM b") == [(0,)]
        assert db.query("SELECT COUNT(*) FROM flywayx_progress") == [(0,)]
