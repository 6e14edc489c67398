"""MySQL/MariaDB schema fingerprints, read from ``information_schema`` (used by ``flywayx.db.fingerprint``).

Holds the catalogue queries, ``read_mysql`` and the normalisers for what servers vary on while the
schema is the same: integer display widths, MariaDB's quoting of literal defaults and ``NULL``,
the spelling of ``CURRENT_TIMESTAMP``, and ``utf8`` versus ``utf8mb3``. Auto-increment counters and
definers are never read; view, routine, event and trigger bodies lose layout and own-schema
qualifiers.
"""

from __future__ import annotations

import re
from typing import Any

from flywayx.db.fingerprint_rows import (
    Excluder,
    Rows,
    grouped,
    options,
    queries,
    schema_of,
    to_checks,
    to_fks,
    to_indexes,
)
from flywayx.model.fingerprint import Column, Routine, Schema, Table, Trigger, View, normalise_sql, strip_qualifier

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
    FROM information_schema.KEY_COLUMN_USAGE k JOIN (
      SELECT CONSTRAINT_NAME, TABLE_NAME, DELETE_RULE, UPDATE_RULE FROM information_schema.REFERENTIAL_CONSTRAINTS
      WHERE CONSTRAINT_SCHEMA = %s) r ON r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
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
    FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = %s"""


def read_mysql(conn: Any, schema: str, skip: Excluder) -> Schema:
    """Two round trips where the connection takes several statements a query (``queries``): the server's
    kind and its ``CHECK_CONSTRAINTS`` columns, then every catalog read."""
    version, has = queries(conn, [("SELECT VERSION()", ()), (_MY_CHECKS_COLUMNS, ())])
    mariadb = "mariadb" in str(version[0][0]).lower()
    p = (schema,)
    # each read names the schema as a constant of every information_schema table it reads: the server
    # then opens that schema's tables only (a join ON the schema opened every table of the server)
    heads, cols, stats, fks, checks, views, params, routines, events, triggers = queries(
        conn,
        [
            (_MY_TABLES, p),
            (_MY_COLUMNS, p),
            (_MY_STATS, p),
            (_MY_FKS, (schema, schema)),
            (_mysql_checks_sql(has), p),
            (_MY_VIEWS, p),
            (_MY_PARAMS, p),
            (_MY_ROUTINES, p),
            (_MY_EVENTS, p),
            (_MY_TRIGGERS, p),
        ],
    )
    c, st, f, ch = (grouped(rows) for rows in (cols, stats, fks, checks))
    tables = [_mysql_table(h, c[h[0]], st[h[0]], f[h[0]], ch[h[0]], mariadb) for h in heads if not skip(h[0])]
    return schema_of(
        schema,
        tables,
        _mysql_views(views, schema),
        _mysql_routines(params, routines, schema) + _mysql_events(events, schema),
        _mysql_triggers(triggers, schema, skip),
    )


_MY_CHECKS_COLUMNS = """SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA =
    'information_schema' AND TABLE_NAME = 'CHECK_CONSTRAINTS'"""


def _mysql_checks_sql(has: Rows) -> str:
    """MariaDB's CHECK_CONSTRAINTS names the table; MySQL 8's must be joined to TABLE_CONSTRAINTS;
    servers without the view (MySQL < 8.0.16) have no enforced checks to read. ``has``: the view's
    columns (``_MY_CHECKS_COLUMNS``)."""
    names = {str(r[0]).upper() for r in has}
    if "TABLE_NAME" in names:
        return _MY_CHECKS_MARIADB
    if names:
        return _MY_CHECKS_MYSQL
    return "SELECT NULL, NULL, NULL FROM DUAL WHERE %s IS NULL"


def _mysql_table(head: tuple[Any, ...], cols: Rows, stats: Rows, fks: Rows, checks: Rows, mariadb: bool) -> Table:
    name, engine, collation, comment = head
    columns = tuple(
        Column(
            c[0],
            mysql_type(c[1]),
            c[2] == "YES",
            mysql_default(c[3], mariadb),
            mysql_extra(c[4]),
            mysql_charset(c[5]),
            mysql_charset(c[6]),
            c[7] or "",
        )
        for c in cols
    )
    pk = tuple(r[4] for r in stats if r[0] == "PRIMARY")
    idx = to_indexes([r for r in stats if r[0] != "PRIMARY"])
    return Table(
        name,
        columns,
        pk,
        idx,
        to_fks(fks),
        to_checks(checks),
        options(engine=engine, collation=mysql_charset(collation), comment=comment),
    )


def _mysql_views(rows: Rows, schema: str) -> list[View]:
    return [
        View(n, normalise_sql(strip_qualifier(d or "", schema)), options(check_option=c, security=s))
        for n, d, c, s in rows
    ]


def _mysql_routines(param_rows: Rows, rows: Rows, schema: str) -> list[Routine]:
    params = grouped(param_rows)
    out = []
    for name, kind, returns, body, det, access, security, comment in rows:
        args = ", ".join(" ".join(x for x in (m, n, mysql_type(t or "")) if x) for m, n, t in params[name])
        sig = f"({args})" + (f" RETURNS {mysql_type(returns)}" if returns else "")
        out.append(
            Routine(
                name,
                kind,
                sig,
                normalise_sql(strip_qualifier(body or "", schema)),
                options(deterministic=det, data_access=access, security=security, comment=comment),
            )
        )
    return out


def _mysql_events(rows: Rows, schema: str) -> list[Routine]:
    """Scheduled events, as routines of kind EVENT whose signature is the schedule."""
    out = []
    for name, body, kind, at, every, unit, status, completion, comment in rows:
        schedule = f"AT {at}" if kind == "ONE TIME" else f"EVERY {every} {unit}"
        out.append(
            Routine(
                name,
                "EVENT",
                schedule,
                normalise_sql(strip_qualifier(body or "", schema)),
                options(status=status, on_completion=completion, comment=comment),
            )
        )
    return out


def _mysql_triggers(rows: Rows, schema: str, skip: Excluder) -> list[Trigger]:
    return [
        Trigger(n, t, tm, ev, normalise_sql(strip_qualifier(b or "", schema)))
        for n, t, tm, ev, b in rows
        if not skip(t)
    ]
