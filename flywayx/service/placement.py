"""MySQL/MariaDB: a late ADD COLUMN takes the place a fresh install gives it (column-exact interleaving).

A maintenance fix that adds ``customer.loyalty`` and runs after a newer release added
``customer.segment`` would append ``loyalty`` after ``segment``; a fresh install has it before. When
the planner runs such a step late (``PlanStep.runs_after``: the applied changes after it on the same
tables), each ``ALTER TABLE t ADD [COLUMN] c …`` without ``FIRST``/``AFTER`` is sent with
``AFTER <the column before the first column those later changes added>`` (``FIRST`` when that is the
first column), read from the live table, so the table ends up equal to a fresh install's. PostgreSQL
cannot place a column: there the analyser makes two such additions non-commuting (``order:t``)
unless releases.toml declares them ``[commutes]``.

A plugin may name procedures that add one column (``Procedure.adds_column``, arguments ``('db.table',
'column', 'definition')``: CloudStack's ``IDEMPOTENT_ADD_COLUMN``); such a call is placed the same way,
by appending the placement to its definition.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from flywayx import plugins
from flywayx.model import Statement

_NAME = r"(?:`(?:[^`]|``)+`|[\w$]+)"
_LEAD = r"(?:\s|--[^\n]*\n|/\*.*?\*/)*"  # comments before the statement
_HEAD = re.compile(
    rf"\A({_LEAD}ALTER\s+(?:ONLINE\s+|IGNORE\s+)*TABLE\s+)({_NAME}(?:\.{_NAME})?)(\s+)(.*)\Z", re.IGNORECASE | re.DOTALL
)
_ADD = re.compile(rf"\A\s*ADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?({_NAME})\s+", re.IGNORECASE)
_NOT_COLUMN = {
    "INDEX",
    "KEY",
    "CONSTRAINT",
    "PRIMARY",
    "UNIQUE",
    "FOREIGN",
    "FULLTEXT",
    "SPATIAL",
    "PARTITION",
    "CHECK",
    "PERIOD",
    "SYSTEM",
    "(",
}
_PLACED = re.compile(r"\s(FIRST|AFTER\s+\S+)\s*\Z", re.IGNORECASE)


def _bare(name: str) -> str:
    return name.strip("`").replace("``", "`").rpartition(".")[2].strip("`").lower()


def _clauses(text: str) -> list[str]:
    """Top-level comma-separated parts of an ALTER's action list (quotes and parentheses respected)."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


# A call of a procedure that adds one column: CALL [`db`.]`name`('db.table', 'column', 'definition'),
# which runs ALTER TABLE <table> ADD COLUMN <column> <definition>; a placement goes at the end of the
# definition.
_ARGS = r"\s*\(\s*)'([^']+)'(\s*,\s*)'([^']+)'(\s*,\s*)'((?:[^']|'')*)'(\s*\)\s*)\Z"


@functools.cache
def _call_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """The call of any of ``names`` (``*`` at the end: any name that starts so); None for none."""
    if not names:
        return None
    alts = "|".join(re.escape(n[:-1]) + r"\w*" if n.endswith("*") else re.escape(n) for n in names)
    return re.compile(rf"\A({_LEAD}CALL\s+(?:{_NAME}\.)?`?(?:{alts})`?{_ARGS}", re.IGNORECASE | re.DOTALL)


def _call_match(sql: str) -> re.Match[str] | None:
    pattern = _call_pattern(tuple(p.name for p in plugins.procedures() if p.adds_column))
    return None if pattern is None else pattern.match(sql)


def _call(sql: str) -> tuple[str, str, bool] | None:
    """(table, column, placed) of a call of a procedure that adds a column; else None."""
    m = _call_match(sql)
    if m is None:
        return None
    return _bare(m.group(2)), _bare(m.group(4)), _PLACED.search(" " + m.group(6).strip()) is not None


def added_columns(sql: str) -> tuple[str, list[tuple[int, str, bool]]] | None:
    """(table, [(clause index, column, placed)]) of an ALTER TABLE (or a call of a procedure that adds a
    column) that adds columns; else None."""
    call = _call(sql)
    if call is not None:
        return call[0], [(0, call[1], call[2])]
    head = _HEAD.match(sql)
    if head is None:
        return None
    found = []
    for i, clause in enumerate(_clauses(head.group(4))):
        m = _ADD.match(clause)
        if m is None or m.group(1).upper() in _NOT_COLUMN:
            continue
        found.append((i, _bare(m.group(1)), _PLACED.search(clause) is not None))
    return (_bare(head.group(2)), found) if found else None


def later_columns(statements: Sequence[Statement]) -> dict[str, set[str]]:
    """table -> the columns these statements add to it."""
    out: dict[str, set[str]] = {}
    for stmt in statements:
        got = added_columns(stmt.sql)
        if got is not None:
            out.setdefault(got[0], set()).update(c for _, c, _ in got[1])
    return out


def place_late_columns(
    statements: Sequence[Statement],
    later: dict[str, set[str]],
    columns_of: Callable[[str], list[str]],
    quote: Callable[[str], str],
) -> list[Statement]:
    """``statements`` with each unplaced added column of a table in ``later`` placed before the first of
    ``later[table]`` in the live order (``columns_of``), as a fresh install orders them."""
    order: dict[str, list[str]] = {}
    out = []
    for stmt in statements:
        got = added_columns(stmt.sql)
        if got is None or got[0] not in later:
            out.append(stmt)
            continue
        table, adds = got
        live = order.setdefault(table, [c.lower() for c in columns_of(table)])
        call = _call_match(stmt.sql)
        if call is not None:
            out.append(_place_call(stmt, call, live, later[table], adds[0], quote))
            continue
        head = _HEAD.match(stmt.sql)
        assert head is not None
        clauses = _clauses(head.group(4))
        for i, column, placed in adds:
            anchor = next((c for c in live if c in later[table]), None)
            if placed or anchor is None:
                _add(live, column, clauses[i])
                continue
            at = live.index(anchor)
            where = "FIRST" if at == 0 else f"AFTER {quote(live[at - 1])}"
            clauses[i] = clauses[i].rstrip() + f" {where}"
            live.insert(at, column)
        text = head.group(1) + head.group(2) + head.group(3) + ",".join(clauses)
        out.append(replace(stmt, sql=text))
    return out


def _add(live: list[str], column: str, clause: str) -> None:
    """Follow an addition the server places as ``clause`` says (``FIRST``, ``AFTER c``), else at the end,
    so the columns after it are placed from the order the table will have."""
    m = _PLACED.search(" " + clause.strip())
    where = m.group(1).split(None, 1) if m is not None else []
    after = _bare(where[1]) if len(where) == 2 else None
    if where and where[0].upper() == "FIRST":
        live.insert(0, column)
    elif after is not None and after in live:
        live.insert(live.index(after) + 1, column)
    else:
        live.append(column)


def _place_call(
    stmt: Statement,
    call: re.Match[str],
    live: list[str],
    later: set[str],
    add: tuple[int, str, bool],
    quote: Callable[[str], str],
) -> Statement:
    """The call with ``AFTER``/``FIRST`` appended to its definition argument (quotes doubled)."""
    _, column, placed = add
    anchor = next((c for c in live if c in later), None)
    if column in live:  # the call changes nothing: the column is there
        return stmt
    if placed or anchor is None:
        _add(live, column, call.group(6).replace("''", "'"))
        return stmt
    at = live.index(anchor)
    where = "FIRST" if at == 0 else f"AFTER {quote(live[at - 1])}"
    live.insert(at, column)
    definition = call.group(6).rstrip() + " " + where.replace("'", "''")
    text = (
        call.group(1)
        + f"'{call.group(2)}'"
        + call.group(3)
        + f"'{call.group(4)}'"
        + call.group(5)
        + f"'{definition}'"
        + call.group(7)
    )
    return replace(stmt, sql=text)


__all__ = ["added_columns", "later_columns", "place_late_columns"]
