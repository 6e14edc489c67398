"""Port of Upgrade410to420.performDataMigration (4.2.0): its 37 calls, in the Java's order.

The Java's SQL, every table qualified with ``cloud`` (keyword, for tests). Where the Java throws
(a CloudRuntimeException, or an unchecked exception its code cannot avoid) the port raises
``StepFails``, so the upgrade stops where CloudStack's stops. Like the Java, most data calls are
not idempotent (a re-run inserts their rows again, or fails on a unique key); each module says
which. On a fresh install most of them find no rows.

Schema (this module), each re-run ending in the same schema:
- ``addHostDetailsIndex``: index ``fk_host_details__host_id`` unless an index of that name exists.
- ``addIndexForAlert``: drops keys ``last_sent`` and ``i_alert__last_sent`` (logged when absent),
  adds ``i_alert__last_sent``.
- ``fixBaremetalForeignKeys``: drops the ``fk_external_dhcp_devices_*`` foreign keys of
  ``baremetal_dhcp_devices`` and (the Java reuses its list) those plus ``fk_external_pxe_devices_*``
  of ``baremetal_pxe_devices``, then adds ``nsp_id``, ``host_id`` and ``physical_network_id`` keys
  (ON DELETE CASCADE) to both; ``fk_external_dhcp_devices_pod_id`` is dropped and not re-added.
- ``fixNiciraKeys``, ``fixRouterKeys``: drop and re-add ``fk_nicira_nvp_nic_map__nic`` and
  ``fk_router_network_ref__router_id`` (ON DELETE CASCADE).
- ``migrateDatafromIsoIdInVolumesTable`` (java_equiv/_410to420_storage.py) renames
  ``volumes.iso_id1`` to ``iso_id`` on databases that have it.
Data: java_equiv/_410to420_zones.py (zones, clusters, VMware), _410to420_network.py (networks,
external devices, VPCs), _410to420_storage.py (image stores); here ``createFullCloneFlag``
(``vmware.create.full.clone``: false when a zone exists, else true) and ``upgradeResourceCount``
(the same Java as Upgrade420to421's, so that port's function), and ``encryptSite2SitePSK``:
each non-NULL ``s2s_customer_gateway.ipsec_psk`` goes through DBEncryptionUtil.encrypt
(java_equiv/_dbencryption.py: the management server's key from ``CLOUDSTACK_CONF_DIR``; unchanged
when the server does not encrypt). Like the Java it encrypts again on a re-run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from java_equiv import _410to420_network as network
from java_equiv import _410to420_storage as storage
from java_equiv import _410to420_zones as zones
from java_equiv import _dbencryption
from java_equiv._db import execute, rows
from java_equiv._dbupgrade import drop_keys_if_exist
from java_equiv.upgrade_420to421 import upgrade_resource_count

LOG = logging.getLogger("flywayx.acs.upgrade410to420")

# What the port adds on CloudStack's real 4.1.0 -> 4.2.0 path, compared with not running it (the
# fingerprints of both, after the 4.2.0 cleanup, and the same at 4.22.0.0): MySQL names each new
# foreign key's index after it. Nothing is dropped or changed there (the nicira/router keys are
# re-added as they were; no volumes.iso_id1 on that path).
SCHEMA_EFFECTS: tuple[str, ...] = (
    "table cloud.alert index i_alert__last_sent",
    "table cloud.baremetal_dhcp_devices foreign key fk_external_dhcp_devices_host_id",
    "table cloud.baremetal_dhcp_devices foreign key fk_external_dhcp_devices_nsp_id",
    "table cloud.baremetal_dhcp_devices foreign key fk_external_dhcp_devices_physical_network_id",
    "table cloud.baremetal_dhcp_devices index fk_external_dhcp_devices_host_id",
    "table cloud.baremetal_dhcp_devices index fk_external_dhcp_devices_nsp_id",
    "table cloud.baremetal_dhcp_devices index fk_external_dhcp_devices_physical_network_id",
    "table cloud.baremetal_pxe_devices foreign key fk_external_pxe_devices_host_id",
    "table cloud.baremetal_pxe_devices foreign key fk_external_pxe_devices_nsp_id",
    "table cloud.baremetal_pxe_devices foreign key fk_external_pxe_devices_physical_network_id",
    "table cloud.baremetal_pxe_devices index fk_external_pxe_devices_host_id",
    "table cloud.baremetal_pxe_devices index fk_external_pxe_devices_nsp_id",
    "table cloud.baremetal_pxe_devices index fk_external_pxe_devices_physical_network_id",
    "table cloud.host_details index fk_host_details__host_id",
)

DHCP_KEYS = (
    "fk_external_dhcp_devices_nsp_id",
    "fk_external_dhcp_devices_host_id",
    "fk_external_dhcp_devices_pod_id",
    "fk_external_dhcp_devices_physical_network_id",
)
PXE_KEYS = (
    *DHCP_KEYS,
    "fk_external_pxe_devices_nsp_id",
    "fk_external_pxe_devices_host_id",
    "fk_external_pxe_devices_physical_network_id",
)
BAREMETAL_FKS = (
    ("nsp_id", "physical_network_service_providers"),
    ("host_id", "host"),
    ("physical_network_id", "physical_network"),
)
FULL_CLONE_DESCRIPTION = "If set to true, creates VMs as full clones on ESX hypervisor"


def add_host_details_index(conn: Any, c: str) -> None:
    if not rows(conn, f"SHOW INDEX FROM `{c}`.`host_details` where KEY_NAME = 'fk_host_details__host_id'"):
        execute(conn, f"ALTER TABLE `{c}`.`host_details` ADD INDEX `fk_host_details__host_id` (`host_id`)")


def add_index_for_alert(conn: Any, c: str) -> None:
    drop_keys_if_exist(conn, "alert", ("last_sent", "i_alert__last_sent"), False, schema=c)
    execute(conn, f"ALTER TABLE `{c}`.`alert` ADD INDEX `i_alert__last_sent`(`last_sent`)")


def fix_baremetal_foreign_keys(conn: Any, c: str) -> None:
    drop_keys_if_exist(conn, "baremetal_dhcp_devices", DHCP_KEYS, True, schema=c)
    drop_keys_if_exist(conn, "baremetal_pxe_devices", PXE_KEYS, True, schema=c)
    for table, prefix in (
        ("baremetal_dhcp_devices", "fk_external_dhcp_devices"),
        ("baremetal_pxe_devices", "fk_external_pxe_devices"),
    ):
        for column, referenced in BAREMETAL_FKS:
            execute(
                conn,
                f"ALTER TABLE `{c}`.`{table}` ADD CONSTRAINT `{prefix}_{column}` FOREIGN KEY (`{column}`) "
                f"REFERENCES `{c}`.`{referenced}` (`id`) ON DELETE CASCADE",
            )


def _replace_foreign_key(
    conn: Any, c: str, table: str, name: str, column: str, referenced: str, ref_column: str
) -> None:
    drop_keys_if_exist(conn, table, (name,), True, schema=c)
    execute(
        conn,
        f"ALTER TABLE `{c}`.`{table}` ADD CONSTRAINT `{name}` FOREIGN KEY (`{column}`) "
        f"REFERENCES `{c}`.`{referenced}` (`{ref_column}`) ON DELETE CASCADE",
    )


def fix_nicira_keys(conn: Any, c: str) -> None:
    _replace_foreign_key(conn, c, "nicira_nvp_nic_map", "fk_nicira_nvp_nic_map__nic", "nic", "nics", "uuid")


def fix_router_keys(conn: Any, c: str) -> None:
    _replace_foreign_key(
        conn, c, "router_network_ref", "fk_router_network_ref__router_id", "router_id", "domain_router", "id"
    )


def create_full_clone_flag(conn: Any, c: str) -> None:
    execute(conn, f"delete from `{c}`.`configuration` where name='vmware.create.full.clone'")
    zones_found = int(rows(conn, f"select count(*) from `{c}`.`data_center`")[0][0])
    execute(
        conn,
        f"insert into `{c}`.`configuration` (`category`, `instance`, `component`, `name`, `value`, "
        "`description`) VALUES ('Advanced', 'DEFAULT', 'UserVmManager', 'vmware.create.full.clone' , %s, %s)",
        ("false" if zones_found > 0 else "true", FULL_CLONE_DESCRIPTION),
    )


def encrypt_site2site_psk(conn: Any, c: str) -> None:
    """Every row, one UPDATE each; a value is encrypted again if it already was (the Java does not check)."""
    if not _dbencryption.known("encryptSite2SitePSK"):
        return
    for gateway_id, psk in rows(conn, f"select id, ipsec_psk from `{c}`.`s2s_customer_gateway`"):
        if psk is not None:
            execute(
                conn,
                f"update `{c}`.`s2s_customer_gateway` set ipsec_psk=%s where id=%s",
                (_dbencryption.encrypt(psk), gateway_id),
            )


CALLS: tuple[tuple[str, Callable[[Any, str], None]], ...] = (
    ("movePrivateZoneToDedicatedResource", zones.move_private_zone_to_dedicated_resource),
    ("upgradeVmwareLabels", zones.upgrade_vmware_labels),
    ("persistLegacyZones", zones.persist_legacy_zones),
    ("persistVswitchConfiguration", zones.persist_vswitch_configuration),
    ("createPlaceHolderNics", network.create_placeholder_nics),
    ("updateRemoteAccessVpn", network.update_remote_access_vpn),
    ("updateOverCommitRatioClusterDetails", zones.update_overcommit_ratio_cluster_details),
    ("updatePrimaryStore", storage.update_primary_store),
    ("addEgressFwRulesForSRXGuestNw", network.add_egress_fw_rules_for_srx_guest_nw),
    ("upgradeEIPNetworkOfferings", network.upgrade_eip_network_offerings),
    ("updateGlobalDeploymentPlanner", network.update_global_deployment_planner),
    ("upgradeDefaultVpcOffering", network.upgrade_default_vpc_offering),
    ("upgradePhysicalNtwksWithInternalLbProvider", network.upgrade_physical_ntwks_with_internal_lb_provider),
    ("updateNetworkACLs", network.update_network_acls),
    ("addHostDetailsIndex", add_host_details_index),
    ("updateNetworksForPrivateGateways", network.update_networks_for_private_gateways),
    ("correctExternalNetworkDevicesSetup", network.correct_external_network_devices_setup),
    (
        "removeFirewallServiceFromSharedNetworkOfferingWithSGService",
        network.remove_firewall_service_from_sg_shared_offering,
    ),
    ("fix22xKVMSnapshots", storage.fix_22x_kvm_snapshots),
    ("setKVMSnapshotFlag", storage.set_kvm_snapshot_flag),
    ("addIndexForAlert", add_index_for_alert),
    ("fixBaremetalForeignKeys", fix_baremetal_foreign_keys),
    ("migrateSecondaryStorageToImageStore", storage.migrate_secondary_storage_to_image_store),
    ("migrateVolumeHostRef", storage.migrate_volume_host_ref),
    ("migrateTemplateHostRef", storage.migrate_template_host_ref),
    ("migrateSnapshotStoreRef", storage.migrate_snapshot_store_ref),
    ("migrateS3ToImageStore", storage.migrate_s3_to_image_store),
    ("migrateSwiftToImageStore", storage.migrate_swift_to_image_store),
    ("fixNiciraKeys", fix_nicira_keys),
    ("fixRouterKeys", fix_router_keys),
    ("encryptSite2SitePSK", encrypt_site2site_psk),
    ("migrateDatafromIsoIdInVolumesTable", storage.migrate_datafrom_iso_id_in_volumes_table),
    ("setRAWformatForRBDVolumes", storage.set_raw_format_for_rbd_volumes),
    ("migrateVolumeOnSecondaryStorage", storage.migrate_volume_on_secondary_storage),
    ("createFullCloneFlag", create_full_clone_flag),
    ("upgradeVpcServiceMap", network.upgrade_vpc_service_map),
    ("upgradeResourceCount", upgrade_resource_count),
)


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    for name, call in CALLS:
        LOG.debug("Upgrade410to420.%s", name)
        call(conn, cloud)
