"""Results of the commands that write (migrate, repair, baseline, clean), with Flyway's JSON shapes
(flyway-semantics.md §5.9); those of info and validate, and ``Header``, are ``model/results.py``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flywayx.model.migration import Migration
from flywayx.model.results import TOOL_VERSION, Header, timestamp

if TYPE_CHECKING:  # the plan's model loads with migrate's planning, not with its result
    from flywayx.model.plan import OperatorSummary


@dataclass
class AppliedItem:
    migration: Migration
    execution_time: int
    release: str | None = None
    line: str | None = None


@dataclass(frozen=True)
class Recorded:
    """A migration recorded as applied without running: its change is in the database (``how``/``by``)."""

    migration: Migration
    how: str
    by: str
    release: str | None = None

    def to_json(self) -> dict[str, Any]:
        m = self.migration
        return {
            "version": m.version.text if m.version is not None else "",
            "description": m.description,
            "filepath": m.path,
            "release": self.release,
            "recordedAs": self.how,
            "satisfiedBy": self.by,
        }


@dataclass(frozen=True)
class Waiting:
    """A step of the plan ``migrate --phase expand`` leaves for ``--phase contract``, and why."""

    script: str
    version: str | None
    phase: str
    why: str

    def to_json(self) -> dict[str, str | None]:
        return {"script": self.script, "version": self.version, "phase": self.phase, "why": self.why}


@dataclass
class MigrateReport:
    header: Header
    initial_version: str | None
    target_version: str | None
    applied: list[AppliedItem]
    warnings: list[str]
    total_ms: int
    success: bool = True
    error: dict[str, Any] | None = None
    to_release: str | None = None
    phase: str | None = None
    backup: str | None = None  # the dump migrate --backup wrote, if any
    dry_run: bool = False
    actions: list[dict[str, Any]] = field(default_factory=list)  # --dry-run: what would run, in order
    recorded: list[Recorded] = field(default_factory=list)  # recorded as satisfied, not run (the contract)
    waiting: list[Waiting] = field(default_factory=list)  # --phase expand: steps left for --phase contract
    summary: OperatorSummary | None = None  # what the run would do, for the operator (plan/summary.py)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "initialSchemaVersion": self.initial_version,
            "targetSchemaVersion": self.target_version,
            "schemaName": self.header.schema_name,
            "migrations": [
                {
                    "category": "Versioned" if a.migration.version is not None else "Repeatable",
                    "version": a.migration.version.text if a.migration.version is not None else "",
                    "description": a.migration.description,
                    "type": a.migration.type.value,
                    "filepath": a.migration.path,
                    "executionTime": a.execution_time,
                }
                for a in self.applied
            ],
            "migrationsExecuted": len(self.applied),
            "success": self.success,
            "flywayVersion": TOOL_VERSION,
            "database": self.header.database,
            "databaseType": self.header.database_type,
            "warnings": self.warnings,
            "operation": "migrate",
            "timestamp": timestamp(),
            "exception": None,
            "licenseFailed": False,
            "totalMigrationTime": self.total_ms,
            "recorded": [r.to_json() for r in self.recorded],
        }
        if self.phase == "expand":
            out["waitingForContract"] = [w.to_json() for w in self.waiting]
        if self.backup is not None:
            out["backup"] = self.backup
        if self.summary is not None:
            out["summary"] = self.summary.to_dict()
        if self.error is not None:
            out["error"] = self.error
        return _dry(out, self.dry_run, self.actions)


def _dry(out: dict[str, Any], dry_run: bool, actions: list[dict[str, Any]]) -> dict[str, Any]:
    """A dry run's JSON: Flyway's shape plus ``dryRun`` and the ``actions`` that would run."""
    if dry_run:
        out["dryRun"] = True
        out["actions"] = actions
    return out


@dataclass
class RepairItem:
    version: str | None
    description: str
    filepath: str


@dataclass
class RepairReport:
    header: Header
    removed: list[RepairItem]
    deleted: list[RepairItem]
    aligned: list[RepairItem]
    dry_run: bool = False
    recorded: list[RepairItem] = field(default_factory=list)  # rows the release-lines contract was missing

    def actions(self) -> list[str]:
        out = []
        if self.removed:
            out.append("Removed failed migrations")
        if self.recorded:
            out.append("Recorded migrations already in the database")
        if self.deleted:
            out.append("Marked missing migrations as deleted")
        if self.aligned:
            out.append("Aligned applied migration checksums")
        return out

    def to_json(self) -> dict[str, Any]:
        def items(xs: list[RepairItem]) -> list[dict[str, Any]]:
            return [{"version": x.version or "", "description": x.description, "filepath": x.filepath} for x in xs]

        out = {
            "repairActions": self.actions(),
            "migrationsRemoved": items(self.removed),
            "migrationsDeleted": items(self.deleted),
            "migrationsAligned": items(self.aligned),
            "migrationsRecorded": items(self.recorded),
            "flywayVersion": TOOL_VERSION,
            "database": self.header.database,
            "warnings": [],
            "operation": "repair",
        }
        return _dry(out, self.dry_run, [])


@dataclass
class BaselineReport:
    header: Header
    baselined: bool
    version: str
    message: str
    dry_run: bool = False
    actions: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = {
            "successfullyBaselined": self.baselined,
            "baselineVersion": self.version,
            "flywayVersion": TOOL_VERSION,
            "database": self.header.database,
            "warnings": [],
            "operation": "baseline",
        }
        return _dry(out, self.dry_run, self.actions)


@dataclass
class CleanReport:
    header: Header
    cleaned: list[str]
    dropped: list[str]
    warnings: list[str]
    dry_run: bool = False
    actions: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = {
            "schemasCleaned": self.cleaned,
            "schemasDropped": self.dropped,
            "flywayVersion": TOOL_VERSION,
            "database": self.header.database,
            "warnings": self.warnings,
            "operation": "clean",
        }
        return _dry(out, self.dry_run, self.actions)
