"""What migrate and baseline write into, created before the first migration runs.

The schemas (when ``createSchemas`` is on), the schema history table (or its baseline row under
``baselineOnMigrate``), Flyway's schema-creation marker row and flywayx's own tables.
``service/core.py`` (migrate), ``service/admin.py`` (baseline) and ``service/lines.py`` call these.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flywayx.errors import StateError
from flywayx.model import HistoryRow, Version

if TYPE_CHECKING:
    from flywayx.service.core import Session


def _schema_empty(s: Session, name: str) -> bool:
    return not s.db.schema_exists(name) or s.db.schema_is_empty(name)


def _prepare_history(s: Session) -> str | None:
    """Create schemas, the history table (or baseline) and flywayx's tables; return the initial version."""
    created = _create_schemas(s) if s.config.create_schemas else []
    with s.db.lock(s.default_schema, s.config.table, s.config.lock_timeout):
        if not s.history.exists():
            non_empty = [n for n in s.schemas if n not in created and not _schema_empty(s, n)]
            if non_empty and not s.config.skip_executing_migrations:
                if not s.config.baseline_on_migrate:
                    raise StateError(
                        f"Found non-empty schema(s) {', '.join(_q(s, n) for n in non_empty)} but no schema history "
                        "table. Use baseline() or set baselineOnMigrate to true to initialize the schema history "
                        "table.",
                        hint="run `flywayx baseline` first, or pass --baseline-on-migrate")
                s.history.create(_baseline_row(s))
            else:
                s.history.create()
            if created:
                _insert_marker(s, created)
        s.own.ensure()
        s.db.commit()
    current = s.info().current()
    return current.version.text if current and current.version else None


def announce(s: Session, report: Callable[[str, dict[str, Any]], None], initial: str | None) -> None:
    """Tell the reporter where the run starts (Flyway logs "Current version of schema ..." first)."""
    report("migrate.begin", {"schema": _q(s, s.default_schema), "version": initial,
                             "out_of_order": s.config.out_of_order})


def _q(s: Session, name: str) -> str:
    return s.db.quote(name)


def _create_schemas(s: Session) -> list[str]:
    created = []
    for name in s.schemas:
        if not s.db.schema_exists(name):
            s.db.create_schema(name)
            created.append(name)
    return created


def _insert_marker(s: Session, created: list[str]) -> None:
    rows = s.history.rows()
    rank = rows[-1].installed_rank + 1 if rows else 0
    s.history.insert(HistoryRow(rank, None, "<< Flyway Schema Creation >>", "SCHEMA",
                                ",".join(_q(s, n) for n in created), None, s.installed_by, 0, True))


def _baseline_row(s: Session) -> HistoryRow:
    v = Version.parse(s.config.baseline_version)
    return HistoryRow(1, v, s.config.baseline_description, "BASELINE", s.config.baseline_description, None,
                      s.installed_by, 0, True)
