"""Batched backfills and the triggers that keep an old and a new column in sync, per dialect.

A *shadow column* carries a column's values under a new name or type while both releases run:
the old release writes the old column, the new release the new one, and BEFORE INSERT/UPDATE
triggers copy each write to the other column (``up``: old -> new, ``down``: new -> old):

- INSERT: the new column given (not NULL) wins — only the new release knows it — else it is
  computed from the old one;
- UPDATE: whichever column the statement changed is copied to the other.

Rows written before the triggers exist keep the new column NULL and are filled by the copy, which
only touches rows whose new column is NULL; so on MariaDB (one trigger per event) the UPDATE trigger
is created before the INSERT trigger, never leaving a filled new column that an update made stale.

A backfill walks the table by ranges of an integer key (``batch`` keys per statement, the next range
starting at the next existing key, so gaps in the keys cost nothing), committing after each range
and pausing after it (``pause`` times the range's duration), so no write waits for more than one
range nor queues behind the copy's log writes: MariaDB/MySQL in a ``BEGIN NOT ATOMIC``
block under READ COMMITTED (no gap locks, so the running release's inserts never wait; the session's
level is restored, also on failure), PostgreSQL in a ``DO`` block (outside a transaction, so
``COMMIT`` is allowed).
Expressions are written with plain column names; in trigger bodies they are read from ``NEW``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flywayx.operations.ddl import Sql
from flywayx.operations.spec import OperationError


@dataclass(frozen=True)
class Shadow:
    table: str
    old: str
    new: str
    up: str  # SQL expression computing new from old (plain column names)
    down: str  # ... and old from new


_LITERAL = re.compile(r"('(?:[^'\\]|\\.|'')*')")


def _on_new(expression: str, columns: tuple[str, ...], sql: Sql) -> str:
    """``expression`` with each column name read from the row being written (``NEW.c``): bare names,
    and names in backquotes; never inside a string literal."""
    pieces = _LITERAL.split(expression)
    for k in range(0, len(pieces), 2):  # odd pieces are the literals
        code = pieces[k]
        for name in columns:
            code = re.sub(rf"(?<![\w.$`\"]){re.escape(name)}(?![\w$`\"])", f"NEW.{sql.q(name)}", code)
            code = re.sub(rf"(?<![\w.])`{re.escape(name)}`", f"NEW.{sql.q(name)}", code)
        pieces[k] = code
    return "".join(pieces)


def trigger_names(s: Shadow) -> tuple[str, str]:
    """(insert trigger, update trigger) names; PostgreSQL uses the first for both (and its function)."""
    base = f"fx_{s.table}_{s.old}_{s.new}"[:56]
    return f"{base}_ins", f"{base}_upd"


def sync_triggers(s: Shadow, sql: Sql) -> list[str]:
    """The statements creating the sync triggers (and PostgreSQL's trigger function)."""
    cols = (s.old, s.new)
    up, down = _on_new(s.up, cols, sql), _on_new(s.down, cols, sql)
    t, old, new = sql.q(s.table), sql.q(s.old), sql.q(s.new)
    ins, upd = trigger_names(s)
    if sql.mysql:
        changed_old, changed_new = f"NOT (NEW.{old} <=> OLD.{old})", f"NOT (NEW.{new} <=> OLD.{new})"
        # the UPDATE trigger first: a row inserted while only the INSERT trigger existed would get the new
        # column filled, and an update before the UPDATE trigger would leave it stale, unseen by the copy
        return [
            f"CREATE TRIGGER {sql.q(upd)} BEFORE UPDATE ON {t} FOR EACH ROW\nBEGIN\n"
            f"  IF {changed_old} THEN SET NEW.{new} = {up};\n"
            f"  ELSEIF {changed_new} THEN SET NEW.{old} = {down}; END IF;\nEND",
            f"CREATE TRIGGER {sql.q(ins)} BEFORE INSERT ON {t} FOR EACH ROW\nBEGIN\n"
            f"  IF NEW.{new} IS NULL THEN SET NEW.{new} = {up}; ELSE SET NEW.{old} = {down}; END IF;\nEND",
        ]
    fn = sql.q(ins)
    return [
        f"CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $fx$\nBEGIN\n"
        f"  IF TG_OP = 'INSERT' THEN\n"
        f"    IF NEW.{new} IS NULL THEN NEW.{new} := {up}; ELSE NEW.{old} := {down}; END IF;\n"
        f"  ELSIF NEW.{old} IS DISTINCT FROM OLD.{old} THEN NEW.{new} := {up};\n"
        f"  ELSIF NEW.{new} IS DISTINCT FROM OLD.{new} THEN NEW.{old} := {down};\n"
        f"  END IF;\n  RETURN NEW;\nEND\n$fx$",
        f"CREATE TRIGGER {fn} BEFORE INSERT OR UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION {fn}()",
    ]


def drop_triggers(s: Shadow, sql: Sql) -> list[str]:
    ins, upd = trigger_names(s)
    if sql.mysql:
        return [f"DROP TRIGGER IF EXISTS {sql.q(ins)}", f"DROP TRIGGER IF EXISTS {sql.q(upd)}"]
    return [f"DROP TRIGGER IF EXISTS {sql.q(ins)} ON {sql.q(s.table)}", f"DROP FUNCTION IF EXISTS {sql.q(ins)}()"]


def _block(sql: Sql, what: str) -> None:
    """MySQL (unlike MariaDB) has no anonymous ``BEGIN NOT ATOMIC`` block: refuse rather than send one."""
    if sql.name == "mysql":
        raise OperationError(
            f"MySQL is not supported for this operation: {what} needs a MariaDB BEGIN NOT ATOMIC "
            "block, which MySQL does not have",
            hint="run the file against MariaDB or PostgreSQL, or write this step as raw_sql calling "
            'a stored procedure (docs/online-upgrades.md, "MySQL")',
        )


def backfill(
    table: str, column: str, expression: str, key: str, batch: int, where: str | None, sql: Sql, pause: float = 1.0
) -> str:
    """One block that sets ``column = expression`` range by range of ``key``, committing after each and
    then waiting ``pause`` times as long as the range took (1: the copy works at most half the time), so
    the commits of the running applications do not queue behind the copy's log writes."""
    _block(sql, f"the batched backfill of {table}.{column}")
    k = sql.q(key)
    cond = f"{k} >= fx_lo AND {k} < fx_lo + {batch}" + (f" AND ({where})" if where else "")
    update = sql.update(table, column, expression, cond)
    t = sql.q(table)
    if sql.mysql:
        rest = f"    DO SLEEP(TIMESTAMPDIFF(MICROSECOND, fx_t, SYSDATE(6)) * {pause:g} / 1000000);\n" if pause else ""
        return (
            f"BEGIN NOT ATOMIC\n  DECLARE fx_lo BIGINT DEFAULT (SELECT MIN({k}) FROM {t});\n"
            f"  DECLARE fx_iso VARCHAR(40) DEFAULT @@session.tx_isolation;\n"
            f"  DECLARE fx_hi BIGINT DEFAULT (SELECT MAX({k}) FROM {t});\n  DECLARE fx_t DATETIME(6);\n"
            f"  DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN SET SESSION tx_isolation = fx_iso; RESIGNAL; END;\n"
            f"  SET SESSION tx_isolation = 'READ-COMMITTED';  -- no gap locks: inserts never wait\n"
            f"  WHILE fx_lo <= fx_hi DO\n    SET fx_t = SYSDATE(6);\n    {update};\n    COMMIT;\n{rest}"
            f"    SET fx_lo = (SELECT MIN({k}) FROM {t} WHERE {k} >= fx_lo + {batch});\n"
            f"  END WHILE;\n  SET SESSION tx_isolation = fx_iso;\nEND"
        )
    rest = f"    PERFORM pg_sleep(extract(epoch FROM clock_timestamp() - fx_t) * {pause:g});\n" if pause else ""
    return (
        f"DO $fx$\nDECLARE fx_lo bigint; fx_hi bigint; fx_t timestamptz;\nBEGIN\n"
        f"  SELECT min({k}), max({k}) INTO fx_lo, fx_hi FROM {t};\n"
        f"  WHILE fx_lo <= fx_hi LOOP\n    fx_t := clock_timestamp();\n    {update};\n    COMMIT;\n{rest}"
        f"    SELECT min({k}) INTO fx_lo FROM {t} WHERE {k} >= fx_lo + {batch};\n"
        f"  END LOOP;\nEND\n$fx$"
    )


_NOT_COLUMNS = frozenset(
    {
        "and",
        "or",
        "not",
        "is",
        "null",
        "true",
        "false",
        "unknown",
        "in",
        "between",
        "like",
        "rlike",
        "regexp",
        "escape",
        "case",
        "when",
        "then",
        "else",
        "end",
        "div",
        "mod",
        "xor",
        "binary",
        "collate",
        "interval",
        "exists",
        "any",
        "all",
        "some",
        "distinct",
        "as",
        "cast",
        "convert",
        "date",
        "time",
        "timestamp",
    }
)


def expression_columns(expression: str) -> tuple[str, ...]:
    """The column names a CHECK expression reads: its bare words that are neither SQL keywords nor
    function names (followed by ``(``), outside string literals; backquoted names as written."""
    code = re.sub(r"'(?:[^'\\]|\\.|'')*'", "''", expression)
    quoted = re.findall(r"`([^`]+)`", code)
    code = re.sub(r"`[^`]+`", " ", code)
    bare = [
        m.group(1)
        for m in re.finditer(r"(?<![\w.$@])([A-Za-z_][\w$]*)(?![\w$])(?!\s*\()", code)
        if m.group(1).lower() not in _NOT_COLUMNS and not re.fullmatch(r"\d", m.group(1))
    ]
    return tuple(dict.fromkeys([*quoted, *bare]))


def check_trigger_names(table: str, name: str) -> tuple[str, str]:
    base = f"fx_{table}_{name}"[:56]
    return f"{base}_ins", f"{base}_upd"


def check_triggers(table: str, name: str, expression: str, columns: tuple[str, ...], sql: Sql) -> list[str]:
    """MariaDB: a CHECK constraint kept by BEFORE INSERT/UPDATE triggers, which reject a row whose
    ``expression`` is false with the error a CHECK raises (4025, SQLSTATE 23000), then the existing
    rows checked (SQLSTATE 45000 when one is false). Creating a trigger waits only for the writes in
    flight; adding the CHECK itself copies the table. ``CREATE OR REPLACE``: a run that failed on
    existing rows can be repeated once they are fixed."""
    _block(sql, f"the check of {table}'s rows before enforcing {name}")
    on_new = _on_new(expression, columns, sql)
    message = f"CONSTRAINT `{name}` failed for `{table}`"
    body = (
        f"FOR EACH ROW\nBEGIN\n  IF NOT ({on_new}) THEN\n"
        f"    SIGNAL SQLSTATE '23000' SET MYSQL_ERRNO = 4025, MESSAGE_TEXT = '{message}';\n  END IF;\nEND"
    )
    ins, upd = check_trigger_names(table, name)
    t = sql.q(table)
    fix = f"rows of {table} violate {name}: fix them, then run the contract step again"
    return [
        f"CREATE OR REPLACE TRIGGER {sql.q(ins)} BEFORE INSERT ON {t} {body}",
        f"CREATE OR REPLACE TRIGGER {sql.q(upd)} BEFORE UPDATE ON {t} {body}",
        f"BEGIN NOT ATOMIC\n  IF EXISTS (SELECT 1 FROM {t} WHERE NOT ({expression})) THEN\n"
        f"    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{fix}';\n  END IF;\nEND",
    ]


def orphan_check(table: str, columns: list[str], ref: str, ref_columns: list[str], sql: Sql) -> str:
    """MariaDB: fail (SQLSTATE 45000) when a row of ``table`` references no row of ``ref``."""
    _block(sql, f"the check of {table}'s rows before its foreign key")
    join = " AND ".join(f"c.{sql.q(a)} = p.{sql.q(b)}" for a, b in zip(columns, ref_columns, strict=True))
    given = " AND ".join(f"c.{sql.q(a)} IS NOT NULL" for a in columns)
    missing = f"p.{sql.q(ref_columns[0])} IS NULL"
    message = f"rows of {table} reference no row of {ref}: fix them before adding the foreign key"
    return (
        f"BEGIN NOT ATOMIC\n  IF EXISTS (SELECT 1 FROM {sql.q(table)} c LEFT JOIN {sql.q(ref)} p ON {join}"
        f" WHERE {given} AND {missing}) THEN\n"
        f"    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{message}';\n  END IF;\nEND"
    )


__all__ = [
    "Shadow",
    "backfill",
    "check_trigger_names",
    "check_triggers",
    "drop_triggers",
    "expression_columns",
    "orphan_check",
    "sync_triggers",
    "trigger_names",
]
