"""The one error a failed or interrupted migration ends with: which statement, what stays applied, and
the exact next command for this database.

Where the migration ran in a transaction (PostgreSQL, SQLite) the failure rolled it back: nothing
stays, no history row is written, and the next step is plain ``migrate``. Tracked migrations
(MySQL/MariaDB, and PostgreSQL with ``executeInTransaction=false``) keep the statements before the
failed one and resume at it (``migrate --resume``). Other non-transactional runs (Python migrations,
SQLite outside a transaction) keep what they did with no statement record: undo or finish it by
hand, then ``repair``. A statement that outlived ``socketTimeout`` says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flywayx.apply import interrupt
from flywayx.apply.run import Progress
from flywayx.db.connect import LOST_CONNECTION, StatementFailed
from flywayx.errors import CallbackFailed, FlywayxError, Interrupted, MigrationFailed
from flywayx.model.redact import redact_text
from flywayx.model.work import Work
from flywayx.statements.classify import Server, classify, ends_script_transaction

if TYPE_CHECKING:
    from flywayx.apply.walk import ApplyOptions


def failure(err: Exception, work: Work, p: Progress, opts: ApplyOptions, in_txn: bool, failed_at: int) -> FlywayxError:
    """The error for ``err`` raised while applying ``work``: statement ``failed_at`` (0-based) failed,
    ``p.done`` statements stay applied (fewer when a transaction was rolled back)."""
    m = work.migration
    signum = interrupt.honoured()
    if signum is None and isinstance(err, MigrationFailed) and err.details.get("script"):
        return err
    statements = work.statements or ()
    stmt = statements[failed_at] if failed_at < len(statements) else None
    where = m.script + (f" line {stmt.line}" if stmt else "")
    text = str(err).strip()
    reason = redact_text(text.splitlines()[0] if text else type(err).__name__, opts.secrets)
    if signum is None and isinstance(err, CallbackFailed):  # the migration's own statements did not fail
        stmt, where, reason = None, f"{m.script}: {reason}", ""
    label = f"version {m.version}" if m.version is not None else f'repeatable "{m.description}"'
    details = {
        "migration": label,
        "script": m.script,
        "line": stmt.line if stmt else None,
        "statement": stmt.sql if stmt else None,
        "applied_statements": p.done,
    }
    hint = _hint(work, p, in_txn, signum is not None, failed_at)
    if signum is None and isinstance(err, CallbackFailed):
        hint = _callback_hint(work, p, in_txn, err.details.get("callback", "the callback"))
    if signum is None and isinstance(err, StatementFailed) and err.details.get("timeout"):
        kept = (
            "the whole migration was rolled back (when the server ends the session)"
            if in_txn
            else f"{p.done} statement(s) before it stay applied and it may have completed"
        )
        hint = (
            f"the server stopped answering while statement {failed_at + 1} ran; {kept}: check the server and "
            "the network to it, then run `flywayx migrate`, which says when `--resume` is needed (raise "
            "socketTimeout if statements legitimately run longer)"
        )
    elif signum is None and isinstance(err, StatementFailed) and err.details.get("code") in LOST_CONNECTION:
        hint = (
            f"the connection was lost while statement {failed_at + 1} ran (the server, or its Galera node, went "
            f"down); {p.done} statement(s) before it stay applied and it may have completed: run `flywayx "
            "migrate` on a healthy server (another Synced node of a cluster), which says when `--resume` is "
            "needed"
        )
    if signum is not None:
        number = f" (statement {failed_at + 1} of {len(statements)})" if stmt else ""
        return Interrupted(
            f"Migration {m.script} interrupted by {interrupt.name(signum)} at {where}{number}: {reason}",
            hint=hint,
            signum=signum,
            **details,
        )
    if signum is None and isinstance(err, CallbackFailed):
        return MigrationFailed(f"Migration {where}", hint=hint, **details)
    return MigrationFailed(f"Migration {m.script} failed at {where}: {reason}", hint=hint, **details)


def _callback_hint(work: Work, p: Progress, in_txn: bool, script: str) -> str:
    """What to do when a callback run with the migration (``beforeEachMigrate`` …) failed."""
    total, done = len(work.statements or ()), p.done
    committed = _script_commit(work, total) if in_txn else None
    if committed is not None:
        return _committed_hint(work, committed, script)
    if in_txn:
        return (
            f"nothing of it was applied: the whole migration was rolled back; fix {script} and run "
            "`flywayx migrate` again"
        )
    if p.tracked:
        return (
            f"{done} of {total} statements of the migration were applied; fix {script}, then run `flywayx "
            f"migrate --resume` to {'finish it' if done >= total else f'continue at statement {done + 1}'} "
            "(the callbacks run again)"
        )
    return (
        f"{done} of {total} statements were applied and stay applied (the migration did not run in a "
        f"transaction): fix {script}, undo them or finish the migration by hand, then run `flywayx repair`"
    )


def _script_commit(work: Work, before: int) -> int | None:
    """The last statement before ``before`` (0-based) that is the script's own ``COMMIT``/``END``: in a
    migration run in a transaction it committed everything before it, and the transaction reopened."""
    statements = work.statements or ()
    for i in range(min(before, len(statements)) - 1, -1, -1):
        if ends_script_transaction(classify(statements[i].sql, Server("postgresql"))):
            return i
    return None


def _committed_hint(work: Work, k: int, fix: str | None) -> str:
    """What stays after a transactional migration's failure when its own COMMIT (statement ``k``) ran;
    ``fix``: what to fix first, if anything."""
    line = (work.statements or ())[k].line
    steps = f"undo those by hand, fix {fix}," if fix else "undo those by hand"
    return (
        f"statements 1 to {k + 1} stay applied: the script's own COMMIT at line {line} committed them; the "
        f"rest was rolled back. To apply it again, {steps} and run `flywayx migrate` (the whole migration "
        "runs again)"
    )


def _hint(work: Work, p: Progress, in_txn: bool, interrupted: bool, failed_at: int) -> str:
    m, total, done = work.migration, len(work.statements or ()), p.done
    committed = _script_commit(work, failed_at) if in_txn else None
    if committed is not None:
        return _committed_hint(work, committed, None if interrupted else "the migration")
    if in_txn:
        return (
            "nothing of it was applied: the whole migration was rolled back; run `flywayx migrate` to apply it again"
            if interrupted
            else "nothing of it was applied: the whole migration was rolled back; fix it "
            "and run `flywayx migrate` again"
        )
    if p.tracked:
        applied = f"{done} of {total} statements were applied"
        if done < failed_at:  # the script's own transaction (or the server, on a deadlock) rolled back the rest
            applied += f" (statements {done + 1} to {failed_at} were rolled back with their transaction)"
        if interrupted:
            return f"{applied}; run `flywayx migrate --resume` to continue at statement {done + 1}"
        partial = (
            " Its procedure committed part of its work before the failure (a statement inside it commits): "
            "check what it changed, since `--resume` runs it again from its start."
            if p.partial
            else ""
        )
        there = "there" if done == failed_at else f"at statement {done + 1}"
        return (
            f"{applied}. Fix statement {failed_at + 1}, then run `flywayx migrate --resume` to continue {there} "
            f"(or restore the backup and run `flywayx repair`).{partial}"
        )
    if m.is_python:
        return (
            "what the Python migration changed before it stopped stays applied: undo it by hand, fix the "
            "migration, then run `flywayx repair` and `flywayx migrate`"
        )
    return (
        f"{done} of {total} statements were applied and stay applied (the migration did not run in a "
        "transaction): undo them or finish the migration by hand, then run `flywayx repair`"
    )
