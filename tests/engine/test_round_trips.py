"""The per-migration budget of round trips (docs/decisions/round-trips.md), counted on the real servers.

Every request flywayx's connection sends is counted (PyMySQL's packets; psycopg's executes and
commits, and on PostgreSQL the queries flywayx sends on the connection itself: a pipeline, or a query of
its own with several statements, is one) while a run applies 10, then 20 more small migrations
(``CREATE TABLE`` + 2 ``INSERT``); the difference over 20 is the cost of one migration, and the result
is read back with the server's own client library, not flywayx.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult
from tests.databases import ScratchDb


def _write(loc: Path, first: int, last: int) -> None:
    loc.mkdir(exist_ok=True)
    for i in range(first, last + 1):
        (loc / f"V{i}__t{i}.sql").write_text(
            f"CREATE TABLE t{i} (id INT PRIMARY KEY, v VARCHAR(9));\n"
            f"INSERT INTO t{i} VALUES (1, 'a');\nINSERT INTO t{i} VALUES (2, 'b');\n",
            encoding="utf-8",
        )


def _per_migration(db: ScratchDb, tmp_path: Path, cli_run: Callable[..., CliResult], count: list[int]) -> float:
    loc = tmp_path / "m"
    _write(loc, 1, 10)
    assert cli_run("--url", db.url, "--locations", str(loc), "migrate").code == 0
    _write(loc, 11, 30)
    before = count[0]
    r = cli_run("--url", db.url, "--locations", str(loc), "migrate")
    assert r.code == 0, r.err
    after = count[0]
    # the same run with nothing to do: what a run costs whatever it applies
    base_before = count[0]
    assert cli_run("--url", db.url, "--locations", str(loc), "migrate").code == 0
    base = count[0] - base_before
    conn: Any = db.connect()
    try:
        cur = conn.cursor()
        cur.execute(
            "SELECT COUNT(*), MAX(installed_rank), MIN(CAST(success AS INT)) FROM flyway_schema_history"
            if "postgresql" in db.url
            else "SELECT COUNT(*), MAX(installed_rank), MIN(success) FROM flyway_schema_history"
        )
        assert tuple(cur.fetchone()) == (30, 30, 1)
        cur.execute("SELECT COUNT(*) FROM t30")
        assert cur.fetchone()[0] == 2
        cur.execute("SELECT COUNT(*) FROM flywayx_applied")
        assert cur.fetchone()[0] == 30
    finally:
        conn.close()
    return (after - before - base) / 20


def test_mariadb_migration_round_trips(
    mariadb: ScratchDb, tmp_path: Path, cli_run: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    import pymysql.connections as pc

    count = [0]
    send = pc.Connection._execute_command

    def counted(self: Any, command: int, sql: Any) -> Any:
        count[0] += 1
        return send(self, command, sql)

    monkeypatch.setattr(pc.Connection, "_execute_command", counted)
    per = _per_migration(mariadb, tmp_path, cli_run, count)
    # [the last step's history row, flywayx row, progress removal, this step's progress record (written
    # ahead), COMMIT, release, GET_LOCK, token, session reset], [BEGIN, CREATE, SHOW WARNINGS, BEGIN,
    # 2 INSERTs]: 2; plus the ~15 queries of the run's schema fingerprint for verify (the run without
    # work takes none), spread over the 20
    assert per <= 3.0, per


def test_postgresql_migration_round_trips(
    postgres: ScratchDb, tmp_path: Path, cli_run: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    from flywayx.db.postgres import PostgresDatabase

    count = [0]
    execute, commit = psycopg.Cursor.execute, psycopg.Connection.commit
    pipeline, simple = PostgresDatabase._pipeline, PostgresDatabase._simple

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        count[0] += 1
        return execute(self, *args, **kwargs)

    def counted_commit(self: Any) -> Any:
        count[0] += 1
        return commit(self)

    def counted_pipeline(self: Any, *args: Any, **kwargs: Any) -> Any:
        count[0] += 1  # one round trip: its statements go in one write, their results come back together
        return pipeline(self, *args, **kwargs)

    def counted_simple(self: Any, *args: Any, **kwargs: Any) -> Any:
        count[0] += 1
        return simple(self, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", counted)
    monkeypatch.setattr(psycopg.Connection, "commit", counted_commit)
    monkeypatch.setattr(PostgresDatabase, "_pipeline", counted_pipeline)
    monkeypatch.setattr(PostgresDatabase, "_simple", counted_simple)
    per = _per_migration(postgres, tmp_path, cli_run, count)
    # [the last step's unlock, lock, token, session reset], [BEGIN and the 3 statements in a pipeline],
    # [history row, flywayx row, COMMIT]: 3; plus the run's schema fingerprint, spread over the 20
    assert 3.0 <= per <= 4.0, per  # at least the 3: every way flywayx sends is counted
