"""INSERT / REPLACE / UPDATE / DELETE / SELECT / WITH: rows appended, rows and columns written, rows read.

Reads from FROM/JOIN/USING lists and subqueries are recorded at table level as ``rows:T``; columns
named in SET, WHERE and select lists are recorded as ``column:T.C`` when the table they belong to
is clear (qualified, or a single table in scope) and attributed to every table in scope otherwise,
which can only add conflicts, never hide one.
"""

from __future__ import annotations

from flywayx.model.footprint import Phase
from flywayx.statements.analyze.builder import Acc
from flywayx.statements.analyze.cursor import Cursor, names_in_list
from flywayx.statements.tokens import KEYWORDS, QID, WORD, Token

# FROM inside these calls is not a table list: EXTRACT(YEAR FROM d), TRIM(x FROM s) ...
_FROM_FUNCS = frozenset({"EXTRACT", "TRIM", "SUBSTRING", "SUBSTR", "POSITION", "OVERLAY"})
_REF_STARTS = frozenset({"FROM", "JOIN", "STRAIGHT_JOIN"})
_NOT_ALIAS = KEYWORDS | {"NATURAL", "LATERAL", "OFFSET", "RETURNING", "WINDOW", "FETCH", "TABLESAMPLE"}


def table_refs(tokens: list[Token], ctes: frozenset[str] = frozenset()) -> dict[str, str]:
    """Tables named after FROM/JOIN anywhere in ``tokens``, as {alias or name: table}."""
    refs: dict[str, str] = {}
    openers: list[str] = []
    for k, t in enumerate(tokens):
        if t.text == "(" and t.kind not in (QID,):
            openers.append(tokens[k - 1].up if k else "")
        elif t.text == ")" and t.kind != QID and openers:
            openers.pop()
        elif t.kind == WORD and t.up in _REF_STARTS and not (openers and openers[-1] in _FROM_FUNCS):
            _ref_list(Cursor(tokens, k + 1), refs, ctes)
    return refs


def _ref_list(c: Cursor, refs: dict[str, str], ctes: frozenset[str]) -> None:
    while True:
        c.accept("ONLY")
        c.accept("LATERAL")
        if c.up() == "(":
            c.skip_group()  # a derived table: its own FROM is found by the outer scan
            _alias(c)
        else:
            name = c.name()
            if name is None or c.up() == "(":
                return
            alias = _alias(c)
            if name not in ctes:
                refs[alias or name] = name
                refs.setdefault(name, name)
        if c.up() != ",":
            return
        c.next()


def _alias(c: Cursor) -> str | None:
    if c.accept("AS"):
        n = c.peek()
        c.next()
        return n.name if n is not None else None
    t = c.peek()
    if t is not None and (t.kind == QID or (t.kind == WORD and t.up not in _NOT_ALIAS)):
        c.next()
        return t.name
    return None


def read_rows(acc: Acc, refs: dict[str, str], skip: set[str] | None = None) -> None:
    for table in set(refs.values()) - (skip or set()):
        acc.read("rows", table)


def column_reads(acc: Acc, tokens: list[Token], refs: dict[str, str], scope: list[str]) -> None:
    """Record ``column:T.C`` reads for column names in ``tokens`` (see module docstring)."""
    names = set(refs) | set(refs.values())
    k, n = 0, len(tokens)
    while k < n:
        t = tokens[k]
        if not _column_candidate(tokens, k):
            k += 1
            continue
        parts = [t.name]
        while k + 2 < n and tokens[k + 1].text == "." and tokens[k + 2].kind in (WORD, QID):
            parts.append(tokens[k + 2].name)
            k += 2
        k += 1
        if len(parts) == 1 and parts[0] not in names:
            for table in scope:
                acc.read("column", f"{table}.{parts[0]}")
        elif len(parts) > 1:
            table = refs.get(".".join(parts[:-1]), ".".join(parts[:-1]))
            if table in refs.values():
                acc.read("column", f"{table}.{parts[-1]}")


def _column_candidate(tokens: list[Token], k: int) -> bool:
    t = tokens[k]
    if t.kind not in (WORD, QID) or (t.kind == WORD and t.up in _NOT_ALIAS):
        return False
    prev = tokens[k - 1].text if k else ""
    nxt = tokens[k + 1].text if k + 1 < len(tokens) else ""
    return nxt != "(" and prev not in (".", "::") and tokens[k - 1].up != "AS"


def analyze_insert(c: Cursor, acc: Acc, ctes: frozenset[str] = frozenset()) -> None:
    """INSERT / REPLACE (MySQL, SQLite OR IGNORE/OR REPLACE, PostgreSQL ON CONFLICT)."""
    replace = c.accept_any("INSERT", "REPLACE") == "REPLACE"
    while (w := c.accept_any("LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "OR")) is not None:
        if w == "IGNORE":
            acc.idempotent = True
        elif w == "OR":
            replace = replace or c.up() == "REPLACE"
            acc.idempotent = c.accept_any("IGNORE", "REPLACE") is not None
    c.accept("INTO")
    table = c.name()
    if table is None:
        acc.unknown("INSERT without a table name")
        return
    _alias(c) if c.up() == "AS" else None
    acc.write("append", table)
    cols = names_in_list(c.skip_group()) if c.up() == "(" else []
    body = c.rest()
    ups = [t.up for t in body if t.kind == WORD]
    if cols:
        for col in cols:
            acc.read("column", f"{table}.{col}")
    elif ups[:1] == ["SET"]:
        _set_columns(acc, body[1:], table, read=True)
    else:
        acc.read("table", table)
    _insert_source(acc, body, ups, table, ctes)
    _insert_conflict(acc, ups, table, replace)


def _insert_source(acc: Acc, body: list[Token], ups: list[str], table: str, ctes: frozenset[str]) -> None:
    refs = table_refs(body, ctes)
    read_rows(acc, refs)
    if ups[:1] in (["SELECT"], ["WITH"], ["TABLE"]) or (ups[:1] == ["("] and "SELECT" in ups[:3]):
        acc.bump(Phase.DATA)
        column_reads(acc, _before_on_dup(body), refs, sorted(set(refs.values())))


def _before_on_dup(body: list[Token]) -> list[Token]:
    for k, t in enumerate(body):
        if t.up == "ON" and k + 1 < len(body) and body[k + 1].up in ("DUPLICATE", "CONFLICT"):
            return body[:k]
    return body


def _insert_conflict(acc: Acc, ups: list[str], table: str, replace: bool) -> None:
    if replace:
        acc.write("rows", table)
        acc.idempotent = True
        acc.bump(Phase.DATA)
    if "DUPLICATE" in ups and "KEY" in ups:
        acc.write("rows", table)
        acc.idempotent = True
        acc.bump(Phase.DATA)
    if "CONFLICT" in ups:
        acc.idempotent = True
        if "UPDATE" in ups:
            acc.write("rows", table)
            acc.bump(Phase.DATA)


def _set_columns(
    acc: Acc,
    tokens: list[Token],
    default: str,
    read: bool = False,
    refs: dict[str, str] | None = None,
    targets: set[str] | None = None,
) -> None:
    """``a = expr, t.b = expr``: the assigned columns (written, or read for INSERT ... SET)."""
    depth = 0
    for k, t in enumerate(tokens):
        depth += (t.text == "(") - (t.text == ")")
        if depth or t.text != "=" or k == 0:
            continue
        col, qual = tokens[k - 1].name, tokens[k - 3].name if k >= 3 and tokens[k - 2].text == "." else None
        table = (refs or {}).get(qual, qual) if qual else default
        if read:
            acc.read("column", f"{table}.{col}")
        elif k == 1 or tokens[k - 2].text in (",", ".") or tokens[k - 2].up == "SET":
            acc.write("column", f"{table}.{col}")
            if targets is not None:
                targets.add(table)


def analyze_update(c: Cursor, acc: Acc, ctes: frozenset[str] = frozenset()) -> None:
    """UPDATE, single- and multi-table (MySQL JOIN form, PostgreSQL FROM form)."""
    c.accept("UPDATE")
    while c.accept_any("LOW_PRIORITY", "IGNORE", "ONLY", "OR", "ROLLBACK", "ABORT", "REPLACE", "FAIL"):
        pass
    head = c.i
    while not c.at_end() and c.up() != "SET":
        c.next()
    refs = table_refs([Token(WORD, "FROM", "FROM", 0), *c.toks[head : c.i]], ctes)
    if not refs:
        acc.unknown("UPDATE without a table name")
        return
    rest = c.rest()
    refs.update(table_refs(rest, ctes))
    first = next(iter(refs.values()))
    targets: set[str] = set()
    _set_columns(acc, rest[1:], first, refs=refs, targets=targets)
    for table in targets or {first}:
        acc.write("rows", table)
    read_rows(acc, refs, targets)
    scope = sorted(set(refs.values())) if len(set(refs.values())) > 1 else [first]
    column_reads(acc, _after_assign_targets(rest), refs, scope)
    acc.bump(Phase.DATA)


def _after_assign_targets(rest: list[Token]) -> list[Token]:
    """The SET list's right-hand sides and the WHERE clause: drop each ``col =`` target."""
    out, skip = [], set()
    for k, t in enumerate(rest):
        if t.text == "=" and k and (k < 2 or rest[k - 2].text in (",", ".") or rest[k - 2].up == "SET"):
            skip.update({k - 1, k - 2, k - 3} if k >= 2 and rest[k - 2].text == "." else {k - 1})
    out = [t for k, t in enumerate(rest) if k not in skip]
    return out


def analyze_delete(c: Cursor, acc: Acc, ctes: frozenset[str] = frozenset()) -> None:
    """DELETE: ``FROM t``, ``t1, t2 FROM joins``, ``FROM t1 USING joins`` (MySQL and PostgreSQL)."""
    c.accept("DELETE")
    while c.accept_any("LOW_PRIORITY", "QUICK", "IGNORE"):
        pass
    named: list[str] = []
    if c.up() != "FROM":
        while (n := c.name()) is not None:
            named.append(n.removesuffix(".*"))
            c.accept(".", "*")
            if not c.accept(","):
                break
    rest = c.rest()
    refs = table_refs(rest, ctes)
    using = [k for k, t in enumerate(rest) if t.up == "USING"]
    if not named:
        head = rest[: using[0]] if using else rest
        named = list(dict.fromkeys(table_refs(head, ctes).values()))
        named = named if using else named[:1]
        if using:
            refs.update(table_refs([Token(WORD, "FROM", "FROM", 0), *rest[using[0] + 1 :]], ctes))
    if not named:
        acc.unknown("DELETE without a table name")
        return
    targets = {refs.get(n, n) for n in named}
    for table in targets:
        acc.write("rows", table)
    read_rows(acc, refs, targets)
    scope = sorted(set(refs.values())) if len(set(refs.values())) > 1 else sorted(targets)
    where = [k for k, t in enumerate(rest) if t.up == "WHERE"]
    column_reads(acc, rest[where[0] :] if where else [], refs, scope)
    acc.bump(Phase.DATA)


def analyze_select(c: Cursor, acc: Acc, ctes: frozenset[str] = frozenset()) -> None:
    """A query: reads rows of every table it names; changes nothing persistent."""
    rest = c.rest()
    read_rows(acc, table_refs(rest, ctes))
    acc.idempotent = True
    _sequence_calls(acc, rest)
    if any(t.up == "INTO" for t in rest) and any(t.up in ("OUTFILE", "DUMPFILE") for t in rest):
        acc.note("unknown", "SELECT ... INTO OUTFILE writes a file on the server")


_SEQUENCE_WRITERS = frozenset({"SETVAL", "NEXTVAL"})


def _sequence_calls(acc: Acc, tokens: list[Token]) -> None:
    """``SELECT setval('s', n)`` / ``nextval(s)`` move a sequence: a data change, not a read."""
    for k, t in enumerate(tokens[:-2]):
        if t.kind == WORD and t.up in _SEQUENCE_WRITERS and tokens[k + 1].text == "(":
            arg = tokens[k + 2]
            name = arg.text.strip("'").lower() if arg.kind != WORD and arg.kind != QID else arg.name
            acc.write("sequence", name)
            acc.idempotent = t.up == "SETVAL"
            acc.bump(Phase.DATA)


def skip_ctes(c: Cursor) -> frozenset[str]:
    """Consume ``WITH [RECURSIVE] a AS (...), b (x) AS (...)``; return the CTE names."""
    names: set[str] = set()
    c.accept("WITH")
    c.accept("RECURSIVE")
    while (n := c.name()) is not None:
        names.add(n)
        c.skip_group() if c.up() == "(" else None
        c.accept("AS")
        c.accept("NOT")
        c.accept("MATERIALIZED")
        c.skip_group()
        if not c.accept(","):
            break
    return frozenset(names)
