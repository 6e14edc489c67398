"""Port of Upgrade41700to41710.performDataMigration (4.17.1.0): ``updateStorPoolStorageType``.

The Java goes through CloudStack's DAOs; their SQL is: storage pools of provider ``StorPool`` with
``pool_type = 'SharedMountPoint'`` become ``StorPool`` (removed pools included: a DAO update adds
no ``removed`` filter); then every volume on a not-removed ``StorPool``-provider pool (the DAO's
search adds ``removed IS NULL``) gets ``pool_type = 'StorPool'``. A re-run changes nothing.
"""

from __future__ import annotations

from typing import Any

from java_equiv._db import execute, rows

SCHEMA_EFFECTS: tuple[str, ...] = ()


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    execute(
        conn,
        f"UPDATE `{cloud}`.`storage_pool` SET pool_type = 'StorPool' "
        "WHERE storage_provider_name = 'StorPool' AND pool_type = 'SharedMountPoint'",
    )
    pools = [
        r[0]
        for r in rows(
            conn,
            f"SELECT id FROM `{cloud}`.`storage_pool` WHERE storage_provider_name = 'StorPool' AND removed IS NULL",
        )
    ]
    if not pools:
        return
    marks = ", ".join(["%s"] * len(pools))
    execute(conn, f"UPDATE `{cloud}`.`volumes` SET pool_type = 'StorPool' WHERE pool_id IN ({marks})", tuple(pools))
