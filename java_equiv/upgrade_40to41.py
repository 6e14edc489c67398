"""Port of Upgrade40to41.performDataMigration (4.1.0), firewall part.

Ported: ``upgradeEgressFirewallRules``. Ingress firewall rules without a traffic type become
``Ingress``; then for every network with a VirtualRouter Firewall service that is an isolated
(``Isolated``/``Virtual``) guest network outside a VPC in state ``implemented``/``Shutdown``, a
default Egress rule (protocol ``all``, owner of the network) is inserted, and the first
``protocol='all'`` rule of that network (lowest id) gets the source CIDR ``0.0.0.0/0``. Like the
Java this is not idempotent: a second run adds another Egress rule and CIDR per network.

``updateRegionEntries`` sets ``region.id`` of every ``region`` row to the management server's
``region.id`` from db.properties (default 1 when the file or the key is absent, as in the Java);
the file is read from ``CLOUDSTACK_CONF_DIR`` (java_equiv/_mgmt_conf.py). Runs first, as in the Java.
"""

from __future__ import annotations

import uuid
from typing import Any

from java_equiv._db import execute, rows
from java_equiv._mgmt_conf import properties

SCHEMA_EFFECTS: tuple[str, ...] = ()


def _add_default_egress(conn: Any, cloud: str, network_id: int) -> None:
    owner = rows(
        conn,
        f"SELECT account_id, domain_id FROM `{cloud}`.`networks` WHERE (guest_type='Isolated' "
        "OR guest_type='Virtual') AND traffic_type='Guest' AND vpc_id IS NULL AND "
        "(state='implemented' OR state='Shutdown') AND id = %s",
        (network_id,),
    )
    if not owner:
        return
    execute(
        conn,
        f"INSERT INTO `{cloud}`.`firewall_rules` (uuid, state, protocol, purpose, account_id, domain_id, "
        "network_id, xid, created, traffic_type) VALUES (%s, 'Active', 'all', 'Firewall', %s, %s, %s, %s, "
        "now(), 'Egress')",
        (str(uuid.uuid4()), owner[0][0], owner[0][1], network_id, str(uuid.uuid4())),
    )
    rule = rows(
        conn,
        f"SELECT id FROM `{cloud}`.`firewall_rules` WHERE protocol='all' AND network_id = %s ORDER BY id LIMIT 1",
        (network_id,),
    )
    if rule:
        execute(
            conn,
            f"INSERT INTO `{cloud}`.`firewall_rules_cidrs` (firewall_rule_id, source_cidr) VALUES (%s, '0.0.0.0/0')",
            (rule[0][0],),
        )


def upgrade_egress_firewall_rules(conn: Any, cloud: str = "cloud") -> None:
    execute(
        conn,
        f"UPDATE `{cloud}`.`firewall_rules` SET traffic_type='Ingress' WHERE purpose='Firewall' "
        "AND ip_address_id IS NOT NULL AND traffic_type IS NULL",
    )
    networks = rows(
        conn,
        f"SELECT network_id FROM `{cloud}`.`ntwk_service_map` WHERE service='Firewall' AND provider='VirtualRouter'",
    )
    for (network_id,) in networks:
        _add_default_egress(conn, cloud, network_id)


def update_region_entries(conn: Any, cloud: str = "cloud") -> int:
    """The region id the management server is configured with (a non-number fails, as Integer.parseInt)."""
    value = properties("db.properties").get("region.id")
    region_id = int(value.strip()) if value is not None else 1
    execute(conn, f"UPDATE `{cloud}`.`region` SET id = %s", (region_id,))
    return region_id


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    update_region_entries(conn, cloud)
    upgrade_egress_firewall_rules(conn, cloud)
