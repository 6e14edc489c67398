"""Where ``releases.toml`` is: a path test, kept apart from its parser (``sources/releases.py``) so that a
command on a project without one (plain Flyway) loads neither the parser nor the release model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from flywayx.errors import ConfigError

FILE_NAME = "releases.toml"


def find_releases_file(locations: Sequence[str], explicit: str | None = None) -> Path | None:
    """``--releases FILE`` if given (must exist), else ``releases.toml`` at the root of the first
    filesystem location, else None (plain Flyway behaviour)."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(
                f"releases file not found: {explicit}", hint="check --releases / releases=", file=explicit
            )
        return path
    if not locations:
        return None
    first = locations[0]
    if first.startswith("classpath:"):
        return None
    candidate = Path(first.removeprefix("filesystem:")) / FILE_NAME
    return candidate if candidate.is_file() else None


__all__ = ["FILE_NAME", "find_releases_file"]
