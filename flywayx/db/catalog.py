"""Whether one object is in the catalog: the question ``--resume`` asks after a kill.

``has(db, kind, schema, name, table)`` looks ``name`` up in information_schema (MySQL/MariaDB) or
pg_catalog (PostgreSQL); names compare case-insensitively (a MySQL/MariaDB schema through
``spellings``). Kinds: ``relation`` (table, view, sequence), ``column``, ``index``, ``primary`` (the
table has a primary key), ``constraint`` (foreign key, check, unique), ``procedure``, ``function``,
``trigger``, ``event``, ``schema``. ``table`` None for an index, constraint or trigger means any table
of the schema. An unknown kind raises KeyError.
"""

from __future__ import annotations

from flywayx.db.base import Database

_IS = "information_schema"
# The schema column is compared with ``=`` and the schema as the server spells it (``spellings``): that
# equality is what lets MariaDB open one database; a function on the column (LOWER) scans them all. The
# column must be the one MariaDB looks databases up by: TABLE_SCHEMA of TABLE_CONSTRAINTS (a constraint
# lives in its table's schema), EVENT_OBJECT_SCHEMA of TRIGGERS (so does a trigger); CONSTRAINT_SCHEMA
# and TRIGGER_SCHEMA scan every database. ROUTINES and EVENTS read mysql.proc / mysql.event, no database.
_MYSQL = {
    "relation": f"SELECT COUNT(*) FROM {_IS}.TABLES WHERE TABLE_SCHEMA = ? AND LOWER(TABLE_NAME) = ?",
    "column": f"SELECT COUNT(*) FROM {_IS}.COLUMNS WHERE TABLE_SCHEMA = ? AND LOWER(COLUMN_NAME) = ?"
    " AND LOWER(TABLE_NAME) = ?",
    "index": f"SELECT COUNT(*) FROM {_IS}.STATISTICS WHERE TABLE_SCHEMA = ? AND LOWER(INDEX_NAME) = ?",
    "primary": f"SELECT COUNT(*) FROM {_IS}.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = ? AND ? = 'primary'"
    " AND CONSTRAINT_TYPE = 'PRIMARY KEY'",
    "constraint": f"SELECT COUNT(*) FROM {_IS}.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = ? AND LOWER(CONSTRAINT_NAME) = ?",
    "procedure": f"SELECT COUNT(*) FROM {_IS}.ROUTINES WHERE ROUTINE_SCHEMA = ? AND LOWER(ROUTINE_NAME) = ?"
    " AND ROUTINE_TYPE = 'PROCEDURE'",
    "function": f"SELECT COUNT(*) FROM {_IS}.ROUTINES WHERE ROUTINE_SCHEMA = ? AND LOWER(ROUTINE_NAME) = ?"
    " AND ROUTINE_TYPE = 'FUNCTION'",
    "trigger": f"SELECT COUNT(*) FROM {_IS}.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = ? AND LOWER(TRIGGER_NAME) = ?",
    "event": f"SELECT COUNT(*) FROM {_IS}.EVENTS WHERE EVENT_SCHEMA = ? AND LOWER(EVENT_NAME) = ?",
    "schema": f"SELECT COUNT(*) FROM {_IS}.SCHEMATA WHERE ? = ? AND LOWER(SCHEMA_NAME) = ?",
}
_MYSQL_TABLE = {
    "index": " AND LOWER(TABLE_NAME) = ?",
    "primary": " AND LOWER(TABLE_NAME) = ?",
    "constraint": " AND LOWER(TABLE_NAME) = ?",
    "trigger": " AND LOWER(EVENT_OBJECT_TABLE) = ?",
}
# SCHEMATA lists the server's database names without opening any of them
_SPELLINGS = f"SELECT SCHEMA_NAME FROM {_IS}.SCHEMATA WHERE LOWER(SCHEMA_NAME) = ? ORDER BY SCHEMA_NAME"

_NS = "JOIN pg_catalog.pg_namespace n ON n.oid = {rel}.{col} WHERE LOWER(n.nspname) = ?"
_PG = {
    "relation": "SELECT COUNT(*) FROM pg_catalog.pg_class c "
    + _NS.format(rel="c", col="relnamespace")
    + " AND LOWER(c.relname) = ? AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')",
    "column": "SELECT COUNT(*) FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
    + _NS.format(rel="c", col="relnamespace")
    + " AND LOWER(a.attname) = ? AND a.attnum > 0 AND NOT a.attisdropped AND LOWER(c.relname) = ?",
    "index": "SELECT COUNT(*) FROM pg_catalog.pg_class c "
    + _NS.format(rel="c", col="relnamespace")
    + " AND LOWER(c.relname) = ? AND c.relkind IN ('i', 'I')",
    "primary": "SELECT COUNT(*) FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid "
    + _NS.format(rel="c", col="relnamespace")
    + " AND ? = 'primary' AND k.contype = 'p'",
    "constraint": "SELECT COUNT(*) FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid "
    + _NS.format(rel="c", col="relnamespace")
    + " AND LOWER(k.conname) = ?",
    "procedure": "SELECT COUNT(*) FROM pg_catalog.pg_proc p "
    + _NS.format(rel="p", col="pronamespace")
    + " AND LOWER(p.proname) = ? AND p.prokind = 'p'",
    "function": "SELECT COUNT(*) FROM pg_catalog.pg_proc p "
    + _NS.format(rel="p", col="pronamespace")
    + " AND LOWER(p.proname) = ? AND p.prokind IN ('f', 'a', 'w')",
    "trigger": "SELECT COUNT(*) FROM pg_catalog.pg_trigger g JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid "
    + _NS.format(rel="c", col="relnamespace")
    + " AND LOWER(g.tgname) = ? AND NOT g.tgisinternal",
    "event": "SELECT COUNT(*) FROM pg_catalog.pg_event_trigger e WHERE ? = ? AND LOWER(e.evtname) = ?",
    "schema": "SELECT COUNT(*) FROM pg_catalog.pg_namespace n WHERE ? = ? AND LOWER(n.nspname) = ?",
}
_PG_TABLE = {
    "primary": " AND LOWER(c.relname) = ?",
    "constraint": " AND LOWER(c.relname) = ?",
    "trigger": " AND LOWER(c.relname) = ?",
    "index": " AND c.oid IN (SELECT i.indexrelid FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class t"
    " ON t.oid = i.indrelid WHERE LOWER(t.relname) = ?)",
}


def has(db: Database, kind: str, schema: str, name: str, table: str | None = None) -> bool:
    """Whether ``kind`` ``name`` (of ``table``) is in ``schema`` on ``db`` (MySQL/MariaDB, PostgreSQL)."""
    if db.dialect == "postgresql":
        queries, by_table = _PG, _PG_TABLE
    else:
        queries, by_table = _MYSQL, _MYSQL_TABLE
    sql = queries[kind]
    rest: tuple[str, ...] = (name.lower(),)
    if kind in ("schema", "event") and "? = ?" in sql:
        return bool(db.query(sql, ("", "", name.lower()))[0][0])
    if kind == "column":
        rest += ((table or "").lower(),)
    elif table is not None and kind in by_table:
        sql += by_table[kind]
        rest += (table.lower(),)
    if db.dialect == "postgresql":
        return bool(db.query(sql, (schema.lower(), *rest))[0][0])
    return any(db.query(sql, (spelled, *rest))[0][0] for spelled in spellings(db, schema))


def spellings(db: Database, schema: str) -> list[str]:
    """MySQL/MariaDB: the databases named ``schema`` but for case, as the server spells them (several only
    where names are case-sensitive, ``lower_case_table_names = 0``). A read of ``information_schema`` keyed
    ``<X>_SCHEMA = spelled`` opens that one database; the analyser's names are lower-cased, and with that
    setting the server finds a database only under its own spelling."""
    return [str(row[0]) for row in db.query(_SPELLINGS, (schema.lower(),))]


__all__ = ["has", "spellings"]
