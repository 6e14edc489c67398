"""Port of Upgrade450to451.performDataMigration (4.5.1), all but the three encryptions.

Ported, with the Java's SQL:
- ``updateUserVmDetailsWithNicAdapterType``: each not-removed VM whose VMware template has a
  ``nicAdapter`` detail gets that detail copied into ``user_vm_details`` unless it has one
  (so a re-run adds nothing).
- ``upgradeVMWareLocalStorage``: host-scoped ``LVM`` pools of VMware clusters become ``VMFS``
  with ``host_address = 'VMFS datastore: <path>'``. A re-run finds no LVM pool left.

Not ported: ``encryptKeyInKeyStore``, ``encryptIpSecPresharedKeysOfRemoteAccessVpn`` and
``encryptStoragePoolUserInfo`` need the management server's DBEncryptionUtil key; see
docs/acs-java-steps.md.
"""

from __future__ import annotations

from typing import Any

from java_equiv._db import execute

MISSING = ("encryptKeyInKeyStore", "encryptIpSecPresharedKeysOfRemoteAccessVpn", "encryptStoragePoolUserInfo")

SCHEMA_EFFECTS: tuple[str, ...] = ()

NIC_ADAPTER = (
    "INSERT INTO `{c}`.`user_vm_details` (vm_id, name, value, display) SELECT v.id, details.name, details.value, "
    "details.display FROM `{c}`.`vm_instance` AS v, `{c}`.`vm_template_details` AS details WHERE v.removed IS NULL "
    "AND v.vm_template_id = details.template_id AND details.name = 'nicAdapter' AND details.template_id IN "
    "(SELECT id FROM `{c}`.`vm_template` WHERE hypervisor_type = 'vmware') AND v.id NOT IN "
    "(SELECT vm_id FROM `{c}`.`user_vm_details` WHERE name = 'nicAdapter')"
)
# The Java sets host_address through a user variable; CONCAT in the SET list is the same value.
VMFS = (
    "UPDATE `{c}`.`storage_pool` SET pool_type = 'VMFS', host_address = CONCAT('VMFS datastore: ', path) "
    "WHERE CONCAT('VMFS datastore: ', path) IS NOT NULL AND scope = 'HOST' AND pool_type = 'LVM' AND id IN "
    "(SELECT * FROM (SELECT storage_pool.id FROM `{c}`.`storage_pool`, `{c}`.`cluster` "
    "WHERE storage_pool.cluster_id = cluster.id AND cluster.hypervisor_type = 'VMware') AS t)"
)


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    execute(conn, NIC_ADAPTER.format(c=cloud))
    execute(conn, VMFS.format(c=cloud))
