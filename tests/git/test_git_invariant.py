"""Migrating SQLite databases along the graph derived from git: for every start S and target T
the planner accepts, `migrate --to S; migrate --to T` leaves the schema of a fresh install of T."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from flywayx.db.fingerprint import fingerprint
from flywayx.model.fingerprint import SchemaFingerprint, diff

from . import scenarios
from .conftest import Repo, Result

Fx = Callable[..., Result]
RELEASES = ["4.5.0", "4.5.1", "4.5.2", "4.6.0", "4.6.1", "4.6.2", "4.6.3", "4.7.0", "4.7.1", "4.7.2"]


def distribution(repo: Repo, out: Path, fx: Fx) -> Path:
    """Every migration of every tag in one directory (what a release of the project ships),
    with the releases.toml derived from git."""
    out.mkdir()
    for tag in [*RELEASES[:3], "v4.6.0", *RELEASES[4:]]:
        for name in repo.git("ls-tree", "--name-only", f"{tag}:sql").split():
            (out / name).write_text(repo.git("show", f"{tag}:sql/{name}") + "\n")
    r = fx("--locations", str(repo.sql), "releases", "from-git", "--dialect", "sqlite")
    assert r.code == 0, r.err
    (out / "releases.toml").write_text(r.out)
    return out


def schema_at(fx: Fx, db: Path, loc: Path, *targets: str) -> SchemaFingerprint | None:
    for target in targets:
        r = fx("--url", f"sqlite:///{db}", "--locations", str(loc), "migrate", "--to", target)
        if r.code != 0:
            assert "ERROR" in r.err
            return None
    with sqlite3.connect(db) as conn:
        return fingerprint(conn, "sqlite", [])


def test_every_accepted_upgrade_equals_a_fresh_install(repo: Repo, tmp_path: Path, fx: Fx) -> None:
    scenarios.build(repo)
    loc = distribution(repo, tmp_path / "dist", fx)
    fresh = {t: schema_at(fx, tmp_path / f"fresh-{t}.db", loc, t) for t in RELEASES}
    accepted, refused = [], []
    for s in RELEASES:
        for t in RELEASES:
            got = schema_at(fx, tmp_path / f"{s}-{t}.db", loc, s, t)
            if got is None:
                refused.append((s, t))
                continue
            accepted.append((s, t))
            want = fresh[t]
            assert want is not None
            assert diff(want, got) == [], (s, t)
    # a maintenance database upgrades to the newer line that merged or cherry-picked its fixes...
    assert {("4.5.2", "4.6.1"), ("4.6.2", "4.7.1"), ("4.5.2", "4.7.2")} <= set(accepted)
    # ...but not to the release that forgot one, nor backwards
    assert {("4.6.3", "4.7.2"), ("4.6.2", "4.7.0"), ("4.6.0", "4.5.2")} <= set(refused)
