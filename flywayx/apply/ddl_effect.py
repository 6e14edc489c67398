"""What one DDL statement changes in the catalog, read from its text (``--resume`` after a kill).

``effect_of(sql, dialect)`` returns an ``Effect``:

- ``facts``: the catalog entries the statement turns around, each with its state before and after
  (``RENAME COLUMN a TO b``: column ``a`` present -> absent, ``b`` absent -> present). When the
  catalog shows every ``after`` state the statement completed; every ``before`` state, it did not.
  Covered: CREATE/DROP of tables, views, indexes, sequences, procedures, functions, triggers, events
  and schemas; RENAME TABLE (chains and swaps); ALTER TABLE's ADD/DROP/RENAME/CHANGE COLUMN,
  ADD/DROP/RENAME INDEX (named), ADD/DROP PRIMARY KEY, ADD/DROP FOREIGN KEY, CHECK and CONSTRAINT
  (named), RENAME TO.
- ``repeatable``: running it a second time leaves what one run leaves (``IF [NOT] EXISTS``,
  ``OR REPLACE``, MODIFY, defaults, table options, GRANT …): re-running is the safe answer.
- ``unknown``: why the catalog cannot tell (an index, foreign key or check added without a name: a
  second run would add a second one under a name the server picks; partitions; anything else).

ALTER TABLE is one atomic change on MariaDB 10.6+/MySQL 8 and PostgreSQL, so the facts of its named
clauses decide for the whole statement. Names compare case-insensitively, unquoted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flywayx.statements.tokens import COMMENT, QID, STR, WORD, Token, tokenize


@dataclass(frozen=True)
class Fact:
    """One catalog entry: ``kind`` (relation, column, index, primary, constraint, procedure, function,
    trigger, event, schema), where it lives (``schema`` None: the default one; ``table`` for columns,
    indexes and constraints) and whether it is there before and after the statement."""

    kind: str
    name: str
    table: str | None = None
    schema: str | None = None
    before: bool = False
    after: bool = True

    def describe(self) -> str:
        where = ".".join(x for x in (self.schema, self.table, self.name) if x)
        return f"{'primary key of' if self.kind == 'primary' else self.kind} {where}"


@dataclass
class Effect:
    facts: list[Fact] = field(default_factory=list)
    repeatable: bool = False
    unknown: str | None = None


_ROUTINES = {"PROCEDURE": "procedure", "FUNCTION": "function", "TRIGGER": "trigger", "EVENT": "event"}
_RELATIONS = ("TABLE", "VIEW", "SEQUENCE")
# ALTER TABLE clauses a second run leaves as the first did
_REPEATABLE_CLAUSES = frozenset(
    {
        "MODIFY",
        "ALGORITHM",
        "LOCK",
        "ENGINE",
        "COMMENT",
        "AUTO_INCREMENT",
        "DEFAULT",
        "CHARACTER",
        "CHARSET",
        "COLLATE",
        "CONVERT",
        "ROW_FORMAT",
        "FORCE",
        "ORDER",
        "KEY_BLOCK_SIZE",
        "STATS_PERSISTENT",
        "STATS_AUTO_RECALC",
        "STATS_SAMPLE_PAGES",
        "PACK_KEYS",
        "CHECKSUM",
        "DELAY_KEY_WRITE",
        "ENABLE",
        "DISABLE",
        "AVG_ROW_LENGTH",
        "MAX_ROWS",
        "MIN_ROWS",
        "PAGE_CHECKSUM",
        "TRANSACTIONAL",
        "OWNER",
        "VALIDATE",
        "SET",
        "RESET",
        "CLUSTER",
        "INHERIT",
        "NO",
        "REPLICA",
        "OF",
        "NOT",
        "WITH",
        "WITHOUT",
        "ENCRYPTED",
    }
)


class _Toks:
    """The code tokens of one statement with a cursor."""

    def __init__(self, sql: str, dialect: str) -> None:
        self.t: list[Token] = [t for t in tokenize(sql, dialect) if t.kind != COMMENT]
        while self.t and self.t[-1].up == ";":
            self.t.pop()
        self.i = 0

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.t[j].up if j < len(self.t) else ""

    def take(self, *words: str) -> bool:
        """Consume ``words`` when they come next."""
        if all(self.peek(k) == w for k, w in enumerate(words)):
            self.i += len(words)
            return True
        return False

    def name(self) -> str | None:
        if self.i < len(self.t) and self.t[self.i].kind in (WORD, QID, STR):
            tok = self.t[self.i]
            self.i += 1
            return tok.name.strip("'\"") if tok.kind == STR else tok.name
        return None

    def qualified(self) -> tuple[str | None, str | None]:
        """``[schema.]name`` -> (schema, name)."""
        first = self.name()
        if first is not None and self.take("."):
            return first, self.name()
        return None, first

    def skip_definer(self) -> None:
        """``DEFINER = user[@host]``, ``ALGORITHM = x``, ``SQL SECURITY x``, ``AGGREGATE`` before the kind."""
        while True:
            if self.peek() in ("DEFINER", "ALGORITHM") and self.peek(1) == "=":
                self.i += 2
                while self.peek() not in ("", "VIEW", "PROCEDURE", "FUNCTION", "TRIGGER", "EVENT", "SQL"):
                    self.i += 1
            elif self.take("SQL", "SECURITY"):
                self.i += 1
            elif not self.take("AGGREGATE"):
                return

    def clauses(self) -> list[list[Token]]:
        """The rest, split at top-level commas."""
        out: list[list[Token]] = [[]]
        depth = 0
        for tok in self.t[self.i :]:
            if tok.up == "(":
                depth += 1
            elif tok.up == ")":
                depth -= 1
            elif tok.up == "," and depth == 0:
                out.append([])
                continue
            out[-1].append(tok)
        return [c for c in out if c]


def effect_of(sql: str, dialect: str) -> Effect:
    """What ``sql`` (the text the server ran: versioned comments already resolved) changes."""
    t = _Toks(sql, dialect)
    head = t.peek()
    if head == "CREATE":
        t.i += 1
        return _create(t)
    if head == "DROP":
        t.i += 1
        return _drop(t)
    if head == "RENAME" and t.peek(1) in ("TABLE", "TABLES"):
        t.i += 2
        return _rename_tables(t)
    if head == "ALTER":
        t.i += 1
        t.take("ONLINE")
        t.take("IGNORE")
        if t.take("TABLE"):
            return _alter_table(t)
        if t.peek() in (
            "VIEW",
            "PROCEDURE",
            "FUNCTION",
            "EVENT",
            "SEQUENCE",
            "INDEX",
            "TRIGGER",
            "DATABASE",
            "SCHEMA",
            "DEFINER",
            "ALGORITHM",
            "SQL",
            "MATERIALIZED",
        ):
            return _alter_object(t)
        return Effect(unknown="an ALTER of this kind")
    if head in ("GRANT", "REVOKE", "TRUNCATE", "ANALYZE", "OPTIMIZE", "COMMENT", "FLUSH", "REPAIR"):
        return Effect(repeatable=True)
    return Effect(unknown=f"a {head or 'blank'} statement")


def _alter_object(t: _Toks) -> Effect:
    """``ALTER VIEW|INDEX|SEQUENCE|FUNCTION… x RENAME TO y`` (PostgreSQL) turns names around; any other
    ALTER of these redefines in place, so a second run sets the same definition."""
    kind = t.peek()
    t.i += 1
    t.take("VIEW")  # MATERIALIZED VIEW
    t.take("IF", "EXISTS")
    schema, name = t.qualified()
    words = [tok.up for tok in t.t[t.i :]]
    if name is None or "RENAME" not in words:
        return Effect(repeatable=True)
    at = words.index("RENAME")
    if words[at + 1 : at + 2] != ["TO"] or at + 2 >= len(words):
        return Effect(unknown=f"an ALTER {kind} … RENAME of a part")
    new = t.t[t.i + at + 2].name
    what = {
        "INDEX": "index",
        "PROCEDURE": "procedure",
        "FUNCTION": "function",
        "TRIGGER": "trigger",
        "EVENT": "event",
        "SCHEMA": "schema",
        "DATABASE": "schema",
    }.get(kind, "relation")
    return Effect([Fact(what, name, None, schema, True, False), Fact(what, new, None, schema, False, True)])


def _create(t: _Toks) -> Effect:
    replace = t.take("OR", "REPLACE")
    temporary = t.take("TEMPORARY")  # a temporary table lives in the session only
    t.skip_definer()
    kind = t.peek()
    if kind in ("UNIQUE", "FULLTEXT", "SPATIAL"):
        t.i += 1
        kind = t.peek()
    t.i += 1
    if kind in ("DATABASE", "SCHEMA") and t.peek() != "IF":
        return Effect([Fact("schema", t.name() or "")]) if not replace else Effect(repeatable=True)
    if kind == "INDEX":
        t.take("CONCURRENTLY")
        if t.take("IF", "NOT", "EXISTS") or replace:
            return Effect(repeatable=True)
        index = t.name()
        if index is None or index == "on":
            return Effect(unknown="an index created without a name")
        t.take("ON")
        schema, table = t.qualified()
        return Effect([Fact("index", index, table, schema)])
    if kind in _RELATIONS or kind in _ROUTINES or kind == "MATERIALIZED":
        if kind == "MATERIALIZED":
            t.take("VIEW")
        if replace or temporary or t.take("IF", "NOT", "EXISTS"):
            return Effect(repeatable=True)
        schema, name = t.qualified()
        if name is None:
            return Effect(unknown=f"a CREATE {kind} without a name")
        return Effect([Fact(_ROUTINES.get(kind, "relation"), name, None, schema)])
    return Effect(unknown=f"a CREATE {kind or ''}".rstrip())


def _drop(t: _Toks) -> Effect:
    if t.take("TEMPORARY"):
        return Effect(repeatable=True)
    kind = t.peek()
    t.i += 1
    if kind == "MATERIALIZED":
        t.take("VIEW")
    t.take("CONCURRENTLY")
    if t.take("IF", "EXISTS"):
        return Effect(repeatable=True)
    if kind == "INDEX":
        schema, index = t.qualified()
        table = None
        if t.take("ON"):
            schema, table = t.qualified()
        return Effect([Fact("index", index or "", table, schema, before=True, after=False)])
    if kind in ("DATABASE", "SCHEMA"):
        return Effect([Fact("schema", t.name() or "", before=True, after=False)])
    if kind in _RELATIONS or kind in _ROUTINES or kind == "MATERIALIZED":
        facts = []
        while True:
            schema, name = t.qualified()
            if name is None:
                break
            facts.append(Fact(_ROUTINES.get(kind, "relation"), name, None, schema, before=True, after=False))
            if kind in _ROUTINES or not t.take(","):
                break
        return Effect(facts) if facts else Effect(unknown=f"a DROP {kind} without a name")
    return Effect(unknown=f"a DROP {kind}".rstrip())


def _rename_tables(t: _Toks) -> Effect:
    """``RENAME TABLE a TO b, c TO d``: each name's state before the first rename and after the last."""
    before: dict[tuple[str | None, str], bool] = {}
    now: dict[tuple[str | None, str], bool] = {}
    while True:
        src = t.qualified()
        if not t.take("TO"):
            return Effect(unknown="a RENAME TABLE that does not read as old TO new")
        dst = t.qualified()
        if src[1] is None or dst[1] is None:
            return Effect(unknown="a RENAME TABLE without names")
        a, b = (src[0], src[1]), (dst[0], dst[1])
        before.setdefault(a, True)
        before.setdefault(b, False)
        now[a], now[b] = False, True
        if not t.take(","):
            break
    return Effect(
        [
            Fact("relation", name, None, schema, before=before[(schema, name)], after=now[(schema, name)])
            for schema, name in before
        ]
    )


def _alter_table(t: _Toks) -> Effect:
    t.take("IF", "EXISTS")
    t.take("ONLY")
    schema, table = t.qualified()
    if table is None:
        return Effect(unknown="an ALTER TABLE without a table name")
    effect = Effect()
    renamed: Fact | None = None
    for clause in t.clauses():
        c = _Toks.__new__(_Toks)
        c.t, c.i = clause, 0
        if _renames_table(c):
            c.i += 1
            if not c.take("TO"):
                c.take("AS")
            new_schema, new = c.qualified()
            renamed = Fact("relation", new or "", None, new_schema or schema)
            effect.facts += [Fact("relation", table, None, schema, before=True, after=False), renamed]
            continue
        _clause(c, table, schema, effect)
    if renamed is not None:  # the other clauses' facts name the old table: the rename alone decides
        effect.facts = [f for f in effect.facts if f.kind == "relation"]
    if effect.facts:
        effect.unknown = None
    elif effect.unknown is None:
        effect.repeatable = True
    return effect


def _renames_table(c: _Toks) -> bool:
    """``RENAME [TO|AS] new`` (not ``RENAME [COLUMN|INDEX|KEY|CONSTRAINT] a TO b``)."""
    if c.peek() != "RENAME" or c.peek(1) in ("COLUMN", "INDEX", "KEY", "CONSTRAINT"):
        return False
    return c.peek(1) in ("TO", "AS") or c.peek(2) != "TO"


def _clause(c: _Toks, table: str, schema: str | None, effect: Effect) -> None:
    """One ALTER TABLE clause: its facts, or why it cannot be judged (``effect.unknown``)."""
    word = c.peek()
    facts = effect.facts
    if word == "ADD":
        c.i += 1
        _add(c, table, schema, effect)
    elif word == "DROP":
        c.i += 1
        _drop_clause(c, table, schema, effect)
    elif word == "RENAME":
        c.i += 1
        kind = (
            "column"
            if c.take("COLUMN")
            else "index"
            if c.take("INDEX") or c.take("KEY")
            else "constraint"
            if c.take("CONSTRAINT")
            else "column"
        )
        old = c.name()
        c.take("TO")
        new = c.name()
        if old is None or new is None:
            effect.unknown = "a RENAME clause without names"
            return
        facts += [Fact(kind, old, table, schema, True, False), Fact(kind, new, table, schema, False, True)]
    elif word == "CHANGE":
        c.i += 1
        c.take("COLUMN")
        if c.take("IF", "EXISTS"):
            return
        old, new = c.name(), c.name()
        if old is None or new is None:
            effect.unknown = "a CHANGE clause without names"
        elif old != new:
            facts += [Fact("column", old, table, schema, True, False), Fact("column", new, table, schema, False, True)]
    elif word == "ALTER":
        return  # ALTER [COLUMN] c SET/DROP DEFAULT, TYPE …; ALTER INDEX … VISIBLE: a second run changes nothing
    elif word not in _REPEATABLE_CLAUSES:
        effect.unknown = f"an ALTER TABLE … {word} clause"


def _add(c: _Toks, table: str, schema: str | None, effect: Effect) -> None:
    symbol = c.name() if c.take("CONSTRAINT") and c.peek() not in ("PRIMARY", "UNIQUE", "FOREIGN", "CHECK") else None
    word = c.peek()
    if word in ("PARTITION", "PERIOD", "SYSTEM"):
        effect.unknown = f"an ALTER TABLE … ADD {word} clause"
        return
    if word == "PRIMARY":
        effect.facts.append(Fact("primary", "PRIMARY", table, schema))
        return
    if word in ("UNIQUE", "INDEX", "KEY", "FULLTEXT", "SPATIAL"):
        c.i += 1
        if not c.take("INDEX"):
            c.take("KEY")
        if c.take("IF", "NOT", "EXISTS"):
            return
        name = c.name() if c.peek() != "(" and c.peek() != "USING" else None
        if (name or symbol) is None:
            effect.unknown = "an index added without a name (a second run adds another under a new name)"
            return
        effect.facts.append(Fact("index", name or symbol or "", table, schema))
        return
    if word in ("FOREIGN", "CHECK"):
        if c.take("FOREIGN", "KEY", "IF", "NOT", "EXISTS"):
            return
        if symbol is None:
            what = "a foreign key" if word == "FOREIGN" else "a check constraint"
            effect.unknown = f"{what} added without a name (a second run adds another under a new name)"
            return
        effect.facts.append(Fact("constraint", symbol, table, schema))
        return
    if symbol is not None:  # PostgreSQL: ADD CONSTRAINT name EXCLUDE / UNIQUE USING INDEX …
        effect.facts.append(Fact("constraint", symbol, table, schema))
        return
    c.take("COLUMN")
    if c.take("IF", "NOT", "EXISTS"):
        return
    if c.peek() == "(":  # ADD (a INT, b INT)
        inner = _Toks.__new__(_Toks)
        inner.t, inner.i = c.t[c.i + 1 :], 0
        for item in inner.clauses():
            name = item[0].name if item and item[0].kind in (WORD, QID) else None
            if name:
                effect.facts.append(Fact("column", name, table, schema))
        return
    name = c.name()
    if name is None:
        effect.unknown = "an ADD clause without a name"
        return
    effect.facts.append(Fact("column", name, table, schema))


def _drop_clause(c: _Toks, table: str, schema: str | None, effect: Effect) -> None:
    word = c.peek()
    if word == "PRIMARY":
        effect.facts.append(Fact("primary", "PRIMARY", table, schema, True, False))
        return
    kind = {
        "INDEX": "index",
        "KEY": "index",
        "FOREIGN": "constraint",
        "CONSTRAINT": "constraint",
        "CHECK": "constraint",
        "COLUMN": "column",
    }.get(word)
    if kind is not None:
        c.i += 1
        c.take("KEY")
    if c.take("IF", "EXISTS"):
        return
    if word == "DEFAULT" or word == "PARTITION":
        effect.unknown = None if word == "DEFAULT" else "an ALTER TABLE … DROP PARTITION clause"
        return
    name = c.name()
    if name is None:
        effect.unknown = "a DROP clause without a name"
        return
    effect.facts.append(Fact(kind or "column", name, table, schema, True, False))


__all__ = ["Effect", "Fact", "effect_of"]
