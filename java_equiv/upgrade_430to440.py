"""Port of Upgrade430to440.performDataMigration (4.4.0), in the Java's order.

1. ``secondaryIpsAccountAndDomainIdsUpdate``: a NIC secondary IP whose VM's account differs
   from the IP's account *and* from the IP's domain id (the Java compares the account with the
   domain id; kept) takes the VM's account and domain; on a Shared network the public IP row of
   that address too. NULL ids read as 0, as ``getLong`` does.
2. ``moveCidrsToTheirOwnTable``: one ``network_acl_item_cidrs`` row per comma-separated CIDR of
   each ACL item (Java ``String.split``: trailing empty parts dropped). Not idempotent, as the
   Java: a re-run inserts the rows again. A NULL ``cidr`` stops the step, as the Java's NPE does.
3. ``addExtractTemplateAndVolumeColumns``: ``template_store_ref.download_url_created`` and
   ``download_url``, ``volume_store_ref.download_url_created``, each pair added only when
   ``download_url_created`` is missing (so a re-run adds nothing).
4. ``updateVlanUris``: ``vlan.vlan_id`` values without ``:`` become ``vlan://<id>``.
"""

from __future__ import annotations

import re
from typing import Any

from java_equiv._db import column_exists, execute, rows

SCHEMA_EFFECTS: tuple[str, ...] = (
    "table cloud.template_store_ref column download_url",
    "table cloud.template_store_ref column download_url_created",
    "table cloud.volume_store_ref column download_url_created",
)

# characters java.net.URI accepts in "vlan://<value>" (authority and path); others make the Java fail
URI_SAFE = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=@/%\[\]]*")


def secondary_ips_account_and_domain_ids(conn: Any, cloud: str) -> None:
    ips = rows(
        conn, f"SELECT id, vmId, network_id, account_id, domain_id, ip4_address FROM `{cloud}`.`nic_secondary_ips`"
    )
    for ip_id, vm_id, network_id, account_id, domain_id, address in ips:
        vm = rows(conn, f"SELECT account_id, domain_id FROM `{cloud}`.`vm_instance` WHERE id = %s", (vm_id or 0,))
        if not vm:
            continue
        vm_account, vm_domain = vm[0][0] or 0, vm[0][1] or 0
        if vm_account in (account_id or 0, domain_id or 0):
            continue
        execute(
            conn,
            f"UPDATE `{cloud}`.`nic_secondary_ips` SET account_id = %s, domain_id = %s WHERE id = %s",
            (vm_account, vm_domain, ip_id),
        )
        guest = rows(conn, f"SELECT guest_type FROM `{cloud}`.`networks` WHERE id = %s", (network_id or 0,))
        if guest and guest[0][0] == "Shared":
            execute(
                conn,
                f"UPDATE `{cloud}`.`user_ip_address` SET account_id = %s, domain_id = %s WHERE public_ip_address = %s",
                (vm_account, vm_domain, address),
            )


def java_split(text: str) -> list[str]:
    """``String.split(",")``: no comma gives the text itself; otherwise trailing empty parts go."""
    if "," not in text:
        return [text]
    parts = text.split(",")
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def move_cidrs_to_their_own_table(conn: Any, cloud: str) -> None:
    for item_id, cidrs in rows(conn, f"SELECT id, cidr FROM `{cloud}`.`network_acl_item`"):
        if cidrs is None:
            raise ValueError(f"network_acl_item {item_id} has no cidr (CloudStack's step fails here too)")
        for cidr in java_split(str(cidrs)):
            execute(
                conn,
                f"INSERT INTO `{cloud}`.`network_acl_item_cidrs` (network_acl_item_id, cidr) VALUES (%s, %s)",
                (item_id, cidr),
            )


def add_extract_template_and_volume_columns(conn: Any, cloud: str) -> None:
    if not column_exists(conn, cloud, "template_store_ref", "download_url_created"):
        execute(conn, f"ALTER TABLE `{cloud}`.`template_store_ref` ADD COLUMN `download_url_created` datetime")
        execute(conn, f"ALTER TABLE `{cloud}`.`template_store_ref` ADD COLUMN `download_url` varchar(255)")
    if not column_exists(conn, cloud, "volume_store_ref", "download_url_created"):
        execute(conn, f"ALTER TABLE `{cloud}`.`volume_store_ref` ADD COLUMN `download_url_created` datetime")


def update_vlan_uris(conn: Any, cloud: str) -> None:
    for vlan_row, vlan in rows(conn, f"SELECT id, vlan_id FROM `{cloud}`.`vlan` WHERE vlan_id NOT LIKE '%%:%%'"):
        if not vlan:
            continue
        if not URI_SAFE.fullmatch(str(vlan)):
            raise ValueError(f"vlan {vlan_row}: 'vlan://{vlan}' is not a URI (CloudStack's step fails here too)")
        execute(conn, f"UPDATE `{cloud}`.`vlan` SET vlan_id = %s WHERE id = %s", (f"vlan://{vlan}", vlan_row))


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    secondary_ips_account_and_domain_ids(conn, cloud)
    move_cidrs_to_their_own_table(conn, cloud)
    add_extract_template_and_volume_columns(conn, cloud)
    update_vlan_uris(conn, cloud)
