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
    _sql(conn, "CREATE TABLE kubernetes_cluster (id bigint PRIMARY KEY, kubernetes_version_id bigint, "
               "removed datetime)")
    _sql(conn, "CREATE TABLE kubernetes_cluster_vm_map (id bigint PRIMARY KEY, cluster_id bigint, "
               "kubernetes_node_version varchar(40))")
    _sql(conn, "INSERT INTO kubernetes_supported_version VALUES (1, '1.28.4'), (2, '1.30.0')")
    _sql(conn, "INSERT INTO kubernetes_cluster VALUES (10, 1, NULL), (11, 2, NULL), (12, 2, NOW())")
    _sql(conn, "INSERT INTO kubernetes_cluster_vm_map VALUES (1, 10, NULL), (2, 10, NULL), (3, 11, NULL), "
               "(4, 12, NULL)")
    _sql(conn, "CREATE TABLE configuration (name varchar(255) PRIMARY KEY, scope varchar(255), value text)")
    _sql(conn, "INSERT INTO configuration (name, scope) VALUES ('a', 'Global'), ('b', 'zone'), ('c', 'Account'), "
               "('d', 'ManagementServer'), ('e', 'Nonsense'), ('f', NULL)")
    elsewhere(conn)
    db = mariadb.name
    for _ in range(2):
        upgrade_42010to42100.migrate(conn, cloud=mariadb.name)
        nodes = dict(_sql(conn, f"SELECT id, kubernetes_node_version FROM `{db}`.kubernetes_cluster_vm_map"))
        assert nodes == {1: "1.28.4", 2: "1.28.4", 3: "1.30.0", 4: None}  # removed cluster untouched
        scopes = dict(_sql(conn, f"SELECT name, scope FROM `{db}`.configuration"))
        assert scopes == {"a": 1, "b": 2, "c": 128, "d": 16, "e": 0, "f": 0}
    column = _sql(conn, "SELECT column_type, is_nullable, column_default, column_comment, ordinal_position "
                        "FROM information_schema.columns WHERE table_schema=%s AND table_name='configuration' "
                        "AND column_name='scope'", mariadb.name)
    assert column == (("bigint(20)", "NO", "0", "Bitmask for scope(s) of this parameter", 3),)


def _charset(conn: Any, schema: str) -> Any:
    return _sql(conn, "SELECT character_set_name, column_type, is_nullable FROM information_schema.columns "
                      "WHERE table_schema=%s AND table_name='affinity_group' AND column_name='name'", schema)


def test_41910to42000_affinity_group_name_to_utf8mb4(mariadb: Any) -> None:
    from java_equiv import upgrade_41910to42000

    conn = mariadb.connect()
    _sql(conn, "CREATE TABLE affinity_group (id bigint PRIMARY KEY, name varchar(255) CHARACTER SET utf8mb3 "
               "NOT NULL)")
    _sql(conn, "INSERT INTO affinity_group VALUES (1, 'web'), (2, %s)", "x" * 191)
    for _ in range(2):
        upgrade_41910to42000.migrate(conn, cloud=mariadb.name)
        assert _charset(conn, mariadb.name) == (("utf8mb4", "varchar(191)", "NO"),)
    assert _sql(conn, "SELECT name FROM affinity_group WHERE id = 1") == (("web",),)


def test_41910to42000_leaves_long_names_alone(mariadb: Any) -> None:
    from java_equiv import upgrade_41910to42000

    conn = mariadb.connect()
    _sql(conn, "CREATE TABLE affinity_group (id bigint PRIMARY KEY, name varchar(255) CHARACTER SET utf8mb3 "
               "NOT NULL)")
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
    _sql(conn, "CREATE TABLE snapshot_policy (id bigint PRIMARY KEY, volume_id bigint, account_id bigint, "
               "domain_id bigint)")
    _sql(conn, "CREATE TABLE backup_schedule (id bigint PRIMARY KEY, vm_id bigint, account_id bigint, "
               "domain_id bigint)")
    _sql(conn, "INSERT INTO snapshot_policy VALUES (1, 1, NULL, NULL), (2, 2, 99, NULL), (3, 42, NULL, NULL)")
    _sql(conn, "INSERT INTO backup_schedule VALUES (1, 7, NULL, NULL)")
    elsewhere(conn)
    db = mariadb.name
    for _ in range(2):
        upgrade_42100to42200.migrate(conn, cloud=mariadb.name)
        assert _sql(conn, f"SELECT id, account_id, domain_id FROM `{db}`.snapshot_policy ORDER BY id") == (
            (1, 5, 50), (2, 99, None), (3, None, None))  # already owned in part: untouched; no volume: untouched
        assert _sql(conn, f"SELECT id, account_id, domain_id FROM `{db}`.backup_schedule") == ((1, 8, 80),)
