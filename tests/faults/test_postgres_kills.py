"""PostgreSQL: a kill right after the server committed a migration, and right before it did.

A migration, its history row and flywayx's record commit in one transaction, so the kill leaves
either all of it or none of it: the next plain `migrate` applies nothing more, or the whole migration
again, and both reach the clean run's schema, history and data. The proxy lets the COMMIT (or the
last statement) reach the server and holds the answer back, then the process is killed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import databases
from tests.e2e import harness
from tests.faults.proxy import Proxy, kill_once_replied

pytestmark = pytest.mark.postgres

LAST = "INSERT INTO event VALUES (1, 1, 'boot')"


@pytest.mark.parametrize("point", ["after-commit", "before-commit"])
def test_kill_around_the_commit_converges(point: str, tmp_path: Path) -> None:
    loc = harness.write_migrations(tmp_path, "postgresql", slow=0)
    want, _ = harness.reference("postgresql", tmp_path, loc, timed=False)
    with databases.scratch("postgresql", tmp_path) as db, Proxy(db.host, db.port) as proxy:
        if point == "after-commit":
            proxy.hold_replies_after(LAST.encode(), then=b"COMMIT")
        else:
            proxy.hold_replies_after(LAST.encode())
        kill_once_replied(proxy, db.url, loc)
        proxy.close()
        versions = [r[1] for r in harness.snapshot(db)["history"]] if point == "after-commit" else None
        assert versions is None or versions[-1] == "3", versions  # V3 committed before the kill
        again = harness.run("--url", db.url, "--locations", str(loc), "migrate")
        assert again.code == 0, again.err
        assert harness.snapshot(db) == want


NON_TRANSACTIONAL = [
    "CREATE TABLE x (id INT)",
    "INSERT INTO x VALUES (1), (2)",
    "CREATE INDEX CONCURRENTLY i_x ON x (id)",
    "ALTER TABLE x RENAME COLUMN id TO xid",
    "ALTER TABLE x ADD CONSTRAINT ck_x CHECK (xid > 0)",
    "CREATE TABLE y (id INT)",
    "DROP INDEX CONCURRENTLY i_x",
    "INSERT INTO y VALUES (3)",
]
MIXED = {"FLYWAY_MIXED": "true"}


def test_non_transactional_migration_killed_after_each_ddl_resumes(tmp_path: Path) -> None:
    """``executeInTransaction=false`` (CREATE INDEX CONCURRENTLY cannot run in a transaction): each
    statement commits on its own, so flywayx keeps the statement record as on MariaDB. One database,
    killed right after the server completed each DDL statement in turn; each --resume settles the
    statement left in flight from pg_catalog; the end state is the clean run's."""
    loc = tmp_path / "sql"
    loc.mkdir()
    (loc / "V1__a.sql").write_text("CREATE TABLE a (id INT);\nINSERT INTO a VALUES (1);\n")
    (loc / "V2__x.sql").write_text("".join(f"{s};\n" for s in NON_TRANSACTIONAL))
    (loc / "V2__x.sql.conf").write_text("executeInTransaction=false\n")
    with databases.scratch("postgresql", tmp_path) as ref:
        assert harness.run("--url", ref.url, "--locations", str(loc), "migrate", extra_env=MIXED).code == 0
        want = harness.snapshot(ref), ref.query("SELECT * FROM x ORDER BY 1"), ref.query("SELECT * FROM y")
    ddl = [s for s in NON_TRANSACTIONAL if not s.startswith("INSERT")]
    with databases.scratch("postgresql", tmp_path) as db:
        for k, statement in enumerate(ddl):
            with Proxy(db.host, db.port) as proxy:
                proxy.hold_replies_after(statement.encode())
                kill_once_replied(proxy, db.url, loc, *(["--resume"] if k else []), env=MIXED)
        n = NON_TRANSACTIONAL.index(ddl[-1]) + 1
        first = harness.run("--url", db.url, "--locations", str(loc), "migrate", extra_env=MIXED)
        assert first.code == 1 and f"statement {n} was running" in first.err, first.err
        done = harness.run("--url", db.url, "--locations", str(loc), "migrate", "--resume", extra_env=MIXED)
        assert done.code == 0, done.err
        assert (harness.snapshot(db), db.query("SELECT * FROM x ORDER BY 1"), db.query("SELECT * FROM y")) == want


# the script commits part of its work itself (tests/e2e/test_pg_script_commit.py): statements 1 to 4 stay
REBUILD = """CREATE TABLE kept (id INT);
BEGIN;
CREATE TABLE kept_too (id INT);
COMMIT;
CREATE TABLE later (id INT);
INSERT INTO later VALUES (1);
"""


@pytest.mark.parametrize("way", ["resume", "repair"])
@pytest.mark.parametrize("point", ["at-commit", "after-commit"])
def test_kill_after_the_scripts_own_commit_says_what_it_kept(point: str, way: str, tmp_path: Path) -> None:
    """Killed once the script's own COMMIT has committed (right then, or while the statements after it
    run in their new transaction): the next `migrate` says which statements that COMMIT kept, that the
    rest was rolled back and no history row written, and offers `--resume` (runs the rest) or undoing
    them by hand and `repair` (then the whole migration runs). Both reach the clean run's state. It
    said "nothing of it was applied: the whole migration was rolled back", then failed on `kept`."""
    loc = tmp_path / "sql"
    loc.mkdir()
    (loc / "V1__rebuild.sql").write_text(REBUILD)
    (loc / "V2__after.sql").write_text("INSERT INTO later VALUES (2);\n")
    want, _ = harness.reference("postgresql", tmp_path, loc, timed=False)
    with databases.scratch("postgresql", tmp_path) as db:
        with Proxy(db.host, db.port) as proxy:
            if point == "at-commit":
                proxy.hold_replies_after(b"kept_too", then=b"COMMIT")
            else:
                proxy.hold_replies_after(b"CREATE TABLE later")
            kill_once_replied(proxy, db.url, loc)
        tables = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'flyway%'"
        assert sorted(r[0] for r in db.query(tables)) == ["kept", "kept_too"]
        first = harness.run("--url", db.url, "--locations", str(loc), "migrate")
        assert first.code == 1 and first.err.count("ERROR:") == 1 and "Traceback" not in first.text, first.err
        assert (
            "interrupted after the script's own COMMIT at line 4: that COMMIT kept statements 1 to 4 (they are "
            "applied), statements 5 to 6 after it were rolled back with their transaction, and no history row "
            "was written" in first.err
        ), first.err
        assert "`flywayx migrate --resume` to run statements 5 to 6" in first.err, first.err
        assert "undo statements 1 to 4 by hand and run `flywayx repair`" in first.err, first.err
        if way == "resume":
            done = harness.run("--url", db.url, "--locations", str(loc), "migrate", "--resume")
        else:
            db.query("DROP TABLE kept, kept_too")
            assert harness.run("--url", db.url, "--locations", str(loc), "repair").code == 0
            done = harness.run("--url", db.url, "--locations", str(loc), "migrate")
        assert done.code == 0, done.err
        assert harness.snapshot(db)["history"] == want["history"]
        assert harness.snapshot(db)["fingerprint"] == want["fingerprint"]
        assert db.query("SELECT id FROM later ORDER BY id") == [(1,), (2,)]


# outside a transaction, a statement run twice would show: n is 11 only when each UPDATE ran exactly once
COUNTED = [
    "CREATE TABLE z (id INT, n INT)",
    "INSERT INTO z VALUES (1, 0)",
    "UPDATE z SET n = n + 1",
    "CREATE INDEX CONCURRENTLY i_z ON z (id)",
    "UPDATE z SET n = n + 10",
]


@pytest.mark.parametrize("point", ["before-commit", "after-commit"])
def test_non_transactional_dml_killed_in_flight_resumes_exactly_once(point: str, tmp_path: Path) -> None:
    """``executeInTransaction=false``: a DML statement runs in a transaction of its own with the record
    saying it is done, as autocommit would run it alone. Killed once the server has run the UPDATE (its
    COMMIT not sent yet, or committed and the answer held back), `--resume` neither refuses ("a DML
    statement cannot be judged from the catalog", as it did when the UPDATE autocommitted after its
    in-flight record) nor runs it twice: n is the clean run's 11."""
    loc = tmp_path / "sql"
    loc.mkdir()
    (loc / "V1__z.sql").write_text("".join(f"{s};\n" for s in COUNTED))
    (loc / "V1__z.sql.conf").write_text("executeInTransaction=false\n")
    with databases.scratch("postgresql", tmp_path) as ref:
        assert harness.run("--url", ref.url, "--locations", str(loc), "migrate", extra_env=MIXED).code == 0
        want = harness.snapshot(ref)
    with databases.scratch("postgresql", tmp_path) as db:
        with Proxy(db.host, db.port) as proxy:
            proxy.hold_replies_after(b"n = n + 1", then=b"COMMIT" if point == "after-commit" else None)
            kill_once_replied(proxy, db.url, loc, env=MIXED)
        assert db.query("SELECT n FROM z") == [(1 if point == "after-commit" else 0,)]
        first = harness.run("--url", db.url, "--locations", str(loc), "migrate", extra_env=MIXED)
        assert first.code == 1 and "--resume" in first.err and "cannot be judged" not in first.err, first.err
        done = harness.run("--url", db.url, "--locations", str(loc), "migrate", "--resume", extra_env=MIXED)
        assert done.code == 0, done.err
        assert db.query("SELECT n FROM z") == [(11,)]
        assert harness.snapshot(db) == want
