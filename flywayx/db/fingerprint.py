"""Read a ``SchemaFingerprint`` from a live database through a raw DBAPI connection.

MySQL/MariaDB are read from ``information_schema``; PostgreSQL from ``pg_catalog`` (its
``information_schema`` has no indexes and renders expressions less precisely); SQLite from
``sqlite_master`` and pragmas. What servers vary on without the schema differing is normalised
here: auto-increment counters and definers are never read, integer display widths and
MariaDB's quoting of defaults are folded to MySQL's form, ``utf8`` is spelled ``utf8mb3``, view and
routine bodies lose layout and own-schema qualifiers. Reading never writes; on PostgreSQL the
session ``search_path`` is set to each schema while it is read and restored afterwards (so that
expressions render unqualified), which is the only session state touched.

The module is longer than most because it holds the catalogue SQL of three dialects; each reader
is a handful of short functions and the queries are kept as named constants beside them.
"""

from __future__ import annotations

import fnmatch
import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from flywayx.errors import UsageError
from flywayx.model.fingerprint import (
    Check,
    Column,
    ForeignKey,
    Index,
    Routine,
    Schema,
    SchemaFingerprint,
    Table,
    Trigger,
    View,
    normalise_sql,
    strip_qualifier,
)

DEFAULT_EXCLUDE = ("flyway_schema_history", "flywayx_*")
_FAMILY = {"mysql": "mysql", "mariadb": "mysql", "postgresql": "postgresql", "postgres": "postgresql",
           "sqlite": "sqlite"}

Rows = list[tuple[Any, ...]]


def fingerprint(conn: Any, dialect: str, schemas: Sequence[str], *,
                exclude_tables: Sequence[str] = DEFAULT_EXCLUDE) -> SchemaFingerprint:
    """Fingerprint ``schemas`` (MySQL databases, PostgreSQL schemas, SQLite ``main``/attached names).

    ``conn`` is a PyMySQL, psycopg 3 or sqlite3 connection; ``dialect`` one of mysql, mariadb,
    postgresql, sqlite. Tables whose name matches a pattern in ``exclude_tables`` (fnmatch,
    case-insensitive; by default the Flyway history table and flywayx's ``flywayx_*`` tables) are
    left out together with their triggers. An empty ``schemas`` means ``main`` on SQLite and is an
    error elsewhere.
    """
    family = _FAMILY.get(dialect.lower())
    if family is None:
        raise UsageError(f"cannot fingerprint dialect {dialect!r}",
                         hint="use mysql, mariadb, postgresql or sqlite")
    names = list(schemas) or (["main"] if family == "sqlite" else [])
    if not names:
        raise UsageError("no schema to fingerprint", hint="name at least one schema")
    skip = _Excluder(exclude_tables)
    reader = {"mysql": _read_mysql, "postgresql": _read_pg, "sqlite": _read_sqlite}[family]
    read = [reader(conn, s, skip) for s in names]
    return SchemaFingerprint(family, tuple(sorted(read, key=lambda s: s.name)))


class _Excluder:
    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = [p.lower() for p in patterns]

    def __call__(self, table: str) -> bool:
        return any(fnmatch.fnmatchcase(table.lower(), p) for p in self.patterns)


def _query(conn: Any, sql: str, params: Sequence[Any] = ()) -> Rows:
    cur = conn.cursor()
    try:
        cur.execute(sql, tuple(params))
        return [tuple(r) for r in cur.fetchall()]
    finally:
        cur.close()


def _grouped(rows: Rows) -> dict[str, Rows]:
    """Rows keyed by their first column (a table name), order kept."""
    out: dict[str, Rows] = defaultdict(list)
    for r in rows:
        out[r[0]].append(r[1:])
    return out


def _opts(**kv: Any) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, str(v)) for k, v in kv.items() if v not in (None, "")))


def _schema(name: str, tables: list[Table], views: list[View], routines: list[Routine],
            triggers: list[Trigger]) -> Schema:
    return Schema(name, tuple(sorted(tables, key=lambda t: t.name)),
                  tuple(sorted(views, key=lambda v: v.name)),
                  tuple(sorted(routines, key=lambda r: (r.name, r.kind))),
                  tuple(sorted(triggers, key=lambda t: (t.name, t.table))))


def _indexes(rows: Rows) -> tuple[Index, ...]:
    """Rows of (name, unique, method, predicate, column) in key order -> Index values by name."""
    cols: dict[str, list[str]] = defaultdict(list)
    head: dict[str, tuple[Any, ...]] = {}
    for name, unique, method, predicate, column in rows:
        cols[name].append(column)
        head[name] = (bool(unique), (method or "").lower(), predicate)
    return tuple(Index(n, tuple(cols[n]), *head[n]) for n in sorted(cols))


def _checks(rows: Rows) -> tuple[Check, ...]:
    return tuple(sorted((Check(n, normalise_sql(c)) for n, c in rows), key=lambda c: c.name))


def _fks(rows: Rows) -> tuple[ForeignKey, ...]:
    """Rows of (name, column, ref_table, ref_column, on_delete, on_update) in key order."""
    cols: dict[str, list[str]] = defaultdict(list)
    refs: dict[str, list[str]] = defaultdict(list)
    head: dict[str, tuple[str, str, str]] = {}
    for name, col, ref_table, ref_col, on_delete, on_update in rows:
        cols[name].append(col)
        refs[name].append(ref_col or "")
        head[name] = (ref_table, (on_delete or "NO ACTION").upper(), (on_update or "NO ACTION").upper())
    return tuple(ForeignKey(n, tuple(cols[n]), head[n][0], tuple(refs[n]), head[n][1], head[n][2])
                 for n in sorted(cols))


# ---------------------------------------------------------------- MySQL / MariaDB

_INT_WIDTH = re.compile(r"^(tinyint|smallint|mediumint|int|integer|bigint)\(\d+\)")
_CURRENT_TS = re.compile(r"(?i)\bcurrent_timestamp\b(?:\(\))?")


def mysql_type(column_type: str) -> str:
    """Drop integer display widths (MySQL 8 no longer reports them) except ``tinyint(1)``."""
    if column_type.startswith("tinyint(1)"):
        return column_type
    return _INT_WIDTH.sub(r"\1", column_type)


def mysql_default(raw: str | None, mariadb: bool) -> str | None:
    """MariaDB quotes literal defaults (``'abc'``) and reports ``DEFAULT NULL`` as ``NULL``; MySQL
    shows the bare literal and SQL NULL. Both become MySQL's form; ``CURRENT_TIMESTAMP`` is spelled
    one way."""
    if raw is None:
        return None
    if mariadb:
        if raw == "NULL":
            return None
        if len(raw) >= 2 and raw[0] == raw[-1] == "'":
            return raw[1:-1].replace("''", "'").replace("\\\\", "\\")
    return _CURRENT_TS.sub("CURRENT_TIMESTAMP", raw)


def mysql_extra(extra: str | None) -> str:
    """Drop MySQL 8's ``DEFAULT_GENERATED`` bookkeeping; spell MariaDB's
    ``on update current_timestamp()`` as MySQL does."""
    words = (extra or "").replace("DEFAULT_GENERATED", "").strip().lower()
    return _CURRENT_TS.sub("CURRENT_TIMESTAMP", " ".join(words.split()))


def mysql_charset(name: str | None) -> str | None:
    """MariaDB 10.6+ and MySQL 8 call ``utf8`` ``utf8mb3``; older servers do not."""
    if name is None:
        return None
    return re.sub(r"^utf8(?=_|$)", "utf8mb3", name)


_MY_TABLES = """SELECT TABLE_NAME, ENGINE, TABLE_COLLATION, TABLE_COMMENT FROM information_schema.TABLES
    WHERE TABLE_SCHEMA = %s AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')"""
_MY_COLUMNS = """SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA,
    CHARACTER_SET_NAME, COLLATION_NAME, COLUMN_COMMENT FROM information_schema.COLUMNS
    WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME, ORDINAL_POSITION"""
_MY_STATS = """SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE = 0, INDEX_TYPE, NULL,
    CONCAT(COALESCE(COLUMN_NAME, '<expression>'), COALESCE(CONCAT('(', SUB_PART, ')'), ''),
           IF(COLLATION = 'D', ' DESC', ''))
    FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s
    ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"""
_MY_FKS = """SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME,
    IF(k.REFERENCED_TABLE_SCHEMA = k.TABLE_SCHEMA, k.REFERENCED_TABLE_NAME,
       CONCAT(k.REFERENCED_TABLE_SCHEMA, '.', k.REFERENCED_TABLE_NAME)),
    k.REFERENCED_COLUMN_NAME, r.DELETE_RULE, r.UPDATE_RULE
    FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r
      ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
     AND r.TABLE_NAME = k.TABLE_NAME
    WHERE k.TABLE_SCHEMA = %s AND k.REFERENCED_TABLE_NAME IS NOT NULL
    ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION"""
_MY_CHECKS_MARIADB = """SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE
    FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = %s"""
_MY_CHECKS_MYSQL = """SELECT t.TABLE_NAME, c.CONSTRAINT_NAME, c.CHECK_CLAUSE
    FROM information_schema.CHECK_CONSTRAINTS c JOIN information_schema.TABLE_CONSTRAINTS t
      ON t.CONSTRAINT_SCHEMA = c.CONSTRAINT_SCHEMA AND t.CONSTRAINT_NAME = c.CONSTRAINT_NAME
     AND t.CONSTRAINT_TYPE = 'CHECK'
    WHERE c.CONSTRAINT_SCHEMA = %s"""
_MY_VIEWS = """SELECT TABLE_NAME, VIEW_DEFINITION, CHECK_OPTION, SECURITY_TYPE
    FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s"""
_MY_PARAMS = """SELECT SPECIFIC_NAME, PARAMETER_MODE, PARAMETER_NAME, DTD_IDENTIFIER
    FROM information_schema.PARAMETERS WHERE SPECIFIC_SCHEMA = %s AND ORDINAL_POSITION > 0
    ORDER BY SPECIFIC_NAME, ORDINAL_POSITION"""
_MY_ROUTINES = """SELECT ROUTINE_NAME, ROUTINE_TYPE, DTD_IDENTIFIER, ROUTINE_DEFINITION, IS_DETERMINISTIC,
    SQL_DATA_ACCESS, SECURITY_TYPE, ROUTINE_COMMENT
    FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s"""
_MY_EVENTS = """SELECT EVENT_NAME, EVENT_DEFINITION, EVENT_TYPE, EXECUTE_AT, INTERVAL_VALUE, INTERVAL_FIELD,
    STATUS, ON_COMPLETION, EVENT_COMMENT FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %s"""
_MY_TRIGGERS = """SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_STATEMENT
    FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %s"""


def _read_mysql(conn: Any, schema: str, skip: _Excluder) -> Schema:
    mariadb = "mariadb" in str(_query(conn, "SELECT VERSION()")[0][0]).lower()
    p = (schema,)
    heads = [r for r in _query(conn, _MY_TABLES, p) if not skip(r[0])]
    cols, stats, fks = (_grouped(_query(conn, sql, p)) for sql in (_MY_COLUMNS, _MY_STATS, _MY_FKS))
    checks = _grouped(_query(conn, _mysql_checks_sql(conn), p))
    tables = [_mysql_table(h, cols[h[0]], stats[h[0]], fks[h[0]], checks[h[0]], mariadb) for h in heads]
    return _schema(schema, tables, _mysql_views(conn, schema), _mysql_routines(conn, schema),
                   _mysql_triggers(conn, schema, skip))


def _mysql_checks_sql(conn: Any) -> str:
    """MariaDB's CHECK_CONSTRAINTS names the table; MySQL 8's must be joined to TABLE_CONSTRAINTS;
    servers without the view (MySQL < 8.0.16) have no enforced checks to read."""
    has = _query(conn, "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                       "'information_schema' AND TABLE_NAME = 'CHECK_CONSTRAINTS'")
    names = {str(r[0]).upper() for r in has}
    if "TABLE_NAME" in names:
        return _MY_CHECKS_MARIADB
    if names:
        return _MY_CHECKS_MYSQL
    return "SELECT NULL, NULL, NULL FROM DUAL WHERE %s IS NULL"


def _mysql_table(head: tuple[Any, ...], cols: Rows, stats: Rows, fks: Rows, checks: Rows,
                 mariadb: bool) -> Table:
    name, engine, collation, comment = head
    columns = tuple(
        Column(c[0], mysql_type(c[1]), c[2] == "YES", mysql_default(c[3], mariadb), mysql_extra(c[4]),
               mysql_charset(c[5]), mysql_charset(c[6]), c[7] or "")
        for c in cols
    )
    pk = tuple(r[4] for r in stats if r[0] == "PRIMARY")
    idx = _indexes([r for r in stats if r[0] != "PRIMARY"])
    return Table(name, columns, pk, idx, _fks(fks),
                 _checks(checks),
                 _opts(engine=engine, collation=mysql_charset(collation), comment=comment))


def _mysql_views(conn: Any, schema: str) -> list[View]:
    rows = _query(conn, _MY_VIEWS, (schema,))
    return [View(n, normalise_sql(strip_qualifier(d or "", schema)), _opts(check_option=c, security=s))
            for n, d, c, s in rows]


def _mysql_routines(conn: Any, schema: str) -> list[Routine]:
    params = _grouped(_query(conn, _MY_PARAMS, (schema,)))
    rows = _query(conn, _MY_ROUTINES, (schema,))
    out = []
    for name, kind, returns, body, det, access, security, comment in rows:
        args = ", ".join(" ".join(x for x in (m, n, mysql_type(t or "")) if x) for m, n, t in params[name])
        sig = f"({args})" + (f" RETURNS {mysql_type(returns)}" if returns else "")
        out.append(Routine(name, kind, sig, normalise_sql(strip_qualifier(body or "", schema)),
                           _opts(deterministic=det, data_access=access, security=security, comment=comment)))
    return out + _mysql_events(conn, schema)


def _mysql_events(conn: Any, schema: str) -> list[Routine]:
    """Scheduled events, as routines of kind EVENT whose signature is the schedule."""
    out = []
    for name, body, kind, at, every, unit, status, completion, comment in _query(conn, _MY_EVENTS, (schema,)):
        schedule = f"AT {at}" if kind == "ONE TIME" else f"EVERY {every} {unit}"
        out.append(Routine(name, "EVENT", schedule, normalise_sql(strip_qualifier(body or "", schema)),
                           _opts(status=status, on_completion=completion, comment=comment)))
    return out


def _mysql_triggers(conn: Any, schema: str, skip: _Excluder) -> list[Trigger]:
    rows = _query(conn, _MY_TRIGGERS, (schema,))
    return [Trigger(n, t, tm, ev, normalise_sql(strip_qualifier(b or "", schema)))
            for n, t, tm, ev, b in rows if not skip(t)]


# ---------------------------------------------------------------- PostgreSQL

_PG_RULE = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
_PG_KIND = {"f": "FUNCTION", "p": "PROCEDURE", "a": "AGGREGATE", "w": "WINDOW"}
_PG_VOLATILITY = {"i": "immutable", "s": "stable", "v": "volatile"}
# "c" is the table (or the table a constraint, index or trigger sits on), in schema %s
_PG_REL = "JOIN pg_class c ON c.oid = {0} JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = %s"
_PG_COLS = """ARRAY(SELECT a.attname FROM unnest({0}) WITH ORDINALITY k(num, ord)
    JOIN pg_attribute a ON a.attrelid = {1} AND a.attnum = k.num ORDER BY k.ord)"""
_PG_TABLES = """SELECT c.relname, c.relkind, obj_description(c.oid, 'pg_class') FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind IN ('r', 'p')"""
_PG_COLUMNS = """SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
    pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, co.collname,
    col_description(c.oid, a.attnum)
    FROM pg_attribute a """ + _PG_REL.format("a.attrelid") + """
    JOIN pg_type t ON t.oid = a.atttypid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> t.typcollation
    WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY c.relname, a.attnum"""
_PG_PK = ("SELECT c.relname, " + _PG_COLS.format("con.conkey", "con.conrelid") + " FROM pg_constraint con "
          + _PG_REL.format("con.conrelid") + " WHERE con.contype = 'p'")
_PG_INDEXES = """SELECT c.relname, i.relname, ix.indisunique, am.amname,
    pg_get_expr(ix.indpred, ix.indrelid, true),
    ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k, true)
                 || CASE WHEN ix.indoption[k - 1] & 1 = 1 THEN ' DESC' ELSE '' END
          FROM generate_series(1, ix.indnkeyatts) k ORDER BY k)
    FROM pg_index ix """ + _PG_REL.format("ix.indrelid") + """
    JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_am am ON am.oid = i.relam
    WHERE NOT ix.indisprimary"""
_PG_FKS = ("SELECT c.relname, con.conname, " + _PG_COLS.format("con.conkey", "con.conrelid") + """,
    CASE WHEN rn.nspname = n.nspname THEN rc.relname ELSE rn.nspname || '.' || rc.relname END,
    """ + _PG_COLS.format("con.confkey", "con.confrelid") + """, con.confdeltype, con.confupdtype
    FROM pg_constraint con """ + _PG_REL.format("con.conrelid") + """
    JOIN pg_class rc ON rc.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
    WHERE con.contype = 'f'""")
_PG_CHECKS = ("SELECT c.relname, con.conname, pg_get_constraintdef(con.oid, true) FROM pg_constraint con "
              + _PG_REL.format("con.conrelid") + " WHERE con.contype = 'c'")
_PG_VIEWS = """SELECT c.relname, c.relkind, pg_get_viewdef(c.oid, true) FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind IN ('v', 'm')"""
_PG_ROUTINES = """SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', p.prokind,
    pg_get_function_arguments(p.oid), pg_get_function_result(p.oid), p.prosrc, l.lanname,
    p.provolatile, p.prosecdef
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
    WHERE n.nspname = %s
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"""
_PG_TRIGGERS = ("SELECT tg.tgname, c.relname, tg.tgtype, pg_get_triggerdef(tg.oid, true) FROM pg_trigger tg "
                + _PG_REL.format("tg.tgrelid") + " WHERE NOT tg.tgisinternal")


def _read_pg(conn: Any, schema: str, skip: _Excluder) -> Schema:
    saved = _query(conn, "SELECT current_setting('search_path')")[0][0]
    _query(conn, "SELECT set_config('search_path', quote_ident(%s), false)", (schema,))
    try:
        heads = [r for r in _query(conn, _PG_TABLES, (schema,)) if not skip(r[0])]
        parts = [_grouped(_query(conn, sql, (schema,)))
                 for sql in (_PG_COLUMNS, _PG_PK, _PG_INDEXES, _PG_FKS, _PG_CHECKS)]
        tables = [_pg_table(h, *(p[h[0]] for p in parts)) for h in heads]
        return _schema(schema, tables, _pg_views(conn, schema), _pg_routines(conn, schema),
                       _pg_triggers(conn, schema, skip))
    finally:
        _query(conn, "SELECT set_config('search_path', %s, false)", (saved,))


def _pg_table(head: tuple[Any, ...], cols: Rows, pk: Rows, idx: Rows, fks: Rows, checks: Rows) -> Table:
    name, relkind, comment = head
    columns = tuple(
        Column(n, t, nullable, default, _pg_extra(ident, gen), None, coll, cmt or "")
        for n, t, nullable, default, ident, gen, coll, cmt in cols
    )
    indexes = _indexes([(n, u, m, pred, c) for n, u, m, pred, cs in idx for c in cs])
    fk_rows = [(n, c, rt, rc, _PG_RULE[d], _PG_RULE[u])
               for n, cs, rt, rcs, d, u in fks for c, rc in zip(cs, rcs, strict=True)]
    return Table(name, columns, tuple(pk[0][0]) if pk else (), indexes, _fks(fk_rows), _checks(checks),
                 _opts(partitioned="yes" if relkind == "p" else None, comment=comment))


def _pg_extra(identity: str, generated: str) -> str:
    if identity:
        return {"a": "identity always", "d": "identity by default"}.get(identity, "")
    return "generated stored" if generated == "s" else ""


def _pg_views(conn: Any, schema: str) -> list[View]:
    rows = _query(conn, _PG_VIEWS, (schema,))
    return [View(n, normalise_sql(d), _opts(materialized="yes" if k == "m" else None)) for n, k, d in rows]


def _pg_routines(conn: Any, schema: str) -> list[Routine]:
    out = []
    for name, kind, args, res, src, lang, vol, secdef in _query(conn, _PG_ROUTINES, (schema,)):
        opts = _opts(language=lang, volatility=_PG_VOLATILITY.get(vol, vol),
                     security_definer="yes" if secdef else None)
        sig = f"({args})" + (f" RETURNS {res}" if res else "")
        out.append(Routine(name, _PG_KIND.get(kind) or str(kind), sig, normalise_sql(src), opts))
    return out


def _pg_triggers(conn: Any, schema: str, skip: _Excluder) -> list[Trigger]:
    rows = _query(conn, _PG_TRIGGERS, (schema,))
    return [Trigger(n, t, *pg_trigger_type(tp), normalise_sql(d)) for n, t, tp, d in rows if not skip(t)]


def pg_trigger_type(tgtype: int) -> tuple[str, str]:
    """Decode ``pg_trigger.tgtype`` bits into (timing, events)."""
    timing = "INSTEAD OF" if tgtype & 64 else ("BEFORE" if tgtype & 2 else "AFTER")
    bits = ((4, "INSERT"), (8, "DELETE"), (16, "UPDATE"), (32, "TRUNCATE"))
    events = [e for bit, e in bits if tgtype & bit]
    return timing, " OR ".join(events)


# ---------------------------------------------------------------- SQLite

_SQLITE_TRIGGER = re.compile(
    r"(?is)^CREATE\s+(?:TEMP(?:ORARY)?\s+)?TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:\S+)\s+"
    r"(BEFORE|AFTER|INSTEAD\s+OF)?\s*(DELETE|INSERT|UPDATE)\b")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _read_sqlite(conn: Any, schema: str, skip: _Excluder) -> Schema:
    rows = _query(conn, f"SELECT type, name, tbl_name, sql FROM {_q(schema)}.sqlite_master "
                        "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
    tables = [_sqlite_table(conn, schema, n, sql or "")
              for kind, n, _, sql in rows if kind == "table" and not skip(n)]
    views = [View(n, normalise_sql(sql)) for kind, n, _, sql in rows if kind == "view"]
    triggers = [_sqlite_trigger(n, t, sql or "")
                for kind, n, t, sql in rows if kind == "trigger" and not skip(t)]
    return _schema(schema, tables, views, [], triggers)


def _sqlite_table(conn: Any, schema: str, name: str, sql: str) -> Table:
    info = _query(conn, f"PRAGMA {_q(schema)}.table_xinfo({_q(name)})")
    auto = re.search(r"(?i)\bAUTOINCREMENT\b", sql) is not None
    gen = {2: "generated virtual", 3: "generated stored"}
    columns = tuple(
        Column(n, " ".join(t.upper().split()), not notnull and pk == 0, d,
               "autoincrement" if auto and pk else gen.get(hidden, ""))
        for _, n, t, notnull, d, pk, hidden in info if hidden != 1
    )
    pk = tuple(r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5]))
    tail = sql[sql.rfind(")"):].upper()
    opts = _opts(without_rowid="yes" if "WITHOUT ROWID" in tail else None,
                 strict="yes" if "STRICT" in tail else None)
    indexes, fks = _sqlite_indexes(conn, schema, name), _sqlite_fks(conn, schema, name)
    return Table(name, columns, pk, indexes, fks, (), opts)


def _sqlite_indexes(conn: Any, schema: str, table: str) -> tuple[Index, ...]:
    rows: Rows = []
    for _, name, unique, origin, partial in _query(conn, f"PRAGMA {_q(schema)}.index_list({_q(table)})"):
        if origin == "pk":
            continue
        pred = None
        if partial:
            sql = _query(conn, f"SELECT sql FROM {_q(schema)}.sqlite_master WHERE name = ?", (name,))[0][0]
            pred = normalise_sql(re.split(r"(?i)\bWHERE\b", sql, maxsplit=1)[1])
        for r in _query(conn, f"PRAGMA {_q(schema)}.index_xinfo({_q(name)})"):
            if r[5]:  # key column, not the rowid tail
                rows.append((name, unique, "", pred, (r[2] or "<expression>") + (" DESC" if r[3] else "")))
    return _indexes(rows)


def _sqlite_fks(conn: Any, schema: str, table: str) -> tuple[ForeignKey, ...]:
    """SQLite foreign keys have no names; each is named after its columns: ``(a, b)``."""
    groups: dict[int, Rows] = defaultdict(list)
    for r in _query(conn, f"PRAGMA {_q(schema)}.foreign_key_list({_q(table)})"):
        groups[r[0]].append(r)
    rows = []
    for fk in groups.values():
        fk.sort(key=lambda r: r[1])
        name = "(" + ", ".join(r[3] for r in fk) + ")"
        rows += [(name, r[3], r[2], r[4], r[6], r[5]) for r in fk]
    return _fks(rows)


def _sqlite_trigger(name: str, table: str, sql: str) -> Trigger:
    m = _SQLITE_TRIGGER.match(sql.strip())
    timing = " ".join((m.group(1) or "BEFORE").upper().split()) if m else ""
    return Trigger(name, table, timing, m.group(2).upper() if m else "", normalise_sql(sql))
