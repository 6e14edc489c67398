"""CREATE / DROP / RENAME / TRUNCATE / COMMENT ON: schema objects created, removed and renamed."""

from __future__ import annotations

from flywayx.model.footprint import Phase
from flywayx.model.lint import (
    CREATE_TABLE,
    DROP_OBJECT,
    DROP_SCHEMA,
    DROP_TABLE,
    INDEX_LOCK,
    RENAME,
    TIGHTEN,
    TRUNCATE,
)
from flywayx.statements.analyze.builder import Acc
from flywayx.statements.analyze.coltypes import parse_column_def
from flywayx.statements.analyze.cursor import Cursor, names_in_list, split_commas
from flywayx.statements.analyze.dml import read_rows, table_refs
from flywayx.statements.analyze.objects import policy_or_rule
from flywayx.statements.tokens import STR, WORD, Token, words

# CREATE <kind> -> object kind in the footprint
_OBJECT_KINDS = {
    "VIEW": "view",
    "PROCEDURE": "routine",
    "FUNCTION": "routine",
    "TRIGGER": "trigger",
    "EVENT": "event",
    "SEQUENCE": "sequence",
    "SCHEMA": "schema",
    "DATABASE": "schema",
    "TYPE": "type",
    "EXTENSION": "extension",
    "DOMAIN": "type",
    "ROLE": "role",
    "USER": "role",
    "MATERIALIZED": "view",
    "AGGREGATE": "routine",
    "SYNONYM": "view",
}
# Words that may sit between CREATE and the object kind.
_CREATE_MODIFIERS = frozenset(
    words(
        """
        OR REPLACE TEMPORARY TEMP GLOBAL LOCAL UNLOGGED UNIQUE FULLTEXT SPATIAL ONLINE OFFLINE AGGREGATE
        SQL SECURITY DEFINER INVOKER ALGORITHM UNDEFINED MERGE TEMPTABLE RECURSIVE CONSTRAINT
        """
    )
)


def _if_not_exists(c: Cursor) -> bool:
    return c.accept("IF", "NOT", "EXISTS")


def _if_exists(c: Cursor) -> bool:
    return c.accept("IF", "EXISTS")


def analyze_create(c: Cursor, acc: Acc) -> None:
    c.accept("CREATE")
    words: list[str] = []
    while True:
        if c.up() in ("DEFINER",):  # DEFINER = user@host / CURRENT_USER
            c.next()
            c.accept("=")
            while not c.at_end() and c.up() not in _OBJECT_KINDS and c.up() not in _CREATE_MODIFIERS:
                c.next()
            continue
        if c.up() == "ALGORITHM":
            c.next()
            c.accept("=")
            c.next()
            continue
        w = c.accept_any(*_CREATE_MODIFIERS)
        if w is None:
            break
        words.append(w)
    if "REPLACE" in words:
        acc.idempotent = True
    kind = c.up()
    if kind in ("POLICY", "RULE"):
        policy_or_rule(Cursor(c.toks), acc)
    elif kind == "TABLE":
        _create_table(c, acc, temporary=bool({"TEMPORARY", "TEMP"} & set(words)))
    elif kind == "INDEX":
        _create_index(c, acc, unique="UNIQUE" in words)
    elif kind in _OBJECT_KINDS:
        _create_object(c, acc, kind, replace="REPLACE" in words)
    else:
        acc.unknown(f"CREATE {kind or '?'} is not analysed")


def _create_table(c: Cursor, acc: Acc, temporary: bool) -> None:
    c.accept("TABLE")
    acc.idempotent = _if_not_exists(c) or acc.idempotent
    table = c.name()
    if table is None:
        acc.unknown("CREATE TABLE without a name")
        return
    acc.write("table", table)
    acc.note(CREATE_TABLE, table)
    if c.accept("PARTITION", "OF"):  # PostgreSQL: a new partition locks its parent while it is attached
        parent = c.name()
        if parent:
            acc.read("table", parent)
            acc.set_lock("ACCESS EXCLUSIVE" if acc.family == "postgresql" else None)
        return
    if c.accept("LIKE") or (c.up() == "(" and c.up(1) == "LIKE"):
        c.accept("(")
        c.accept("LIKE")
        src = c.name()
        if src:
            acc.read("table", src)
        return
    if c.up() == "(":
        _table_elements(acc, table, c.skip_group())
        if acc.family == "postgresql" and any(r.startswith("table:") for r in acc.reads):
            acc.set_lock("SHARE ROW EXCLUSIVE")  # a foreign key blocks writes to the table it references
    rest = c.rest()
    if any(t.up == "SELECT" for t in rest):
        read_rows(acc, table_refs(rest))
        acc.bump(Phase.DATA if not temporary else Phase.EXPAND)


def _table_elements(acc: Acc, table: str, inner: list[Token]) -> None:
    for item in split_commas(inner):
        c = Cursor(item)
        if c.up() in (
            "CONSTRAINT",
            "FOREIGN",
            "PRIMARY",
            "UNIQUE",
            "KEY",
            "INDEX",
            "CHECK",
            "FULLTEXT",
            "SPATIAL",
            "EXCLUDE",
            "PERIOD",
        ):
            for target in _references(item):
                acc.read("table", target)
            continue
        col = c.name()
        if col is None:
            continue
        definition = parse_column_def(c.rest())
        acc.ctx.types[f"{table}.{col}"] = definition.type
        if definition.references:
            acc.read("table", definition.references)


def _references(tokens: list[Token]) -> list[str]:
    out = []
    for k, t in enumerate(tokens):
        if t.up == "REFERENCES" and k + 1 < len(tokens):
            n = Cursor(tokens, k + 1).name()
            if n:
                out.append(n)
    return out


def _create_index(c: Cursor, acc: Acc, unique: bool) -> None:
    """CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON t [USING m] (cols)."""
    c.accept("INDEX")
    concurrently = c.accept("CONCURRENTLY")
    acc.idempotent = _if_not_exists(c)
    name = c.name() if c.up() != "ON" else None
    c.accept("ON")
    c.accept("ONLY")
    table = c.name()
    if table is None:
        acc.unknown("CREATE INDEX without ON <table>")
        return
    if c.accept("USING"):
        c.next()
    cols = names_in_list(c.skip_group())
    for col in cols:
        acc.read("column", f"{table}.{col}")
    index = f"{table}.{name or (cols[0] if cols else '?')}"
    acc.write("index", index)
    if acc.family == "mysql":
        acc.set_lock("INPLACE")
    elif acc.family == "postgresql":
        acc.set_lock("SHARE UPDATE EXCLUSIVE" if concurrently else "SHARE")
        if not concurrently:
            acc.note(INDEX_LOCK, table)
    if unique:  # the previous release's writes may duplicate a key: only once it is gone
        acc.note(TIGHTEN, f"{index} (unique key)")
        acc.bump(Phase.CONTRACT)


def _create_object(c: Cursor, acc: Acc, kw: str, replace: bool = False) -> None:
    kind = _OBJECT_KINDS[kw]
    c.next()
    c.accept("VIEW")  # MATERIALIZED VIEW
    acc.idempotent = _if_not_exists(c) or acc.idempotent
    name = c.name() or (_account(c) if kind == "role" else None)
    if name is None:
        acc.unknown(f"CREATE {kw} without a name")
        return
    acc.write(kind, name)
    rest = c.rest()
    pg = acc.family == "postgresql"
    if kind == "view":
        read_tables = set(table_refs(rest).values())
        for t in sorted(read_tables):
            acc.read("table", t)
        acc.set_lock("ACCESS EXCLUSIVE" if pg and replace else None)  # replacing locks the view
    elif kind == "trigger":
        on = [k for k, t in enumerate(rest) if t.up == "ON"]
        target = Cursor(rest, on[0] + 1).name() if on else None
        if target:
            acc.read("table", target)
        acc.set_lock("SHARE ROW EXCLUSIVE" if pg else None)
    if kw == "MATERIALIZED":
        read_rows(acc, table_refs(rest))


def _account(c: Cursor) -> str | None:
    """MySQL ``'user'@'host'`` (a string, then @ and another string or name)."""
    t = c.peek()
    if t is None or t.kind != STR:
        return None
    c.next()
    return t.text.strip("'\"").lower()


def analyze_drop(c: Cursor, acc: Acc) -> None:
    c.accept("DROP")
    c.accept("TEMPORARY")
    kw = c.up()
    if kw == "TABLE":
        c.next()
        acc.idempotent = _if_exists(c)
        for table in _name_list(c):
            acc.write("table", table)
            acc.note(DROP_TABLE, table)
        acc.bump(Phase.CONTRACT)
        acc.set_lock("ACCESS EXCLUSIVE" if acc.family == "postgresql" else None)
    elif kw == "INDEX":
        _drop_index(c, acc)
    elif kw in ("POLICY", "RULE"):
        policy_or_rule(Cursor(c.toks), acc)
    elif kw in _OBJECT_KINDS:
        c.next()
        c.accept("VIEW")
        acc.idempotent = _if_exists(c)
        kind = _OBJECT_KINDS[kw]
        for name in _name_list(c):
            acc.write(kind, name)
            acc.note(DROP_SCHEMA if kind == "schema" else DROP_OBJECT, f"{kind}:{name}")
        acc.bump(Phase.CONTRACT)
        if acc.family == "postgresql" and (kind in ("view", "sequence") or (kind == "trigger" and c.accept("ON"))):
            acc.set_lock("ACCESS EXCLUSIVE")
    else:
        acc.unknown(f"DROP {kw or '?'} is not analysed")


def _name_list(c: Cursor) -> list[str]:
    names = []
    while (n := c.name()) is not None:
        names.append(n)
        if c.up() == "(":  # DROP FUNCTION f(int, text)
            c.skip_group()
        if not c.accept(","):
            break
    return names


def _drop_index(c: Cursor, acc: Acc) -> None:
    """MySQL ``DROP INDEX i ON t``; PostgreSQL ``DROP INDEX [CONCURRENTLY] [IF EXISTS] s.i``."""
    c.accept("INDEX")
    concurrently = c.accept("CONCURRENTLY")
    acc.idempotent = _if_exists(c)
    name = c.name() or "?"
    table = c.name() if c.accept("ON") else None
    if table is None:  # PostgreSQL names no table: the index may be on any table
        schema, _, leaf = name.rpartition(".")
        table, name = (f"{schema}.*" if schema else "*"), leaf
    acc.write("index", f"{table}.{name}")
    acc.note(DROP_OBJECT, f"index:{table}.{name}")
    acc.bump(Phase.CONTRACT)
    if acc.family == "mysql":
        acc.set_lock("INPLACE")
    elif acc.family == "postgresql":
        acc.set_lock("SHARE UPDATE EXCLUSIVE" if concurrently else "ACCESS EXCLUSIVE")


def analyze_rename(c: Cursor, acc: Acc) -> None:
    """MySQL ``RENAME TABLE a TO b [, c TO d]``."""
    c.accept("RENAME")
    if c.accept("USER"):
        acc.write("role", c.name() or "?")
        acc.note(RENAME, "user: the previous release may still log in with the old name")
        acc.bump(Phase.CONTRACT)
        return
    if not c.accept_any("TABLE", "TABLES"):
        acc.unknown("RENAME of something other than a table")
        return
    while (old := c.name()) is not None and c.accept("TO") and (new := c.name()) is not None:
        acc.write("table", old)
        acc.write("table", new)
        acc.note(RENAME, f"table {old} -> {new}")
        if not c.accept(","):
            break
    acc.bump(Phase.CONTRACT)


def analyze_truncate(c: Cursor, acc: Acc) -> None:
    c.accept("TRUNCATE")
    c.accept("TABLE")
    c.accept("ONLY")
    for table in _name_list(c):
        acc.write("rows", table)
        acc.note(TRUNCATE, table)
    acc.bump(Phase.CONTRACT)  # rows the previous release still reads are gone
    acc.idempotent = True
    acc.set_lock("ACCESS EXCLUSIVE" if acc.family == "postgresql" else None)


def analyze_comment(c: Cursor, acc: Acc) -> None:
    """PostgreSQL ``COMMENT ON TABLE|COLUMN|... name IS '...'``: metadata only."""
    c.accept("COMMENT")
    c.accept("ON")
    kind = (c.next() or Token(WORD, "", "", 0)).up
    name = c.name() or "?"
    if kind == "COLUMN":
        acc.write("column", name)
    elif kind in _OBJECT_KINDS or kind == "TABLE":
        acc.write("table" if kind == "TABLE" else _OBJECT_KINDS[kind], name)
    else:
        acc.write("comment", f"{kind.lower()}.{name}")
    acc.idempotent = True
    if acc.family == "postgresql" and kind in ("TABLE", "COLUMN", "VIEW", "INDEX", "MATERIALIZED", "SEQUENCE"):
        acc.set_lock("SHARE UPDATE EXCLUSIVE")
