"""Flyway's history table: the exact DDL text per dialect, reading tolerance, and MySQL's row lock.

The DDL texts below are the ones Flyway generates (flyway-semantics.md §4.1); flywayx must emit
them character for character, so a table created by either tool is the same table. The live
column definitions are checked on real servers in test_db_contract.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from flywayx.db.connect import StatementFailed, connect
from flywayx.db.history import SqlHistoryTable, row_from_mapping
from flywayx.db.mysql import MySQLDatabase
from flywayx.db.mysql_history import MySQLHistoryTable
from flywayx.db.postgres import PostgresDatabase
from flywayx.db.postgres_history import PostgresHistoryTable
from flywayx.db.sqlite import SqliteDatabase, SqliteHistoryTable
from flywayx.model import DatabaseUrl, HistoryRow, Version

MYSQL_DDL = """CREATE TABLE `db`.`flyway_schema_history` (
    `installed_rank` INT NOT NULL,
    `version` VARCHAR(50),
    `description` VARCHAR(200) NOT NULL,
    `type` VARCHAR(20) NOT NULL,
    `script` VARCHAR(1000) NOT NULL,
    `checksum` INT,
    `installed_by` VARCHAR(100) NOT NULL,
    `installed_on` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    `execution_time` INT NOT NULL,
    `success` BOOL NOT NULL,
    CONSTRAINT `flyway_schema_history_pk` PRIMARY KEY (`installed_rank`)
);
CREATE INDEX `flyway_schema_history_s_idx` ON `db`.`flyway_schema_history` (`success`);"""

PG_DDL = """CREATE TABLE "public"."flyway_schema_history" (
    "installed_rank" INT NOT NULL,
    "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL,
    "checksum" INTEGER,
    "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
    "execution_time" INTEGER NOT NULL,
    "success" BOOLEAN NOT NULL
);
""" + (
    'ALTER TABLE "public"."flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk"'
    ' PRIMARY KEY ("installed_rank");\n'
    'CREATE INDEX "flyway_schema_history_s_idx" ON "public"."flyway_schema_history" ("success");'
)

SQLITE_DDL = """CREATE TABLE "main"."flyway_schema_history" (
    "installed_rank" INT NOT NULL PRIMARY KEY,
    "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL,
    "checksum" INT,
    "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')),
    "execution_time" INT NOT NULL,
    "success" BOOLEAN NOT NULL
);
CREATE INDEX "main"."flyway_schema_history_s_idx" ON "flyway_schema_history" ("success");"""

BASE_TEXT = "<< Flyway Baseline >>"
BASELINE = HistoryRow(1, Version.parse("1"), BASE_TEXT, "BASELINE", BASE_TEXT, None, "admin", 0, True)


def _offline(cls: Any, dialect: str, ctas: bool = True) -> Any:
    """A Database object with no connection: enough to render DDL text."""
    db = cls.__new__(cls)
    db.dialect = dialect
    db.ctas_allowed = lambda: ctas
    return db


def _script(table: SqlHistoryTable, baseline: HistoryRow | None = None) -> str:
    return "\n".join(sql + ";" for sql, _ in table.create_script(baseline))


def test_mysql_ddl_is_flyways() -> None:
    table = MySQLHistoryTable(_offline(MySQLDatabase, "mysql"), "db", "flyway_schema_history")
    assert _script(table) == MYSQL_DDL


def test_mariadb_ddl_leaves_the_constraint_unnamed() -> None:
    table = MySQLHistoryTable(_offline(MySQLDatabase, "mariadb"), "db", "flyway_schema_history")
    expected = MYSQL_DDL.replace("CONSTRAINT `flyway_schema_history_pk` PRIMARY", "CONSTRAINT  PRIMARY")
    assert _script(table) == expected


def test_mysql_baseline_is_create_table_as_select() -> None:
    table = MySQLHistoryTable(_offline(MySQLDatabase, "mysql"), "db", "flyway_schema_history")
    (ddl, params), (index, no_params) = table.create_script(BASELINE)
    assert ddl.endswith(
        ') AS SELECT 1 as "installed_rank", ? as "version", ? as "description", ? as "type", ? as "script",'
        ' NULL as "checksum", ? as "installed_by", CURRENT_TIMESTAMP as "installed_on",'
        ' 0 as "execution_time", TRUE as "success"'
    )
    assert params == ("1", "<< Flyway Baseline >>", "BASELINE", "<< Flyway Baseline >>", "admin")
    assert index.startswith("CREATE INDEX") and no_params == ()


def test_mysql_baseline_is_an_insert_where_ctas_is_refused() -> None:
    table = MySQLHistoryTable(_offline(MySQLDatabase, "mysql", ctas=False), "db", "flyway_schema_history")
    steps = table.create_script(BASELINE)
    assert "\n".join(sql + ";" for sql, _ in steps[:1] + steps[2:]) == MYSQL_DDL
    assert steps[1][0].startswith("INSERT INTO `db`.`flyway_schema_history` (`installed_rank`, `version`")
    assert steps[1][1] == (1, "1", BASE_TEXT, "BASELINE", BASE_TEXT, None, "admin", 0, 1)


def test_mysql_tablespace() -> None:
    # Flyway writes TABLESPACE "ts1", a syntax error on MariaDB outside ANSI_QUOTES: flywayx quotes the
    # identifier with backticks (a backtick inside doubled), as every other MySQL identifier
    table = MySQLHistoryTable(_offline(MySQLDatabase, "mysql"), "db", "flyway_schema_history", "ts1")
    assert "`installed_rank`)\n) TABLESPACE `ts1`;" in _script(table)
    odd = MySQLHistoryTable(_offline(MySQLDatabase, "mysql"), "db", "flyway_schema_history", 'a`b"c')
    assert ') TABLESPACE `a``b"c`;' in _script(odd)


def test_pg_ddl_is_flyways_with_baseline_insert_before_the_key() -> None:
    table = PostgresHistoryTable(_offline(PostgresDatabase, "postgresql"), "public", "flyway_schema_history")
    assert _script(table) == PG_DDL
    steps = table.create_script(BASELINE)
    assert [sql.split(" ")[0] for sql, _ in steps] == ["CREATE", "INSERT", "ALTER", "CREATE"]
    assert steps[1][1] == (1, "1", BASE_TEXT, "BASELINE", BASE_TEXT, None, "admin", 0, True)


def test_pg_tablespace() -> None:
    db = _offline(PostgresDatabase, "postgresql")
    table = PostgresHistoryTable(db, "public", "flyway_schema_history", "ts")
    text = _script(table)
    assert '"success" BOOLEAN NOT NULL\n) TABLESPACE "ts";' in text
    assert 'PRIMARY KEY ("installed_rank") USING INDEX TABLESPACE "ts";' in text
    assert 'ON "public"."flyway_schema_history" ("success") TABLESPACE "ts";' in text
    odd = _script(PostgresHistoryTable(db, "public", "flyway_schema_history", 'a"; b'))
    assert odd.count('TABLESPACE "a""; b"') == 3


def test_sqlite_ddl_is_flyways() -> None:
    table = SqliteHistoryTable(_offline(SqliteDatabase, "sqlite"), "main", "flyway_schema_history")
    assert _script(table) == SQLITE_DDL
    steps = table.create_script(BASELINE)
    assert steps[1][1][-1] == 1  # success written as 1 on SQLite


def test_quotes_inside_names_are_doubled() -> None:
    table = PostgresHistoryTable(_offline(PostgresDatabase, "postgresql"), 'we"ird', "h")
    assert table.qualified == '"we""ird"."h"'


# --- reading ------------------------------------------------------------------------------------------------


def _mapping(**over: Any) -> dict[str, Any]:
    base = {
        "installed_rank": 3,
        "version": "1.10",
        "description": "d",
        "type": "SQL",
        "script": "V1_10__d.sql",
        "checksum": -7,
        "installed_on": None,
        "installed_by": "me",
        "execution_time": 12,
        "success": 1,
    }
    return {**base, **over}


def test_row_mapping_reads_each_driver_shape() -> None:
    r = row_from_mapping(_mapping(installed_on="2024-01-15 10:00:00.123"))
    assert r.version == Version.parse("1.10") and r.version.text == "1.10" and r.success is True
    assert r.installed_on == datetime(2024, 1, 15, 10, 0, 0, 123000)
    assert row_from_mapping(_mapping(success=False, checksum=None)).checksum is None
    assert row_from_mapping(_mapping(installed_on="yesterday")).installed_on is None
    assert row_from_mapping(_mapping(version=None, type="UNDO_JDBC")).mtype is not None


def test_unknown_types_survive_a_read() -> None:
    r = row_from_mapping(_mapping(type="SOMETHING_NEW"))
    assert r.type == "SOMETHING_NEW" and r.mtype is None


# --- MySQL's SELECT ... FOR UPDATE around inserts -------------------------------------------------------


@pytest.fixture
def maria_two(mariadb: Any) -> Iterator[tuple[Any, Any]]:
    url = DatabaseUrl(
        "mysql",
        host=mariadb.host,
        port=mariadb.port,
        database=mariadb.name,
        user=mariadb.user,
        password=mariadb.password or None,
    )
    a, b = connect(url, user=None, password=None), connect(url, user=None, password=None)
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def test_mysql_lock_rows_blocks_a_concurrent_writer_until_commit(maria_two: tuple[Any, Any]) -> None:
    a, b = maria_two
    ha = a.history(a.current_schema(), "flyway_schema_history")
    ha.create()
    b.execute("SET SESSION innodb_lock_wait_timeout = 1")
    hb = b.history(b.current_schema(), "flyway_schema_history")
    a.begin()
    ha.lock_rows()
    ha.insert(HistoryRow(1, Version.parse("1"), "one", "SQL", "V1__one.sql", 5, "a", 3, True))
    b.begin()
    with pytest.raises(StatementFailed) as err:
        hb.lock_rows()
    assert err.value.details["code"] == 1205  # lock wait timeout
    b.rollback()
    a.commit()
    b.begin()
    hb.lock_rows()
    b.commit()
    assert [r.description for r in hb.rows()] == ["one"]


def test_lock_rows_is_a_no_op_where_ddl_is_transactional(tmp_path: Any) -> None:
    db = connect(DatabaseUrl("sqlite", database=str(tmp_path / "x.db")), user=None, password=None)
    h = db.history("main", "flyway_schema_history")
    h.create()
    h.lock_rows()
    assert not db.transaction_alive()
    db.close()
