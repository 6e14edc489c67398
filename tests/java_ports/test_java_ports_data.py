"""Data-migration ports, each run twice on a scratch MariaDB holding just the tables it touches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from java_equiv import upgrade_42010to42100


def _sql(conn: Any, sql: str, *args: object) -> Any:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


@pytest.fixture
def elsewhere(mariadb: Any) -> Iterator[Callable[[Any], None]]:
    """Make another, empty schema the connection's default: the ports must name ``cloud``
    themselves (CloudStack's emulation in tests/acs_e2e calls them without a default schema)."""
    other = mariadb.name + "_x"
    admin = mariadb.connect()
    _sql(admin, f"CREATE DATABASE `{other}`")
    try:
        yield lambda conn: _sql(conn, f"USE `{other}`")
    finally:
        _sql(admin, f"DROP DATABASE `{other}`")


def test_42010to42100_node_versions_and_scope_bitmask(mariadb: Any, elsewhere: Callable[[Any], None]) -> None:
    conn = mariadb.connect()
    _sql(conn, "CREATE TABLE kubernetes_supported_version (id bigint PRIMARY KEY, semantic_version varchar(32))")
    _sql(
        conn, "CREATE TABLE kubernetes_cluster (id bigint PRIMARY KEY, kubernetes_version_id bigint, removed datetime)"
    )
    _sql(
        conn,
        "CREATE TABLE kubernetes_cluster_vm_map (id bigint PRIMARY KEY, cluster_id bigint, "
        "kubernetes_node_version varchar(40))",
    )
    _sql(conn, "INSERT INTO kubernetes_supported_version VALUES (1, '1.28.4'), (2, '1.30.0')")
    _sql(conn, "INSERT INTO kubernetes_cluster VALUES (10, 1, NULL), (11, 2, NULL), (12, 2, NOW())")
    _sql(
        conn, "INSERT INTO kubernetes_cluster_vm_map VALUES (1, 10, NULL), (2, 10, NULL), (3, 11, NULL), (4, 12, NULL)"
    )
    _sql(conn, "CREATE TABLE configuration (name varchar(255) PRIMARY KEY, scope varchar(255), value text)")
    _sql(
        conn,
        "INSERT INTO configuration (name, scope) VALUES ('a', 'Global'), ('b', 'zone'), ('c', 'Account'), "
        "('d', 'ManagementServer'), ('e', 'Nonsense'), ('f', NULL)",
    )
    elsewhere(conn)
    db = mariadb.name
    for _ in range(2):
        upgrade_42010to42100.migrate(conn, cloud=mariadb.name)
        nodes = dict(_sql(conn, f"SELECT id, kubernetes_node_version FROM `{db}`.kubernetes_cluster_vm_map"))
        assert nodes == {1: "1.28.4", 2: "1.28.4", 3: "1.30.0", 4: None}  # removed cluster untouched
        scopes = dict(_sql(conn, f"SELECT name, scope FROM `{db}`.configuration"))
        assert scopes == {"a": 1, "b": 2, "c": 128, "d": 16, "e": 0, "f": 0}
    column = _sql(
        conn,
        "SELECT column_type, is_nullable, column_default, column_comment, ordinal_position "
        "FROM information_schema.columns WHERE table_schema=%s AND table_name='configuration' "
        "AND column_name='scope'",
        mariadb.name,
    )
    assert column == (("bigint(20)", "NO", "0", "Bitmask for scope(s) of this parameter", 3),)


def _charset(conn: Any, schema: str) -> Any:
    return _sql(
        conn,
        "SELECT character_set_name, column_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema=%s AND table_name='affinity_group' AND column_name='name'",
        schema,
    )


def test_41910to42000_affinity_group_name_to_utf8mb4(mariadb: Any) -> None:
    from java_equiv import upgrade_41910to42000

    conn = mariadb.connect()
    _sql(conn, "CREATE TABLE affinity_group (id bigint PRIMARY KEY, name varchar(255) CHARACTER SET utf8mb3 NOT NULL)")
    _sql(conn, "INSERT INTO affinity_group VALUES (1, 'web'), (2, %s)", "x" * 191)
    for _ in range(2):
        upgrade_41910to42000.migrate(conn, cloud=mariadb.name)
        assert _charset(conn, mariadb.name) == (("utf8mb4", "varchar(191)", "NO"),)
    assert _sql(conn, "SELECT name FROM affinity_group WHERE id = 1") == (("web",),)


def test_41910to42000_leaves_long_names_alone(mariadb: Any) -> None:
    from java_equiv import upgrade_41910to42000

    conn = mariadb.connect()
    _sql(conn, "CREATE TABLE affinity_group (id bigint PRIMARY KEY, name varchar(255) CHARACTER SET utf8mb3 NOT NULL)")
    _sql(conn, "INSERT INTO affinity_group VALUES (1, %s)", "x" * 192)
    upgrade_41910to42000.migrate(conn, cloud=mariadb.name)
    assert _charset(conn, mariadb.name) == (("utf8mb3", "varchar(255)", "NO"),)


def test_42100to42200_owners_from_volume_and_vm(mariadb: Any, elsewhere: Callable[[Any], None]) -> None:
    from java_equiv import upgrade_42100to42200

    conn = mariadb.connect()
    for table in ("volumes", "vm_instance"):
        _sql(conn, f"CREATE TABLE {table} (id bigint PRIMARY KEY, account_id bigint, domain_id bigint)")
    _sql(conn, "INSERT INTO volumes VALUES (1, 5, 50), (2, 6, 60)")
    _sql(conn, "INSERT INTO vm_instance VALUES (7, 8, 80)")
    _sql(
        conn,
        "CREATE TABLE snapshot_policy (id bigint PRIMARY KEY, volume_id bigint, account_id bigint, domain_id bigint)",
    )
    _sql(
        conn, "CREATE TABLE backup_schedule (id bigint PRIMARY KEY, vm_id bigint, account_id bigint, domain_id bigint)"
    )
    _sql(conn, "INSERT INTO snapshot_policy VALUES (1, 1, NULL, NULL), (2, 2, 99, NULL), (3, 42, NULL, NULL)")
    _sql(conn, "INSERT INTO backup_schedule VALUES (1, 7, NULL, NULL)")
    elsewhere(conn)
    db = mariadb.name
    for _ in range(2):
        upgrade_42100to42200.migrate(conn, cloud=mariadb.name)
        assert _sql(conn, f"SELECT id, account_id, domain_id FROM `{db}`.snapshot_policy ORDER BY id") == (
            (1, 5, 50),
            (2, 99, None),
            (3, None, None),
        )  # already owned in part: untouched; no volume: untouched
        assert _sql(conn, f"SELECT id, account_id, domain_id FROM `{db}`.backup_schedule") == ((1, 8, 80),)


def test_41120to41200_new_uuid_per_management_server(mariadb: Any) -> None:
    from java_equiv import upgrade_41120to41200

    conn = mariadb.connect()
    _sql(conn, "CREATE TABLE mshost (id bigint PRIMARY KEY, uuid varchar(40))")
    _sql(conn, "INSERT INTO mshost VALUES (1, NULL), (2, 'old')")
    upgrade_41120to41200.migrate(conn, cloud=mariadb.name)
    first = dict(_sql(conn, "SELECT id, uuid FROM mshost"))
    assert len(set(first.values())) == 2 and all(len(u) == 36 for u in first.values())
    upgrade_41120to41200.migrate(conn, cloud=mariadb.name)  # as in the Java: new UUIDs again
    second = dict(_sql(conn, "SELECT id, uuid FROM mshost"))
    assert all(second[k] != first[k] and len(second[k]) == 36 for k in first)


def test_41520to41600_first_keypair_uuid_and_annotation_rules(mariadb: Any) -> None:
    from java_equiv import upgrade_41520to41600

    conn = mariadb.connect()
    _sql(conn, "CREATE TABLE ssh_keypairs (id bigint PRIMARY KEY, uuid varchar(40))")
    _sql(conn, "INSERT INTO ssh_keypairs VALUES (3, NULL), (1, 'kept'), (2, NULL)")
    _sql(
        conn,
        "CREATE TABLE role_permissions (id bigint AUTO_INCREMENT PRIMARY KEY, uuid varchar(40), "
        "role_id bigint, rule varchar(255), permission varchar(255), sort_order int DEFAULT 0, "
        "UNIQUE KEY (role_id, rule))",
    )
    _sql(
        conn, "INSERT INTO role_permissions (uuid, role_id, rule, permission) VALUES ('u', 4, 'addAnnotation', 'DENY')"
    )
    upgrade_41520to41600.migrate(conn, cloud=mariadb.name)
    keys = dict(_sql(conn, "SELECT id, uuid FROM ssh_keypairs"))
    assert keys[1] == "kept" and keys[3] is None and len(keys[2]) == 36  # only the first one, as the Java
    upgrade_41520to41600.migrate(conn, cloud=mariadb.name)
    assert all(v is not None for v in dict(_sql(conn, "SELECT id, uuid FROM ssh_keypairs")).values())
    perms = _sql(conn, "SELECT role_id, rule, permission FROM role_permissions ORDER BY role_id, rule")
    expected = {
        (r, rule, "ALLOW") for r in (2, 3, 4) for rule in ("listAnnotations", "addAnnotation", "removeAnnotation")
    }
    expected = (expected - {(4, "addAnnotation", "ALLOW")}) | {(4, "addAnnotation", "DENY")}
    assert set(perms) == expected and len(perms) == 9


def test_41610to41700_dashes_datastore_cluster_uuids(mariadb: Any) -> None:
    from java_equiv import upgrade_41610to41700

    conn = mariadb.connect()
    _sql(
        conn,
        "CREATE TABLE storage_pool (id bigint PRIMARY KEY, uuid varchar(255), removed datetime, pool_type varchar(32))",
    )
    raw = "0123456789abcdeffedcba9876543210"
    _sql(
        conn,
        "INSERT INTO storage_pool VALUES (1, %s, NULL, 'DatastoreCluster'), (2, %s, NOW(), "
        "'DatastoreCluster'), (3, %s, NULL, 'NetworkFilesystem'), "
        "(4, '11111111-2222-3333-4444-555555555555', NULL, 'DatastoreCluster')",
        raw,
        raw,
        raw,
    )
    for _ in range(2):
        upgrade_41610to41700.migrate(conn, cloud=mariadb.name)
        assert dict(_sql(conn, "SELECT id, uuid FROM storage_pool")) == {
            1: "01234567-89ab-cdef-fedc-ba9876543210",
            2: raw,
            3: raw,
            4: "11111111-2222-3333-4444-555555555555",
        }


def test_41610to41700_long_tail_is_cut_to_64_bits() -> None:
    from java_equiv.upgrade_41610to41700 import dashed_uuid

    assert dashed_uuid("00000000000000ff1" + "0" * 16) == "00000000-0000-00ff-0000-000000000000"


def test_41700to41710_storpool_pool_and_volume_types(mariadb: Any) -> None:
    from java_equiv import upgrade_41700to41710

    conn = mariadb.connect()
    _sql(
        conn,
        "CREATE TABLE storage_pool (id bigint PRIMARY KEY, storage_provider_name varchar(255), "
        "pool_type varchar(32), removed datetime)",
    )
    _sql(
        conn,
        "INSERT INTO storage_pool VALUES (1, 'StorPool', 'SharedMountPoint', NULL), "
        "(2, 'StorPool', 'SharedMountPoint', NOW()), (3, 'DefaultPrimary', 'SharedMountPoint', NULL)",
    )
    _sql(conn, "CREATE TABLE volumes (id bigint PRIMARY KEY, pool_id bigint, pool_type varchar(32))")
    _sql(
        conn,
        "INSERT INTO volumes VALUES (10, 1, 'SharedMountPoint'), (11, 2, 'SharedMountPoint'), "
        "(12, 3, 'SharedMountPoint'), (13, NULL, NULL)",
    )
    for _ in range(2):
        upgrade_41700to41710.migrate(conn, cloud=mariadb.name)
        assert dict(_sql(conn, "SELECT id, pool_type FROM storage_pool")) == {
            1: "StorPool",
            2: "StorPool",
            3: "SharedMountPoint",
        }
        assert dict(_sql(conn, "SELECT id, pool_type FROM volumes")) == {
            10: "StorPool",
            11: "SharedMountPoint",
            12: "SharedMountPoint",
            13: None,
        }


def test_41000to41100_user_data_canonical_base64_or_null(mariadb: Any) -> None:
    from java_equiv import upgrade_41000to41100

    conn = mariadb.connect()
    _sql(conn, "CREATE TABLE user_vm (id bigint PRIMARY KEY, user_data mediumtext)")
    _sql(
        conn,
        "INSERT INTO user_vm VALUES (1, 'aGVsbG8='), (2, 'aGVsbG8'), (3, 'aGVs\nbG8='), (4, 'not base64!'), "
        "(5, '_-8='), (6, NULL), (7, ''), (8, 'QR==')",
    )
    for _ in range(2):
        upgrade_41000to41100.migrate(conn, cloud=mariadb.name)
        assert dict(_sql(conn, "SELECT id, user_data FROM user_vm")) == {
            1: "aGVsbG8=",  # already canonical: untouched
            2: "aGVsbG8=",  # padding added
            3: "aGVsbG8=",  # whitespace dropped
            4: None,  # not base64: NULL, as the Java
            5: "/+8=",  # URL-safe letters become the standard alphabet
            6: None,
            7: "",
            8: "QQ==",  # leftover bits dropped by the lenient decoder
        }


def test_40to41_ingress_types_and_default_egress_rule(mariadb: Any) -> None:
    from java_equiv import upgrade_40to41

    conn = mariadb.connect()
    _sql(
        conn,
        "CREATE TABLE firewall_rules (id bigint AUTO_INCREMENT PRIMARY KEY, uuid varchar(40), state char(32), "
        "protocol char(16), purpose char(32), account_id bigint, domain_id bigint, network_id bigint, "
        "xid char(40), created datetime, traffic_type char(32), ip_address_id bigint)",
    )
    _sql(
        conn,
        "CREATE TABLE firewall_rules_cidrs (id bigint AUTO_INCREMENT PRIMARY KEY, firewall_rule_id bigint, "
        "source_cidr varchar(18))",
    )
    _sql(conn, "CREATE TABLE ntwk_service_map (network_id bigint, service varchar(255), provider varchar(255))")
    _sql(conn, "CREATE TABLE region (id int PRIMARY KEY)")  # updateRegionEntries (test_java_ports_mgmt_conf.py)
    _sql(
        conn,
        "CREATE TABLE networks (id bigint PRIMARY KEY, account_id bigint, domain_id bigint, "
        "guest_type char(32), traffic_type varchar(32), vpc_id bigint, state varchar(32))",
    )
    _sql(
        conn,
        "INSERT INTO firewall_rules (protocol, purpose, ip_address_id, traffic_type) VALUES "
        "('tcp', 'Firewall', 9, NULL), ('tcp', 'PortForwarding', 9, NULL)",
    )
    _sql(
        conn,
        "INSERT INTO networks VALUES (100, 2, 1, 'Isolated', 'Guest', NULL, 'Implemented'), "
        "(101, 3, 1, 'Isolated', 'Guest', 7, 'Implemented'), (102, 4, 1, 'Shared', 'Guest', NULL, 'Shutdown')",
    )
    _sql(
        conn,
        "INSERT INTO ntwk_service_map VALUES (100, 'Firewall', 'VirtualRouter'), "
        "(101, 'Firewall', 'VirtualRouter'), (102, 'Firewall', 'VirtualRouter'), (100, 'Dns', 'VirtualRouter')",
    )
    upgrade_40to41.migrate(conn, cloud=mariadb.name)
    assert _sql(conn, "SELECT purpose, traffic_type FROM firewall_rules WHERE ip_address_id = 9 ORDER BY id") == (
        ("Firewall", "Ingress"),
        ("PortForwarding", None),
    )
    egress = _sql(
        conn,
        "SELECT id, state, protocol, account_id, domain_id, network_id FROM firewall_rules "
        "WHERE traffic_type = 'Egress'",
    )
    assert [r[1:] for r in egress] == [("Active", "all", 2, 1, 100)]  # VPC and shared networks skipped
    cidrs = _sql(conn, "SELECT firewall_rule_id, source_cidr FROM firewall_rules_cidrs")
    assert cidrs == ((egress[0][0], "0.0.0.0/0"),)
    upgrade_40to41.migrate(conn, cloud=mariadb.name)  # not idempotent, as the Java: one more rule, CIDR on the first
    assert _sql(conn, "SELECT COUNT(*) FROM firewall_rules WHERE traffic_type = 'Egress'") == ((2,),)
    assert _sql(conn, "SELECT firewall_rule_id FROM firewall_rules_cidrs") == ((egress[0][0],), (egress[0][0],))


def _tables_430(conn: Any) -> None:
    _sql(
        conn,
        "CREATE TABLE nic_secondary_ips (id bigint PRIMARY KEY, vmId bigint, network_id bigint, "
        "account_id bigint, domain_id bigint, ip4_address char(40))",
    )
    _sql(conn, "CREATE TABLE vm_instance (id bigint PRIMARY KEY, account_id bigint, domain_id bigint)")
    _sql(conn, "CREATE TABLE networks (id bigint PRIMARY KEY, guest_type char(32))")
    _sql(
        conn,
        "CREATE TABLE user_ip_address (id bigint PRIMARY KEY, public_ip_address char(40), account_id bigint, "
        "domain_id bigint)",
    )
    _sql(conn, "CREATE TABLE network_acl_item (id bigint PRIMARY KEY, cidr varchar(255))")
    _sql(
        conn,
        "CREATE TABLE network_acl_item_cidrs (id bigint AUTO_INCREMENT PRIMARY KEY, "
        "network_acl_item_id bigint, cidr varchar(255))",
    )
    _sql(conn, "CREATE TABLE template_store_ref (id bigint PRIMARY KEY)")
    _sql(conn, "CREATE TABLE volume_store_ref (id bigint PRIMARY KEY, download_url varchar(255))")
    _sql(conn, "CREATE TABLE vlan (id bigint PRIMARY KEY, vlan_id varchar(255))")


def test_430to440_ips_cidrs_columns_and_vlan_uris(mariadb: Any) -> None:
    from java_equiv import upgrade_430to440

    conn = mariadb.connect()
    _tables_430(conn)
    _sql(conn, "INSERT INTO vm_instance VALUES (1, 7, 70), (2, 8, 80), (3, 5, 50)")
    _sql(conn, "INSERT INTO networks VALUES (10, 'Shared'), (11, 'Isolated')")
    _sql(
        conn,
        "INSERT INTO nic_secondary_ips VALUES (1, 1, 10, 2, 20, '10.0.0.5'), (2, 2, 11, 2, 20, '10.0.1.5'), "
        "(3, 3, 10, 9, 5, '10.0.0.6')",
    )  # id 3: VM account equals the IP's *domain* id: left alone
    _sql(
        conn, "INSERT INTO user_ip_address VALUES (1, '10.0.0.5', 2, 20), (2, '10.0.1.5', 2, 20), (3, '10.0.0.6', 9, 5)"
    )
    _sql(conn, "INSERT INTO network_acl_item VALUES (1, '10.0.0.0/8,192.168.0.0/16'), (2, '0.0.0.0/0'), (3, 'a,,b,,')")
    _sql(conn, "INSERT INTO vlan VALUES (1, '100'), (2, 'vlan://200'), (3, ''), (4, NULL), (5, 'untagged')")
    upgrade_430to440.migrate(conn, cloud=mariadb.name)
    assert _sql(conn, "SELECT id, account_id, domain_id FROM nic_secondary_ips ORDER BY id") == (
        (1, 7, 70),
        (2, 8, 80),
        (3, 9, 5),
    )
    assert _sql(conn, "SELECT id, account_id, domain_id FROM user_ip_address ORDER BY id") == (
        (1, 7, 70),
        (2, 2, 20),
        (3, 9, 5),
    )  # only the Shared network's public IP follows
    cidrs = _sql(conn, "SELECT network_acl_item_id, cidr FROM network_acl_item_cidrs ORDER BY id")
    assert cidrs == ((1, "10.0.0.0/8"), (1, "192.168.0.0/16"), (2, "0.0.0.0/0"), (3, "a"), (3, ""), (3, "b"))
    assert dict(_sql(conn, "SELECT id, vlan_id FROM vlan")) == {
        1: "vlan://100",
        2: "vlan://200",
        3: "",
        4: None,
        5: "vlan://untagged",
    }
    added = _sql(
        conn,
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema=%s AND column_name LIKE 'download%%' ORDER BY table_name, ordinal_position",
        mariadb.name,
    )
    assert added == (
        ("template_store_ref", "download_url_created", "datetime"),
        ("template_store_ref", "download_url", "varchar"),
        ("volume_store_ref", "download_url", "varchar"),
        ("volume_store_ref", "download_url_created", "datetime"),
    )
    upgrade_430to440.migrate(conn, cloud=mariadb.name)  # columns and URIs stay; CIDR rows double, as in the Java
    assert _sql(conn, "SELECT COUNT(*) FROM network_acl_item_cidrs") == ((12,),)
    assert dict(_sql(conn, "SELECT id, vlan_id FROM vlan"))[1] == "vlan://100"


def test_430to440_java_split() -> None:
    from java_equiv.upgrade_430to440 import java_split

    assert java_split("") == [""] and java_split(",") == [] and java_split("a,b,") == ["a", "b"]


def _tables_420(conn: Any) -> None:
    _sql(conn, "CREATE TABLE account (id bigint PRIMARY KEY, domain_id bigint, removed datetime)")
    _sql(conn, "CREATE TABLE domain (id bigint PRIMARY KEY)")
    _sql(conn, "CREATE TABLE service_offering (id bigint PRIMARY KEY, cpu int, ram_size int)")
    _sql(
        conn,
        "CREATE TABLE vm_instance (id bigint PRIMARY KEY, account_id bigint, service_offering_id bigint, "
        "removed datetime, vm_type varchar(32), state varchar(32), hypervisor_type varchar(32))",
    )
    _sql(
        conn,
        "CREATE TABLE volumes (id bigint PRIMARY KEY, account_id bigint, size bigint, path varchar(255), "
        "state varchar(32), removed datetime, instance_id bigint)",
    )
    _sql(conn, "CREATE TABLE snapshots (id bigint PRIMARY KEY, account_id bigint, size bigint, removed datetime)")
    _sql(conn, "CREATE TABLE vm_template (id bigint PRIMARY KEY, account_id bigint, removed datetime)")
    _sql(
        conn,
        "CREATE TABLE template_store_ref (id bigint PRIMARY KEY, template_id bigint, size bigint, "
        "download_state varchar(255), destroyed tinyint(1))",
    )
    _sql(
        conn,
        "CREATE TABLE resource_count (id bigint AUTO_INCREMENT PRIMARY KEY, account_id bigint, "
        "domain_id bigint, type varchar(255), count bigint, UNIQUE KEY (account_id, type), "
        "UNIQUE KEY (domain_id, type))",
    )
    _sql(conn, "CREATE TABLE configuration (name varchar(255) PRIMARY KEY, value varchar(4095))")
    _sql(
        conn,
        "CREATE TABLE user_vm_details (id bigint AUTO_INCREMENT PRIMARY KEY, vm_id bigint, name varchar(255), "
        "value varchar(1024), UNIQUE KEY (vm_id, name))",
    )


def test_420to421_resource_counts_and_overcommit_ratios(mariadb: Any) -> None:
    from java_equiv import upgrade_420to421

    conn = mariadb.connect()
    _tables_420(conn)
    _sql(conn, "INSERT INTO domain VALUES (1), (2)")
    _sql(conn, "INSERT INTO account VALUES (10, 1, NULL), (11, 1, NULL), (12, 2, NOW())")
    _sql(conn, "INSERT INTO service_offering VALUES (1, 2, 1024)")
    _sql(
        conn,
        "INSERT INTO vm_instance VALUES (100, 10, 1, NULL, 'User', 'Running', 'VMware'), "
        "(101, 10, 1, NULL, 'User', 'Destroyed', 'KVM'), (102, 11, 1, NULL, 'User', 'Stopped', 'KVM'), "
        "(103, 10, 1, NOW(), 'User', 'Running', 'KVM')",
    )
    _sql(
        conn,
        "INSERT INTO volumes VALUES (1, 10, 100, '/p', 'Ready', NULL, 100), (2, 10, 7, NULL, 'Uploaded', NULL, "
        "NULL), (3, 11, 50, NULL, 'Allocated', NULL, 102)",
    )
    _sql(conn, "INSERT INTO snapshots VALUES (1, 10, 30, NULL), (2, 10, 999, NOW())")
    _sql(conn, "INSERT INTO vm_template VALUES (5, 10, NULL)")
    _sql(conn, "INSERT INTO template_store_ref VALUES (1, 5, 400, 'DOWNLOADED', 0), (2, 5, 1, 'DOWNLOADING', 0)")
    _sql(conn, "INSERT INTO resource_count (account_id, domain_id, type, count) VALUES (12, NULL, 'cpu', 4)")
    _sql(
        conn,
        "INSERT INTO configuration VALUES ('cpu.overprovisioning.factor', '2'), ('mem.overprovisioning.factor', '1.5')",
    )
    _sql(conn, "INSERT INTO user_vm_details (vm_id, name, value) VALUES (102, 'cpuOvercommitRatio', '3')")
    for _ in range(2):
        upgrade_420to421.migrate(conn, cloud=mariadb.name)
        accounts = {
            (a, t): c
            for a, t, c in _sql(conn, "SELECT account_id, type, count FROM resource_count WHERE account_id IS NOT NULL")
        }
        assert accounts == {
            (10, "cpu"): 2,
            (10, "memory"): 1024,
            (10, "primary_storage"): 100,
            (10, "secondary_storage"): 7 + 30 + 400,
            (11, "cpu"): 2,
            (11, "memory"): 1024,
            (11, "primary_storage"): 50,
            (11, "secondary_storage"): 0,
            (12, "cpu"): 4,
        }
        domains = {
            (d, t): c
            for d, t, c in _sql(conn, "SELECT domain_id, type, count FROM resource_count WHERE domain_id IS NOT NULL")
        }
        assert domains == {
            (1, "cpu"): 4,
            (1, "memory"): 2048,
            (1, "primary_storage"): 150,
            (1, "secondary_storage"): 437,
            (2, "cpu"): 4,  # removed account 12 still counts
            (2, "memory"): 0,
            (2, "primary_storage"): 0,
            (2, "secondary_storage"): 0,
        }
        details = {(v, n): val for v, n, val in _sql(conn, "SELECT vm_id, name, value FROM user_vm_details")}
        assert details == {
            (100, "cpuOvercommitRatio"): "2",
            (100, "memoryOvercommitRatio"): "1.5",
            (101, "cpuOvercommitRatio"): "2",
            (101, "memoryOvercommitRatio"): "1",
            (102, "cpuOvercommitRatio"): "3",
        }
