"""Port of Upgrade421to430.performDataMigration (4.3.0), both calls in the Java's order.

- ``encryptImageStoreDetails``: each non-NULL ``image_store_details`` value named ``key`` or
  ``secretkey`` goes through DBEncryptionUtil.encrypt (java_equiv/_dbencryption.py: the management
  server's key from ``CLOUDSTACK_CONF_DIR``; unchanged when the server does not encrypt). Like the
  Java it encrypts them again on a re-run.
- ``upgradeMemoryOfSsvmOffering`` sets ``ram_size = 512`` on the first (lowest id)
  ``service_offering`` of ``vm_type`` ``secondarystoragevm`` (id 0, no row, when there is none, as
  in the Java). A re-run sets the same value.
"""

from __future__ import annotations

from typing import Any

from java_equiv import _dbencryption
from java_equiv._db import execute, rows

SCHEMA_EFFECTS: tuple[str, ...] = ()

SSVM_RAM_MB = 512


def encrypt_image_store_details(conn: Any, cloud: str = "cloud") -> None:
    if not _dbencryption.known("encryptImageStoreDetails"):
        return
    table = f"`{cloud}`.`image_store_details`"
    for detail_id, value in rows(conn, f"select id, value from {table} where name = 'key' or name = 'secretkey'"):
        if value is not None:
            execute(conn, f"update {table} set value=%s where id=%s", (_dbencryption.encrypt(value), detail_id))


def upgrade_memory_of_ssvm_offering(conn: Any, cloud: str = "cloud") -> None:
    found = rows(
        conn, f"SELECT id FROM `{cloud}`.`service_offering` WHERE vm_type = 'secondarystoragevm' ORDER BY id LIMIT 1"
    )
    execute(
        conn,
        f"UPDATE `{cloud}`.`service_offering` SET ram_size = %s WHERE id = %s",
        (SSVM_RAM_MB, found[0][0] if found else 0),
    )


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    encrypt_image_store_details(conn, cloud)
    upgrade_memory_of_ssvm_offering(conn, cloud)
