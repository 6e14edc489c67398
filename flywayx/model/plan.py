"""Plans as values: what will run, in which order, and why.

A ``Plan`` is produced by the planner (``flywayx.plan.interleave``) or by plain Flyway ordering, and
is what ``info``, ``plan``, ``migrate --dry-run`` and ``migrate`` show or run. Plans are
JSON-renderable through ``to_dict()`` with a stable key order.

The planner's inputs are also defined here: ``Change`` (a resolved migration with its content id
and footprint), ``LineRecord`` (a row of flywayx's per-line history) and ``Ordering`` (the per-line
ordering policy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flywayx.model.footprint import UNKNOWN_OBJECT, Footprint, Phase
from flywayx.model.migration import Kind, Migration
from flywayx.model.version import Version

UNKNOWN_FOOTPRINT = Footprint(Phase.UNKNOWN, writes=frozenset({UNKNOWN_OBJECT}))


class Ordering(StrEnum):
    """Per-line ordering policy for changes that arrive after later changes were applied.

    ``strict``: never apply a change of this line out of canonical order (the plan fails instead).
    ``interleave``: apply it late when it commutes with every later applied change.
    """

    STRICT = "strict"
    INTERLEAVE = "interleave"


@dataclass(frozen=True)
class Change:
    """A resolved migration with what the planner needs to compare it with others.

    ``content_id`` identifies the change by content (same id = same change wherever it sits; None
    when unknown). The footprint defaults to unknown, which conflicts with everything; it may be
    given as a function that computes it on first use (``service/analysis.py`` computes footprints
    in the background, and a plain fresh install never asks for most of them before they are ready).
    """

    migration: Migration
    content_id: str | None = None
    footprint_source: Footprint | Callable[[], Footprint] = UNKNOWN_FOOTPRINT

    @property
    def footprint(self) -> Footprint:
        source = self.footprint_source
        return source if isinstance(source, Footprint) else source()

    @property
    def version(self) -> Version | None:
        return self.migration.version

    @property
    def is_baseline(self) -> bool:
        return self.migration.kind is Kind.BASELINE


@dataclass(frozen=True)
class LineRecord:
    """What flywayx's per-line history knows about an applied version: its content id and release."""

    version: Version
    content_id: str | None = None
    release: str | None = None


@dataclass(frozen=True)
class PlanStep:
    """One migration to run. ``reason`` says why it is in the plan, in words a user reads.

    ``out_of_order`` is True when it runs after a change that the canonical order puts after it
    (the planner has checked that the two commute). ``phase`` comes from the change's footprint,
    computed when first asked for.
    """

    change: Change
    release: str | None
    line: str | None
    reason: str
    out_of_order: bool = False
    runs_after: tuple[Migration, ...] = ()  # a late step: the applied changes after it on the same tables

    @property
    def migration(self) -> Migration:
        return self.change.migration

    @property
    def phase(self) -> Phase:
        return self.change.footprint.phase

    def to_dict(self) -> dict[str, Any]:
        m = self.migration
        return {
            "version": m.version.text if m.version is not None else None,
            "description": m.description,
            "script": m.script,
            "type": m.type.value,
            "release": self.release,
            "line": self.line,
            "phase": self.phase.value,
            "reason": self.reason,
            "out_of_order": self.out_of_order,
        }


@dataclass(frozen=True)
class Skipped:
    """A change of the target's closure that will not run, and why (equivalent already applied...)."""

    key: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"migration": self.key, "reason": self.reason}


@dataclass(frozen=True)
class Plan:
    """Ordered steps towards ``target`` (None: everything known) from ``from_releases``.

    A plan in plain Flyway order (no releases.toml) has no releases; ``from_version`` is then the
    schema version it starts from (None: empty)."""

    steps: tuple[PlanStep, ...]
    target: str | None
    from_releases: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    from_version: str | None = None

    @property
    def empty(self) -> bool:
        return not self.steps

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "from_releases": list(self.from_releases),
            "from_version": self.from_version,
            "steps": [s.to_dict() for s in self.steps],
            "skipped": [s.to_dict() for s in self.skipped],
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class OperatorSummary:
    """What an operator asks before an upgrade (``flywayx.plan.summary.summarize`` computes it):
    steps and repeatables, per release, online and needing downtime, admitted by a declaration in
    releases.toml rather than proven from the SQL; ``backup`` says what migrate takes (None: none)."""

    origin: str
    target: str
    steps: int
    repeatables: int
    deferred: int
    per_release: tuple[tuple[str, int], ...]
    online: int  # expand steps: the old version keeps serving
    offline: int  # every other versioned step: contract, data, unknown
    phases: tuple[tuple[str, int], ...]  # phase word -> versioned steps (expand, data, contract, unknown)
    declared: tuple[str, ...]  # versions (or scripts) of the steps admitted by a declaration
    backup: str | None
    deferred_why: str = ""  # why the deferred repeatables wait ([repeatables] in releases.toml)

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.origin,
            "to": self.target,
            "steps": self.steps,
            "repeatables": self.repeatables,
            "deferredRepeatables": self.deferred,
            "deferredWhy": self.deferred_why,
            "stepsPerRelease": dict(self.per_release),
            "online": self.online,
            "needsDowntime": self.offline,
            "phases": dict(self.phases),
            "declaredNotProven": list(self.declared),
            "backup": self.backup,
        }
