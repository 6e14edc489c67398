"""Port of Upgrade41800to41810.performDataMigration (4.18.1.0).

The six calls, in the Java's order:

1. ``fixForeignKeyNames``: on ``user_vm``, ``vm_template`` and ``volumes`` drop the foreign keys and
   then the keys named ``fk_<column>`` or ``fk_<table>__<column>``, then add ``fk_<table>__<column>``;
2. ``updateGuestOsMappings`` (``GUEST_OS_MAPPINGS``, the Java's literal lists as data): VMware 6.5-8.0
   mappings for Ubuntu 20.04, Ubuntu 22.04 (added when missing) with KVM and VMware mappings, the
   VMware 8.0/8.0.0.1 names of AlmaLinux/Oracle Linux/Rocky Linux 9 and the VMware 7.0-8.0.0.1 name
   of Red Hat Enterprise Linux 9 (category 1), ten guest OSes for VMware 8.0;
3. ``copyGuestOsMappingsToVMware80u1``: every VMware 8.0 mapping copied to 8.0.1;
4. ``addForeignKeyToAutoscaleVmprofiles``; 5. ``mergeDuplicateGuestOSes``: guest OSes sharing a
   display name are merged (java_equiv/_guest_os_mapper.py ``merge_duplicates``: the survivor gets
   the mappings it lacks, the others are hidden with ``display`` = 0 and stay referenced), then every
   "Red Hat Enterprise Linux 9" is merged the same way into the first "Red Hat Enterprise Linux 9.0";
6. ``addIndexes`` (``i_cluster_details__name``).

Every DbUpgradeUtils error is logged, not fatal, so a re-run ends in the same schema. As in the
Java, steps 2 and 3 insert their mappings again on a re-run, and the port fails (LookupError) where
the Java fails: a category-1 guest OS of step 2 without the mapping to rename, or no
"Red Hat Enterprise Linux 9.0" guest OS to merge into. The merge itself keeps a fixed survivor
(the Java's is arbitrary, see _guest_os_mapper.py), so running it again changes nothing.
"""

from __future__ import annotations

from typing import Any

from java_equiv._dbupgrade import add_foreign_key, add_index_if_needed, drop_keys_if_exist
from java_equiv._guest_os_mapper import (
    ADD_MAPPING,
    ADD_OS,
    RENAME_IN_MAPPING,
    Call,
    apply_calls,
    copy_guest_os_hypervisor_mappings,
    list_by_display_name,
    make_normative,
    mappings_on,
    merge_duplicates,
)

# Measured on CloudStack's chain (schema after 4.18.1.0's prepare script, with and without the port):
# the three renamed foreign keys and the new one come with an index of the same name.
SCHEMA_EFFECTS: tuple[str, ...] = (
    "table cloud.autoscale_vmprofiles foreign key fk_autoscale_vmprofiles__user_data_id",
    "table cloud.autoscale_vmprofiles index fk_autoscale_vmprofiles__user_data_id",
    "table cloud.cluster_details index i_cluster_details__name",
    "table cloud.user_vm foreign key fk_user_vm__user_data_id",
    "table cloud.user_vm index fk_user_vm__user_data_id",
    "table cloud.vm_template foreign key fk_vm_template__user_data_id",
    "table cloud.vm_template index fk_vm_template__user_data_id",
    "table cloud.volumes foreign key fk_volumes__passphrase_id",
    "table cloud.volumes index fk_volumes__passphrase_id",
)

# table -> (column, referenced table, the old key name the Java replaces)
RENAMED_FKS = (
    ("user_vm", "user_data_id", "user_data", "fk_user_data_id"),
    ("vm_template", "user_data_id", "user_data", "fk_user_data_id"),
    ("volumes", "passphrase_id", "passphrase", "fk_passphrase_id"),
)

VMW = "VMware"
UBUNTU_VMWARE = ("6.5", "6.7", "6.7.1", "6.7.2", "6.7.3", "7.0", "7.0.1.0", "7.0.2.0", "7.0.3.0", "8.0")
OS, MAP, RENAME, _on = ADD_OS, ADD_MAPPING, RENAME_IN_MAPPING, mappings_on

# updateGuestOsMappings, in the Java's order: (kind, category id, display name, mappings)
GUEST_OS_MAPPINGS: tuple[Call, ...] = (
    (MAP, 10, "Ubuntu 20.04 LTS", _on(VMW, "ubuntu64Guest", *UBUNTU_VMWARE)),
    (OS, 10, "Ubuntu 22.04 LTS", _on("KVM", "Ubuntu 22.04 LTS", "default") + _on(VMW, "ubuntu64Guest", *UBUNTU_VMWARE)),
    (RENAME, 1, "AlmaLinux 9", _on(VMW, "almalinux_64Guest", "8.0")),
    (RENAME, 1, "Oracle Linux 9", _on(VMW, "oracleLinux9_64Guest", "8.0")),
    (RENAME, 1, "Rocky Linux 9", _on(VMW, "rockylinux_64Guest", "8.0")),
    (RENAME, 1, "AlmaLinux 9", _on(VMW, "almalinux_64Guest", "8.0.0.1")),
    (RENAME, 1, "Oracle Linux 9", _on(VMW, "oracleLinux9_64Guest", "8.0.0.1")),
    (RENAME, 1, "Rocky Linux 9", _on(VMW, "rockylinux_64Guest", "8.0.0.1")),
    (
        RENAME,
        1,
        "Red Hat Enterprise Linux 9",
        _on(VMW, "rhel9_64Guest", "7.0", "7.0.1.0", "7.0.2.0", "7.0.3.0", "8.0", "8.0.0.1"),
    ),
    (OS, 7, "macOS 13 (64-bit)", _on(VMW, "darwin22_64Guest", "8.0")),
    (OS, 7, "macOS 14 (64-bit)", _on(VMW, "darwin23_64Guest", "8.0")),
    (OS, 2, "Debian GNU/Linux 12 (64-bit)", _on(VMW, "debian12_64Guest", "8.0")),
    (OS, 2, "Debian GNU/Linux 12 (32-bit)", _on(VMW, "debian12Guest", "8.0")),
    (OS, 9, "FreeBSD 14 (64-bit)", _on(VMW, "freebsd14_64Guest", "8.0")),
    (OS, 9, "FreeBSD 14 (32-bit)", _on(VMW, "freebsd14Guest", "8.0")),
    (OS, 7, "Linux 6.x Kernel (64-bit)", _on(VMW, "other6xLinux64Guest", "8.0")),
    (OS, 7, "Linux 6.x Kernel (32-bit)", _on(VMW, "other6xLinuxGuest", "8.0")),
    (OS, 7, "VMware ESXi 8.0", _on(VMW, "vmkernel8Guest", "8.0")),
    (OS, 6, "Windows 11 (64-bit)", _on(VMW, "windows11_64Guest", "8.0")),
)


def fix_foreign_key_names(conn: Any, cloud: str = "cloud") -> None:
    for table, column, ref_table, old in RENAMED_FKS:
        keys = (old, f"fk_{table}__{column}")
        drop_keys_if_exist(conn, table, keys, True, schema=cloud)
        drop_keys_if_exist(conn, table, keys, False, schema=cloud)
        add_foreign_key(conn, table, column, ref_table, "id", schema=cloud)


def update_guest_os_mappings(conn: Any, *, cloud: str = "cloud") -> None:
    apply_calls(conn, GUEST_OS_MAPPINGS, cloud=cloud)


def merge_duplicate_guest_oses(conn: Any, *, cloud: str = "cloud") -> None:
    merge_duplicates(conn, cloud=cloud)
    nines = [i for i, _ in list_by_display_name(conn, "Red Hat Enterprise Linux 9", cloud=cloud)]
    nine_dot_zero = list_by_display_name(conn, "Red Hat Enterprise Linux 9.0", cloud=cloud)
    if not nine_dot_zero:  # the Java's listByDisplayName(...).get(0) throws
        raise LookupError(
            "no guest OS 'Red Hat Enterprise Linux 9.0' to merge 'Red Hat Enterprise Linux 9' into; "
            "CloudStack's mergeDuplicateGuestOSes fails here (IndexOutOfBoundsException)"
        )
    make_normative(conn, nine_dot_zero[0][0], nines, cloud=cloud)


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    fix_foreign_key_names(conn, cloud)
    update_guest_os_mappings(conn, cloud=cloud)
    copy_guest_os_hypervisor_mappings(conn, "VMware", "8.0", "8.0.1", cloud=cloud)
    add_foreign_key(conn, "autoscale_vmprofiles", "user_data_id", "user_data", "id", schema=cloud)
    merge_duplicate_guest_oses(conn, cloud=cloud)
    add_index_if_needed(conn, "cluster_details", "name", schema=cloud)
