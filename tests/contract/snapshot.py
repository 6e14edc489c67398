"""A full snapshot of a test database: every object the catalog lists and every row of every table.

Two snapshots are equal only when nothing changed: no schema object, no history row, no flywayx
table or row, no lock row, no created schema (PostgreSQL), and — for SQLite — no file appeared
beside the database (lock file, journal) and the database file itself was not created.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.databases import ScratchDb


def snapshot(t: ScratchDb) -> dict[str, Any]:
    if t.dialect == "sqlite":
        path = Path(t.url.removeprefix("sqlite:///"))
        files = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in path.parent.glob(path.name + "*"))
        if not path.exists():
            return {"files": files}
    catalog = _catalog(t)
    tables = sorted({r[1] for r in catalog if r[0] in ("table", "BASE TABLE")})
    rows = {name: sorted(repr(r) for r in t.query(f"SELECT * FROM {_q(t, name)}")) for name in tables}
    out: dict[str, Any] = {"catalog": catalog, "rows": rows}
    if t.dialect == "sqlite":
        out["files"] = files
    if t.dialect == "postgresql":
        out["schemas"] = t.query(
            "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
            "AND nspname <> 'information_schema' ORDER BY 1"
        )
    return out


def _q(t: ScratchDb, name: str) -> str:
    if t.dialect == "mariadb":
        return f"`{t.schema}`.`{name}`"
    return f'"{t.schema}"."{name}"' if t.dialect == "postgresql" else f'"{name}"'


def _catalog(t: ScratchDb) -> list[tuple[Any, ...]]:
    """(kind, name, detail...) for every object, sorted: tables, columns, indexes, views, routines."""
    if t.dialect == "sqlite":
        return sorted(t.query("SELECT type, name, tbl_name, sql FROM sqlite_master"), key=repr)
    s = t.schema
    queries = [
        f"SELECT table_type, table_name, '' FROM information_schema.tables WHERE table_schema = '{s}'",
        f"SELECT 'column', table_name, column_name, data_type, is_nullable, column_default "
        f"FROM information_schema.columns WHERE table_schema = '{s}'",
        f"SELECT 'view', table_name, view_definition FROM information_schema.views WHERE table_schema = '{s}'",
        f"SELECT 'routine', routine_name, routine_type FROM information_schema.routines WHERE routine_schema = '{s}'",
    ]
    if t.dialect == "mariadb":
        queries.append(
            f"SELECT 'index', table_name, index_name, column_name, seq_in_index "
            f"FROM information_schema.statistics WHERE table_schema = '{s}'"
        )
    else:
        queries.append(f"SELECT 'index', tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = '{s}'")
    return sorted((tuple(r) for q in queries for r in t.query(q)), key=repr)
