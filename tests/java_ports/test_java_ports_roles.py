"""The two earlier ports without a unit test until now: Upgrade452to460 and Upgrade41400to41500,
each run twice on a scratch MariaDB holding just the tables it touches."""

from __future__ import annotations

from typing import Any

from java_equiv import upgrade_452to460, upgrade_41400to41500


def _sql(conn: Any, sql: str, *args: object) -> Any:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def test_452to460_user_ids_redundancy_columns_and_index(mariadb: Any) -> None:
    conn = mariadb.connect()
    _sql(conn, "CREATE TABLE user (id bigint PRIMARY KEY, account_id bigint)")
    _sql(
        conn,
        "CREATE TABLE vm_instance (id bigint PRIMARY KEY, account_id bigint, user_id bigint, "
        "instance_name varchar(255))",
    )
    _sql(conn, "CREATE TABLE vpc (id bigint PRIMARY KEY)")
    _sql(conn, "CREATE TABLE vpc_offerings (id bigint PRIMARY KEY)")
    _sql(conn, "CREATE TABLE network_offerings (id bigint PRIMARY KEY, redundant_router_service tinyint(1))")
    _sql(conn, "CREATE TABLE networks (id bigint PRIMARY KEY, network_offering_id bigint)")
    _sql(conn, "CREATE TABLE domain_router (id bigint PRIMARY KEY, is_priority_bumpup tinyint(1))")
    _sql(conn, "INSERT INTO user VALUES (5, 1), (6, 1), (7, 2)")
    _sql(conn, "INSERT INTO vm_instance VALUES (1, 1, NULL, 'i-1'), (2, 2, NULL, 'i-2'), (3, 3, NULL, 'i-3')")
    _sql(conn, "INSERT INTO network_offerings VALUES (1, 1), (2, 0)")
    _sql(conn, "INSERT INTO networks VALUES (10, 1), (11, 2)")
    for _ in range(2):
        upgrade_452to460.migrate(conn, cloud=mariadb.name)
        assert dict(_sql(conn, "SELECT id, user_id FROM vm_instance")) == {1: 5, 2: 7, 3: None}
        assert dict(_sql(conn, "SELECT id, redundant FROM networks")) == {10: 1, 11: 0}
        columns = {
            (t, c)
            for t, c in _sql(
                conn,
                "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema=%s",
                mariadb.name,
            )
        }
        assert {("vpc", "redundant"), ("vpc_offerings", "redundant_router_service")} <= columns
        assert ("domain_router", "is_priority_bumpup") not in columns
        index = _sql(
            conn,
            "SELECT column_name FROM information_schema.statistics WHERE table_schema=%s "
            "AND index_name='i_vm_instance__instance_name'",
            mariadb.name,
        )
        assert index == (("instance_name",),)


def test_41400to41500_read_only_and_support_roles(mariadb: Any) -> None:
    conn = mariadb.connect()
    _sql(conn, "CREATE TABLE roles (id bigint PRIMARY KEY, name varchar(255), is_default tinyint(1))")
    _sql(
        conn,
        "CREATE TABLE role_permissions (id bigint AUTO_INCREMENT PRIMARY KEY, uuid varchar(40), role_id bigint, "
        "rule varchar(255), permission varchar(255), sort_order int, UNIQUE KEY (role_id, rule))",
    )
    _sql(
        conn,
        "INSERT INTO roles VALUES (4, 'User', 1), (5, 'Read-Only Admin - Default', 1), "
        "(6, 'Read-Only User - Default', 1), (7, 'Support Admin - Default', 1), "
        "(8, 'Support User - Default', 1), (9, 'Read-Only User - Default', 0)",
    )
    _sql(
        conn,
        "INSERT INTO role_permissions (uuid, role_id, rule, permission, sort_order) VALUES "
        "('a', 4, 'listVirtualMachines', 'ALLOW', 0), ('b', 4, 'getVMPassword', 'ALLOW', 1), "
        "('c', 4, 'getUploadParamsForVolume', 'ALLOW', 2), ('d', 4, 'deployVirtualMachine', 'ALLOW', 3), "
        "('e', 4, 'listHosts', 'DENY', 4)",
    )

    def perms(role: int) -> list[tuple[str, str]]:
        return list(
            _sql(conn, "SELECT rule, permission FROM role_permissions WHERE role_id=%s ORDER BY sort_order", role)
        )

    for _ in range(2):
        upgrade_41400to41500.migrate(conn, cloud=mariadb.name)
        assert perms(5)[:3] == [("list*", "ALLOW"), ("getUploadParamsFor*", "DENY"), ("get*", "ALLOW")]
        assert perms(5)[-1] == ("*", "DENY") and len(perms(5)) == 9
        user = perms(6)
        assert user[:2] == [("listVirtualMachines", "ALLOW"), ("getVMPassword", "ALLOW")]  # copied from role 4
        assert user[-1] == ("*", "DENY") and ("deployVirtualMachine", "ALLOW") not in user
        support_user = [r for r, _ in perms(8)]
        assert support_user[:2] == ["listVirtualMachines", "getVMPassword"] and "getUploadParamsFor*" in support_user
        assert "createServiceOffering" in [r for r, _ in perms(7)]
        assert perms(9) == []  # not a default role
