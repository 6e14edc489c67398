"""The hand-freeing statement the cluster lock's timeout hint shows is valid SQL that names exactly the
lock, whatever characters the name holds and whatever the server's sql_mode (the real server parses
it; a name pasted between quotes as it was would break on a quote, and a backslash reads differently
under NO_BACKSLASH_ESCAPES)."""

from __future__ import annotations

from typing import Any

import pytest

from flywayx.db.cluster_lock import ClusterLock, sql_string

NAMES = ["Flyway--1513956136", "it's", "back\\slash", "both' \\' \\", "\\", "''", "naïve ✓"]


@pytest.mark.parametrize("mode", ["", "NO_BACKSLASH_ESCAPES,ANSI_QUOTES"])
def test_the_literal_means_the_name_in_every_sql_mode(mode: str, mariadb: Any) -> None:
    conn: Any = mariadb.connect()
    try:
        cur = conn.cursor()
        cur.execute("SET NAMES utf8mb4")
        cur.execute(f"SET SESSION sql_mode = '{mode}'")
        for name in NAMES:
            cur.execute(f"SELECT {sql_string(name)}")
            assert cur.fetchone()[0] == name
    finally:
        conn.close()


def test_the_hint_deletes_only_that_lock_row(mariadb: Any) -> None:
    import pymysql

    def connect() -> Any:
        return pymysql.connect(
            host=mariadb.host,
            port=mariadb.port,
            user=mariadb.user,
            password=mariadb.password,
            database=mariadb.name,
            autocommit=True,
            charset="utf8mb4",
        )

    lock = ClusterLock(connect, mariadb.name, "flyway_schema_history", node="n1", ttl=60)
    lock.name = "it's \\ odd"  # a name no real lock has, to prove the quoting
    lock.ensure_table()
    assert lock.try_acquire()
    other = connect()
    try:
        other.cursor().execute(
            "INSERT INTO flywayx_lock SELECT 'neighbour', holder, node, acquired_at, heartbeat_at,"
            " expires_at FROM flywayx_lock"
        )
        described = lock.describe_holder()
        assert described is not None
        statement = described.split("; ", 1)[1].removesuffix(" frees it by hand")
        assert statement.startswith("DELETE FROM ")
        cur = other.cursor()
        cur.execute(statement)
        cur.execute("SELECT lock_name FROM flywayx_lock")
        assert cur.fetchall() == (("neighbour",),)
    finally:
        other.close()
        lock.close()
