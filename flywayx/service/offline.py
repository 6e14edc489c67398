"""Commands that need no database: reading the release graph from files alone."""

from __future__ import annotations

from pathlib import Path

from flywayx.errors import ConfigError, StateError
from flywayx.model import Config
from flywayx.model.release import ReleaseGraph
from flywayx.sources.names import NamingConfig
from flywayx.sources.releases import find_releases_file, parse_releases, raise_problems
from flywayx.sources.rename import apply_renames, plan_renames


def offline_graph(config: Config) -> ReleaseGraph:
    """The graph as ``releases.toml`` declares it; only problems of the file itself stop it (the
    drawing needs no migrations, so it still helps while a migration fits no release)."""
    path = find_releases_file(list(config.locations), config.releases_file)
    if path is None:
        raise StateError("No releases.toml found", hint="create releases.toml at the root of the first location")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read {path}: {err}", file=str(path)) from err
    graph, problems = parse_releases(text, str(path))
    raise_problems(problems, str(path))
    return graph


def fresh_path(graph: ReleaseGraph, target: str) -> list[str]:
    """The releases a fresh install of ``target`` takes migrations from: its closure (no database
    to subtract). UsageError for an unknown release."""
    from flywayx.plan.releases import index_releases

    index = index_releases(graph)
    name = next((r.name for r in graph.releases if r.name == target or r.version.text == target), target)
    return sorted(index.closure(name), key=index.rank.__getitem__)


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
