"""Port of Upgrade481to490.performDataMigration (dynamic roles).

1. Add ``cloud.account.role_id`` with key and FK to ``roles``; if the column already exists the
   Java stops the whole migration there (accounts were migrated before), and so does this port.
2. Add ``cloud_usage.account.role_id``.
3. Give every account the default role of its account type (RoleType: admin 1, resource admin 2,
   domain admin 3, user 4); other types (read-only admin, project) are skipped, as in the Java.
4. The Java then runs ``create-default-role-api-mappings.sql``; the importer writes that file as
   the SQL migration ``V4.9.0.2.1``, which runs right after this one.
"""

from __future__ import annotations

import logging
from typing import Any

from java_equiv._db import DUPLICATE_COLUMN, execute, execute_unless, rows

SCHEMA_EFFECTS: tuple[str, ...] = (
    "table cloud.account column role_id",
    "table cloud.account foreign key fk_account__role_id",
    "table cloud.account index fk_account__role_id",
    "table cloud_usage.account column role_id",
)

LOG = logging.getLogger("flywayx.acs.481to490")

ADD_ROLE_ID = (
    "ALTER TABLE `{cloud}`.`account` "
    "ADD COLUMN `role_id` bigint(20) unsigned COMMENT 'role id for this account' AFTER `type`, "
    "ADD KEY `fk_account__role_id` (`role_id`), "
    "ADD CONSTRAINT `fk_account__role_id` FOREIGN KEY (`role_id`) REFERENCES `{cloud}`.`roles` (`id`)"
)
ADD_USAGE_ROLE_ID = "ALTER TABLE `{usage}`.`account` ADD COLUMN `role_id` bigint(20) unsigned AFTER `type`"

# Account.Type ordinal -> RoleType id (NORMAL, ADMIN, DOMAIN_ADMIN, RESOURCE_DOMAIN_ADMIN)
ROLE_BY_ACCOUNT_TYPE = {0: 4, 1: 1, 2: 3, 3: 2}


def migrate(conn: Any, *, cloud: str = "cloud", usage: str = "cloud_usage") -> None:
    """``cloud``/``usage`` name the two databases (tests use scratch names)."""
    if not execute_unless(conn, ADD_ROLE_ID.format(cloud=cloud), DUPLICATE_COLUMN):
        LOG.warning("cloud.account already has role_id; skipping the role migration")
        return
    execute(conn, ADD_USAGE_ROLE_ID.format(usage=usage))
    migrate_accounts_to_default_roles(conn, cloud)


def migrate_accounts_to_default_roles(conn: Any, cloud: str = "cloud") -> None:
    for account_id, account_type in rows(conn, f"SELECT `id`, `type` FROM `{cloud}`.`account`"):
        role = ROLE_BY_ACCOUNT_TYPE.get(int(account_type))
        if role is None:
            LOG.warning("no default role for account id=%s (type %s); skipped", account_id, account_type)
            continue
        execute(conn, f"UPDATE `{cloud}`.`account` SET `role_id` = %s WHERE `id` = %s", (role, account_id))
