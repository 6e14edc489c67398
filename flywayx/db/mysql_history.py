"""Flyway's MySQL/MariaDB history table (``flyway_schema_history``): its DDL and row locks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flywayx.db.history import WRITE_COLUMNS, SqlHistoryTable
from flywayx.model import HistoryRow

if TYPE_CHECKING:
    from flywayx.db.mysql import MySQLDatabase


class MySQLHistoryTable(SqlHistoryTable):
    """Flyway's MySQL/MariaDB history table; the baseline row comes with the table (CTAS)."""

    db: MySQLDatabase

    def exists(self) -> bool:
        return bool(
            self.db.query(
                "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
                (self.schema, self.table),
            )
        )

    def create_script(self, baseline: HistoryRow | None) -> list[tuple[str, tuple[Any, ...]]]:
        pk = "" if self.db.dialect == "mariadb" else self.db.quote(self.table + "_pk")
        tablespace = f" TABLESPACE {self.db.quote(self.tablespace)}" if self.tablespace else ""
        ctas_ok = baseline is not None and self.db.ctas_allowed()
        ctas, params = self._ctas(baseline) if ctas_ok else ("", ())
        ddl = (
            f"CREATE TABLE {self.qualified} (\n"
            "    `installed_rank` INT NOT NULL,\n"
            "    `version` VARCHAR(50),\n"
            "    `description` VARCHAR(200) NOT NULL,\n"
            "    `type` VARCHAR(20) NOT NULL,\n"
            "    `script` VARCHAR(1000) NOT NULL,\n"
            "    `checksum` INT,\n"
            "    `installed_by` VARCHAR(100) NOT NULL,\n"
            "    `installed_on` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"
            "    `execution_time` INT NOT NULL,\n"
            "    `success` BOOL NOT NULL,\n"
            f"    CONSTRAINT {pk} PRIMARY KEY (`installed_rank`)\n"
            f"){tablespace}{ctas}"
        )
        index = f"CREATE INDEX {self.db.quote(self.table + '_s_idx')} ON {self.qualified} (`success`)"
        inserts = [] if ctas_ok else self.baseline_insert(baseline)
        return [(ddl, params), *inserts, (index, ())]

    def _ctas(self, row: HistoryRow | None) -> tuple[str, tuple[Any, ...]]:
        """Flyway's ``AS SELECT`` baseline clause; text values bound, so quotes in them are safe."""
        if row is None:
            return "", ()
        values = dict(
            zip(
                WRITE_COLUMNS,
                (
                    row.installed_rank,
                    row.version.text if row.version else None,
                    row.description,
                    row.type,
                    row.script,
                    row.checksum,
                    row.installed_by,
                    row.execution_time,
                    row.success,
                ),
                strict=True,
            )
        )
        select = (
            f' AS SELECT {int(row.installed_rank)} as "installed_rank", ? as "version",'
            ' ? as "description", ? as "type", ? as "script", NULL as "checksum",'
            ' ? as "installed_by", CURRENT_TIMESTAMP as "installed_on",'
            f' {int(row.execution_time)} as "execution_time", {"TRUE" if row.success else "FALSE"}'
            ' as "success"'
        )
        return select, tuple(values[c] for c in ("version", "description", "type", "script", "installed_by"))

    def _numbered_insert(self, values: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
        """MySQL refuses the target table in a VALUES subquery; INSERT … SELECT reads it, and under
        REPEATABLE READ locks the highest row and the gap after it (shared next-key locks) until the
        commit, so a concurrent insert of the same rank waits, as with ``next_rank``'s FOR UPDATE."""
        cols = ", ".join(self._q(c) for c in WRITE_COLUMNS)
        return (
            f"INSERT INTO {self.qualified} ({cols}) SELECT COALESCE(MAX(`installed_rank`), 0) + 1, "
            f"{', '.join('?' * len(values))} FROM {self.qualified}",
            values,
        )

    def lock_rows(self) -> None:
        """Lock every history row, as Flyway's ``SELECT * FROM t FOR UPDATE`` does, inside the transaction
        that inserts the row; only the key is sent back (the lock is the same, the traffic is not)."""
        self.db.query(f"SELECT installed_rank FROM {self.qualified} FOR UPDATE")

    def next_rank(self) -> int:
        """The next rank, locking the highest row (and the gap after it) in one query: a concurrent
        insert, or Flyway's ``SELECT * … FOR UPDATE``, waits for this transaction. Reading only the
        highest key keeps the cost per migration flat however long the history grows."""
        top = self.db.query(f"SELECT MAX(installed_rank) FROM {self.qualified} FOR UPDATE")[0][0]
        return int(top) + 1 if top is not None else 1
