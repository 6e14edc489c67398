"""Port of Upgrade461to470.performDataMigration: add ``cloud_usage.cloud_usage.quota_calculated``.

The Java adds the column and, when the error message names the column (it already exists),
only logs a warning; any other failure stops the upgrade. Same here, keyed on errno 1060.
"""

from __future__ import annotations

import logging
from typing import Any

from java_equiv._db import DUPLICATE_COLUMN, execute_unless

SCHEMA_EFFECTS: tuple[str, ...] = ("table cloud_usage.cloud_usage column quota_calculated",)

LOG = logging.getLogger("flywayx.acs.461to470")

ADD_QUOTA_CALCULATED = (
    "ALTER TABLE `{usage}`.`cloud_usage` ADD COLUMN `quota_calculated` tinyint(1) "
    "DEFAULT 0 NOT NULL COMMENT 'quota calculation status'"
)


def migrate(conn: Any, *, usage: str = "cloud_usage") -> None:
    """``usage`` names the usage database (tests use scratch names)."""
    if not execute_unless(conn, ADD_QUOTA_CALCULATED.format(usage=usage), DUPLICATE_COLUMN):
        LOG.warning("cloud_usage.cloud_usage already has quota_calculated")
