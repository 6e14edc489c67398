"""Flyway's PostgreSQL history table (``flyway_schema_history``): its DDL and read prefix."""

from __future__ import annotations

from typing import Any

from flywayx.db.history import SqlHistoryTable
from flywayx.model import HistoryRow


class PostgresHistoryTable(SqlHistoryTable):
    """Flyway's PostgreSQL history table: table, [baseline insert], primary key, index."""

    def exists(self) -> bool:
        return bool(
            self.db.query(
                "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p')",
                (self.schema, self.table),
            )
        )

    def create_script(self, baseline: HistoryRow | None) -> list[tuple[str, tuple[Any, ...]]]:
        space = self.db.quote(self.tablespace) if self.tablespace else ""
        ts = f" TABLESPACE {space}" if space else ""
        index_ts = f" USING INDEX TABLESPACE {space}" if space else ""
        ddl = (
            f"CREATE TABLE {self.qualified} (\n"
            '    "installed_rank" INT NOT NULL,\n'
            '    "version" VARCHAR(50),\n'
            '    "description" VARCHAR(200) NOT NULL,\n'
            '    "type" VARCHAR(20) NOT NULL,\n'
            '    "script" VARCHAR(1000) NOT NULL,\n'
            '    "checksum" INTEGER,\n'
            '    "installed_by" VARCHAR(100) NOT NULL,\n'
            '    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),\n'
            '    "execution_time" INTEGER NOT NULL,\n'
            '    "success" BOOLEAN NOT NULL\n'
            f"){ts}"
        )
        pk = (
            f"ALTER TABLE {self.qualified} ADD CONSTRAINT {self.db.quote(self.table + '_pk')}"
            f' PRIMARY KEY ("installed_rank"){index_ts}'
        )
        index = f'CREATE INDEX {self.db.quote(self.table + "_s_idx")} ON {self.qualified} ("success"){ts}'
        return [(ddl, ()), *self.baseline_insert(baseline), (pk, ()), (index, ())]

    def _read_prefix(self) -> str:
        return "/*NO LOAD BALANCE*/\n"

    @property
    def false_literal(self) -> str:
        return "false"

    def bool_value(self, value: bool) -> Any:
        return value
