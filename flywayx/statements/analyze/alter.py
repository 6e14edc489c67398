"""ALTER TABLE: each comma-separated action becomes an ``Action``, then objects, phase and lock.

Named constraints other than keys (foreign keys, checks) are ``fk:T.N``; keys and indexes are
``index:T.N`` (the primary key is ``index:T.primary``), so ``DROP TABLE T`` covers all of them.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field

from flywayx.statements.analyze.builder import Acc
from flywayx.statements.analyze.coltypes import ColumnDef, parse_column_def, widening
from flywayx.statements.analyze.cursor import Cursor, names_in_list, split_commas
from flywayx.statements.analyze.effects import apply_action
from flywayx.statements.analyze.locks import lock_for
from flywayx.statements.analyze.objects import alter_other
from flywayx.statements.tokens import OP, QID, WORD, Token


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
        alter_other(c, acc)
        return
    exists = c.accept("IF", "EXISTS")
    c.accept("ONLY")
    table = c.name()
    if table is None:
        acc.unknown("ALTER TABLE without a table name")
        return
    c.accept("*")
    actions = _rebuilt(a for item in _items(c.rest()) for a in parse_actions(item, table, acc.ctx.types))
    requested = _requested_algorithm(actions)
    for action in actions:
        apply_action(action, acc)  # effects.py: objects and phase
        level, tag = lock_for(action, acc.ctx)
        if requested is None:
            acc.set_lock(level)
        if tag is not None:
            acc.note(tag, table)
    if requested is not None:
        acc.set_lock(requested)
    acc.idempotent = acc.idempotent or (exists and all(a.op == "drop-column" for a in actions))


def _rebuilt(found: Iterable[Action]) -> list[Action]:
    """An index dropped and added again in the same statement is redefined, not lost (DROP INDEX i,
    ADD INDEX i (...)); a primary key dropped and added again is rebuilt in place, not copied."""
    actions = list(found)
    added = {a.new_name for a in actions if a.op == "add-index"}
    has_pk = any(a.op == "add-pk" for a in actions)
    out = []
    for a in actions:
        if a.op == "drop-index" and a.new_name in added:
            continue
        out.append(Action("rebuild", a.table) if a.op == "drop-pk" and has_pk else a)
    return out


def _items(tokens: list[Token]) -> list[list[Token]]:
    """Comma-separated actions; a bare name continues the list before it (DROP PARTITION p1, p2)."""
    items: list[list[Token]] = []
    for item in split_commas(tokens):
        if items and len(item) == 1 and item[0].kind in (WORD, QID) and item[0].up != "FORCE":
            items[-1] = [*items[-1], Token(OP, ",", ",", item[0].pos), item[0]]
        else:
            items.append(item)
    return items


def _requested_algorithm(actions: list[Action]) -> str | None:
    for a in actions:
        if a.op == "algorithm" and a.new_name in ("INSTANT", "INPLACE", "COPY"):
            return a.new_name
    return None


def parse_actions(item: list[Token], table: str, types: MutableMapping[str, str]) -> list[Action]:
    """Parse one comma-separated ALTER TABLE action (one or, for ``ADD (a, b)``, several)."""
    c = Cursor(item)
    head = (c.next() or Token(WORD, "", "", 0)).up
    handler = _ACTIONS.get(head)
    found = _table_option(head, c, table) if handler is None else handler(c, table, types)
    return found if isinstance(found, list) else [found]


def _add(c: Cursor, table: str, types: MutableMapping[str, str]) -> Action | list[Action]:
    name: str | None = None
    if c.accept("CONSTRAINT") and c.up() not in ("PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "EXCLUDE"):
        name = c.name()
    kw = c.up()
    if kw in ("PRIMARY", "UNIQUE", "INDEX", "KEY", "FULLTEXT", "SPATIAL"):
        return _add_key(c, table, name)
    if kw in ("FOREIGN", "CHECK", "EXCLUDE"):
        return _add_constraint(c, table, name, kw)
    if kw == "PARTITION":  # HASH/KEY: ADD PARTITION PARTITIONS n redistributes every row (writes wait)
        return Action("repartition" if c.up(1) == "PARTITIONS" else "add-partition", table)
    c.accept("COLUMN")
    flags = frozenset({"if-not-exists"}) if c.accept("IF", "NOT", "EXISTS") else frozenset()
    if c.up() == "(":  # MySQL: ADD COLUMN (a INT, b INT)
        return [_add_column(Cursor(item), table, types, flags) for item in split_commas(c.skip_group())]
    return _add_column(c, table, types, flags)


def _add_column(c: Cursor, table: str, types: MutableMapping[str, str], flags: frozenset[str]) -> Action:
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
    if c.accept("USING", "INDEX"):  # PostgreSQL: a key from an index built before (CONCURRENTLY)
        index = c.name()
        return Action(
            "add-pk" if kind == "PRIMARY" else "add-index",
            table,
            new_name=name or index or "?",
            flags=frozenset({kind.lower(), "using-index"}),
        )
    if kind == "PRIMARY":
        cols = names_in_list(c.skip_group()) if c.up() == "(" else []
        return Action("add-pk", table, new_name="primary", columns=tuple(cols))
    if c.up() != "(" and c.up() != "USING" and c.is_name():
        name = c.name()
    if c.accept("USING"):
        c.next()
    cols = names_in_list(c.skip_group())
    flags = {kind.lower()} | ({"using-index"} if c.accept("USING", "INDEX") else set())
    return Action(
        "add-index", table, new_name=name or (cols[0] if cols else "?"), columns=tuple(cols), flags=frozenset(flags)
    )


def _add_constraint(c: Cursor, table: str, name: str | None, kw: str) -> Action:
    c.accept("FOREIGN", "KEY")
    c.accept("CHECK")
    if c.accept("EXCLUDE") and c.accept("USING"):
        c.next()
    if kw == "FOREIGN" and c.is_name():
        name = name or c.name()
    group = c.skip_group()
    cols = names_in_list(group) if kw == "FOREIGN" else []
    ref = c.name() if c.accept("REFERENCES") else None
    rest = [t.up for t in c.rest()]
    flags = frozenset({"not-valid"}) if "VALID" in rest and "NOT" in rest else frozenset()
    op = {"FOREIGN": "add-fk", "CHECK": "add-check", "EXCLUDE": "add-exclude"}[kw]
    return Action(
        op, table, new_name=name or f"{table.rsplit('.', 1)[-1]}_{op}", columns=tuple(cols), ref_table=ref, flags=flags
    )


def _drop(c: Cursor, table: str, types: MutableMapping[str, str]) -> Action:
    kw = c.up()
    if c.accept("PRIMARY", "KEY"):
        return Action("drop-pk", table, new_name="primary")
    if c.accept_any("INDEX", "KEY", "FOREIGN", "CONSTRAINT", "CHECK", "PARTITION"):  # MySQL: DROP CHECK ck
        c.accept("KEY")
        c.accept("IF", "EXISTS")
        names = names_in_list(c.rest())
        op = {
            "INDEX": "drop-index",
            "KEY": "drop-index",
            "FOREIGN": "drop-fk",
            "CONSTRAINT": "drop-constraint",
            "CHECK": "drop-fk",
            "PARTITION": "drop-partition",
        }[kw]
        return Action(op, table, new_name=names[0] if names else "?", columns=tuple(names))
    c.accept("COLUMN")
    flags = frozenset({"if-exists"}) if c.accept("IF", "EXISTS") else frozenset()
    col = c.name()
    if col is None:
        return Action("unknown", table)
    types.pop(f"{table}.{col}", None)
    return Action("drop-column", table, column=col, flags=flags)


def _modify(c: Cursor, table: str, types: MutableMapping[str, str]) -> Action:
    c.accept("COLUMN")
    c.accept("IF", "EXISTS")
    col = c.name()
    if col is None:
        return Action("unknown", table)
    return _retype("modify-column", table, col, col, parse_column_def(c.rest()), types)


def _change(c: Cursor, table: str, types: MutableMapping[str, str]) -> Action:
    c.accept("COLUMN")
    c.accept("IF", "EXISTS")
    old, new = c.name(), c.name()
    if old is None or new is None:
        return Action("unknown", table)
    return _retype("change-column", table, old, new, parse_column_def(c.rest()), types)


def _retype(op: str, table: str, old: str, new: str, coldef: ColumnDef, types: MutableMapping[str, str]) -> Action:
    old_type = types.pop(f"{table}.{old}", None)
    types[f"{table}.{new}"] = coldef.type
    widens = widening(old_type, coldef.type) if old_type is not None else False
    return Action(op, table, column=old, new_name=new, coldef=coldef, old_type=old_type, widens=widens)


def _alter_column(c: Cursor, table: str, types: MutableMapping[str, str]) -> Action:
    if c.accept("INDEX"):  # MySQL INVISIBLE / MariaDB IGNORED: no query breaks, plans may change
        return Action("table-option", table)
    if c.accept("CONSTRAINT"):  # PostgreSQL: [NOT] DEFERRABLE, INITIALLY ...
        return Action("alter-constraint", table, new_name=c.name())
    c.accept("COLUMN")
    col = c.name()
    if col is None:
        return Action("unknown", table)
    found = _column_attribute(c, table, col)
    if found is not None:
        return found
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


_COLUMN_ATTRIBUTES = (  # PostgreSQL ALTER COLUMN forms beyond type, default and nullability
    (("SET", "STATISTICS"), "set-statistics"),
    (("SET", "STORAGE"), "set-storage"),
    (("SET", "COMPRESSION"), "set-storage"),
    (("SET", "("), "set-statistics"),
    (("RESET", "("), "set-statistics"),
    (("DROP", "IDENTITY"), "drop-identity"),
    (("ADD", "GENERATED"), "add-identity"),
    (("SET", "GENERATED"), "add-identity"),
    (("DROP", "EXPRESSION"), "drop-expression"),
)


def _column_attribute(c: Cursor, table: str, col: str) -> Action | None:
    if c.up() == "SET" and c.up(1) == "GENERATED" and c.up(2) == "ALWAYS":  # given ids are refused from now on
        return Action("identity-always", table, column=col)
    for words, op in _COLUMN_ATTRIBUTES:
        if all(c.up(k) == w for k, w in enumerate(words)):
            return Action(op, table, column=col)
    return None


def _rename(c: Cursor, table: str, types: MutableMapping[str, str]) -> Action:
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


def _convert(c: Cursor, table: str, types: MutableMapping[str, str]) -> Action:
    """CONVERT TO CHARACTER SET; MariaDB 10.7+: CONVERT PARTITION p TO TABLE t (the rows leave) and
    CONVERT TABLE t TO PARTITION ... (table t becomes a partition: its name is gone)."""
    if c.accept("PARTITION"):
        return Action("convert-partition", table, new_name=c.name())
    if c.accept("TABLE"):
        return Action("convert-table", table, new_name=c.name())
    ups = [t.up if t.kind == WORD else t.name for t in c.rest()]
    charset = next((ups[k + 1] for k, w in enumerate(ups[:-1]) if w in ("SET", "CHARSET")), "")
    return Action("convert-charset", table, new_name=charset.lower())


_OPTION_OPS = {
    "ENGINE": "engine",
    "FORCE": "rebuild",
    "ROW_FORMAT": "rebuild",
    "KEY_BLOCK_SIZE": "rebuild",
    "ORDER": "order-by",
    "ALGORITHM": "algorithm",
    "LOCK": "lock",
    "VALIDATE": "validate",
    "OWNER": "table-option",
    "SET": "pg-set",
    "RESET": "pg-set",
    "ATTACH": "attach-partition",
    "DETACH": "detach-partition",
    "CLUSTER": "pg-set",
    "REPLICA": "table-option",
    "INHERIT": "table-option",
    "NO": "table-option",
    "OF": "table-option",
    "NOT": "table-option",
    # MySQL/MariaDB partition maintenance (the data stays; DROP/TRUNCATE/EXCHANGE lose it)
    "TRUNCATE": "truncate-partition",
    "EXCHANGE": "exchange-partition",
    "REORGANIZE": "repartition",
    "COALESCE": "repartition",
    "REMOVE": "repartition",
    "PARTITION": "repartition",
    "REBUILD": "repartition",
    "ANALYZE": "maintenance",
    "CHECK": "maintenance",
    "OPTIMIZE": "rebuild",
    "REPAIR": "rebuild",
    "DISCARD": "table-option",
    "IMPORT": "table-option",
}
_PLAIN_OPTIONS = frozenset(
    (
        "AUTO_INCREMENT",
        "COMMENT",
        "DEFAULT",
        "CHARACTER",
        "CHARSET",
        "COLLATE",
        "STATS_PERSISTENT",
        "STATS_AUTO_RECALC",
        "STATS_SAMPLE_PAGES",
        "PACK_KEYS",
        "CHECKSUM",
    )
)


def _table_option(head: str, c: Cursor, table: str) -> Action:
    rest = [t.up for t in c.rest() if t.text != "="]
    if head in _PLAIN_OPTIONS:
        return Action("table-option", table)
    if head in ("ENABLE", "DISABLE", "FORCE", "NO") and _switch(rest) is not None:
        return Action(_switch(rest) or "", table, new_name=" ".join(rest[:3]).lower(), flags=frozenset({head.lower()}))
    op = _OPTION_OPS.get(head, "unknown")
    if head == "SET" and rest[:1] in (["TABLESPACE"], ["LOGGED"], ["UNLOGGED"], ["ACCESS"]):
        op = "rewrite"
    elif head == "SET" and rest[:2] == ["WITHOUT", "OIDS"]:
        op = "table-option"
    elif head == "SET" and rest[:1] == ["SCHEMA"]:
        op = "set-schema"
    elif head == "ENGINE" and rest[:1] == ["INNODB"]:
        op = "rebuild"  # the usual idiom rebuilds an InnoDB table in place (another engine: a copy)
    flags = frozenset({"concurrently"}) if "CONCURRENTLY" in rest else frozenset()
    return Action(op, table, new_name=rest[0] if op in ("algorithm", "lock") and rest else None, flags=flags)


def _switch(rest: list[str]) -> str | None:
    """ENABLE/DISABLE [ALWAYS|REPLICA] TRIGGER|RULE, [NO] FORCE|ENABLE ROW LEVEL SECURITY, MySQL KEYS."""
    words = [w for w in rest[:3] if w not in ("ALWAYS", "REPLICA")]
    if words[:1] == ["KEYS"]:
        return "table-option"
    if words[:1] in (["TRIGGER"], ["RULE"]):
        return "trigger-state"
    if words[:2] == ["ROW", "LEVEL"] or words[:1] == ["FORCE"]:
        return "row-security"
    return None


_ACTIONS = {
    "ADD": _add,
    "DROP": _drop,
    "MODIFY": _modify,
    "CHANGE": _change,
    "ALTER": _alter_column,
    "RENAME": _rename,
    "CONVERT": _convert,
}
