"""PostgreSQL's pipeline (``run_batch`` inside a transaction) on the real server: a migration's statements
go in one round trip, each with its own result, error and notices (docs/decisions/round-trips.md). What
is checked is what a user relies on: the failing statement is the one named, nothing after it takes
effect, each notice belongs to its statement, and what a pipeline may not carry still runs, in order.
The database's state is read back with psycopg on another connection, not through flywayx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from flywayx.db.connect import StatementFailed
from tests.databases import ScratchDb


@pytest.fixture
def db(postgres: ScratchDb) -> Iterator[Any]:
    postgres.execute("CREATE SEQUENCE s")
    opened = postgres.open()
    try:
        yield opened
    finally:
        opened.close()


def _sequence_used(postgres: ScratchDb) -> bool:
    return bool(postgres.query("SELECT is_called FROM s")[0][0])


def test_the_failing_statement_is_named_and_nothing_after_it_runs(postgres: ScratchDb, db: Any) -> None:
    db.begin()
    batch = [
        "CREATE TABLE p (id INT PRIMARY KEY)",
        "DROP TABLE IF EXISTS nothere",
        "INSERT INTO p VALUES (1)",
        "INSERT INTO p VALUES (1)",
        "SELECT nextval('s')",  # a sequence is not rolled back: had it run, the server would show it
        "DROP TABLE IF EXISTS nothere_either",
    ]
    done, failure = db.run_batch(batch, warnings_from=0)
    assert done == 3
    assert isinstance(failure, StatementFailed)
    assert failure.details["sql"] == "INSERT INTO p VALUES (1)"
    assert failure.details["sql_state"] == "23505" and "p_pkey" in failure.message
    warnings = db.take_warnings()
    assert [(w.index, w.notice) for w in warnings] == [(1, True)]
    assert '"nothere" does not exist' in warnings[0].message
    db.rollback()
    assert not _sequence_used(postgres)
    assert postgres.query("SELECT to_regclass('p')") == [(None,)]
    assert db.query("SELECT 1") == [(1,)]  # the session goes on, outside any transaction
    assert not db.transaction_alive()


def test_what_a_pipeline_cannot_carry_runs_alone_in_its_place(postgres: ScratchDb, db: Any) -> None:
    """A DO block with statements inside, two commands in one text: each goes alone, between the
    pipelines around it. A name PostgreSQL truncates while parsing: its notice comes before the statement
    runs, and is still its own."""
    long_name = "t_" + "x" * 70
    db.begin()
    batch = [
        "CREATE TABLE p (id INT PRIMARY KEY, v TEXT)",
        "DO $$ BEGIN INSERT INTO p VALUES (1, 'do'); INSERT INTO p VALUES (2, 'do'); END $$",
        "INSERT INTO p VALUES (3, 'plain')",
        r"INSERT INTO p VALUES (4, E'back\\slash')",
        f"CREATE TABLE {long_name} (id INT)",
        "DROP TABLE IF EXISTS nothere",
        "INSERT INTO p VALUES (5, 'two'); INSERT INTO p VALUES (6, 'commands')",
        "INSERT INTO p SELECT max(id) + 1, 'after' FROM p",
    ]
    done, failure = db.run_batch(batch, warnings_from=0)
    assert (done, failure) == (len(batch), None)
    notes = [(w.index, w.message) for w in db.take_warnings()]
    assert [i for i, _ in notes] == [4, 5]
    assert "will be truncated" in notes[0][1] and '"nothere" does not exist' in notes[1][1]
    db.commit()
    assert postgres.query("SELECT id, v FROM p ORDER BY id") == [
        (1, "do"),
        (2, "do"),
        (3, "plain"),
        (4, "back\\slash"),
        (5, "two"),
        (6, "commands"),
        (7, "after"),
    ]


def test_a_failure_after_a_statement_sent_alone_is_still_its_own(postgres: ScratchDb, db: Any) -> None:
    db.begin()
    batch = [
        "CREATE TABLE p (id INT PRIMARY KEY)",
        "DO $$ BEGIN INSERT INTO p VALUES (1); END $$",
        "INSERT INTO p VALUES (2)",
        "INSERT INTO nothere VALUES (3)",
        "SELECT nextval('s')",
    ]
    done, failure = db.run_batch(batch)
    assert done == 3
    assert isinstance(failure, StatementFailed) and failure.details["sql"] == "INSERT INTO nothere VALUES (3)"
    db.rollback()
    assert not _sequence_used(postgres)
    assert postgres.query("SELECT to_regclass('p')") == [(None,)]


def test_outside_a_transaction_statements_go_one_by_one_and_each_commits(postgres: ScratchDb, db: Any) -> None:
    """No BEGIN: a pipeline would run its statements as one implicit transaction; one by one, each commits
    as in psql, and the statements after a failure are not sent."""
    done, failure = db.run_batch(
        ["CREATE TABLE p (id INT)", "INSERT INTO p VALUES (1)", "INSERT INTO nothere VALUES (1)"]
    )
    assert done == 2 and isinstance(failure, StatementFailed)
    assert postgres.query("SELECT id FROM p") == [(1,)]


def test_a_begin_with_nothing_after_it_costs_nothing_and_opens_nothing(postgres: ScratchDb, db: Any) -> None:
    sent: list[str] = []
    db._conn.add_notice_handler(lambda diag: sent.append(str(diag.message_primary)))
    db.begin()
    db.commit()
    db.begin()
    db.rollback()
    assert not db.transaction_alive()
    db.begin()
    db.execute("CREATE TABLE p (id INT)")  # the queued BEGIN goes first: the table is the transaction's
    assert db.transaction_alive()
    db.rollback()
    assert postgres.query("SELECT to_regclass('p')") == [(None,)]
    assert sent == []  # no "there is already a transaction in progress" on the way


def test_idle_work_runs_once_while_the_server_has_the_statements(postgres: ScratchDb, db: Any) -> None:
    """``Database.idle``: the task runs after a pipeline (or flywayx's own query) is sent and before its
    results are read (libpq says a command is in progress), once; a task that fails changes nothing."""
    from psycopg.pq import TransactionStatus

    seen: list[TransactionStatus] = []

    def task() -> None:
        seen.append(TransactionStatus(db._conn.pgconn.transaction_status))

    db.idle(task)
    db.begin()
    assert db.run_batch(["CREATE TABLE p (id INT)", "INSERT INTO p VALUES (1)"]) == (2, None)
    assert db.run_batch(["INSERT INTO p VALUES (2)"]) == (1, None)
    assert seen == [TransactionStatus.ACTIVE]
    db.later("INSERT INTO p VALUES (?)", (3,))
    db.idle(task)
    db.commit()  # the queued row and the COMMIT: one query of flywayx's own
    assert seen == [TransactionStatus.ACTIVE] * 2
    db.idle(lambda: 1 / 0)
    db.begin()
    assert db.run_batch(["INSERT INTO p VALUES (4)"]) == (1, None)
    db.commit()
    assert postgres.query("SELECT id FROM p ORDER BY id") == [(1,), (2,), (3,), (4,)]


def test_a_statement_changing_the_client_encoding_is_not_followed_by_text_encoded_before_it(
    postgres: ScratchDb, db: Any
) -> None:
    db.begin()
    batch = [
        "CREATE TABLE e (v TEXT)",
        "SET client_encoding = 'LATIN1'",
        "INSERT INTO e VALUES ('café')",
        "SET client_encoding = 'UTF8'",
        "INSERT INTO e VALUES ('thé')",
    ]
    assert db.run_batch(batch) == (len(batch), None)
    db.commit()
    assert postgres.query("SELECT v FROM e ORDER BY v") == [("café",), ("thé",)]
