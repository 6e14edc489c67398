"""Commands that need no database: reading the release graph from files alone."""

from __future__ import annotations

from pathlib import Path

from flywayx.errors import StateError
from flywayx.model import Config
from flywayx.model.release import ReleaseGraph
from flywayx.sources.names import NamingConfig
from flywayx.sources.releases import find_releases_file, load_releases, parse_releases
from flywayx.sources.rename import apply_renames, plan_renames
from flywayx.sources.scan import scan


def offline_graph(config: Config) -> ReleaseGraph:
    path = find_releases_file(list(config.locations), config.releases_file)
    if path is None:
        raise StateError("No releases.toml found", hint="create releases.toml at the root of the first location")
    return load_releases(path, scan(config, {}).migrations)


def rename_aliases(config: Config, paths: list[str], *, apply: bool) -> list[tuple[Path, Path]]:
    """Plan (and unless ``apply`` is False, perform) alias renames in ``paths`` or the locations."""
    targets = paths or [loc.removeprefix("filesystem:") for loc in config.locations]
    releases_path = find_releases_file(list(config.locations), config.releases_file)
    releases = []
    if releases_path is not None:
        graph, _ = parse_releases(releases_path.read_text(encoding="utf-8"), str(releases_path))
        releases = [r.version for r in graph.releases]
    plan = plan_renames(targets, releases, naming=NamingConfig.from_config(config))
    return apply_renames(plan) if apply else list(plan)
