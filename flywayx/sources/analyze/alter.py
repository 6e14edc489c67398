"""ALTER TABLE: each comma-separated action becomes an ``Action``, then objects, phase and lock.

Named constraints other than keys (foreign keys, checks) are ``fk:T.N``; keys and indexes are
``index:T.N`` (the primary key is ``index:T.primary``), so ``DROP TABLE T`` covers all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flywayx.model.footprint import Phase
from flywayx.model.lint import (
    DROP_COLUMN,
    DROP_DEFAULT,
    DROP_OBJECT,
    NARROWING,
    NOT_NULL,
    RENAME,
    TRUNCATE,
    TYPE_CHANGE,
)
from flywayx.sources.analyze.builder import Acc
from flywayx.sources.analyze.coltypes import ColumnDef, parse_column_def, widening
from flywayx.sources.analyze.cursor import Cursor, names_in_list, split_commas
from flywayx.sources.analyze.locks import lock_for
from flywayx.sources.analyze.tokens import WORD, Token


@dataclass(frozen=True)
class Action:
    """One ALTER TABLE action. ``op`` names it (add-column, drop-index, ...)."""

    op: str
    table: str
    column: str | None = None
    new_name: str | None = None
    coldef: ColumnDef | None = None
    old_type: str | None = None
    columns: tuple[str, ...] = ()
    ref_table: str | None = None
    flags: frozenset[str] = field(default_factory=frozenset)
    widens: bool | None = None  # for type changes: True widening, False narrowing, None same


def analyze_alter(c: Cursor, acc: Acc) -> None:
    """``ALTER [ONLINE|IGNORE] TABLE [IF EXISTS] [ONLY] t action, ...`` and other ALTERs."""
    c.accept("ALTER")
    while c.accept_any("ONLINE", "OFFLINE", "IGNORE"):
        pass
    if not c.accept("TABLE"):
        _alter_other(c, acc)
        return
    exists = c.accept("IF", "EXISTS")
    c.accept("ONLY")
    table = c.name()
    if table is None:
        acc.unknown("ALTER TABLE without a table name")
        return
    c.accept("*")
    actions = [a for item in split_commas(c.rest()) for a in parse_actions(item, table, acc.ctx.types)]
    requested = _requested_algorithm(actions)
    for action in actions:
        apply_action(action, acc)
        level, tag = lock_for(action, acc.ctx)
        if requested is None:
            acc.set_lock(level)
        if tag is not None:
            acc.note(tag, table)
    if requested is not None:
        acc.set_lock(requested)
    acc.idempotent = acc.idempotent or (exists and all(a.op == "drop-column" for a in actions))


def _requested_algorithm(actions: list[Action]) -> str | None:
    for a in actions:
        if a.op == "algorithm" and a.new_name in ("INSTANT", "INPLACE", "COPY"):
            return a.new_name
    return None


def _alter_other(c: Cursor, acc: Acc) -> None:
    """ALTER VIEW/PROCEDURE/FUNCTION/EVENT/SEQUENCE/TYPE/...: a change to that one object."""
    kinds = {"VIEW": "view", "PROCEDURE": "routine", "FUNCTION": "routine", "EVENT": "event",
             "SEQUENCE": "sequence", "TYPE": "type", "SCHEMA": "schema", "DATABASE": "schema",
             "INDEX": "index", "TRIGGER": "trigger", "USER": "role", "ROLE": "role"}
    while c.up() in ("ALGORITHM", "DEFINER", "SQL", "SECURITY", "=", "UNDEFINED", "MERGE", "TEMPTABLE",
                     "INVOKER") or c.up().startswith("'"):
        c.next()
    kw = c.up()
    if kw not in kinds:
        acc.unknown(f"ALTER {kw or '?'} is not analysed")
        return
    c.next()
    name = c.name() or "?"
    acc.write(kinds[kw], name if kw != "INDEX" else f"*.{name}")
    rest = [t.up for t in c.rest()]
    if kw == "TYPE" and "ADD" in rest:
        return  # ALTER TYPE ... ADD VALUE: a new enum label, additive
    if "RENAME" in rest:
        acc.note(RENAME, f"{kinds[kw]} {name}")
        acc.bump(Phase.CONTRACT)


def parse_actions(item: list[Token], table: str, types: dict[str, str]) -> list[Action]:
    """Parse one comma-separated ALTER TABLE action (one or, for ``ADD (a, b)``, several)."""
    c = Cursor(item)
    head = (c.next() or Token(WORD, "", "", 0)).up
    handler = _ACTIONS.get(head)
    found = _table_option(head, c, table) if handler is None else handler(c, table, types)
    return found if isinstance(found, list) else [found]


def _add(c: Cursor, table: str, types: dict[str, str]) -> Action | list[Action]:
    name: str | None = None
    if c.accept("CONSTRAINT") and c.up() not in ("PRIMARY", "UNIQUE", "FOREIGN", "CHECK"):
        name = c.name()
    kw = c.up()
    if kw in ("PRIMARY", "UNIQUE", "INDEX", "KEY", "FULLTEXT", "SPATIAL"):
        return _add_key(c, table, name)
    if kw == "FOREIGN" or kw == "CHECK":
        return _add_constraint(c, table, name, kw)
    if kw == "PARTITION":
        return Action("table-option", table)
    c.accept("COLUMN")
    flags = frozenset({"if-not-exists"}) if c.accept("IF", "NOT", "EXISTS") else frozenset()
    if c.up() == "(":  # MySQL: ADD COLUMN (a INT, b INT)
        return [_add_column(Cursor(item), table, types, flags) for item in split_commas(c.skip_group())]
    return _add_column(c, table, types, flags)


def _add_column(c: Cursor, table: str, types: dict[str, str], flags: frozenset[str]) -> Action:
    col = c.name()
    if col is None:
        return Action("unknown", table)
    coldef = parse_column_def(c.rest())
    types[f"{table}.{col}"] = coldef.type
    return Action("add-column", table, column=col, coldef=coldef, flags=flags)


def _add_key(c: Cursor, table: str, name: str | None) -> Action:
    kw = c.next()
    kind = kw.up if kw else ""
    c.accept_any("KEY", "INDEX")
    c.accept("IF", "NOT", "EXISTS")
    if kind == "PRIMARY":
        cols = names_in_list(c.skip_group()) if c.up() == "(" else []
        return Action("add-pk", table, new_name="primary", columns=tuple(cols))
    if c.up() != "(" and c.up() != "USING" and c.is_name():
        name = c.name()
    if c.accept("USING"):
        c.next()
    cols = names_in_list(c.skip_group())
    flags = {kind.lower()} | ({"using-index"} if c.accept("USING", "INDEX") else set())
    return Action("add-index", table, new_name=name or (cols[0] if cols else "?"), columns=tuple(cols),
                  flags=frozenset(flags))


def _add_constraint(c: Cursor, table: str, name: str | None, kw: str) -> Action:
    c.accept("FOREIGN", "KEY")
    c.accept("CHECK")
    if kw == "FOREIGN" and c.is_name():
        name = name or c.name()
    group = c.skip_group()
    cols = names_in_list(group) if kw == "FOREIGN" else []
    ref = c.name() if c.accept("REFERENCES") else None
    rest = [t.up for t in c.rest()]
    flags = frozenset({"not-valid"}) if "VALID" in rest and "NOT" in rest else frozenset()
    op = "add-fk" if kw == "FOREIGN" else "add-check"
    return Action(op, table, new_name=name or f"{table.rsplit('.', 1)[-1]}_{op}", columns=tuple(cols),
                  ref_table=ref, flags=flags)


def _drop(c: Cursor, table: str, types: dict[str, str]) -> Action:
    kw = c.up()
    if c.accept("PRIMARY", "KEY"):
        return Action("drop-pk", table, new_name="primary")
    if c.accept_any("INDEX", "KEY", "FOREIGN", "CONSTRAINT", "CHECK", "PARTITION"):
        c.accept("KEY")
        c.accept("IF", "EXISTS")
        names = names_in_list(c.rest())
        op = {"INDEX": "drop-index", "KEY": "drop-index", "FOREIGN": "drop-fk",
              "CONSTRAINT": "drop-constraint", "CHECK": "drop-fk", "PARTITION": "drop-partition"}[kw]
        return Action(op, table, new_name=names[0] if names else "?", columns=tuple(names))
    c.accept("COLUMN")
    flags = frozenset({"if-exists"}) if c.accept("IF", "EXISTS") else frozenset()
    col = c.name()
    if col is None:
        return Action("unknown", table)
    types.pop(f"{table}.{col}", None)
    return Action("drop-column", table, column=col, flags=flags)


def _modify(c: Cursor, table: str, types: dict[str, str]) -> Action:
    c.accept("COLUMN")
    c.accept("IF", "EXISTS")
    col = c.name()
    if col is None:
        return Action("unknown", table)
    return _retype("modify-column", table, col, col, parse_column_def(c.rest()), types)


def _change(c: Cursor, table: str, types: dict[str, str]) -> Action:
    c.accept("COLUMN")
    c.accept("IF", "EXISTS")
    old, new = c.name(), c.name()
    if old is None or new is None:
        return Action("unknown", table)
    return _retype("change-column", table, old, new, parse_column_def(c.rest()), types)


def _retype(op: str, table: str, old: str, new: str, coldef: ColumnDef, types: dict[str, str]) -> Action:
    old_type = types.pop(f"{table}.{old}", None)
    types[f"{table}.{new}"] = coldef.type
    widens = widening(old_type, coldef.type) if old_type is not None else False
    return Action(op, table, column=old, new_name=new, coldef=coldef, old_type=old_type, widens=widens)


def _alter_column(c: Cursor, table: str, types: dict[str, str]) -> Action:
    if c.accept("INDEX"):
        return Action("table-option", table)
    c.accept("COLUMN")
    col = c.name()
    if col is None:
        return Action("unknown", table)
    if c.accept("SET", "DEFAULT"):
        return Action("set-default", table, column=col)
    if c.accept("DROP", "DEFAULT"):
        return Action("drop-default", table, column=col)
    if c.accept("SET", "NOT", "NULL"):
        return Action("set-not-null", table, column=col)
    if c.accept("DROP", "NOT", "NULL"):
        return Action("drop-not-null", table, column=col)
    if c.accept("SET", "DATA", "TYPE") or c.accept("TYPE"):
        rest = c.rest()
        using = next((k for k, t in enumerate(rest) if t.up in ("USING", "COLLATE")), len(rest))
        return _retype("modify-column", table, col, col, parse_column_def(rest[:using]), types)
    return Action("table-option", table, column=col)


def _rename(c: Cursor, table: str, types: dict[str, str]) -> Action:
    kw = c.accept_any("COLUMN", "INDEX", "KEY", "CONSTRAINT")
    if kw is None:
        c.accept_any("TO", "AS")
        return Action("rename-table", table, new_name=c.name())
    old = c.name()
    c.accept("TO")
    new = c.name()
    if old and new and f"{table}.{old}" in types:
        types[f"{table}.{new}"] = types.pop(f"{table}.{old}")
    op = "rename-column" if kw == "COLUMN" else "rename-index"
    return Action(op, table, column=old, new_name=new)


def _convert(c: Cursor, table: str, types: dict[str, str]) -> Action:
    ups = [t.up if t.kind == WORD else t.name for t in c.rest()]
    charset = next((ups[k + 1] for k, w in enumerate(ups[:-1]) if w in ("SET", "CHARSET")), "")
    return Action("convert-charset", table, new_name=charset.lower())


def _table_option(head: str, c: Cursor, table: str) -> Action:
    rest = [t.up for t in c.rest() if t.text != "="]
    ops = {"ENGINE": "engine", "FORCE": "rebuild", "ROW_FORMAT": "rebuild", "ORDER": "order-by",
           "ALGORITHM": "algorithm", "LOCK": "lock", "VALIDATE": "validate", "OWNER": "table-option",
           "SET": "pg-set", "RESET": "pg-set", "ENABLE": "trigger-state", "DISABLE": "trigger-state",
           "ATTACH": "attach-partition", "DETACH": "detach-partition", "CLUSTER": "pg-set",
           "REPLICA": "table-option", "INHERIT": "table-option", "NO": "table-option"}
    if head in ("AUTO_INCREMENT", "COMMENT", "DEFAULT", "CHARACTER", "CHARSET", "COLLATE", "STATS_PERSISTENT",
                "STATS_AUTO_RECALC", "STATS_SAMPLE_PAGES", "PACK_KEYS", "CHECKSUM", "KEY_BLOCK_SIZE"):
        return Action("table-option", table)
    op = ops.get(head, "unknown")
    if head == "SET" and rest[:1] in (["TABLESPACE"], ["LOGGED"], ["UNLOGGED"], ["WITHOUT"], ["ACCESS"]):
        op = "rewrite"
    if head == "SET" and rest[:1] == ["SCHEMA"]:
        op = "set-schema"
    return Action(op, table, new_name=rest[0] if op in ("algorithm", "lock") and rest else None)


_ACTIONS = {"ADD": _add, "DROP": _drop, "MODIFY": _modify, "CHANGE": _change, "ALTER": _alter_column,
            "RENAME": _rename, "CONVERT": _convert}
_EXPAND_ONLY = frozenset({"table-option", "engine", "rebuild", "order-by", "algorithm", "lock", "validate",
                          "pg-set", "trigger-state", "attach-partition", "rewrite", "drop-not-null",
                          "set-default"})


def apply_action(a: Action, acc: Acc) -> None:
    """Record the objects an action touches and the phase it implies."""
    t = a.table
    if a.op in _EXPAND_ONLY:
        acc.write("table", t) if a.column is None else acc.write("column", f"{t}.{a.column}")
    elif a.op == "add-column":
        _apply_add_column(a, acc)
    elif a.op in ("add-index", "add-pk", "add-fk", "add-check"):
        for col in a.columns:
            acc.read("column", f"{t}.{col}")
        acc.write("fk" if a.op in ("add-fk", "add-check") else "index", f"{t}.{a.new_name}")
        if a.ref_table:
            acc.read("table", a.ref_table)
    elif a.op in ("drop-index", "drop-pk", "drop-fk", "drop-constraint"):
        kinds = {"drop-fk": ("fk",), "drop-constraint": ("fk", "index")}.get(a.op, ("index",))
        for kind in kinds:
            acc.write(kind, f"{t}.{a.new_name}")
        acc.note(DROP_OBJECT, f"{kinds[0]}:{t}.{a.new_name}")
        acc.bump(Phase.CONTRACT)
    else:
        _apply_change(a, acc)


def _apply_add_column(a: Action, acc: Acc) -> None:
    acc.write("column", f"{a.table}.{a.column}")
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
    elif a.op == "drop-default":
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
    elif a.op == "drop-partition":
        acc.write("rows", t)
        acc.note(TRUNCATE, f"{t} (partition dropped)")
        acc.bump(Phase.CONTRACT)
    elif a.op == "detach-partition":
        acc.write("table", t)
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
    if a.widens is False and a.old_type is None:
        acc.note(TYPE_CHANGE, f"{t}.{new} {coldef.type if coldef else '?'} (previous type unknown)")
        acc.bump(Phase.CONTRACT)
    elif a.widens is False:
        acc.note(NARROWING, f"{t}.{new} {a.old_type} -> {coldef.type if coldef else '?'}")
        acc.bump(Phase.CONTRACT)
