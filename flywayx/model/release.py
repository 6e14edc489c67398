"""Releases, release lines and the release graph declared in ``releases.toml``.

A release is a shipped product version (``4.5.3``). Its *line* is the first ``depth`` parts of its
version text (``4.5`` at depth 2). Its parents are the previous declared release of its line, its
``from`` branch point and its ``merges``; ``closure(R)`` (computed in ``flywayx.plan.releases``) is R's
own migrations plus the closure of its parents.

A migration belongs to the declared release whose version is its longest *proper* prefix
(``4.6.0.2`` -> ``4.6.0``). A migration of a line that sorts after the line's last declared release
belongs to that line's *unreleased head*, a synthetic release named ``<line>.next`` (``4.6.next``)
whose only parent is that last release. Anything else belongs nowhere, which ``releases.toml``
validation reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from flywayx.model.version import Version

HEAD_SUFFIX = ".next"
_SPLIT = re.compile(r"\.(?=[0-9])")


def version_parts(version: Version) -> tuple[int, ...]:
    """The parts of a version as written, trailing zeros kept (``4.6.0`` -> ``(4, 6, 0)``)."""
    text = version.text
    if text.replace(".", "").isascii() and text.replace(".", "").isdigit() and ".." not in text:
        return tuple(map(int, text.split(".")))  # the common case, without the regex
    return tuple(int(p) for p in _SPLIT.split(text))


def line_key(version: Version, depth: int) -> str:
    """The release line of a version: its first ``depth`` parts as written (``4.5.3`` -> ``4.5``)."""
    return ".".join(str(p) for p in version_parts(version)[:depth])


def head_name(line: str) -> str:
    """Name of the synthetic unreleased head of a line (``4.6`` -> ``4.6.next``)."""
    return line + HEAD_SUFFIX


@dataclass(frozen=True)
class ReleaseProblem:
    """One problem found in ``releases.toml`` or in how migrations fit it; ``line`` is 1-based."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "message": self.message}


@dataclass(frozen=True)
class Release:
    """A node of the release graph. ``parents`` lists previous-in-line, then ``from``, then merges.

    ``declared`` is False for a line's synthetic unreleased head; ``source_line`` is the line of its
    table header in ``releases.toml`` (None when not read from a file).
    """

    name: str
    version: Version
    line: str
    parents: tuple[str, ...] = ()
    branch_from: str | None = None
    merges: tuple[str, ...] = ()
    declared: bool = True
    source_line: int | None = None

    @property
    def order_key(self) -> tuple[Version, int]:
        """Tie-break key of the canonical order: by version, a head after its line's last release."""
        return (self.version, 0 if self.declared else 1)


@dataclass(frozen=True)
class Equivalence:
    """``[equivalent]`` entry: ``version`` is the same change as ``other`` on another line."""

    version: Version
    other: Version
    source_line: int | None = None


@dataclass(frozen=True)
class Resolution:
    """``[commutes]`` entry: a release manager declares that ``version`` may run after ``other``."""

    version: Version
    other: Version
    source_line: int | None = None


@dataclass(frozen=True)
class ReleaseMatch:
    """A release whose closure covers an applied set; ``missing`` lists closure versions not applied."""

    release: str
    missing: tuple[str, ...] = ()

    @property
    def exact(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class ReleaseGraph:
    """The declared releases (sorted by version), the line depth, equivalences and resolutions."""

    releases: tuple[Release, ...]
    depth: int = 2
    equivalents: tuple[Equivalence, ...] = ()
    resolutions: tuple[Resolution, ...] = ()
    source: str | None = None
    ordering: tuple[tuple[str, str], ...] = ()  # [lines.ordering]: line -> "strict" | "interleave"
    # [lines] column_order: "exact" (two changes appending columns to one table do not commute where
    # the database cannot place a column) or "any" (the project does not care about column order)
    column_order: str = "exact"
    # [repeatables] release: the release whose schema the repeatable migrations are written for; a
    # plan whose target does not include it defers them (plan/interleave.py)
    repeatables_with: str | None = None
    repeatables_note: str = ""  # [repeatables] note: said with the deferral (what stopping before it means)
    _by_name: dict[str, Release] = field(init=False, repr=False, compare=False, default_factory=dict)
    _owners: dict[tuple[str, bool], str | None] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._by_name.update((r.name, r) for r in self.releases)

    def get(self, name: str) -> Release | None:
        return self._by_name.get(name)

    @cached_property
    def _by_parts(self) -> dict[tuple[int, ...], str]:
        return {version_parts(r.version): r.name for r in self.releases}

    @cached_property
    def _last_of_line(self) -> dict[str, Release]:
        last: dict[str, Release] = {}
        for r in self.releases:
            if r.line not in last or last[r.line].version < r.version:
                last[r.line] = r
        return last

    @property
    def lines(self) -> tuple[str, ...]:
        """Line keys, in the order of each line's first release."""
        return tuple(dict.fromkeys(r.line for r in sorted(self.releases, key=lambda r: r.version)))

    def last_of_line(self, line: str) -> Release | None:
        return self._last_of_line.get(line)

    def owner(self, version: Version, *, inclusive: bool = False) -> str | None:
        """The release a migration version belongs to, or None if it belongs nowhere.

        Longest proper prefix among declared releases (``inclusive`` also accepts an equal version,
        for baseline migrations); otherwise the line's unreleased head when the version sorts after
        the line's last declared release.
        """
        key = (version.text, inclusive)  # by text: 4.6.1 and 4.6.1.0 are equal but owned differently
        if key not in self._owners:
            self._owners[key] = self._owner(version, inclusive)
        return self._owners[key]

    def _owner(self, version: Version, inclusive: bool) -> str | None:
        parts = version_parts(version)
        start = len(parts) if inclusive else len(parts) - 1
        for n in range(start, 0, -1):
            name = self._by_parts.get(parts[:n])
            if name is not None:
                return name
        last = self._last_of_line.get(line_key(version, self.depth))
        if last is not None and version > last.version:
            return head_name(last.line)
        return None
