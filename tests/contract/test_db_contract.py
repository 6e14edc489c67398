"""The contract every Database implementation keeps, run on SQLite, MariaDB and PostgreSQL.

Each test gets a fresh scratch database (the ``database`` fixture, tests/databases.py) and flywayx's
``Database`` opened on it (``db``), and checks what a user, or Flyway
reading the same database, would see: the history table's real column definitions, rows written
and read back, emptiness and clean, session restore and transactions.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from flywayx.db.connect import StatementFailed, connect
from flywayx.db.history import SqlHistoryTable
from flywayx.errors import ConnectionFailed, StateError
from flywayx.model import DatabaseUrl, HistoryRow, Version
from tests.databases import ScratchDb, requires

TABLE = "flyway_schema_history"


@pytest.fixture
def db(database: ScratchDb) -> Iterator[Any]:
    """flywayx's ``Database`` connected to the scratch database under test."""
    opened = database.open()
    try:
        yield opened
    finally:
        opened.close()


def history(database: ScratchDb, db: Any) -> SqlHistoryTable:
    h: SqlHistoryTable = db.history(database.schema, TABLE)
    return h


def row(
    rank: int,
    version: str | None,
    description: str = "d",
    type_: str = "SQL",
    script: str = "s.sql",
    checksum: int | None = 1,
    success: bool = True,
) -> HistoryRow:
    return HistoryRow(
        rank, Version.parse(version) if version else None, description, type_, script, checksum, "tester", 5, success
    )


# --- the history table's definition, as the server reports it ---------------------------------------

EXPECTED_COLUMNS = [  # name, generic type, length, nullable
    ("installed_rank", "int", None, False),
    ("version", "varchar", 50, True),
    ("description", "varchar", 200, False),
    ("type", "varchar", 20, False),
    ("script", "varchar", 1000, False),
    ("checksum", "int", None, True),
    ("installed_by", "varchar", 100, False),
    ("installed_on", "timestamp", None, False),
    ("execution_time", "int", None, False),
    ("success", "bool", None, False),
]


def _columns(database: ScratchDb, db: Any) -> list[tuple[str, str, int | None, bool, str | None]]:
    if database.dialect == "mariadb":
        rows = db.query(
            "SELECT COLUMN_NAME, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, IS_NULLABLE, COLUMN_DEFAULT,"
            " COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?"
            " ORDER BY ORDINAL_POSITION",
            (database.schema, TABLE),
        )
        kinds = {"int": "int", "varchar": "varchar", "timestamp": "timestamp", "tinyint": "bool"}
        assert [r[5] for r in rows if r[1] == "tinyint"] == ["tinyint(1)"]  # what BOOL becomes
        return [(r[0], kinds[r[1]], r[2], r[3] == "YES", r[4]) for r in rows]
    if database.dialect == "postgresql":
        rows = db.query(
            "SELECT column_name, data_type, character_maximum_length, is_nullable, column_default"
            " FROM information_schema.columns WHERE table_schema = ? AND table_name = ?"
            " ORDER BY ordinal_position",
            (database.schema, TABLE),
        )
        kinds = {
            "integer": "int",
            "character varying": "varchar",
            "timestamp without time zone": "timestamp",
            "boolean": "bool",
        }
        return [(r[0], kinds[r[1]], r[2], r[3] == "YES", r[4]) for r in rows]
    rows = db.query(f'PRAGMA table_info("{TABLE}")')
    kinds = {"INT": "int", "VARCHAR": "varchar", "TEXT": "timestamp", "BOOLEAN": "bool"}
    out = []
    for _, name, decl, notnull, default, _pk in rows:
        base, _, size = decl.partition("(")
        out.append((name, kinds[base], int(size[:-1]) if size else None, not notnull, default))
    return out


def test_history_table_columns_match_flyway(database: ScratchDb, db: Any) -> None:
    h = history(database, db)
    assert not h.exists()
    h.create()
    assert h.exists()
    cols = _columns(database, db)
    assert [c[:4] for c in cols] == EXPECTED_COLUMNS
    defaults = {c[0]: (c[4] or "") for c in cols}
    expected_default = {
        "mariadb": "current_timestamp()",
        "postgresql": "now()",
        "sqlite": "strftime('%Y-%m-%d %H:%M:%f','now')",
    }[database.dialect]
    assert expected_default in defaults["installed_on"].replace("CURRENT_TIMESTAMP", "current_timestamp")
    assert all(defaults[c] in ("", "NULL") for c in defaults if c != "installed_on")


def _indexes(database: ScratchDb, db: Any) -> dict[str, tuple[bool, tuple[str, ...]]]:
    """index name -> (unique, columns)."""
    if database.dialect == "mariadb":
        rows = db.query(
            "SELECT INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS"
            " WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX",
            (database.schema, TABLE),
        )
        out: dict[str, tuple[bool, tuple[str, ...]]] = {}
        for name, non_unique, col in rows:
            out[name] = (not non_unique, (*out.get(name, (False, ()))[1], col))
        return out
    if database.dialect == "postgresql":
        rows = db.query(
            "SELECT i.relname, x.indisunique, a.attname FROM pg_index x"
            " JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
            " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(x.indkey)"
            " WHERE t.relname = ? ORDER BY 1",
            (TABLE,),
        )
        return {name: (bool(u), (col,)) for name, u, col in rows}
    out = {}
    for _, name, unique, origin, _partial in db.query(f'PRAGMA index_list("{TABLE}")'):
        cols = tuple(r[2] for r in db.query(f'PRAGMA index_info("{name}")'))
        out[name if origin == "c" else f"<{origin}>"] = (bool(unique), cols)
    return out


def test_history_table_has_flyway_primary_key_and_success_index(database: ScratchDb, db: Any) -> None:
    history(database, db).create()
    idx = _indexes(database, db)
    assert idx[f"{TABLE}_s_idx"] == (False, ("success",))
    pk_name = {"mariadb": "PRIMARY", "postgresql": f"{TABLE}_pk", "sqlite": "<pk>"}[database.dialect]
    assert idx[pk_name] == (True, ("installed_rank",))
    assert len(idx) == 2


def test_pk_rejects_duplicate_rank(database: ScratchDb, db: Any) -> None:
    h = history(database, db)
    h.create()
    h.insert(row(1, "1"))
    with pytest.raises(StatementFailed):
        h.insert(row(1, "2"))


# --- rows ----------------------------------------------------------------------------------------------


def test_round_trip_of_every_column(database: ScratchDb, db: Any) -> None:
    h = history(database, db)
    h.create()
    long_desc, long_script = "é" * 200, "dir/" + "s" * 992 + ".sql"
    written = [
        row(0, None, "<< Flyway Schema Creation >>", "SCHEMA", db.quote(database.schema), None),
        row(1, "1.0.01", long_desc, "SQL", long_script, -2147483648),
        row(2, None, "view", "SQL", "R__view.sql", 2147483647, success=False),
        row(3, "2", "", "UNDO_SQL", "U2__x.sql", 0),
        row(4, "3", "teams", "UNDO_JDBC", "db.migration.U3__x", None),
    ]
    before = datetime.now() - timedelta(minutes=5)
    for r in written:
        h.insert(r)
    read = h.rows()
    assert [
        (
            r.installed_rank,
            r.version.text if r.version else None,
            r.description,
            r.type,
            r.script,
            r.checksum,
            r.installed_by,
            r.execution_time,
            r.success,
        )
        for r in read
    ] == [
        (
            r.installed_rank,
            r.version.text if r.version else None,
            r.description,
            r.type,
            r.script,
            r.checksum,
            r.installed_by,
            r.execution_time,
            r.success,
        )
        for r in written
    ]
    for r in read:  # filled by the database default; SQLite's is UTC, the others the session's time
        assert r.installed_on is not None and before < r.installed_on < datetime.now() + timedelta(days=1)
    assert [r.installed_rank for r in h.rows(after_rank=2)] == [3, 4]


def test_insert_abbreviates_as_flyway(database: ScratchDb, db: Any) -> None:
    h = history(database, db)
    h.create()
    h.insert(row(1, "1", "d" * 201, script="s" * 1500))
    (r,) = h.rows()
    assert r.description == "d" * 197 + "..."
    assert r.script == "..." + "s" * 997


def test_baseline_row_created_with_table(database: ScratchDb, db: Any) -> None:
    h = history(database, db)
    base = HistoryRow(
        1,
        Version.parse("4.0.0"),
        "<< Flyway Baseline >>",
        "BASELINE",
        "<< Flyway Baseline >>",
        None,
        "o'brien",
        0,
        True,
    )
    h.create(baseline=base)
    (r,) = h.rows()
    assert (r.version, r.description, r.type, r.script, r.checksum, r.installed_by, r.success) == (
        Version.parse("4.0.0"),
        "<< Flyway Baseline >>",
        "BASELINE",
        "<< Flyway Baseline >>",
        None,
        "o'brien",
        True,
    )
    assert _columns(database, db)[0][0] == "installed_rank"  # the CTAS kept Flyway's column definitions
    assert [c[:4] for c in _columns(database, db)] == EXPECTED_COLUMNS


def test_delete_failed_removes_only_failed_rows_of_that_migration(database: ScratchDb, db: Any) -> None:
    h = history(database, db)
    h.create()
    for r in (
        row(1, "1"),
        row(2, "2", success=False),
        row(3, None, "v", success=False),
        row(4, None, "other", success=False),
        row(5, "2", "again"),
    ):
        h.insert(r)
    assert h.delete_failed("2", None) == 1
    assert h.delete_failed(None, "v") == 1
    assert h.delete_failed("9", None) == 0
    assert [r.installed_rank for r in h.rows()] == [1, 4, 5]


def test_update_aligns_one_row(database: ScratchDb, db: Any) -> None:
    h = history(database, db)
    h.create()
    h.insert(row(1, "1", "old", checksum=7))
    h.insert(row(2, "2", "keep", checksum=8))
    h.update(1, "new", "SQL_BASELINE", None)
    r1, r2 = h.rows()
    assert (r1.description, r1.type, r1.checksum) == ("new", "SQL_BASELINE", None)
    assert (r2.description, r2.type, r2.checksum) == ("keep", "SQL", 8)


def test_history_is_read_with_flyway_column_lookup(database: ScratchDb, db: Any) -> None:
    rows = db.query_named("SELECT 1 AS INSTALLED_RANK, 'x' AS Version")
    assert rows == [{"installed_rank": 1, "version": "x"}]


# --- schemas: emptiness and clean ------------------------------------------------------------------------


def test_fresh_schema_is_empty_and_a_table_makes_it_not(database: ScratchDb, db: Any) -> None:
    assert db.schema_exists(database.schema)
    assert db.schema_is_empty(database.schema)
    db.execute("CREATE TABLE t (id INT)")
    assert not db.schema_is_empty(database.schema)


def test_history_table_alone_makes_schema_non_empty(database: ScratchDb, db: Any) -> None:
    history(database, db).create()
    assert not db.schema_is_empty(database.schema)


@pytest.mark.parametrize(
    "ddl",
    [
        "CREATE PROCEDURE p() BEGIN SELECT 1; END",
        "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO SELECT 1",
        "CREATE VIEW v AS SELECT 1 AS x",
    ],
)
@pytest.mark.parametrize("database", ["mariadb"], indirect=True)
def test_mysql_routines_events_views_make_schema_non_empty(database: ScratchDb, db: Any, ddl: str) -> None:
    db.execute(ddl)
    assert not db.schema_is_empty(database.schema)


@pytest.mark.parametrize(
    "ddl",
    [
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "CREATE TYPE mood AS ENUM ('ok')",
        "CREATE SEQUENCE s",
        "CREATE VIEW v AS SELECT 1 AS x",
    ],
)
@pytest.mark.parametrize("database", ["postgres"], indirect=True)
def test_pg_functions_types_sequences_views_make_schema_non_empty(database: ScratchDb, db: Any, ddl: str) -> None:
    db.execute(ddl)
    assert not db.schema_is_empty(database.schema)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_sqlite_ignores_android_metadata_and_sqlite_sequence(database: ScratchDb, db: Any) -> None:
    db.execute("CREATE TABLE android_metadata (locale TEXT)")
    db.execute("CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT)")
    db.execute("INSERT INTO a DEFAULT VALUES")
    db.execute("DROP TABLE a")  # leaves sqlite_sequence behind
    assert db.query("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'")
    assert db.schema_is_empty("main")


@pytest.mark.parametrize("database", ["postgres"], indirect=True)
def test_pg_extension_objects_keep_schema_empty(database: ScratchDb, db: Any) -> None:
    db.execute("CREATE EXTENSION citext")  # its type and functions belong to the extension
    assert db.schema_is_empty(database.schema)


def _populate(database: ScratchDb, db: Any) -> None:
    ddl = [
        "CREATE TABLE parent (id INT PRIMARY KEY)",
        "CREATE TABLE child (id INT PRIMARY KEY, p INT REFERENCES parent(id))",
        "CREATE VIEW v AS SELECT id FROM child",
    ]
    if database.dialect == "mariadb":
        ddl[1] = "CREATE TABLE child (id INT PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES parent(id))"
        ddl += [
            "CREATE PROCEDURE p() BEGIN SELECT 1; END",
            "CREATE FUNCTION f() RETURNS INT RETURN 1",
            "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO SELECT 1",
            "CREATE SEQUENCE s",
            "CREATE TRIGGER tr BEFORE INSERT ON child FOR EACH ROW SET NEW.p = NEW.p",
        ]
    elif database.dialect == "postgresql":
        ddl += [
            "CREATE SEQUENCE s",
            "CREATE TYPE mood AS ENUM ('ok')",
            "CREATE DOMAIN pos AS int CHECK (VALUE > 0)",
            "CREATE TYPE pair AS (a int, b int)",
            "CREATE MATERIALIZED VIEW mv AS SELECT * FROM v",
            "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql AS 'SELECT a'",
            "CREATE PROCEDURE pr() LANGUAGE sql AS 'SELECT 1'",
            "CREATE EXTENSION hstore",
        ]
    else:
        ddl += ["CREATE TRIGGER tr AFTER INSERT ON parent BEGIN SELECT 1; END"]
    for sql in ddl:
        db.execute(sql)
    db.execute("INSERT INTO parent (id) VALUES (1)")
    db.execute("INSERT INTO child (id, p) VALUES (1, 1)")
    history(database, db).create()


def test_clean_empties_the_schema_and_keeps_it(database: ScratchDb, db: Any) -> None:
    _populate(database, db)
    db.clean_schema(database.schema, drop=False)
    assert db.schema_exists(database.schema)
    assert db.schema_is_empty(database.schema)
    if database.dialect == "mariadb":
        assert db.query("SELECT @@foreign_key_checks") == [(1,)]
    db.execute("CREATE TABLE parent (id INT)")  # the schema is usable afterwards


@requires("server")  # SQLite's main schema cannot be dropped
def test_clean_with_drop_removes_the_schema(database: ScratchDb, db: Any) -> None:
    db.create_schema("fx_extra_schema_x")
    db.execute(f"CREATE TABLE {db.quote('fx_extra_schema_x', 't')} (id INT)")
    db.clean_schema("fx_extra_schema_x", drop=True)
    assert not db.schema_exists("fx_extra_schema_x")


def test_create_schema(database: ScratchDb, db: Any) -> None:
    if database.dialect == "sqlite":
        with pytest.raises(StateError):
            db.create_schema("other")
        return
    name = "fx_created_schema_x"
    try:
        assert not db.schema_exists(name)
        db.create_schema(name)
        assert db.schema_exists(name) and db.schema_is_empty(name)
    finally:
        cascade = " CASCADE" if database.dialect == "postgresql" else ""
        db.execute(f"DROP SCHEMA IF EXISTS {db.quote(name)}{cascade}")


# --- session, identity, statements ------------------------------------------------------------------------


def test_identity(database: ScratchDb, db: Any) -> None:
    assert db.current_user() == ("" if database.dialect == "sqlite" else database.user)
    assert db.dialect == database.dialect
    schema = {"sqlite": "main", "mariadb": database.name, "postgresql": "public"}[database.dialect]
    assert db.current_schema() == schema
    assert db.database_name() == ("main" if database.dialect == "sqlite" else database.name)
    assert db.server_version()[0].isdigit()


@pytest.mark.parametrize("database", ["mariadb"], indirect=True)
def test_restore_session_mysql(database: ScratchDb, db: Any) -> None:
    db.create_schema("fx_other_x")
    try:
        db.execute("SET foreign_key_checks = 0, sql_safe_updates = 1")
        db.execute("SET @leftover = 42")
        db.execute("USE fx_other_x")
        db.restore_session(database.schema)
        assert db.query("SELECT @@foreign_key_checks, @@sql_safe_updates, @leftover, DATABASE()") == [
            (1, 0, None, database.schema)
        ]
    finally:
        db.execute("DROP DATABASE fx_other_x")


@pytest.mark.parametrize("database", ["postgres"], indirect=True)
def test_restore_session_postgres(database: ScratchDb, db: Any) -> None:
    role = f"fx_role_{database.database_url().database}"
    db.execute("CREATE SCHEMA app")
    db.execute(f"CREATE ROLE {role}")
    try:
        db.execute(f"SET ROLE {role}")
        db.execute("SET search_path TO pg_catalog")
        db.restore_session("app")
        assert db.current_user() == database.database_url().user
        assert db.query("SELECT current_setting('search_path')") == [('"app","$user", public',)]
        assert db.current_schema() == "app"
        db.restore_session("missing")  # a schema that does not exist: back to the original path
        assert db.query("SELECT current_setting('search_path')") == [('"$user", public',)]
    finally:
        db.execute("RESET ROLE")
        db.execute(f"DROP ROLE {role}")


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_restore_session_sqlite_is_harmless(database: ScratchDb, db: Any) -> None:
    db.restore_session("main")
    assert db.current_schema() == "main"


def test_the_tests_declare_the_capabilities_flywayx_declares(database: ScratchDb, db: Any) -> None:
    """tests/databases.py CAPABILITIES (what the tests skip and branch on) agree with the dialect's own."""
    assert database.caps.transactional_ddl == db.capabilities.transactional_ddl
    assert database.caps.server == db.capabilities.has_schemas


def test_rollback_undoes_ddl_only_where_ddl_is_transactional(database: ScratchDb, db: Any) -> None:
    db.execute("CREATE TABLE kept (id INT)")
    db.begin()
    db.execute("INSERT INTO kept (id) VALUES (1)")
    db.execute("CREATE TABLE maybe (id INT)")
    db.rollback()
    tables = {
        "mariadb": "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
        "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
    }[database.dialect]
    names = {r[0] for r in db.query(tables)}
    assert ("maybe" in names) is (not db.capabilities.transactional_ddl)
    # MySQL's CREATE TABLE committed the INSERT before it; elsewhere the whole block is gone.
    kept_rows = db.query("SELECT COUNT(*) FROM kept")[0][0]
    assert kept_rows == (0 if db.capabilities.transactional_ddl else 1)


def test_commit_is_visible_to_other_sessions_and_rollback_of_dml(database: ScratchDb, db: Any) -> None:
    db.execute("CREATE TABLE t (id INT)")
    other = database.open()
    try:
        db.begin()
        db.execute("INSERT INTO t (id) VALUES (1)")
        db.rollback()
        db.begin()
        db.execute("INSERT INTO t (id) VALUES (2)")
        db.commit()
        assert other.query("SELECT id FROM t") == [(2,)]
    finally:
        other.close()


def test_commit_and_rollback_without_transaction_are_harmless(database: ScratchDb, db: Any) -> None:
    db.commit()
    db.rollback()
    assert db.query("SELECT 1") == [(1,)]


def test_transaction_alive_follows_begin_commit_and_the_servers_implicit_commit(database: ScratchDb, db: Any) -> None:
    db.execute("CREATE TABLE ta (id INT)")
    assert not db.transaction_alive()
    db.begin()
    db.execute("INSERT INTO ta VALUES (1)")
    assert db.transaction_alive()
    if not database.caps.transactional_ddl:  # DDL commits the open transaction on the server: the answer follows it
        db.execute("CREATE TABLE tb (id INT)")
        assert not db.transaction_alive()
        assert database.open().query("SELECT id FROM ta") == [(1,)]
    db.commit()
    assert not db.transaction_alive()


def test_unlock_tables_releases_what_lock_tables_took(database: ScratchDb, db: Any) -> None:
    db.execute("CREATE TABLE la (id INT)")
    db.execute("CREATE TABLE lb (id INT)")
    if database.dialect == "mariadb":
        db.execute("LOCK TABLES la WRITE")
        with pytest.raises(StatementFailed, match="was not locked with LOCK TABLES"):
            db.query("SELECT id FROM lb")
    db.unlock_tables()  # elsewhere there is nothing to release, and nothing happens
    assert db.query("SELECT id FROM lb") == []


def test_execute_returns_rowcount_and_parameters_use_question_marks(database: ScratchDb, db: Any) -> None:
    db.execute("CREATE TABLE t (id INT, name VARCHAR(20))")
    assert db.execute("INSERT INTO t (id, name) VALUES (1, 'a%'), (2, 'b'), (3, 'c')") == 3
    assert db.execute("UPDATE t SET name = 'z' WHERE id > 1") == 2
    assert db.query("SELECT id FROM t WHERE name = ? ORDER BY id", ("z",)) == [(2,), (3,)]
    assert db.query("SELECT id FROM t WHERE name LIKE 'a%' AND id = ?", (1,)) == [(1,)]


@pytest.mark.parametrize("database", ["mariadb"], indirect=True)
def test_execute_consumes_every_result_set(database: ScratchDb, db: Any) -> None:
    db.execute("CREATE PROCEDURE two() BEGIN SELECT 1; SELECT 2; END")
    db.execute("CALL two()")
    assert db.query("SELECT 3") == [(3,)]  # the connection is not left mid-result


def test_statement_failure_is_typed_and_one_line(database: ScratchDb, db: Any) -> None:
    with pytest.raises(StatementFailed) as err:
        db.execute("SELECT * FROM no_such_table")
    assert "no_such_table" in err.value.message and "\n" not in err.value.message
    assert err.value.details["sql"] == "SELECT * FROM no_such_table"
    if database.dialect == "mariadb":
        assert err.value.details["code"] == 1146
    if database.dialect == "postgresql":
        assert err.value.details["sql_state"] == "42P01"
        db.execute("SELECT 1")  # autocommit: the failure left no aborted transaction behind


def test_init_sql_runs_on_connect(database: ScratchDb, db: Any) -> None:
    db.execute("CREATE TABLE t (id INT)")
    other = connect(database.database_url(), user=None, password=None, init_sql="INSERT INTO t (id) VALUES (7)")
    other.close()
    assert db.query("SELECT id FROM t") == [(7,)]
    with pytest.raises(ConnectionFailed, match="initSql failed"):
        connect(database.database_url(), user=None, password=None, init_sql="SELEKT 1")


# --- connecting ------------------------------------------------------------------------------------------


def _assert_clear(err: ConnectionFailed, *parts: str, secret: str | None = None) -> None:
    assert "\n" not in err.message
    for part in parts:
        assert part in err.message, (part, err.message)
    if secret:
        assert secret not in err.message and secret not in (err.hint or "")
    assert err.hint


@pytest.mark.parametrize("dialect", ["mysql", "postgresql"])
def test_refused_port_and_unknown_host(dialect: str) -> None:
    """Needs no server (nothing listens on port 1; the .invalid domain never resolves): no ``db`` marker,
    so the parameter is the URL's dialect, not a server name (tests/markers.py SERVER_ARGS)."""
    with pytest.raises(ConnectionFailed) as refused:
        connect(DatabaseUrl(dialect, host="127.0.0.1", port=1, database="db1"), user="u", password="s3cret!")
    _assert_clear(refused.value, "127.0.0.1:1", "'db1'", "refused", secret="s3cret!")
    with pytest.raises(ConnectionFailed) as unknown:
        connect(
            DatabaseUrl(dialect, host="no-such-host.invalid", port=3306, database="db1"), user="u", password="s3cret!"
        )
    _assert_clear(unknown.value, "no-such-host.invalid:3306", secret="s3cret!")
    assert "host" in (unknown.value.hint or "")


@pytest.mark.parametrize("database", ["mariadb"], indirect=True)
def test_mariadb_wrong_password_and_unknown_database(database: ScratchDb, db: Any) -> None:
    url = database.database_url()
    with pytest.raises(ConnectionFailed) as bad_pw:
        connect(url, user=url.user, password="wrong-pässword")
    _assert_clear(bad_pw.value, f"{url.host}:{url.port}", "Access denied", secret="wrong-pässword")
    assert "password" in (bad_pw.value.hint or "")
    with pytest.raises(ConnectionFailed) as bad_db:
        connect(
            DatabaseUrl("mysql", host=url.host, port=url.port, database="fx_missing_db"),
            user=url.user,
            password=url.password,
        )
    _assert_clear(bad_db.value, "'fx_missing_db'", "Unknown database")
    assert "create the database" in (bad_db.value.hint or "")


@pytest.mark.parametrize("database", ["postgres"], indirect=True)
def test_pg_unknown_role_and_unknown_database(database: ScratchDb, db: Any) -> None:
    url = database.database_url()
    with pytest.raises(ConnectionFailed) as bad_user:
        connect(url, user="fx_nobody", password="hunter2-secret")
    _assert_clear(bad_user.value, f"{url.host}:{url.port}", "fx_nobody", secret="hunter2-secret")
    with pytest.raises(ConnectionFailed) as bad_db:
        connect(
            DatabaseUrl("postgresql", host=url.host, port=url.port, database="fx_missing_db"),
            user=url.user,
            password=None,
        )
    _assert_clear(bad_db.value, "fx_missing_db", "does not exist")


def test_connect_retries_then_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    import flywayx.db.connect as connect_module

    waits: list[float] = []
    monkeypatch.setattr(connect_module, "_sleep", waits.append)
    with pytest.raises(ConnectionFailed):
        connect(
            DatabaseUrl("postgresql", host="127.0.0.1", port=1, database="x"),
            user=None,
            password=None,
            connect_retries=4,
            connect_retries_interval=3,
        )
    assert waits == [1, 2, 3, 3]


def test_sqlite_missing_directory_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "db.sqlite"
    with pytest.raises(ConnectionFailed) as err:
        connect(DatabaseUrl("sqlite", database=str(missing)), user=None, password=None)
    assert "does not exist" in err.value.message and not missing.parent.exists()


def test_sqlite_memory_and_foreign_keys_default_off(tmp_path: Path) -> None:
    mem = connect(DatabaseUrl("sqlite", database=":memory:"), user=None, password=None)
    assert mem.query("PRAGMA foreign_keys") == [(0,)]
    on = connect(
        DatabaseUrl("sqlite", database=str(tmp_path / "fk.db"), params=(("foreign_keys", "true"),)),
        user=None,
        password=None,
    )
    assert on.query("PRAGMA foreign_keys") == [(1,)]
    mem.close()
    on.close()


@pytest.mark.parametrize("database", ["mariadb"], indirect=True)
def test_mysql_url_on_mariadb_server_is_mariadb(database: ScratchDb, db: Any) -> None:
    assert database.database_url().dialect == "mysql"
    assert db.dialect == "mariadb"
    ddl = history(database, db).create_script(None)[0][0]
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


def test_column_names_follow_the_table_as_it_is_now(database: ScratchDb, db: Any) -> None:
    """In order, a dropped column gone, a mixed-case name as written; none for a table that is not there."""
    q = db.capabilities.quote
    db.execute(f"CREATE TABLE cols (a INT, {q}Mixed Case{q} INT, gone INT, z INT)")
    db.execute("ALTER TABLE cols DROP COLUMN gone")
    db.execute("ALTER TABLE cols ADD COLUMN late INT")
    assert db.column_names(database.schema, "cols") == ["a", "Mixed Case", "z", "late"]
    assert db.column_names(database.schema, "no_such_table") == []
    if database.dialect == "postgresql":  # a name is exact there: an unquoted COLS would be cols
        assert db.column_names(database.schema, "COLS") == []
