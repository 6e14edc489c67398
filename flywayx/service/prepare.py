"""What migrate and baseline write into, created before the first migration runs.

The schemas (when ``createSchemas`` is on), the schema history table (or its baseline row under
``baselineOnMigrate``), Flyway's schema-creation marker row and flywayx's own tables.
``service/engine.py`` (migrate in every mode) and ``service/admin.py`` (baseline) call these.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flywayx.errors import StateError
from flywayx.model import HistoryRow, Version
from flywayx.service.kernel import Session


@dataclass(frozen=True)
class Preparation:
    """What ``prepare_history`` does on this database (``migrate --dry-run`` shows it)."""

    schemas: tuple[str, ...]  # created by this run (createSchemas)
    history: bool  # the history table is created
    baseline: HistoryRow | None  # the baseline row baselineOnMigrate writes with it
    marker: HistoryRow | None  # Flyway's schema-creation row
    own_tables: bool  # flywayx's tables are created

    @property
    def rows(self) -> list[HistoryRow]:
        """The history rows it writes, in order."""
        return [r for r in (self.baseline, self.marker) if r is not None]


def preparation(s: Session, created: Sequence[str]) -> Preparation:
    """Decide what to create when ``created`` are the schemas this run creates; reads only.

    Raises Flyway's refusal for a non-empty schema without history (unless baselineOnMigrate).
    """
    history = not s.history.exists()
    created = created_by_flywayx(s, created)
    baseline = None
    if history:
        non_empty = [n for n in s.schemas if n not in created and not s.schema_empty(n)]
        if non_empty and not s.config.skip_executing_migrations:
            if not s.config.baseline_on_migrate:
                raise StateError(
                    f"Found non-empty schema(s) {', '.join(s.quoted(n) for n in non_empty)} but no schema "
                    "history table. Use baseline() or set baselineOnMigrate to true to initialize the schema "
                    "history table.",
                    hint="run `flywayx baseline` first, or pass --baseline-on-migrate",
                )
            baseline = baseline_row(s)
    marker = _marker(s, created, [baseline] if baseline else []) if created and history else None
    return Preparation(tuple(created), history, baseline, marker, not s.own.exists())


def require_history_schema(s: Session) -> None:
    """``createSchemas=false``: the schema that holds the history table must exist. Flyway only warns and
    then fails creating the table; this refuses up front, reads only, before any lock is taken (on a
    Galera node the cluster-wide lock's row would live in that schema: only the node's lock could be
    had) and before anything is created or backed up. Called by every command that writes history."""
    if s.config.create_schemas or s.db.schema_exists(s.default_schema):
        return
    raise StateError(
        f"Schema {s.quoted(s.default_schema)} does not exist and createSchemas is false: the schema history "
        f"table {s.quoted(s.config.table)} cannot be created in it, and flywayx creates no schema",
        hint=f"create the schema {s.quoted(s.default_schema)} first, or leave createSchemas on (the default) "
        "so that flywayx creates it",
        schema=s.default_schema,
    )


def missing_schemas(s: Session) -> list[str]:
    """The configured schemas a run would create (none unless createSchemas)."""
    return [n for n in s.schemas if not s.db.schema_exists(n)] if s.config.create_schemas else []


def prepare_history(s: Session) -> None:
    """Create schemas, the history table (or baseline) and flywayx's tables (decided under the lock)."""
    created = create_schemas(s) if s.config.create_schemas else []
    with s.lock():
        p = preparation(s, created)
        if p.history:
            s.history.create(p.baseline)
        if p.marker is not None:
            s.history.insert(p.marker)
        s.own.ensure()
        s.db.commit()
        release_claims(s)


def created_by_flywayx(s: Session, created: Sequence[str]) -> list[str]:
    """Under the lock: the schemas whose schema-creation row is still to be written. Where the dialect
    marks a schema it creates (``Database.creation_claimed``), the mark decides: the runner that finds
    it first writes the row, whichever runner's CREATE made the schema; elsewhere ``created``, what
    this run created itself."""
    out = []
    for name in s.schemas:
        mark = s.db.creation_claimed(name) if s.db.schema_exists(name) else None
        if mark or (mark is None and name in created):
            out.append(name)
    return out


def release_claims(s: Session) -> None:
    """Once the schema-creation row is written (and committed), drop the creation marks."""
    for name in s.schemas:
        if s.db.schema_exists(name):
            s.db.release_creation_claim(name)


def announce(s: Session, report: Callable[[str, dict[str, Any]], None], initial: str | None) -> None:
    """Tell the reporter where the run starts (Flyway logs "Current version of schema ..." first)."""
    report(
        "migrate.begin",
        {"schema": s.quoted(s.default_schema), "version": initial, "out_of_order": s.config.out_of_order},
    )


def create_schemas(s: Session) -> list[str]:
    """Create the configured schemas that do not exist; return their names."""
    created = []
    for name in s.schemas:
        if not s.db.schema_exists(name):
            s.db.create_schema(name)
            created.append(name)
    return created


def insert_marker(s: Session, created: list[str]) -> None:
    """Flyway's ``<< Flyway Schema Creation >>`` row for the schemas it created."""
    s.history.insert(_marker(s, created, s.history.rows()))


def _marker(s: Session, created: Sequence[str], rows: Sequence[HistoryRow]) -> HistoryRow:
    rank = rows[-1].installed_rank + 1 if rows else 0
    return HistoryRow(
        rank,
        None,
        "<< Flyway Schema Creation >>",
        "SCHEMA",
        ",".join(s.quoted(n) for n in created),
        None,
        s.installed_by,
        0,
        True,
    )


def baseline_row(s: Session) -> HistoryRow:
    """The ``BASELINE`` marker at ``baselineVersion`` (rank 1, as Flyway writes it with the table)."""
    v = Version.parse(s.config.baseline_version)
    return HistoryRow(
        1, v, s.config.baseline_description, "BASELINE", s.config.baseline_description, None, s.installed_by, 0, True
    )


__all__ = [
    "Preparation",
    "announce",
    "baseline_row",
    "create_schemas",
    "created_by_flywayx",
    "insert_marker",
    "missing_schemas",
    "preparation",
    "prepare_history",
    "release_claims",
    "require_history_schema",
]
