"""Upgrade4930to41000: guest OS details in CloudStack's HashMap order, Egress CIDRs; the order is
checked against a real JVM when one is installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from java_equiv import upgrade_4930to41000
from java_equiv._guest_os_memory import XENSERVER_MEMORY_MB
from java_equiv.upgrade_4930to41000 import java_hashmap_order, java_string_hash

NAMES = [n for n, _, _ in XENSERVER_MEMORY_MB]


def _sql(conn: Any, sql: str, *args: object) -> Any:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


@pytest.mark.skipif(shutil.which("java") is None, reason="no JVM to compare with")
def test_hashmap_order_matches_a_real_jvm(tmp_path: Path) -> None:
    puts = "".join(f'm.put("{n}", 0);' for n in NAMES)
    source = tmp_path / "Order.java"
    source.write_text(
        "import java.util.*; public class Order { public static void main(String[] a) { "
        f"Map<String, Integer> m = new HashMap<>(70); {puts} "
        "for (String k : m.keySet()) System.out.println(k); "
        'System.out.println("hello".hashCode()); } }',
        encoding="utf-8",
    )
    done = subprocess.run(["java", str(source)], capture_output=True, text=True, check=True, timeout=120)
    lines = done.stdout.splitlines()
    assert lines[:-1] == java_hashmap_order(NAMES)
    assert int(lines[-1]) == java_string_hash("hello")


def test_4930to41000_guest_os_details_and_egress_cidrs(mariadb: Any) -> None:
    conn = mariadb.connect()
    _sql(conn, "CREATE TABLE guest_os (id bigint PRIMARY KEY, display_name varchar(255))")
    _sql(
        conn,
        "CREATE TABLE guest_os_details (id bigint AUTO_INCREMENT PRIMARY KEY, guest_os_id bigint, "
        "name varchar(255), value varchar(255), display tinyint(1))",
    )
    _sql(conn, "INSERT INTO guest_os VALUES (1, 'CoreOS'), (2, 'Windows 7 (64-bit)'), (3, 'Plan 9')")
    _sql(conn, "CREATE TABLE networks (id bigint PRIMARY KEY, cidr varchar(18), network_cidr varchar(18))")
    _sql(conn, "CREATE TABLE firewall_rules (id bigint PRIMARY KEY, network_id bigint, traffic_type char(32))")
    _sql(
        conn,
        "CREATE TABLE firewall_rules_cidrs (id bigint PRIMARY KEY, firewall_rule_id bigint, source_cidr varchar(18))",
    )
    _sql(conn, "INSERT INTO networks VALUES (1, '10.1.1.0/24', NULL), (2, '10.2.2.0/24', '10.2.0.0/16')")
    _sql(conn, "INSERT INTO firewall_rules VALUES (1, 1, 'Egress'), (2, 2, 'Egress'), (3, 1, 'Ingress')")
    _sql(
        conn,
        "INSERT INTO firewall_rules_cidrs VALUES (1, 1, '0.0.0.0/0'), (2, 2, '0.0.0.0/0'), "
        "(3, 3, '0.0.0.0/0'), (4, 1, '192.168.0.0/24')",
    )
    upgrade_4930to41000.migrate(conn, cloud=mariadb.name)
    details = _sql(conn, "SELECT guest_os_id, name, value, display FROM guest_os_details ORDER BY id")
    mib = 1024 * 1024
    expected = {
        (1, "xenserver.dynamicMin", str(512 * mib), 0),
        (1, "xenserver.dynamicMax", str(128 * 1024 * mib), 0),
        (2, "xenserver.dynamicMin", str(2048 * mib), 0),
        (2, "xenserver.dynamicMax", str(128 * 1024 * mib), 0),
    }
    assert set(details) == expected and len(details) == 4
    order = java_hashmap_order(NAMES)
    first = 1 if order.index("CoreOS") < order.index("Windows 7 (64-bit)") else 2
    assert details[0][0] == first  # inserted in the Java's map order
    assert dict(_sql(conn, "SELECT id, source_cidr FROM firewall_rules_cidrs")) == {
        1: "10.1.1.0/24",
        2: "10.2.0.0/16",
        3: "0.0.0.0/0",
        4: "192.168.0.0/24",
    }
    upgrade_4930to41000.migrate(conn, cloud=mariadb.name)  # not idempotent, as the Java: details twice
    assert _sql(conn, "SELECT COUNT(*) FROM guest_os_details") == ((8,),)
