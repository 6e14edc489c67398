"""``migrate --resume`` and the guard against starting over a killed run (MySQL/MariaDB).

Without transactional DDL a migration that fails or is killed part-way leaves its first statements
applied. flywayx's progress record says how many (and which statement was in flight); this module
checks that the applied prefix is unchanged, settles a statement left in flight (``apply.settle``),
and tells ``migrate`` where to continue. A plain ``migrate`` meeting such a record stops
(``refuse_interrupted``) instead of running those statements a second time.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from flywayx.db.own_tables import Progress, migration_key
from flywayx.errors import LockTimeout, StateError
from flywayx.model import HistoryRow, Migration, Statement, Version
from flywayx.plugins import repeatable_procedure
from flywayx.service.kernel import Session, load_statements


def refuse_interrupted(s: Session) -> None:
    """Call under the migration lock: a ``running`` progress record then belongs to a dead process.

    On MySQL/MariaDB its statements up to ``statements_done`` are applied (and the next one may have
    been in flight), yet no history row says so; starting the migration afresh would re-run them, so
    migrate stops and points at ``--resume``.
    """
    if not s.own.exists():
        return
    stale = [p for p in s.own.pending_progress() if p.status == "running" and not _never_started(s, p)]
    if not stale:
        return
    p = stale[0]
    line = _kept_by_script_commit(s, p)
    if line is not None:
        raise _interrupted_after_script_commit(p, line)
    flight = (
        f"; statement {p.statements_done + 1} was running on the server and may have completed (--resume checks)"
        if p.in_flight
        else ""
    )
    # with a record written ahead (apply/ahead.py) a kill between two migrations leaves 0 done: say so
    kept = "its changes are partly applied" if p.statements_done else "none of its statements is known to be applied"
    raise StateError(
        f"Migration {p.script} was interrupted after {p.statements_done} of {p.total} statements: the process "
        f"running it stopped before writing its history row, so {kept}{flight}",
        hint=f"run `flywayx migrate --resume` to continue at statement {p.statements_done + 1}, or restore the "
        "backup (or undo those statements by hand) and run `flywayx repair`",
        script=p.script,
        applied_statements=p.statements_done,
    )


def _kept_by_script_commit(s: Session, p: Progress) -> int | None:
    """PostgreSQL: the line of the script's own COMMIT that kept ``p`` with the statements before it (the
    runner writes a record in front of such a COMMIT, in its transaction: ``apply.run``), else None. A file
    edited since, or gone, gets the general refusal."""
    if not s.db.capabilities.transactional_ddl or p.in_flight is not None or not p.statements_done:
        return None
    from flywayx.statements.classify import Server, classify, ends_script_transaction  # a record was left

    try:
        statements = _check_prefix(s, _local_for_key(s, p.key, p.script), p.statements_done, p.statement_hash)
    except StateError:
        return None
    last = statements[p.statements_done - 1]
    return last.line if ends_script_transaction(classify(last.sql, Server(s.db.dialect))) else None


def _interrupted_after_script_commit(p: Progress, line: int) -> StateError:
    """A kill after the script's own COMMIT: that COMMIT kept the statements up to it, the transaction
    after it died with the process; what is in the database, and the two ways on."""
    done, total = p.statements_done, p.total
    if done >= total:
        rest, resume = "nothing followed it", "write its history row"
    else:
        span = f"statement {total}" if done + 1 == total else f"statements {done + 1} to {total}"
        rest = f"{span} after it were rolled back with their transaction"
        resume = f"run {span} (in one transaction, with the history row)"
    return StateError(
        f"Migration {p.script} was interrupted after the script's own COMMIT at line {line}: that COMMIT kept "
        f"statements 1 to {done} (they are applied), {rest}, and no history row was written",
        hint=f"run `flywayx migrate --resume` to {resume}, or undo statements 1 to {done} by hand and run "
        "`flywayx repair` (then `flywayx migrate` runs the whole migration)",
        script=p.script,
        applied_statements=done,
    )


def _never_started(s: Session, p: Progress) -> bool:
    """A record with none of its statements done and its first in flight (a kill between two migrations,
    the record written ahead by ``apply/ahead.py``) whose first statement the catalog shows NOT applied
    (``apply.judge_in_flight`` says redo, from the file as it was): nothing of the migration is in the
    database, so the record goes and the migration runs from its start, as before records were written
    ahead. Any doubt (edited, cannot be judged, applied) keeps the record and the refusal."""
    if p.statements_done or p.in_flight is None:
        return False
    from flywayx import apply  # the engine: only loaded when a record was left behind

    try:
        statements = _check_in_flight(s, p)
        verdict = apply.judge_in_flight(s.db, statements, 0, s.default_schema, p.script)
    except Exception:  # edited, gone, or cannot be read: refuse as before
        return False
    if verdict.action != "redo":
        return False
    if s.read_only:  # --dry-run: what the run would do (drop the record, run the migration), writing nothing
        return True
    s.db.rollback()
    s.own.clear_progress(p.key)
    s.db.commit()
    return True


def interrupted_rows(s: Session) -> list[HistoryRow]:
    """For ``info``: each migration a killed run left partly applied (a ``running`` progress record, no
    history row), as the ``success=0`` row a failure would have written, so it reads ``Failed``, not
    ``Pending``. None while another process holds the migration lock: that run is still going."""
    if not s.own.exists():
        return []
    running = [p for p in s.own.pending_progress() if p.status == "running"]
    if not running:
        return []
    try:
        with s.db.lock(s.default_schema, s.config.table, 0.0, probe=True):
            pass
    except LockTimeout:
        return []
    rows = s.rows()
    rank = max((r.installed_rank for r in rows), default=0)
    out = []
    for p in running:
        kind, _, name = p.key.partition(":")
        version = Version.parse(name) if kind == "V" else None
        if any(r.version == version and (version is not None or r.description == name) for r in rows):
            continue
        rank += 1
        out.append(
            HistoryRow(
                rank,
                version,
                name if version is None else _description(s, p.key, p.script),
                "SQL",
                p.script,
                p.checksum,
                "",
                0,
                False,
            )
        )
    return out


def _description(s: Session, key: str, script: str) -> str:
    for m in s.found.migrations:
        if migration_key(m.version.text if m.version else None, m.description) == key:
            return m.description
    return script


@dataclass(frozen=True)
class Resumption:
    """What ``--resume`` continues: failed rows (with their progress records) and interrupted runs."""

    failed: tuple[tuple[HistoryRow, Progress], ...]
    interrupted: tuple[tuple[Progress, list[Statement]], ...]

    @property
    def failed_ranks(self) -> frozenset[int]:
        return frozenset(row.installed_rank for row, _ in self.failed)


def resumption(s: Session) -> Resumption:
    """Check that there is something to resume and that its applied prefix is unchanged; reads only.

    Raises StateError (nothing to resume, no statement record, the applied part or the in-flight
    statement edited since) exactly as ``prepare_resume`` would, so ``--dry-run`` refuses the same way.
    """
    _require_history(s)
    progress = {p.key: p for p in s.own.pending_progress()}
    failed = [r for r in s.history.rows() if not r.success]
    failed_keys = {migration_key(r.version.text if r.version else None, r.description) for r in failed}
    interrupted = [p for k, p in progress.items() if p.status == "running" and k not in failed_keys]
    if not failed and not interrupted:
        raise StateError(
            "Nothing to resume: no failed or interrupted migration is recorded",
            hint="run `flywayx migrate` without --resume",
        )
    pairs = []
    for row in failed:
        key = migration_key(row.version.text if row.version else None, row.description)
        if key not in progress:
            raise StateError(
                f"Cannot resume {row.script}: flywayx has no statement record of its failed run",
                hint="restore the backup or remove the half-applied changes, then `flywayx repair`",
            )
        _check_prefix(s, _local_for(s, row), progress[key].statements_done, progress[key].statement_hash)
        pairs.append((row, progress[key]))
    return Resumption(tuple(pairs), tuple((p, _check_in_flight(s, p)) for p in interrupted))


def _require_history(s: Session) -> None:
    if not s.history.exists() or not s.own.exists():
        raise StateError(
            "Nothing to resume: no flywayx history in this schema", hint="run `flywayx migrate` without --resume"
        )


def prepare_resume(s: Session, in_flight: str | None = None) -> list[str]:
    """Turn a recorded failure or interruption into a resumable state (under the migration lock).

    Failed rows: the prefix is checked, Flyway's ``success=0`` row dropped and the progress record set
    back to ``running`` in the same commit (a kill before the resumed run's first commit then reads as an
    interruption, never as a fresh start); the migration continues at the failed statement. Interrupted
    runs (``running`` record, no row): the prefix is checked, and a statement left in flight (a DDL the
    server may have completed after the process died) is settled by ``apply.settle_in_flight``.

    ``in_flight`` (``--in-flight done|redo``): the operator's answer for the statement left in flight
    or, for a failed row, for the failed statement (``done``: its effect is in the database, continue
    after it). Refused when no statement is in flight or failed.

    Last, the AUTO_INCREMENT counters the statements to run again had consumed are set back
    (``apply.restore_counters``); returns its warnings (tables whose generated ids may differ from a
    clean run's), one line per resumed migration that has any.
    """
    from flywayx import apply  # the engine: only a resumed run loads it

    _require_history(s)
    with s.lock():
        s.own.ensure()  # a progress table from an older flywayx gains its in-flight column
        r = resumption(s)
        if in_flight is not None and not r.failed and not any(p.in_flight for p, _ in r.interrupted):
            raise StateError(
                f"--in-flight {in_flight}: no statement was in flight or failed when the run stopped",
                hint="run `flywayx migrate --resume` without --in-flight",
            )
        s.db.begin()
        resumed: list[tuple[str, list[Statement], int]] = []
        for row, p in r.failed:
            s.history.delete_failed(row.version.text if row.version else None, None if row.version else row.description)
            done, digest = p.statements_done, p.statement_hash
            statements = load_statements(_local_for(s, row), s.config, s.placeholders, s.dialect)
            if in_flight == "done" and done < p.total:  # the operator says the failed statement took effect
                done, digest = done + 1, apply.prefix_digest(statements, done + 1)
            s.own.settle(p.key, done, digest)
            resumed.append((row.script, statements, done))
        s.db.commit()
        for p, statements in r.interrupted:
            resumed.append((p.script, statements, _settle(s, p, statements, in_flight)))
        found = (apply.restore_counters(s.db, st, done, s.default_schema, script) for script, st, done in resumed)
        return [w for w in found if w is not None]


def preview(s: Session, in_flight: str | None = None) -> tuple[Resumption, list[dict[str, object]]]:
    """``migrate --resume --dry-run``: what ``prepare_resume`` would decide, read-only. One entry per
    resumed migration (script, statements done, total; for a statement left in flight or failed: its
    number, text, what the catalog shows and the decision ``done``/``redo``/``send``). Raises what
    ``prepare_resume`` would raise, a statement the catalog cannot settle included."""
    from flywayx import apply  # the engine: only a resumed run loads it

    r = resumption(s)
    if in_flight is not None and not r.failed and not any(p.in_flight for p, _ in r.interrupted):
        raise StateError(
            f"--in-flight {in_flight}: no statement was in flight or failed when the run stopped",
            hint="run `flywayx migrate --resume` without --in-flight",
        )
    out: list[dict[str, object]] = []
    for row, p in r.failed:
        entry: dict[str, object] = {"script": row.script, "statementsDone": p.statements_done, "total": p.total}
        done = p.statements_done
        if in_flight is not None and p.statements_done < p.total:
            entry.update(
                statement=p.statements_done + 1,
                decision=in_flight,
                finding=f"--in-flight {in_flight}: the operator says the failed statement "
                f"{'took effect' if in_flight == 'done' else 'must run again'}",
            )
            done += in_flight == "done"
        statements = load_statements(_local_for(s, row), s.config, s.placeholders, s.dialect)
        out.append(_with_counters(s, entry, statements, done, row.script))
    for p, statements in r.interrupted:
        entry = {
            "script": p.script,
            "statementsDone": p.statements_done,
            "total": p.total,
            "inFlight": p.in_flight is not None,
        }
        if p.in_flight is not None:
            verdict = apply.judge_in_flight(
                s.db, statements, p.statements_done, s.default_schema, p.script, in_flight, _repeatable(s)
            )
            s.db.rollback()  # catalog reads only: end the read transaction
            if verdict.error is not None:
                raise verdict.error
            stmt = statements[p.statements_done]
            entry.update(
                statement=p.statements_done + 1,
                line=stmt.line,
                sql=" ".join(stmt.sql.split()),
                decision=verdict.action,
                finding=verdict.finding,
            )
        done = p.statements_done + (p.in_flight is not None and entry.get("decision") == "done")
        out.append(_with_counters(s, entry, statements, done, p.script))
    return r, out


def _with_counters(
    s: Session, entry: dict[str, object], statements: list[Statement], done: int, script: str
) -> dict[str, object]:
    """``entry`` with the AUTO_INCREMENT counters ``--resume`` would set back before running
    ``statements[done:]`` (``counters``: table, from, to) and the warning it would print (``countersWarning``)."""
    from flywayx import apply  # the engine: only a resumed run loads it

    plan = apply.plan_counters(s.db, statements, done, s.default_schema, script)
    s.db.rollback()  # catalog reads only: end the read transaction
    if plan.resets:
        entry["counters"] = [{"table": c.table, "from": c.counter, "to": c.value} for c in plan.resets]
    if plan.warning:
        entry["countersWarning"] = plan.warning
    return entry


def _check_in_flight(s: Session, p: Progress) -> list[Statement]:
    """An interrupted run's statements, after checking its applied prefix and in-flight statement."""
    from flywayx import apply  # the engine: only a resumed run loads it

    statements = _check_prefix(s, _local_for_key(s, p.key, p.script), p.statements_done, p.statement_hash)
    done = p.statements_done
    if p.in_flight is not None and (
        len(statements) <= done or apply.prefix_digest(statements, done + 1) != p.in_flight
    ):
        raise StateError(
            f"Cannot resume {p.script}: statement {done + 1} was running when the process died and has been "
            "edited since, so flywayx cannot tell what the server did with it",
            hint="restore that statement as it was and run `flywayx migrate --resume` again, or restore the backup",
        )
    return statements


def _settle(s: Session, p: Progress, statements: list[Statement], in_flight: str | None) -> int:
    """Settle a statement left in flight and record the outcome durably; the statements now done."""
    from flywayx import apply  # the engine: only a resumed run loads it

    if p.in_flight is None:
        return p.statements_done
    done = p.statements_done
    if apply.settle_in_flight(s.db, statements, done, s.default_schema, p.script, in_flight, _repeatable(s)):
        done += 1
    s.db.rollback()
    s.own.settle(p.key, done, apply.prefix_digest(statements, done))
    s.db.commit()
    return done


def _repeatable(s: Session) -> functools.partial[bool]:
    """Whether a CALL of a procedure may be sent again: a plugin or ``resumeRepeatableProcedures`` says so."""
    return functools.partial(repeatable_procedure, config=s.config)


def _local_for_key(s: Session, key: str, script: str) -> Migration:
    for m in s.found.migrations:
        if migration_key(m.version.text if m.version else None, m.description) == key:
            return m
    raise StateError(
        f"Cannot resume {script}: the migration file is gone",
        hint="restore the file, or restore the backup and run `flywayx repair`",
    )


def _local_for(s: Session, row: HistoryRow) -> Migration:
    for m in s.found.migrations:
        if (row.version is not None and m.version == row.version) or (
            row.version is None and m.description == row.description
        ):
            return m
    raise StateError(
        f"Cannot resume {row.script}: the migration file is gone",
        hint="restore the file, or run `flywayx repair` to mark it deleted",
    )


def _check_prefix(s: Session, m: Migration, done: int, digest: str) -> list[Statement]:
    """The migration's statements, after checking the first ``done`` are those that were applied."""
    from flywayx import apply  # the engine: only a resumed run loads it

    statements = load_statements(m, s.config, s.placeholders, s.dialect)
    if len(statements) < done or apply.prefix_digest(statements, done) != digest:
        raise StateError(
            f"Cannot resume {m.script}: the {done} statement(s) already applied were edited since the failed run",
            hint="only the failed statement and those after it may change; restore the backup to start over",
        )
    apply.session_replay(statements, done, apply.server_of(s.db), m.script, s.db)  # refuse before changing anything
    return statements


def resume_skip(s: Session, m: Migration) -> int:
    """How many statements of ``m`` a resumed run skips: those its failed or interrupted run applied."""
    key = migration_key(m.version.text if m.version else None, m.description)
    for p in s.own.pending_progress():
        if p.key == key and p.status in ("failed", "running"):
            return p.statements_done
    return 0
