"""Port of Upgrade41610to41700.performDataMigration (4.17.0.0): ``fixWrongDatastoreClusterPoolUuid``.

A not-removed ``DatastoreCluster`` storage pool whose uuid lacks dashes (``uuid NOT LIKE
'%-%-%-%'``) gets the dashed form: the Java builds ``new UUID(msb, lsb)`` from hex digits 0-15 and
16-end (each cut to 64 bits, as ``BigInteger.longValue`` does) and prints it 8-4-4-4-12.
A fixed uuid has dashes, so a re-run changes nothing. A uuid that is not hex, or shorter than 16
characters, stops the step, as the Java's exception does.
"""

from __future__ import annotations

from typing import Any

from java_equiv._db import execute, rows

SCHEMA_EFFECTS: tuple[str, ...] = ()

MASK64 = (1 << 64) - 1


def dashed_uuid(raw: str) -> str:
    """``1234…`` (32 hex digits) -> ``12345678-…``, as java.util.UUID(msb, lsb).toString()."""
    if len(raw) < 16:
        raise ValueError(f"pool uuid {raw!r} is shorter than 16 characters")
    digits = f"{int(raw[:16], 16) & MASK64:016x}{int(raw[16:], 16) & MASK64:016x}"
    return "-".join((digits[:8], digits[8:12], digits[12:16], digits[16:20], digits[20:]))


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    pools = rows(
        conn,
        f"SELECT id, uuid FROM `{cloud}`.`storage_pool` WHERE uuid NOT LIKE '%%-%%-%%-%%' "
        "AND removed IS NULL AND pool_type = 'DatastoreCluster'",
    )
    fixed = [(dashed_uuid(str(uuid)), pool_id) for pool_id, uuid in pools]
    for uuid, pool_id in fixed:
        execute(conn, f"UPDATE `{cloud}`.`storage_pool` SET uuid = %s WHERE id = %s", (uuid, pool_id))
