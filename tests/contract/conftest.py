"""The contract suite runs every scenario on SQLite, MariaDB and PostgreSQL (real servers)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult


@dataclass
class Target:
    """A database under test: its URL, dialect, and a raw query helper for assertions."""

    url: str
    dialect: str
    query: Callable[[str], list[tuple[Any, ...]]]
    execute: Callable[[str], None]
    schema: str


def _sqlite(tmp_path: Path) -> Target:
    import sqlite3

    path = tmp_path / "t.db"

    def query(sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(path) as c:
            return list(c.execute(sql).fetchall())

    def execute(sql: str) -> None:
        with sqlite3.connect(path) as c:
            c.executescript(sql)

    return Target(f"sqlite:///{path}", "sqlite", query, execute, "main")


@pytest.fixture(params=["sqlite", "mariadb", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    if request.param == "sqlite":
        return _sqlite(tmp_path)
    db = request.getfixturevalue(request.param)

    def query(sql: str) -> list[tuple[Any, ...]]:
        conn: Any = db.connect()
        try:
            cur = conn.cursor()
            cur.execute(sql)
            return [tuple(r) for r in cur.fetchall()] if cur.description else []
        finally:
            conn.close()

    def execute(sql: str) -> None:
        query(sql)

    dialect = "mariadb" if request.param == "mariadb" else "postgresql"
    schema = db.name if request.param == "mariadb" else "public"
    return Target(db.url, dialect, query, execute, schema)


Result = CliResult
