"""Each dialect's DDL for the operations, through SQLAlchemy's DDL compiler (imported here, lazily).

``Sql(dialect)`` wraps one SQLAlchemy dialect object (MariaDB, MySQL or PostgreSQL): tables,
columns, indexes and constraints are built as SQLAlchemy schema objects and compiled by that
dialect's DDL compiler; names are quoted by its identifier preparer (only where the dialect needs
it). What SQLAlchemy has no construct for — ``ALTER TABLE … ADD/DROP COLUMN`` around a compiled
column specification, triggers, and the batched backfill blocks — is composed here from compiled
pieces and quoted names. Types and default expressions are passed through as written.

This module is imported only when an operations file is compiled (``flywayx.operations.compile``):
nothing else in flywayx loads SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flywayx.operations.spec import ColumnSpec, OperationError


def _dialect(name: str) -> Any:
    try:
        from sqlalchemy.dialects import mysql, postgresql
    except ImportError as err:  # pragma: no cover - SQLAlchemy is a dependency
        raise OperationError("operations files need SQLAlchemy", hint="pip install 'SQLAlchemy>=2'") from err
    if name == "postgresql":
        return postgresql.dialect()  # type: ignore[no-untyped-call]
    if name in ("mysql", "mariadb"):
        return mysql.dialect(is_mariadb=name == "mariadb")
    raise OperationError(
        f"operations files compile for MySQL/MariaDB and PostgreSQL, not {name}",
        hint="write this migration as SQL for this database",
    )


class Sql:
    """SQL text for one dialect: quoted names, compiled DDL."""

    def __init__(self, dialect: str) -> None:
        self.name = dialect
        self.mysql = dialect in ("mysql", "mariadb")
        self.dialect = _dialect(dialect)
        self.prep = self.dialect.identifier_preparer

    def q(self, name: str) -> str:
        """``name`` quoted as the dialect needs (reserved words, capitals)."""
        return str(self.prep.quote(name))

    def _compile(self, construct: Any) -> str:
        return str(construct.compile(dialect=self.dialect)).strip()

    def _column(self, spec: ColumnSpec) -> Any:
        from sqlalchemy import Column, text
        from sqlalchemy.types import UserDefinedType

        class Written(UserDefinedType[Any]):
            """A type exactly as the operation wrote it (``VARCHAR(255)``, ``jsonb``)."""

            cache_ok = True

            def __init__(self, spec: str) -> None:
                self.spec = spec

            def get_col_spec(self, **_: Any) -> str:
                return self.spec

        default = text(spec.default) if spec.default is not None else None
        return Column(
            spec.name,
            Written(spec.type),
            nullable=spec.nullable and not spec.primary_key,
            primary_key=spec.primary_key,
            autoincrement=False,
            server_default=default,
        )

    def _table(self, name: str, columns: Sequence[ColumnSpec] = ()) -> Any:
        from sqlalchemy import MetaData, Table

        return Table(name, MetaData(), *(self._column(c) for c in columns))

    def create_table(self, table: str, columns: Sequence[ColumnSpec]) -> str:
        from sqlalchemy.schema import CreateTable

        return self._compile(CreateTable(self._table(table, columns)))

    def drop_table(self, table: str) -> str:
        from sqlalchemy.schema import DropTable

        return self._compile(DropTable(self._table(table)))

    def column_spec(self, table: str, spec: ColumnSpec) -> str:
        from sqlalchemy.schema import CreateColumn

        t = self._table(table, [spec])
        return self._compile(CreateColumn(t.c[spec.name]))

    def add_column(self, table: str, spec: ColumnSpec, after: str | None = None) -> str:
        place = f" AFTER {self.q(after)}" if after and self.mysql else ""
        return f"ALTER TABLE {self.q(table)} ADD COLUMN {self.column_spec(table, spec)}{place}{self.online('add')}"

    def online(self, change: str) -> str:
        """The MySQL/MariaDB clause that makes the server refuse, rather than copy the table under a lock:
        MariaDB adds a column instantly (any position, 10.4+); MySQL in place without a lock."""
        if not self.mysql:
            return ""
        return ", ALGORITHM=INSTANT" if change == "add" and self.name == "mariadb" else ", ALGORITHM=INPLACE, LOCK=NONE"

    def drop_column(self, table: str, column: str) -> str:
        return f"ALTER TABLE {self.q(table)} DROP COLUMN {self.q(column)}"

    def create_index(self, table: str, name: str, columns: Sequence[str], unique: bool) -> str:
        from sqlalchemy import Index
        from sqlalchemy.schema import CreateIndex

        t = self._table(table, [ColumnSpec(c, "INT") for c in columns])
        sql = self._compile(
            CreateIndex(Index(name, *(t.c[c] for c in columns), unique=unique, postgresql_concurrently=True))
        )
        return sql + (" ALGORITHM=INPLACE LOCK=NONE" if self.mysql else "")

    def add_foreign_key(
        self,
        table: str,
        name: str,
        columns: Sequence[str],
        ref_table: str,
        ref_columns: Sequence[str],
        on_delete: str | None,
    ) -> str:
        from sqlalchemy import ForeignKeyConstraint, MetaData, Table
        from sqlalchemy.schema import AddConstraint

        meta = MetaData()
        Table(ref_table, meta, *(self._column(ColumnSpec(c, "INT")) for c in ref_columns))
        fk = ForeignKeyConstraint(
            list(columns), [f"{ref_table}.{c}" for c in ref_columns], name=name, ondelete=on_delete
        )
        Table(table, meta, *(self._column(ColumnSpec(c, "INT")) for c in columns), fk)
        return self._compile(AddConstraint(fk)) + ("" if self.mysql else " NOT VALID")

    def add_check(self, table: str, name: str, expression: str) -> str:
        from sqlalchemy import CheckConstraint, text
        from sqlalchemy.schema import AddConstraint

        check = CheckConstraint(text(expression), name=name)
        self._table(table).append_constraint(check)
        return self._compile(AddConstraint(check)) + ("" if self.mysql else " NOT VALID")

    def drop_constraint(self, table: str, name: str) -> str:
        return f"ALTER TABLE {self.q(table)} DROP CONSTRAINT {self.q(name)}"

    def validate(self, table: str, name: str) -> str:
        """PostgreSQL: check the rows of a NOT VALID constraint without blocking writes."""
        return f"ALTER TABLE {self.q(table)} VALIDATE CONSTRAINT {self.q(name)}"

    def update(self, table: str, column: str, expression: str, where: str) -> str:
        """``UPDATE table SET column = expression WHERE where`` (SQLAlchemy's UPDATE compiler)."""
        from sqlalchemy import column as col
        from sqlalchemy import table as tab
        from sqlalchemy import text, update

        t = tab(table, col(column))
        return self._compile(update(t).values({column: text(expression)}).where(text(where)))


__all__ = ["Sql"]
