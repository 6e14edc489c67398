"""Flyway's maintenance commands: baseline, repair and clean (flyway-semantics.md §5.5–5.7)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flywayx import apply
from flywayx.apply.record import record_satisfied
from flywayx.db.own_tables import migration_key
from flywayx.errors import StateError
from flywayx.model import Config, HistoryRow, Version
from flywayx.model.info import MigrationInfo, State
from flywayx.model.write_results import BaselineReport, CleanReport, RepairItem, RepairReport
from flywayx.plan.ledger import Ledger, Record, with_records
from flywayx.service import lines
from flywayx.service.kernel import Session, apply_options, callbacks, ignore_patterns, session
from flywayx.service.prepare import (
    baseline_row,
    create_schemas,
    created_by_flywayx,
    insert_marker,
    missing_schemas,
    release_claims,
    require_history_schema,
)
from flywayx.service.steps import record_work


def baseline(config: Config, *, dry_run: bool = False) -> BaselineReport:
    """Flyway's baseline; ``dry_run``: the same checks and refusals, nothing written."""
    with session(config, read_only=dry_run) as s:
        version = Version.parse(config.baseline_version)
        require_history_schema(s)
        if dry_run:
            created = missing_schemas(s)
            message, row = _baseline_decision(s, version)
            message = message if row is None else f"Would baseline schema with version: {version}"
            return BaselineReport(s.header(), True, version.text, message, True, _baseline_actions(s, created, row))
        created = create_schemas(s) if config.create_schemas else []
        with s.lock():
            message, row = _baseline_decision(s, version)
            if row is not None and not s.history.exists():
                s.history.create(row)
            elif row is not None:
                s.history.insert(row)
            created = created_by_flywayx(s, created)
            if created:
                insert_marker(s, created)
            s.own.ensure()
            s.db.commit()
            release_claims(s)
        return BaselineReport(s.header(), True, version.text, message)


def _baseline_decision(s: Session, version: Version) -> tuple[str, HistoryRow | None]:
    """Flyway's baseline rules (§5.6): the message and the BASELINE row to write (None: nothing)."""
    table = f"{s.quoted(s.default_schema)}.{s.quoted(s.config.table)}"
    desc = s.config.baseline_description
    done = f"Successfully baselined schema with version: {version}"
    if not s.history.exists():
        return done, baseline_row(s)
    rows = s.history.rows()
    marker = next((r for r in rows[:2] if r.type.upper() == "BASELINE"), None)
    if marker is not None:
        if marker.version == version and marker.description == desc:
            return f"Schema history table {table} already initialized with ({version},{desc}). Skipping.", None
        raise StateError(
            f"Unable to baseline schema history table {table} with ({version},{desc}) as it has "
            f"already been baselined with ({marker.version},{marker.description})",
            hint="the database is already baselined; run `flywayx info`",
        )
    if any(r.type.upper() == "SCHEMA" for r in rows) and version == Version.parse("0"):
        raise StateError(
            f"Unable to baseline schema history table {table} with version 0 as this version was "
            "used for schema creation",
            hint="choose another --baseline-version",
        )
    if any(not r.is_synthetic for r in rows):
        raise StateError(
            f"Unable to baseline schema history table {table} as it already contains migrations",
            hint="baseline only applies to a database flywayx has not migrated yet",
        )
    if not rows:
        raise StateError(
            f"Unable to baseline schema history table {table} as it already exists, and is empty.\n"
            "Delete the schema history table, and run baseline again.",
            hint="drop the empty history table and run baseline again",
        )
    return done, HistoryRow(rows[-1].installed_rank + 1, version, desc, "BASELINE", desc, None, s.installed_by, 0, True)


def _baseline_actions(s: Session, created: list[str], row: HistoryRow | None) -> list[dict[str, Any]]:
    actions: list[dict[str, Any]] = [{"action": "createSchema", "schema": n} for n in created]
    if not s.history.exists():
        actions.append({"action": "createHistoryTable", "schema": s.default_schema, "table": s.config.table})
    if row is not None:
        actions.append(_row_action(row))
    if created:
        actions.append(
            _row_action(HistoryRow(0, None, "<< Flyway Schema Creation >>", "SCHEMA", "", None, "", 0, True))
        )
    if not s.own.exists():
        actions.append({"action": "createFlywayxTables", "schema": s.default_schema})
    return actions


def _row_action(row: HistoryRow) -> dict[str, Any]:
    return {
        "action": "insertHistoryRow",
        "type": row.type,
        "version": row.version.text if row.version else None,
        "description": row.description,
        "rank": row.installed_rank,
    }


# ---------------------------------------------------------------------------------------------------
# repair


@dataclass
class RepairPlan:
    """What repair changes, decided from the history as it is (flyway-semantics.md §5.5)."""

    removed: list[MigrationInfo] = field(default_factory=list)  # failed rows deleted
    recorded: list[Record] = field(default_factory=list)  # the contract's rows (a renamed file first of all)
    deleted: list[tuple[MigrationInfo, HistoryRow]] = field(default_factory=list)  # DELETE rows inserted
    aligned: list[MigrationInfo] = field(default_factory=list)  # rows updated to the local file
    interrupted: list[str] = field(default_factory=list)  # progress records of dead runs cleared


def repair_plan(s: Session) -> RepairPlan:
    """Flyway's three steps computed in order over the history each step leaves; reads only.

    With a ``releases.toml`` the contract's missing rows (``plan/ledger.py``) are written before
    missing migrations are marked deleted: a file renamed by ``release cut`` is the same migration
    under its new version, not a missing one (marking it deleted would lose that it was applied)."""
    out = RepairPlan()
    rows = s.history.rows()
    out.removed = s.info(rows=rows).failed()
    gone = {
        (r.version.text if r.version else None, None if r.version else r.description)
        for r in (m.applied for m in out.removed)
        if r is not None
    }
    rows = [
        r
        for r in rows
        if r.success or (r.version.text if r.version else None, None if r.version else r.description) not in gone
    ]
    graph = lines.release_graph(s)
    if graph is not None:
        out.recorded = Ledger(graph, lines.analyse(s).changes, rows, lines.line_records(s)).records()
        rows = with_records(rows, out.recorded, s.installed_by)
    patterns = ignore_patterns(s.config)
    rank = max((r.installed_rank for r in rows), default=0)
    for m in s.info(target="latest", out_of_order=True, rows=rows).migrations:
        row = m.applied
        if row is None or not m.state.missing_or_future or row.is_synthetic or row.type.upper().startswith("UNDO"):
            continue
        if any(p.matches(versioned=m.version is not None, state=m.state.value) for p in patterns):
            continue
        rank += 1
        out.deleted.append(
            (
                m,
                HistoryRow(
                    rank,
                    row.version,
                    row.description,
                    "DELETE",
                    row.script,
                    row.checksum,
                    s.installed_by,
                    0,
                    row.success,
                ),
            )
        )
    rows += [d for _, d in out.deleted]
    out.aligned = [m for m in s.info(target="latest", out_of_order=True, rows=rows).migrations if _misaligned(m)]
    if s.own.exists():
        out.interrupted = [p.key for p in s.own.pending_progress() if p.status == "running"]
    return out


def _misaligned(m: MigrationInfo) -> bool:
    row, local = m.applied, m.resolved
    if row is None or local is None or row.is_synthetic or m.state in (State.UNDONE, State.IGNORED, State.DELETED):
        return False
    if row.version is None:
        return row.checksum == local.raw_checksum and row.checksum != local.checksum
    return (
        row.checksum != local.checksum or row.description != local.description or row.type.upper() != local.type.value
    )


def repair(config: Config, *, dry_run: bool = False) -> RepairReport:
    """Flyway's repair; ``dry_run``: what it would change, nothing written."""
    with session(config, read_only=dry_run) as s:
        if not s.history.exists():
            return RepairReport(s.header(), [], [], [], dry_run)
        if dry_run:
            plan = repair_plan(s)
        else:
            with s.lock():
                if s.own.exists():
                    s.own.ensure()  # whatever a killed first run left of flywayx's tables is completed first
                plan = repair_plan(s)
                s.db.begin()
                _repair(s, plan)
                s.db.commit()
        recorded = [
            RepairItem(
                r.change.migration.version.text if r.change.migration.version else None,
                r.change.migration.description,
                r.change.migration.path,
            )
            for r in plan.recorded
        ]
        return RepairReport(
            s.header(),
            [_item(m) for m in plan.removed],
            [_item(m) for m, _ in plan.deleted],
            [_item(m) for m in plan.aligned],
            dry_run,
            recorded,
        )


def _repair(s: Session, plan: RepairPlan) -> None:
    """Carry out ``plan`` (under the lock, in the caller's transaction)."""
    for m in plan.removed:
        row = m.applied
        assert row is not None
        s.history.delete_failed(row.version.text if row.version else None, None if row.version else row.description)
        if s.own.exists():
            s.own.clear_progress(migration_key(row.version.text if row.version else None, row.description))
    for key in plan.interrupted:  # repair is the operator saying a dead run's partial changes were dealt with
        s.own.clear_progress(key)
    if plan.recorded:
        s.db.commit()  # each record commits on its own (apply.record), then the rest goes on
        s.own.ensure()
        options = apply_options(s, None, _no_callbacks)
        for rec in plan.recorded:
            record_satisfied(s.db, s.history, s.own, record_work(rec), options, apply.quiet, rec.retire)
        s.db.begin()
    for _, row in plan.deleted:
        s.history.insert(row)
    for m in plan.aligned:
        assert m.applied is not None and m.resolved is not None
        local = m.resolved
        s.history.update(m.applied.installed_rank, local.description, local.type.value, local.checksum)


def _no_callbacks(event: str, migration: object) -> None:
    """Recording runs no migration, so no migration callback fires."""


def _item(m: MigrationInfo) -> RepairItem:
    return RepairItem(
        m.version.text if m.version else None, m.description, m.resolved.path if m.resolved is not None else ""
    )


# ---------------------------------------------------------------------------------------------------
# clean


def clean(config: Config, *, dry_run: bool = False) -> CleanReport:
    """Flyway's clean; ``dry_run``: the schemas and objects it would drop, nothing dropped."""
    if config.clean_disabled:
        raise StateError(
            "Unable to execute clean as it has been disabled with the 'flyway.cleanDisabled' property.",
            hint="pass --clean-disabled=false (or set cleanDisabled = false) to allow it",
        )
    with session(config, read_only=dry_run) as s:
        s.require_writable()  # dropping objects on a replica or a desynced node makes it diverge
        fire = _Listed(s) if dry_run else callbacks(s, apply.quiet)
        fire("beforeClean", None)
        created = _schemas_created_by_flyway(s)
        cleaned: list[str] = []
        dropped: list[str] = []
        warnings: list[str] = []
        actions: list[dict[str, Any]] = []
        for name in s.schemas:
            if not s.db.schema_exists(name):
                warnings.append(f"Unable to clean unknown schema: {s.quoted(name)}")
                continue
            drop = name in created
            if dry_run:
                actions.append(
                    {"action": "dropSchema" if drop else "cleanSchema", "schema": name, "objects": _objects(s, name)}
                )
            else:
                s.db.clean_schema(name, drop)
            (dropped if drop else cleaned).append(name)
        fire("afterClean", None)
        if isinstance(fire, _Listed):
            actions = fire.before + actions + fire.after
        return CleanReport(s.header(), cleaned, dropped, warnings, dry_run, actions)


class _Listed:
    """clean --dry-run's stand-in for the callback dispatcher: lists the scripts of each event."""

    def __init__(self, s: Session) -> None:
        self.s = s
        self.before: list[dict[str, Any]] = []
        self.after: list[dict[str, Any]] = []

    def __call__(self, event: str, _m: object) -> None:
        if self.s.config.skip_default_callbacks:
            return
        into = self.before if event.startswith("before") else self.after
        into += [
            {"action": "callback", "event": event, "script": cb.script} for cb in self.s.found.callbacks.get(event, [])
        ]


def _objects(s: Session, schema: str) -> list[str]:
    """What cleaning ``schema`` drops, as ``kind name`` (flywayx's own tables and the history included)."""
    from flywayx.db.fingerprint import fingerprint

    name = "main" if s.dialect == "sqlite" else schema
    try:
        with s.db.reads() as conn:  # bounded by the socket limit as every statement is
            fp = fingerprint(conn, s.dialect, [name], exclude_tables=())
    finally:
        s.db.rollback()
    out = []
    for sch in fp.schemas:
        out += [f"table {t.name}" for t in sch.tables] + [f"view {v.name}" for v in sch.views]
        out += [f"{r.kind.lower()} {r.name}" for r in sch.routines]
    return sorted(out)


def _schemas_created_by_flyway(s: Session) -> set[str]:
    if not s.history.exists():
        return set()
    names: set[str] = set()
    for row in s.history.rows():
        if row.type.upper() == "SCHEMA":
            names.update(part.strip().strip('`"') for part in row.script.split(","))
    return names
