"""Lint migrations from their footprints: pure, deterministic, every finding with a fix.

Rules (default severity):
  destructive (warning)              DROP TABLE/COLUMN/SCHEMA, TRUNCATE, dropped partitions lose data
  backward-incompatible (warning)    renames, dropped defaults, dropped views/routines, revoked
                                     privileges, disabled triggers, row security: the previous
                                     release's readers and writers break
  not-null-without-default (warning) NOT NULL added without a default: old writers' INSERTs fail
  type-narrowing (warning)           a type narrowed, or changed from an unknown previous type
  constraint-tightening (warning)    a foreign key, CHECK, UNIQUE or primary key the previous release's
                                     writes may violate: contract phase, existing rows validated first
  blocking-ddl (warning)             MySQL ALGORITHM=COPY, PostgreSQL table rewrite/scan under a
                                     blocking lock, index built without CONCURRENTLY (work on a table
                                     created earlier in the same migration is excused)
  unknown-statement (warning)        flywayx cannot tell what the statement touches
  data-in-expand (info)              data changes in an otherwise additive migration
  mixed-phase-migration (warning)    expand and contract statements in one migration
  release-policy (error)             a phase the policy forbids for the migration's release
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from flywayx.model.footprint import Footprint, Phase
from flywayx.model.lint import (
    BEHAVIOUR,
    CREATE_TABLE,
    DROP_COLUMN,
    DROP_DEFAULT,
    DROP_OBJECT,
    DROP_SCHEMA,
    DROP_TABLE,
    INDEX_LOCK,
    NARROWING,
    NOT_NULL,
    RENAME,
    REWRITE,
    SCAN,
    TIGHTEN,
    TRUNCATE,
    TYPE_CHANGE,
    Finding,
    LintPolicy,
    LintTarget,
    Severity,
    is_maintenance,
    is_minor_zero,
    note_tag,
)
from flywayx.model.migration import Statement

W, E, INFO = Severity.WARNING, Severity.ERROR, Severity.INFO

# note tag -> (rule, default severity, message template, fix)
_NOTE_RULES: dict[str, tuple[str, Severity, str, str]] = {
    DROP_TABLE: (
        "destructive",
        W,
        "drops table {d} and its data",
        "make sure no supported release reads it, back it up, and ship it as a contract migration",
    ),
    DROP_COLUMN: (
        "destructive",
        W,
        "drops column {d} and its data",
        "stop reading/writing the column first, then drop it in a later contract migration",
    ),
    TRUNCATE: (
        "destructive",
        W,
        "deletes every row of {d}",
        "delete only the rows you mean to with a WHERE clause, or keep a backup",
    ),
    DROP_SCHEMA: ("destructive", W, "drops {d} and everything in it", "drop the objects one by one"),
    RENAME: (
        "backward-incompatible",
        W,
        "renames {d}: the previous release still uses the old name",
        "add the new name, copy and keep both in sync, drop the old one in a contract migration",
    ),
    DROP_DEFAULT: (
        "backward-incompatible",
        W,
        "drops the default of {d}: old INSERTs that omit it fail",
        "keep the default until no release omits the column",
    ),
    NOT_NULL: (
        "not-null-without-default",
        W,
        "makes {d} NOT NULL without a default: old INSERTs fail",
        "add a DEFAULT, or backfill and add NOT NULL in a contract migration",
    ),
    NARROWING: (
        "type-narrowing",
        W,
        "narrows {d}: existing or old values may not fit",
        "widen instead, or add a new column, backfill it, switch readers, then drop the old one",
    ),
    TYPE_CHANGE: (
        "type-narrowing",
        W,
        "changes the type of {d}; it may narrow it",
        "check that the new type holds every existing value; widen only in expand migrations",
    ),
    REWRITE: (
        "blocking-ddl",
        W,
        "rewrites table {d} under ACCESS EXCLUSIVE",
        "use a constant default, or add the column nullable and backfill in batches",
    ),
    SCAN: (
        "blocking-ddl",
        W,
        "scans table {d} while holding a blocking lock",
        "add the constraint NOT VALID, then VALIDATE CONSTRAINT in a later statement",
    ),
    TIGHTEN: (
        "constraint-tightening",
        W,
        "adds {d}: writes of the previous release may violate it",
        "add it in the contract phase, after checking existing rows (PostgreSQL: ADD ... NOT VALID, then "
        "VALIDATE CONSTRAINT; a unique index: CREATE UNIQUE INDEX CONCURRENTLY), or use the "
        "add_foreign_key / add_check / add_index (unique) operation, which does this for you",
    ),
    BEHAVIOUR: (
        "backward-incompatible",
        W,
        "changes behaviour the previous release relies on ({d})",
        "do it in the contract phase, after every server runs the new release",
    ),
    INDEX_LOCK: (
        "blocking-ddl",
        W,
        "builds an index on {d} without CONCURRENTLY: writes block until done",
        "use CREATE INDEX CONCURRENTLY in a migration with executeInTransaction=false",
    ),
}
_INCOMPATIBLE_DROPS = ("view:", "routine:", "trigger:", "event:", "role:", "sequence:", "type:")


def lint(targets: Sequence[LintTarget], policy: LintPolicy | None = None) -> list[Finding]:
    """Every finding for every migration, sorted by path, line, rule."""
    pol = policy or LintPolicy()
    found = [f for t in targets for f in _lint_target(t, pol) if f.rule not in pol.disabled]
    return sorted(found, key=lambda f: (f.path, f.line, f.rule, f.message))


def _lint_target(t: LintTarget, pol: LintPolicy) -> Iterator[Finding]:
    created: set[str] = set()
    for stmt, fp in zip(t.statements, t.footprints, strict=False):
        for rule, sev, msg, fix in _statement_rules(fp, created):
            yield _finding(t, stmt, rule, pol.severity_of(rule, sev), msg, fix)
        created.update(d for tag, d in map(note_tag, fp.notes) if tag == CREATE_TABLE)
    yield from _migration_rules(t, pol)


def _statement_rules(fp: Footprint, created: set[str]) -> Iterator[tuple[str, Severity, str, str]]:
    for text in fp.notes:
        tag, detail = note_tag(text)
        if tag == DROP_OBJECT and detail.startswith(_INCOMPATIBLE_DROPS):
            yield (
                "backward-incompatible",
                W,
                f"drops {detail}: the previous release may still use it",
                "drop it in a contract migration after every server runs the new release",
            )
        elif tag in _NOTE_RULES and not (tag in (REWRITE, SCAN, INDEX_LOCK) and detail in created):
            rule, sev, msg, fix = _NOTE_RULES[tag]
            operation = suggest_operation(tag, detail, _types(fp))
            yield (
                rule,
                sev,
                msg.format(d=detail),
                fix + (f"; or declare it as an operation: {operation}" if operation else ""),
            )
    if fp.lock == "COPY" and not (fp.writes and all(_table(o) in created for o in fp.writes)):
        yield (
            "blocking-ddl",
            W,
            "runs with ALGORITHM=COPY: the table is copied and writes are blocked",
            "split it so each part is INPLACE/INSTANT, or run it with gh-ost/pt-online-schema-change",
        )
    if fp.phase == Phase.UNKNOWN:
        yield (
            "unknown-statement",
            W,
            "flywayx cannot tell what this statement reads or writes",
            "declare it with '-- flywayx:writes table.column, ...' (and reads) in a leading comment",
        )


def _types(fp: Footprint) -> dict[str, str]:
    """table.column -> the type a statement gives it (from its type-change notes)."""
    out = {}
    for text in fp.notes:
        tag, detail = note_tag(text)
        if tag in (TYPE_CHANGE, NARROWING):
            column, _, rest = detail.partition(" ")
            out[column] = rest.split(" (")[0].split(" -> ")[-1]
    return out


def suggest_operation(tag: str, detail: str, types: dict[str, str]) -> str | None:
    """The ``flywayx new --op`` command declaring what an unsafe statement does, so flywayx writes its
    expand and contract steps (flywayx/operations/); None when no operation fits."""

    def new(op: str, **args: str) -> str:
        given = " ".join(f"--arg {k}={v}" for k, v in args.items())
        return f'flywayx new "{op.replace("_", " ")}" --op {op} {given}'

    if tag == RENAME and detail.startswith("column ") and " -> " in detail:
        old, new_name = detail[len("column ") :].split(" -> ", 1)
        table, _, column = old.rpartition(".")
        to = new_name.rpartition(".")[2]
        return new(
            "rename_column", table=table, **{"from": column, "to": to}, type=f"'{types.get(new_name, '<its type>')}'"
        )
    if tag == RENAME and detail.startswith("table ") and " -> " in detail:
        old, new_name = detail[len("table ") :].split(" -> ", 1)
        return new("rename_table", **{"from": old, "to": new_name})
    if tag in (TYPE_CHANGE, NARROWING):
        column, _, rest = detail.partition(" ")
        table, _, name = column.rpartition(".")
        return new(
            "change_type",
            table=table,
            column=name,
            to=f"{name}_new",
            type=f"'{rest.split(' (')[0].split(' -> ')[-1]}'",
            old_type="'<its type>'",
        )
    if tag == NOT_NULL:
        table, _, name = detail.rpartition(".")
        return new("set_not_null", table=table, column=name)
    if tag == INDEX_LOCK:
        return new("add_index", table=detail, name="<name>", columns="'[\"<column>\"]'")
    return None


def _table(obj: str) -> str:
    name = obj.partition(":")[2]
    return name if obj.startswith(("table:", "rows:", "append:")) else name.rpartition(".")[0]


def _migration_rules(t: LintTarget, pol: LintPolicy) -> Iterator[Finding]:
    pairs = list(zip(t.statements, t.footprints, strict=False))
    phases = {fp.phase for _, fp in pairs}
    contract = [(s, fp) for s, fp in pairs if fp.phase == Phase.CONTRACT]
    if Phase.EXPAND in phases and contract:
        s = contract[0][0]
        yield _finding(
            t,
            s,
            "mixed-phase-migration",
            pol.severity_of("mixed-phase-migration", W),
            "mixes expand and contract statements, so it cannot run in either phase alone",
            "move the contract statements to their own migration (e.g. a -cleanup step)",
        )
    if Phase.EXPAND in phases and not contract:
        for s, fp in pairs:
            if fp.phase == Phase.DATA:
                yield _finding(
                    t,
                    s,
                    "data-in-expand",
                    pol.severity_of("data-in-expand", INFO),
                    "changes existing rows in an additive migration; the old release may still be writing them",
                    "make the change idempotent or move it to its own data migration",
                )
    yield from _release_policy(t, pol, contract)


def _release_policy(t: LintTarget, pol: LintPolicy, contract: list[tuple[Statement, Footprint]]) -> Iterator[Finding]:
    release = t.release_version
    if release is None or not contract:
        return
    sev = pol.severity_of("release-policy", E)
    if pol.maintenance_expand_only and is_maintenance(release):
        for s, _ in contract:
            yield _finding(
                t,
                s,
                "release-policy",
                sev,
                f"contract statement in maintenance release {release.text}",
                "ship only expand changes in maintenance releases; put this in the next minor release",
            )
    elif pol.contract_only_in_minor_zero and not is_minor_zero(release):
        for s, _ in contract:
            yield _finding(
                t,
                s,
                "release-policy",
                sev,
                f"contract statement in release {release.text}; policy allows them only in X.0.0",
                "defer it to the next major release",
            )


def _finding(t: LintTarget, s: Statement, rule: str, sev: Severity, msg: str, fix: str) -> Finding:
    text = " ".join(s.sql.split())
    short = text if len(text) <= 200 else text[:197] + "..."
    return Finding(
        rule=rule, severity=sev, message=f"{t.path}:{s.line}: {msg}", fix=fix, path=t.path, line=s.line, statement=short
    )
