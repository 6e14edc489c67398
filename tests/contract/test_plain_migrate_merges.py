"""Plain ``migrate`` across a release that merges a fix the database skipped (issue 17's CloudStack case).

The database is at 1.2.0; 1.1.1's fix (1.1.1.1) sorts below it, so Flyway's order calls it Ignored.
1.2.1 merges 1.1.1 and brings its own migration, which touches the fix's index. A plain ``migrate``
used to run 1.2.1.1 alone: the database was then at no release (1.2.1 without 1.1.1.1), ``validate``
passed, and ``migrate --to 1.2.1`` refused (the fix would run after 1.2.1.1, both touch the index).
Now plain migrate runs the fix where ``migrate --to 1.2.1`` runs it, or refuses up front when
``migrate --to 1.2.1`` would.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult as Result
from tests.databases import ScratchDb

from .test_history_contract import _args, _executed, _rows, assert_contract, flyway_reads

RELEASES = """[lines]
depth = 2
[release."1.0.0"]
[release."1.1.0"]
from = "1.0.0"
[release."1.1.1"]
[release."1.2.0"]
from = "1.1.0"
[release."1.2.1"]
merges = ["1.1.1"]
"""
FILES = {
    "V1.0.0.1__books.sql": "CREATE TABLE books (id INT, title VARCHAR(80), isbn VARCHAR(20));\n",
    "V1.1.0.1__authors.sql": "CREATE TABLE authors (id INT);\n",
    "V1.2.0.1__members.sql": "CREATE TABLE members (id INT);\n",
}
FIX = ("V1.1.1.1__title_index.sql", "CREATE INDEX books_title_idx ON books (title);\n")
MERGE = (
    "V1.2.1.1__widen_title_index.sql",
    "DROP INDEX books_title_idx{on};\nCREATE INDEX books_title_idx ON books (title, isbn);\n",
)
CLOSURE = ["1.0.0.1", "1.1.0.1", "1.1.1.1", "1.2.0.1", "1.2.1.1"]


def _project(tmp_path: Path, t: ScratchDb, files: dict[str, str]) -> Path:
    loc = tmp_path / "m"
    loc.mkdir(exist_ok=True)
    (loc / "releases.toml").write_text(RELEASES, encoding="utf-8")
    on = " ON books" if t.dialect in ("mysql", "mariadb") else ""
    for name, body in files.items():
        (loc / name).write_text(body.replace("{on}", on), encoding="utf-8")
    return loc


def test_plain_migrate_runs_a_merged_fix_where_migrate_to_runs_it(
    database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    loc = _project(tmp_path, database, {**FILES, FIX[0]: FIX[1]})
    assert _executed(flywayx(*_args(database, loc), "migrate", "--to", "1.2.0", "--output-type", "json")) == [
        "1.0.0.1",
        "1.1.0.1",
        "1.2.0.1",
    ]
    _project(tmp_path, database, {MERGE[0]: MERGE[1]})  # release 1.2.1 ships
    plain = flywayx(*_args(database, loc), "migrate", "--output-type", "json")
    assert _executed(plain) == ["1.1.1.1", "1.2.1.1"]  # the order of `migrate --to 1.2.1`
    states, errors = flyway_reads(database, loc)
    assert errors == [] and states["1.1.1.1"] == "Out of Order"
    to = flywayx(*_args(database, loc), "migrate", "--to", "1.2.1", "--output-type", "json")
    assert _executed(to) == []
    assert_contract(database, loc, flywayx, CLOSURE)
    ran = [str(r.version) for r in _rows(database) if r.version is not None]
    assert ran == ["1.0.0.1", "1.1.0.1", "1.2.0.1", "1.1.1.1", "1.2.1.1"]  # each once, the fix late


def test_plain_migrate_refuses_up_front_when_migrate_to_would(
    database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    """1.2.0 (applied) creates the fix's index already: the fix cannot run after it, so neither
    ``migrate --to 1.2.1`` nor a plain migrate reaching 1.2.1 may run anything."""
    files = {
        **FILES,
        FIX[0]: FIX[1],
        "V1.2.0.2__same_index.sql": "CREATE INDEX books_title_idx ON books (title, isbn);\n",
    }
    loc = _project(tmp_path, database, files)
    assert flywayx(*_args(database, loc), "migrate", "--to", "1.2.0").code == 0
    _project(tmp_path, database, {"V1.2.1.1__shelves.sql": "CREATE TABLE shelves (id INT);\n"})
    before = _rows(database)
    for args in (["migrate"], ["migrate", "--dry-run"]):
        refused = flywayx(*_args(database, loc), *args)
        assert refused.code == 1, refused.out
        first = refused.err.strip().splitlines()[0]
        assert first.startswith("ERROR: plain migrate would reach release 1.2.1 without 1.1.1.1 (release 1.1.1)")
        assert "1.1.1.1 would run after applied 1.2.0.2" in first and "Traceback" not in refused.err
    assert _rows(database) == before
    assert flywayx(*_args(database, loc), "validate").code == 0  # the database is still at 1.2.0


def test_a_fix_no_pending_release_merges_stays_ignored(
    database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    """Flyway's behaviour where no release the run reaches includes the fix (docs/release-lines.md)."""
    loc = _project(tmp_path, database, {**FILES, FIX[0]: FIX[1]})
    assert flywayx(*_args(database, loc), "migrate", "--to", "1.2.0").code == 0
    _project(tmp_path, database, {"V1.2.0.2__loans.sql": "CREATE TABLE loans (id INT);\n"})
    assert _executed(flywayx(*_args(database, loc), "migrate", "--output-type", "json")) == ["1.2.0.2"]
    states, _ = flyway_reads(database, loc)
    assert states["1.1.1.1"] == "Ignored"


@pytest.mark.parametrize("database", ["mariadb"], indirect=True)
def test_a_merged_fix_run_late_by_plain_migrate_places_its_column_as_migrate_to(
    database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    """MySQL/MariaDB place a late ADD COLUMN where a fresh install has it (docs/release-lines.md,
    column order): a plain migrate running the merged fix late does as ``migrate --to`` does."""
    files = {
        "V1.0.0.1__books.sql": "CREATE TABLE books (id INT);\n",
        "V1.1.0.1__authors.sql": "CREATE TABLE authors (id INT);\n",
        "V1.1.1.1__edition.sql": "ALTER TABLE books ADD COLUMN edition INT;\n",
        "V1.2.0.1__shelf.sql": "ALTER TABLE books ADD COLUMN shelf INT;\n",
    }
    loc = _project(tmp_path, database, files)
    assert flywayx(*_args(database, loc), "migrate", "--to", "1.2.0").code == 0
    _project(tmp_path, database, {"V1.2.1.1__members.sql": "CREATE TABLE members (id INT);\n"})
    assert _executed(flywayx(*_args(database, loc), "migrate", "--output-type", "json")) == ["1.1.1.1", "1.2.1.1"]
    columns = database.query(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() "
        "AND table_name = 'books' ORDER BY ordinal_position"
    )
    assert [c[0] for c in columns] == ["id", "edition", "shelf"]  # as a fresh install of 1.2.1 has them


def test_plain_migrate_with_a_target_stops_there(
    database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    """Flyway's ``-target``: the merged fix runs, nothing of 1.2.1 past the target does."""
    loc = _project(tmp_path, database, {**FILES, FIX[0]: FIX[1]})
    assert flywayx(*_args(database, loc), "migrate", "--to", "1.2.0").code == 0
    _project(tmp_path, database, {MERGE[0]: MERGE[1], "V1.2.1.2__shelves.sql": "CREATE TABLE shelves (id INT);\n"})
    done = flywayx(*_args(database, loc), "migrate", "--target", "1.2.1.1", "--output-type", "json")
    assert _executed(done) == ["1.1.1.1", "1.2.1.1"]
