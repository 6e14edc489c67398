"""Every operation, on MariaDB and PostgreSQL, with the old and the new application live.

For each operation (``tests/online/two_apps.py``): release 1.0.0 is installed and seeded
(``FLYWAYX_TWO_APP_ROWS`` rows, default 20,000); the old app runs while ``migrate --phase expand``
applies the operation's expand and data steps; the new app starts and both run side by side; the
old app stops (the rolling upgrade is done) and the new app keeps running while ``--phase contract``
finishes. Both apps must see zero errors and every read must give what was written; afterwards every
row each app wrote holds its last value under the final schema, no row is lost or added, and the
final schema has the operation's effect (the server's catalog says so).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.databases import ScratchDb, requires
from tests.online.conftest import Ran, write_project
from tests.online.two_apps import (
    NEW_BASE,
    OLD_BASE,
    SCENARIOS,
    App,
    connect,
    longest_gap,
    project_files,
    same,
    seed_sql,
    wait_iterations,
)

ROWS = int(os.environ.get("FLYWAYX_TWO_APP_ROWS", "20000"))


def _query(dialect: str, params: dict[str, Any], sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = connect(dialect, params)
    try:
        cur = conn.cursor()
        cur.execute(sql, args) if args else cur.execute(sql)
        return [tuple(r) for r in cur.fetchall()] if cur.description else []
    finally:
        conn.close()


@requires("server")
@pytest.mark.parametrize("operation", sorted(SCENARIOS))
def test_old_and_new_app_keep_working_through_expand_data_and_contract(
    operation: str, database: ScratchDb, tmp_path: Path, cli_run: Callable[..., Ran]
) -> None:
    db = database
    dialect = database.dialect
    scenario = SCENARIOS[operation]
    project = write_project(tmp_path / "sql", project_files(scenario))
    base = ("--url", db.url, "--locations", str(project))
    params = db.connect_params()
    assert cli_run(*base, "migrate", "--to", "1.0.0").code == 0
    _query(dialect, params, seed_sql(dialect, ROWS))

    old = App(dialect, params, scenario.old, OLD_BASE, ROWS)
    wait_iterations(old, 3)
    expand = cli_run(*base, "migrate", "--to", "1.1.0", "--phase", "expand")
    assert expand.code == 0, expand.err
    new = App(dialect, params, scenario.new, NEW_BASE, ROWS)
    wait_iterations(new, 5)  # both releases live
    wait_iterations(old, 5)
    old_result = old.finish()
    contract = cli_run(*base, "migrate", "--to", "1.1.0", "--phase", "contract")
    wait_iterations(new, 3)
    new_result = new.finish()

    assert contract.code == 0, contract.err
    assert old_result.errors == [], old_result.errors[:3]
    assert new_result.errors == [], new_result.errors[:3]
    assert old_result.iterations >= 8 and new_result.iterations >= 8
    versions = [
        r[0]
        for r in _query(
            dialect,
            params,
            "SELECT version FROM flyway_schema_history WHERE success = "
            + ("1" if dialect == "mariadb" else "TRUE")
            + " AND version IS NOT NULL ORDER BY installed_rank",
        )
    ]
    assert versions == ["1.0.0.1", "1.1.0.1", "1.1.0.2"]

    new_rows = dict(_query(dialect, params, scenario.final_read, (NEW_BASE,)))
    assert set(new_rows) == set(new_result.written), "the new app's rows: none lost, none added"
    wrong = {i: (new_rows[i], v) for i, v in new_result.written.items() if not same(new_rows[i], v)}
    assert wrong == {}, f"new app rows (found, written): {dict(list(wrong.items())[:5])}"
    old_rows = {
        i: v
        for i, v in _query(dialect, params, scenario.final_read_old or scenario.final_read, (OLD_BASE,))
        if i < NEW_BASE
    }
    assert set(old_rows) == set(old_result.written), "the old app's rows: none lost, none added"
    wrong = {
        i: (old_rows[i], v) for i, v in old_result.written.items() if not same(old_rows[i], scenario.final_of_old(v))
    }
    assert wrong == {}, f"old app rows (found, written): {dict(list(wrong.items())[:5])}"
    check = scenario.check_sql(dialect)
    if check is not None:
        assert _query(dialect, params, check) == [(1,)], check
    stall = max(longest_gap(new_result.marks, 0, float("inf")), 0.0)
    print(
        f"{operation} on {dialect}: old {old_result.iterations} / new {new_result.iterations} iterations, "
        f"longest gap of the new app {stall * 1000:.0f} ms"
    )
