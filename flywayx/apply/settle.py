"""Resume after a kill while a DDL statement was in flight (MySQL/MariaDB).

An interrupted run's progress record names the statement the server was executing when the process
died. ``settle_in_flight`` decides whether that statement's effect is present: it asks the catalog,
or sends the statement again where the server's "already so" errors make a second run harmless, and
refuses where a second run could apply it twice. ``service/resume.py`` calls it under the migration lock.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from flywayx.apply.run import server_of
from flywayx.apply.walk import session_replay
from flywayx.db.base import Database
from flywayx.errors import FlywayxError, StateError
from flywayx.model import Statement
from flywayx.statements.classify import Server, classify, client_text

# the server's "already so" answers when a completed DDL statement is sent again: table/column/key/
# constraint/routine/trigger/event/database exists, or the object to drop is gone
IDEMPOTENT_ERRORS = frozenset({1050, 1060, 1061, 1091, 1022, 1826, 1051, 1304, 1359, 1537, 1007, 1008})
# an index or foreign key added without a name is added again, under a new name, by a second run
_UNNAMED_ADD = re.compile(r"\bADD\s+(?:CONSTRAINT\s+)?(?:UNIQUE(?:\s+(?:INDEX|KEY))?|INDEX|KEY|FOREIGN\s+KEY)\s*\(",
                          re.IGNORECASE)
_PROBED = ("CREATE", "DROP", "ALTER", "RENAME", "TRUNCATE", "GRANT", "REVOKE", "ANALYZE", "OPTIMIZE")


def settle_in_flight(db: Database, statements: Sequence[Statement], done: int, default_schema: str) -> bool:
    """An interrupted MySQL/MariaDB run left statement ``done + 1`` in flight: True when its effect is
    present (it completed, or it was just run again here), False when it must run again.

    In order: the catalog answers for CREATE/DROP TABLE, VIEW and INDEX (footprint objects looked up in
    information_schema); statements with no lasting effect (SET, LOCK TABLES…) simply run again;
    other DDL, and ``CALL IDEMPOTENT_*`` procedures, are sent again, where success or one of
    ``IDEMPOTENT_ERRORS`` means done. Anything else (another CALL, LOAD, an index or foreign key added
    without a name) raises StateError: re-running it could apply it twice, and flywayx does not guess.
    Any other error of the re-run is left to the migration (False),
    which then fails at that statement as usual. MariaDB (10.6+) and MySQL 8 DDL is atomic, so a
    statement is either complete or absent."""
    stmt = statements[done]
    server = server_of(db)
    present = _catalog_says(db, stmt, default_schema, server)
    if present is not None:
        return present
    from flywayx.statements.analyze import analyze_statement  # only when resuming: keeps start-up light

    fp = analyze_statement(stmt, db.dialect)
    c = classify(stmt.sql, server)
    if fp.idempotent or not c.commits:
        return False
    if (c.head not in _PROBED and not _idempotent_call(c.words)) or _UNNAMED_ADD.search(stmt.sql):
        raise StateError(
            f"Cannot tell whether statement {done + 1} (line {stmt.line}) completed: the process running it was "
            "killed while the server executed it, and running it again could apply it twice",
            hint="check its effect by hand; restore the backup, or complete the migration by hand and run "
                 "`flywayx repair`", statement=stmt.sql, line=stmt.line, applied_statements=done)
    db.restore_session(default_schema)
    _rebuild_session(db, statements, done, server)
    try:
        db.execute(client_text(stmt.sql, server))
    except FlywayxError as err:
        return err.details.get("code") in IDEMPOTENT_ERRORS
    return True


def _rebuild_session(db: Database, statements: Sequence[Statement], done: int, server: Server) -> None:
    """The session the first ``done`` statements built, before the statement runs again."""
    replay = session_replay(statements, done, server, "the migration")
    texts = [client_text(statements[i].sql, server) for i in replay.statements]
    if texts:
        _, failure = db.run_batch(texts)
        if failure is not None:
            raise failure


def _idempotent_call(words: tuple[str, ...]) -> bool:
    """``CALL [schema.]IDEMPOTENT_…(…)``: CloudStack's procedures that check before they change."""
    name = words[3] if len(words) > 3 and words[2] == "." else words[1] if len(words) > 1 else ""
    return words[:1] == ("CALL",) and name.strip("`").upper().startswith("IDEMPOTENT_")


_CATALOG = {"TABLE": ("table", "TABLES", "TABLE_NAME"), "VIEW": ("view", "TABLES", "TABLE_NAME"),
            "INDEX": ("index", "STATISTICS", "INDEX_NAME")}


def _catalog_says(db: Database, stmt: Statement, schema: str, server: Server) -> bool | None:
    """CREATE/DROP TABLE|VIEW|[UNIQUE] INDEX without IF [NOT] EXISTS / OR REPLACE: whether its effect
    is in information_schema (None: not such a statement, or the objects disagree)."""
    words = classify(stmt.sql, server).words[:6]
    if len(words) < 3 or words[0] not in ("CREATE", "DROP") or "IF" in words[:5] or "OR" in words[:2]:
        return None
    kind = words[2] if words[1] in ("UNIQUE", "FULLTEXT", "SPATIAL") else words[1]
    if kind not in _CATALOG:
        return None
    prefix, view, column = _CATALOG[kind]
    from flywayx.statements.analyze import analyze_statement

    names = [w.split(":", 1)[1] for w in analyze_statement(stmt, db.dialect).writes if w.startswith(prefix + ":")]
    if not names:
        return None
    found = {_exists(db, view, column, name, schema, kind == "INDEX") for name in names}
    if len(found) != 1:
        return None
    exists = found.pop()
    return exists if words[0] == "CREATE" else not exists


def _exists(db: Database, view: str, column: str, name: str, schema: str, index: bool) -> bool:
    parts = name.split(".")
    obj = parts.pop()
    table = parts.pop() if index else obj
    owner = parts.pop() if parts else schema
    sql = (f"SELECT COUNT(*) FROM information_schema.{view} WHERE LOWER(TABLE_SCHEMA) = ?"
           f" AND LOWER(TABLE_NAME) = ? AND LOWER({column}) = ?")
    return bool(db.query(sql, (owner.lower(), table.lower(), obj.lower()))[0][0])
