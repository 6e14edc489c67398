"""``Database.prefetch`` and the migration lock's lazy release on the real servers: what the migrate
loop relies on to send the lock, the history token and the session reset in one round trip
(docs/decisions/round-trips.md). A prefetched read answers only a query asked before anything else is
sent; its failure is its own; a release queued with ``lazy_release`` is never lost."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from flywayx.db.connect import StatementFailed, connect
from flywayx.model import DatabaseUrl


@pytest.fixture(params=["mariadb", "postgres"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def dbs(kind: str, request: pytest.FixtureRequest) -> Iterator[tuple[Any, Any]]:
    """Two connections to a fresh database holding table ``t`` with one row."""
    scratch = request.getfixturevalue("mariadb" if kind == "mariadb" else "postgres")
    url = DatabaseUrl(
        "mysql" if kind == "mariadb" else "postgresql",
        host=scratch.host,
        port=scratch.port,
        database=scratch.name,
        user=scratch.user,
        password=scratch.password or None,
    )
    one, other = connect(url, user=None, password=None), connect(url, user=None, password=None)
    try:
        one.execute("CREATE TABLE t (id INT)")
        one.execute("INSERT INTO t VALUES (1)")
        yield one, other
    finally:
        one.close()
        other.close()


COUNT = "SELECT COUNT(*) FROM t"
PROCESSLIST = "SELECT INFO FROM information_schema.PROCESSLIST WHERE INFO LIKE '%SLEEP(0.3)%' AND ID <> CONNECTION_ID()"


def test_a_prefetched_read_answers_as_of_the_query_that_carried_it(dbs: tuple[Any, Any]) -> None:
    db, other = dbs
    db.prefetch(COUNT)
    assert db.query("SELECT 42") == [(42,)]  # carries the read
    other.execute("INSERT INTO t VALUES (2)")
    assert db.query(COUNT) == [(1,)]  # read with the carrier, not now
    assert db.query(COUNT) == [(2,)]  # used once: asked again, it is read again


def test_anything_sent_in_between_discards_it(dbs: tuple[Any, Any]) -> None:
    db, _ = dbs
    db.prefetch(COUNT)
    db.query("SELECT 42")
    db.execute("INSERT INTO t VALUES (3)")
    assert db.query(COUNT) == [(2,)]


def test_a_failing_prefetch_is_reported_with_its_own_error(kind: str, dbs: tuple[Any, Any]) -> None:
    """MariaDB: the carrier's results come before it, so only the query that wants it fails. PostgreSQL
    runs one query's statements as one implicit transaction and reports only the error: the carrier
    fails with the prefetch's error (the migrate loop then ends, and the connection with it)."""
    db, _ = dbs
    db.prefetch("SELECT * FROM no_such_table")
    if kind == "mariadb":
        assert db.query("SELECT 42") == [(42,)]
    else:
        with pytest.raises(StatementFailed, match="no_such_table"):
            db.query("SELECT 42")
    with pytest.raises(StatementFailed, match="no_such_table"):
        db.query("SELECT * FROM no_such_table")
    assert db.query("SELECT 42") == [(42,)]


def _holder_sees(kind: str, other: Any, schema: str) -> bool:
    """Whether ``other`` can take the migration lock now (and gives it back at once)."""
    try:
        with other.lock(schema, "flyway_schema_history", 0.2):
            return True
    except Exception:
        return False


def test_a_lazily_released_lock_goes_with_the_next_statement_even_after_a_rollback(
    kind: str, dbs: tuple[Any, Any]
) -> None:
    db, other = dbs
    schema = db.current_schema() or ""
    if kind == "postgres":
        schema = "public"
    with db.lock(schema, "flyway_schema_history", 5, lazy_release=True):
        assert not _holder_sees(kind, other, schema)
    assert not _holder_sees(kind, other, schema)  # queued, not sent yet: still held
    db.begin()
    db.execute("INSERT INTO t VALUES (4)")
    db.rollback()  # the transaction's queue is dropped; the release is not
    db.query("SELECT 1")
    assert _holder_sees(kind, other, schema)


def test_idle_work_runs_once_while_the_server_runs_the_next_statement(dbs: tuple[Any, Any], kind: str) -> None:
    """``Database.idle``: on MariaDB the task runs after the next statement is sent, while the server
    is still running it (seen from another session), once; what it raises does not touch the
    statement. Where a statement is sent and read in one call (PostgreSQL) the task is dropped."""
    db, other = dbs
    seen: list[list[tuple[Any, ...]]] = []

    def look() -> None:
        seen.append(other.query(PROCESSLIST))

    def fail() -> None:
        raise RuntimeError("dropped")

    db.idle(look)
    db.idle(fail)
    sleep = "SLEEP(0.3)" if kind == "mariadb" else "pg_sleep(0.3)"
    assert db.query(f"SELECT {sleep}, 7")[0][1] == 7
    assert db.query("SELECT 8") == [(8,)]  # the tasks ran once, with the statement before
    if kind == "mariadb":
        assert len(seen) == 1 and seen[0], seen  # the sleeping statement was running on the server
    else:
        assert seen == []
