"""Ports whose Java changes schema through DbUpgradeUtils: run twice on a scratch MariaDB holding
just the tables the step touches, then read indexes and foreign keys from information_schema."""

from __future__ import annotations

from typing import Any

from java_equiv import upgrade_41900to41910, upgrade_42000to42010


def _sql(conn: Any, sql: str, *args: object) -> Any:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def _indexes(conn: Any, schema: str, table: str) -> dict[str, tuple[str, ...]]:
    """index name -> its columns in order."""
    found: dict[str, list[str]] = {}
    for name, column in _sql(
        conn,
        "SELECT index_name, column_name FROM information_schema.statistics "
        "WHERE table_schema=%s AND table_name=%s ORDER BY index_name, seq_in_index",
        schema,
        table,
    ):
        found.setdefault(name, []).append(column)
    return {k: tuple(v) for k, v in found.items()}


def _fks(conn: Any, schema: str, table: str) -> dict[str, tuple[str, str, str]]:
    """constraint name -> (column, referenced table, referenced column)."""
    got = _sql(
        conn,
        "SELECT constraint_name, column_name, referenced_table_name, referenced_column_name "
        "FROM information_schema.key_column_usage WHERE table_schema=%s AND table_name=%s "
        "AND referenced_table_name IS NOT NULL",
        schema,
        table,
    )
    return {r[0]: (r[1], r[2], r[3]) for r in got}


def test_41900to41910_indexes_vm_stats_once(mariadb: Any) -> None:
    conn = mariadb.connect()
    _sql(conn, "CREATE TABLE vm_stats (id bigint PRIMARY KEY, vm_id bigint, timestamp datetime)")
    upgrade_41900to41910.migrate(conn, cloud=mariadb.name)
    upgrade_41900to41910.migrate(conn, cloud=mariadb.name)
    assert _indexes(conn, mariadb.name, "vm_stats") == {"PRIMARY": ("id",), "i_vm_stats__vm_id": ("vm_id",)}


TABLES_42010 = {
    "host": "mgmt_server_id bigint, resource varchar(255), resource_state varchar(32), type varchar(32)",
    "user_ip_address": "public_ip_address char(40), data_center_id bigint, vlan_db_id bigint, removed datetime, "
    "UNIQUE KEY public_ip_address (public_ip_address, data_center_id)",
    "vlan": "vlan_type varchar(255), data_center_id bigint, removed datetime",
    "network_offering_details": "name varchar(255)",
    "service_offering": "cpu int, speed int, ram_size int",
    "op_host_planner_reservation": "resource_usage varchar(255)",
    "storage_pool": "pool_type varchar(32), data_center_id bigint, status varchar(32), scope varchar(255), "
    "hypervisor varchar(32)",
    "router_network_ref": "guest_type char(32)",
    "domain_router": "role varchar(64)",
    "async_job": "instance_type varchar(64), job_status int",
    "cluster": "managed_state varchar(32)",
}


def test_42000to42010_adds_every_index_and_keeps_the_unique_key(mariadb: Any) -> None:
    conn = mariadb.connect()
    for table, columns in TABLES_42010.items():
        _sql(conn, f"CREATE TABLE `{table}` (id bigint PRIMARY KEY, {columns})")
    upgrade_42000to42010.migrate(conn, cloud=mariadb.name)
    first = {t: _indexes(conn, mariadb.name, t) for t in TABLES_42010}
    upgrade_42000to42010.migrate(conn, cloud=mariadb.name)
    assert {t: _indexes(conn, mariadb.name, t) for t in TABLES_42010} == first
    added = {name: cols for t in first.values() for name, cols in t.items() if name.startswith("i_")}
    assert len(added) == 22
    assert added["i_storage_pool__data_center_id__status__scope__hypervisor"] == (
        "data_center_id",
        "status",
        "scope",
        "hypervisor",
    )
    assert added["i_async_job__instance_type__job_status"] == ("instance_type", "job_status")
    # the Java's rename never fires (it checks that the old name is absent); CloudStack keeps the old key
    assert first["user_ip_address"]["public_ip_address"] == ("public_ip_address", "data_center_id")
    assert "uk_public_ip_address" not in first["user_ip_address"]


def test_42000to42010_missing_table_is_logged_not_fatal(mariadb: Any) -> None:
    conn = mariadb.connect()
    _sql(conn, "CREATE TABLE host (id bigint PRIMARY KEY, mgmt_server_id bigint)")
    upgrade_42000to42010.migrate(conn, cloud=mariadb.name)  # every other table is absent: the Java logs and goes on
    assert _indexes(conn, mariadb.name, "host") == {"PRIMARY": ("id",), "i_host__mgmt_server_id": ("mgmt_server_id",)}


def test_442to450_drops_keys_and_sizes_system_offerings(mariadb: Any) -> None:
    from java_equiv import upgrade_442to450

    conn = mariadb.connect()
    _sql(
        conn,
        "CREATE TABLE storage_pool (id bigint PRIMARY KEY, uuid varchar(255), UNIQUE KEY id_2 (id), "
        "UNIQUE KEY uuid (uuid))",
    )
    _sql(conn, "CREATE TABLE async_job (id bigint PRIMARY KEY)")
    _sql(
        conn,
        "CREATE TABLE async_job_join_map (id bigint PRIMARY KEY, join_job_id bigint, "
        "CONSTRAINT fk_async_job_join_map__join_job_id FOREIGN KEY (join_job_id) REFERENCES async_job(id), "
        "CONSTRAINT fk_async_job_join_map__join_job_id_2 FOREIGN KEY (join_job_id) REFERENCES async_job(id))",
    )
    _sql(conn, "CREATE TABLE service_offering (id bigint PRIMARY KEY, vm_type varchar(32), ram_size int)")
    _sql(
        conn, "CREATE TABLE configuration (category varchar(255), name varchar(255) PRIMARY KEY, value varchar(4095))"
    )  # router.ram.size: tests/java_ports/test_java_ports_encryption.py
    _sql(
        conn,
        "INSERT INTO service_offering VALUES (3, 'domainrouter', 128), (9, 'domainrouter', 64), "
        "(5, 'internalloadbalancervm', 128), (1, NULL, 512)",
    )
    for _ in range(2):
        upgrade_442to450.migrate(conn, cloud=mariadb.name)
        assert set(_indexes(conn, mariadb.name, "storage_pool")) == {"PRIMARY", "uuid"}
        assert set(_fks(conn, mariadb.name, "async_job_join_map")) == {"fk_async_job_join_map__join_job_id_2"}
        assert dict(_sql(conn, "SELECT id, ram_size FROM service_offering")) == {3: 256, 9: 64, 5: 256, 1: 512}
