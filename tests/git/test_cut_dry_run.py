"""``release cut --dry-run`` changes no file (names, contents, releases.toml) and refuses exactly as
the real cut does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from flywayx.model import Config
from flywayx.service import gitflow

from .conftest import Repo, Result

Fx = Callable[..., Result]


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _project(repo: Repo) -> Repo:
    (repo.sql / "releases.toml").write_text('[lines]\ndepth = 2\n\n[release."4.6.0"]\n')
    repo.git("add", "sql/releases.toml")
    repo.add("V4.6.0.1__host.sql", "CREATE TABLE host (id INTEGER PRIMARY KEY, name VARCHAR(40));")
    repo.release("4.6.0")
    when = datetime(2026, 11, 23, 19, 30, tzinfo=UTC)
    path = gitflow.new_migration(Config(locations=(f"filesystem:{repo.sql}",)), "zone", now=when, nonce=7)
    path.write_text(path.read_text() + "CREATE TABLE zone (id INTEGER);\n")
    return repo


def test_release_cut_dry_run_changes_no_file(repo: Repo, fx: Fx) -> None:
    project = _project(repo)
    before = _files(project.sql)
    for name in ("4.6.1", "4.7.0"):
        r = fx("--locations", str(project.sql), "release", "cut", name, "--dry-run")
        assert r.code == 0, r.err
        assert r.out.startswith("Would rename V4.6.20261123193000000007__zone.sql -> ")
        assert _files(project.sql) == before


def test_release_cut_dry_run_refuses_as_the_real_cut(repo: Repo, fx: Fx) -> None:
    project = _project(repo)
    before = _files(project.sql)
    for bad in (["4.5.9"], ["4.6.0"], ["4.6.1", "--merges", "9.9.9"], ["not-a-version"]):
        dry = fx("--locations", str(project.sql), "release", "cut", *bad, "--dry-run")
        real = fx("--locations", str(project.sql), "release", "cut", *bad)
        assert dry.code == real.code != 0 and dry.err == real.err, bad
        assert _files(project.sql) == before, bad
