"""ConfigurationGroupsAggregator (Upgrade41720to41800) on a scratch MariaDB.

``configuration``, ``configuration_group`` and ``configuration_subgroup`` are built from CloudStack's
own scripts (the 4.0 table, 4.3's and 4.18's added columns, 4.18's groups and subgroups), so the
lookups meet the rows and collation they meet in CloudStack right after schema-41720to41800.sql.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest

from java_equiv._configuration_groups import update_configuration_groups


def _sql(conn: Any, sql: str, *args: object) -> Any:
    with conn.cursor() as cur:
        cur.execute(sql, args or None)
        return cur.fetchall()


def _statements(path: Path) -> list[str]:
    text = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in text.split(";") if s.strip()]


def _build_418_configuration(conn: Any, corpus: Path, cloud: str) -> None:
    def aim(statement: str) -> str:
        return statement.replace("`cloud`.", f"`{cloud}`.")

    create = [
        s
        for s in _statements(corpus / "setup" / "db" / "create-schema.sql")
        if s.startswith("CREATE TABLE  `cloud`.`configuration` (")
    ]
    added_430 = [
        s
        for s in _statements(corpus / "META-INF" / "db" / "schema-421to430.sql")
        if s.startswith("ALTER TABLE `cloud`.`configuration` ADD COLUMN")
    ]
    script_418 = _statements(corpus / "META-INF" / "db" / "schema-41720to41800.sql")
    assert len(create) == 1 and len(added_430) == 4
    for statement in create + added_430:
        _sql(conn, aim(statement))
    for statement in script_418:  # IDEMPOTENT_ADD_COLUMN is a stored procedure: same ALTER by hand
        call = re.match(
            r"CALL `cloud`\.`IDEMPOTENT_ADD_COLUMN`\('cloud\.configuration', '(\w+)', '(.*)'\)$", statement, re.S
        )
        if call:
            _sql(conn, f"ALTER TABLE `{cloud}`.`configuration` ADD COLUMN `{call[1]}` {call[2]}")
    for statement in script_418:
        if re.search(r"`configuration_(sub)?group`", statement):
            _sql(conn, aim(statement))


# name -> (group, subgroup) a user sees in the UI afterwards, and why
EXPECTED = {
    "network.throttling.rate": ("Network", "Network"),  # a subgroup's name, any case
    "vm.instancename.flag": ("Compute", "Virtual Machine"),  # a keyword
    "account.cleanup.interval": ("Access", "Account"),  # the first word decides ('interval' is Limits)
    "expunge.interval": ("Management Server", "Limits"),  # else a later word
    "router.template.kvm": ("System VMs", "VirtualRouter"),
    "vmsnapshot.max": ("Storage", "VM Snapshot"),  # an equal keyword beats Virtual Machine's 'vm' prefix
    "templates.download.timeout": ("Storage", "Images"),  # 'templates' starts with keyword 'template'
    "XCP.pool.sync": ("Hypervisor", "XenServer"),  # keyword 'XCP', case ignored
    "storage.cleanup.enabled": ("Infrastructure", "Primary Storage"),
    "host.stats.interval": ("Hypervisor", "Hypervisor"),
    "kv_.wildcard": ("Hypervisor", "KVM"),  # the word is a LIKE pattern: '_' matches the M of KVM
    # matched to group Miscellaneous (id 1): the Java writes nothing, the row keeps Others
    "backup.framework.enabled": ("Miscellaneous", "Others"),
    "quota.usage.smtp.host": ("Miscellaneous", "Others"),  # 'quota' names a subgroup of group 1; stops there
    "ca.framework.provider.plugin": ("Miscellaneous", "Others"),
    "unheard.of.setting": ("Miscellaneous", "Others"),  # no word matches
    "task.handler.threads": ("Compute", "High Availability"),  # 'handler' starts with keyword 'ha'
    "moved.by.user": ("Compute", "Kubernetes"),  # no match: what it had is kept
}


def _groups(conn: Any, cloud: str) -> dict[str, tuple[str, str]]:
    found = _sql(
        conn,
        f"SELECT c.name, g.name, s.name FROM `{cloud}`.configuration c "
        f"JOIN `{cloud}`.configuration_group g ON g.id = c.group_id "
        f"JOIN `{cloud}`.configuration_subgroup s ON s.id = c.subgroup_id",
    )
    return {name: (group, subgroup) for name, group, subgroup in found}


@pytest.fixture
def cloud(mariadb: Any, acs_corpus: Path) -> tuple[Any, str]:
    conn = mariadb.connect()
    _build_418_configuration(conn, acs_corpus, mariadb.name)
    for name in EXPECTED:
        _sql(
            conn,
            "INSERT INTO configuration (category, instance, name, value) VALUES ('Advanced', 'DEFAULT', %s, '1')",
            name,
        )
    _sql(
        conn,
        "UPDATE configuration SET group_id = (SELECT id FROM configuration_group WHERE name = 'Compute'), "
        "subgroup_id = (SELECT id FROM configuration_subgroup WHERE name = 'Kubernetes') "
        "WHERE name = 'moved.by.user'",
    )
    _sql(conn, "USE information_schema")  # the port must name the schema itself
    return conn, mariadb.name


def test_settings_are_filed_by_the_words_of_their_names(cloud: tuple[Any, str]) -> None:
    conn, db = cloud
    values = _sql(conn, f"SELECT name, value, category, description FROM `{db}`.configuration ORDER BY name")
    for _ in range(2):  # a re-run files them the same way
        update_configuration_groups(conn, cloud=db)
        assert _groups(conn, db) == EXPECTED
    assert _sql(conn, f"SELECT name, value, category, description FROM `{db}`.configuration ORDER BY name") == values


def test_a_setting_that_cannot_be_updated_is_logged_and_the_rest_filed(
    cloud: tuple[Any, str], caplog: pytest.LogCaptureFixture
) -> None:
    conn, db = cloud
    _sql(
        conn,
        f"CREATE TRIGGER `{db}`.refuse BEFORE UPDATE ON `{db}`.configuration FOR EACH ROW BEGIN "
        "IF NEW.name = 'vm.instancename.flag' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused'; "
        "END IF; END",
    )
    with caplog.at_level(logging.ERROR, logger="flywayx.acs.41720to41800.config_groups"):
        update_configuration_groups(conn, cloud=db)
    assert _groups(conn, db) == {**EXPECTED, "vm.instancename.flag": ("Miscellaneous", "Others")}
    assert [r.getMessage() for r in caplog.records if "vm.instancename.flag" in r.getMessage()] != []


def test_a_configuration_table_without_groups_fails_the_step(mariadb: Any) -> None:
    conn = mariadb.connect()
    _sql(conn, "CREATE TABLE configuration (name varchar(255) PRIMARY KEY, value varchar(4095))")
    _sql(conn, "INSERT INTO configuration VALUES ('vm.instancename.flag', 'true')")
    with pytest.raises(Exception, match="group_id"):
        update_configuration_groups(conn, cloud=mariadb.name)
