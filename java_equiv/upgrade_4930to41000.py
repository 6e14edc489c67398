"""Port of Upgrade4930to41000.performDataMigration (4.10.0.0).

1. ``populateGuestOsDetails``: for each of 194 guest OS display names, insert
   ``xenserver.dynamicMin`` and ``xenserver.dynamicMax`` (bytes, as text, ``display = 0``) into
   ``guest_os_details`` for every ``guest_os`` row of that display name. The Java walks a
   ``HashMap``; rows are inserted in that same order (``java_hashmap_order``) so the new ids match
   CloudStack's. Like the Java this is not idempotent: a second run inserts the rows again.
2. ``updateSourceCidrs``: Egress firewall CIDRs ``0.0.0.0/0`` become the network's CIDR
   (``network_cidr``, else ``cidr``); a re-run finds none left.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from java_equiv._db import execute
from java_equiv._guest_os_memory import XENSERVER_MEMORY_MB

SCHEMA_EFFECTS: tuple[str, ...] = ()

MIB = 1024 * 1024
INITIAL_CAPACITY = 70  # new HashMap<>(70)

SOURCE_CIDRS = (
    "UPDATE `{c}`.`firewall_rules_cidrs` AS s, (SELECT IFNULL(networks.network_cidr, networks.cidr) cidr, "
    "`firewall_rules_cidrs`.`id`, `firewall_rules`.`traffic_type` FROM `{c}`.`networks`, `{c}`.`firewall_rules`, "
    "`{c}`.`firewall_rules_cidrs` WHERE `networks`.`id` = `firewall_rules`.`network_id` "
    "AND `firewall_rules`.`id` = `firewall_rules_cidrs`.`firewall_rule_id`) AS p "
    "SET `s`.`source_cidr` = `p`.`cidr` WHERE `s`.`source_cidr` = '0.0.0.0/0' AND `s`.`id` = `p`.`id` "
    "AND `p`.`traffic_type` = 'Egress'"
)


def java_string_hash(text: str) -> int:
    """``String.hashCode`` as a signed 32-bit int, over UTF-16 code units."""
    h = 0
    data = text.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + int.from_bytes(data[i : i + 2], "big")) & 0xFFFFFFFF
    return h


def _capacity(initial: int, size: int) -> int:
    """The table size after ``size`` puts into ``new HashMap<>(initial)`` (load factor 0.75)."""
    capacity = 1
    while capacity < initial:
        capacity *= 2
    while size > capacity * 3 // 4:
        capacity *= 2
    return capacity


def java_hashmap_order(keys: Sequence[str], initial: int = INITIAL_CAPACITY) -> list[str]:
    """Iteration order of a ``HashMap`` filled with ``keys`` in order: by bucket, then insertion
    order within a bucket (resizes keep it). Bins of 8 or more would be trees with another order;
    refuse them rather than guess."""
    mask = _capacity(initial, len(keys)) - 1
    buckets: dict[int, list[str]] = {}
    for key in dict.fromkeys(keys):
        h = java_string_hash(key)
        buckets.setdefault((h ^ (h >> 16)) & mask, []).append(key)
    if any(len(b) >= 8 for b in buckets.values()):
        raise ValueError("a HashMap bin would be a tree; iteration order not emulated")
    return [k for index in sorted(buckets) for k in buckets[index]]


def populate_guest_os_details(conn: Any, cloud: str = "cloud") -> None:
    limits = {name: (low, high) for name, low, high in XENSERVER_MEMORY_MB}
    insert = (
        f"INSERT INTO `{cloud}`.`guest_os_details` (guest_os_id, name, value, display) "
        f"SELECT id, %s, %s, 0 FROM `{cloud}`.`guest_os` WHERE display_name = %s"
    )
    for name in java_hashmap_order([n for n, _, _ in XENSERVER_MEMORY_MB]):
        low, high = limits[name]
        execute(conn, insert, ("xenserver.dynamicMin", str(low * MIB), name))
        execute(conn, insert, ("xenserver.dynamicMax", str(high * MIB), name))


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    populate_guest_os_details(conn, cloud)
    execute(conn, SOURCE_CIDRS.format(c=cloud))
