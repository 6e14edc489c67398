"""Upgrade410to420 (4.2.0): the network calls, with the Java's SQL, every table qualified with the
schema ``c``. Where the Java throws, ``StepFails`` is raised (java_equiv/_java.py). None of these
is idempotent unless said: like the Java, a re-run inserts its rows again.

- ``createPlaceHolderNics``: a ``PlaceHolder`` nic per live router nic of a direct (shared) network.
- ``updateRemoteAccessVpn``: new ``uuid`` and ids 1, 2, … for the ``remote_access_vpn`` rows.
- ``addEgressFwRulesForSRXGuestNw``: never writes a rule. The Java runs the outer query again in
  place of the network query and reads a second column that query does not have, so Connector/J
  throws for the first network with a JuniperSRX firewall and the upgrade stops; so does the port.
- ``upgradeEIPNetworkOfferings``: guest offerings with elastic IP get ``eip_associate_public_ip``.
- ``updateGlobalDeploymentPlanner``: ``vm.deployment.planner`` from ``vm.allocation.algorithm``.
- ``upgradeDefaultVpcOffering``: ``InternalLbVm`` as an Lb provider of VPC offerings with Lb.
- ``upgradePhysicalNtwksWithInternalLbProvider``: an ``InternalLbVm`` provider and its element
  per live physical network (a re-run also adds an element for the earlier provider).
- ``updateNetworkACLs``: each VPC tier's ``NetworkACL`` firewall rules move to a new ACL (ids from
  3) as ``network_acl_item`` rows (CIDRs joined by commas, ``created`` kept as a day, as
  ``getDate`` reads it); tiers without rules get the default deny ACL (1). A re-run finds no rules
  left and sets every tier to the default deny ACL.
- ``updateNetworksForPrivateGateways``: private gateway networks get their VPC id (idempotent).
- ``correctExternalNetworkDevicesSetup``: F5/SRX hosts of Advanced zones without those providers
  become providers and devices; in zones using them, networks of the ``Isolated with external
  providers`` offering get device maps and the devices' CamelCase host details are lower-cased. A
  missing offering, host or device stops the step, as in the Java.
- ``removeFirewallServiceFromSharedNetworkOfferingWithSGService`` (idempotent).
- ``upgradeVpcServiceMap``: each live VPC gets its offering's services (unique key: a re-run fails).
"""

from __future__ import annotations

import uuid
from typing import Any

from java_equiv._db import execute, rows
from java_equiv._java import StepFails, java_date, java_str

DEFAULT_DENY_ACL, FIRST_NEW_ACL = 1, 3  # NetworkACL.DEFAULT_DENY; 1 and 2 are the default ACLs
PLANNERS = {  # DeploymentPlanner.AllocationAlgorithm -> planner; anything else FirstFitPlanner
    "random": "FirstFitPlanner",
    "firstfit": "FirstFitPlanner",
    "userconcentratedpod_firstfit": "UserConcentratedPodPlanner",
    "userconcentratedpod_random": "UserConcentratedPodPlanner",
    "userdispersing": "UserDispersingPlanner",
}
CAMEL_CASE_DETAILS = (
    "numretries",
    "publiczone",
    "privatezone",
    "publicinterface",
    "privateinterface",
    "usageinterface",
)
EXTERNAL_PROVIDERS_OFFERING = "Isolated with external providers"


def _uuid() -> str:
    return str(uuid.uuid4())


def create_placeholder_nics(conn: Any, c: str) -> None:
    for network_id, gateway, ip in rows(
        conn,
        f"SELECT network_id, gateway, ip4_address FROM `{c}`.`nics` WHERE "
        "reserver_name IN ('DirectNetworkGuru','DirectPodBasedNetworkGuru') and "
        "vm_type='DomainRouter' AND removed IS null",
    ):
        execute(
            conn,
            f"INSERT INTO `{c}`.`nics` (uuid, ip4_address, gateway, network_id, state, strategy, vm_type, "
            "default_nic, created) VALUES (%s, %s, %s, %s, 'Reserved', 'PlaceHolder', 'DomainRouter', 0, "
            "now())",
            (_uuid(), ip, gateway, network_id),
        )


def update_remote_access_vpn(conn: Any, c: str) -> None:
    for new_id, (ip_id,) in enumerate(rows(conn, f"SELECT vpn_server_addr_id FROM `{c}`.`remote_access_vpn`"), 1):
        execute(
            conn,
            f"UPDATE `{c}`.`remote_access_vpn` set uuid=%s, id=%s where vpn_server_addr_id=%s",
            (_uuid(), new_id, ip_id),
        )


def add_egress_fw_rules_for_srx_guest_nw(conn: Any, c: str) -> None:
    found = rows(
        conn, f"select network_id FROM `{c}`.`ntwk_service_map` where service='Firewall' and provider='JuniperSRX' "
    )
    if found:
        raise StepFails(
            f"addEgressFwRulesForSRXGuestNw: network {found[0][0]} uses a JuniperSRX firewall; "
            "CloudStack's Java reads a column its re-run query lacks and fails "
            '("Unable to set egress firewall rules")'
        )


def upgrade_eip_network_offerings(conn: Any, c: str) -> None:
    for offering_id, eip in rows(
        conn, f"select id, elastic_ip_service from `{c}`.`network_offerings` where traffic_type='Guest'"
    ):
        if int(eip or 0) != 0:
            execute(
                conn,
                f"UPDATE `{c}`.`network_offerings` set eip_associate_public_ip=%s where id=%s",
                (True, offering_id),
            )


def update_global_deployment_planner(conn: Any, c: str) -> None:
    for (value,) in rows(conn, f"select value from `{c}`.`configuration` where name = 'vm.allocation.algorithm'"):
        planner = PLANNERS.get(value, "FirstFitPlanner") if value is not None else "FirstFitPlanner"
        execute(conn, f"UPDATE `{c}`.`configuration` set value=%s where name = 'vm.deployment.planner'", (planner,))


def upgrade_default_vpc_offering(conn: Any, c: str) -> None:
    for (offering_id,) in rows(
        conn,
        f"select distinct map.vpc_offering_id from `{c}`.`vpc_offering_service_map` map, "
        f"`{c}`.`vpc_offerings` off where off.id=map.vpc_offering_id AND service='Lb'",
    ):
        execute(
            conn,
            f"INSERT INTO `{c}`.`vpc_offering_service_map` (vpc_offering_id, service, provider) VALUES (%s,%s,%s)",
            (offering_id, "Lb", "InternalLbVm"),
        )


def upgrade_physical_ntwks_with_internal_lb_provider(conn: Any, c: str) -> None:
    for (network_id,) in rows(conn, f"SELECT id FROM `{c}`.`physical_network` where removed is null"):
        execute(
            conn,
            f"INSERT INTO `{c}`.`physical_network_service_providers` (uuid, physical_network_id, "
            "provider_name, state, load_balance_service_provided, destination_physical_network_id) "
            "VALUES (%s, %s, 'InternalLbVm', 'Enabled', 1, 0)",
            (_uuid(), network_id),
        )
        for (provider_id,) in rows(
            conn,
            f"SELECT id FROM `{c}`.`physical_network_service_providers` WHERE "
            "physical_network_id=%s AND provider_name='InternalLbVm'",
            (network_id,),
        ):
            execute(
                conn,
                f"INSERT INTO `{c}`.`virtual_router_providers` (nsp_id, uuid, type, enabled) "
                "VALUES (%s, %s, 'InternalLbVm', 1)",
                (provider_id, _uuid()),
            )


def _move_acl_rule(conn: Any, c: str, acl_id: int, number: int, rule: tuple[Any, ...]) -> None:
    """One firewall rule becomes ACL item ``number``; its CIDR rows are folded into it and deleted."""
    rule_id, rule_uuid, start, end, state, protocol, icmp_code, icmp_type, created, traffic = rule
    cidr: str | None = None
    for cidr_id, source in rows(
        conn, f"SELECT id, source_cidr FROM `{c}`.`firewall_rules_cidrs` where firewall_rule_id = %s", (rule_id,)
    ):
        cidr = source if cidr is None else cidr + "," + java_str(source)
        execute(conn, f"DELETE FROM `{c}`.`firewall_rules_cidrs` where id = %s", (cidr_id,))
    execute(
        conn,
        f"INSERT INTO `{c}`.`network_acl_item` (uuid, acl_id, start_port, end_port, state, protocol, "
        "icmp_code, icmp_type, created, traffic_type, cidr, number, action) values "
        "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            rule_uuid,
            acl_id,
            start,
            end,
            state,
            protocol,
            icmp_code,
            icmp_type,
            java_date(created),
            traffic,
            cidr,
            number,
            "Allow",
        ),
    )
    execute(conn, f"DELETE FROM `{c}`.`firewall_rules` where id = %s", (rule_id,))


def update_network_acls(conn: Any, c: str) -> None:
    next_acl = FIRST_NEW_ACL
    for network_id, vpc_id, tier in rows(
        conn, f"SELECT id, vpc_id, uuid FROM `{c}`.`networks` where vpc_id is not null and removed is null"
    ):
        rules = rows(
            conn,
            f"SELECT id, uuid, start_port, end_port, state, protocol, icmp_code, icmp_type, created, "
            f"traffic_type FROM `{c}`.`firewall_rules` where network_id = %s and purpose = 'NetworkACL'",
            (network_id,),
        )
        acl_id = DEFAULT_DENY_ACL
        if rules:
            acl_id, next_acl = next_acl, next_acl + 1
            execute(
                conn,
                f"INSERT INTO `{c}`.`network_acl` (id, uuid, vpc_id, description, name) values "
                "(%s, UUID(), %s , %s, %s)",
                (acl_id, vpc_id, "ACL for tier " + java_str(tier), "tier_" + java_str(tier)),
            )
            for number, rule in enumerate(rules, 1):
                _move_acl_rule(conn, c, acl_id, number, rule)
        execute(conn, f"UPDATE `{c}`.`networks` set network_acl_id=%s where id=%s", (acl_id, network_id))


def update_networks_for_private_gateways(conn: Any, c: str) -> None:
    for network_id, vpc_id in rows(
        conn, f"SELECT network_id, vpc_id FROM `{c}`.`vpc_gateways` WHERE type='Private' AND removed IS null"
    ):
        execute(
            conn,
            f"UPDATE `{c}`.`networks` set vpc_id=%s where id=%s and vpc_id is NULL and removed is NULL",
            (vpc_id, network_id),
        )


def _add_provider(conn: Any, c: str, network_id: int, name: str, flags: str) -> None:
    execute(
        conn,
        f"INSERT INTO `{c}`.`physical_network_service_providers` (`uuid`, `physical_network_id` , "
        "`provider_name`, `state` ,`destination_physical_network_id`, `vpn_service_provided`, "
        "`dhcp_service_provided`, `dns_service_provided`, `gateway_service_provided`,"
        "`firewall_service_provided`, `source_nat_service_provided`, `load_balance_service_provided`, "
        "`static_nat_service_provided`,`port_forwarding_service_provided`, `user_data_service_provided`, "
        f"`security_group_service_provided`) VALUES (%s,%s,%s,%s,{flags})",
        (_uuid(), network_id, name, "Enabled"),
    )


def _add_f5(conn: Any, c: str, host_id: int, network_id: int) -> None:
    _add_provider(conn, c, network_id, "F5BigIp", "0,0,0,0,0,0,0,1,0,0,0,0")
    execute(
        conn,
        f"INSERT INTO `{c}`.`external_load_balancer_devices` (physical_network_id, host_id, provider_name, "
        "device_name, capacity, is_dedicated, device_state, allocation_state, is_managed, uuid) VALUES "
        "( %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (network_id, host_id, "F5BigIp", "F5BigIpLoadBalancer", 0, False, "Enabled", "Shared", False, _uuid()),
    )


def _add_srx(conn: Any, c: str, host_id: int, network_id: int) -> None:
    _add_provider(conn, c, network_id, "JuniperSRX", "0,0,0,0,1,1,1,0,1,1,0,0")
    execute(
        conn,
        f"INSERT INTO `{c}`.`external_firewall_devices` (physical_network_id, host_id, provider_name, "
        "device_name, capacity, is_dedicated, device_state, allocation_state, uuid) VALUES "
        "( %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (network_id, host_id, "JuniperSRX", "JuniperSRXFirewall", 0, False, "Enabled", "Shared", _uuid()),
    )


def _external_hosts(conn: Any, c: str, zone_id: int, kind: str) -> list[int]:
    return [
        int(r[0])
        for r in rows(
            conn,
            f"SELECT id FROM `{c}`.`host` WHERE data_center_id=%s AND type = %s AND removed IS NULL",
            (zone_id, kind),
        )
    ]


def correct_external_network_devices_setup(conn: Any, c: str) -> None:
    for zone_id, network_type in rows(conn, f"SELECT id, networktype FROM `{c}`.`data_center`"):
        if network_type is None or str(network_type).lower() != "advanced":
            continue
        for (network_id,) in rows(conn, f"SELECT id FROM `{c}`.`physical_network` where data_center_id=%s", (zone_id,)):
            for provider, kind, add in (
                ("F5BigIp", "ExternalLoadBalancer", _add_f5),
                ("JuniperSRX", "ExternalFirewall", _add_srx),
            ):
                if not rows(
                    conn,
                    f"SELECT id from `{c}`.`physical_network_service_providers` where "
                    "physical_network_id=%s and provider_name = %s",
                    (network_id, provider),
                ):
                    for host_id in _external_hosts(conn, c, zone_id, kind):
                        add(conn, c, host_id, network_id)
    fix_zone_using_external_devices(conn, c)


def _first(conn: Any, sql: str, params: tuple[object, ...], failure: str) -> int:
    found = rows(conn, sql, params)
    if not found:
        raise StepFails(failure)
    return int(found[0][0])


def _zone_devices(conn: Any, c: str, zone_id: int) -> tuple[int, int, int, int]:
    """(F5 host, F5 device, SRX host, SRX device) of a zone using external devices."""
    f5_host = _first(
        conn,
        f"SELECT id FROM `{c}`.`host` WHERE data_center_id=%s AND type = 'ExternalLoadBalancer' AND removed IS NULL",
        (zone_id,),
        f"Cannot upgrade as there is no F5 load balancer device found in data center {zone_id}",
    )
    f5 = _first(
        conn,
        f"SELECT id FROM `{c}`.`external_load_balancer_devices` WHERE  host_id=%s",
        (f5_host,),
        f"Cannot upgrade as there is no F5 load balancer device with host ID {f5_host} found in "
        "external_load_balancer_device",
    )
    srx_host = _first(
        conn,
        f"SELECT id FROM `{c}`.`host` WHERE data_center_id=%s AND type = 'ExternalFirewall' AND removed IS NULL",
        (zone_id,),
        f"Cannot upgrade as there is no SRX firewall device found in data center {zone_id}",
    )
    srx = _first(
        conn,
        f"SELECT id FROM `{c}`.`external_firewall_devices` WHERE  host_id=%s",
        (srx_host,),
        f"Cannot upgrade as there is no SRX firewall device found with host ID {srx_host} found in "
        "external_firewall_devices",
    )
    return f5_host, f5, srx_host, srx


def fix_zone_using_external_devices(conn: Any, c: str) -> None:
    zones = rows(
        conn,
        f"select id from `{c}`.`data_center` where lb_provider='F5BigIp' or "
        "firewall_provider='JuniperSRX' or gateway_provider='JuniperSRX'",
    )
    if not zones:
        return
    offering = _first(
        conn,
        f"select id from `{c}`.`network_offerings` where unique_name=%s ",
        (EXTERNAL_PROVIDERS_OFFERING,),
        "fixZoneUsingExternalDevices:Exception",
    )
    for (zone_id,) in zones:
        f5_host, f5, srx_host, srx = _zone_devices(conn, c, zone_id)
        for (network_id,) in rows(
            conn,
            f"select id from `{c}`.`networks` where guest_type='Virtual' and "
            "data_center_id=%s and network_offering_id=%s and removed IS NULL",
            (zone_id, offering),
        ):
            for table, column, device in (
                ("network_external_lb_device_map", "external_load_balancer_device_id", f5),
                ("network_external_firewall_device_map", "external_firewall_device_id", srx),
            ):
                execute(
                    conn,
                    f"INSERT INTO `{c}`.`{table}` (uuid, network_id, {column}, created) VALUES ( %s, %s, %s, now())",
                    (_uuid(), network_id, device),
                )
        for host_id, name in rows(
            conn, f"SELECT host_id, name FROM `{c}`.`host_details` WHERE  host_id=%s OR host_id=%s", (f5_host, srx_host)
        ):
            if str(name).lower() in CAMEL_CASE_DETAILS:
                execute(
                    conn,
                    f"update `{c}`.`host_details` set name=%s where host_id=%s AND name=%s",
                    (str(name).lower(), host_id, name),
                )


def remove_firewall_service_from_sg_shared_offering(conn: Any, c: str) -> None:
    for (offering_id,) in rows(
        conn, f"select id from `{c}`.`network_offerings` where unique_name='DefaultSharedNetworkOfferingWithSGService'"
    ):
        execute(
            conn,
            f"DELETE from `{c}`.`ntwk_offering_service_map` where network_offering_id=%s and service='Firewall'",
            (offering_id,),
        )


def upgrade_vpc_service_map(conn: Any, c: str) -> None:
    for vpc_id, offering_id in rows(conn, f"SELECT id, vpc_offering_id FROM `{c}`.`vpc` where removed is NULL"):
        for service, provider in rows(
            conn,
            f"SELECT service, provider FROM `{c}`.`vpc_offering_service_map` where vpc_offering_id = %s",
            (offering_id,),
        ):
            execute(
                conn,
                f"INSERT INTO `{c}`.`vpc_service_map` (`vpc_id`, `service`, `provider`, `created`) VALUES "
                "(%s, %s, %s, now());",
                (vpc_id, service, provider),
            )
