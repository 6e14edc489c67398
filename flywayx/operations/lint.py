"""``flywayx lint`` on an operations file: every problem with its line and a one-line fix.

- ``operations-file`` (error): the file does not parse (TOML, unknown op, missing or unknown keys, bad
  values) or an operation does not compile for the dialect (e.g. a MariaDB block on MySQL);
- ``unsafe-operation`` (error or warning): operations that clash within the file — a column dropped or
  added twice, work on a table after ``rename_table``, a NOT NULL that the existing rows cannot meet,
  a backfill of a column the file drops, a foreign key to a table the file drops, ``raw_sql`` without
  a declared footprint;
- ``blocking-ddl`` (warning): a step this dialect cannot run online (compile notes: e.g. MariaDB
  copying a table to add a CHECK).

Pure: no database, no SQL analysis (``flywayx.service.online`` adds the check of ``raw_sql``'s
declared phase against the analyser's).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from flywayx.errors import FlywayxError
from flywayx.model.lint import Finding, Severity
from flywayx.operations.compile import Compiled, compile_checked
from flywayx.operations.spec import Operation, OperationFile, check, column_spec

W, E = Severity.WARNING, Severity.ERROR


def lint_file(text: str, path: str, dialect: str) -> tuple[Compiled | None, list[Finding]]:
    """The file compiled for ``dialect`` (None when it cannot be) and every finding, by line."""
    parsed, problems = check(text, path)
    blocks = _blocks(text)
    if parsed is None:
        return None, [_problem(path, err, blocks) for err in problems]
    combos = [_finding(path, line, rule, sev, msg, fix, blocks) for line, rule, sev, msg, fix in _combinations(parsed)]
    result, problems = compile_checked(parsed, dialect)
    found = combos + [_problem(path, err, blocks) for err in problems]
    if result is not None:
        found += [
            _finding(
                path,
                line,
                "blocking-ddl",
                W,
                note,
                "run this step in a maintenance window, or choose the online form the note names",
                blocks,
            )
            for notes in result.notes.values()
            for line, note in notes
        ]
    return result, sorted(found, key=lambda f: (f.line, f.rule, f.message))


def _blocks(text: str) -> dict[int, str]:
    """line of each ``[[operations]]`` header -> the operation's text on one line (what lint shows)."""
    lines = text.splitlines()
    heads = [i for i, ln in enumerate(lines) if ln.strip().startswith("[[operations]]")] + [len(lines)]
    out = {}
    for a, b in itertools.pairwise(heads):
        body = " ".join(ln.split("#")[0].strip() for ln in lines[a + 1 : b] if ln.split("#")[0].strip())
        out[a + 1] = body if len(body) <= 200 else body[:197] + "..."
    return out


def _problem(path: str, err: FlywayxError, blocks: dict[int, str]) -> Finding:
    message = re.sub(
        r"^operation (\d+) \((\w+, )?line \d+\): ", r"operation \1: ", err.message.removeprefix(f"{path}: ")
    )
    return _finding(
        path,
        int(err.details.get("line") or 1),
        "operations-file",
        E,
        message,
        err.hint or "see docs/online-upgrades.md for the operations and their keys",
        blocks,
    )


def _finding(path: str, line: int, rule: str, sev: Severity, msg: str, fix: str, blocks: dict[int, str]) -> Finding:
    return Finding(
        rule=rule,
        severity=sev,
        message=f"{path}:{line}: {msg}",
        fix=fix,
        path=path,
        line=line,
        statement=blocks.get(line, "(operations file)"),
    )


# ------------------------------------------------------------------------------ operations that clash


def _dropped(op: Operation) -> tuple[str, str] | None:
    """(table, column) the contract part drops for this operation."""
    if op.op == "drop_column":
        return op.text("table").lower(), op.text("column").lower()
    if op.op in ("rename_column", "change_type"):
        return op.text("table").lower(), op.text("from" if op.op == "rename_column" else "column").lower()
    return None


def _added(op: Operation) -> tuple[str, str] | None:
    if op.op == "add_column":
        return op.text("table").lower(), str(op.get("column")["name"]).lower()
    if op.op in ("rename_column", "change_type"):
        return op.text("table").lower(), op.text("to").lower()
    return None


_TABLE_KEYS = {"rename_table": ("from", "to"), "add_foreign_key": ("table", "ref_table")}


def _tables(op: Operation) -> set[str]:
    """The tables an operation names (raw_sql: none it declares by key)."""
    names = {op.get(k) for k in _TABLE_KEYS.get(op.op, ("table",))}
    return {str(n).lower() for n in names if isinstance(n, str)}


Combo = tuple[int, str, Severity, str, str]


def _combinations(f: OperationFile) -> Iterator[Combo]:
    """The clashes between operations of one file, in file order."""
    dropped: dict[tuple[str, str], Operation] = {}
    added: dict[tuple[str, str], Operation] = {}
    renamed: dict[str, Operation] = {}
    gone: dict[str, Operation] = {}
    for op in f.operations:
        yield from _column_clashes(op, dropped, added)
        yield from _table_clashes(op, renamed, gone)
        if op.op == "raw_sql" and not op.get("writes"):
            yield (
                op.line,
                "unsafe-operation",
                W,
                f"raw_sql ({op.get('phase')}) declares no writes: release-line "
                "planning assumes it touches everything, so it never commutes with another change",
                'declare them: writes = ["table", "table.column"] (and reads)',
            )
    for op in f.operations:
        if op.op == "set_not_null":
            yield from _not_null_clash(f, op, added)


def _column_clashes(
    op: Operation, dropped: dict[tuple[str, str], Operation], added: dict[tuple[str, str], Operation]
) -> Iterator[Combo]:
    drop, add = _dropped(op), _added(op)
    if drop is not None and drop in dropped:
        yield (
            op.line,
            "unsafe-operation",
            E,
            f"{op.op} drops {'.'.join(drop)}, which "
            f"{dropped[drop].where()} already drops: the contract step would fail",
            "keep one operation per column change",
        )
    if add is not None and add in added:
        yield (
            op.line,
            "unsafe-operation",
            E,
            f"{op.op} adds {'.'.join(add)}, which {added[add].where()} already adds: the expand step would fail",
            "keep one operation adding the column",
        )
    if op.op == "backfill" and (op.text("table").lower(), op.text("column").lower()) in dropped:
        yield (
            op.line,
            "unsafe-operation",
            W,
            f"backfill of {op.text('table')}.{op.text('column')}, which "
            f"{dropped[(op.text('table').lower(), op.text('column').lower())].where()} drops in contract",
            "backfill the column that stays (the new one), or drop the backfill",
        )
    if drop is not None:
        dropped.setdefault(drop, op)
    if add is not None:
        added.setdefault(add, op)


def _table_clashes(op: Operation, renamed: dict[str, Operation], gone: dict[str, Operation]) -> Iterator[Combo]:
    tables = _tables(op)
    for name in sorted(tables & set(renamed)):
        yield (
            op.line,
            "unsafe-operation",
            E,
            f"{op.op} names {name} after {renamed[name].where()} renamed the "
            "table: between expand and contract one of its names is a view (MySQL/MariaDB and PostgreSQL differ)",
            "put rename_table last among the operations on that table, or in a file of its own",
        )
    if op.op == "add_foreign_key" and op.text("ref_table").lower() in gone:
        yield (
            op.line,
            "unsafe-operation",
            E,
            f"add_foreign_key references {op.text('ref_table')}, which "
            f"{gone[op.text('ref_table').lower()].where()} drops",
            "reference a table that stays",
        )
    elif op.op != "drop_table":
        for name in sorted(tables & set(gone)):
            yield (
                op.line,
                "unsafe-operation",
                W,
                f"{op.op} works on {name}, which {gone[name].where()} drops",
                "drop the operation, or the drop_table",
            )
    if op.op == "rename_table":
        renamed.update({op.text("from").lower(): op, op.text("to").lower(): op})
    if op.op == "drop_table":
        gone[op.text("table").lower()] = op


def _not_null_clash(f: OperationFile, op: Operation, added: dict[tuple[str, str], Operation]) -> Iterator[Combo]:
    """set_not_null of a column this file adds nullable, without a default and with no backfill: the rows
    that exist before the upgrade keep NULL, so the contract step fails on them."""
    key = (op.text("table").lower(), op.text("column").lower())
    source = added.get(key)
    if source is None or source.op != "add_column":
        return
    col = column_spec(source.get("column"), source.where(), f.path)
    filled = any(
        o.op == "backfill" and (o.text("table").lower(), o.text("column").lower()) == key for o in f.operations
    )
    if col.default is None and not filled:
        yield (
            op.line,
            "unsafe-operation",
            E,
            f"set_not_null of {'.'.join(key)}, which {source.where()} adds "
            "without a default and nothing backfills: existing rows stay NULL and the contract step fails",
            "give the column a default, or add a backfill operation for it",
        )


__all__ = ["lint_file"]
