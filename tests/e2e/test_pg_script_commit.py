"""PostgreSQL: a migration that commits on its own (``BEGIN; … COMMIT;`` in the script, as some projects
write around a table rebuild) while flywayx runs it in a transaction.

Flyway's JDBC connection has autocommit off: the script's COMMIT ends the migration's transaction and
the driver opens a new one before the next statement, so the statements after it commit with the
history row, or roll back with the failure. The statements before the COMMIT stay applied, and the
error says so (not "nothing of it was applied")."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.databases import ScratchDb

pytestmark = pytest.mark.postgres

REBUILD = """CREATE TABLE kept (id INT);
BEGIN;
CREATE TABLE kept_too (id INT);
COMMIT;
CREATE TABLE later (x xid8);
INSERT INTO later SELECT pg_current_xact_id();
INSERT INTO later SELECT pg_current_xact_id();
"""


def _tables(db: ScratchDb) -> set[str]:
    rows = db.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'flyway%'")
    return {r[0] for r in rows}


def test_statements_after_the_scripts_commit_commit_with_the_history_row(
    postgres: ScratchDb, flywayx: Callable[..., CliResult], tmp_path: Path
) -> None:
    (tmp_path / "V1__rebuild.sql").write_text(REBUILD)
    done = flywayx("--url", postgres.url, "--locations", str(tmp_path), "migrate")
    assert done.code == 0, done.err
    assert _tables(postgres) == {"kept", "kept_too", "later"}
    # both INSERTs and the history row ran in one transaction, not one each
    xids = postgres.query("SELECT DISTINCT xid(x)::text FROM later")
    history = postgres.query("SELECT xmin::text FROM flyway_schema_history WHERE version = '1'")
    assert len(xids) == 1 and xids == history, (xids, history)


def test_a_failure_after_the_scripts_commit_rolls_back_only_what_followed_it(
    postgres: ScratchDb, flywayx: Callable[..., CliResult], tmp_path: Path
) -> None:
    (tmp_path / "V1__rebuild.sql").write_text(REBUILD + "CREATE TABLE kept (id INT);\n")
    failed = flywayx("--url", postgres.url, "--locations", str(tmp_path), "migrate")
    assert failed.code != 0
    assert _tables(postgres) == {"kept", "kept_too"}  # "later" went with the failure, as under Flyway
    assert "statements 1 to 4 stay applied" in failed.err and "COMMIT at line 4" in failed.err, failed.err
    assert "nothing of it was applied" not in failed.err
    assert postgres.query("SELECT count(*) FROM flyway_schema_history WHERE version = '1'") == [(0,)]
    # as the hint says: undo those by hand, fix the migration, migrate (the whole migration runs again)
    postgres.query("DROP TABLE kept, kept_too")
    (tmp_path / "V1__rebuild.sql").write_text(REBUILD)
    again = flywayx("--url", postgres.url, "--locations", str(tmp_path), "migrate")
    assert again.code == 0, again.err
    assert _tables(postgres) == {"kept", "kept_too", "later"}


def test_without_its_own_commit_a_failure_still_applies_nothing(
    postgres: ScratchDb, flywayx: Callable[..., CliResult], tmp_path: Path
) -> None:
    (tmp_path / "V1__plain.sql").write_text("CREATE TABLE a (id INT);\nCREATE TABLE a (id INT);\n")
    failed = flywayx("--url", postgres.url, "--locations", str(tmp_path), "migrate")
    assert failed.code != 0 and "nothing of it was applied" in failed.err, failed.err
    assert _tables(postgres) == set()
