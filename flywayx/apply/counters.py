"""Before ``--resume`` sends again the statements a failed or killed run may have started (MySQL/MariaDB):
put back the AUTO_INCREMENT counters their rolled-back inserts consumed.

InnoDB does not give back the AUTO_INCREMENT values of a rolled-back INSERT, so running it again numbers
its rows after them (4, 5, 6 where a clean run gives 1, 2, 3) and a later statement naming a generated id
fails a foreign key or points at another row. ``restore_counters`` looks at each table the statements
still to run insert into (their footprints' ``append:``/``rows:`` writes; a CALL's unknown footprint names
none) and that has an AUTO_INCREMENT column:

- its counter's history is in this migration (an applied statement of it created the table, truncated it
  or set ``AUTO_INCREMENT = N``): the counter is set back to the last such start (the CREATE's table
  option, else 1); InnoDB raises a value below ``max(id) + 1`` to ``max(id) + 1``. That is what a clean
  run has at this point, exactly, unless an applied statement after that start deleted rows (DELETE,
  REPLACE, LOAD DATA, ``ON DUPLICATE KEY``) or skipped some (INSERT IGNORE): a clean run's counter may then
  be above ``max(id) + 1``. Such a table is reset all the same and named in the warning.
- it existed before the migration: what its counter was before the failed run is recorded nowhere. When
  the counter is above ``max(id) + 1`` (values consumed by the failed run, or by rows deleted long ago)
  it is left as it is, since lowering it could hand out again the id of a deleted row that other data
  still names, and the table is named in the warning.

MySQL/MariaDB only: on PostgreSQL a migration runs in one transaction, and a sequence created in it is
rolled back with it. Called on the resume path only; a normal run pays nothing.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from flywayx.apply.run import server_of
from flywayx.db import catalog
from flywayx.db.base import Database
from flywayx.errors import FlywayxError
from flywayx.model import Statement
from flywayx.statements.classify import Server, classify, client_text

_START = re.compile(r"\bAUTO_INCREMENT\s*(?:=\s*)?(\d+)", re.IGNORECASE)
_SKIPPING = ("DELETE", "REPLACE", "LOAD", "INSERT")  # with a rows: write (or IGNORE): rows gone or skipped

# Two reads, each keyed by the schema as the server spells it (db.catalog.spellings) with ``=``: MariaDB
# then opens that one database (and the second read, given the table's own name, that one table). A join
# of TABLES and COLUMNS, or LOWER() on the schema column, made it open every database on the server.
_COUNTER_COLUMN = (
    "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS"
    " WHERE TABLE_SCHEMA = ? AND LOWER(TABLE_NAME) = ? AND EXTRA LIKE '%auto_increment%'"
)
_COUNTER = "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?"


@dataclass
class _Start:
    """The counter's start within the migration, and whether rows went or were skipped after it."""

    value: int
    gaps: bool = False


@dataclass(frozen=True)
class CounterReset:
    """One counter ``--resume`` sets back: ``ALTER TABLE <quoted> AUTO_INCREMENT = <start>``, which InnoDB
    raises to ``top + 1`` when rows are above it (``value`` is what the table's counter then is)."""

    table: str
    quoted: str
    counter: int | None  # what it is now
    start: int
    top: int  # max(id) now

    @property
    def value(self) -> int:
        return max(self.start, self.top + 1)


@dataclass(frozen=True)
class CounterPlan:
    """What ``restore_counters`` does, read first (``migrate --resume --dry-run`` shows it)."""

    resets: tuple[CounterReset, ...] = ()
    warning: str | None = None


def plan_counters(
    db: Database, statements: Sequence[Statement], done: int, default_schema: str, script: str
) -> CounterPlan:
    """The counters ``statements[done:]`` need set back (see the module doc), and the warning line naming
    the tables whose generated ids may still differ from a clean run's; reads only."""
    if db.dialect not in ("mysql", "mariadb") or done >= len(statements):
        return CounterPlan()
    server = server_of(db)
    schema = default_schema.lower()
    targets = _targets(statements[done:], db.dialect, schema)
    if not targets:
        return CounterPlan()
    starts = _starts(statements[:done], db.dialect, server, schema)
    if db.dialect == "mysql":  # MySQL 8 caches TABLES.AUTO_INCREMENT for a day; 5.7 has no such variable
        with contextlib.suppress(FlywayxError):
            db.execute("SET SESSION information_schema_stats_expiry = 0")
    resets, kept, gaps = [], [], []
    spelled: dict[str, list[str]] = {}
    for name in sorted(targets):
        found = _counter_of(db, name, spelled)
        if found is None:
            continue  # no AUTO_INCREMENT column, or no such table (yet)
        real_schema, table, column, now = found
        quoted = db.quote(real_schema, table)
        top = int(db.query(f"SELECT COALESCE(MAX({db.quote(column)}), 0) FROM {quoted}")[0][0])
        start = starts.get(name)
        if start is not None:
            resets.append(CounterReset(table, quoted, now, start.value, top))
            if start.gaps:
                gaps.append(table)
        elif now is not None and now > top + 1:
            kept.append(table)
    return CounterPlan(tuple(resets), _warning(script, kept, gaps))


def _counter_of(db: Database, name: str, spelled: dict[str, list[str]]) -> tuple[str, str, str, int | None] | None:
    """(schema, table, AUTO_INCREMENT column, counter) of ``name`` (``schema.table`` lower-cased), or None;
    ``spelled`` remembers each schema's spellings on the server (``catalog.spellings``)."""
    schema, _, table = name.partition(".")
    if schema not in spelled:
        spelled[schema] = catalog.spellings(db, schema)
    for each in spelled[schema]:
        found = db.query(_COUNTER_COLUMN, (each, table))
        if found:
            real_schema, real_table, column = (str(v) for v in found[0])
            counter = db.query(_COUNTER, (real_schema, real_table))
            value = counter[0][0] if counter else None
            return real_schema, real_table, column, None if value is None else int(value)
    return None


def restore_counters(
    db: Database, statements: Sequence[Statement], done: int, default_schema: str, script: str
) -> str | None:
    """Set back the counters of the tables ``statements[done:]`` insert into (``plan_counters``); the
    warning line naming the tables whose generated ids may still differ from a clean run's, or None."""
    plan = plan_counters(db, statements, done, default_schema, script)
    for reset in plan.resets:
        db.execute(f"ALTER TABLE {reset.quoted} AUTO_INCREMENT = {reset.start}")
    return plan.warning


def _targets(statements: Sequence[Statement], dialect: str, schema: str) -> set[str]:
    from flywayx.statements.analyze import analyze_statement  # ~0.1 s of imports: resume only

    out = set()
    for stmt in statements:
        for obj in analyze_statement(stmt, dialect).writes:
            kind, _, name = obj.partition(":")
            if kind in ("append", "rows"):
                out.add(_qualified(name, schema))
    return out


def _starts(applied: Sequence[Statement], dialect: str, server: Server, schema: str) -> dict[str, _Start]:
    """Tables whose counter an applied statement started (CREATE, TRUNCATE, ``AUTO_INCREMENT = N``)."""
    from flywayx.statements.analyze import analyze_statement

    starts: dict[str, _Start] = {}
    for stmt in applied:
        words = classify(stmt.sql, server).words
        writes = analyze_statement(stmt, dialect).writes
        tables = [_qualified(o[6:], schema) for o in writes if o.startswith("table:")]
        rows = [_qualified(o[5:], schema) for o in writes if o.startswith("rows:")]
        option = _START.search(client_text(stmt.sql, server))
        if words[:1] == ("CREATE",) and "TABLE" in words[:4] and len(tables) == 1:
            starts[tables[0]] = _Start(int(option.group(1)) if option else 1)
        elif words[:1] == ("ALTER",) and option is not None and len(tables) == 1:
            starts[tables[0]] = _Start(int(option.group(1)))
        elif words[:1] == ("TRUNCATE",) and len(rows) == 1:
            starts[rows[0]] = _Start(1)
        elif words[:1] and words[0] in _SKIPPING and (rows or "IGNORE" in words[:2]):
            for name in rows + [_qualified(o[7:], schema) for o in writes if o.startswith("append:")]:
                if name in starts:
                    starts[name].gaps = True
    return starts


def _qualified(name: str, schema: str) -> str:
    return name if "." in name else f"{schema}.{name}"


def _warning(script: str, kept: list[str], gaps: list[str]) -> str | None:
    reasons = []
    if kept:
        reasons.append(
            f"{', '.join(kept)} existed before this migration, so the AUTO_INCREMENT values the failed run "
            "consumed cannot be told from those of rows deleted earlier: the counter is left as it is "
            "(`ALTER TABLE <t> AUTO_INCREMENT = 1` sets it to max(id)+1)"
        )
    if gaps:
        reasons.append(
            f"{', '.join(gaps)} had rows deleted or skipped earlier in this migration, so a clean run's "
            "counter may be above the max(id)+1 it was set back to"
        )
    if not reasons:
        return None
    return (
        f"Resuming {script}: ids generated in table(s) {', '.join(kept + gaps)} may differ from a clean "
        f"run's: {'; '.join(reasons)}"
    )
