"""The MISSING declaration the importer reads to mark a step partial, checked against the docs
table for every port; and the key-free calls of the 4.3.0 and 4.5.1 ports on a scratch MariaDB, run
twice (their DBEncryptionUtil calls: tests/java_ports/test_java_ports_encryption.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from java_equiv import upgrade_421to430, upgrade_450to451

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "acs-java-steps.md").read_text(encoding="utf-8")


def _sql(conn: Any, sql: str, *args: object) -> Any:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


PARTIAL: tuple[str, ...] = ()
FULL = (
    "Upgrade40to41",
    "Upgrade41000to41100",
    "Upgrade420to421",
    "Upgrade4930to41000",
    "Upgrade430to440",
    "Upgrade410to420",
    "Upgrade421to430",
    "Upgrade442to450",
    "Upgrade450to451",
    "Upgrade41100to41110",
    "Upgrade41810to41900",
    "Upgrade41720to41800",
    "Upgrade41800to41810",
    "Upgrade41120to41200",
    "Upgrade41520to41600",
    "Upgrade41610to41700",
    "Upgrade41700to41710",
    "Upgrade41900to41910",
    "Upgrade41910to42000",
    "Upgrade42000to42010",
    "Upgrade42010to42100",
    "Upgrade42100to42200",
    "Upgrade452to460",
    "Upgrade41400to41500",
)


@pytest.mark.parametrize("step", PARTIAL + FULL)
def test_importer_sees_each_port_as_docs_say(step: str) -> None:
    """The generated V<R>.2 migration calls the port; MISSING makes the importer report it partial."""
    from flywayx_cloudstack.project import _port_status

    assert _port_status(step) == ("partial" if step in PARTIAL else "ported")
    assert ("**partial" if step in PARTIAL else "**ported and tested**") in _row(step)


def _row(step: str) -> str:
    """The status-table row naming ``step`` (4.6.0's row names the subclass and, in brackets, the owner)."""
    return next(line for line in DOCS.splitlines() if line.startswith("| ") and step in line)


def test_421to430_ssvm_offering_memory(mariadb: Any) -> None:
    conn = mariadb.connect()
    _sql(conn, "CREATE TABLE image_store_details (id bigint PRIMARY KEY, name varchar(255), value varchar(255))")
    _sql(conn, "CREATE TABLE service_offering (id bigint PRIMARY KEY, vm_type varchar(32), ram_size int)")
    _sql(
        conn,
        "INSERT INTO service_offering VALUES (4, 'secondarystoragevm', 256), "
        "(8, 'secondarystoragevm', 128), (2, 'consoleproxy', 1024)",
    )
    for _ in range(2):
        upgrade_421to430.migrate(conn, cloud=mariadb.name)
        assert dict(_sql(conn, "SELECT id, ram_size FROM service_offering")) == {4: 512, 8: 128, 2: 1024}


def test_450to451_nic_adapters_and_vmfs_pools(mariadb: Any) -> None:
    conn = mariadb.connect()
    _sql(conn, "CREATE TABLE vm_template (id bigint PRIMARY KEY, hypervisor_type varchar(32))")
    _sql(
        conn,
        "CREATE TABLE vm_template_details (id bigint PRIMARY KEY, template_id bigint, name varchar(255), "
        "value varchar(1024), display tinyint(1))",
    )
    _sql(conn, "CREATE TABLE vm_instance (id bigint PRIMARY KEY, vm_template_id bigint, removed datetime)")
    _sql(
        conn,
        "CREATE TABLE user_vm_details (id bigint AUTO_INCREMENT PRIMARY KEY, vm_id bigint, name varchar(255), "
        "value varchar(1024), display tinyint(1))",
    )
    _sql(conn, "CREATE TABLE cluster (id bigint PRIMARY KEY, hypervisor_type varchar(32))")
    _sql(
        conn,
        "CREATE TABLE storage_pool (id bigint PRIMARY KEY, cluster_id bigint, scope varchar(255), "
        "pool_type varchar(32), path varchar(255), host_address varchar(255))",
    )
    _sql(conn, "CREATE TABLE keystore (id bigint PRIMARY KEY, `key` text)")
    _sql(conn, "CREATE TABLE remote_access_vpn (id bigint PRIMARY KEY, ipsec_psk varchar(256))")
    _sql(conn, "INSERT INTO vm_template VALUES (1, 'VMware'), (2, 'KVM')")
    _sql(
        conn,
        "INSERT INTO vm_template_details VALUES (1, 1, 'nicAdapter', 'Vmxnet3', 1), (2, 2, 'nicAdapter', 'E1000', 1)",
    )
    _sql(conn, "INSERT INTO vm_instance VALUES (10, 1, NULL), (11, 1, NOW()), (12, 2, NULL), (13, 1, NULL)")
    _sql(conn, "INSERT INTO user_vm_details (vm_id, name, value, display) VALUES (13, 'nicAdapter', 'E1000', 1)")
    _sql(conn, "INSERT INTO cluster VALUES (1, 'VMware'), (2, 'KVM')")
    _sql(
        conn,
        "INSERT INTO storage_pool VALUES (1, 1, 'HOST', 'LVM', 'ds1', 'h'), (2, 2, 'HOST', 'LVM', 'p', 'h'), "
        "(3, 1, 'CLUSTER', 'LVM', 'p', 'h'), (4, 1, 'HOST', 'LVM', NULL, 'h')",
    )
    _sql(conn, "ALTER TABLE storage_pool ADD COLUMN user_info varchar(255)")  # all NULL: nothing to encrypt
    for _ in range(2):
        upgrade_450to451.migrate(conn, cloud=mariadb.name)
        assert _sql(conn, "SELECT vm_id, value FROM user_vm_details WHERE name = 'nicAdapter' ORDER BY vm_id") == (
            (10, "Vmxnet3"),
            (13, "E1000"),
        )
        assert _sql(conn, "SELECT id, pool_type, host_address FROM storage_pool ORDER BY id") == (
            (1, "VMFS", "VMFS datastore: ds1"),
            (2, "LVM", "h"),
            (3, "LVM", "h"),
            (4, "LVM", "h"),
        )


def test_docs_summary_counts_match_the_table() -> None:
    table = [line for line in DOCS.splitlines() if line.startswith("| 4.")]
    full = sum("**ported and tested**" in line for line in table)
    partial = sum("**partial" in line for line in table)
    stubs = sum("| stub |" in line for line in table)
    assert len(table) == full + partial + stubs == 26
    assert f"**{full} ported and tested, {partial} partial" in DOCS and f"{stubs} stubs**" in DOCS
