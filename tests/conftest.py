"""Shared fixtures: scratch databases on real servers, the ACS corpus.

Servers are chosen by environment variables (documented in README):
  FLYWAYX_TEST_MARIADB_URL   default mysql://root@127.0.0.1:3306/
  FLYWAYX_TEST_POSTGRES_URL  default postgresql://postgres@127.0.0.1:5432/postgres
  FLYWAYX_REQUIRE_DBS=1      a missing server fails the test instead of skipping it (set by CI)
  FLYWAYX_ACS_CORPUS         default ../shared/corpus/acs beside the project
Each scratch fixture creates a uniquely named database and drops it afterwards.
Markers (db, mariadb, postgres, cluster, slow) are added from what each test uses: tests/markers.py.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests import markers

ROOT = Path(__file__).resolve().parent.parent
MARIADB_URL = os.environ.get("FLYWAYX_TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306/")
POSTGRES_URL = os.environ.get("FLYWAYX_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE = os.environ.get("FLYWAYX_REQUIRE_DBS") == "1"
ACS_CORPUS = Path(os.environ.get("FLYWAYX_ACS_CORPUS", ROOT.parent / "shared" / "corpus" / "acs"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        markers.mark(item)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    markers.CURRENT[:] = [item]
    try:
        yield
    finally:
        markers.CURRENT.clear()


def _unavailable(what: str, err: Exception) -> None:
    msg = f"{what} not reachable ({type(err).__name__}: {err}); set the URL variable or start the server"
    if REQUIRE:
        pytest.fail(msg)
    pytest.skip(msg)


@dataclass(frozen=True)
class ScratchDb:
    """A fresh empty database. ``url`` is an SQLAlchemy-style URL flywayx accepts."""

    url: str
    name: str
    host: str
    port: int
    user: str
    password: str

    def connect(self, database: str | None = None) -> object:
        raise NotImplementedError


@dataclass(frozen=True)
class MariaScratch(ScratchDb):
    def connect(self, database: str | None = None) -> object:
        import pymysql

        return pymysql.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                               database=database or self.name, autocommit=True)


@dataclass(frozen=True)
class PgScratch(ScratchDb):
    def connect(self, database: str | None = None) -> object:
        import psycopg

        return psycopg.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                               dbname=database or self.name, autocommit=True)


def _parts(url: str, default_port: int) -> tuple[str, int, str, str]:
    u = urlsplit(url)
    return u.hostname or "127.0.0.1", u.port or default_port, u.username or "root", u.password or ""


@pytest.fixture
def mariadb() -> Iterator[MariaScratch]:
    """A fresh MariaDB/MySQL database (schema); dropped after the test."""
    import pymysql

    markers.require_marker("mariadb")
    host, port, user, pw = _parts(MARIADB_URL, 3306)
    try:
        admin = pymysql.connect(host=host, port=port, user=user, password=pw, autocommit=True)
    except Exception as err:
        _unavailable("MariaDB", err)
    name = "fx_" + uuid.uuid4().hex[:10]
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}`")
    auth = f"{user}:{pw}@" if pw else f"{user}@"
    try:
        yield MariaScratch(f"mysql+pymysql://{auth}{host}:{port}/{name}", name, host, port, user, pw)
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


@pytest.fixture
def postgres() -> Iterator[PgScratch]:
    """A fresh PostgreSQL database; dropped after the test."""
    import psycopg

    markers.require_marker("postgres")
    host, port, user, pw = _parts(POSTGRES_URL, 5432)
    user = user if user != "root" else "postgres"
    dbname = urlsplit(POSTGRES_URL).path.lstrip("/") or "postgres"
    try:
        admin = psycopg.connect(host=host, port=port, user=user, password=pw, dbname=dbname, autocommit=True)
    except Exception as err:
        _unavailable("PostgreSQL", err)
    name = "fx_" + uuid.uuid4().hex[:10]
    admin.execute(f'CREATE DATABASE "{name}"')
    auth = f"{user}:{pw}@" if pw else f"{user}@"
    try:
        yield PgScratch(f"postgresql://{auth}{host}:{port}/{name}", name, host, port, user, pw)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def corpus_or_skip() -> Path:
    """The real CloudStack SQL corpus; required in CI, skipped (with the reason) elsewhere."""
    if not (ACS_CORPUS / "MANIFEST.txt").exists():
        msg = f"ACS corpus not found at {ACS_CORPUS} (set FLYWAYX_ACS_CORPUS)"
        if REQUIRE:
            pytest.fail(msg)
        pytest.skip(msg)
    return ACS_CORPUS


@pytest.fixture
def acs_corpus() -> Path:
    """The real CloudStack SQL corpus (``corpus_or_skip``)."""
    return corpus_or_skip()


@dataclass
class CliResult:
    """What one in-process CLI run produced: exit code, stdout, stderr."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli_run(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``flywayx ARGS`` in-process exactly as the console script does; capture its output."""
    from flywayx.cli.app import run

    def call(*args: str) -> CliResult:
        capsys.readouterr()
        code = run(list(args), prog_name="flywayx")
        got = capsys.readouterr()
        return CliResult(code, got.out, got.err)

    return call


@pytest.fixture
def flywayx(cli_run: Callable[..., CliResult]) -> Callable[..., CliResult]:
    """``cli_run`` under the name most scenario tests use: ``flywayx("--url", url, "migrate")``."""
    return cli_run
