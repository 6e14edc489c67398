"""The contract every Database implementation keeps, run on SQLite, MariaDB and PostgreSQL.

Each test gets a fresh scratch database (tests/conftest.py) and checks what a user, or Flyway
reading the same database, would see: the history table's real column definitions, rows written
and read back, emptiness and clean, session restore and transactions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from flywayx.db.connect import StatementFailed, connect
from flywayx.db.history import SqlHistoryTable
from flywayx.errors import ConnectionFailed, StateError
from flywayx.model import DatabaseUrl, HistoryRow, Version

TABLE = "flyway_schema_history"


@dataclass
class Env:
    """A connected Database on a scratch database, and how to reach it again."""

    db: Any
    schema: str
    url: DatabaseUrl
    kind: str  # sqlite | mariadb | postgres

    def history(self) -> SqlHistoryTable:
        h: SqlHistoryTable = self.db.history(self.schema, TABLE)
        return h

    def other(self) -> Any:
        return connect(self.url, user=None, password=None)


def _url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> DatabaseUrl:
    if kind == "sqlite":
        return DatabaseUrl("sqlite", database=str(tmp_path / "contract.db"))
    scratch = request.getfixturevalue("mariadb" if kind == "mariadb" else "postgres")
    dialect = "mysql" if kind == "mariadb" else "postgresql"
    return DatabaseUrl(dialect, host=scratch.host, port=scratch.port, database=scratch.name,
                       user=scratch.user, password=scratch.password or None)


def _env(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    url = _url(kind, request, tmp_path)
    db = connect(url, user=None, password=None)
    try:
        yield Env(db, db.current_schema() or "", url, kind)
    finally:
        db.close()


@pytest.fixture(params=["sqlite", "mariadb", "postgres"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    yield from _env(request.param, request, tmp_path)


@pytest.fixture
def maria_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    yield from _env("mariadb", request, tmp_path)


@pytest.fixture
def pg_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    yield from _env("postgres", request, tmp_path)


@pytest.fixture
def sqlite_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    yield from _env("sqlite", request, tmp_path)


def row(rank: int, version: str | None, description: str = "d", type_: str = "SQL", script: str = "s.sql",
        checksum: int | None = 1, success: bool = True) -> HistoryRow:
    return HistoryRow(rank, Version.parse(version) if version else None, description, type_, script, checksum,
                      "tester", 5, success)


# --- the history table's definition, as the server reports it ---------------------------------------

EXPECTED_COLUMNS = [  # name, generic type, length, nullable
    ("installed_rank", "int", None, False), ("version", "varchar", 50, True),
    ("description", "varchar", 200, False), ("type", "varchar", 20, False),
    ("script", "varchar", 1000, False), ("checksum", "int", None, True),
    ("installed_by", "varchar", 100, False), ("installed_on", "timestamp", None, False),
    ("execution_time", "int", None, False), ("success", "bool", None, False),
]


def _columns(env: Env) -> list[tuple[str, str, int | None, bool, str | None]]:
    if env.kind == "mariadb":
        rows = env.db.query(
            "SELECT COLUMN_NAME, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, IS_NULLABLE, COLUMN_DEFAULT,"
            " COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?"
            " ORDER BY ORDINAL_POSITION", (env.schema, TABLE))
        kinds = {"int": "int", "varchar": "varchar", "timestamp": "timestamp", "tinyint": "bool"}
        assert [r[5] for r in rows if r[1] == "tinyint"] == ["tinyint(1)"]  # what BOOL becomes
        return [(r[0], kinds[r[1]], r[2], r[3] == "YES", r[4]) for r in rows]
    if env.kind == "postgres":
        rows = env.db.query(
            "SELECT column_name, data_type, character_maximum_length, is_nullable, column_default"
            " FROM information_schema.columns WHERE table_schema = ? AND table_name = ?"
            " ORDER BY ordinal_position",
            (env.schema, TABLE))
        kinds = {"integer": "int", "character varying": "varchar", "timestamp without time zone": "timestamp",
                 "boolean": "bool"}
        return [(r[0], kinds[r[1]], r[2], r[3] == "YES", r[4]) for r in rows]
    rows = env.db.query(f'PRAGMA table_info("{TABLE}")')
    kinds = {"INT": "int", "VARCHAR": "varchar", "TEXT": "timestamp", "BOOLEAN": "bool"}
    out = []
    for _, name, decl, notnull, default, _pk in rows:
        base, _, size = decl.partition("(")
        out.append((name, kinds[base], int(size[:-1]) if size else None, not notnull, default))
    return out


def test_history_table_columns_match_flyway(env: Env) -> None:
    h = env.history()
    assert not h.exists()
    h.create()
    assert h.exists()
    cols = _columns(env)
    assert [c[:4] for c in cols] == EXPECTED_COLUMNS
    defaults = {c[0]: (c[4] or "") for c in cols}
    expected_default = {"mariadb": "current_timestamp()", "postgres": "now()",
                        "sqlite": "strftime('%Y-%m-%d %H:%M:%f','now')"}[env.kind]
    assert expected_default in defaults["installed_on"].replace("CURRENT_TIMESTAMP", "current_timestamp")
    assert all(defaults[c] in ("", "NULL") for c in defaults if c != "installed_on")


def _indexes(env: Env) -> dict[str, tuple[bool, tuple[str, ...]]]:
    """index name -> (unique, columns)."""
    if env.kind == "mariadb":
        rows = env.db.query("SELECT INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS"
                            " WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX",
                            (env.schema, TABLE))
        out: dict[str, tuple[bool, tuple[str, ...]]] = {}
        for name, non_unique, col in rows:
            out[name] = (not non_unique, (*out.get(name, (False, ()))[1], col))
        return out
    if env.kind == "postgres":
        rows = env.db.query("SELECT i.relname, x.indisunique, a.attname FROM pg_index x"
                            " JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
                            " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(x.indkey)"
                            " WHERE t.relname = ? ORDER BY 1", (TABLE,))
        return {name: (bool(u), (col,)) for name, u, col in rows}
    out = {}
    for _, name, unique, origin, _partial in env.db.query(f'PRAGMA index_list("{TABLE}")'):
        cols = tuple(r[2] for r in env.db.query(f'PRAGMA index_info("{name}")'))
        out[name if origin == "c" else f"<{origin}>"] = (bool(unique), cols)
    return out


def test_history_table_has_flyway_primary_key_and_success_index(env: Env) -> None:
    env.history().create()
    idx = _indexes(env)
    assert idx[f"{TABLE}_s_idx"] == (False, ("success",))
    pk_name = {"mariadb": "PRIMARY", "postgres": f"{TABLE}_pk", "sqlite": "<pk>"}[env.kind]
    assert idx[pk_name] == (True, ("installed_rank",))
    assert len(idx) == 2


def test_pk_rejects_duplicate_rank(env: Env) -> None:
    h = env.history()
    h.create()
    h.insert(row(1, "1"))
    with pytest.raises(StatementFailed):
        h.insert(row(1, "2"))


# --- rows ----------------------------------------------------------------------------------------------

def test_round_trip_of_every_column(env: Env) -> None:
    h = env.history()
    h.create()
    long_desc, long_script = "é" * 200, "dir/" + "s" * 992 + ".sql"
    written = [
        row(0, None, "<< Flyway Schema Creation >>", "SCHEMA", env.db.quote(env.schema), None),
        row(1, "1.0.01", long_desc, "SQL", long_script, -2147483648),
        row(2, None, "view", "SQL", "R__view.sql", 2147483647, success=False),
        row(3, "2", "", "UNDO_SQL", "U2__x.sql", 0),
        row(4, "3", "teams", "UNDO_JDBC", "db.migration.U3__x", None),
    ]
    before = datetime.now() - timedelta(minutes=5)
    for r in written:
        h.insert(r)
    read = h.rows()
    assert [(r.installed_rank, r.version.text if r.version else None, r.description, r.type, r.script,
             r.checksum, r.installed_by, r.execution_time, r.success) for r in read] == [
        (r.installed_rank, r.version.text if r.version else None, r.description, r.type, r.script, r.checksum,
         r.installed_by, r.execution_time, r.success) for r in written]
    for r in read:  # filled by the database default; SQLite's is UTC, the others the session's time
        assert r.installed_on is not None and before < r.installed_on < datetime.now() + timedelta(days=1)
    assert [r.installed_rank for r in h.rows(after_rank=2)] == [3, 4]


def test_insert_abbreviates_as_flyway(env: Env) -> None:
    h = env.history()
    h.create()
    h.insert(row(1, "1", "d" * 201, script="s" * 1500))
    (r,) = h.rows()
    assert r.description == "d" * 197 + "..."
    assert r.script == "..." + "s" * 997


def test_baseline_row_created_with_table(env: Env) -> None:
    h = env.history()
    base = HistoryRow(1, Version.parse("4.0.0"), "<< Flyway Baseline >>", "BASELINE", "<< Flyway Baseline >>",
                      None, "o'brien", 0, True)
    h.create(baseline=base)
    (r,) = h.rows()
    assert (r.version, r.description, r.type, r.script, r.checksum, r.installed_by, r.success) == (
        Version.parse("4.0.0"), "<< Flyway Baseline >>", "BASELINE", "<< Flyway Baseline >>", None, "o'brien",
        True)
    assert _columns(env)[0][0] == "installed_rank"  # the CTAS kept Flyway's column definitions
    assert [c[:4] for c in _columns(env)] == EXPECTED_COLUMNS


def test_delete_failed_removes_only_failed_rows_of_that_migration(env: Env) -> None:
    h = env.history()
    h.create()
    for r in (row(1, "1"), row(2, "2", success=False), row(3, None, "v", success=False),
              row(4, None, "other", success=False), row(5, "2", "again")):
        h.insert(r)
    assert h.delete_failed("2", None) == 1
    assert h.delete_failed(None, "v") == 1
    assert h.delete_failed("9", None) == 0
    assert [r.installed_rank for r in h.rows()] == [1, 4, 5]


def test_update_aligns_one_row(env: Env) -> None:
    h = env.history()
    h.create()
    h.insert(row(1, "1", "old", checksum=7))
    h.insert(row(2, "2", "keep", checksum=8))
    h.update(1, "new", "SQL_BASELINE", None)
    r1, r2 = h.rows()
    assert (r1.description, r1.type, r1.checksum) == ("new", "SQL_BASELINE", None)
    assert (r2.description, r2.type, r2.checksum) == ("keep", "SQL", 8)


def test_history_is_read_with_flyway_column_lookup(env: Env) -> None:
    rows = env.db.query_named("SELECT 1 AS INSTALLED_RANK, 'x' AS Version")
    assert rows == [{"installed_rank": 1, "version": "x"}]


# --- schemas: emptiness and clean ------------------------------------------------------------------------

def test_fresh_schema_is_empty_and_a_table_makes_it_not(env: Env) -> None:
    assert env.db.schema_exists(env.schema)
    assert env.db.schema_is_empty(env.schema)
    env.db.execute("CREATE TABLE t (id INT)")
    assert not env.db.schema_is_empty(env.schema)


def test_history_table_alone_makes_schema_non_empty(env: Env) -> None:
    env.history().create()
    assert not env.db.schema_is_empty(env.schema)


@pytest.mark.parametrize("ddl", [
    "CREATE PROCEDURE p() BEGIN SELECT 1; END",
    "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO SELECT 1",
    "CREATE VIEW v AS SELECT 1 AS x",
])
def test_mysql_routines_events_views_make_schema_non_empty(maria_env: Env, ddl: str) -> None:
    maria_env.db.execute(ddl)
    assert not maria_env.db.schema_is_empty(maria_env.schema)


@pytest.mark.parametrize("ddl", [
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "CREATE TYPE mood AS ENUM ('ok')",
    "CREATE SEQUENCE s",
    "CREATE VIEW v AS SELECT 1 AS x",
])
def test_pg_functions_types_sequences_views_make_schema_non_empty(pg_env: Env, ddl: str) -> None:
    pg_env.db.execute(ddl)
    assert not pg_env.db.schema_is_empty(pg_env.schema)


def test_sqlite_ignores_android_metadata_and_sqlite_sequence(sqlite_env: Env) -> None:
    db = sqlite_env.db
    db.execute("CREATE TABLE android_metadata (locale TEXT)")
    db.execute("CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT)")
    db.execute("INSERT INTO a DEFAULT VALUES")
    db.execute("DROP TABLE a")  # leaves sqlite_sequence behind
    assert db.query("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'")
    assert db.schema_is_empty("main")


def test_pg_extension_objects_keep_schema_empty(pg_env: Env) -> None:
    pg_env.db.execute("CREATE EXTENSION citext")  # its type and functions belong to the extension
    assert pg_env.db.schema_is_empty(pg_env.schema)


def _populate(env: Env) -> None:
    ddl = ["CREATE TABLE parent (id INT PRIMARY KEY)",
           "CREATE TABLE child (id INT PRIMARY KEY, p INT REFERENCES parent(id))",
           "CREATE VIEW v AS SELECT id FROM child"]
    if env.kind == "mariadb":
        ddl[1] = "CREATE TABLE child (id INT PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES parent(id))"
        ddl += ["CREATE PROCEDURE p() BEGIN SELECT 1; END", "CREATE FUNCTION f() RETURNS INT RETURN 1",
                "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO SELECT 1", "CREATE SEQUENCE s",
                "CREATE TRIGGER tr BEFORE INSERT ON child FOR EACH ROW SET NEW.p = NEW.p"]
    elif env.kind == "postgres":
        ddl += ["CREATE SEQUENCE s", "CREATE TYPE mood AS ENUM ('ok')",
                "CREATE DOMAIN pos AS int CHECK (VALUE > 0)",
                "CREATE TYPE pair AS (a int, b int)", "CREATE MATERIALIZED VIEW mv AS SELECT * FROM v",
                "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql AS 'SELECT a'",
                "CREATE PROCEDURE pr() LANGUAGE sql AS 'SELECT 1'", "CREATE EXTENSION hstore"]
    else:
        ddl += ["CREATE TRIGGER tr AFTER INSERT ON parent BEGIN SELECT 1; END"]
    for sql in ddl:
        env.db.execute(sql)
    env.db.execute("INSERT INTO parent (id) VALUES (1)")
    env.db.execute("INSERT INTO child (id, p) VALUES (1, 1)")
    env.history().create()


def test_clean_empties_the_schema_and_keeps_it(env: Env) -> None:
    _populate(env)
    env.db.clean_schema(env.schema, drop=False)
    assert env.db.schema_exists(env.schema)
    assert env.db.schema_is_empty(env.schema)
    if env.kind == "mariadb":
        assert env.db.query("SELECT @@foreign_key_checks") == [(1,)]
    env.db.execute("CREATE TABLE parent (id INT)")  # the schema is usable afterwards


@pytest.mark.parametrize("kind", ["mariadb", "postgres"])  # SQLite's main schema cannot be dropped
def test_clean_with_drop_removes_the_schema(kind: str, request: pytest.FixtureRequest) -> None:
    env = request.getfixturevalue("maria_env" if kind == "mariadb" else "pg_env")
    env.db.create_schema("fx_extra_schema_x")
    env.db.execute(f"CREATE TABLE {env.db.quote('fx_extra_schema_x', 't')} (id INT)")
    env.db.clean_schema("fx_extra_schema_x", drop=True)
    assert not env.db.schema_exists("fx_extra_schema_x")


def test_create_schema(env: Env) -> None:
    if env.kind == "sqlite":
        with pytest.raises(StateError):
            env.db.create_schema("other")
        return
    name = "fx_created_schema_x"
    try:
        assert not env.db.schema_exists(name)
        env.db.create_schema(name)
        assert env.db.schema_exists(name) and env.db.schema_is_empty(name)
    finally:
        cascade = " CASCADE" if env.kind == "postgres" else ""
        env.db.execute(f"DROP SCHEMA IF EXISTS {env.db.quote(name)}{cascade}")


# --- session, identity, statements ------------------------------------------------------------------------

def test_identity(env: Env) -> None:
    expected_user = {"sqlite": "", "mariadb": env.url.user, "postgres": env.url.user}[env.kind]
    assert env.db.current_user() == expected_user
    assert env.db.dialect == {"sqlite": "sqlite", "mariadb": "mariadb", "postgres": "postgresql"}[env.kind]
    schema = {"sqlite": "main", "mariadb": env.url.database, "postgres": "public"}[env.kind]
    assert env.db.current_schema() == schema
    assert env.db.database_name() == {"sqlite": "main", "mariadb": env.url.database,
                                      "postgres": env.url.database}[env.kind]
    assert env.db.server_version()[0].isdigit()


def test_restore_session_mysql(maria_env: Env) -> None:
    env = maria_env
    env.db.create_schema("fx_other_x")
    try:
        env.db.execute("SET foreign_key_checks = 0, sql_safe_updates = 1")
        env.db.execute("SET @leftover = 42")
        env.db.execute("USE fx_other_x")
        env.db.restore_session(env.schema)
        assert env.db.query("SELECT @@foreign_key_checks, @@sql_safe_updates, @leftover, DATABASE()") == [
            (1, 0, None, env.schema)]
    finally:
        env.db.execute("DROP DATABASE fx_other_x")


def test_restore_session_postgres(pg_env: Env) -> None:
    env = pg_env
    role = f"fx_role_{env.url.database}"
    env.db.execute("CREATE SCHEMA app")
    env.db.execute(f"CREATE ROLE {role}")
    try:
        env.db.execute(f"SET ROLE {role}")
        env.db.execute("SET search_path TO pg_catalog")
        env.db.restore_session("app")
        assert env.db.current_user() == env.url.user
        assert env.db.query("SELECT current_setting('search_path')") == [('"app","$user", public',)]
        assert env.db.current_schema() == "app"
        env.db.restore_session("missing")  # a schema that does not exist: back to the original path
        assert env.db.query("SELECT current_setting('search_path')") == [('"$user", public',)]
    finally:
        env.db.execute("RESET ROLE")
        env.db.execute(f"DROP ROLE {role}")


def test_restore_session_sqlite_is_harmless(sqlite_env: Env) -> None:
    sqlite_env.db.restore_session("main")
    assert sqlite_env.db.current_schema() == "main"


def test_rollback_undoes_ddl_only_where_ddl_is_transactional(env: Env) -> None:
    env.db.execute("CREATE TABLE kept (id INT)")
    env.db.begin()
    env.db.execute("INSERT INTO kept (id) VALUES (1)")
    env.db.execute("CREATE TABLE maybe (id INT)")
    env.db.rollback()
    tables = {"mariadb": "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
              "postgres": "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
              "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'"}[env.kind]
    names = {r[0] for r in env.db.query(tables)}
    assert ("maybe" in names) is (not env.db.capabilities.transactional_ddl)
    # MySQL's CREATE TABLE committed the INSERT before it; elsewhere the whole block is gone.
    kept_rows = env.db.query("SELECT COUNT(*) FROM kept")[0][0]
    assert kept_rows == (0 if env.db.capabilities.transactional_ddl else 1)


def test_commit_is_visible_to_other_sessions_and_rollback_of_dml(env: Env) -> None:
    env.db.execute("CREATE TABLE t (id INT)")
    other = env.other()
    try:
        env.db.begin()
        env.db.execute("INSERT INTO t (id) VALUES (1)")
        env.db.rollback()
        env.db.begin()
        env.db.execute("INSERT INTO t (id) VALUES (2)")
        env.db.commit()
        assert other.query("SELECT id FROM t") == [(2,)]
    finally:
        other.close()


def test_commit_and_rollback_without_transaction_are_harmless(env: Env) -> None:
    env.db.commit()
    env.db.rollback()
    assert env.db.query("SELECT 1") == [(1,)]


def test_transaction_alive_follows_begin_commit_and_the_servers_implicit_commit(env: Env) -> None:
    env.db.execute("CREATE TABLE ta (id INT)")
    assert not env.db.transaction_alive()
    env.db.begin()
    env.db.execute("INSERT INTO ta VALUES (1)")
    assert env.db.transaction_alive()
    if env.kind == "mariadb":  # DDL commits the open transaction on the server: the answer follows it
        env.db.execute("CREATE TABLE tb (id INT)")
        assert not env.db.transaction_alive()
        assert env.other().query("SELECT id FROM ta") == [(1,)]
    env.db.commit()
    assert not env.db.transaction_alive()


def test_unlock_tables_releases_what_lock_tables_took(env: Env) -> None:
    env.db.execute("CREATE TABLE la (id INT)")
    env.db.execute("CREATE TABLE lb (id INT)")
    if env.kind == "mariadb":
        env.db.execute("LOCK TABLES la WRITE")
        with pytest.raises(StatementFailed, match="was not locked with LOCK TABLES"):
            env.db.query("SELECT id FROM lb")
    env.db.unlock_tables()  # elsewhere there is nothing to release, and nothing happens
    assert env.db.query("SELECT id FROM lb") == []


def test_execute_returns_rowcount_and_parameters_use_question_marks(env: Env) -> None:
    env.db.execute("CREATE TABLE t (id INT, name VARCHAR(20))")
    assert env.db.execute("INSERT INTO t (id, name) VALUES (1, 'a%'), (2, 'b'), (3, 'c')") == 3
    assert env.db.execute("UPDATE t SET name = 'z' WHERE id > 1") == 2
    assert env.db.query("SELECT id FROM t WHERE name = ? ORDER BY id", ("z",)) == [(2,), (3,)]
    assert env.db.query("SELECT id FROM t WHERE name LIKE 'a%' AND id = ?", (1,)) == [(1,)]


def test_execute_consumes_every_result_set(maria_env: Env) -> None:
    env = maria_env
    env.db.execute("CREATE PROCEDURE two() BEGIN SELECT 1; SELECT 2; END")
    env.db.execute("CALL two()")
    assert env.db.query("SELECT 3") == [(3,)]  # the connection is not left mid-result


def test_statement_failure_is_typed_and_one_line(env: Env) -> None:
    with pytest.raises(StatementFailed) as err:
        env.db.execute("SELECT * FROM no_such_table")
    assert "no_such_table" in err.value.message and "\n" not in err.value.message
    assert err.value.details["sql"] == "SELECT * FROM no_such_table"
    if env.kind == "mariadb":
        assert err.value.details["code"] == 1146
    if env.kind == "postgres":
        assert err.value.details["sql_state"] == "42P01"
        env.db.execute("SELECT 1")  # autocommit: the failure left no aborted transaction behind


def test_init_sql_runs_on_connect(env: Env) -> None:
    env.db.execute("CREATE TABLE t (id INT)")
    db = connect(env.url, user=None, password=None, init_sql="INSERT INTO t (id) VALUES (7)")
    db.close()
    assert env.db.query("SELECT id FROM t") == [(7,)]
    with pytest.raises(ConnectionFailed, match="initSql failed"):
        connect(env.url, user=None, password=None, init_sql="SELEKT 1")


# --- connecting ------------------------------------------------------------------------------------------

def _assert_clear(err: ConnectionFailed, *parts: str, secret: str | None = None) -> None:
    assert "\n" not in err.message
    for part in parts:
        assert part in err.message, (part, err.message)
    if secret:
        assert secret not in err.message and secret not in (err.hint or "")
    assert err.hint


@pytest.mark.parametrize("kind", ["mariadb", "postgres"])
def test_refused_port_and_unknown_host(kind: str) -> None:
    dialect = "mysql" if kind == "mariadb" else "postgresql"
    with pytest.raises(ConnectionFailed) as refused:
        connect(DatabaseUrl(dialect, host="127.0.0.1", port=1, database="db1"), user="u", password="s3cret!")
    _assert_clear(refused.value, "127.0.0.1:1", "'db1'", "refused", secret="s3cret!")
    with pytest.raises(ConnectionFailed) as unknown:
        connect(DatabaseUrl(dialect, host="no-such-host.invalid", port=3306, database="db1"),
                user="u", password="s3cret!")
    _assert_clear(unknown.value, "no-such-host.invalid:3306", secret="s3cret!")
    assert "host" in (unknown.value.hint or "")


def test_mariadb_wrong_password_and_unknown_database(maria_env: Env) -> None:
    url = maria_env.url
    with pytest.raises(ConnectionFailed) as bad_pw:
        connect(url, user=url.user, password="wrong-pässword")
    _assert_clear(bad_pw.value, f"{url.host}:{url.port}", "Access denied", secret="wrong-pässword")
    assert "password" in (bad_pw.value.hint or "")
    with pytest.raises(ConnectionFailed) as bad_db:
        connect(DatabaseUrl("mysql", host=url.host, port=url.port, database="fx_missing_db"),
                user=url.user, password=url.password)
    _assert_clear(bad_db.value, "'fx_missing_db'", "Unknown database")
    assert "create the database" in (bad_db.value.hint or "")


def test_pg_unknown_role_and_unknown_database(pg_env: Env) -> None:
    url = pg_env.url
    with pytest.raises(ConnectionFailed) as bad_user:
        connect(url, user="fx_nobody", password="hunter2-secret")
    _assert_clear(bad_user.value, f"{url.host}:{url.port}", "fx_nobody", secret="hunter2-secret")
    with pytest.raises(ConnectionFailed) as bad_db:
        connect(DatabaseUrl("postgresql", host=url.host, port=url.port, database="fx_missing_db"),
                user=url.user, password=None)
    _assert_clear(bad_db.value, "fx_missing_db", "does not exist")


def test_connect_retries_then_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    import flywayx.db.connect as connect_module

    waits: list[float] = []
    monkeypatch.setattr(connect_module, "_sleep", waits.append)
    with pytest.raises(ConnectionFailed):
        connect(DatabaseUrl("postgresql", host="127.0.0.1", port=1, database="x"), user=None, password=None,
                connect_retries=4, connect_retries_interval=3)
    assert waits == [1, 2, 3, 3]


def test_sqlite_missing_directory_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "db.sqlite"
    with pytest.raises(ConnectionFailed) as err:
        connect(DatabaseUrl("sqlite", database=str(missing)), user=None, password=None)
    assert "does not exist" in err.value.message and not missing.parent.exists()


def test_sqlite_memory_and_foreign_keys_default_off(tmp_path: Path) -> None:
    mem = connect(DatabaseUrl("sqlite", database=":memory:"), user=None, password=None)
    assert mem.query("PRAGMA foreign_keys") == [(0,)]
    on = connect(DatabaseUrl("sqlite", database=str(tmp_path / "fk.db"), params=(("foreign_keys", "true"),)),
                 user=None, password=None)
    assert on.query("PRAGMA foreign_keys") == [(1,)]
    mem.close()
    on.close()


def test_mysql_url_on_mariadb_server_is_mariadb(maria_env: Env) -> None:
    assert maria_env.url.dialect == "mysql"
    assert maria_env.db.dialect == "mariadb"
    ddl = maria_env.history().create_script(None)[0][0]
    assert "    CONSTRAINT  PRIMARY KEY (`installed_rank`)\n" in ddl


def test_sqlite_clean_with_foreign_keys_enforced(tmp_path: Path) -> None:
    url = DatabaseUrl("sqlite", database=str(tmp_path / "fk.db"), params=(("foreign_keys", "true"),))
    db = connect(url, user=None, password=None)
    db.execute("CREATE TABLE a_parent (id INT PRIMARY KEY)")
    db.execute("CREATE TABLE z_child (id INT, p INT REFERENCES a_parent(id))")  # dropped after its parent
    db.execute("INSERT INTO a_parent VALUES (1)")
    db.execute("INSERT INTO z_child VALUES (1, 1)")
    db.clean_schema("main", drop=False)
    assert db.schema_is_empty("main")
    assert db.query("PRAGMA foreign_keys") == [(1,)]
    db.close()
