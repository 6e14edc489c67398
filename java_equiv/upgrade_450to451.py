"""Port of Upgrade450to451.performDataMigration (4.5.1), its five calls in the Java's order.

With the Java's SQL; DBEncryptionUtil is java_equiv/_dbencryption.py (the management server's
key from ``CLOUDSTACK_CONF_DIR``; values unchanged when the server does not encrypt):
- ``encryptKeyInKeyStore``: each non-NULL ``keystore.key`` is encrypted; a re-run encrypts it again.
- ``encryptIpSecPresharedKeysOfRemoteAccessVpn``: each ``remote_access_vpn.ipsec_psk`` is decrypted
  if it can be (a value that cannot is taken as plain, as the Java's catch does) and encrypted, so
  a re-run leaves the same plain text under a new salt or nonce.
- ``encryptStoragePoolUserInfo``: each non-NULL ``storage_pool.user_info`` is encrypted; a re-run
  encrypts it again.
- ``updateUserVmDetailsWithNicAdapterType``: each not-removed VM whose VMware template has a
  ``nicAdapter`` detail gets that detail copied into ``user_vm_details`` unless it has one
  (so a re-run adds nothing).
- ``upgradeVMWareLocalStorage``: host-scoped ``LVM`` pools of VMware clusters become ``VMFS``
  with ``host_address = 'VMFS datastore: <path>'``. A re-run finds no LVM pool left.
"""

from __future__ import annotations

import logging
from typing import Any

from java_equiv import _dbencryption
from java_equiv._db import execute, rows

LOG = logging.getLogger("flywayx.acs.450to451")

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


def encrypt_key_in_keystore(conn: Any, cloud: str = "cloud") -> None:
    if not _dbencryption.known("encryptKeyInKeyStore"):
        return
    for key_id, key in rows(conn, f"SELECT ks.id, ks.key FROM `{cloud}`.`keystore` ks WHERE ks.key IS NOT null"):
        execute(
            conn,
            f"UPDATE `{cloud}`.`keystore` ks SET ks.key = %s WHERE ks.id = %s",
            (_dbencryption.encrypt(key), key_id),
        )


def encrypt_ipsec_preshared_keys_of_remote_access_vpn(conn: Any, cloud: str = "cloud") -> None:
    if not _dbencryption.known("encryptIpSecPresharedKeysOfRemoteAccessVpn"):
        return
    table = f"`{cloud}`.`remote_access_vpn`"
    for vpn_id, psk in rows(conn, f"SELECT id, ipsec_psk FROM {table}"):
        try:
            psk = _dbencryption.decrypt(psk)
        except _dbencryption.EncryptionFailed:
            LOG.debug("ipsec_psk of remote_access_vpn %s is not encrypted; encrypting it", vpn_id)
        execute(conn, f"UPDATE {table} SET ipsec_psk=%s WHERE id=%s", (_dbencryption.encrypt(psk), vpn_id))


def encrypt_storage_pool_user_info(conn: Any, cloud: str = "cloud") -> None:
    if not _dbencryption.known("encryptStoragePoolUserInfo"):
        return
    table = f"`{cloud}`.`storage_pool`"
    for pool_id, user_info in rows(conn, f"SELECT id, user_info FROM {table} WHERE user_info IS NOT NULL"):
        execute(conn, f"UPDATE {table} SET user_info=%s WHERE id=%s", (_dbencryption.encrypt(user_info), pool_id))


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    encrypt_key_in_keystore(conn, cloud)
    encrypt_ipsec_preshared_keys_of_remote_access_vpn(conn, cloud)
    encrypt_storage_pool_user_info(conn, cloud)
    execute(conn, NIC_ADAPTER.format(c=cloud))
    execute(conn, VMFS.format(c=cloud))
