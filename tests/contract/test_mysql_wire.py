"""``flywayx.db.mysql_wire`` reads results straight from the packets, through a few of PyMySQL's own
connection internals. The oracle is PyMySQL's cursor on the same connection. PyMySQL 1.1 has no
``Connection._current_timeout`` (1.2 switches the socket's timeout with it): a connection without it
must read the same (flywayx requires PyMySQL >= 1.1; every migrate on 1.1 failed with AttributeError)."""

from __future__ import annotations

from typing import Any

import pytest

from flywayx.db import mysql_wire
from tests.databases import ScratchDb

QUERY = (
    "SELECT 1 AS n, 'é' AS s, CAST('x' AS BINARY) AS b, NULL AS z, 2.50 AS d, DATE '2026-12-07' AS day"
    " UNION ALL SELECT 2, 'b', CAST('y' AS BINARY), NULL, 3.25, DATE '2026-12-08'"
)


_ABSENT = object()


def _read(conn: Any, like_pymysql_1_1: bool) -> mysql_wire.Result:
    """``read_result``; ``like_pymysql_1_1``: with the connection's ``_current_timeout`` gone while it
    reads (PyMySQL 1.2's own writes need it, so it is put back after)."""
    saved = conn.__dict__.pop("_current_timeout", _ABSENT) if like_pymysql_1_1 else _ABSENT
    try:
        return mysql_wire.read_result(conn)
    finally:
        if saved is not _ABSENT:
            conn._current_timeout = saved


def _through_the_wire(conn: Any, sql: str, like_pymysql_1_1: bool) -> list[tuple[Any, ...]]:
    mysql_wire.send_query(conn, sql)
    result = _read(conn, like_pymysql_1_1)
    assert not result.has_next
    return result.rows or []


def _through_the_cursor(conn: Any, sql: str) -> list[tuple[Any, ...]]:
    with conn.cursor() as cur:
        cur.execute(sql)
        return list(cur.fetchall())


@pytest.mark.parametrize("pymysql_1_1", [False, True], ids=["as installed", "without _current_timeout"])
def test_rows_read_from_the_packets_are_pymysqls_rows(mariadb: ScratchDb, pymysql_1_1: bool) -> None:
    conn = mariadb.connect()
    try:
        assert _through_the_wire(conn, QUERY, pymysql_1_1) == _through_the_cursor(conn, QUERY)
        mysql_wire.send_query(conn, "SELECT * FROM no_such_table")
        with pytest.raises(Exception, match="no_such_table"):  # the server's error, as PyMySQL raises it
            _read(conn, pymysql_1_1)
        assert _through_the_wire(conn, "SELECT 41 + 1", pymysql_1_1) == [(42,)]  # still in step
    finally:
        conn.close()
