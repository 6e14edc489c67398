"""Ports that read the management server's configuration (db.properties, commands.properties) from
CLOUDSTACK_CONF_DIR: Upgrade40to41.updateRegionEntries and Upgrade41000to41100.checkAndEnableDynamicRoles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from java_equiv import upgrade_40to41, upgrade_41000to41100
from java_equiv._mgmt_conf import load_properties


def _sql(conn: Any, sql: str, *args: object) -> Any:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


@pytest.fixture
def conf_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty configuration directory (so the machine's /etc/cloudstack never leaks in)."""
    monkeypatch.setenv("CLOUDSTACK_CONF_DIR", str(tmp_path))
    return tmp_path


def test_properties_are_read_as_java_reads_them() -> None:
    text = (
        "# comment\n! also a comment\n  region.id = 7\nkey:value\nspaced   value with spaces  \n"
        "multi = one, \\\n    two\nescaped\\ key=a\\tb\\u0041\nempty=\n"
    )
    assert load_properties(text) == {
        "region.id": "7",
        "key": "value",
        "spaced": "value with spaces  ",
        "multi": "one, two",
        "escaped key": "a\tbA",
        "empty": "",
    }


def _regions(conn: Any) -> list[int]:
    return [r[0] for r in _sql(conn, "SELECT id FROM region ORDER BY id")]


def _region_table(conn: Any) -> None:
    _sql(conn, "CREATE TABLE region (id int NOT NULL PRIMARY KEY, name varchar(255))")
    _sql(conn, "INSERT INTO region VALUES (1, 'Local')")
    _sql(
        conn,
        "CREATE TABLE firewall_rules (id bigint PRIMARY KEY, purpose varchar(32), ip_address_id bigint, "
        "traffic_type varchar(16))",
    )
    _sql(conn, "CREATE TABLE ntwk_service_map (network_id bigint, service varchar(255), provider varchar(255))")


def test_region_id_comes_from_db_properties(mariadb: Any, conf_dir: Path) -> None:
    conn = mariadb.connect()
    _region_table(conn)
    (conf_dir / "db.properties").write_text("db.cloud.host=localhost\nregion.id=3\n")
    upgrade_40to41.migrate(conn, cloud=mariadb.name)
    assert _regions(conn) == [3]


def test_without_db_properties_the_region_stays_1(mariadb: Any, conf_dir: Path) -> None:
    conn = mariadb.connect()
    _region_table(conn)
    assert upgrade_40to41.update_region_entries(conn, mariadb.name) == 1
    assert _regions(conn) == [1]


def _configuration(conn: Any) -> list[tuple[Any, ...]]:
    return list(_sql(conn, "SELECT category, instance, name, default_value, value FROM configuration"))


def _config_tables(conn: Any) -> None:
    _sql(
        conn,
        "CREATE TABLE configuration (category varchar(255) NOT NULL, instance varchar(255) NOT NULL, "
        "name varchar(255) NOT NULL PRIMARY KEY, default_value varchar(4095), value varchar(4095))",
    )
    _sql(conn, "CREATE TABLE user_vm (id bigint PRIMARY KEY, user_data mediumtext)")


ENABLED = [("Advanced", "DEFAULT", "dynamic.apichecker.enabled", "false", "true")]


@pytest.mark.parametrize("commands", [None, "# no commands left\n"])
def test_dynamic_roles_are_switched_on_without_commands(mariadb: Any, conf_dir: Path, commands: str | None) -> None:
    conn = mariadb.connect()
    _config_tables(conn)
    if commands is not None:
        (conf_dir / "commands.properties").write_text(commands)
    for _ in range(2):  # a re-run leaves one row
        upgrade_41000to41100.migrate(conn, cloud=mariadb.name)
        assert _configuration(conn) == ENABLED


def test_an_existing_false_setting_is_turned_on(mariadb: Any, conf_dir: Path) -> None:
    conn = mariadb.connect()
    _config_tables(conn)
    _sql(
        conn, "INSERT INTO configuration VALUES ('Advanced', 'DEFAULT', 'dynamic.apichecker.enabled', 'false', 'false')"
    )
    assert upgrade_41000to41100.check_and_enable_dynamic_roles(conn, mariadb.name)
    assert _configuration(conn) == ENABLED


def test_a_static_commands_file_keeps_the_static_checker(
    mariadb: Any, conf_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    conn = mariadb.connect()
    _config_tables(conn)
    (conf_dir / "commands.properties").write_text("listVirtualMachines=15\ndeployVirtualMachine=com.cloud.api;15\n")
    assert not upgrade_41000to41100.check_and_enable_dynamic_roles(conn, mariadb.name)
    assert _configuration(conn) == []
    assert "deprecated" in caplog.text
