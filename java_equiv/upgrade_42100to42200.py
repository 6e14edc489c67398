"""Port of Upgrade42100to42200.performDataMigration (4.22.0.0): owners of policies and schedules.

A snapshot policy with neither ``account_id`` nor ``domain_id`` takes both from its volume; a
backup schedule with neither takes both from its VM (``vm_instance``). Rows already owned are
not touched, so a re-run changes nothing. Errors stop the step, as in the Java.
"""

from __future__ import annotations

from typing import Any

from java_equiv._db import execute, rows

SCHEMA_EFFECTS: tuple[str, ...] = ()

OWNERS = (
    ("snapshot_policy", "volumes", "volume_id"),
    ("backup_schedule", "vm_instance", "vm_id"),
)


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    for table, owner_table, link in OWNERS:
        found = rows(
            conn,
            f"SELECT t.id, o.account_id, o.domain_id FROM `{cloud}`.`{table}` t, "
            f"`{cloud}`.`{owner_table}` o WHERE t.{link} = o.id "
            "AND (t.account_id IS NULL AND t.domain_id IS NULL)",
        )
        for row_id, account_id, domain_id in found:
            execute(
                conn,
                f"UPDATE `{cloud}`.`{table}` SET account_id = %s, domain_id = %s WHERE id = %s",
                (account_id, domain_id, row_id),
            )
