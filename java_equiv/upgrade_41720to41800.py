"""Port of Upgrade41720to41800.performDataMigration (4.18.0.0).

The six calls, in the Java's order:

1. ``convertQuotaTariffsToNewParadigm`` and 2. ``convertVmResourcesQuotaTypesToRunningVmQuotaType``
   (``cloud_usage`` quota tariffs; java_equiv/_quota_tariffs.py);
3. ``correctGuestOsNames``: "Fedora Linux" and "Mandriva Linux" (category 7) become "... (32 bit)",
   and the guest OS of the VMware 6.7.3 ``opensuseGuest`` mapping becomes "OpenSUSE Linux (32 bit)";
4. ``updateGuestOsMappings``: the guest OSes and hypervisor mappings of ``GUEST_OS_MAPPINGS``
   (the Java's literal lists, as data), through java_equiv/_guest_os_mapper.py;
5. ``correctGuestOsIdsInHypervisorMapping``: the XenServer 8.2.0 "Ubuntu Focal Fossa 20.04"
   mappings move to "Ubuntu 20.04 LTS" (category 10);
6. ``updateConfigurationGroups`` (java_equiv/_configuration_groups.py).

Like the Java, step 4 is not idempotent: a guest OS is added only when missing, but every run
inserts its mappings again (and step 3 having renamed "Fedora Linux" and "Mandriva Linux", step 4
adds new guest OSes of those names, as CloudStack does). The guest OS work is data only.
"""

from __future__ import annotations

from typing import Any

from java_equiv._configuration_groups import update_configuration_groups
from java_equiv._guest_os_mapper import (
    ADD_MAPPING,
    ADD_OS,
    Call,
    apply_calls,
    mappings_on,
    update_guest_os_id_in_hypervisor_mapping,
    update_guest_os_name,
    update_guest_os_name_from_mapping,
)
from java_equiv._quota_tariffs import (
    convert_quota_tariffs_to_new_paradigm,
    convert_vm_resources_quota_types_to_running_vm_quota_type,
)

SCHEMA_EFFECTS: tuple[str, ...] = ()

XEN = "Xenserver"  # the Java's spelling; stored as written
VMW = "VMware"
VMWARE_6_TO_7 = ("6.0", "6.5", "6.7", "6.7.1", "6.7.2", "6.7.3", "7.0", "7.0.1.0", "7.0.2.0", "7.0.3.0")

OS, MAP, _on = ADD_OS, ADD_MAPPING, mappings_on


# correctGuestOsNames
RENAMES = ((7, "Fedora Linux", "Fedora Linux (32 bit)"), (7, "Mandriva Linux", "Mandriva Linux (32 bit)"))
RENAME_FROM_MAPPING = ("OpenSUSE Linux (32 bit)", (VMW, "6.7.3", "opensuseGuest"))

# updateGuestOsMappings, in the Java's order: (kind, category id, display name, mappings)
GUEST_OS_MAPPINGS: tuple[Call, ...] = (
    (
        OS,
        5,
        "SUSE Linux Enterprise Desktop 12 SP3 (64-bit)",
        _on(XEN, "SUSE Linux Enterprise Desktop 12 SP3 (64-bit)", "8.1.0"),
    ),
    (
        OS,
        5,
        "SUSE Linux Enterprise Desktop 12 SP4 (64-bit)",
        _on(XEN, "SUSE Linux Enterprise Desktop 12 SP4 (64-bit)", "8.1.0"),
    ),
    (
        OS,
        5,
        "SUSE Linux Enterprise Server 12 SP4 (64-bit)",
        _on(XEN, "SUSE Linux Enterprise Server 12 SP4 (64-bit)", "8.1.0")
        + _on(XEN, "NeoKylin Linux Server 7", "8.1.0"),
    ),
    (
        OS,
        9,
        "Scientific Linux 7",
        _on(XEN, "Scientific Linux 7", "8.1.0") + _on(XEN, "NeoKylin Linux Server 7", "8.1.0"),
    ),
    (OS, 9, "NeoKylin Linux Server 7", _on(XEN, "NeoKylin Linux Server 7", "8.1.0")),
    (MAP, 1, "CentOS 8", _on(XEN, "CentOS 8", "8.1.0")),
    (MAP, 2, "Debian GNU/Linux 10 (32-bit)", _on(XEN, "Debian Buster 10", "8.1.0")),
    (MAP, 2, "Debian GNU/Linux 10 (64-bit)", _on(XEN, "Debian Buster 10", "8.1.0")),
    (MAP, 5, "SUSE Linux Enterprise Server 15 (64-bit)", _on(XEN, "SUSE Linux Enterprise 15 (64-bit)", "8.1.0")),
    (OS, 10, "Ubuntu 20.04 LTS", _on(XEN, "Ubuntu Focal Fossa 20.04", "8.2.0")),
    (OS, 7, "macOS 10.15 (64 bit)", _on(VMW, "darwin19_64Guest", "7.0")),
    (OS, 2, "Debian GNU/Linux 11 (64-bit)", _on(VMW, "debian11_64Guest", "7.0")),
    (OS, 2, "Debian GNU/Linux 11 (32-bit)", _on(VMW, "debian11Guest", "7.0")),
    (MAP, 6, "Windows Server 2019 (64-bit)", _on(VMW, "windows2019srv_64Guest", "7.0")),
    (OS, 7, "Amazon Linux 3 (64 bit)", _on(VMW, "amazonlinux3_64Guest", "7.0.1.0")),
    (OS, 7, "Asianux Server 9 (64 bit)", _on(VMW, "asianux9_64Guest", "7.0.1.0")),
    (OS, 1, "CentOS 9", _on(VMW, "centos9_64Guest", "7.0.1.0")),
    (OS, 7, "macOS 11 (64 bit)", _on(VMW, "darwin20_64Guest", "7.0.1.0") + _on(VMW, "darwin21_64Guest", "7.0.1.0")),
    (OS, 9, "FreeBSD 13 (64-bit)", _on(VMW, "freebsd13_64Guest", "7.0.1.0")),
    (OS, 9, "FreeBSD 13 (32-bit)", _on(VMW, "freebsd13Guest", "7.0.1.0")),
    (OS, 3, "Oracle Linux 9", _on(VMW, "oracleLinux9_64Guest", "7.0.1.0")),
    (OS, 2, "Linux 5.x Kernel (64-bit)", _on(VMW, "other5xLinux64Guest", "7.0.1.0")),
    (OS, 2, "Linux 5.x Kernel (32-bit)", _on(VMW, "other5xLinuxGuest", "7.0.1.0")),
    (OS, 4, "Red Hat Enterprise Linux 9.0", _on(VMW, "rhel9_64Guest", "7.0.1.0")),
    (OS, 5, "SUSE Linux Enterprise Server 16 (64-bit)", _on(VMW, "sles16_64Guest", "7.0.1.0")),
    (MAP, 6, "Windows Server 2019 (64-bit)", _on(VMW, "windows2019srvNext_64Guest", "7.0.1.0")),
    (OS, 11, "OVF Configured OS", ()),
    (OS, 2, "Linux 3.x Kernel (64 bit)", _on(VMW, "other3xLinux64Guest", *VMWARE_6_TO_7)),
    (OS, 2, "Linux 3.x Kernel (32 bit)", _on(VMW, "other3xLinuxGuest", *VMWARE_6_TO_7)),
    (OS, 7, "Amazon Linux 2 (64 bit)", _on(VMW, "amazonlinux2_64Guest", *VMWARE_6_TO_7[3:])),
    (OS, 7, "Asianux Server 4 (32 bit)", _on(VMW, "asianux4Guest", *VMWARE_6_TO_7)),
    (OS, 7, "Asianux Server 4 (64 bit)", _on(VMW, "asianux4_64Guest", *VMWARE_6_TO_7)),
    (OS, 7, "Asianux Server 5 (32 bit)", _on(VMW, "asianux5Guest", *VMWARE_6_TO_7)),
    (OS, 7, "Asianux Server 5 (64 bit)", _on(VMW, "asianux5_64Guest", *VMWARE_6_TO_7)),
    (OS, 7, "Asianux Server 7 (32 bit)", _on(VMW, "asianux7Guest", *VMWARE_6_TO_7[1:])),
    (OS, 7, "Asianux Server 7 (64 bit)", _on(VMW, "asianux7_64Guest", *VMWARE_6_TO_7[1:])),
    (OS, 7, "Asianux Server 8 (64 bit)", _on(VMW, "asianux8_64Guest", *VMWARE_6_TO_7[2:])),
    (OS, 7, "eComStation 2.0", _on(VMW, "eComStation2Guest", *VMWARE_6_TO_7[2:])),
    (OS, 7, "macOS 10.13 (64 bit)", _on(VMW, "darwin17_64Guest", *VMWARE_6_TO_7[2:])),
    (OS, 7, "macOS 10.14 (64 bit)", _on(VMW, "darwin18_64Guest", *VMWARE_6_TO_7[2:])),
    (OS, 7, "Fedora Linux (64 bit)", _on(VMW, "fedora64Guest", *VMWARE_6_TO_7)),
    (OS, 7, "Fedora Linux", _on(VMW, "fedoraGuest", *VMWARE_6_TO_7)),
    (OS, 7, "Mandrake Linux", _on(VMW, "mandrakeGuest", *VMWARE_6_TO_7)),
    (OS, 7, "Mandriva Linux (64 bit)", _on(VMW, "mandriva64Guest", *VMWARE_6_TO_7)),
    (OS, 7, "Mandriva Linux", _on(VMW, "mandrivaGuest", *VMWARE_6_TO_7)),
    (OS, 7, "SCO OpenServer 5", _on(VMW, "openServer5Guest", *VMWARE_6_TO_7)),
    (OS, 7, "SCO OpenServer 6", _on(VMW, "openServer6Guest", *VMWARE_6_TO_7)),
    (OS, 7, "OpenSUSE Linux (64 bit)", _on(VMW, "opensuse64Guest", *VMWARE_6_TO_7)),
    (OS, 7, "OpenSUSE Linux (32 bit)", _on(VMW, "opensuseGuest", *VMWARE_6_TO_7)),
    (OS, 7, "Solaris 11 (64 bit)", _on(VMW, "solaris11_64Guest", *VMWARE_6_TO_7)),
    (OS, 7, "VMware Photon (64 bit)", _on(VMW, "vmwarePhoton64Guest", *VMWARE_6_TO_7[1:])),
)

# correctGuestOsIdsInHypervisorMapping: (category id, display name, mapping)
CORRECTED_MAPPING_IDS = ((10, "Ubuntu 20.04 LTS", (XEN, "8.2.0", "Ubuntu Focal Fossa 20.04")),)


def correct_guest_os_names(conn: Any, *, cloud: str = "cloud") -> None:
    for category, old, new in RENAMES:
        update_guest_os_name(conn, category, old, new, cloud=cloud)
    new_name, mapping = RENAME_FROM_MAPPING
    update_guest_os_name_from_mapping(conn, new_name, mapping, cloud=cloud)


def update_guest_os_mappings(conn: Any, *, cloud: str = "cloud") -> None:
    apply_calls(conn, GUEST_OS_MAPPINGS, cloud=cloud)


def correct_guest_os_ids_in_hypervisor_mapping(conn: Any, *, cloud: str = "cloud") -> None:
    for category, name, mapping in CORRECTED_MAPPING_IDS:
        update_guest_os_id_in_hypervisor_mapping(conn, category, name, mapping, cloud=cloud)


def migrate(conn: Any, *, cloud: str = "cloud", cloud_usage: str = "cloud_usage") -> None:
    """``cloud`` and ``cloud_usage`` name the schemas the Java hard-codes (tests use scratch ones)."""
    convert_quota_tariffs_to_new_paradigm(conn, cloud=cloud, cloud_usage=cloud_usage)
    convert_vm_resources_quota_types_to_running_vm_quota_type(conn, cloud=cloud, cloud_usage=cloud_usage)
    correct_guest_os_names(conn, cloud=cloud)
    update_guest_os_mappings(conn, cloud=cloud)
    correct_guest_os_ids_in_hypervisor_mapping(conn, cloud=cloud)
    update_configuration_groups(conn, cloud=cloud)
