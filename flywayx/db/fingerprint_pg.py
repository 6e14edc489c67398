"""PostgreSQL schema fingerprints, read from ``pg_catalog`` (used by ``flywayx.db.fingerprint``).

``pg_catalog`` rather than ``information_schema``, which has no indexes and renders expressions
less precisely. While a schema is read the session ``search_path`` is set to it, so expressions
render unqualified, and restored afterwards: the only session state touched. Routines that belong
to an extension are left out.
"""

from __future__ import annotations

from typing import Any

from flywayx.db.fingerprint_rows import (
    Excluder,
    Rows,
    grouped,
    options,
    queries,
    query,
    schema_of,
    to_checks,
    to_fks,
    to_indexes,
)
from flywayx.model.fingerprint import Column, Routine, Schema, Table, Trigger, View, normalise_sql

_PG_RULE = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
_PG_KIND = {"f": "FUNCTION", "p": "PROCEDURE", "a": "AGGREGATE", "w": "WINDOW"}
_PG_VOLATILITY = {"i": "immutable", "s": "stable", "v": "volatile"}
# "c" is the table (or the table a constraint, index or trigger sits on), in schema %s
_PG_REL = "JOIN pg_class c ON c.oid = {0} JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = %s"
_PG_COLS = """ARRAY(SELECT a.attname FROM unnest({0}) WITH ORDINALITY k(num, ord)
    JOIN pg_attribute a ON a.attrelid = {1} AND a.attnum = k.num ORDER BY k.ord)"""
_PG_TABLES = """SELECT c.relname, c.relkind, obj_description(c.oid, 'pg_class') FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind IN ('r', 'p')"""
_PG_COLUMNS = (
    """SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
    pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, co.collname,
    col_description(c.oid, a.attnum)
    FROM pg_attribute a """
    + _PG_REL.format("a.attrelid")
    + """
    JOIN pg_type t ON t.oid = a.atttypid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> t.typcollation
    WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY c.relname, a.attnum"""
)
_PG_PK = (
    "SELECT c.relname, "
    + _PG_COLS.format("con.conkey", "con.conrelid")
    + " FROM pg_constraint con "
    + _PG_REL.format("con.conrelid")
    + " WHERE con.contype = 'p'"
)
_PG_INDEXES = (
    """SELECT c.relname, i.relname, ix.indisunique, am.amname,
    pg_get_expr(ix.indpred, ix.indrelid, true),
    ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k, true)
                 || CASE WHEN ix.indoption[k - 1] & 1 = 1 THEN ' DESC' ELSE '' END
          FROM generate_series(1, ix.indnkeyatts) k ORDER BY k)
    FROM pg_index ix """
    + _PG_REL.format("ix.indrelid")
    + """
    JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_am am ON am.oid = i.relam
    WHERE NOT ix.indisprimary"""
)
_PG_FKS = (
    "SELECT c.relname, con.conname, "
    + _PG_COLS.format("con.conkey", "con.conrelid")
    + """,
    CASE WHEN rn.nspname = n.nspname THEN rc.relname ELSE rn.nspname || '.' || rc.relname END,
    """
    + _PG_COLS.format("con.confkey", "con.confrelid")
    + """, con.confdeltype, con.confupdtype
    FROM pg_constraint con """
    + _PG_REL.format("con.conrelid")
    + """
    JOIN pg_class rc ON rc.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
    WHERE con.contype = 'f'"""
)
_PG_CHECKS = (
    "SELECT c.relname, con.conname, pg_get_constraintdef(con.oid, true) FROM pg_constraint con "
    + _PG_REL.format("con.conrelid")
    + " WHERE con.contype = 'c'"
)
_PG_VIEWS = """SELECT c.relname, c.relkind, pg_get_viewdef(c.oid, true) FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind IN ('v', 'm')"""
_PG_ROUTINES = """SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', p.prokind,
    pg_get_function_arguments(p.oid), pg_get_function_result(p.oid), p.prosrc, l.lanname,
    p.provolatile, p.prosecdef
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
    WHERE n.nspname = %s
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"""
_PG_TRIGGERS = (
    "SELECT tg.tgname, c.relname, tg.tgtype, pg_get_triggerdef(tg.oid, true) FROM pg_trigger tg "
    + _PG_REL.format("tg.tgrelid")
    + " WHERE NOT tg.tgisinternal"
)


def read_pg(conn: Any, schema: str, skip: Excluder) -> Schema:
    """Two round trips where the connection takes several statements a query (``queries``): the search
    path saved, set to ``schema`` and every catalog read; then the search path restored. When the first
    fails, the server undid its ``set_config`` with the failed statement's transaction."""
    p = (schema,)
    saved, _, heads, *parts, views, routines, triggers = queries(
        conn,
        [
            ("SELECT current_setting('search_path')", ()),
            ("SELECT set_config('search_path', quote_ident(%s), false)", p),
            (_PG_TABLES, p),
            *((sql, p) for sql in (_PG_COLUMNS, _PG_PK, _PG_INDEXES, _PG_FKS, _PG_CHECKS)),
            (_PG_VIEWS, p),
            (_PG_ROUTINES, p),
            (_PG_TRIGGERS, p),
        ],
    )
    try:
        by_table = [grouped(rows) for rows in parts]
        tables = [_pg_table(h, *(g[h[0]] for g in by_table)) for h in heads if not skip(h[0])]
        return schema_of(schema, tables, _pg_views(views), _pg_routines(routines), _pg_triggers(triggers, skip))
    finally:
        query(conn, "SELECT set_config('search_path', %s, false)", (saved[0][0],))


def _pg_table(head: tuple[Any, ...], cols: Rows, pk: Rows, idx: Rows, fks: Rows, checks: Rows) -> Table:
    name, relkind, comment = head
    columns = tuple(
        Column(n, t, nullable, default, _pg_extra(ident, gen), None, coll, cmt or "")
        for n, t, nullable, default, ident, gen, coll, cmt in cols
    )
    indexes = to_indexes([(n, u, m, pred, c) for n, u, m, pred, cs in idx for c in cs])
    fk_rows = [
        (n, c, rt, rc, _PG_RULE[d], _PG_RULE[u]) for n, cs, rt, rcs, d, u in fks for c, rc in zip(cs, rcs, strict=True)
    ]
    return Table(
        name,
        columns,
        tuple(pk[0][0]) if pk else (),
        indexes,
        to_fks(fk_rows),
        to_checks(checks),
        options(partitioned="yes" if relkind == "p" else None, comment=comment),
    )


def _pg_extra(identity: str, generated: str) -> str:
    if identity:
        return {"a": "identity always", "d": "identity by default"}.get(identity, "")
    return "generated stored" if generated == "s" else ""


def _pg_views(rows: Rows) -> list[View]:
    return [View(n, normalise_sql(d), options(materialized="yes" if k == "m" else None)) for n, k, d in rows]


def _pg_routines(rows: Rows) -> list[Routine]:
    out = []
    for name, kind, args, res, src, lang, vol, secdef in rows:
        opts = options(
            language=lang, volatility=_PG_VOLATILITY.get(vol, vol), security_definer="yes" if secdef else None
        )
        sig = f"({args})" + (f" RETURNS {res}" if res else "")
        out.append(Routine(name, _PG_KIND.get(kind) or str(kind), sig, normalise_sql(src), opts))
    return out


def _pg_triggers(rows: Rows, skip: Excluder) -> list[Trigger]:
    return [Trigger(n, t, *pg_trigger_type(tp), normalise_sql(d)) for n, t, tp, d in rows if not skip(t)]


def pg_trigger_type(tgtype: int) -> tuple[str, str]:
    """Decode ``pg_trigger.tgtype`` bits into (timing, events)."""
    timing = "INSTEAD OF" if tgtype & 64 else ("BEFORE" if tgtype & 2 else "AFTER")
    bits = ((4, "INSERT"), (8, "DELETE"), (16, "UPDATE"), (32, "TRUNCATE"))
    events = [e for bit, e in bits if tgtype & bit]
    return timing, " OR ".join(events)
