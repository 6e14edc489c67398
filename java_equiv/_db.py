"""Small helpers shared by the ports: DDL that tolerates "already done", like the Java does."""

from __future__ import annotations

from typing import Any

# MySQL/MariaDB error numbers the Java treats as "already applied".
DUPLICATE_COLUMN = 1060
DUPLICATE_KEY_NAME = 1061


def execute(conn: Any, sql: str, params: tuple[object, ...] = ()) -> int:
    """Run one statement; return the affected row count."""
    with conn.cursor() as cur:
        return int(cur.execute(sql, params) or 0)


def rows(conn: Any, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def execute_unless(conn: Any, sql: str, *errnos: int) -> bool:
    """Run DDL; False (nothing done) when the server answers one of ``errnos``."""
    try:
        execute(conn, sql)
    except Exception as err:
        if err.args and err.args[0] in errnos:
            return False
        raise
    return True


def column_exists(conn: Any, schema: str, table: str, column: str) -> bool:
    found = rows(
        conn,
        "SELECT 1 FROM information_schema.columns WHERE table_schema = %s AND table_name = %s AND column_name = %s",
        (schema, table, column),
    )
    return bool(found)
