"""Port of Upgrade442to450.performDataMigration (4.5.0), its five calls in the Java's order.

Drop key ``storage_pool.id_2`` and foreign key
``async_job_join_map.fk_async_job_join_map__join_job_id`` (DbUpgradeUtils: already gone is
logged, not fatal); ``updateMaxRouterSizeConfig``: the ``Hidden`` setting ``router.ram.size``
becomes ``256`` through DBEncryptionUtil.encrypt (java_equiv/_dbencryption.py: the management
server's key from ``CLOUDSTACK_CONF_DIR``; plain ``256`` when the server does not encrypt); set
``ram_size = 256`` on the first (lowest id) ``service_offering`` of ``vm_type`` ``domainrouter``
and on the first of ``internalloadbalancervm`` — only those, user offerings come later. A re-run
writes the same values (the setting with a new random salt or nonce when encrypted).
"""

from __future__ import annotations

from typing import Any

from java_equiv import _dbencryption
from java_equiv._db import execute, rows
from java_equiv._dbupgrade import drop_keys_if_exist

SCHEMA_EFFECTS: tuple[str, ...] = (
    "table cloud.async_job_join_map foreign key fk_async_job_join_map__join_job_id",
    "table cloud.storage_pool index id_2",
)

NEW_RAM_MB = 256


def update_max_router_size_config(conn: Any, cloud: str = "cloud") -> None:
    if not _dbencryption.known("updateMaxRouterSizeConfig"):
        return
    execute(
        conn,
        f"UPDATE `{cloud}`.`configuration` SET value=%s WHERE name='router.ram.size' AND category='Hidden'",
        (_dbencryption.encrypt(str(NEW_RAM_MB)),),
    )


def upgrade_system_offering_memory(conn: Any, vm_type: str, cloud: str = "cloud") -> None:
    """The Java updates id 0 (no row) when there is no such offering; same here."""
    found = rows(
        conn, f"SELECT id FROM `{cloud}`.`service_offering` WHERE vm_type = %s ORDER BY id LIMIT 1", (vm_type,)
    )
    offering = found[0][0] if found else 0
    execute(conn, f"UPDATE `{cloud}`.`service_offering` SET ram_size = %s WHERE id = %s", (NEW_RAM_MB, offering))


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    drop_keys_if_exist(conn, "storage_pool", ["id_2"], False, schema=cloud)
    drop_keys_if_exist(conn, "async_job_join_map", ["fk_async_job_join_map__join_job_id"], True, schema=cloud)
    update_max_router_size_config(conn, cloud)
    upgrade_system_offering_memory(conn, "domainrouter", cloud)
    upgrade_system_offering_memory(conn, "internalloadbalancervm", cloud)
