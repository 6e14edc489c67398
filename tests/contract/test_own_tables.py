"""flywayx's own tables are one versioned layout, created and upgraded as one idempotent step, on every
database: whatever subset a killed first run left, whatever older layout an earlier flywayx made."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from flywayx.db.own_tables import APPLIED, LAYOUT, LAYOUT_TABLE, LAYOUT_VERSION, PROGRESS, RUNS, STATE
from tests.conftest import CliResult as Result
from tests.databases import ScratchDb

OWN = (RUNS, APPLIED, PROGRESS, STATE, LAYOUT_TABLE)


def _project(tmp: Path, n: int) -> Path:
    loc = tmp / "sql"
    loc.mkdir(exist_ok=True)
    for i in range(1, n + 1):
        (loc / f"V{i}__t{i}.sql").write_text(f"CREATE TABLE t{i} (id INT);\nINSERT INTO t{i} VALUES ({i});\n")
    return loc


def _tables(database: ScratchDb) -> set[str]:
    if database.dialect == "sqlite":
        rows = database.query("SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        rows = database.query(
            f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{database.schema}'"
        )
    return {str(r[0]) for r in rows}


def _layout(database: ScratchDb) -> list[int]:
    return [int(r[0]) for r in database.query(f"SELECT version FROM {LAYOUT_TABLE} ORDER BY version")]


def _migrate(flywayx: Callable[..., Result], database: ScratchDb, loc: Path, *extra: str) -> Result:
    return flywayx("--url", database.url, "--locations", str(loc), "migrate", *extra)


def test_a_fresh_database_gets_the_whole_current_layout(
    database: ScratchDb, flywayx: Callable[..., Result], tmp_path: Path
) -> None:
    r = _migrate(flywayx, database, _project(tmp_path, 1))
    assert r.code == 0, r.err
    assert set(OWN) <= _tables(database)
    assert _layout(database) == [s.version for s in LAYOUT] and LAYOUT[-1].version == LAYOUT_VERSION


@pytest.mark.parametrize(
    "dropped", [(PROGRESS,), (APPLIED, PROGRESS, STATE, LAYOUT_TABLE), (LAYOUT_TABLE,), (RUNS,), OWN]
)
def test_any_subset_is_completed_by_the_next_command(
    database: ScratchDb, flywayx: Callable[..., Result], tmp_path: Path, dropped: tuple[str, ...]
) -> None:
    """A first migrate killed between two CREATE TABLEs left some of the tables (issue 14 case 4:
    ``flywayx_progress`` missing wedged every later migrate, --resume and repair)."""
    loc = _project(tmp_path, 1)
    assert _migrate(flywayx, database, loc).code == 0
    for name in dropped:
        database.execute(f"DROP TABLE {name}")
    repaired = flywayx("--url", database.url, "--locations", str(loc), "repair")
    assert repaired.code == 0, repaired.err
    (loc / "V2__t2.sql").write_text("CREATE TABLE t2 (id INT);\n")
    r = _migrate(flywayx, database, loc)
    assert r.code == 0, r.err
    assert set(OWN) <= _tables(database)
    assert _layout(database) == [s.version for s in LAYOUT]
    assert [row[0] for row in database.query(f"SELECT script FROM {APPLIED} ORDER BY seq")][-1] == "V2__t2.sql"


def test_an_older_layout_is_upgraded_in_place(
    database: ScratchDb, flywayx: Callable[..., Result], tmp_path: Path
) -> None:
    """The tables as the first flywayx release made them: no layout record, no in-flight column, no
    schema-state table; rows already in them survive the upgrade."""
    loc = _project(tmp_path, 1)
    assert _migrate(flywayx, database, loc).code == 0
    for name in (STATE, LAYOUT_TABLE, PROGRESS):
        database.execute(f"DROP TABLE {name}")
    database.execute(
        f"CREATE TABLE {PROGRESS} (mkey VARCHAR(255) NOT NULL PRIMARY KEY, script VARCHAR(1000) NOT NULL,"
        " checksum INT, run_id VARCHAR(40), statements_done INT NOT NULL,"
        " statement_hash VARCHAR(64) NOT NULL, total INT NOT NULL, status VARCHAR(20) NOT NULL,"
        " updated_at VARCHAR(32) NOT NULL)"
    )
    (loc / "V2__t2.sql").write_text("CREATE TABLE t2 (id INT);\n")
    r = _migrate(flywayx, database, loc)
    assert r.code == 0, r.err
    assert _layout(database) == [s.version for s in LAYOUT]
    assert database.query(f"SELECT inflight_hash FROM {PROGRESS}") == []
    assert [row[0] for row in database.query(f"SELECT script FROM {APPLIED} ORDER BY seq")] == [
        "V1__t1.sql",
        "V2__t2.sql",
    ]


def test_a_newer_layout_is_refused(database: ScratchDb, flywayx: Callable[..., Result], tmp_path: Path) -> None:
    loc = _project(tmp_path, 1)
    assert _migrate(flywayx, database, loc).code == 0
    database.execute(f"INSERT INTO {LAYOUT_TABLE} (version, description, applied_at) VALUES (99, 'future', 'x')")
    (loc / "V2__t2.sql").write_text("CREATE TABLE t2 (id INT);\n")
    r = _migrate(flywayx, database, loc)
    assert r.code == 1 and "layout version 99" in r.err and "upgrade flywayx" in r.err
    assert "Traceback" not in r.err and r.err.count("ERROR:") == 1
    assert "t2" not in _tables(database)
