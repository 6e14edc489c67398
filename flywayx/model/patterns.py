"""``ignoreMigrationPatterns`` as Flyway's ``ValidatePattern`` (flyway-semantics.md §5.4).

A pattern is ``<type>:<state>``: type ``*``, ``versioned`` or ``repeatable``; state ``*``,
``missing``, ``pending``, ``ignored`` or ``future``; both trimmed and case-insensitive. A pattern
matches a migration when the state word equals the state's *display name* ignoring case (so
``*:missing`` does not cover "Failed (Missing)") or is ``*``, and the type fits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flywayx.errors import ConfigError

PATTERNS_URL = "https://rd.gt/37m4hXD"
VALID_TYPES = ("*", "repeatable", "versioned")
VALID_STATES = ("*", "missing", "pending", "ignored", "future")


def _listing(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(values) + "]"  # Java's List.toString


@dataclass(frozen=True)
class IgnorePattern:
    """One parsed pattern; ``type`` and ``state`` are lower-case."""

    type: str
    state: str

    @classmethod
    def parse(cls, pattern: str) -> IgnorePattern:
        """Parse one pattern; raise ConfigError with Flyway's message when invalid."""
        parts = pattern.split(":")
        if len(parts) != 2:
            raise ConfigError(
                f"Invalid pattern '{pattern}'. Pattern must be of the form "
                f"<migration_type>:<migration_state> See {PATTERNS_URL} for full details",
                hint="e.g. -ignoreMigrationPatterns='*:missing,versioned:future'",
            )
        kind, state = parts[0].strip().lower(), parts[1].strip().lower()
        if kind not in VALID_TYPES:
            raise ConfigError(
                f"Invalid migration type '{parts[0]}'. Valid types are: {_listing(VALID_TYPES)}",
                hint="use *, versioned or repeatable",
            )
        if state not in VALID_STATES:
            raise ConfigError(
                f"Invalid migration state '{parts[1]}'. Valid states are: {_listing(VALID_STATES)}",
                hint="use *, missing, pending, ignored or future",
            )
        return cls(kind, state)

    def matches(self, *, versioned: bool, state: str) -> bool:
        """Whether a migration of this kind in ``state`` (its display name, e.g. "Missing") matches."""
        if self.state != "*" and state.lower() != self.state:
            return False
        return self.type == "*" or self.type == ("versioned" if versioned else "repeatable")

    def __str__(self) -> str:
        return f"{self.type}:{self.state}"


def parse_patterns(value: str | Iterable[str]) -> tuple[IgnorePattern, ...]:
    """Parse the comma-separated setting (or its items, e.g. from TOML or a loader).

    Like Java's ``String.split``, trailing empty items are dropped (``"*:missing,"`` is fine);
    a value of exactly "" (or only empty items) means no patterns.
    """
    items = value.split(",") if isinstance(value, str) else list(value)
    while items and items[-1] == "":
        items.pop()
    return tuple(IgnorePattern.parse(item) for item in items)


def any_matches(patterns: Iterable[IgnorePattern], *, versioned: bool, state: str) -> bool:
    return any(p.matches(versioned=versioned, state=state) for p in patterns)
