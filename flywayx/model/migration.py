"""Resolved migrations, parsed file names and statements: plain frozen values."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from flywayx.model.quick import quick_init
from flywayx.model.version import Version


class Kind(Enum):
    """What a file is, by its prefix (flyway-semantics.md §1.1)."""

    VERSIONED = "versioned"
    REPEATABLE = "repeatable"
    BASELINE = "baseline"
    CALLBACK = "callback"


class MigrationType(str, Enum):
    """The ``type`` column of ``flyway_schema_history``."""

    SQL = "SQL"
    SQL_BASELINE = "SQL_BASELINE"
    JDBC = "JDBC"
    JDBC_BASELINE = "JDBC_BASELINE"
    SCRIPT = "SCRIPT"  # flywayx records .py migrations as Flyway script migrations
    BASELINE = "BASELINE"
    SCHEMA = "SCHEMA"
    DELETE = "DELETE"
    CUSTOM = "CUSTOM"
    UNDO_SQL = "UNDO_SQL"
    UNDO_JDBC = "UNDO_JDBC"
    UNDO_SCRIPT = "UNDO_SCRIPT"

    @property
    def is_synthetic(self) -> bool:
        return self in (MigrationType.SCHEMA, MigrationType.BASELINE, MigrationType.DELETE)

    @property
    def is_baseline(self) -> bool:
        return self in (MigrationType.BASELINE, MigrationType.SQL_BASELINE, MigrationType.JDBC_BASELINE)

    @property
    def is_undo(self) -> bool:
        return self in (MigrationType.UNDO_SQL, MigrationType.UNDO_JDBC, MigrationType.UNDO_SCRIPT)


@quick_init
@dataclass(frozen=True)
class ResourceName:
    """A file name parsed as ``ResourceNameParser`` does. ``error`` is set when invalid."""

    filename: str
    prefix: str
    kind: Kind | None
    raw_version: str
    version: Version | None
    description: str
    suffix: str
    separator: str = "__"
    error: str | None = None
    raw_description: str | None = None  # the description as written (``_`` kept); None: unknown

    @property
    def valid(self) -> bool:
        return self.error is None

    @property
    def rebuilt_filename(self) -> str:
        """Name used for ``${flyway:filename}``: prefix+version[+sep+raw description]+suffix."""
        raw_desc = self.raw_description
        if raw_desc is None:  # built by hand without the raw text: best effort
            raw_desc = self.description.replace(" ", "_")
        if not self.description:
            return f"{self.prefix}{self.raw_version}{self.suffix}"
        return f"{self.prefix}{self.raw_version}{self.separator}{raw_desc}{self.suffix}"


@dataclass(frozen=True)
class Statement:
    """One statement as it will be sent: 1-based ``line`` of its first token, text without delimiter."""

    line: int
    sql: str
    delimiter: str = ";"
    transactional: bool = True
    batchable: bool = False


@quick_init
@dataclass(frozen=True)
class Migration:
    """A migration found in a location (versioned, repeatable, baseline or callback).

    ``script`` is the path relative to its location with ``/`` separators (the history column);
    ``path`` the absolute file path. ``checksum`` is what Flyway stores; for repeatables
    ``raw_checksum`` is the checksum before placeholder replacement (also accepted as a match).
    """

    kind: Kind
    version: Version | None
    description: str
    script: str
    path: str
    type: MigrationType
    checksum: int | None
    raw_checksum: int | None = None
    location: str = ""
    name: ResourceName | None = None
    encoding: str = "UTF-8"
    execute_in_transaction: bool | None = None
    placeholder_replacement: bool | None = None
    should_execute: bool = True
    alias_of: str | None = None  # original file name when accepted through the V_<ver>_<seq> alias
    attributes: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def is_python(self) -> bool:
        return self.path.endswith(".py")

    @property
    def key(self) -> str:
        """A stable identity for messages: version for versioned, description otherwise."""
        return self.version.text if self.version is not None else self.description

    def checksum_matches(self, applied: int | None) -> bool:
        return applied == self.checksum or (self.raw_checksum is not None and applied == self.raw_checksum)
