"""SQLite schema fingerprints, read from ``sqlite_master`` and pragmas (used by ``flywayx.db.fingerprint``).

A schema is ``main`` or an attached database's name. SQLite has no routines and no named foreign
keys (each is named after its columns); trigger timing and event are parsed from the stored SQL.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from flywayx.db.fingerprint_rows import Excluder, Rows, options, query, schema_of, to_fks, to_indexes
from flywayx.model.fingerprint import Column, ForeignKey, Index, Schema, Table, Trigger, View, normalise_sql

_SQLITE_TRIGGER = re.compile(
    r"(?is)^CREATE\s+(?:TEMP(?:ORARY)?\s+)?TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:\S+)\s+"
    r"(BEFORE|AFTER|INSTEAD\s+OF)?\s*(DELETE|INSERT|UPDATE)\b"
)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_sqlite(conn: Any, schema: str, skip: Excluder) -> Schema:
    rows = query(
        conn,
        f"SELECT type, name, tbl_name, sql FROM {_q(schema)}.sqlite_master "
        "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    )
    tables = [_sqlite_table(conn, schema, n, sql or "") for kind, n, _, sql in rows if kind == "table" and not skip(n)]
    views = [View(n, normalise_sql(sql)) for kind, n, _, sql in rows if kind == "view"]
    triggers = [_sqlite_trigger(n, t, sql or "") for kind, n, t, sql in rows if kind == "trigger" and not skip(t)]
    return schema_of(schema, tables, views, [], triggers)


def _sqlite_table(conn: Any, schema: str, name: str, sql: str) -> Table:
    info = query(conn, f"PRAGMA {_q(schema)}.table_xinfo({_q(name)})")
    auto = re.search(r"(?i)\bAUTOINCREMENT\b", sql) is not None
    gen = {2: "generated virtual", 3: "generated stored"}
    columns = tuple(
        Column(
            n,
            " ".join(t.upper().split()),
            not notnull and pk == 0,
            d,
            "autoincrement" if auto and pk else gen.get(hidden, ""),
        )
        for _, n, t, notnull, d, pk, hidden in info
        if hidden != 1
    )
    pk = tuple(r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5]))
    tail = sql[sql.rfind(")") :].upper()
    opts = options(without_rowid="yes" if "WITHOUT ROWID" in tail else None, strict="yes" if "STRICT" in tail else None)
    indexes, fks = _sqlite_indexes(conn, schema, name), _sqlite_fks(conn, schema, name)
    return Table(name, columns, pk, indexes, fks, (), opts)


def _sqlite_indexes(conn: Any, schema: str, table: str) -> tuple[Index, ...]:
    rows: Rows = []
    for _, name, unique, origin, partial in query(conn, f"PRAGMA {_q(schema)}.index_list({_q(table)})"):
        if origin == "pk":
            continue
        pred = None
        if partial:
            sql = query(conn, f"SELECT sql FROM {_q(schema)}.sqlite_master WHERE name = ?", (name,))[0][0]
            pred = normalise_sql(re.split(r"(?i)\bWHERE\b", sql, maxsplit=1)[1])
        for r in query(conn, f"PRAGMA {_q(schema)}.index_xinfo({_q(name)})"):
            if r[5]:  # key column, not the rowid tail
                rows.append((name, unique, "", pred, (r[2] or "<expression>") + (" DESC" if r[3] else "")))
    return to_indexes(rows)


def _sqlite_fks(conn: Any, schema: str, table: str) -> tuple[ForeignKey, ...]:
    """SQLite foreign keys have no names; each is named after its columns: ``(a, b)``."""
    groups: dict[int, Rows] = defaultdict(list)
    for r in query(conn, f"PRAGMA {_q(schema)}.foreign_key_list({_q(table)})"):
        groups[r[0]].append(r)
    rows = []
    for fk in groups.values():
        fk.sort(key=lambda r: r[1])
        name = "(" + ", ".join(r[3] for r in fk) + ")"
        rows += [(name, r[3], r[2], r[4], r[6], r[5]) for r in fk]
    return to_fks(rows)


def _sqlite_trigger(name: str, table: str, sql: str) -> Trigger:
    m = _SQLITE_TRIGGER.match(sql.strip())
    timing = " ".join((m.group(1) or "BEFORE").upper().split()) if m else ""
    return Trigger(name, table, timing, m.group(2).upper() if m else "", normalise_sql(sql))
