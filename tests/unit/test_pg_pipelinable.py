"""Which statements PostgreSQL's pipeline carries (``flywayx.db.postgres.pipelinable``): one command that
runs inside a transaction and neither ends nor opens one; everything else keeps the one-by-one path. And
the client-side binding of flywayx's own rows, against psycopg's."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg import sql

from flywayx.db.postgres import _quoted, pipelinable


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))",
        "insert into t values (1, 'a')",
        "-- the first row\nINSERT INTO t VALUES (1, 'a')",
        "/* a comment */ /* another */\n  UPDATE t SET v = 'b'",
        "WITH x AS (SELECT 1) SELECT * FROM x",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$",
        "ALTER TABLE t ADD COLUMN w INT",
        "DO $$ BEGIN PERFORM 1 END $$",
    ],
)
def test_one_command_that_stays_in_the_transaction_is_pipelined(sql: str) -> None:
    assert pipelinable(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)",  # two commands: the extended protocol refuses them
        "DO $$ BEGIN INSERT INTO t VALUES (1); END $$",  # a body with statements: sent as psql sends it
        "INSERT INTO t VALUES ('a;b')",
        "COPY t FROM STDIN",
        "COMMIT",
        "BEGIN",
        "START TRANSACTION",
        "END",
        "ROLLBACK",
        "SAVEPOINT a",
        "RELEASE SAVEPOINT a",
        "PREPARE TRANSACTION 'x'",
        "VACUUM t",
        "/* outer /* nested */ still a comment */ COMMIT",  # a nested comment is not read past
        "-- only a comment",
        "",
        "SET NAMES 'LATIN1'",  # the statements behind it were encoded before it ran
        "SET client_encoding = 'LATIN1'",
        "SELECT set_config('client_encoding', 'LATIN1', false)",
        "RESET ALL",
    ],
)
def test_anything_else_goes_alone(sql: str) -> None:
    assert not pipelinable(sql)


@given(st.one_of(st.none(), st.booleans(), st.integers(), st.text().filter(lambda t: "\x00" not in t)))
def test_own_rows_are_bound_as_psycopg_binds_them(value: object) -> None:
    """``_quoted`` (the fast client-side binding of flywayx's own rows) writes what psycopg's would."""
    assert _quoted(value) == sql.quote(value)


def test_the_psycopg_internals_the_pipeline_uses_are_there() -> None:
    """``db/postgres.py`` drives libpq through psycopg's generators (``send``, ``fetch_many``: not
    documented API) and ``Connection.wait``; checked on psycopg 3.3.9. A psycopg without them must fail
    here, loudly, not at a user's first migration."""
    import psycopg
    from psycopg import generators, pq
    from psycopg.adapt import Transformer

    assert callable(generators.send) and callable(generators.fetch_many)
    assert callable(psycopg.Connection.wait) and callable(psycopg.errors.error_from_result)
    assert callable(Transformer.set_pgresult) and callable(Transformer.load_rows)
    for name in ("enter_pipeline_mode", "exit_pipeline_mode", "pipeline_sync", "send_query_params", "send_query"):
        assert callable(getattr(pq.PGconn, name)), name
    assert psycopg.Pipeline.is_supported(), "the libpq psycopg is built with has no pipeline mode"
