"""Databases for the model test: a scratch database per example (SQLite file, MariaDB database,
PostgreSQL database), read back without flywayx: the history rows, the effects present (tables,
columns with their type, rows), a full snapshot, and the schema fingerprint."""

from __future__ import annotations

import sqlite3
import uuid
from collections import Counter
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flywayx.db.fingerprint import fingerprint
from flywayx.model.fingerprint import SchemaFingerprint
from tests.databases import MARIADB_URL, POSTGRES_URL
from tests.markers import require_marker


def own(table: str) -> bool:
    """Flyway's history table or one of flywayx's own tables (not an effect of a migration)."""
    return table == "flyway_schema_history" or table.startswith("flywayx_")


class Db:
    """One scratch database of ``dialect`` ("sqlite", "mariadb", "postgresql")."""

    def __init__(self, dialect: str, folder: Path) -> None:
        self.dialect = dialect
        self.name = "fxm_" + uuid.uuid4().hex[:10]
        if dialect != "sqlite":
            require_marker(dialect)
        if dialect == "sqlite":
            self.path = folder / f"{self.name}.db"
            self.url = f"sqlite:///{self.path}"
        elif dialect == "mariadb":
            u = urlsplit(MARIADB_URL)
            self._admin(f"CREATE DATABASE `{self.name}`")
            self.url = f"mysql://{u.username or 'root'}@{u.hostname}:{u.port or 3306}/{self.name}"
        else:
            u = urlsplit(POSTGRES_URL)
            self._admin(f'CREATE DATABASE "{self.name}"')
            self.url = f"postgresql://{u.username or 'postgres'}@{u.hostname}:{u.port or 5432}/{self.name}"
        self.schema = {"sqlite": "main", "mariadb": self.name, "postgresql": "public"}[dialect]

    # connections -------------------------------------------------------------------------------------
    def _admin(self, sql: str) -> None:
        if self.dialect == "mariadb":
            import pymysql

            u = urlsplit(MARIADB_URL)
            conn = pymysql.connect(host=u.hostname, port=u.port or 3306, user=u.username or "root",
                                   password=u.password or "", autocommit=True)
        else:
            import psycopg

            u = urlsplit(POSTGRES_URL)
            conn = psycopg.connect(host=u.hostname, port=u.port or 5432, user=u.username or "postgres",
                                   password=u.password or None, dbname=u.path.lstrip("/") or "postgres",
                                   autocommit=True)
        with closing(conn):
            conn.cursor().execute(sql)

    def connect(self) -> Any:
        if self.dialect == "sqlite":
            return sqlite3.connect(self.path)
        if self.dialect == "mariadb":
            import pymysql

            u = urlsplit(MARIADB_URL)
            return pymysql.connect(host=u.hostname, port=u.port or 3306, user=u.username or "root",
                                   password=u.password or "", database=self.name, autocommit=True)
        import psycopg

        u = urlsplit(POSTGRES_URL)
        return psycopg.connect(host=u.hostname, port=u.port or 5432, user=u.username or "postgres",
                               password=u.password or None, dbname=self.name, autocommit=True)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.dialect == "sqlite" and not self.path.exists():
            return []
        with closing(self.connect()) as conn:
            cur = conn.cursor()
            cur.execute(sql)
            rows = [tuple(r) for r in cur.fetchall()] if cur.description else []
            if self.dialect == "sqlite":
                conn.commit()
            return rows

    def execute(self, statements: list[str]) -> None:
        with closing(self.connect()) as conn:
            cur = conn.cursor()
            for sql in statements:
                cur.execute(sql)
            if self.dialect == "sqlite":
                conn.commit()

    def drop(self) -> None:
        if self.dialect == "sqlite":
            for p in self.path.parent.glob(self.path.name + "*"):
                p.unlink()
        elif self.dialect == "mariadb":
            self._admin(f"DROP DATABASE IF EXISTS `{self.name}`")
        else:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    # reading -----------------------------------------------------------------------------------------
    def tables(self) -> list[str]:
        if self.dialect == "sqlite":
            rows = self.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        else:
            rows = self.query(f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{self.schema}'"
                              " AND table_type = 'BASE TABLE'")
        return sorted(str(r[0]) for r in rows)

    def has_history(self) -> bool:
        return "flyway_schema_history" in self.tables()

    def history(self) -> list[tuple[int, str | None, str, str, str, int | None, bool]]:
        """(rank, version, description, type, script, checksum, success) of every row."""
        if not self.has_history():
            return []
        rows = self.query("SELECT installed_rank, version, description, type, script, checksum, success "
                          "FROM flyway_schema_history ORDER BY installed_rank")
        return [(int(r[0]), r[1], str(r[2]), str(r[3]), str(r[4]), r[5], bool(r[6])) for r in rows]

    def effects(self) -> Counter[tuple[str, ...]]:
        """Every effect present: tables, columns (with type) other than ``id``, rows — counted."""
        out: Counter[tuple[str, ...]] = Counter()
        for table in self.tables():
            if own(table):
                continue
            out[("table", table)] += 1
            for column, kind in self._columns(table):
                if column != "id":
                    out[("column", table, column, kind)] += 1
            for (row_id,) in self.query(f"SELECT id FROM {table}"):
                out[("row", table, str(row_id))] += 1
        return out

    def _columns(self, table: str) -> list[tuple[str, str]]:
        if self.dialect == "sqlite":
            cols = [(r[1], r[2]) for r in self.query(f"PRAGMA table_info({table})")]
        else:
            cols = self.query("SELECT column_name, data_type FROM information_schema.columns "
                              f"WHERE table_schema = '{self.schema}' AND table_name = '{table}'")
        return [(str(c), "VARCHAR" if "CHAR" in str(t).upper() else "INT") for c, t in cols]

    def snapshot(self) -> dict[str, Any]:
        """Every table's rows and the catalog (what a dry run or a refusal must leave untouched)."""
        files = sorted(p.name for p in self.path.parent.glob(self.path.name + "*")) if self.dialect == "sqlite" \
            else []
        return {"files": files, "tables": {t: sorted(map(repr, self.query(f"SELECT * FROM {t}")))
                                           for t in self.tables()},
                "columns": {t: self._columns(t) for t in self.tables()}}

    def fingerprint(self) -> SchemaFingerprint:
        with closing(self.connect()) as conn:
            return fingerprint(conn, self.dialect, [] if self.dialect == "sqlite" else [self.schema])
