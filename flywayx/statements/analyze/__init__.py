"""What SQL statements read and write, their expand/contract phase and their lock impact.

``analyze_statement`` turns one statement into a ``Footprint`` (flywayx/model/footprint.py);
``analyze_migration`` does it for a migration's statements in order, carrying what it learns
(column types, ``SET foreign_key_checks``, objects created) from one statement to the next, and
combines the result. Analysis never raises: what is not understood is ``Phase.UNKNOWN`` with the
unknown object ``*`` unless ``-- flywayx:`` directives (see ``directives``) declare it.
Dialects: mysql, mariadb, postgresql, sqlite. The parser choice is in docs/decisions/parser.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from flywayx.model.footprint import UNKNOWN_OBJECT, Footprint, Phase, combine
from flywayx.model.lint import PHASE_OVERRIDE, UNKNOWN
from flywayx.model.migration import Statement
from flywayx.statements.analyze.alter import analyze_alter
from flywayx.statements.analyze.builder import Acc, Context
from flywayx.statements.analyze.cursor import Cursor
from flywayx.statements.analyze.ddl import (
    analyze_comment,
    analyze_create,
    analyze_drop,
    analyze_rename,
    analyze_truncate,
)
from flywayx.statements.analyze.directives import Directives, parse_directives
from flywayx.statements.analyze.dml import (
    analyze_delete,
    analyze_insert,
    analyze_select,
    analyze_update,
    read_rows,
    skip_ctes,
    table_refs,
)
from flywayx.statements.analyze.migration import settle_migration
from flywayx.statements.analyze.objects import maintenance, revoke
from flywayx.statements.classify import classify
from flywayx.statements.tokens import EXEC, Token, code_tokens, family, leading_comments, tokenize, words

__all__ = ["Context", "analyze_migration", "analyze_statement", "make_context"]

Handler = Callable[[Cursor, Acc], None]

# Statements that change nothing persistent (session state, transactions, diagnostics).
_HARMLESS = frozenset(
    words(
        """
        USE SET START BEGIN COMMIT ROLLBACK SAVEPOINT RELEASE UNLOCK SHOW DESCRIBE DESC EXPLAIN
        PREPARE DEALLOCATE FLUSH PRAGMA CHECKPOINT DISCARD RESET LISTEN NOTIFY CHECKSUM
        """
    )
)


def make_context(dialect: str, server_version: str | None = None) -> Context:
    """A fresh analysis context for ``dialect`` (mysql, mariadb, postgresql, sqlite)."""
    fam = family(dialect)
    mariadb = dialect.lower() == "mariadb" or "mariadb" in (server_version or "").lower()
    server = None
    if server_version:
        nums = re.findall(r"\d+", server_version.split("-")[0])
        server = tuple(int(n) for n in nums[:3]) or None
    return Context(family=fam, mariadb=mariadb, server=server)


def analyze_statement(
    stmt: Statement, dialect: str, *, server_version: str | None = None, context: Context | None = None
) -> Footprint:
    """The footprint of one statement. ``context`` (from ``make_context``) carries knowledge
    between statements; without it each statement is analysed on its own."""
    ctx = context or make_context(dialect, server_version)
    tokens = tokenize(stmt.sql, dialect)
    directives, problems = parse_directives(leading_comments(tokens))
    acc = Acc(ctx)
    _dispatch(code_tokens(tokens), acc)
    for problem in problems:
        acc.note("directive", problem)
    return _apply_directives(acc, directives)


def analyze_migration(
    statements: Sequence[Statement], dialect: str, *, server_version: str | None = None, context: Context | None = None
) -> tuple[list[Footprint], Footprint]:
    """Footprints of a migration's statements, in order, and their combination.

    A drop of an object created earlier in the same migration, and a drop followed by re-creating
    the same view/routine/trigger/event, are not contract changes of the database (see
    ``migration.settle_migration``). Pass the same ``context`` to successive calls to carry
    column types across migrations.
    """
    ctx = context or make_context(dialect, server_version)
    parts = [analyze_statement(s, dialect, context=ctx) for s in statements]
    parts = settle_migration(parts)
    return parts, combine(parts)


def _dispatch(code: list[Token], acc: Acc) -> None:
    if not code:
        return
    c = Cursor(code)
    head = c.up()
    if code[0].kind == EXEC:
        _versioned_comment(code[0].text, acc)
    elif head == "WITH":
        _with(c, acc)
    elif head in _HANDLERS:
        _HANDLERS[head](c, acc)
    elif head in _HARMLESS:
        _harmless(c, acc)
    else:
        acc.unknown(f"{head or code[0].text} statements are not analysed")


def _with(c: Cursor, acc: Acc) -> None:
    start = c.i
    ctes = skip_ctes(c)
    read_rows(acc, table_refs(c.toks[start : c.i], ctes))
    head = c.up()
    handlers = {"INSERT": analyze_insert, "UPDATE": analyze_update, "DELETE": analyze_delete, "SELECT": analyze_select}
    if head in handlers:
        handlers[head](c, acc, ctes)
    else:
        acc.unknown(f"WITH ... {head} is not analysed")


def _harmless(c: Cursor, acc: Acc) -> None:
    """Session and transaction statements: empty expand footprint; remember FK checks toggles."""
    words = [t.up for t in c.toks]
    if words[0] == "SET" and "FOREIGN_KEY_CHECKS" in words:
        acc.ctx.fk_checks = words[-1] not in ("0", "OFF", "FALSE")
    if words[0] in ("SET", "SELECT"):
        read_rows(acc, table_refs(c.toks))
    acc.idempotent = True


def _versioned_comment(text: str, acc: Acc) -> None:
    """MySQL ``/*!40101 SET ... */``: harmless when it sets session state, else not understood
    (the body read as the server reads it: ``statements.classify``)."""
    if classify(text).head == "SET":
        acc.idempotent = True
    else:
        acc.unknown("versioned comment with a statement other than SET")


def _call(c: Cursor, acc: Acc) -> None:
    """CALL p(...): reads the routine; what it writes is unknown unless declared."""
    c.next()  # CALL / EXEC / EXECUTE / DO
    name = c.name()
    if name is None:
        acc.unknown("CALL without a routine name")
        return
    acc.read("routine", name)
    acc.unknown(f"CALL {name}: declare what it writes with -- flywayx:writes")


def _grant(c: Cursor, acc: Acc) -> None:
    """GRANT: privileges, not schema; they commute with schema changes."""
    acc.write("grant", "privileges")
    acc.idempotent = True


def _bulk_load(c: Cursor, acc: Acc) -> None:
    """PostgreSQL ``COPY t FROM ...`` and MySQL ``LOAD DATA ... INTO TABLE t`` write rows (data);
    ``COPY t TO ...`` / ``COPY (query) TO`` only read."""
    words = [t.up for t in c.toks]
    if words[0] == "COPY":
        c.next()
        table = c.name() if c.up() != "(" else None
        if "FROM" in words and table:
            acc.write("rows", table)
            acc.bump(Phase.DATA)
        elif table:
            acc.read("rows", table)
        return
    into = [k for k, w in enumerate(words) if w == "TABLE"]
    table = Cursor(c.toks, into[0] + 1).name() if into else None
    if table is None:
        acc.unknown("LOAD without INTO TABLE")
        return
    acc.write("rows", table)
    acc.bump(Phase.DATA)


def _merge(c: Cursor, acc: Acc) -> None:
    """MERGE INTO t USING s ...: inserts, updates or deletes rows of t (data)."""
    c.next()
    c.accept("INTO")
    table = c.name()
    if table is None:
        acc.unknown("MERGE without a target table")
        return
    acc.write("rows", table)
    rest = c.rest()
    source = next((Cursor(rest, k + 1).name() for k, t in enumerate(rest) if t.up == "USING"), None)
    if source:
        acc.read("rows", source)
    read_rows(acc, table_refs(rest))
    acc.bump(Phase.DATA)


def _apply_directives(acc: Acc, d: Directives) -> Footprint:
    if d.declared:
        if UNKNOWN_OBJECT in acc.writes and UNKNOWN_OBJECT not in d.writes:
            acc.writes.discard(UNKNOWN_OBJECT)
            if acc.phase == Phase.UNKNOWN and d.phase is None:
                acc.phase = Phase.DATA if d.writes else Phase.EXPAND
            acc.notes = [n for n in acc.notes if not n.startswith(f"{UNKNOWN}: ")]
        acc.reads |= d.reads
        acc.writes |= d.writes
    if d.phase is not None:
        acc.phase = d.phase
        acc.note(PHASE_OVERRIDE, d.reason or "no reason given")
    return acc.footprint()


_HANDLERS: dict[str, Handler] = {
    "CREATE": analyze_create,
    "ALTER": analyze_alter,
    "DROP": analyze_drop,
    "RENAME": analyze_rename,
    "TRUNCATE": analyze_truncate,
    "COMMENT": analyze_comment,
    "INSERT": analyze_insert,
    "REPLACE": analyze_insert,
    "UPDATE": analyze_update,
    "DELETE": analyze_delete,
    "SELECT": analyze_select,
    "VALUES": analyze_select,
    "(": analyze_select,
    "TABLE": analyze_select,
    "CALL": _call,
    "EXEC": _call,
    "EXECUTE": _call,
    "DO": _call,
    "GRANT": _grant,
    "REVOKE": revoke,
    "REINDEX": maintenance,
    "VACUUM": maintenance,
    "ANALYZE": maintenance,
    "CLUSTER": maintenance,
    "OPTIMIZE": maintenance,
    "LOCK": maintenance,
    "REFRESH": maintenance,
    "COPY": _bulk_load,
    "LOAD": _bulk_load,
    "MERGE": _merge,
}
