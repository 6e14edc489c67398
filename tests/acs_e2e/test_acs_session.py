"""CloudStack's upgrade session: the imported project runs with db.properties' sql_mode and time zone.

The oracle is the server itself: ``information_schema.ROUTINES.SQL_MODE`` records the session's
``sql_mode`` when each procedure was created, and ``@@session`` reads what a migration saw.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.acs_e2e.conftest import CloudPair
from tests.acs_e2e.java_fixture import SQL_MODE

pytestmark = [pytest.mark.mariadb, pytest.mark.acs]

OPERATOR_MODE = "STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION"


def _routine_modes(pair: CloudPair) -> dict[str, str]:
    conn: Any = pair.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT CONCAT(ROUTINE_SCHEMA, '.', ROUTINE_NAME), SQL_MODE FROM information_schema.ROUTINES "
                "WHERE ROUTINE_SCHEMA IN ('cloud', 'cloud_usage')"
            )
            return {str(name): str(mode) for name, mode in cur.fetchall()}
    finally:
        conn.close()


def _server_default_mode(pair: CloudPair) -> str:
    conn: Any = pair.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT @@GLOBAL.sql_mode")
            return str(cur.fetchone()[0])
    finally:
        conn.close()


def test_procedures_are_stored_with_cloudstacks_sql_mode(
    acs_tree: tuple[Path, Path], cloud_pair: CloudPair, flywayx: Any
) -> None:
    _, project = acs_tree
    result = flywayx("--url", cloud_pair.url, "--working-directory", str(project), "migrate", "--to", "4.0.0")
    assert result.code == 0, result.out + result.err
    modes = _routine_modes(cloud_pair)
    assert len(modes) >= 16  # procedures/ holds 16 files; beforeMigrate.sql created them all
    assert set(modes.values()) == {SQL_MODE}, modes
    assert _server_default_mode(cloud_pair) != SQL_MODE  # the session made the difference, not the server


def test_the_operators_db_properties_wins(
    acs_tree: tuple[Path, Path], cloud_pair: CloudPair, flywayx: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, project = acs_tree
    (tmp_path / "db.properties").write_text(
        "# /etc/cloudstack/management/db.properties of an operator\n"
        f"db.cloud.url.params=sessionVariables=sql_mode='{OPERATOR_MODE}'&serverTimezone=UTC\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("CLOUDSTACK_CONF_DIR", str(tmp_path))
    result = flywayx("--url", cloud_pair.url, "--working-directory", str(project), "migrate", "--to", "4.0.0")
    assert result.code == 0, result.out + result.err
    modes = _routine_modes(cloud_pair)
    assert modes and set(modes.values()) == {OPERATOR_MODE}, modes


def test_an_explicit_init_sql_is_left_alone(
    acs_tree: tuple[Path, Path], cloud_pair: CloudPair, flywayx: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, project = acs_tree
    monkeypatch.setenv("CLOUDSTACK_CONF_DIR", str(tmp_path / "absent"))  # would fail if it were read
    result = flywayx(
        "--url",
        cloud_pair.url,
        "--working-directory",
        str(project),
        "-initSql=SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'",
        "migrate",
        "--to",
        "4.0.0",
    )
    assert result.code == 0, result.out + result.err
    assert set(_routine_modes(cloud_pair).values()) == {"NO_ENGINE_SUBSTITUTION"}


def test_an_unreadable_conf_dir_is_one_error_line(
    acs_tree: tuple[Path, Path], flywayx: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, project = acs_tree
    monkeypatch.setenv("CLOUDSTACK_CONF_DIR", str(tmp_path / "nowhere"))
    result = flywayx("--url", "mysql://nobody@127.0.0.1:1/", "--working-directory", str(project), "info")
    assert result.code != 0
    assert "ERROR: CLOUDSTACK_CONF_DIR is set but" in result.err and "hint:" in result.err
    assert "Traceback" not in result.err
