"""Shared fixtures: scratch databases on real servers, the ACS corpus.

Servers are chosen by environment variables (documented in README):
  FLYWAYX_TEST_MARIADB_URL   default mysql://root@127.0.0.1:3306/
  FLYWAYX_TEST_POSTGRES_URL  default postgresql://postgres@127.0.0.1:5432/postgres
  FLYWAYX_REQUIRE_DBS=1      a missing server fails the test instead of skipping it (set by CI)
  FLYWAYX_ACS_CORPUS         default ../shared/corpus/acs beside the project
The database fixtures (``database``, ``mariadb``, ``postgres``) hand out the one database-under-test type,
``tests.databases.ScratchDb``: a uniquely named database, dropped afterwards, with its dialect's capabilities.
Markers (db, mariadb, postgres, cluster, slow) are added from what each test uses: tests/markers.py.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests import markers
from tests.databases import CAPABILITIES, DIALECTS, FAMILY, INSTALLED, REQUIRE, ScratchDb, scratch

ROOT = Path(__file__).resolve().parent.parent
ACS_CORPUS = Path(os.environ.get("FLYWAYX_ACS_CORPUS", ROOT.parent / "shared" / "corpus" / "acs"))

# Property tests check answers, not speed (bench/ measures speed): on a loaded machine one example can
# take longer than hypothesis's 200 ms deadline, and its data generation than its health check allows.
settings.register_profile("flywayx", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("flywayx")


def pytest_configure(config: pytest.Config) -> None:
    """The analysis cache of the whole test session (its subprocesses too) is a temporary directory:
    tests never read or fill the user's ~/.cache/flywayx, and they run with the cache on, as users do."""
    if "FLYWAYX_CACHE_DIR" not in os.environ:
        import tempfile

        os.environ["FLYWAYX_CACHE_DIR"] = _SESSION_CACHE[0] = tempfile.mkdtemp(prefix="flywayx-test-cache-")
        # tests that run flywayx as a user would drop every FLYWAY* variable: its default place too
        os.environ["XDG_CACHE_HOME"] = _SESSION_CACHE[0]


_SESSION_CACHE = [""]  # the cache directory this process made (removed at the end)


@pytest.fixture(autouse=True)
def _answers_remembered_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process runs remember their answers even over files written a moment ago (a user's files are
    remembered 3 s after their last change, ``service/answers.py``): every test that runs ``plan``
    twice then also checks that the second answer, from the memo, is the one a fresh run gives."""
    from flywayx.service import answers

    monkeypatch.setattr(answers, "SETTLED_NS", 0)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _SESSION_CACHE[0]:
        import shutil

        shutil.rmtree(_SESSION_CACHE[0], ignore_errors=True)


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


def _scratch(request: pytest.FixtureRequest, dialect: str, tmp_path: Path) -> Iterator[ScratchDb]:
    lacking = CAPABILITIES[FAMILY[dialect]].lacks(
        tuple(name for mark in request.node.iter_markers("requires") for name in mark.args)
    )
    if lacking:
        msg = f"{dialect} lacks {', '.join(lacking)} (tests/databases.py CAPABILITIES)"
        if REQUIRE and set(lacking) & INSTALLED:  # a program CI installs is missing: as a missing server, fail
            pytest.fail(msg + "; install the client programs (FLYWAYX_REQUIRE_DBS=1 turns this skip into a failure)")
        pytest.skip(msg)
    with scratch(dialect, tmp_path) as db:
        yield db


@pytest.fixture(params=DIALECTS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ScratchDb]:
    """A fresh database of each dialect in turn (sqlite, mariadb, postgres); dropped after the test.
    ``@requires(capability)`` skips the dialects without it; ``parametrize("database", [...], indirect=True)``
    picks dialects by name."""
    yield from _scratch(request, request.param, tmp_path)


@pytest.fixture
def mariadb(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ScratchDb]:
    """A fresh MariaDB/MySQL database (schema); dropped after the test."""
    yield from _scratch(request, "mariadb", tmp_path)


@pytest.fixture
def postgres(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ScratchDb]:
    """A fresh PostgreSQL database; dropped after the test."""
    yield from _scratch(request, "postgres", tmp_path)


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
