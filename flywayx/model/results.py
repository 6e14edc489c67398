"""Results of commands as values, with Flyway's JSON shapes (flyway-semantics.md §5.9).

The CLI renders these; ``to_json()`` gives the object Flyway's ``-outputType=json`` prints. Here the
results of the commands that read (info, validate); those of the commands that write (migrate, repair,
baseline, clean) are ``model/write_results.py``, also importable from here (``__getattr__``) as the
plugin contract names them, loaded on first use so that ``info`` creates none of their classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flywayx.model.info import MigrationInfo, State

if TYPE_CHECKING:
    from flywayx.model.write_results import AppliedItem as AppliedItem
    from flywayx.model.write_results import BaselineReport as BaselineReport
    from flywayx.model.write_results import CleanReport as CleanReport
    from flywayx.model.write_results import MigrateReport as MigrateReport
    from flywayx.model.write_results import Recorded as Recorded
    from flywayx.model.write_results import RepairItem as RepairItem
    from flywayx.model.write_results import RepairReport as RepairReport
    from flywayx.model.write_results import Waiting as Waiting

TOOL_VERSION = "0.1.0"
_WRITE_RESULTS = (
    "AppliedItem",
    "BaselineReport",
    "CleanReport",
    "MigrateReport",
    "Recorded",
    "RepairItem",
    "RepairReport",
    "Waiting",
)


def __getattr__(name: str) -> Any:
    if name not in _WRITE_RESULTS:
        raise AttributeError(f"module 'flywayx.model.results' has no attribute {name!r}")
    from flywayx.model import write_results

    return getattr(write_results, name)


def timestamp() -> str:
    """When a result was made, as Flyway's JSON gives it (local time, microseconds)."""
    return datetime.now().isoformat(timespec="microseconds")


def _installed_on_utc(m: MigrationInfo) -> str:
    on = m.applied.installed_on if m.applied is not None else None
    if on is None:
        return ""
    if on.tzinfo is None:
        on = on.replace(tzinfo=UTC)
    return on.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{on.microsecond // 1000:03d}Z"


@dataclass
class Header:
    """What every result carries: database name, schema list, dialect."""

    database: str
    schema_name: str
    database_type: str


@dataclass
class InfoReport:
    header: Header
    migrations: list[MigrationInfo]
    schema_version: str | None
    all_schemas_empty: bool
    releases: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)  # version -> (release, line)
    current_releases: list[str] = field(default_factory=list)
    phase_state: str | None = None
    warnings: list[str] = field(default_factory=list)
    undo: dict[str, str] = field(default_factory=dict)  # version text -> path of its undo migration
    cluster: str | None = None  # what kind of server this is (flywayx.db.cluster), one line

    def to_json(self) -> dict[str, Any]:
        extra = {"cluster": self.cluster} if self.cluster else {}
        return {
            **extra,
            "schemaVersion": self.schema_version,
            "schemaName": self.header.schema_name,
            "migrations": [_info_json(m, self.undo) for m in self.migrations],
            "allSchemasEmpty": self.all_schemas_empty,
            "flywayVersion": TOOL_VERSION,
            "database": self.header.database,
            "warnings": self.warnings,
            "operation": "info",
            "currentReleases": self.current_releases,
            "phaseState": self.phase_state,
            "timestamp": timestamp(),
            "exception": None,
            "licenseFailed": False,
        }


def undoable(m: MigrationInfo, undo: dict[str, str]) -> str:
    """Flyway's Undoable column: "Yes" when an undo migration of the version exists (and the row is
    neither a delete, deleted, undone nor failed), "No" for other versioned rows, "" otherwise."""
    if (
        m.version is None
        or m.type.upper() == "DELETE"
        or m.type.upper().startswith("UNDO")
        or m.state in (State.DELETED, State.UNDONE)
    ):
        return ""
    return "Yes" if not m.state.failed and m.version.text in undo else "No"


def _info_json(m: MigrationInfo, undo: dict[str, str]) -> dict[str, Any]:
    applied = m.applied
    return {
        "category": m.category,
        "version": m.version.text if m.version is not None else "",
        "rawVersion": m.version.text if m.version is not None else "",
        "description": m.description,
        "type": m.type,
        "installedOnUTC": _installed_on_utc(m),
        "state": m.state.value,
        "undoable": undoable(m, undo),
        "filepath": m.resolved.path if m.resolved is not None else "",
        "undoFilepath": undo.get(m.version.text, "") if m.version is not None else "",
        "installedBy": applied.installed_by if applied is not None else "",
        "shouldExecuteExpression": None,
        "executionTime": applied.execution_time if applied is not None else 0,
    }


@dataclass
class InvalidMigration:
    version: str | None
    description: str
    filepath: str
    error_code: str
    message: str


@dataclass
class ValidateReport:
    header: Header
    invalid: list[InvalidMigration]
    validate_count: int
    warnings: list[str]

    @property
    def successful(self) -> bool:
        return not self.invalid

    def to_json(self) -> dict[str, Any]:
        details = (
            None
            if self.successful
            else {"errorCode": "VALIDATE_ERROR", "errorMessage": "Migrations have failed validation"}
        )
        return {
            "errorDetails": details,
            "invalidMigrations": [
                {
                    "version": i.version,
                    "description": i.description,
                    "filepath": i.filepath,
                    "errorDetails": {"errorCode": i.error_code, "errorMessage": i.message},
                }
                for i in self.invalid
            ],
            "validationSuccessful": self.successful,
            "validateCount": self.validate_count,
            "warnings": self.warnings,
            "flywayVersion": TOOL_VERSION,
            "database": self.header.database,
            "operation": "validate",
        }
