"""Catalogue rows to fingerprint values: the helpers all dialect readers share.

A dialect reader (``fingerprint_mysql``, ``fingerprint_pg``, ``fingerprint_sqlite``) runs its
catalogue queries through ``query``, groups the rows by table with ``grouped`` and builds indexes,
foreign keys, checks and schemas with the functions here, so that every dialect sorts and
normalises them the same way.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from flywayx.model.fingerprint import Check, ForeignKey, Index, Routine, Schema, Table, Trigger, View, normalise_sql

Rows = list[tuple[Any, ...]]


class Excluder:
    """Whether a table is left out: its name matches one of the fnmatch patterns, case-insensitively."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = [p.lower() for p in patterns]

    def __call__(self, table: str) -> bool:
        return any(fnmatch.fnmatchcase(table.lower(), p) for p in self.patterns)


def query(conn: Any, sql: str, params: Sequence[Any] = ()) -> Rows:
    """Every row of ``sql`` on a DBAPI connection, as tuples; the cursor is always closed."""
    cur = conn.cursor()
    try:
        cur.execute(sql, tuple(params))
        return [tuple(r) for r in cur.fetchall()]
    finally:
        cur.close()


def queries(conn: Any, reads: Sequence[tuple[str, Sequence[Any]]]) -> list[Rows]:
    """Every row of each read (``%s`` parameters; every read a ``SELECT``), in one round trip where the
    connection sends several statements in one query (PyMySQL with ``CLIENT.MULTI_STATEMENTS``,
    psycopg's simple protocol): parameters are bound client-side as the driver's own cursor binds them;
    the server runs the statements in order and stops at the first that fails, whose error is the
    driver's, as a single read's would be. Elsewhere one by one."""
    texts = _bound(conn, reads)
    if texts is None:
        return [query(conn, sql, params) for sql, params in reads]
    cur = conn.cursor()
    try:
        cur.execute("\n;\n".join(texts))
        out = [[tuple(r) for r in cur.fetchall()]]
        while cur.nextset():
            out.append([tuple(r) for r in cur.fetchall()])
    finally:
        cur.close()
    return out


def _bound(conn: Any, reads: Sequence[tuple[str, Sequence[Any]]]) -> list[str] | None:
    """Each read's text with its parameters bound client-side; None when ``conn`` takes one statement
    a query (sqlite3, a PyMySQL connection opened without ``CLIENT.MULTI_STATEMENTS``)."""
    if getattr(conn, "pgconn", None) is not None:  # psycopg 3
        from psycopg.sql import quote

        return [sql % tuple(quote(v, conn) for v in params) if params else sql for sql, params in reads]
    flags = getattr(conn, "client_flag", None)
    if isinstance(flags, int) and flags & 65536:  # PyMySQL, CLIENT.MULTI_STATEMENTS
        return [sql % tuple(conn.escape(v) for v in params) if params else sql for sql, params in reads]
    return None


def grouped(rows: Rows) -> dict[str, Rows]:
    """Rows keyed by their first column (a table name), order kept."""
    out: dict[str, Rows] = defaultdict(list)
    for r in rows:
        out[r[0]].append(r[1:])
    return out


def options(**kv: Any) -> tuple[tuple[str, str], ...]:
    """Options as sorted (name, text) pairs, leaving out those that are None or empty."""
    return tuple(sorted((k, str(v)) for k, v in kv.items() if v not in (None, "")))


def schema_of(
    name: str, tables: list[Table], views: list[View], routines: list[Routine], triggers: list[Trigger]
) -> Schema:
    """A Schema with every member list sorted by name."""
    return Schema(
        name,
        tuple(sorted(tables, key=lambda t: t.name)),
        tuple(sorted(views, key=lambda v: v.name)),
        tuple(sorted(routines, key=lambda r: (r.name, r.kind))),
        tuple(sorted(triggers, key=lambda t: (t.name, t.table))),
    )


def to_indexes(rows: Rows) -> tuple[Index, ...]:
    """Rows of (name, unique, method, predicate, column) in key order -> Index values by name."""
    cols: dict[str, list[str]] = defaultdict(list)
    head: dict[str, tuple[Any, ...]] = {}
    for name, unique, method, predicate, column in rows:
        cols[name].append(column)
        head[name] = (bool(unique), (method or "").lower(), predicate)
    return tuple(Index(n, tuple(cols[n]), *head[n]) for n in sorted(cols))


def to_checks(rows: Rows) -> tuple[Check, ...]:
    """Rows of (name, clause) -> Check values by name, clauses normalised."""
    return tuple(sorted((Check(n, normalise_sql(c)) for n, c in rows), key=lambda c: c.name))


def to_fks(rows: Rows) -> tuple[ForeignKey, ...]:
    """Rows of (name, column, ref_table, ref_column, on_delete, on_update) in key order."""
    cols: dict[str, list[str]] = defaultdict(list)
    refs: dict[str, list[str]] = defaultdict(list)
    head: dict[str, tuple[str, str, str]] = {}
    for name, col, ref_table, ref_col, on_delete, on_update in rows:
        cols[name].append(col)
        refs[name].append(ref_col or "")
        head[name] = (ref_table, (on_delete or "NO ACTION").upper(), (on_update or "NO ACTION").upper())
    return tuple(
        ForeignKey(n, tuple(cols[n]), head[n][0], tuple(refs[n]), head[n][1], head[n][2]) for n in sorted(cols)
    )
