"""The Java ports run on a real MariaDB and leave what the Java leaves (information_schema)."""

from __future__ import annotations

from typing import Any

from java_equiv import upgrade_461to470, upgrade_481to490


def _one(conn: Any, sql: str, *args: object) -> Any:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def _column(conn: Any, schema: str, table: str, column: str) -> Any:
    return _one(
        conn,
        "SELECT column_type, is_nullable, column_default FROM information_schema.columns "
        "WHERE table_schema=%s AND table_name=%s AND column_name=%s",
        schema,
        table,
        column,
    )


def test_461to470_adds_quota_calculated_once(mariadb: Any) -> None:
    conn = mariadb.connect()
    _one(conn, "CREATE TABLE cloud_usage (id bigint PRIMARY KEY)")
    upgrade_461to470.migrate(conn, usage=mariadb.name)
    upgrade_461to470.migrate(conn, usage=mariadb.name)  # already there: tolerated, like the Java
    assert _column(conn, mariadb.name, "cloud_usage", "quota_calculated") == (("tinyint(1)", "NO", "0"),)


def test_481to490_adds_role_id_and_maps_account_types(mariadb: Any) -> None:
    conn = mariadb.connect()
    _one(conn, "CREATE TABLE roles (id bigint unsigned PRIMARY KEY)")
    _one(conn, "INSERT INTO roles VALUES (1), (2), (3), (4)")
    _one(conn, "CREATE TABLE account (id bigint unsigned PRIMARY KEY, type int, removed datetime)")
    _one(conn, "INSERT INTO account (id, type) VALUES (1, 1), (2, 0), (3, 2), (4, 3), (5, 5)")
    # cloud_usage.account lives in a second scratch schema
    other = mariadb.name + "_u"
    _one(conn, f"CREATE DATABASE `{other}`")
    try:
        _one(conn, f"CREATE TABLE `{other}`.account (id bigint unsigned PRIMARY KEY, type int)")
        upgrade_481to490.migrate(conn, cloud=mariadb.name, usage=other)
        got = dict(_one(conn, "SELECT id, role_id FROM account"))
        assert got == {1: 1, 2: 4, 3: 3, 4: 2, 5: None}
        fks = _one(
            conn,
            "SELECT constraint_name FROM information_schema.referential_constraints "
            "WHERE constraint_schema=%s AND referenced_table_name='roles'",
            mariadb.name,
        )
        assert fks == (("fk_account__role_id",),)
        assert _column(conn, other, "account", "role_id") == (("bigint(20) unsigned", "YES", "NULL"),)
        upgrade_481to490.migrate(conn, cloud=mariadb.name, usage=other)  # second run: skipped, no error
    finally:
        _one(conn, f"DROP DATABASE `{other}`")
