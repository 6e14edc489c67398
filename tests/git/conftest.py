"""Real git repositories built by the tests, and the CLI run in-process.

``Repo`` drives the ``git`` client with a fixed identity and a committer clock that ticks one
minute per git command (``tick=0``: every commit and tag in the same second, as a release script
or CI makes them -- nothing may depend on the order of those times).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult


class Repo:
    """A scratch repository whose migrations live in ``sql/``."""

    def __init__(self, path: Path, tick: int = 60) -> None:
        self.path = path
        self.clock = 1_700_000_000
        self.tick = tick
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        (path / "sql").mkdir()

    @property
    def sql(self) -> Path:
        return self.path / "sql"

    def git(self, *args: str) -> str:
        self.clock += self.tick
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "Dev",
            "GIT_AUTHOR_EMAIL": "dev@example.org",
            "GIT_COMMITTER_NAME": "Dev",
            "GIT_COMMITTER_EMAIL": "dev@example.org",
            "GIT_AUTHOR_DATE": f"@{self.clock} +0000",
            "GIT_COMMITTER_DATE": f"@{self.clock} +0000",
        }
        done = subprocess.run(["git", "-C", str(self.path), *args], env=env, capture_output=True, text=True, check=True)
        return done.stdout.strip()

    def add(self, name: str, sql: str, message: str | None = None) -> str:
        """Write sql/<name> and commit it; return the commit."""
        (self.sql / name).write_text(sql + "\n", encoding="utf-8")
        self.git("add", f"sql/{name}")
        self.git("commit", "-q", "-m", message or f"add {name}")
        return self.git("rev-parse", "HEAD")

    def release(self, tag: str) -> None:
        self.git("tag", "-a", tag, "-m", f"release {tag}")

    def branch(self, name: str, start: str) -> None:
        self.git("checkout", "-q", "-b", name, start)

    def checkout(self, name: str) -> None:
        self.git("checkout", "-q", name)

    def merge(self, name: str) -> None:
        self.git("merge", "-q", "--no-ff", "--no-edit", name)

    def cherry_pick_as(self, commit: str, old: str, new: str) -> None:
        """Cherry-pick a fix and rename its migration for this line (the content stays)."""
        self.git("cherry-pick", "-x", commit)
        self.git("mv", f"sql/{old}", f"sql/{new}")
        self.git("commit", "-q", "-m", f"renumber {old} as {new}")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "project")


@pytest.fixture
def same_second_repo(tmp_path: Path) -> Repo:
    """A repository whose commits and tags all carry the same committer second."""
    return Repo(tmp_path / "project", tick=0)


Result = CliResult


@pytest.fixture
def fx(cli_run: Callable[..., CliResult]) -> Callable[..., CliResult]:
    """The shared in-process CLI runner (tests/conftest.py)."""
    return cli_run
