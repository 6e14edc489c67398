"""Typed errors. Every failure a user can meet is one of these.

Each error carries a one-line ``message``, an optional ``hint`` (what to do about it), a
Flyway-style ``error_code`` for JSON output and an ``exit_code`` (1 for errors, 2 for usage).
The CLI renders them in one place; nothing else prints them. This module imports nothing from
flywayx so every layer may raise these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class FlywayxError(Exception):
    """Base of every error flywayx reports to a user."""

    error_code = "FAULT"
    exit_code = 1

    def __init__(self, message: str, hint: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details: dict[str, Any] = details

    def __str__(self) -> str:
        return self.message

    def warn(self, text: str) -> None:
        """Add a warning shown after the message and hint (``warning: …``): something that went wrong
        while handling this error, e.g. a failure row that could not be written."""
        self.details.setdefault("warnings", []).append(text)


class UsageError(FlywayxError):
    """The command line or configuration is wrong (exit code 2)."""

    error_code = "CONFIGURATION"
    exit_code = 2


class ConfigError(FlywayxError):
    """A configuration file, key or value is invalid."""

    error_code = "CONFIGURATION"


class MigrationNameError(FlywayxError):
    """A migration file name does not follow the naming rules."""

    error_code = "INVALID_MIGRATION_NAME"


class VersionError(FlywayxError):
    """A version string is not a valid Flyway version."""

    error_code = "INVALID_VERSION"


class DuplicateMigrationError(FlywayxError):
    error_code = "DUPLICATE_MIGRATIONS"


class ChecksumError(FlywayxError):
    """A file could not be read or decoded to compute its checksum."""

    error_code = "CHECKSUM_ERROR"


class PlaceholderError(FlywayxError):
    error_code = "PLACEHOLDER_ERROR"


class ParseError(FlywayxError):
    """SQL could not be split into statements (unterminated string, block, delimiter)."""

    error_code = "PARSE_ERROR"


class ConnectionFailed(FlywayxError):
    error_code = "DB_CONNECTION"


class ValidationError(FlywayxError):
    """Validation found problems; ``details['errors']`` lists each one."""

    error_code = "VALIDATE_ERROR"


class MigrationFailed(FlywayxError):
    """A statement failed while applying a migration."""

    error_code = "FAILED_MIGRATION"


class CallbackFailed(FlywayxError):
    """A statement of a SQL callback script (``beforeMigrate.sql``, ``afterEachMigrate__x.sql`` …)
    failed. ``details``: ``event``, ``callback`` (the script); the server's error is the cause."""

    error_code = "ERROR"


class StateError(FlywayxError):
    """The database is in a state the command cannot proceed from (failed rows, non-empty schema...)."""

    error_code = "ERROR"


class LockTimeout(FlywayxError):
    error_code = "LOCK_TIMEOUT"


class ReleaseConfigError(FlywayxError):
    """``releases.toml`` is invalid; ``details['problems']`` lists every problem found."""

    error_code = "RELEASES_INVALID"


@dataclass(frozen=True)
class Conflict:
    """Two changes that touch the same objects and cannot be reordered."""

    pending: str
    applied: str
    objects: tuple[str, ...] = field(default_factory=tuple)


class PlanError(FlywayxError):
    """No safe upgrade path exists; ``details`` may carry ``conflicts`` and ``reachable``."""

    error_code = "PLAN_IMPOSSIBLE"


class ImportProblem(FlywayxError):
    error_code = "IMPORT_ERROR"


class ToolMissing(FlywayxError):
    """An external client (mariadb-dump, pg_dump, git...) is not installed."""

    error_code = "TOOL_MISSING"


class Interrupted(FlywayxError):
    """SIGINT (Ctrl-C) or SIGTERM stopped the command; exit code 128 + the signal number."""

    error_code = "INTERRUPTED"

    def __init__(self, message: str, hint: str | None = None, *, signum: int = 2, **details: Any) -> None:
        super().__init__(message, hint, **details)
        self.exit_code = 128 + signum
