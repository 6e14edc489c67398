"""Migration states as Flyway's ``MigrationState`` and one row of ``info``."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from flywayx.model.history import HistoryRow
from flywayx.model.migration import Migration
from flywayx.model.quick import quick_init
from flywayx.model.version import Version


class State(Enum):
    """Flyway's states; ``value`` is the display name shown by ``info`` and used by ignore patterns."""

    PENDING = "Pending"
    ABOVE_TARGET = "Above Target"
    BELOW_BASELINE = "Below Baseline"
    BASELINE_IGNORED = "Ignored (Baseline)"
    BASELINE = "Baseline"
    IGNORED = "Ignored"
    MISSING_SUCCESS = "Missing"
    MISSING_FAILED = "Failed (Missing)"
    SUCCESS = "Success"
    UNDONE = "Undone"
    AVAILABLE = "Available"
    FAILED = "Failed"
    OUT_OF_ORDER = "Out of Order"
    FUTURE_SUCCESS = "Future"
    FUTURE_FAILED = "Failed (Future)"
    OUTDATED = "Outdated"
    SUPERSEDED = "Superseded"
    DELETED = "Deleted"

    @property
    def failed(self) -> bool:
        return self in (State.FAILED, State.MISSING_FAILED, State.FUTURE_FAILED)

    @property
    def missing_or_future(self) -> bool:
        return self in (State.MISSING_SUCCESS, State.MISSING_FAILED, State.FUTURE_SUCCESS, State.FUTURE_FAILED)


@quick_init
@dataclass(frozen=True)
class MigrationInfo:
    """One line of ``info``: a local migration, an applied row, or both."""

    state: State
    resolved: Migration | None = None
    applied: HistoryRow | None = None

    @property
    def version(self) -> Version | None:
        if self.applied is not None:
            return self.applied.version
        return self.resolved.version if self.resolved is not None else None

    @property
    def description(self) -> str:
        if self.applied is not None:
            return self.applied.description
        return self.resolved.description if self.resolved is not None else ""

    @property
    def type(self) -> str:
        if self.applied is not None:
            return self.applied.type
        return self.resolved.type.value if self.resolved is not None else ""

    @property
    def script(self) -> str:
        if self.applied is not None:
            return self.applied.script
        return self.resolved.script if self.resolved is not None else ""

    @property
    def category(self) -> str:
        """Flyway's ``CommandResultFactory#getCategory``."""
        t = self.type.upper()
        if t in ("SCHEMA", "BASELINE", "DELETE"):
            return ""
        if self.version is None:
            return "Repeatable"
        if t.startswith("UNDO"):
            return "Undo"
        if t in ("SQL_BASELINE", "JDBC_BASELINE"):
            return "Baseline"
        return "Versioned"
