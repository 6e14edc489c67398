"""Port of Upgrade42000to42010.performDataMigration (4.20.1.0): 22 ``i_<table>__<cols>`` indexes.

Each index is created unless one of its name exists (a re-run does nothing). The Java's one
``renameIndexIfNeeded(user_ip_address, public_ip_address -> uk_public_ip_address)`` only tries
the rename when ``public_ip_address`` does *not* exist, so it never renames anything; the port
keeps that behaviour (java_equiv/_dbupgrade.py) so both paths leave the same schema.
"""

from __future__ import annotations

from typing import Any

from java_equiv._dbupgrade import add_index_if_needed, rename_index_if_needed

SCHEMA_EFFECTS: tuple[str, ...] = (
    "table cloud.async_job index i_async_job__instance_type__job_status",
    "table cloud.cluster index i_cluster__managed_state",
    "table cloud.domain_router index i_domain_router__role",
    "table cloud.host index i_host__mgmt_server_id",
    "table cloud.host index i_host__resource",
    "table cloud.host index i_host__resource_state",
    "table cloud.host index i_host__type",
    "table cloud.network_offering_details index i_network_offering_details__name",
    "table cloud.op_host_planner_reservation index i_op_host_planner_reservation__resource_usage",
    "table cloud.router_network_ref index i_router_network_ref__guest_type",
    "table cloud.service_offering index i_service_offering__cpu",
    "table cloud.service_offering index i_service_offering__ram_size",
    "table cloud.service_offering index i_service_offering__speed",
    "table cloud.storage_pool index i_storage_pool__data_center_id__status__scope__hypervisor",
    "table cloud.storage_pool index i_storage_pool__pool_type",
    "table cloud.user_ip_address index fk_user_ip_address__data_center_id",
    "table cloud.user_ip_address index fk_user_ip_address__vlan_db_id",
    "table cloud.user_ip_address index i_user_ip_address__data_center_id",
    "table cloud.user_ip_address index i_user_ip_address__public_ip_address",
    "table cloud.user_ip_address index i_user_ip_address__removed",
    "table cloud.user_ip_address index i_user_ip_address__vlan_db_id",
    "table cloud.vlan index fk_vlan__data_center_id",
    "table cloud.vlan index i_vlan__data_center_id",
    "table cloud.vlan index i_vlan__removed",
    "table cloud.vlan index i_vlan__vlan_type",
)

# (table, columns...) in the Java's order; the rename sits between the 4th and 5th entries.
BEFORE_RENAME = (
    ("host", "mgmt_server_id"),
    ("host", "resource"),
    ("host", "resource_state"),
    ("host", "type"),
)
AFTER_RENAME = (
    ("user_ip_address", "public_ip_address"),
    ("user_ip_address", "data_center_id"),
    ("user_ip_address", "vlan_db_id"),
    ("user_ip_address", "removed"),
    ("vlan", "vlan_type"),
    ("vlan", "data_center_id"),
    ("vlan", "removed"),
    ("network_offering_details", "name"),
    ("service_offering", "cpu"),
    ("service_offering", "speed"),
    ("service_offering", "ram_size"),
    ("op_host_planner_reservation", "resource_usage"),
    ("storage_pool", "pool_type"),
    ("storage_pool", "data_center_id", "status", "scope", "hypervisor"),
    ("router_network_ref", "guest_type"),
    ("domain_router", "role"),
    ("async_job", "instance_type", "job_status"),
    ("cluster", "managed_state"),
)


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    for table, *columns in BEFORE_RENAME:
        add_index_if_needed(conn, table, *columns, schema=cloud)
    rename_index_if_needed(conn, "user_ip_address", "public_ip_address", "uk_public_ip_address", schema=cloud)
    for table, *columns in AFTER_RENAME:
        add_index_if_needed(conn, table, *columns, schema=cloud)
