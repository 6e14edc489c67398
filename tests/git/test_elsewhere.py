"""Migrations whose file is on another branch: a fix shipped on the 1.0 maintenance branch and
cherry-picked onto main under a 1.1 version. On main, ``V1.0.2.1`` does not exist; releases.toml
(derived by ``releases from-git``) names it. Every command must still work, and a database at
1.0.2 must upgrade from main with 1.1.2.1 satisfied by 1.0.2.1's content.

    main:  1.0.0 - 1.0.1 - 1.1.0 - pick(1.0.2.1 as 1.1.2.1) - 1.1.2
    1.0:             \\- 1.0.2
All commits and tags are made in the same second (``same_second_repo``).
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from flywayx.db.fingerprint import fingerprint
from flywayx.model.fingerprint import SchemaFingerprint, diff

from .conftest import Repo, Result

Fx = Callable[..., Result]
FIX = "CREATE INDEX i_a ON a (id);"


def build(repo: Repo, fix_on_main: str = FIX) -> None:
    repo.add("V1.0.0.1__a.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY, name VARCHAR(20));")
    repo.release("1.0.0")
    repo.add("V1.0.1.1__b.sql", "CREATE TABLE b (id INTEGER PRIMARY KEY);")
    repo.release("1.0.1")
    repo.branch("1.0", "1.0.1")
    fix = repo.add("V1.0.2.1__index_a.sql", FIX)
    repo.release("1.0.2")
    repo.checkout("main")
    repo.add("V1.1.0.1__c.sql", "CREATE TABLE c (id INTEGER PRIMARY KEY);")
    repo.release("1.1.0")
    repo.cherry_pick_as(fix, "V1.0.2.1__index_a.sql", "V1.1.2.1__index_a.sql")
    if fix_on_main != FIX:  # rewritten for the newer line
        (repo.sql / "V1.1.2.1__index_a.sql").write_text(fix_on_main + "\n")
        repo.git("commit", "-q", "-am", "rewrite the fix for 1.1")
    repo.release("1.1.2")


@pytest.fixture
def project(same_second_repo: Repo) -> Repo:
    build(same_second_repo)
    return same_second_repo


def run(fx: Fx, repo: Repo, db: Path, *args: str) -> Result:
    return fx("--url", f"sqlite:///{db}", "--locations", str(repo.sql), *args)


def at_maintenance_release(fx: Fx, repo: Repo, db: Path, how: str) -> None:
    """Bring ``db`` to 1.0.2 from a checkout of the 1.0.2 tag, with plain migrate or migrate --to."""
    repo.git("checkout", "-q", "1.0.2")
    if how == "migrate --to":
        assert fx("--locations", str(repo.sql), "releases", "from-git", "--dialect", "sqlite", "--write").code == 0
        r = run(fx, repo, db, "migrate", "--to", "1.0.2")
    else:
        r = run(fx, repo, db, "migrate")
    assert r.code == 0, r.err
    (repo.sql / "releases.toml").unlink(missing_ok=True)
    repo.checkout("main")
    assert not (repo.sql / "V1.0.2.1__index_a.sql").exists()


def schema(db: Path) -> SchemaFingerprint:
    with sqlite3.connect(db) as conn:
        return fingerprint(conn, "sqlite", [])


def on_main_with_derived_releases(fx: Fx, repo: Repo) -> str:
    r = fx("--locations", str(repo.sql), "releases", "from-git", "--dialect", "sqlite", "--write")
    assert r.code == 0, r.err
    text = (repo.sql / "releases.toml").read_text()
    assert '[equivalent]\n"1.1.2.1" = "1.0.2.1"\n' in text
    return text


def test_every_command_works_on_main_with_the_derived_equivalence(project: Repo, fx: Fx, tmp_path: Path) -> None:
    on_main_with_derived_releases(fx, project)
    fresh = tmp_path / "fresh.db"
    for args in (["info"], ["plan", "--to", "1.1.2"], ["graph"], ["validate"], ["lint", "--dialect", "sqlite"]):
        r = run(fx, project, fresh, *args)
        assert r.code in (0, 1) and "releases.toml is invalid" not in r.err, (args, r.err)
    r = run(fx, project, fresh, "migrate", "--to", "1.1.2")
    assert r.code == 0, r.err
    assert [line.split('"')[3] for line in r.out.splitlines() if line.startswith("Migrating")] == [
        "1.0.0.1 - a",
        "1.0.1.1 - b",
        "1.1.0.1 - c",
        "1.1.2.1 - index a",
    ]
    assert run(fx, project, fresh, "validate").code == 0


@pytest.mark.parametrize("how", ["migrate", "migrate --to"])
def test_a_database_at_the_maintenance_release_upgrades_from_main(
    how: str, project: Repo, fx: Fx, tmp_path: Path
) -> None:
    db, fresh = tmp_path / "at-1.0.2.db", tmp_path / "fresh.db"
    at_maintenance_release(fx, project, db, how)
    on_main_with_derived_releases(fx, project)
    plan = run(fx, project, db, "plan", "--to", "1.1.2", "--output-type", "json").json()
    assert [s["version"] for s in plan["steps"]] == ["1.1.0.1"]
    assert {"migration": "1.1.2.1", "reason": "satisfied by applied 1.0.2.1 (identical content)"} in plan["skipped"]
    r = run(fx, project, db, "migrate", "--to", "1.1.2")
    assert r.code == 0, r.err
    assert [line for line in r.out.splitlines() if line.startswith("Migrating")] == [
        'Migrating schema "main" to version "1.1.0.1 - c" [out of order]'
    ]
    assert run(fx, project, fresh, "migrate", "--to", "1.1.2").code == 0
    assert diff(schema(fresh), schema(db)) == []  # the same schema as a fresh install of 1.1.2


def test_a_fix_rewritten_for_main_is_satisfied_by_its_declared_equivalent(
    same_second_repo: Repo, fx: Fx, tmp_path: Path
) -> None:
    build(same_second_repo, fix_on_main="CREATE INDEX IF NOT EXISTS i_a ON a (id);")
    db = tmp_path / "at-1.0.2.db"
    at_maintenance_release(fx, same_second_repo, db, "migrate")
    text = fx("--locations", str(same_second_repo.sql), "releases", "from-git", "--dialect", "sqlite").out
    assert "[equivalent]" not in text  # different content: git cannot see it, the release manager declares it
    (same_second_repo.sql / "releases.toml").write_text(text + '\n[equivalent]\n"1.1.2.1" = "1.0.2.1"\n')
    plan = run(fx, same_second_repo, db, "plan", "--to", "1.1.2", "--output-type", "json").json()
    assert [s["version"] for s in plan["steps"]] == ["1.1.0.1"]
    assert {"migration": "1.1.2.1", "reason": "satisfied by applied 1.0.2.1 (declared equivalent)"} in plan["skipped"]
    assert run(fx, same_second_repo, db, "migrate", "--to", "1.1.2").code == 0


def test_an_equivalence_to_a_version_no_branch_has_is_still_an_error(project: Repo, fx: Fx, tmp_path: Path) -> None:
    text = on_main_with_derived_releases(fx, project).replace('= "1.0.2.1"', '= "1.0.2.9"')
    (project.sql / "releases.toml").write_text(text)
    r = run(fx, project, tmp_path / "x.db", "info")
    assert r.code == 1
    assert "[equivalent] 1.1.2.1 = 1.0.2.9: no migration with version 1.0.2.9" in r.err.splitlines()[0]


def test_without_git_the_history_and_the_declared_releases_suffice(project: Repo, fx: Fx, tmp_path: Path) -> None:
    db = tmp_path / "at-1.0.2.db"
    at_maintenance_release(fx, project, db, "migrate")
    on_main_with_derived_releases(fx, project)
    shipped = tmp_path / "tarball" / "sql"  # main's files without .git, as a package ships them
    shutil.copytree(project.sql, shipped)
    r = fx("--url", f"sqlite:///{db}", "--locations", str(shipped), "migrate", "--to", "1.1.2")
    assert r.code == 0, r.err
    # 1.1.2.1 does not run (its change is in through 1.0.2.1): it is recorded (the history contract)
    assert [line for line in r.out.splitlines() if line.startswith("Migrating")] == [
        'Migrating schema "main" to version "1.1.0.1 - c" [out of order]'
    ]
    assert "Recorded 1 migration as applied without running it" in r.out
    fresh = fx("--url", f"sqlite:///{tmp_path / 'fresh.db'}", "--locations", str(shipped), "migrate", "--to", "1.1.2")
    assert fresh.code == 0, fresh.err


def test_a_target_whose_fix_is_only_on_its_branch_is_refused_from_main(project: Repo, fx: Fx, tmp_path: Path) -> None:
    on_main_with_derived_releases(fx, project)
    db = tmp_path / "a.db"
    assert run(fx, project, db, "migrate", "--to", "1.0.1").code == 0
    r = run(fx, project, db, "migrate", "--to", "1.0.2")
    assert r.code == 1
    assert r.err.splitlines()[0] == (
        "ERROR: the plan to 1.0.2 needs 1.0.2.1 (release 1.0.2, line 1.0), whose file is not in this working tree "
        "(it was shipped on another branch) and no migration here is the same change"
    )
    assert r.err.splitlines()[1].startswith("hint: run this upgrade from a checkout of 1.0.2 (its tag)")
    graph = run(fx, project, db, "graph").out
    assert "  * 1.0.1" in graph and "  * 1.0.2" not in graph  # 1.0.2 is not reached: its fix is not applied


def test_from_main_every_accepted_upgrade_equals_a_fresh_install(repo: Repo, fx: Fx, tmp_path: Path) -> None:
    """The CloudStack-like history of ``scenarios``: databases at every tag (made on that tag's
    checkout), upgraded from main's working tree, where 4.6.2's and 4.6.3's files do not exist."""
    from . import scenarios

    scenarios.build(repo)
    tags = {
        "4.5.0": "4.5.0",
        "4.5.1": "4.5.1",
        "4.5.2": "4.5.2",
        "4.6.0": "v4.6.0",
        "4.6.1": "4.6.1",
        "4.6.2": "4.6.2",
        "4.6.3": "4.6.3",
        "4.7.0": "4.7.0",
        "4.7.1": "4.7.1",
        "4.7.2": "4.7.2",
    }
    starts = {}
    for release, tag in tags.items():
        repo.git("checkout", "-q", tag)
        starts[release] = tmp_path / f"start-{release}.db"
        assert run(fx, repo, starts[release], "migrate").code == 0
    repo.checkout("main")
    assert not (repo.sql / "V4.6.3.1__vm_state.sql").exists()
    on_main = fx("--locations", str(repo.sql), "releases", "from-git", "--dialect", "sqlite", "--write")
    assert on_main.code == 0, on_main.err
    accepted, refused = set(), set()
    for start in tags:
        for target in ("4.6.1", "4.7.0", "4.7.1", "4.7.2"):
            db = tmp_path / f"{start}-{target}.db"
            shutil.copy(starts[start], db)
            r = run(fx, repo, db, "migrate", "--to", target)
            if r.code != 0:
                assert r.err.startswith("ERROR: ") and "Traceback" not in r.err
                refused.add((start, target))
                continue
            accepted.add((start, target))
            assert diff(schema(starts[target]), schema(db)) == [], (start, target)
    # 4.6.2's fix reached main as 4.7.1.1: a database at 4.6.2 upgrades to 4.7.1 and 4.7.2 from main
    assert {("4.6.2", "4.7.1"), ("4.6.2", "4.7.2"), ("4.5.2", "4.7.2"), ("4.6.1", "4.7.2")} <= accepted
    # 4.6.3's fix never did; no release is reached backwards
    assert {("4.6.3", "4.7.2"), ("4.6.2", "4.7.0"), ("4.7.0", "4.6.1")} <= refused


def test_a_plan_that_read_the_release_tags_is_not_remembered(project: Repo, fx: Fx, tmp_path: Path) -> None:
    """1.0.2's migrations are known from its tag only: git's tags are not part of what decides whether
    a plan is answered from its memo (``service/answers.py``), so such a plan is never remembered."""
    on_main_with_derived_releases(fx, project)
    cache = tmp_path / "cache"
    first = run(fx, project, tmp_path / "x.db", "--cache-dir", str(cache), "plan", "--to", "1.1.2")
    assert first.code == 0, first.err
    assert not list(cache.rglob("answer-*"))
    project.git("tag", "-d", "1.0.2")  # what git knows changes; the files here do not
    second = run(fx, project, tmp_path / "x.db", "--cache-dir", str(cache), "plan", "--to", "1.1.2")
    fresh = run(fx, project, tmp_path / "x.db", "--no-cache", "plan", "--to", "1.1.2")
    assert (second.code, second.out, second.err) == (fresh.code, fresh.out, fresh.err)
