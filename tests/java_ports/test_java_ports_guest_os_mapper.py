"""GuestOsMapper.copyGuestOSHypervisorMappings (Upgrade41800to41810.copyGuestOsMappingsToVMware80u1) and the
small rules the mapper's DAO lookups follow (VMware parent versions, hypervisor type names).
The 4.18.0.0/4.18.1.0 guest OS work is in test_java_ports_guest_os_418.py."""

from __future__ import annotations

from typing import Any

import pytest

from java_equiv._guest_os_mapper import copy_guest_os_hypervisor_mappings, hypervisor_type_name, vmware_parent_version

DDL = (
    "CREATE TABLE guest_os_hypervisor (id bigint AUTO_INCREMENT PRIMARY KEY, uuid varchar(40), "
    "hypervisor_type varchar(32), hypervisor_version varchar(32), guest_os_name varchar(255), "
    "guest_os_id bigint, created datetime, removed datetime, is_user_defined tinyint(1) DEFAULT 0)"
)


def _sql(conn: Any, sql: str, *args: object) -> Any:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def _seed(conn: Any) -> None:
    _sql(conn, DDL)
    _sql(
        conn,
        "INSERT INTO guest_os_hypervisor (uuid, hypervisor_type, hypervisor_version, guest_os_name, "
        "guest_os_id, removed, is_user_defined) VALUES "
        "('a', 'VMware', '8.0', 'almalinux_64Guest', 1, NULL, 0), "
        "('b', 'VMware', '8.0', 'rhel9_64Guest', 2, NOW(), 1), "  # removed rows are copied too
        "('c', 'VMware', '8.0', '', 3, NULL, 0), "  # blank name: invalid, skipped
        "('d', 'VMware', '7.0', 'ubuntu64Guest', 4, NULL, 0), "
        "('e', 'KVM', '8.0', 'Ubuntu', 5, NULL, 0)",
    )


def _copies(conn: Any) -> list[tuple[Any, ...]]:
    return list(
        _sql(
            conn,
            "SELECT guest_os_id, guest_os_name, hypervisor_type, is_user_defined, removed, "
            "created IS NOT NULL, CHAR_LENGTH(uuid) FROM guest_os_hypervisor "
            "WHERE hypervisor_version = '8.0.1' ORDER BY id",
        )
    )


def test_copy_vmware_80_to_801_copies_every_listed_mapping(mariadb: Any) -> None:
    conn = mariadb.connect()
    _seed(conn)
    copy_guest_os_hypervisor_mappings(conn, "VMware", "8.0", "8.0.1", cloud=mariadb.name)
    expected = [(1, "almalinux_64Guest", "VMware", 0, None, 1, 36), (2, "rhel9_64Guest", "VMware", 0, None, 1, 36)]
    assert _copies(conn) == expected
    uuids = _sql(conn, "SELECT COUNT(DISTINCT uuid) FROM guest_os_hypervisor")[0][0]
    assert uuids == 7
    # like the Java, a second run inserts the copies again
    copy_guest_os_hypervisor_mappings(conn, "VMware", "8.0", "8.0.1", cloud=mariadb.name)
    assert _copies(conn) == expected * 2


def test_copy_refuses_invalid_input_and_empty_sources(mariadb: Any) -> None:
    conn = mariadb.connect()
    _seed(conn)
    assert not copy_guest_os_hypervisor_mappings(conn, "Any", "8.0", "8.0.1", cloud=mariadb.name)
    assert not copy_guest_os_hypervisor_mappings(conn, "VMware", " ", "8.0.1", cloud=mariadb.name)
    assert not copy_guest_os_hypervisor_mappings(conn, "VMware", "6.0", "8.0.1", cloud=mariadb.name)
    assert _copies(conn) == []


def test_copies_are_stamped_in_utc_as_the_dao_does(mariadb: Any) -> None:
    conn = mariadb.connect()
    _seed(conn)
    _sql(conn, "SET time_zone = '+05:00'")  # the DAO writes new Date() formatted in GMT, whatever the session says
    copy_guest_os_hypervisor_mappings(conn, "VMware", "8.0", "8.0.1", cloud=mariadb.name)
    skew = _sql(
        conn,
        "SELECT MAX(ABS(TIMESTAMPDIFF(SECOND, created, UTC_TIMESTAMP()))) FROM guest_os_hypervisor "
        "WHERE hypervisor_version = '8.0.1'",
    )[0][0]
    assert skew < 60


# CloudStackVersionTest.testGetParentVersion's cases, plus a suffix and a non-version
@pytest.mark.parametrize(
    ("version", "parent"),
    [
        (None, None),
        ("6.5", None),
        ("6.7.3", "6.7.3"),
        ("7.0.3.0", "7.0.3"),
        ("8.0", None),
        ("8.0.0", "8.0"),
        ("8.0.0.2", "8.0"),
        ("8.0.1.0", "8.0.1"),
        ("8.0.1-u2", "8.0.1"),
        ("default", None),
    ],
)
def test_vmware_parent_version(version: str | None, parent: str | None) -> None:
    assert vmware_parent_version(version) == parent


def test_hypervisor_type_names_as_the_java_reads_them() -> None:
    got = [hypervisor_type_name(t) for t in ("Xenserver", "kvm", "VMware", "parallels", "Parralels", "Foo", None)]
    assert got == ["XenServer", "KVM", "VMware", "Parralels", "None", "None", "None"]
