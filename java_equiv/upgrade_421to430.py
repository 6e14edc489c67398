"""Port of Upgrade421to430.performDataMigration (4.3.0), all but the encryption.

Ported: ``upgradeMemoryOfSsvmOffering`` sets ``ram_size = 512`` on the first (lowest id)
``service_offering`` of ``vm_type`` ``secondarystoragevm`` (id 0, no row, when there is none, as
in the Java). A re-run sets the same value.

Not ported: ``encryptImageStoreDetails`` encrypts ``image_store_details`` ``key``/``secretkey``
with DBEncryptionUtil, which needs the management server's key; see docs/acs-java-steps.md.
"""

from __future__ import annotations

from typing import Any

from java_equiv._db import execute, rows

MISSING = ("encryptImageStoreDetails",)

SCHEMA_EFFECTS: tuple[str, ...] = ()

SSVM_RAM_MB = 512


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    found = rows(conn, f"SELECT id FROM `{cloud}`.`service_offering` WHERE vm_type = 'secondarystoragevm' "
                       "ORDER BY id LIMIT 1")
    execute(conn, f"UPDATE `{cloud}`.`service_offering` SET ram_size = %s WHERE id = %s",
            (SSVM_RAM_MB, found[0][0] if found else 0))
