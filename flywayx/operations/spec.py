"""Reading an operations file (``V5__rename_email.toml``) into typed operations. Pure; no SQLAlchemy.

    contract_version = "5.1"     # optional: the contract part's version (default: the file's + ".1")

    [[operations]]
    op = "rename_column"
    table = "account"
    from = "email"
    to = "email_address"
    type = "VARCHAR(255)"

Every key of every operation is checked: unknown operations, unknown or missing keys, wrong value
types and unsafe requests (a NOT NULL column without a default) raise ``OperationError`` naming the
file, the operation's number and line, with a hint.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flywayx.errors import FlywayxError

PHASES = ("expand", "data", "contract")


class OperationError(FlywayxError):
    """An operations file that cannot be compiled."""

    error_code = "OPERATION_INVALID"


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    nullable: bool = True
    default: str | None = None  # an SQL expression, as written
    primary_key: bool = False


@dataclass(frozen=True)
class Operation:
    """One operation: its name, its keys (checked), its 1-based number and line in the file."""

    op: str
    args: Mapping[str, Any]
    number: int
    line: int

    def get(self, key: str, default: Any = None) -> Any:
        return self.args.get(key, default)

    def text(self, key: str) -> str:
        return str(self.args[key])

    def where(self) -> str:
        return f"operation {self.number} ({self.op}, line {self.line})"


@dataclass(frozen=True)
class OperationFile:
    """The parsed file: its operations in order and the version its contract part is recorded under."""

    path: str
    operations: tuple[Operation, ...]
    contract_version: str | None = None
    text: str = field(default="", repr=False)


_S, _B, _I, _L, _C, _N = "str", "bool", "int", "list", "column", "number"
# op -> (required keys, optional keys); each key with its value type
SCHEMAS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "create_table": ({"table": _S, "columns": _L}, {}),
    "add_column": ({"table": _S, "column": _C}, {"after": _S}),
    "drop_column": ({"table": _S, "column": _S}, {}),
    "rename_column": (
        {"table": _S, "from": _S, "to": _S, "type": _S},
        {"nullable": _B, "key": _S, "batch": _I, "pause": _N},
    ),
    "change_type": (
        {"table": _S, "column": _S, "type": _S, "to": _S},
        {"old_type": _S, "up": _S, "down": _S, "nullable": _B, "key": _S, "batch": _I, "pause": _N},
    ),
    "set_not_null": ({"table": _S, "column": _S}, {"type": _S}),
    "add_index": ({"table": _S, "name": _S, "columns": _L}, {"unique": _B}),
    "add_foreign_key": (
        {"table": _S, "name": _S, "columns": _L, "ref_table": _S, "ref_columns": _L},
        {"on_delete": _S},
    ),
    "add_check": ({"table": _S, "name": _S, "expression": _S}, {"enforce": _S}),
    "drop_table": ({"table": _S}, {}),
    "rename_table": ({"from": _S, "to": _S}, {}),
    "backfill": ({"table": _S, "column": _S, "expression": _S}, {"key": _S, "batch": _I, "where": _S, "pause": _N}),
    "raw_sql": ({"sql": _S, "phase": _S}, {"reads": _L, "writes": _L, "dialect": _S}),
}
OPERATIONS = tuple(SCHEMAS)
CONTRACT_OPS = frozenset(
    {
        "drop_column",
        "rename_column",
        "change_type",
        "set_not_null",
        "add_foreign_key",
        "add_check",
        "drop_table",
        "rename_table",
    }
)


def has_contract(f: OperationFile) -> bool:
    """Whether the file has a contract part: declared, or an operation with contract work (any dialect)."""
    return f.contract_version is not None or any(
        op.op in CONTRACT_OPS
        or (op.op == "add_index" and op.get("unique") is True)
        or (op.op == "raw_sql" and op.get("phase") == "contract")
        for op in f.operations
    )


def contract_version_of(f: OperationFile, version: str) -> str:
    """The version the contract part is recorded under: declared, else the file's version + ``.1``."""
    return f.contract_version or f"{version}.1"


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,62}\Z")
_COLUMN_KEYS = {"name", "type", "nullable", "default", "primary_key"}


def parse(text: str, path: str) -> OperationFile:
    """The operations of ``text`` (the file at ``path``), checked; raises the first OperationError."""
    parsed, problems = check(text, path)
    if problems:
        raise problems[0]
    assert parsed is not None
    return parsed


def check(text: str, path: str) -> tuple[OperationFile | None, list[OperationError]]:
    """Every problem of the file — each with its ``line`` in ``details``, at most one per operation —
    and the parsed file when there is none (``flywayx lint`` reports them all)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        at = re.search(r"at line (\d+)", str(err))
        return None, [
            OperationError(
                f"{path}: not valid TOML: {err}",
                hint="see docs/online-upgrades.md for the format",
                path=path,
                line=int(at.group(1)) if at else 1,
            )
        ]
    problems = []
    unknown = sorted(set(data) - {"contract_version", "operations"})
    if unknown:
        problems.append(
            OperationError(
                f"{path}: unknown top-level key(s) {', '.join(unknown)}",
                path=path,
                line=1,
                hint="an operations file has contract_version and [[operations]] tables",
            )
        )
    contract = data.get("contract_version")
    if contract is not None and not isinstance(contract, str):
        problems.append(
            OperationError(
                f'{path}: contract_version must be a string such as "5.1"',
                path=path,
                line=_key_line(text, "contract_version"),
                hint='e.g. contract_version = "5.1"',
            )
        )
    items = data.get("operations")
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        return None, [
            *problems,
            OperationError(
                f"{path}: no [[operations]] tables",
                path=path,
                line=1,
                hint='start each operation with [[operations]] and op = "..."',
            ),
        ]
    lines = _header_lines(text)
    ops = []
    for n, item in enumerate(items, start=1):
        line = lines[n - 1] if n <= len(lines) else 0
        try:
            ops.append(_operation(item, n, line, path))
        except OperationError as err:
            err.details.setdefault("line", line)
            problems.append(err)
    if problems:
        return None, problems
    return OperationFile(path, tuple(ops), contract, text), []


def _key_line(text: str, key: str) -> int:
    return next((i for i, ln in enumerate(text.splitlines(), start=1) if ln.strip().startswith(key)), 1)


def _header_lines(text: str) -> list[int]:
    return [i for i, ln in enumerate(text.splitlines(), start=1) if ln.strip().startswith("[[operations]]")]


def _operation(item: dict[str, Any], number: int, line: int, path: str) -> Operation:
    op = item.get("op")
    where = f"{path}: operation {number} (line {line})"
    if op not in SCHEMAS:
        raise OperationError(f"{where}: unknown op {op!r}", hint=f"use one of {', '.join(OPERATIONS)}", path=path)
    required, optional = SCHEMAS[op]
    args = {k: v for k, v in item.items() if k != "op"}
    missing = [k for k in required if k not in args]
    if missing:
        raise OperationError(
            f"{where}: {op} needs {', '.join(missing)}", hint=f"{op} takes {_keys(required, optional)}", path=path
        )
    extra = sorted(set(args) - set(required) - set(optional))
    if extra:
        raise OperationError(
            f"{where}: {op} has unknown key(s) {', '.join(extra)}",
            hint=f"{op} takes {_keys(required, optional)}",
            path=path,
        )
    for key, value in args.items():
        _check_value(f"{where}: {op}.{key}", {**required, **optional}[key], value, path)
    result = Operation(op, args, number, line)
    _check_meaning(result, where, path)
    return result


def _keys(required: Mapping[str, str], optional: Mapping[str, str]) -> str:
    return ", ".join([*required, *(f"[{k}]" for k in optional)])


def _check_value(where: str, kind: str, value: Any, path: str) -> None:
    ok = {
        "str": isinstance(value, str) and value.strip() != "",
        "bool": isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool) and value > 0,
        "list": isinstance(value, list) and bool(value),
        "number": isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 100,
        "column": isinstance(value, dict),
    }[kind]
    if not ok:
        words = {
            "str": "a non-empty string",
            "bool": "true or false",
            "int": "a positive integer",
            "list": "a non-empty list",
            "number": "a number from 0 to 100",
            "column": "a table { name = ..., type = ... }",
        }
        raise OperationError(f"{where} must be {words[kind]}", path=path)


def column_spec(value: Any, where: str, path: str) -> ColumnSpec:
    """A ``{ name, type, nullable, default, primary_key }`` table as a ColumnSpec."""
    if not isinstance(value, dict) or not {"name", "type"} <= set(value) or set(value) - _COLUMN_KEYS:
        raise OperationError(
            f"{where}: a column is {{ name = ..., type = ..., [nullable], [default], [primary_key] }}", path=path
        )
    name, typ = value["name"], value["type"]
    if not isinstance(name, str) or not _NAME.match(name) or not isinstance(typ, str) or not typ.strip():
        raise OperationError(f"{where}: column name {name!r} or type {typ!r} is not usable", path=path)
    default = value.get("default")
    if default is not None and not isinstance(default, str | int | float | bool):
        raise OperationError(f"{where}: default of {name} must be an SQL expression (a string) or a number", path=path)
    return ColumnSpec(
        name,
        typ.strip(),
        bool(value.get("nullable", True)),
        None if default is None else _sql_default(default),
        bool(value.get("primary_key", False)),
    )


def _sql_default(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


_NAMED = {"table", "column", "from", "to", "name", "ref_table", "key"}


def _check_meaning(op: Operation, where: str, path: str) -> None:
    for key in sorted(_NAMED & set(op.args)):
        value = op.args[key]
        if isinstance(value, str) and not _NAME.match(value):
            raise OperationError(
                f"{where}: {op.op}.{key} = {value!r} is not a plain SQL name",
                hint="letters, digits, _ and $, starting with a letter or _",
                path=path,
            )
    for key in ("columns", "ref_columns"):
        if (
            op.op != "create_table"
            and key in op.args
            and not all(isinstance(c, str) and _NAME.match(c) for c in op.args[key])
        ):
            raise OperationError(f"{where}: {op.op}.{key} must list plain column names", path=path)
    if op.op == "add_column":
        col = column_spec(op.args["column"], where, path)
        if not col.nullable and col.default is None:
            raise OperationError(
                f"{where}: add_column {col.name} is NOT NULL without a default: the running "
                "release's INSERTs would fail",
                hint="add it nullable (or with a default), backfill it, then set_not_null",
                path=path,
            )
    if op.op == "create_table":
        for c in op.args["columns"]:
            column_spec(c, where, path)
    if op.op == "add_check" and op.args.get("enforce", "check") not in ("check", "trigger"):
        raise OperationError(
            f'{where}: add_check.enforce must be "check" or "trigger"',
            path=path,
            hint='"trigger" (MySQL/MariaDB): triggers reject the rows, the table is not copied',
        )
    if op.op == "raw_sql" and op.args["phase"] not in PHASES:
        raise OperationError(f"{where}: raw_sql.phase must be one of {', '.join(PHASES)}", path=path)
    if op.op == "change_type" and "down" not in op.args and "old_type" not in op.args:
        raise OperationError(
            f"{where}: change_type needs old_type (or a down expression) to keep the old "
            "column in sync with writes of the new release",
            path=path,
        )


__all__ = [
    "CONTRACT_OPS",
    "OPERATIONS",
    "PHASES",
    "ColumnSpec",
    "Operation",
    "OperationError",
    "OperationFile",
    "check",
    "column_spec",
    "contract_version_of",
    "has_contract",
    "parse",
]
