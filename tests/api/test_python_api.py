"""The Python API (flywayx.api): the same results the CLI shows, typed errors, no driver at import."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import flywayx
from flywayx.errors import ConfigError, FlywayxError, ValidationError
from flywayx.model.info import State


def _project(tmp_path: Path) -> Path:
    sql = tmp_path / "sql"
    sql.mkdir()
    (sql / "V1__create_t.sql").write_text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);\n")
    (sql / "V2__seed.sql").write_text("INSERT INTO t (name) VALUES ('${tenant}');\n")
    return sql


def test_migrate_applies_and_returns_the_report(tmp_path: Path) -> None:
    _project(tmp_path)
    db = tmp_path / "app.db"
    report = flywayx.migrate(
        url=f"sqlite:///{db}", locations=[tmp_path / "sql"], placeholders={"tenant": "acme"}, cwd=tmp_path
    )
    assert [a.migration.version.text for a in report.applied if a.migration.version] == ["1", "2"]
    assert report.target_version == "2"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT name FROM t").fetchall() == [("acme",)]
        rows = conn.execute("SELECT version, success FROM flyway_schema_history ORDER BY installed_rank").fetchall()
    assert rows == [("1", 1), ("2", 1)]
    again = flywayx.migrate(
        url=f"sqlite:///{db}", locations=str(tmp_path / "sql"), placeholders={"tenant": "acme"}, cwd=tmp_path
    )
    assert again.applied == []


def test_info_reports_states_without_changing_anything(tmp_path: Path) -> None:
    _project(tmp_path)
    url = f"sqlite:///{tmp_path / 'app.db'}"
    flywayx.migrate(url=url, locations=[tmp_path / "sql"], target="1", placeholders={"tenant": "x"}, cwd=tmp_path)
    report = flywayx.info(url=url, locations=[tmp_path / "sql"], placeholders={"tenant": "x"}, cwd=tmp_path)
    states = {m.version.text: m.state for m in report.migrations if m.version is not None}
    assert states == {"1": State.SUCCESS, "2": State.PENDING}
    assert report.schema_version == "1"


def test_snake_case_keys_are_flyway_keys(tmp_path: Path) -> None:
    cfg = flywayx.api.config(url="sqlite:///x.db", locations=["a", "b"], out_of_order=True, table="hist", cwd=tmp_path)
    assert cfg.out_of_order is True
    assert cfg.table == "hist"
    assert len(cfg.locations) == 2
    assert [str(loc).rstrip("/").rsplit("/", 1)[-1] for loc in cfg.locations] == ["a", "b"]


def test_validate_raises_on_an_edited_migration_and_can_return_the_report(tmp_path: Path) -> None:
    sql = _project(tmp_path)
    url = f"sqlite:///{tmp_path / 'app.db'}"
    keys = {"placeholders": {"tenant": "x"}, "cwd": tmp_path}
    flywayx.migrate(url=url, locations=[sql], **keys)
    assert flywayx.validate(url=url, locations=[sql], **keys).successful
    (sql / "V1__create_t.sql").write_text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, x INT);\n")
    with pytest.raises(ValidationError) as err:
        flywayx.validate(url=url, locations=[sql], **keys)
    assert "checksum mismatch" in err.value.message.lower()
    report = flywayx.validate(url=url, locations=[sql], raise_on_error=False, **keys)
    assert not report.successful
    assert [i.version for i in report.invalid] == ["1"]


def test_errors_are_typed_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        flywayx.api.config(url="sqlite:///x.db", cwd=tmp_path, noSuchKey="1")
    with pytest.raises(FlywayxError) as err:
        flywayx.migrate(url="nosuchdb://host/x", locations=[tmp_path], cwd=tmp_path)
    assert err.value.exit_code != 0


def test_progress_events_reach_the_callback(tmp_path: Path) -> None:
    _project(tmp_path)
    events: list[str] = []
    flywayx.migrate(
        url=f"sqlite:///{tmp_path / 'app.db'}",
        locations=[tmp_path / "sql"],
        cwd=tmp_path,
        placeholders={"tenant": "x"},
        on_event=lambda event, _data: events.append(event),
    )
    assert events.count("migration.done") == 2


def test_import_flywayx_loads_no_driver_and_no_click() -> None:
    code = (
        "import sys, flywayx; bad = [m for m in ('click', 'pymysql', 'psycopg', 'sqlite3', 'flywayx.api') "
        "if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        _ = flywayx.no_such_function
