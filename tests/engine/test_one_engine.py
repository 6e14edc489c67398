"""The one engine (``apply/engine.py``): every step source runs through the same loop.

- Flyway's callbacks fire in Flyway's order in plain mode and in ``--to`` mode alike, error events
  included (flyway-semantics.md §5.3, §7);
- a run reads the history once and computes info once, however many migrations it applies (the
  loop used to recompute info per migration: 1,500 migrations took 55 s on SQLite);
- a runner that finds the history changed by another runner re-reads it (the token check).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from flywayx.db.history import SqlHistoryTable
from flywayx.plan import info as info_module
from tests.conftest import CliResult

EVENTS = (
    "beforeMigrate",
    "beforeEachMigrate",
    "afterEachMigrate",
    "afterEachMigrateError",
    "afterVersioned",
    "beforeRepeatables",
    "afterMigrateApplied",
    "afterMigrate",
    "afterMigrateError",
)


def _project(tmp_path: Path, *, failing: bool = False) -> Path:
    loc = tmp_path / "m"
    loc.mkdir()
    for event in EVENTS:
        (loc / f"{event}.sql").write_text(
            "CREATE TABLE IF NOT EXISTS cb_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT);\n"
            f"INSERT INTO cb_log (event) VALUES ('{event}');\n",
            encoding="utf-8",
        )
    (loc / "releases.toml").write_text('[lines]\ndepth = 2\n[release."1.0.0"]\n[release."1.0.1"]\n', encoding="utf-8")
    (loc / "V1.0.0.1__a.sql").write_text("CREATE TABLE a (id INT);\n", encoding="utf-8")
    body = "INSERT INTO no_such_table VALUES (1);\n" if failing else "CREATE TABLE b (id INT);\n"
    (loc / "V1.0.1.1__b.sql").write_text(body, encoding="utf-8")
    (loc / "R__v.sql").write_text("CREATE VIEW IF NOT EXISTS v AS SELECT 1 AS one;\n", encoding="utf-8")
    return loc


def _log(db: Path) -> list[str]:
    with sqlite3.connect(db) as c:
        return [r[0] for r in c.execute("SELECT event FROM cb_log ORDER BY seq")]


@pytest.mark.parametrize("mode", [[], ["--to", "1.0.1"]], ids=["plain", "to-release"])
def test_callbacks_fire_in_flyways_order_in_every_mode(
    mode: list[str], tmp_path: Path, cli_run: Callable[..., CliResult]
) -> None:
    db = tmp_path / "x.db"
    r = cli_run("--url", f"sqlite:///{db}", "--locations", str(_project(tmp_path)), "migrate", *mode)
    assert r.code == 0, r.err
    each = ["beforeEachMigrate", "afterEachMigrate"]
    assert _log(db) == [
        "beforeMigrate",
        *each,
        *each,
        "afterVersioned",
        "beforeRepeatables",
        *each,
        "afterMigrateApplied",
        "afterMigrate",
    ]


@pytest.mark.parametrize("mode", [[], ["--to", "1.0.1"]], ids=["plain", "to-release"])
def test_a_failure_fires_the_error_events(mode: list[str], tmp_path: Path, cli_run: Callable[..., CliResult]) -> None:
    db = tmp_path / "x.db"
    r = cli_run("--url", f"sqlite:///{db}", "--locations", str(_project(tmp_path, failing=True)), "migrate", *mode)
    assert r.code == 1 and "no_such_table" in r.err
    # the failed migration's own beforeEachMigrate rolled back with it (SQLite runs it in its transaction)
    assert _log(db) == [
        "beforeMigrate",
        "beforeEachMigrate",
        "afterEachMigrate",
        "afterEachMigrateError",
        "afterMigrateError",
    ]


@pytest.mark.parametrize("output", ["text", "json"])
def test_an_error_callback_that_fails_itself_is_shown_with_the_error(
    output: str, tmp_path: Path, cli_run: Callable[..., CliResult]
) -> None:
    loc = tmp_path / "m"
    loc.mkdir()
    (loc / "V1__a.sql").write_text("CREATE TABLE a (id INT);\nINSERT INTO nope VALUES (1);\n", encoding="utf-8")
    (loc / "afterMigrateError.sql").write_text("INSERT INTO missing_log VALUES (1);\n", encoding="utf-8")
    (loc / "afterEachMigrateError.sql").write_text("INSERT INTO missing_each VALUES (1);\n", encoding="utf-8")
    r = cli_run(
        "--url",
        f"sqlite:///{tmp_path / 'x.db'}",
        "--locations",
        str(loc),
        "migrate",
        *(["--output-type", "json"] if output == "json" else []),
    )
    assert r.code == 1 and "Traceback" not in r.out + r.err
    if output == "text":
        lines = r.err.strip().splitlines()
        assert lines[0].startswith("ERROR: Migration V1__a.sql failed") and "nope" in lines[0], r.err
        assert lines[1].startswith("hint: ")
        assert lines[2:] == [
            "warning: the afterEachMigrateError callback failed too: no such table: missing_each (error SQLITE_ERROR)",
            "warning: the afterMigrateError callback failed too: no such table: missing_log (error SQLITE_ERROR)",
        ], r.err
    else:
        warnings = json.loads(r.out)["error"]["warnings"]
        assert [w.split(":")[0] for w in warnings] == [
            "the afterEachMigrateError callback failed too",
            "the afterMigrateError callback failed too",
        ], warnings


def test_a_run_reads_the_history_once(
    tmp_path: Path, cli_run: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    loc = tmp_path / "m"
    loc.mkdir()
    for i in range(1, 201):
        (loc / f"V{i}__t{i}.sql").write_text(f"CREATE TABLE t{i} (id INT);\n", encoding="utf-8")
    reads, infos = [0], [0]
    rows, compute = SqlHistoryTable.rows, info_module.compute_info

    def counted_rows(self: SqlHistoryTable, after_rank: int = -1) -> object:
        reads[0] += 1
        return rows(self, after_rank)

    def counted_info(*args: object, **kwargs: object) -> object:
        infos[0] += 1
        return compute(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(SqlHistoryTable, "rows", counted_rows)
    monkeypatch.setattr("flywayx.service.kernel.compute_info", counted_info)
    r = cli_run("--url", f"sqlite:///{tmp_path / 'x.db'}", "--locations", str(loc), "migrate")
    assert r.code == 0, r.err
    assert "Successfully applied 200 migrations" in r.out
    # reads: the source's (empty table), again once prepare created it, verify's state record at the end
    assert reads[0] <= 3 and infos[0] <= 2, (reads, infos)
