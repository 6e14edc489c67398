"""`flywayx new` on parallel branches, `flywayx release cut`, and the conflicts they must surface."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flywayx.model import Config
from flywayx.service import gitflow
from flywayx.sources.releases import parse_releases
from flywayx.sources.scan import scan

from .conftest import Repo, Result

Fx = Callable[..., Result]
SAME_SECOND = datetime(2026, 11, 23, 19, 30, tzinfo=UTC)
RELEASES = '[lines]\ndepth = 2\n\n[release."4.6.0"]\n'


@pytest.fixture
def project(repo: Repo) -> Repo:
    """Line 4.6 released as 4.6.0: a host table and releases.toml."""
    (repo.sql / "releases.toml").write_text(RELEASES)
    repo.git("add", "sql/releases.toml")
    repo.add("V4.6.0.1__host.sql", "CREATE TABLE host (id INTEGER PRIMARY KEY, name VARCHAR(40));")
    repo.release("4.6.0")
    return repo


def config(repo: Repo) -> Config:
    return Config(locations=(f"filesystem:{repo.sql}",))


def write_new(repo: Repo, description: str, sql: str, nonce: int | None = None) -> Path:
    path = gitflow.new_migration(config(repo), description, now=SAME_SECOND if nonce is not None else None, nonce=nonce)
    path.write_text(path.read_text() + sql + "\n")
    repo.git("add", str(path))
    repo.git("commit", "-q", "-m", description)
    return path


def two_branches(repo: Repo, sql_a: str, sql_b: str) -> None:
    """Branches a and b each add a pending migration in the same second, then both merge to main."""
    repo.branch("a", "main")
    write_new(repo, "change a", sql_a, nonce=1)
    repo.branch("b", "main")
    write_new(repo, "change b", sql_b, nonce=2)
    repo.checkout("main")
    repo.merge("a")
    repo.merge("b")


def test_new_names_a_pending_migration_of_the_current_line(project: Repo, fx: Fx) -> None:
    r = fx("--locations", str(project.sql), "new", "add foo column")
    assert r.code == 0, r.err
    path = Path(r.out.strip())
    prefix, _, rest = path.name.partition("__")
    assert rest == "add_foo_column.sql"
    assert prefix.startswith("V4.6.") and len(prefix.split(".")[-1]) == 20
    graph, _ = parse_releases(RELEASES)
    found = [m for m in scan(config(project), {}).migrations if m.description == "add foo column"]
    assert [graph.owner(m.version) for m in found if m.version] == ["4.6.next"]


def test_parallel_new_never_collides_and_both_apply(project: Repo, fx: Fx, tmp_path: Path) -> None:
    two_branches(project, "CREATE TABLE a (id INTEGER);", "CREATE TABLE b (id INTEGER);")
    versions = [m.version.text for m in scan(config(project), {}).migrations if m.version]
    assert len(versions) == len(set(versions)) == 3
    db = tmp_path / "dev.db"
    r = fx("--url", f"sqlite:///{db}", "--locations", str(project.sql), "migrate")
    assert r.code == 0, r.err
    with sqlite3.connect(db) as c:
        assert {n for (n,) in c.execute("SELECT name FROM sqlite_master WHERE type='table'")} >= {"host", "a", "b"}
    assert fx("--locations", str(project.sql), "releases", "check", "--dialect", "sqlite").code == 0


def test_a_real_conflict_surfaces_when_the_branches_merge(project: Repo, fx: Fx) -> None:
    two_branches(
        project, "CREATE INDEX i_host_name ON host (name);", "ALTER TABLE host RENAME COLUMN name TO hostname;"
    )
    r = fx("--locations", str(project.sql), "releases", "check", "--dialect", "sqlite")
    assert r.code == 1
    [line] = r.out.splitlines()
    assert line.startswith(
        "- pending 4.6.20261123193000000002 and 4.6.20261123193000000001 were written on "
        "parallel branches and both touch column:host.name"
    )


def test_one_branch_building_on_its_own_change_is_no_conflict(project: Repo, fx: Fx) -> None:
    write_new(project, "add column", "ALTER TABLE host ADD COLUMN ip VARCHAR(40);", nonce=1)
    write_new(project, "index it", "CREATE INDEX i_host_ip ON host (ip);", nonce=2)
    assert fx("--locations", str(project.sql), "releases", "check", "--dialect", "sqlite").code == 0


def test_release_cut_freezes_pending_in_stamp_order(project: Repo, fx: Fx) -> None:
    two_branches(project, "CREATE TABLE a (id INTEGER);", "CREATE TABLE b (id INTEGER);")
    r = fx("--locations", str(project.sql), "release", "cut", "4.6.1")
    assert r.code == 0, r.err
    assert r.out.splitlines()[:2] == [
        "Renamed V4.6.20261123193000000001__change_a.sql -> V4.6.1.1__change_a.sql",
        "Renamed V4.6.20261123193000000002__change_b.sql -> V4.6.1.2__change_b.sql",
    ]
    names = sorted(p.name for p in project.sql.glob("V*.sql"))
    assert names == ["V4.6.0.1__host.sql", "V4.6.1.1__change_a.sql", "V4.6.1.2__change_b.sql"]
    graph, problems = parse_releases((project.sql / "releases.toml").read_text())
    assert problems == [] and [r.name for r in graph.releases] == ["4.6.0", "4.6.1"]
    project.git("add", "-A", "sql")
    project.git("commit", "-q", "-m", "release 4.6.1")
    project.release("4.6.1")
    assert fx("--locations", str(project.sql), "releases", "check", "--dialect", "sqlite").code == 0


def test_cut_of_a_new_line_branches_from_the_last_release(project: Repo, fx: Fx) -> None:
    write_new(project, "zone", "CREATE TABLE zone (id INTEGER);", nonce=7)
    r = fx("--locations", str(project.sql), "release", "cut", "4.7.0", "--dry-run")
    assert r.code == 0, r.err
    assert r.out.splitlines() == [
        "Would rename V4.6.20261123193000000007__zone.sql -> V4.7.0.1__zone.sql",
        "Would add to releases.toml:",
        '[release."4.7.0"]',
        'from = "4.6.0"',
    ]
    assert (project.sql / "releases.toml").read_text() == RELEASES  # dry run: nothing changed


def test_cut_refuses_pending_that_clashes_with_a_merged_maintenance_fix(project: Repo, fx: Fx) -> None:
    # main is on line 4.7 (4.7.0 released); maintenance 4.6.1 indexes host.name, a pending change on
    # main renames that column: cutting 4.7.1 with 4.6.1 merged must stop
    (project.sql / "releases.toml").write_text(RELEASES + '\n[release."4.7.0"]\nfrom = "4.6.0"\n')
    project.add("V4.7.0.1__zone.sql", "CREATE TABLE zone (id INTEGER);")
    project.release("4.7.0")
    project.branch("4.6", "4.6.0")
    project.add("V4.6.1.1__index_name.sql", "CREATE INDEX i_host_name ON host (name);")
    project.release("4.6.1")
    project.checkout("main")
    write_new(project, "rename name", "ALTER TABLE host RENAME COLUMN name TO hostname;", nonce=3)
    project.merge("4.6")
    (project.sql / "releases.toml").write_text(RELEASES + '\n[release."4.6.1"]\n\n[release."4.7.0"]\nfrom = "4.6.0"\n')
    r = fx("--locations", str(project.sql), "release", "cut", "4.7.1", "--merges", "4.6.1")
    assert r.code == 1
    assert r.err.splitlines()[:2] == [
        "ERROR: pending migrations conflict with merged maintenance releases:",
        "  4.7.20261123193000000003 and 4.6.1.1 both touch column:host.name",
    ]
    assert list(project.sql.glob("V4.7.1*")) == []


def test_cut_with_nothing_pending(project: Repo, fx: Fx) -> None:
    r = fx("--locations", str(project.sql), "release", "cut", "4.6.1")
    assert r.code == 1
    assert r.err.splitlines()[0] == "ERROR: nothing pending to freeze"


def test_cut_refuses_a_release_before_the_line_head(project: Repo, fx: Fx) -> None:
    write_new(project, "x", "CREATE TABLE x (id INTEGER);", nonce=4)
    r = fx("--locations", str(project.sql), "release", "cut", "4.5.9")
    assert r.code == 2
    assert r.err.splitlines()[0] == "ERROR: release 4.5.9 would start line 4.5 before its branch point 4.6.0"


def test_new_with_an_explicit_line_and_a_python_migration(project: Repo, fx: Fx) -> None:
    r = fx("--locations", str(project.sql), "new", "backfill zones", "--line", "4.7", "--python")
    assert r.code == 0, r.err
    path = Path(r.out.strip())
    assert path.name.startswith("V4.7.") and path.name.endswith("__backfill_zones.py")
    assert "def migrate(conn)" in path.read_text()


def test_cut_of_a_python_migration_keeps_one_suffix_and_its_description(project: Repo, fx: Fx) -> None:
    r = fx("--locations", str(project.sql), "new", "backfill status", "--python")
    assert r.code == 0, r.err
    r = fx("--locations", str(project.sql), "release", "cut", "4.6.1")
    assert r.code == 0, r.err
    assert [p.name for p in project.sql.glob("V4.6.1*")] == ["V4.6.1.1__backfill_status.py"]
    [m] = [m for m in scan(config(project), {}).migrations if m.version and m.version.text == "4.6.1.1"]
    assert (m.description, m.type.value) == ("backfill status", "SCRIPT")


def test_cut_orders_by_ancestry_not_by_the_stamps_clock(project: Repo, fx: Fx) -> None:
    # the second change builds on the first, but was written on a machine whose clock was behind
    first = write_new(project, "add ip", "ALTER TABLE host ADD COLUMN ip VARCHAR(40);", nonce=5)
    gitflow_later = gitflow.new_migration(
        config(project), "index ip", now=datetime(2026, 11, 23, 19, 29, tzinfo=UTC), nonce=1
    )
    gitflow_later.write_text("CREATE INDEX i_host_ip ON host (ip);\n")
    project.git("add", str(gitflow_later))
    project.git("commit", "-q", "-m", "index ip")
    assert gitflow_later.name < first.name  # its stamp sorts first
    r = fx("--locations", str(project.sql), "release", "cut", "4.6.1")
    assert r.code == 0, r.err
    assert sorted(p.name for p in project.sql.glob("V4.6.1*")) == ["V4.6.1.1__add_ip.sql", "V4.6.1.2__index_ip.sql"]


@pytest.mark.parametrize("first", [["migrate"], ["migrate", "--to", "4.6.next"]])
def test_cut_is_a_no_op_for_a_database_that_ran_the_pending_files(
    first: list[str], project: Repo, fx: Fx, tmp_path: Path
) -> None:
    write_new(project, "add ip", "ALTER TABLE host ADD COLUMN ip VARCHAR(40);", nonce=1)
    write_new(project, "backfill", "UPDATE host SET ip = '0.0.0.0';", nonce=2)
    dev = tmp_path / "dev.db"
    url = ["--url", f"sqlite:///{dev}", "--locations", str(project.sql)]
    r = fx(*url, *first)
    assert r.code == 0, r.err
    assert fx("--locations", str(project.sql), "release", "cut", "4.6.1").code == 0
    for command in (["migrate"], ["migrate", "--to", "4.6.1"]):
        r = fx(*url, *command)
        assert r.code == 0, (command, r.err)
        assert "Migrating" not in r.out and "is up to date" in r.out, (command, r.out)
    assert fx(*url, "validate").code == 0
    states = {m["version"]: m["state"] for m in fx(*url, "info", "--output-type", "json").json()["migrations"]}
    # the frozen versions get their own rows (the history contract: Flyway reads them as applied); the
    # pending versions' rows stay, retired with Flyway's DELETE rows
    assert states == {
        "4.6.0.1": "Success",
        "4.6.1.1": "Success",
        "4.6.1.2": "Success",
        "4.6.20261123193000000001": "Deleted",
        "4.6.20261123193000000002": "Deleted",
    }
    # after the cut, a new pending change still applies on top, by either command
    write_new(project, "zone", "CREATE TABLE zone (id INTEGER);", nonce=3)
    r = fx(*url, *first)
    assert [line for line in r.out.splitlines() if line.startswith("Migrating")] == [
        'Migrating schema "main" to version "4.6.20261123193000000003 - zone"'
    ]
    fresh = tmp_path / "fresh.db"
    assert fx("--url", f"sqlite:///{fresh}", "--locations", str(project.sql), "migrate").code == 0
    with sqlite3.connect(dev) as a, sqlite3.connect(fresh) as b:
        schema = "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'flyway%' ORDER BY name"
        assert a.execute(schema).fetchall() == b.execute(schema).fetchall()


def test_cut_of_an_operations_file_renames_it_once_and_its_contract_part_follows(project: Repo, fx: Fx) -> None:
    r = fx(
        "--locations",
        str(project.sql),
        "new",
        "drop fax",
        "--op",
        "drop_column",
        "--arg",
        "table=host",
        "--arg",
        "column=fax",
    )
    assert r.code == 0, r.err
    r = fx("--locations", str(project.sql), "release", "cut", "4.6.1")
    assert r.code == 0, r.err
    assert [p.name for p in project.sql.glob("V4.6.1*")] == ["V4.6.1.1__drop_fax.toml"]
    parts = sorted(
        (m.version.text, m.script)
        for m in scan(config(project), {}).migrations
        if m.version and m.version.text.startswith("4.6.1")
    )
    assert parts == [("4.6.1.1", "V4.6.1.1__drop_fax.toml"), ("4.6.1.1.1", "V4.6.1.1__drop_fax.toml#contract")]
