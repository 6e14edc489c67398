"""The pytest plugin: a user's test suite gets a migrated database from ``flywayx_db``."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

USER_TEST = """
def test_books_table_is_there(flywayx_db):
    assert flywayx_db.query("SELECT count(*) FROM t") == [(0,)]
    assert [a.migration.script for a in flywayx_db.report.applied] == ["V1__t.sql", "V2__u.sql"]

def test_each_test_gets_its_own_database(flywayx_db):
    flywayx_db.query("INSERT INTO t (id) VALUES (?)", (1,))
    assert flywayx_db.query("SELECT id FROM t") == [(1,)]

def test_and_this_one_starts_empty(flywayx_db):
    assert flywayx_db.query("SELECT id FROM t") == []
"""


def _user_project(pytester: pytest.Pytester, location: str = "sql") -> Path:
    sql = pytester.path / location
    sql.mkdir()
    (sql / "V1__t.sql").write_text("CREATE TABLE t (id INTEGER PRIMARY KEY);\n")
    (sql / "V2__u.sql").write_text("CREATE TABLE u (id INTEGER PRIMARY KEY);\n")
    return sql


def test_fixture_migrates_a_sqlite_database_per_test(pytester: pytest.Pytester) -> None:
    _user_project(pytester)
    pytester.makepyfile(test_user=USER_TEST)
    result = pytester.runpytest("-p", "flywayx.pytest_plugin")
    result.assert_outcomes(passed=3)


def test_locations_option_and_environment(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    _user_project(pytester, "migrations")
    pytester.makepyfile(test_user=USER_TEST)
    result = pytester.runpytest("-p", "flywayx.pytest_plugin", "--flywayx-locations", "migrations")
    result.assert_outcomes(passed=3)
    monkeypatch.setenv("FLYWAYX_LOCATIONS", "migrations")
    pytester.runpytest("-p", "flywayx.pytest_plugin").assert_outcomes(passed=3)


def test_a_broken_migration_errors_the_test_with_flywayx_message(pytester: pytest.Pytester) -> None:
    sql = _user_project(pytester)
    (sql / "V3__broken.sql").write_text("CREATE TABLE t (id INTEGER);\n")  # t exists already
    pytester.makepyfile(test_user="def test_x(flywayx_db):\n    pass\n")
    result = pytester.runpytest("-p", "flywayx.pytest_plugin")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*V3__broken.sql*"])
