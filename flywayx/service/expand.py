"""``migrate --phase expand`` never blocks writers silently, and says what it leaves for the contract.

Expand runs while the previous release still serves traffic, so every statement lint calls
``blocking-ddl`` (a PostgreSQL table rewrite or scan under a blocking lock, an index built without
``CONCURRENTLY``, a MySQL/MariaDB ``ALGORITHM=COPY``) is a refusal there, before anything runs, with
lint's fix — except a PostgreSQL ``CREATE INDEX`` the migration lets run outside a transaction:

- every statement of the migration is such an index build, or
- the migration runs with ``executeInTransaction=false`` (its ``.sql.conf``).

Then the build is sent as ``CREATE INDEX CONCURRENTLY`` (outside a transaction; writers keep
writing) and, when it fails, the invalid index PostgreSQL leaves behind is dropped
(``apply/walk.py``). Anything else in such a migration is refused: running part of it outside its
transaction would change what a failure leaves behind.

``waiting`` lists the steps of the plan an expand run does not take, and why, so a run that applies
nothing never reads as "up to date" while data or contract work waits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from flywayx.errors import PlanError
from flywayx.model import Migration, Statement
from flywayx.model.footprint import Footprint, Phase
from flywayx.model.lint import INDEX_LOCK, Finding, LintTarget, note_tag
from flywayx.model.plan import PlanStep
from flywayx.model.write_results import Waiting
from flywayx.plan.lint import lint
from flywayx.statements.analyze import analyze_migration

_CREATE_INDEX = re.compile(
    r"(\A(?:\s|--[^\n]*\n|/\*.*?\*/)*CREATE\s+(?:UNIQUE\s+)?INDEX)(\s+)(?!CONCURRENTLY\b)", re.IGNORECASE | re.DOTALL
)


def waiting(
    plan_steps: Sequence[PlanStep],
    chosen: Sequence[PlanStep],
    statements: Mapping[str, Sequence[Statement] | None],
    dialect: str,
) -> list[Waiting]:
    """The plan's steps not in ``chosen``: a data or contract step names its first statement of that
    phase; an expand step waits because it touches what an earlier waiting step changes."""
    taken = {s.migration.script for s in chosen}
    out = []
    for step in plan_steps:
        m = step.migration
        if m.script in taken:
            continue
        phase = step.phase
        why = (
            "depends on an earlier step that waits"
            if phase is Phase.EXPAND
            else _first_of(statements.get(m.script), phase, dialect)
        )
        out.append(Waiting(m.script, m.version.text if m.version else None, phase.value, why))
    return out


def _first_of(stmts: Sequence[Statement] | None, phase: Phase, dialect: str) -> str:
    if not stmts:
        return f"a {phase.value} migration"
    parts, _ = analyze_migration(stmts, dialect)
    for stmt, fp in zip(stmts, parts, strict=False):
        if fp.phase is phase:
            return f"line {stmt.line}: {_one_line(stmt.sql)[:80]}"
    return f"a {phase.value} migration"


def _one_line(sql: str) -> str:
    lines = [ln for ln in sql.splitlines() if ln.strip() and not ln.lstrip().startswith("--")]
    return " ".join(" ".join(lines).split())


def guard(
    chosen: Sequence[PlanStep], statements: Mapping[str, Sequence[Statement] | None], dialect: str
) -> dict[str, list[Statement]]:
    """Refuse (PlanError) an expand step with blocking DDL; return the statements to send instead for
    the steps whose PostgreSQL index builds run ``CONCURRENTLY`` (script -> statements)."""
    rewritten: dict[str, list[Statement]] = {}
    refusals: list[str] = []
    fixes: list[str] = []
    for step in chosen:
        stmts = statements.get(step.migration.script)
        if not stmts:
            continue
        parts, _ = analyze_migration(stmts, dialect)
        blocking = _blocking(step.migration, stmts, parts)
        if not blocking:
            continue
        if dialect == "postgresql" and _may_build_concurrently(step.migration, stmts, parts, blocking):
            rewritten[step.migration.script] = [concurrently(s) if s.line in blocking else s for s in stmts]
            continue
        by_line = {s.line: fp for s, fp in zip(stmts, parts, strict=False)}
        for line, f in sorted(blocking.items()):
            refusals.append(f"{step.migration.script}:{line}: {f.message.split(': ', 1)[-1]}")
            index = dialect == "postgresql" and line in by_line and _index_build(by_line[line])
            fixes.append(_INDEX_FIX.format(script=step.migration.script) if index else f.fix)
    if refusals:
        raise PlanError(
            "--phase expand refuses DDL that blocks the running release's writes: " + "; ".join(refusals),
            hint=_hint(fixes),
            blocking=refusals,
        )
    return rewritten


def _blocking(m: Migration, stmts: Sequence[Statement], parts: Sequence[Footprint]) -> dict[int, Finding]:
    target = LintTarget(m.script, m.version, tuple(stmts), tuple(parts), None)
    return {f.line: f for f in lint([target]) if f.rule == "blocking-ddl"}


def _index_build(fp: Footprint) -> bool:
    return any(note_tag(n)[0] == INDEX_LOCK for n in fp.notes)


def _may_build_concurrently(
    m: Migration, stmts: Sequence[Statement], parts: Sequence[Footprint], blocking: Mapping[int, Finding]
) -> bool:
    by_line = {s.line: fp for s, fp in zip(stmts, parts, strict=False)}
    if not all(_index_build(by_line[line]) for line in blocking if line in by_line):
        return False
    only_indexes = all(_index_build(fp) for fp in parts)
    return only_indexes or m.execute_in_transaction is False


def concurrently(stmt: Statement) -> Statement:
    """``CREATE [UNIQUE] INDEX`` as ``CREATE [UNIQUE] INDEX CONCURRENTLY``, sent outside a transaction."""
    return replace(stmt, sql=_CREATE_INDEX.sub(r"\1 CONCURRENTLY\2", stmt.sql, count=1), transactional=False)


_INDEX_FIX = (
    "move the CREATE INDEX into a migration of its own, or set executeInTransaction=false in "
    "{script}.conf: --phase expand then builds it CONCURRENTLY"
)


def _hint(fixes: Sequence[str]) -> str:
    return "; ".join(dict.fromkeys(fixes)) + "; or run it in a maintenance window with `--phase contract`"


__all__ = ["Waiting", "concurrently", "guard", "waiting"]
