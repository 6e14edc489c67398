"""Port of Upgrade41910to42000.performDataMigration (4.20.0.0): ``affinity_group.name`` to utf8mb4.

When the longest name is at most 191 bytes (``LENGTH``, the most an index can hold in utf8mb4),
the column becomes ``VARCHAR(191) CHARACTER SET utf8mb4 NOT NULL``; otherwise a warning is logged.
An empty table (MAX is NULL) counts as length 0, as the Java's ``getLong`` reads it. Any database
error is logged, not fatal, as in the Java. A re-run repeats the same MODIFY.
"""

from __future__ import annotations

import logging
from typing import Any

from java_equiv._db import rows
from java_equiv._dbupgrade import tolerant

SCHEMA_EFFECTS: tuple[str, ...] = ("table cloud.affinity_group column name",)

LOG = logging.getLogger("flywayx.acs.41910to42000")

MAX_INDEXED_UTF8MB4 = 191


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    try:
        found = rows(conn, f"SELECT MAX(LENGTH(name)) FROM `{cloud}`.`affinity_group`")
    except Exception as err:
        if not (err.args and isinstance(err.args[0], int)):
            raise
        LOG.warning("exception while updating char set for affinity group name to utf8mb4: %s", err)
        return
    longest = int(found[0][0] or 0) if found else 0
    if longest > MAX_INDEXED_UTF8MB4:
        LOG.warning("affinity group names longer than %d bytes: name keeps its character set", MAX_INDEXED_UTF8MB4)
        return
    tolerant(
        conn,
        f"ALTER TABLE `{cloud}`.`affinity_group` MODIFY `name` VARCHAR({MAX_INDEXED_UTF8MB4}) "
        "CHARACTER SET utf8mb4 NOT NULL",
    )
