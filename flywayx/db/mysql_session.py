"""A MySQL/MariaDB session's reset before each migration, and acting on it from a second connection.

Flyway's rule: each migration starts from the session a new connection would have. flywayx resets
``foreign_key_checks`` and ``sql_safe_updates`` to the values read at connect, ``USE``s the default
schema and clears the user variables set (read from the server: MariaDB's ``USER_VARIABLES``
plugin, MySQL 8's ``performance_schema``). ``KILL``/``KILL QUERY`` come from a second connection
(the interrupt handler, the socket limit).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

USER_VARIABLE_SOURCES = (
    "SELECT VARIABLE_NAME FROM information_schema.USER_VARIABLES",  # MariaDB plugin
    "SELECT VARIABLE_NAME FROM performance_schema.user_variables_by_thread"
    " WHERE THREAD_ID = PS_CURRENT_THREAD_ID() AND VARIABLE_VALUE IS NOT NULL",  # MySQL 8
)


def probe_user_variables(query: Callable[[str], Any]) -> str | None:
    """The query that lists this session's user variables, or None where the server has none."""
    for sql in USER_VARIABLE_SOURCES:
        try:
            query(sql)
            return sql
        except Exception:  # not available on this server; try the next source
            continue
    return None


def reset_statements(original: tuple[int, int], schema_quoted: str | None, names_sql: str | None) -> list[str]:
    """The reset, in order: the settings read at connect, ``USE`` the schema, the user variables' names."""
    fk, safe = original
    batch = [f"SET foreign_key_checks = {fk:d}, sql_safe_updates = {safe:d}"]
    if schema_quoted:
        batch.append(f"USE {schema_quoted}")
    return [*batch, *([names_sql] if names_sql else [])]


def kill(where: dict[str, Any], thread_id: int, *, query_only: bool, timeout: float) -> None:
    """``KILL [QUERY] thread_id`` from a new connection; best effort (never raises)."""
    import pymysql

    try:
        killer = pymysql.connect(**where, connect_timeout=timeout, read_timeout=timeout, autocommit=True)
        try:
            killer.cursor().execute(f"KILL {'QUERY ' if query_only else ''}{int(thread_id)}")
        finally:
            killer.close()
    except Exception:  # unreachable: the statement runs to its end, or the session expires when idle
        return
