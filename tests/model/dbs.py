"""What the model test reads back from its scratch databases (``tests.databases.ScratchDb``: a SQLite file,
a MariaDB or a PostgreSQL database per example), without flywayx: the history rows, the effects present
(tables, columns with their type, rows) and a full snapshot; the fingerprint is ``ScratchDb.fingerprint``."""

from __future__ import annotations

from collections import Counter
from contextlib import closing
from typing import Any

from tests.databases import ScratchDb


def own(table: str) -> bool:
    """Flyway's history table or one of flywayx's own tables (not an effect of a migration)."""
    return table == "flyway_schema_history" or table.startswith("flywayx_")


def has_history(db: ScratchDb) -> bool:
    return "flyway_schema_history" in db.tables()


def history(db: ScratchDb) -> list[tuple[int, str | None, str, str, str, int | None, bool]]:
    """(rank, version, description, type, script, checksum, success) of every row."""
    if not has_history(db):
        return []
    rows = db.query(
        "SELECT installed_rank, version, description, type, script, checksum, success "
        "FROM flyway_schema_history ORDER BY installed_rank"
    )
    return [(int(r[0]), r[1], str(r[2]), str(r[3]), str(r[4]), r[5], bool(r[6])) for r in rows]


def execute_all(db: ScratchDb, statements: list[str]) -> None:
    """Run ``statements`` on one connection (an existing schema built by hand, without flywayx)."""
    with closing(db.connect()) as conn:
        cur = conn.cursor()
        for sql in statements:
            cur.execute(sql)
        if db.dialect == "sqlite":
            conn.commit()


def effects(db: ScratchDb) -> Counter[tuple[str, ...]]:
    """Every effect present: tables, columns (with type) other than ``id``, rows — counted."""
    out: Counter[tuple[str, ...]] = Counter()
    for table in db.tables():
        if own(table):
            continue
        out[("table", table)] += 1
        for column, kind in _columns(db, table):
            if column != "id":
                out[("column", table, column, kind)] += 1
        for (row_id,) in db.query(f"SELECT id FROM {table}"):
            out[("row", table, str(row_id))] += 1
    return out


def _columns(db: ScratchDb, table: str) -> list[tuple[str, str]]:
    if db.dialect == "sqlite":
        cols = [(r[1], r[2]) for r in db.query(f"PRAGMA table_info({table})")]
    else:
        cols = db.query(
            "SELECT column_name, data_type FROM information_schema.columns "
            f"WHERE table_schema = '{db.schema}' AND table_name = '{table}'"
        )
    return [(str(c), "VARCHAR" if "CHAR" in str(t).upper() else "INT") for c, t in cols]


def snapshot(db: ScratchDb) -> dict[str, Any]:
    """Every table's rows and the catalog (what a dry run or a refusal must leave untouched)."""
    files = sorted(p.name for p in db.path.parent.glob(db.path.name + "*")) if db.path is not None else []
    tables = db.tables()
    return {
        "files": files,
        "tables": {t: sorted(map(repr, db.query(f"SELECT * FROM {t}"))) for t in tables},
        "columns": {t: _columns(db, t) for t in tables},
    }
