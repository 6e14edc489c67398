"""Commands that need no database: reading the release graph from files alone."""

from __future__ import annotations

from flywayx.errors import StateError
from flywayx.model import Config
from flywayx.model.release import ReleaseGraph
from flywayx.sources.releases import find_releases_file, load_releases
from flywayx.sources.scan import scan


def offline_graph(config: Config) -> ReleaseGraph:
    path = find_releases_file(list(config.locations), config.releases_file)
    if path is None:
        raise StateError("No releases.toml found", hint="create releases.toml at the root of the first location")
    return load_releases(path, scan(config, {}).migrations)
