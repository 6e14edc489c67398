"""Port of Upgrade41800to41810.performDataMigration (4.18.1.0), schema part.

Ported, in the Java's order: ``fixForeignKeyNames`` (on ``user_vm``, ``vm_template`` and
``volumes`` drop the foreign keys and then the keys named ``fk_<column>`` or ``fk_<table>__<column>``,
then add ``fk_<table>__<column>``), ``addForeignKeyToAutoscaleVmprofiles`` and ``addIndexes``
(``i_cluster_details__name``). Every DbUpgradeUtils error is logged, not fatal, so a re-run ends
in the same schema. ``copyGuestOsMappingsToVMware80u1`` copies the VMware 8.0 guest OS mappings to
8.0.1 (java_equiv/_guest_os_mapper.py; like the Java, a re-run inserts them again). The other two
GuestOsMapper calls are not ported yet (MISSING); what an operator does is in docs/acs-java-steps.md.
"""

from __future__ import annotations

from typing import Any

from java_equiv._dbupgrade import add_foreign_key, add_index_if_needed, drop_keys_if_exist
from java_equiv._guest_os_mapper import copy_guest_os_hypervisor_mappings

MISSING = ("updateGuestOsMappings", "mergeDuplicateGuestOSes")

# table -> (column, referenced table, the old key name the Java replaces)
RENAMED_FKS = (
    ("user_vm", "user_data_id", "user_data", "fk_user_data_id"),
    ("vm_template", "user_data_id", "user_data", "fk_user_data_id"),
    ("volumes", "passphrase_id", "passphrase", "fk_passphrase_id"),
)


def fix_foreign_key_names(conn: Any, cloud: str = "cloud") -> None:
    for table, column, ref_table, old in RENAMED_FKS:
        keys = (old, f"fk_{table}__{column}")
        drop_keys_if_exist(conn, table, keys, True, schema=cloud)
        drop_keys_if_exist(conn, table, keys, False, schema=cloud)
        add_foreign_key(conn, table, column, ref_table, "id", schema=cloud)


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    fix_foreign_key_names(conn, cloud)
    copy_guest_os_hypervisor_mappings(conn, "VMware", "8.0", "8.0.1", cloud=cloud)
    add_foreign_key(conn, "autoscale_vmprofiles", "user_data_id", "user_data", "id", schema=cloud)
    add_index_if_needed(conn, "cluster_details", "name", schema=cloud)
