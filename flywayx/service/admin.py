"""Flyway's maintenance commands: baseline, repair and clean (flyway-semantics.md §5.5–5.7)."""

from __future__ import annotations

from typing import Any

from flywayx import apply
from flywayx.db.own_tables import migration_key
from flywayx.errors import StateError
from flywayx.model import Config, HistoryRow, Version
from flywayx.model.info import State
from flywayx.model.results import BaselineReport, CleanReport, RepairItem, RepairReport
from flywayx.service import core
from flywayx.service.core import Session, _patterns, session
from flywayx.service.prepare import _baseline_row, _create_schemas, _insert_marker, _q


def baseline(config: Config) -> BaselineReport:
    with session(config) as s:
        created = _create_schemas(s) if config.create_schemas else []
        version = Version.parse(config.baseline_version)
        with s.db.lock(s.default_schema, config.table, config.lock_timeout):
            message = _baseline_locked(s, version)
            if created:
                _insert_marker(s, created)
            s.own.ensure()
            s.db.commit()
        return BaselineReport(s.header(), True, version.text, message)


def _baseline_locked(s: Session, version: Version) -> str:
    table = f"{_q(s, s.default_schema)}.{_q(s, s.config.table)}"
    desc = s.config.baseline_description
    if not s.history.exists():
        s.history.create(_baseline_row(s))
        return f"Successfully baselined schema with version: {version}"
    rows = s.history.rows()
    marker = next((r for r in rows[:2] if r.type.upper() == "BASELINE"), None)
    if marker is not None:
        if marker.version == version and marker.description == desc:
            return f"Schema history table {table} already initialized with ({version},{desc}). Skipping."
        raise StateError(f"Unable to baseline schema history table {table} with ({version},{desc}) as it has "
                         f"already been baselined with ({marker.version},{marker.description})",
                         hint="the database is already baselined; run `flywayx info`")
    if any(r.type.upper() == "SCHEMA" for r in rows) and version == Version.parse("0"):
        raise StateError(f"Unable to baseline schema history table {table} with version 0 as this version was "
                         "used for schema creation", hint="choose another --baseline-version")
    if any(not r.is_synthetic for r in rows):
        raise StateError(f"Unable to baseline schema history table {table} as it already contains migrations",
                         hint="baseline only applies to a database flywayx has not migrated yet")
    if not rows:
        raise StateError(f"Unable to baseline schema history table {table} as it already exists, and is empty.\n"
                         "Delete the schema history table, and run baseline again.",
                         hint="drop the empty history table and run baseline again")
    s.history.insert(HistoryRow(rows[-1].installed_rank + 1, version, desc, "BASELINE", desc, None,
                                s.installed_by, 0, True))
    return f"Successfully baselined schema with version: {version}"


def repair(config: Config) -> RepairReport:
    with session(config) as s:
        if not s.history.exists():
            return RepairReport(s.header(), [], [], [])
        with s.db.lock(s.default_schema, config.table, config.lock_timeout):
            if s.own.exists():
                s.own.ensure()  # whatever a killed first run left of flywayx's tables is completed first
            s.db.begin()
            removed = _remove_failed(s)
            _clear_interrupted(s)
            deleted = _mark_deleted(s)
            aligned = _align(s)
            s.db.commit()
        return RepairReport(s.header(), removed, deleted, aligned)


def _item(m: Any) -> RepairItem:
    return RepairItem(m.version.text if m.version else None, m.description,
                      m.resolved.path if m.resolved is not None else "")


def _remove_failed(s: Session) -> list[RepairItem]:
    out = []
    for m in s.info().failed():
        assert m.applied is not None
        row = m.applied
        s.history.delete_failed(row.version.text if row.version else None, None if row.version else row.description)
        if s.own.exists():
            s.own.clear_progress(migration_key(row.version.text if row.version else None, row.description))
        out.append(_item(m))
    return out


def _clear_interrupted(s: Session) -> None:
    """Under the lock every ``running`` progress record is a dead process's: repair is the operator
    saying the partial changes were dealt with (restored or undone), so the records go."""
    if not s.own.exists():
        return
    for p in s.own.pending_progress():
        if p.status == "running":
            s.own.clear_progress(p.key)


def _mark_deleted(s: Session) -> list[RepairItem]:
    patterns = _patterns(s.config)
    out = []
    for m in s.info(target="latest", out_of_order=True).migrations:
        row = m.applied
        if row is None or not m.state.missing_or_future or row.is_synthetic or row.type.upper().startswith("UNDO"):
            continue
        if any(p.matches(versioned=m.version is not None, state=m.state.value) for p in patterns):
            continue
        rows = s.history.rows()
        s.history.insert(HistoryRow(rows[-1].installed_rank + 1, row.version, row.description, "DELETE", row.script,
                                    row.checksum, s.installed_by, 0, row.success))
        out.append(_item(m))
    return out


def _align(s: Session) -> list[RepairItem]:
    out = []
    for m in s.info(target="latest", out_of_order=True).migrations:
        row, local = m.applied, m.resolved
        if row is None or local is None or row.is_synthetic or m.state in (State.UNDONE, State.IGNORED, State.DELETED):
            continue
        if row.version is None:
            needs = row.checksum == local.raw_checksum and row.checksum != local.checksum
        else:
            needs = (row.checksum != local.checksum or row.description != local.description
                     or row.type.upper() != local.type.value)
        if needs:
            s.history.update(row.installed_rank, local.description, local.type.value, local.checksum)
            out.append(_item(m))
    return out


def clean(config: Config) -> CleanReport:
    if config.clean_disabled:
        raise StateError("Unable to execute clean as it has been disabled with the 'flyway.cleanDisabled' property.",
                         hint="pass --clean-disabled=false (or set cleanDisabled = false) to allow it")
    with session(config) as s:
        core._callbacks(s, apply._quiet)("beforeClean", None)
        created = _schemas_created_by_flyway(s)
        cleaned: list[str] = []
        dropped: list[str] = []
        warnings: list[str] = []
        for name in s.schemas:
            if not s.db.schema_exists(name):
                warnings.append(f"Unable to clean unknown schema: {_q(s, name)}")
                continue
            drop = name in created
            s.db.clean_schema(name, drop)
            (dropped if drop else cleaned).append(name)
        core._callbacks(s, apply._quiet)("afterClean", None)
        return CleanReport(s.header(), cleaned, dropped, warnings)


def _schemas_created_by_flyway(s: Session) -> set[str]:
    if not s.history.exists():
        return set()
    names: set[str] = set()
    for row in s.history.rows():
        if row.type.upper() == "SCHEMA":
            names.update(part.strip().strip('`"') for part in row.script.split(","))
    return names


