"""``baseline --release R``: adopt an existing database as being at release R.

The history a fresh install of R would write is written without running anything: one row per
migration of R's closure, in version order, each recorded as applied (Flyway Teams'
``skipExecutingMigrations`` form; ``flywayx_applied`` says ``adopted`` by ``baseline --release R``).
So the history contract (docs/history-tables.md) holds from the first command on: ``info`` shows
R's closure applied, ``validate`` passes, a plain ``migrate`` — flywayx's or Flyway's — runs
nothing R already has, and ``migrate --to`` continues from R. No ``BASELINE`` row is written: it
would hide (as "Below Baseline") every version under it, including other lines' maintenance
releases R does not contain.

Flyway's baseline rules stay: a history that already holds migrations is refused, unless it is
exactly this adoption (then nothing is done). ``baseline --acs`` is this command at the release
CloudStack's ``cloud.version`` names (``flywayx_cloudstack/service.py``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flywayx.apply.record import record_all
from flywayx.errors import StateError
from flywayx.model import Config, HistoryRow, Migration
from flywayx.model.plan import Change
from flywayx.model.work import Work
from flywayx.model.write_results import BaselineReport
from flywayx.plan.interleave import plan_migrate
from flywayx.plan.ledger import Ledger
from flywayx.service import lines
from flywayx.service.kernel import Session, apply_options, session
from flywayx.service.prepare import (
    create_schemas,
    created_by_flywayx,
    insert_marker,
    missing_schemas,
    release_claims,
    require_history_schema,
)
from flywayx.service.steps import record_reason


@dataclass(frozen=True)
class Adopted:
    """One migration the adoption records, with its release and line, and how it is in the database."""

    change: Change
    release: str | None
    line: str | None
    how: str = "adopted"
    by: str = ""


def baseline_release(config: Config, release: str, *, dry_run: bool = False, note: str = "") -> BaselineReport:
    """Adopt the database at ``release`` (a release name or version); ``note`` ends the message."""
    with session(config, read_only=dry_run) as s:
        require_history_schema(s)
        target, adopted = adoption(s, release)
        if dry_run:
            message = _decide(s, target, adopted) or f"Would adopt release {target}: {len(adopted)} migrations"
            return BaselineReport(
                s.header(), True, target, message + note, True, _actions(s, missing_schemas(s), target, adopted)
            )
        created = create_schemas(s) if config.create_schemas else []
        with s.lock():
            skipped = _decide(s, target, adopted)
            if skipped is None:
                _write(s, target, adopted)
            message = skipped or f"Successfully adopted release {target}: {len(adopted)} migrations recorded as applied"
            created = created_by_flywayx(s, created)
            if created:
                insert_marker(s, created)
            s.own.ensure()
            s.db.commit()
            release_claims(s)
        return BaselineReport(s.header(), True, target, message + note)


def adoption(s: Session, release: str) -> tuple[str, list[Adopted]]:
    """(release name, the rows a fresh install of it leaves in the history, in version order): the
    plan's steps (``adopted``), then what the contract wants once they are there — the same change
    planned earlier, what a baseline migration installs above its own version, and the migrations of
    other releases now complete through an equivalent (``plan/ledger.py``)."""
    graph = lines.require_graph(s)
    analysed = lines.analyse(s)
    plan = plan_migrate(graph, analysed.changes, [], release, policy=dict(graph.ordering))
    target = plan.target or release
    by = f"baseline --release {target}"
    ran = [
        Adopted(st.change, st.release, st.line, "adopted", by) for st in plan.steps if st.migration.version is not None
    ]
    rows = [_row(i, a.change) for i, a in enumerate(ran, start=1)]
    ran += [Adopted(r.change, r.release, r.line, r.how, r.by) for r in Ledger(graph, analysed.changes, rows).records()]
    # repeatables written for a release ([repeatables] in releases.toml) are in place once it is reached
    views = [
        Adopted(st.change, st.release, st.line, "adopted", by)
        for st in plan.steps
        if st.migration.version is None and graph.repeatables_with is not None
    ]
    return target, sorted(ran, key=lambda a: (a.change.migration.version, not a.change.is_baseline)) + views


def _row(rank: int, change: Change) -> HistoryRow:
    m = change.migration
    return HistoryRow(rank, m.version, m.description, m.type.value, m.script, m.checksum, "", 0, True)


def _decide(s: Session, target: str, adopted: list[Adopted]) -> str | None:
    """None: adopt. A message: already adopted (nothing to do). StateError: Flyway's refusal."""
    if not s.history.exists():
        return None
    table = f"{s.quoted(s.default_schema)}.{s.quoted(s.config.table)}"
    applied = {r.version for r in s.history.rows() if not r.is_synthetic and r.success}
    if not applied:
        return None
    if applied == {a.change.migration.version for a in adopted}:
        return f"Schema history table {table} already holds release {target}'s migrations. Skipping."
    raise StateError(
        f"Unable to baseline schema history table {table} as it already contains migrations",
        hint=f"baseline --release adopts a database flywayx has not migrated yet; to reach {target}, "
        f"run `flywayx migrate --to {target}`",
    )


def _write(s: Session, target: str, adopted: list[Adopted]) -> None:
    if not s.history.exists():
        s.history.create()
    s.own.ensure()
    works = [
        Work(
            a.change.migration,
            None,
            a.release,
            a.line,
            "unknown",
            a.change.content_id,
            recorded_as=a.how,
            satisfied_by=a.by,
        )
        for a in adopted
    ]
    record_all(s.db, s.history, s.own, works, apply_options(s, str(uuid.uuid4()), _no_callbacks))


def _no_callbacks(event: str, migration: Migration | None) -> None:
    """Recording runs no migration, so no migration callback fires."""


def _actions(s: Session, created: list[str], target: str, adopted: list[Adopted]) -> list[dict[str, Any]]:
    actions: list[dict[str, Any]] = [{"action": "createSchema", "schema": n} for n in created]
    if not s.history.exists():
        actions.append({"action": "createHistoryTable", "schema": s.default_schema, "table": s.config.table})
    if not s.own.exists():
        actions.append({"action": "createFlywayxTables", "schema": s.default_schema})
    for a in adopted:
        m = a.change.migration
        actions.append(
            {
                "action": "record",
                "version": m.version.text if m.version else None,
                "description": m.description,
                "script": m.script,
                "release": a.release,
                "recordedAs": a.how,
                "satisfiedBy": a.by,
                "reason": record_reason(a.how, a.by),
            }
        )
    return actions


__all__ = ["Adopted", "adoption", "baseline_release"]
