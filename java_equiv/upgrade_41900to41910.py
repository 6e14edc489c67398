"""Port of Upgrade41900to41910.performDataMigration (4.19.1.0): index ``i_vm_stats__vm_id``.

Created only when no index of that name exists; a re-run does nothing.
"""

from __future__ import annotations

from typing import Any

from java_equiv._dbupgrade import add_index_if_needed

SCHEMA_EFFECTS: tuple[str, ...] = ("table cloud.vm_stats index i_vm_stats__vm_id",)


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    add_index_if_needed(conn, "vm_stats", "vm_id", schema=cloud)
