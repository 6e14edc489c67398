"""What migrate and baseline write into, created before the first migration runs.

The schemas (when ``createSchemas`` is on), the schema history table (or its baseline row under
``baselineOnMigrate``), Flyway's schema-creation marker row and flywayx's own tables.
``service/engine.py`` (migrate in every mode) and ``service/admin.py`` (baseline) call these.
"""

from __future__ import annotations

from flywayx.errors import StateError
from flywayx.model import HistoryRow, Version
from flywayx.service.kernel import Session


def prepare_history(s: Session) -> None:
    """Create schemas, the history table (or baseline) and flywayx's tables (under the lock)."""
    created = create_schemas(s) if s.config.create_schemas else []
    with s.lock():
        if not s.history.exists():
            non_empty = [n for n in s.schemas if n not in created and not s.schema_empty(n)]
            if non_empty and not s.config.skip_executing_migrations:
                if not s.config.baseline_on_migrate:
                    raise StateError(
                        f"Found non-empty schema(s) {', '.join(s.quoted(n) for n in non_empty)} but no schema "
                        "history table. Use baseline() or set baselineOnMigrate to true to initialize the schema "
                        "history table.",
                        hint="run `flywayx baseline` first, or pass --baseline-on-migrate")
                s.history.create(baseline_row(s))
            else:
                s.history.create()
            if created:
                insert_marker(s, created)
        s.own.ensure()
        s.db.commit()


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
    rows = s.history.rows()
    rank = rows[-1].installed_rank + 1 if rows else 0
    s.history.insert(HistoryRow(rank, None, "<< Flyway Schema Creation >>", "SCHEMA",
                                ",".join(s.quoted(n) for n in created), None, s.installed_by, 0, True))


def baseline_row(s: Session) -> HistoryRow:
    """The ``BASELINE`` marker at ``baselineVersion`` (rank 1, as Flyway writes it with the table)."""
    v = Version.parse(s.config.baseline_version)
    return HistoryRow(1, v, s.config.baseline_description, "BASELINE", s.config.baseline_description, None,
                      s.installed_by, 0, True)


__all__ = ["baseline_row", "create_schemas", "insert_marker", "prepare_history"]
