"""Resume after a kill while a statement was in flight (MySQL/MariaDB).

An interrupted run's progress record names the statement the server was executing when the process
died. ``settle_in_flight`` decides whether that statement's effect is present: it asks the catalog
(``ddl_effect`` reads what the statement changes, ``db.catalog`` looks it up), or sends the statement
again where a second run is harmless, and otherwise refuses with the command that settles it
(``migrate --resume --in-flight done|redo``). ``service/resume.py`` calls it under the migration lock.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flywayx.apply.run import server_of
from flywayx.apply.walk import session_replay
from flywayx.db import catalog
from flywayx.db.base import Database
from flywayx.errors import FlywayxError, StateError
from flywayx.model import Statement
from flywayx.statements.classify import Server, classify, client_text

if TYPE_CHECKING:
    from flywayx.apply.ddl_effect import Fact

# the server's "already so" answers when a completed DDL statement is sent again: table/column/key/
# constraint/routine/trigger/event/database exists, or the object to drop is gone
IDEMPOTENT_ERRORS = frozenset({1050, 1060, 1061, 1091, 1022, 1826, 1051, 1304, 1359, 1537, 1007, 1008})

RepeatableCall = Callable[[str], bool]
"""Whether a stored procedure (named as in the CALL) checks before it changes: from the plugins and the
``resumeRepeatableProcedures`` key (``flywayx.plugins.repeatable_procedure``); the core knows no product's
procedures."""


def _no_procedure(name: str) -> bool:
    return False


@dataclass(frozen=True)
class Verdict:
    """What ``--resume`` does with the statement left in flight, decided without changing anything:
    ``done`` (its effect is there: continue after it), ``redo`` (not there, or no lasting effect: run
    it again), ``send`` (sent again, where success or an "already so" error means done), ``refuse``
    (``error`` says why and how to settle it). ``finding``: what was found, for the user."""

    action: str
    finding: str
    error: StateError | None = None


def judge_in_flight(
    db: Database,
    statements: Sequence[Statement],
    done: int,
    default_schema: str,
    script: str = "the migration",
    choice: str | None = None,
    repeatable_call: RepeatableCall = _no_procedure,
) -> Verdict:
    """The read-only half of ``settle_in_flight``: its decision for statement ``done + 1``, from the
    operator's ``choice``, the statement's kind and the catalog; nothing is sent but catalog reads."""
    if choice is not None:
        return Verdict(
            choice,
            f"--in-flight {choice}: the operator says it {'took effect' if choice == 'done' else 'must run again'}",
        )
    stmt = statements[done]
    server = server_of(db)
    from flywayx.apply.ddl_effect import effect_of  # only when resuming: the analyser costs every start-up
    from flywayx.statements.analyze import analyze_statement  # ~0.1 s of imports

    c = classify(stmt.sql, server)
    if analyze_statement(stmt, db.dialect).idempotent or (server.mysql_family and not c.commits):
        return Verdict("redo", "running it again changes nothing it did not (idempotent, or no lasting effect)")
    effect = effect_of(client_text(stmt.sql, server), db.dialect)
    if effect.facts:
        return _judge(db, effect.facts, default_schema, stmt, done, script)
    called = _called(c.words)
    if not effect.repeatable and not (called and repeatable_call(called)):
        return Verdict(
            "refuse",
            "cannot be judged from the catalog",
            _refusal(
                stmt,
                done,
                script,
                (effect.unknown or "a statement") + " cannot be judged from the catalog, and "
                "running it again could apply it twice",
                called,
            ),
        )
    return Verdict(
        "send",
        "a second run leaves it as the first: it is sent again (success, or the server's "
        '"already so" error, means done)',
    )


def settle_in_flight(
    db: Database,
    statements: Sequence[Statement],
    done: int,
    default_schema: str,
    script: str = "the migration",
    choice: str | None = None,
    repeatable_call: RepeatableCall = _no_procedure,
) -> bool:
    """An interrupted run left statement ``done + 1`` in flight: True when its effect is present (it
    completed, or it was just run again here), False when it must run again.

    ``choice`` is the operator's answer (``--in-flight done|redo``) and wins. Otherwise, in order:
    statements with no lasting effect (SET, LOCK TABLES…) run again; a DDL statement whose effect the
    catalog shows (``ddl_effect``: every object in its state after the statement -> done; every one
    in its state before -> run again; a mix -> refused); statements a second run leaves as the first
    (``IF [NOT] EXISTS``, ``OR REPLACE``, MODIFY…) and calls of procedures ``repeatable_call`` names
    (a plugin's, such as CloudStack's ``IDEMPOTENT_*``) are sent again, where success or one of
    ``IDEMPOTENT_ERRORS`` means done. Anything else (another CALL, LOAD,
    an index, foreign key or check added without a name) raises StateError naming the statement, what
    was found and the command that settles it: re-running could apply it twice, and flywayx does not
    guess. DDL is atomic on MariaDB 10.6+, MySQL 8 and PostgreSQL: a statement is complete or absent."""
    verdict = judge_in_flight(db, statements, done, default_schema, script, choice, repeatable_call)
    if verdict.error is not None:
        raise verdict.error
    if verdict.action != "send":
        return verdict.action == "done"
    server = server_of(db)
    stmt = statements[done]
    db.restore_session(default_schema)
    _rebuild_session(db, statements, done, server)
    try:
        db.execute(client_text(stmt.sql, server))
    except FlywayxError as err:
        return err.details.get("code") in IDEMPOTENT_ERRORS
    return True


def _judge(db: Database, facts: Sequence[Fact], schema: str, stmt: Statement, done: int, script: str) -> Verdict:
    """The catalog's answer for ``facts``: done (after), redo (before), or a refusal (neither)."""
    found = [(f, catalog.has(db, f.kind, f.schema or schema, f.name, f.table)) for f in facts]
    seen = ", ".join(f"{f.describe()} {'present' if has else 'absent'}" for f, has in found)
    if all(has == f.after for f, has in found):
        return Verdict("done", f"the catalog shows its effect ({seen})")
    if all(has == f.before for f, has in found):
        return Verdict("redo", f"the catalog shows the state before it ({seen})")
    return Verdict(
        "refuse",
        f"found {seen}",
        _refusal(stmt, done, script, f"found {seen}: neither the state before it nor the state after it"),
    )


def _refusal(stmt: Statement, done: int, script: str, found: str, called: str = "") -> StateError:
    """The refusal for statement ``done + 1``; for a CALL of ``called``, the hint also names the setting
    that declares a procedure repeatable (``resumeRepeatableProcedures``), the way out without a guess."""
    text = " ".join(stmt.sql.split())
    shown = text if len(text) <= 120 else text[:117] + "..."
    written = re.search(re.escape(called), text, re.IGNORECASE) if called else None
    called = (written.group(0) if written else called).strip("`")  # as the file spells it
    declare = (
        f"; if {called} checks before it changes (safe to call twice), list it in resumeRepeatableProcedures "
        f"(`--resume-repeatable-procedures {called}` or FLYWAYX_RESUME_REPEATABLE_PROCEDURES) and "
        "`flywayx migrate --resume` sends the call again"
        if called
        else ""
    )
    return StateError(
        f"Cannot tell whether statement {done + 1} of {script} (line {stmt.line}) completed: `{shown}` was "
        f"running on the server when the process running it died; {found}",
        hint="check its effect by hand, then run `flywayx migrate --resume --in-flight done` if it is in the "
        f"database, or `flywayx migrate --resume --in-flight redo` to run the statement again{declare}",
        statement=stmt.sql,
        line=stmt.line,
        applied_statements=done,
    )


def _rebuild_session(db: Database, statements: Sequence[Statement], done: int, server: Server) -> None:
    """The session the first ``done`` statements built, before the statement runs again."""
    replay = session_replay(statements, done, server, "the migration", db)
    texts = [client_text(statements[i].sql, server) for i in replay.statements]
    if texts:
        _, failure = db.run_batch(texts)
        if failure is not None:
            raise failure


def _called(words: tuple[str, ...]) -> str:
    """The procedure ``CALL [schema.]name(…)`` calls, as written; "" for any other statement."""
    if words[:1] != ("CALL",):
        return ""
    return words[3] if len(words) > 3 and words[2] == "." else words[1] if len(words) > 1 else ""
