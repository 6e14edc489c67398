"""Flyway's ``flyway_schema_history`` table: the SQL the dialects share.

Reading and writing follow flyway-semantics.md §4.2/§4.3 to the letter: the same column list, the
same ``WHERE installed_rank > ? ORDER BY installed_rank`` read, ``installed_on`` never written (the
database default fills it), description cut to 200 and script to 1000 characters as Flyway cuts
them (``flywayx.model.abbrev``). The DDL differs per dialect and lives in each dialect module,
which subclasses ``SqlHistoryTable`` and provides ``create_script``.

Rows of types community Flyway rejects (``UNDO_SQL``, ``UNDO_JDBC``, anything else) are read as
they are; ``HistoryRow.type`` keeps the raw string.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from flywayx.db.connect import DbapiDatabase
from flywayx.model import HistoryRow, Version
from flywayx.model.abbrev import abbreviate_description, abbreviate_script

WRITE_COLUMNS = (
    "installed_rank",
    "version",
    "description",
    "type",
    "script",
    "checksum",
    "installed_by",
    "execution_time",
    "success",
)
READ_COLUMNS = (
    "installed_rank",
    "version",
    "description",
    "type",
    "script",
    "checksum",
    "installed_on",
    "installed_by",
    "execution_time",
    "success",
)


def row_from_mapping(m: Mapping[str, Any]) -> HistoryRow:
    """A HistoryRow from a result row keyed by lower-cased column name."""
    return row_from_values(tuple(m[c] for c in READ_COLUMNS))


def row_from_values(values: Sequence[Any]) -> HistoryRow:
    """A HistoryRow from the values of ``READ_COLUMNS``, in that order (a driver's row as it comes)."""
    rank, version, description, mtype, script, checksum, installed_on, installed_by, took, success = values
    return HistoryRow(
        int(rank),
        None if version is None else Version.parse(str(version)),
        description or "",
        str(mtype),
        script or "",
        None if checksum is None else int(checksum),
        installed_by or "",
        int(took or 0),
        bool(int(success)),
        parse_installed_on(installed_on),
    )


def parse_installed_on(value: Any) -> datetime | None:
    """A datetime as stored; SQLite's text (``2024-01-15 10:00:00.123``) is parsed, oddities give None."""
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _version_text(row: HistoryRow) -> str | None:
    return row.version.text if row.version is not None else None


class SqlHistoryTable:
    """``HistoryTable`` over a ``DbapiDatabase``. Subclasses give the DDL and the row lock."""

    def __init__(self, db: DbapiDatabase, schema: str, table: str, tablespace: str | None = None) -> None:
        self.db = db
        self.schema = schema
        self.table = table
        self.tablespace = tablespace
        self._texts: dict[tuple[object, ...], str] = {}  # SQL text asked for at every step, built once

    @property
    def qualified(self) -> str:
        """The quoted name, as Flyway prints it: `` `db`.`t` `` or ``"public"."t"``."""
        return self.db.quote(self.schema, self.table)

    def exists(self) -> bool:
        raise NotImplementedError

    def create_script(self, baseline: HistoryRow | None) -> list[tuple[str, tuple[Any, ...]]]:
        """The statements (with ``?`` parameters) that create the table, baseline row included."""
        raise NotImplementedError

    def create(self, baseline: HistoryRow | None = None) -> None:
        """Create with Flyway's DDL, in one transaction where DDL is transactional."""
        with self.db.transaction():
            for sql, params in self.create_script(baseline):
                self.db.run(sql, params)

    def baseline_insert(self, row: HistoryRow | None) -> list[tuple[str, tuple[Any, ...]]]:
        """The INSERT of a baseline marker written with the table (values as given, not abbreviated)."""
        if row is None:
            return []
        values = (
            row.installed_rank,
            _version_text(row),
            row.description,
            row.type,
            row.script,
            row.checksum,
            row.installed_by,
            row.execution_time,
            self.bool_value(row.success),
        )
        return [(self._insert_sql(), values)]

    def _insert_sql(self) -> str:
        cols = ", ".join(self._q(c) for c in WRITE_COLUMNS)
        return f"INSERT INTO {self.qualified} ({cols}) VALUES ({', '.join('?' * len(WRITE_COLUMNS))})"

    def rows(self, after_rank: int = -1) -> list[HistoryRow]:
        sql = (
            f"SELECT {', '.join(self._q(c) for c in READ_COLUMNS)} FROM {self.qualified}"
            f" WHERE {self._q('installed_rank')} > ? ORDER BY {self._q('installed_rank')}"
        )
        return list(map(row_from_values, self.db.query(self._read_prefix() + sql, (after_rank,))))

    def _read_prefix(self) -> str:
        return ""

    def insert(self, row: HistoryRow) -> None:
        """Insert ``row``; description and script are abbreviated as Flyway does."""
        self.db.run(self._insert_sql(), self._values(row))

    def insert_next(self, row: HistoryRow) -> None:
        """Insert ``row`` as the next rank (highest + 1, taken by the server in the same statement;
        ``row.installed_rank`` is not used), sent with the next statement (``Database.later``)."""
        values = self._values(row)[1:]
        key = ("insert_next", self.schema, self.table, len(values))
        sql = self._texts.get(key)
        if sql is None:
            sql = self._texts[key] = self._numbered_insert(values)[0]
        self.db.later(sql, values)

    def _numbered_insert(self, values: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
        cols = ", ".join(self._q(c) for c in WRITE_COLUMNS)
        rank = f"(SELECT COALESCE(MAX({self._q('installed_rank')}), 0) + 1 FROM {self.qualified})"
        return f"INSERT INTO {self.qualified} ({cols}) VALUES ({rank}, {', '.join('?' * len(values))})", values

    def _values(self, row: HistoryRow) -> tuple[Any, ...]:
        return (
            row.installed_rank,
            _version_text(row),
            abbreviate_description(row.description),
            row.type,
            abbreviate_script(row.script),
            row.checksum,
            row.installed_by,
            row.execution_time,
            self.bool_value(row.success),
        )

    def delete_failed(self, version: str | None, description: str | None) -> int:
        """Delete failed rows of ``version`` (display text) or, when None, of repeatable ``description``."""
        if version is not None:
            where, params = f"{self._q('version')} = ?", (version,)
        elif description is not None:
            where, params = f"{self._q('version')} IS NULL AND {self._q('description')} = ?", (description,)
        else:
            raise ValueError("delete_failed needs a version or a description")
        sql = f"DELETE FROM {self.qualified} WHERE {self._q('success')} = {self.false_literal} AND {where}"
        return self.db.run(sql, params)

    def update(self, installed_rank: int, description: str, type_: str, checksum: int | None) -> None:
        sql = (
            f"UPDATE {self.qualified} SET {self._q('description')} = ?, {self._q('type')} = ?, "
            f"{self._q('checksum')} = ? WHERE {self._q('installed_rank')} = ?"
        )
        self.db.run(sql, (abbreviate_description(description), type_, checksum, installed_rank))

    def lock_rows(self) -> None:
        return None

    def token(self, also: str = "0") -> tuple[int | None, int, int]:
        """(highest rank, failed rows, ``also``) in one query: changes whenever a runner adds a row (the
        rank grows) or removes one (repair and resume only remove failed rows). Both come from indexes,
        so the cost does not grow with the history. ``also``: one more scalar SQL expression read in the
        same round trip (the engine's count of interrupted runs, ``OwnTables.running_sql``)."""
        row = self.db.query(self.token_sql(also))[0]
        return (int(row[0]) if row[0] is not None else None), int(row[1]), int(row[2] or 0)

    def token_sql(self, also: str = "0") -> str:
        """The query ``token`` sends (the engine ``prefetch``es it with the lock)."""
        key = ("token", self.schema, self.table, also)
        known = self._texts.get(key)
        if known is None:
            q = self._q
            known = self._texts[key] = (
                f"SELECT (SELECT MAX({q('installed_rank')}) FROM {self.qualified}),"
                f" (SELECT COUNT(*) FROM {self.qualified} WHERE {q('success')} = {self.false_literal}),"
                f" {also}"
            )
        return known

    def next_rank(self) -> int:
        self.lock_rows()
        top = self.db.query(f"SELECT MAX({self._q('installed_rank')}) FROM {self.qualified}")[0][0]
        return int(top) + 1 if top is not None else 1

    @property
    def false_literal(self) -> str:
        return "0"

    def bool_value(self, value: bool) -> Any:
        return 1 if value else 0

    def _q(self, name: str) -> str:
        return self.db.quote(name)
