"""Lint values: findings, severities, policies, the input a lint run takes, and note tags.

The analyser explains what it saw in ``Footprint.notes`` as ``"<tag>: <detail>"`` strings; the
tags below are the contract between the analyser (``flywayx.statements.analyze``) and the linter
(``flywayx.plan.lint``), which cannot import each other.

Release kinds (used by policies), for a release version with components c0.c1.c2...:
  * **maintenance** release: some component after the second is non-zero
    (4.5.3, 4.9.3.0, 4.17.0.1 are maintenance; 4.6.0, 4.10.0.0, 2.2 are not);
  * **minor-zero** release: every component after the first is zero (5.0, 5.0.0.0).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from flywayx.model.footprint import Footprint
from flywayx.model.migration import Statement
from flywayx.model.version import Version

# Note tags left by the analyser. Each note is "<tag>: <detail>".
DROP_TABLE = "drop-table"  # detail: table
DROP_COLUMN = "drop-column"  # detail: table.column
TRUNCATE = "truncate"  # detail: table
DROP_SCHEMA = "drop-schema"  # detail: schema
DROP_OBJECT = "drop-object"  # view/routine/trigger/event/index/key dropped; detail: object
RENAME = "rename"  # detail: "old -> new"
TYPE_CHANGE = "type-change"  # previous type unknown; detail: table.column new-type
NARROWING = "narrowing"  # detail: table.column old -> new
NOT_NULL = "not-null"  # NOT NULL without a default; detail: table.column
DROP_DEFAULT = "drop-default"  # detail: table.column
REWRITE = "rewrite"  # PostgreSQL rewrites the table under ACCESS EXCLUSIVE; detail: table
SCAN = "scan"  # PostgreSQL scans the table under a blocking lock; detail: table
INDEX_LOCK = "index-blocks-writes"  # PostgreSQL index build without CONCURRENTLY; detail: table
CREATE_TABLE = "create-table"  # detail: table (lets lint excuse work on a table created just before)
UNKNOWN = "unknown"  # detail: why the statement is not understood
PHASE_OVERRIDE = "phase-override"  # detail: the reason given in the directive
RECREATED = "recreated"  # a drop undone by a later create in the same migration; detail: object
CREATED_HERE = "created-here"  # a drop of an object created earlier in the same migration
TIGHTEN = "tighten"  # a constraint the previous release's writes may violate; detail: "T.N (kind)"
BEHAVIOUR = "behaviour"  # triggers disabled, row security or rules: what the old release sees or causes changes


def note(tag: str, detail: str) -> str:
    return f"{tag}: {detail}"


def note_tag(text: str) -> tuple[str, str]:
    tag, _, detail = text.partition(": ")
    return tag, detail


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return ("info", "warning", "error").index(self.value)


@dataclass(frozen=True)
class Finding:
    """One problem in one statement: which rule, how bad, what and where, and what to do."""

    rule: str
    severity: Severity
    message: str
    fix: str
    path: str
    line: int
    statement: str


@dataclass(frozen=True)
class LintPolicy:
    """How strict a lint run is.

    ``maintenance_expand_only``: migrations of a maintenance release may only expand (and data).
    ``contract_only_in_minor_zero``: contract statements only in minor-zero releases (X.0.0).
    ``fail_on``: findings at or above this severity fail the run.
    ``disabled``: rule names not reported. ``severity``: per-rule severity overrides.
    """

    maintenance_expand_only: bool = True
    contract_only_in_minor_zero: bool = False
    fail_on: Severity = Severity.ERROR
    disabled: frozenset[str] = frozenset()
    severity: tuple[tuple[str, Severity], ...] = ()

    def severity_of(self, rule: str, default: Severity) -> Severity:
        return dict(self.severity).get(rule, default)

    def fails(self, findings: Sequence[Finding]) -> bool:
        return any(f.severity.rank >= self.fail_on.rank for f in findings)


@dataclass(frozen=True)
class LintTarget:
    """One migration to lint: where it is, its statements, their footprints (same order).

    ``release`` is the release the migration belongs to; when None it is the migration version
    without its last component (4.6.0.2 -> 4.6.0), DESIGN.md's convention.
    """

    path: str
    version: Version | None
    statements: tuple[Statement, ...]
    footprints: tuple[Footprint, ...]
    release: Version | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def release_version(self) -> Version | None:
        if self.release is not None:
            return self.release
        pieces = self.version.text.split(".") if self.version is not None else []
        return Version.try_parse(".".join(pieces[:-1])) if len(pieces) > 1 else None


def is_maintenance(release: Version) -> bool:
    return any(p != 0 for p in release.parts[2:])


def is_minor_zero(release: Version) -> bool:
    return all(p == 0 for p in release.parts[1:])
