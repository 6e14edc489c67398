"""What one parsed ALTER TABLE action does to the previous release: objects touched and phase.

The phase rules, in words (docs/online-upgrades.md has the table):
  * additive or invisible to the previous release (new nullable/defaulted column, plain index,
    table options, partitions added or reorganised, statistics, storage) -> expand;
  * a constraint the previous release's writes may violate (foreign key, CHECK, UNIQUE, primary
    key, exclusion) -> contract, with a ``tighten`` note: it is safe only once no server runs the
    previous release, and existing rows are validated first (NOT VALID + VALIDATE on PostgreSQL);
  * data lost or hidden (dropped/truncated/exchanged/detached partitions, dropped columns), renames,
    narrowed types, NOT NULL without a default, dropped defaults or identities, disabled triggers,
    row-level security switched on -> contract.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flywayx.model.footprint import Phase
from flywayx.model.lint import (
    BEHAVIOUR,
    DROP_COLUMN,
    DROP_DEFAULT,
    DROP_OBJECT,
    DROP_TABLE,
    NARROWING,
    NOT_NULL,
    RENAME,
    TIGHTEN,
    TRUNCATE,
    TYPE_CHANGE,
)
from flywayx.statements.analyze.builder import Acc

if TYPE_CHECKING:
    from flywayx.statements.analyze.alter import Action

_EXPAND_ONLY = frozenset(
    {
        "table-option",
        "engine",
        "rebuild",
        "order-by",
        "algorithm",
        "lock",
        "validate",
        "pg-set",
        "attach-partition",
        "rewrite",
        "drop-not-null",
        "set-default",
        "set-statistics",
        "set-storage",
        "add-identity",
        "drop-expression",
        "alter-constraint",
        "add-partition",
        "repartition",
        "maintenance",
    }
)
_CONSTRAINTS = {
    "add-fk": "foreign key",
    "add-check": "check",
    "add-exclude": "exclusion constraint",
    "add-pk": "primary key",
}
_LOSES_ROWS = {
    "drop-partition": "partition dropped",
    "truncate-partition": "partition truncated",
    "exchange-partition": "partition exchanged",
    "detach-partition": "partition detached",
    "convert-partition": "partition converted to a table",
}


def apply_action(a: Action, acc: Acc) -> None:
    """Record the objects an action touches and the phase it implies."""
    t = a.table
    if a.op in _EXPAND_ONLY:
        acc.write("table", t) if a.column is None else acc.write("column", f"{t}.{a.column}")
    elif a.op == "add-column":
        _apply_add_column(a, acc)
    elif a.op in ("add-index", "add-pk", "add-fk", "add-check", "add-exclude"):
        _apply_add_constraint(a, acc)
    elif a.op in ("drop-index", "drop-pk", "drop-fk", "drop-constraint"):
        kinds = {"drop-fk": ("fk",), "drop-constraint": ("fk", "index")}.get(a.op, ("index",))
        for kind in kinds:
            acc.write(kind, f"{t}.{a.new_name}")
        acc.note(DROP_OBJECT, f"{kinds[0]}:{t}.{a.new_name}")
        acc.bump(Phase.CONTRACT)
    elif a.op in ("trigger-state", "row-security"):
        _apply_switch(a, acc)
    else:
        _apply_change(a, acc)


def _apply_add_constraint(a: Action, acc: Acc) -> None:
    t = a.table
    for col in a.columns:
        acc.read("column", f"{t}.{col}")
    acc.write("index" if a.op in ("add-index", "add-pk") else "fk", f"{t}.{a.new_name}")
    if a.ref_table:
        acc.read("table", a.ref_table)
    kind = _CONSTRAINTS.get(a.op) or ("unique key" if a.flags & {"unique", "primary"} else None)
    if kind is not None:
        acc.note(TIGHTEN, f"{t}.{a.new_name} ({kind})")
        acc.bump(Phase.CONTRACT)


def _apply_switch(a: Action, acc: Acc) -> None:
    """ENABLE/DISABLE TRIGGER|RULE, ENABLE/FORCE ROW LEVEL SECURITY: what the old release relies on."""
    acc.write("table", a.table)
    what = a.new_name or ""
    turns_on = bool(a.flags & {"enable", "force"}) and "no" not in a.flags
    if (a.op == "trigger-state" and "disable" in a.flags) or (a.op == "row-security" and turns_on):
        acc.note(BEHAVIOUR, f"{a.table}: {next(iter(sorted(a.flags)))} {what}")
        acc.bump(Phase.CONTRACT)


def _apply_add_column(a: Action, acc: Acc) -> None:
    acc.write("column", f"{a.table}.{a.column}")
    if acc.family == "postgresql":  # appended at the end: the order of two such columns is the order applied
        acc.write("order", a.table)
    if "if-not-exists" in a.flags:
        acc.idempotent = True
    if a.coldef is not None and not a.coldef.nullable_or_defaulted:
        acc.note(NOT_NULL, f"{a.table}.{a.column}")
        acc.bump(Phase.CONTRACT)
    if a.coldef is not None and a.coldef.references:
        acc.read("table", a.coldef.references)


def _apply_change(a: Action, acc: Acc) -> None:
    t, col = a.table, a.column
    if a.op == "drop-column":
        acc.write("column", f"{t}.{col}")
        acc.note(DROP_COLUMN, f"{t}.{col}")
        acc.bump(Phase.CONTRACT)
    elif a.op in ("modify-column", "change-column"):
        _apply_retype(a, acc)
    elif a.op in ("drop-default", "drop-identity"):
        acc.write("column", f"{t}.{col}")
        acc.note(DROP_DEFAULT, f"{t}.{col}")
        acc.bump(Phase.CONTRACT)
    elif a.op == "set-not-null":
        acc.write("column", f"{t}.{col}")
        acc.note(NOT_NULL, f"{t}.{col}")
        acc.bump(Phase.CONTRACT)
    elif a.op in ("rename-table", "set-schema"):
        acc.write("table", t)
        acc.write("table", a.new_name or "?")
        acc.note(RENAME, f"table {t} -> {a.new_name}")
        acc.bump(Phase.CONTRACT)
    elif a.op == "rename-column":
        acc.write("column", f"{t}.{col}")
        acc.write("column", f"{t}.{a.new_name}")
        acc.note(RENAME, f"column {t}.{col} -> {t}.{a.new_name}")
        acc.bump(Phase.CONTRACT)
    elif a.op == "rename-index":
        acc.write("index", f"{t}.{col}")
        acc.write("index", f"{t}.{a.new_name}")
    else:
        _apply_rest(a, acc)


def _apply_rest(a: Action, acc: Acc) -> None:
    t = a.table
    if a.op == "convert-charset":
        acc.write("table", t)
        if a.new_name != "utf8mb4":
            acc.note(NARROWING, f"{t} converted to character set {a.new_name or '?'}")
            acc.bump(Phase.CONTRACT)
    elif a.op in _LOSES_ROWS:
        acc.write("rows", t)
        acc.note(TRUNCATE, f"{t} ({_LOSES_ROWS[a.op]})")
        acc.bump(Phase.CONTRACT)
    elif a.op == "convert-table":  # the table's rows join t; the table itself is gone
        acc.write("rows", t)
        acc.write("table", a.new_name or "?")
        acc.note(DROP_TABLE, f"{a.new_name} (converted into a partition of {t})")
        acc.bump(Phase.CONTRACT)
    elif a.op == "identity-always":
        acc.write("column", f"{t}.{a.column}")
        acc.note(BEHAVIOUR, f"{t}.{a.column}: GENERATED ALWAYS refuses the ids INSERTs give")
        acc.bump(Phase.CONTRACT)
    else:
        acc.write("table", t)
        acc.bump(Phase.UNKNOWN)
        acc.note("unknown", f"ALTER TABLE {t}: an action flywayx does not analyse")


def _apply_retype(a: Action, acc: Acc) -> None:
    t, old, new = a.table, a.column, a.new_name
    acc.write("column", f"{t}.{old}")
    if new != old:
        acc.write("column", f"{t}.{new}")
        acc.note(RENAME, f"column {t}.{old} -> {t}.{new}")
        acc.bump(Phase.CONTRACT)
    coldef = a.coldef
    if coldef is not None and coldef.not_null and not coldef.has_default and not coldef.auto_increment:
        acc.note(NOT_NULL, f"{t}.{new}")
        acc.bump(Phase.CONTRACT)
    if coldef is not None and coldef.generated is not None:  # the previous expression is not known here
        acc.note(BEHAVIOUR, f"{t}.{new}: generated column redefined, its values may change")
        acc.bump(Phase.CONTRACT)
    if a.widens is False and a.old_type is None:
        acc.note(TYPE_CHANGE, f"{t}.{new} {coldef.type if coldef else '?'} (previous type unknown)")
        acc.bump(Phase.CONTRACT)
    elif a.widens is False:
        acc.note(NARROWING, f"{t}.{new} {a.old_type} -> {coldef.type if coldef else '?'}")
        acc.bump(Phase.CONTRACT)
