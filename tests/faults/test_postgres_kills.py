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
