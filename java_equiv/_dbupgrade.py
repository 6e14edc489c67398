"""CloudStack's ``DbUpgradeUtils`` (and the ``DatabaseAccessObject`` behind it), in Python.

Contract, as in the Java: every helper *logs and swallows* a database error instead of failing the
upgrade (an index that cannot be created, a key that is already gone). Only errors the server
reports are swallowed; anything else (a bug, a lost connection object) propagates.

The Java names tables unqualified and relies on the connection's default database being
``cloud``; these helpers qualify every table with ``schema`` (default ``cloud``) instead, so they
do the same on a connection with no default database, and tests can point them at a scratch schema.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from java_equiv._db import execute, rows

LOG = logging.getLogger("flywayx.acs.dbupgrade")


def _server_error(err: Exception) -> bool:
    """A DBAPI error raised for a server answer carries the MySQL errno as its first argument."""
    return bool(err.args) and isinstance(err.args[0], int)


def tolerant(conn: Any, sql: str, params: tuple[object, ...] = ()) -> bool:
    """Run ``sql``; on a server error log it and return False, like the DAO's catch blocks."""
    try:
        execute(conn, sql, params)
    except Exception as err:
        if not _server_error(err):
            raise
        LOG.debug("ignored: %s (%s)", sql, err)
        return False
    return True


def index_name(table: str, *columns: str) -> str:
    """``i_<table>__<col1>__<col2>``, the Java's generateIndexName."""
    return "i_" + table + "__" + "__".join(columns)


def qualified(schema: str, table: str) -> str:
    return f"`{schema}`.`{table}`"


def index_exists(conn: Any, table: str, name: str, *, schema: str = "cloud") -> bool:
    try:
        return bool(rows(conn, f"SHOW INDEXES FROM {qualified(schema, table)} WHERE Key_name = %s", (name,)))
    except Exception as err:
        if not _server_error(err):
            raise
        return False


def add_index_if_needed(conn: Any, table: str, *columns: str, schema: str = "cloud") -> bool:
    """Create ``i_<table>__<cols>`` on ``columns`` unless an index of that name exists.

    Returns True when it was created now."""
    name = index_name(table, *columns)
    if index_exists(conn, table, name, schema=schema):
        return False
    return tolerant(conn, f"CREATE INDEX {name} ON {qualified(schema, table)} ({', '.join(columns)})")


def rename_index_if_needed(conn: Any, table: str, old: str, new: str, *, schema: str = "cloud") -> bool:
    """The Java renames only when ``old`` does *not* exist (an inverted test in
    DbUpgradeUtils.renameIndexIfNeeded), so the rename always fails and is logged. Kept as is:
    the port must leave what CloudStack leaves."""
    if index_exists(conn, table, old, schema=schema):
        return False
    return tolerant(conn, f"ALTER TABLE {qualified(schema, table)} RENAME INDEX {old} TO {new}")


def add_foreign_key(
    conn: Any, table: str, column: str, ref_table: str, ref_column: str, *, schema: str = "cloud"
) -> bool:
    """``fk_<table>__<column>``; fails (logged) when it exists already, as in the Java."""
    name = f"fk_{table}__{column}"
    return tolerant(
        conn,
        f"ALTER TABLE {qualified(schema, table)} ADD CONSTRAINT `{name}` FOREIGN KEY `{name}`"
        f"(`{column}`) REFERENCES {qualified(schema, ref_table)}(`{ref_column}`)",
    )


def drop_keys_if_exist(conn: Any, table: str, keys: Iterable[str], foreign: bool, *, schema: str = "cloud") -> None:
    kind = "FOREIGN KEY" if foreign else "KEY"
    for key in keys:
        tolerant(conn, f"ALTER TABLE {qualified(schema, table)} DROP {kind} {key}")


def column_exists(conn: Any, table: str, column: str, *, schema: str = "cloud") -> bool:
    """The Java probes with ``SELECT <column> FROM <table>``; a LIMIT keeps the probe cheap."""
    try:
        rows(conn, f"SELECT `{column}` FROM {qualified(schema, table)} LIMIT 0")
    except Exception as err:
        if not _server_error(err):
            raise
        return False
    return True


def column_type(conn: Any, table: str, column: str, *, schema: str = "cloud") -> str | None:
    """``DESCRIBE``'s Type of the column (``varchar(255)``), None when unknown."""
    try:
        found = rows(conn, f"DESCRIBE {qualified(schema, table)} `{column}`")
    except Exception as err:
        if not _server_error(err):
            raise
        return None
    return str(found[0][1]) if found else None


def add_column_if_not_exist(conn: Any, table: str, column: str, definition: str, *, schema: str = "cloud") -> None:
    if not column_exists(conn, table, column, schema=schema):
        tolerant(conn, f"ALTER TABLE {qualified(schema, table)} ADD COLUMN `{column}` {definition}")


def change_column_if_exist(
    conn: Any, table: str, old: str, new: str, definition: str, *, schema: str = "cloud"
) -> None:
    """Java's changeTableColumnIfNotExist: changes the column when ``old`` *does* exist."""
    if column_exists(conn, table, old, schema=schema):
        tolerant(conn, f"ALTER TABLE {qualified(schema, table)} CHANGE COLUMN `{old}` `{new}` {definition}")


def drop_columns_if_exist(conn: Any, table: str, columns: Iterable[str], *, schema: str = "cloud") -> None:
    for column in columns:
        if column_exists(conn, table, column, schema=schema):
            tolerant(conn, f"ALTER TABLE {qualified(schema, table)} DROP COLUMN `{column}`")
