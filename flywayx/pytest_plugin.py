"""pytest plugin: a ``flywayx_db`` fixture giving each test a freshly migrated throwaway database.

Registered through the ``pytest11`` entry point, so installing flywayx is enough. Options (each also
read from the environment):

  --flywayx-locations DIRS   (FLYWAYX_LOCATIONS, default ``sql``) migration locations, comma-separated
  --flywayx-url URL          (FLYWAYX_TEST_URL) migrate into this database instead of a temporary SQLite
                             file; it must be an empty database the tests may use
  --flywayx-to RELEASE       (FLYWAYX_TO) migrate to this release of ``releases.toml`` instead of latest

``flywayx_db`` is a ``MigratedDb``: ``url``, ``report`` (the ``MigrateReport``) and ``query(sql, params)``
(``?`` placeholders on every dialect). SQLite databases are deleted after the test; a server database
named by URL is left as migrated (clean it with ``flywayx clean`` if needed).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from flywayx.model.write_results import MigrateReport


@dataclass(frozen=True)
class MigratedDb:
    """A database migrated for one test."""

    url: str
    report: MigrateReport

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement and return its rows (an empty list for statements without rows)."""
        from flywayx import api
        from flywayx.db.connect import connect

        cfg = api.config(url=self.url, cwd=Path(os.sep))
        assert cfg.url is not None  # the URL was given
        db = connect(cfg.url, user=cfg.user, password=cfg.password)
        try:
            return [tuple(r) for r in db.query(sql, tuple(params))]
        finally:
            db.close()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("flywayx")
    group.addoption("--flywayx-locations", default=None, help="migration locations for flywayx_db (default sql)")
    group.addoption("--flywayx-url", default=None, help="database URL for flywayx_db (default: temporary SQLite)")
    group.addoption("--flywayx-to", default=None, help="release to migrate flywayx_db to (default: latest)")


def _setting(config: pytest.Config, option: str, env: str, default: str | None = None) -> str | None:
    value = config.getoption(option)
    return str(value) if value is not None else os.environ.get(env, default)


@pytest.fixture
def flywayx_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MigratedDb]:
    """A database with every migration applied (see the module docstring for the options)."""
    from flywayx import api

    locations = (_setting(request.config, "--flywayx-locations", "FLYWAYX_LOCATIONS", "sql") or "sql").split(",")
    url = _setting(request.config, "--flywayx-url", "FLYWAYX_TEST_URL") or f"sqlite:///{tmp_path / 'flywayx.db'}"
    root = Path(str(request.config.rootpath))
    resolved = [loc if Path(loc).is_absolute() or ":" in loc else str(root / loc) for loc in locations]
    report = api.migrate(
        url=url, locations=resolved, to=_setting(request.config, "--flywayx-to", "FLYWAYX_TO"), cwd=root
    )
    yield MigratedDb(url, report)
