"""SQLite through the standard library's sqlite3.

- The URL's database is a file path or ``:memory:``. A missing file is created, as sqlite-jdbc
  does; a missing parent directory is an error (flywayx does not guess where a database belongs).
- Foreign-key enforcement stays at SQLite's default, off, as with Flyway's sqlite-jdbc driver;
  ``?foreign_keys=true`` in the URL turns it on.
- The driver runs in autocommit mode (``isolation_level=None``); ``begin()`` opens a real
  transaction, so DDL rolls back.
- The only schema is ``main``; creating schemas is not supported (Flyway refuses too).
- Locking: SQLite has no server lock, so flywayx serialises processes with a lock file beside the
  database (see ``flywayx.db.locks.file_lock``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from flywayx.db.base import Capabilities
from flywayx.db.connect import DbapiDatabase, connection_failed
from flywayx.db.history import SqlHistoryTable
from flywayx.db.locks import file_lock
from flywayx.db.timeouts import Timeouts
from flywayx.errors import StateError
from flywayx.model import DatabaseUrl, HistoryRow

CAPABILITIES = Capabilities(transactional_ddl=True, lock_kind="file", has_schemas=False, quote='"')
_IGNORED_TABLES = ("android_metadata", "sqlite_sequence")


def open_sqlite(
    url: DatabaseUrl, user: str | None, password: str | None, *, read_only: bool = False, limits: Timeouts | None = None
) -> SqliteDatabase:
    """Open (or create) the database file; ConnectionFailed if its directory is missing.

    ``read_only``: an existing file is opened read-only; a missing one is not created (an empty
    in-memory database stands in for it, which is what a new file would be). ``limits``: a file has
    no network to time out; accepted for the common signature."""
    import sqlite3

    path = url.database or ":memory:"
    parent = os.path.dirname(os.path.abspath(path))
    if path != ":memory:" and not os.path.isdir(parent):
        raise connection_failed(
            url,
            f"directory '{parent}' does not exist",
            "create the directory first, or fix the path in the URL",
            [password],
        )
    try:
        conn = _read_only(sqlite3, path) if read_only else sqlite3.connect(path, isolation_level=None)
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1")  # fails here if the file is not a database
    except sqlite3.Error as err:
        raise connection_failed(
            url, str(err), "check that the file is an SQLite database and readable", [password]
        ) from None
    db = SqliteDatabase(conn, [password or ""], path)
    if dict(url.params).get("foreign_keys", "").lower() == "true":
        db.execute("PRAGMA foreign_keys = ON")
    return db


def _read_only(sqlite3: Any, path: str) -> Any:
    if path == ":memory:" or not os.path.exists(path):
        return sqlite3.connect(":memory:", isolation_level=None)
    return sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None)


class SqliteDatabase(DbapiDatabase):
    """One SQLite database file (schema ``main``)."""

    dialect = "sqlite"
    capabilities = CAPABILITIES
    _format_params = False

    def __init__(self, conn: Any, secrets: list[str], path: str) -> None:
        super().__init__(conn, secrets)
        self.path = path

    def cancel(self) -> None:
        """``sqlite3_interrupt``: the running statement fails with "interrupted"."""
        try:
            self._conn.interrupt()
        except Exception:  # a closed connection has nothing to interrupt
            return

    def _driver_errors(self) -> tuple[type[Exception], ...]:
        import sqlite3

        return (sqlite3.Error,)

    def _describe(self, err: Exception) -> tuple[str, Any, str | None]:
        return str(err), getattr(err, "sqlite_errorname", None), None

    def _server_in_transaction(self) -> bool:
        return bool(self._conn.in_transaction)

    def execute(self, sql: str) -> int:
        """As ``DbapiDatabase.execute``; a statement that ended flywayx's transaction (the script's own
        ``COMMIT``, ``END`` or ``ROLLBACK``) is followed by a ``BEGIN``: what follows runs in a new
        transaction, committed with the history row or rolled back on a failure, as on PostgreSQL and
        as Flyway's JDBC connection (autocommit off) opens one before the next statement."""
        count = super().execute(sql)
        if self._in_tx and not self._conn.in_transaction:
            super().execute("BEGIN")
        return count

    def server_version(self) -> str:
        return str(self.query("SELECT sqlite_version()")[0][0])

    def current_user(self) -> str:
        return ""

    def current_schema(self) -> str | None:
        return "main"

    def database_name(self) -> str:
        return "main"

    def column_names(self, schema: str, table: str) -> list[str]:
        return [str(r[1]) for r in self.query(f"PRAGMA {self.quote(schema)}.table_info({self.quote(table)})")]

    def table_columns(self, schema: str, tables: Sequence[str]) -> dict[str, list[str]]:
        """A pragma per table: SQLite answers in-process, no round trip to save."""
        found = {table: self.column_names(schema, table) for table in tables}
        return {table: cols for table, cols in found.items() if cols}

    def schema_exists(self, schema: str) -> bool:
        return any(row[1] == schema for row in self.query("PRAGMA database_list"))

    def create_schema(self, schema: str) -> None:
        raise StateError(
            f"SQLite does not support creating schemas. Schema not created: {schema}",
            hint="use the schema 'main', or ATTACH the database yourself in init_sql",
        )

    def schema_is_empty(self, schema: str) -> bool:
        """No tables other than ``android_metadata``, ``sqlite_sequence`` and SQLite's own ``sqlite_*``."""
        return not self._objects(schema, "table")

    def _objects(self, schema: str, kind: str) -> list[str]:
        rows = self.query(
            f"SELECT name FROM {self.quote(schema)}.sqlite_master WHERE type = ?"
            " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
            (kind,),
        )
        return [str(r[0]) for r in rows if r[0] not in _IGNORED_TABLES]

    def clean_schema(self, schema: str, drop: bool) -> None:
        """Drop every view, trigger and table; ``drop`` is ignored (a file's schema cannot be dropped).

        With ``foreign_keys`` on, enforcement is paused (outside a transaction, where SQLite allows it)
        so that dropping a referenced table does not fail on the rows that reference it.
        """
        enforcing = bool(self.query("PRAGMA foreign_keys")[0][0]) and not self._server_in_transaction()
        if enforcing:
            self.execute("PRAGMA foreign_keys = OFF")
        try:
            for kind in ("view", "trigger", "table"):
                for name in self._objects(schema, kind):
                    self.execute(f"DROP {kind.upper()} IF EXISTS {self.quote(schema, name)}")
        finally:
            if enforcing:
                self.execute("PRAGMA foreign_keys = ON")
        if self.query(f"SELECT 1 FROM {self.quote(schema)}.sqlite_master WHERE name = 'sqlite_sequence'"):
            self.execute(f"DELETE FROM {self.quote(schema)}.sqlite_sequence")

    def history(self, schema: str, table: str, tablespace: str | None = None) -> SqliteHistoryTable:
        return SqliteHistoryTable(self, schema, table, tablespace)

    def lock(
        self, schema: str, table: str, timeout: float, *, lazy_release: bool = False, probe: bool = False
    ) -> AbstractContextManager[None]:
        return file_lock(self.path, timeout)

    def restore_session(self, default_schema: str, *, ahead: bool = False) -> None:
        """Nothing to restore: SQLite has no session schema or role."""
        return None


class SqliteHistoryTable(SqlHistoryTable):
    """Flyway's SQLite history table (``installed_on`` is UTC text with milliseconds)."""

    def exists(self) -> bool:
        return bool(
            self.db.query(
                f"SELECT 1 FROM {self.db.quote(self.schema)}.sqlite_master WHERE type = 'table' AND name = ?",
                (self.table,),
            )
        )

    def create_script(self, baseline: HistoryRow | None) -> list[tuple[str, tuple[Any, ...]]]:
        ddl = (
            f"CREATE TABLE {self.qualified} (\n"
            '    "installed_rank" INT NOT NULL PRIMARY KEY,\n'
            '    "version" VARCHAR(50),\n'
            '    "description" VARCHAR(200) NOT NULL,\n'
            '    "type" VARCHAR(20) NOT NULL,\n'
            '    "script" VARCHAR(1000) NOT NULL,\n'
            '    "checksum" INT,\n'
            '    "installed_by" VARCHAR(100) NOT NULL,\n'
            "    \"installed_on\" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')),\n"
            '    "execution_time" INT NOT NULL,\n'
            '    "success" BOOLEAN NOT NULL\n'
            ")"
        )
        index = (
            f"CREATE INDEX {self.db.quote(self.schema, self.table + '_s_idx')}"
            f' ON {self.db.quote(self.table)} ("success")'
        )
        return [(ddl, ()), *self.baseline_insert(baseline), (index, ())]
