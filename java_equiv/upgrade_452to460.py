"""Port of Upgrade452to460.performDataMigration (4.6.0; Upgrade453to460 inherits it).

The Java, in order: copies each VM's first user of its account into ``vm_instance.user_id``; adds
``vpc.redundant``, ``vpc_offerings.redundant_router_service`` and ``networks.redundant`` (later
scripts and views need them) and marks networks of redundant offerings; drops
``domain_router.is_priority_bumpup``; re-creates index ``i_vm_instance__instance_name``.
The Java fails on any error; here the DDL tolerates "already done" (duplicate column, missing
column or key) so a re-run after a partial failure can finish.
"""

from __future__ import annotations

from typing import Any

from java_equiv._db import DUPLICATE_COLUMN, execute, execute_unless, rows

SCHEMA_EFFECTS: tuple[str, ...] = (
    "table cloud.domain_router column is_priority_bumpup",
    "table cloud.networks column redundant",
    "table cloud.vm_instance index i_vm_instance__instance_name",
    "table cloud.vpc column redundant",
    "table cloud.vpc_offerings column redundant_router_service",
)

CANT_DROP = 1091  # column or key does not exist

ADD_REDUNDANCY = (
    "ALTER TABLE `{c}`.`vpc` ADD COLUMN `redundant` tinyint(1) DEFAULT 0",
    "ALTER TABLE `{c}`.`vpc_offerings` ADD COLUMN `redundant_router_service` tinyint(1) DEFAULT 0",
    "ALTER TABLE `{c}`.`networks` ADD COLUMN `redundant` tinyint(1) DEFAULT 0",
)


def update_vm_instance_user_id(conn: Any, cloud: str = "cloud") -> None:
    for vm_id, account_id in rows(conn, f"SELECT id, account_id FROM `{cloud}`.`vm_instance`"):
        users = rows(conn, f"SELECT id FROM `{cloud}`.`user` WHERE account_id = %s", (account_id,))
        if users:
            execute(conn, f"UPDATE `{cloud}`.`vm_instance` SET user_id = %s WHERE id = %s", (users[0][0], vm_id))


def add_redundancy_for_nw_and_vpc(conn: Any, cloud: str = "cloud") -> None:
    for sql in ADD_REDUNDANCY:
        execute_unless(conn, sql.format(c=cloud), DUPLICATE_COLUMN)
    offerings = rows(
        conn,
        f"SELECT DISTINCT nw.network_offering_id FROM `{cloud}`.`networks` nw JOIN "
        f"`{cloud}`.`network_offerings` off ON nw.network_offering_id = off.id "
        "WHERE off.redundant_router_service = 1",
    )
    for (offering,) in offerings:
        execute(conn, f"UPDATE `{cloud}`.`networks` SET redundant = 1 WHERE network_offering_id = %s", (offering,))


def add_index_for_vm_instance(conn: Any, cloud: str = "cloud") -> None:
    execute_unless(conn, f"ALTER TABLE `{cloud}`.`vm_instance` DROP KEY `i_vm_instance__instance_name`", CANT_DROP)
    execute(conn, f"ALTER TABLE `{cloud}`.`vm_instance` ADD INDEX `i_vm_instance__instance_name`(`instance_name`)")


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    update_vm_instance_user_id(conn, cloud)
    add_redundancy_for_nw_and_vpc(conn, cloud)
    execute_unless(conn, f"ALTER TABLE `{cloud}`.`domain_router` DROP COLUMN `is_priority_bumpup`", CANT_DROP)
    add_index_for_vm_instance(conn, cloud)
