"""Port of Upgrade41120to41200.performDataMigration (4.12.0.0): a fresh ``UUID()`` for every
management server row (``mshost``). As in the Java, a database error is logged, not fatal, and a
re-run gives every row another new UUID (the Java is not idempotent here either).
"""

from __future__ import annotations

import logging
from typing import Any

from java_equiv._dbupgrade import tolerant

SCHEMA_EFFECTS: tuple[str, ...] = ()

LOG = logging.getLogger("flywayx.acs.41120to41200")


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    if not tolerant(conn, f"UPDATE `{cloud}`.`mshost` SET uuid = UUID()"):
        LOG.error("failed to add an UUID to each management server")
