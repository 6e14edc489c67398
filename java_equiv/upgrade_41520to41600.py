"""Port of Upgrade41520to41600.performDataMigration (4.16.0.0).

1. ``generateUuidForExistingSshKeyPairs``: the Java reads the SSH key pairs without a uuid but
   updates only the *first* one returned (``if (rs.next())``, not ``while``); the port does the
   same (lowest id first) so both paths leave the same rows. Each re-run fills one more.
2. ``populateAnnotationPermissions``: ALLOW ``listAnnotations``, ``addAnnotation`` and
   ``removeAnnotation`` for the default roles Resource Admin (2), Domain Admin (3) and User (4),
   unless the role already has a permission row for that rule (``INSERT IGNORE``, no sort order,
   as RolePermissionChecker does; its errors are logged, not fatal).
"""

from __future__ import annotations

from typing import Any

from java_equiv._db import execute, rows
from java_equiv._dbupgrade import tolerant

SCHEMA_EFFECTS: tuple[str, ...] = ()

ANNOTATION_RULES = ("listAnnotations", "addAnnotation", "removeAnnotation")
ROLES = (2, 3, 4)  # RoleType ResourceAdmin, DomainAdmin, User


def generate_uuid_for_first_ssh_keypair(conn: Any, cloud: str = "cloud") -> None:
    found = rows(conn, f"SELECT id FROM `{cloud}`.`ssh_keypairs` WHERE uuid IS NULL ORDER BY id LIMIT 1")
    if found:
        execute(conn, f"UPDATE `{cloud}`.`ssh_keypairs` SET `uuid` = UUID() WHERE id = %s", (found[0][0],))


def populate_annotation_permissions(conn: Any, cloud: str = "cloud") -> None:
    for role in ROLES:
        for rule in ANNOTATION_RULES:
            if rows(
                conn,
                f"SELECT permission FROM `{cloud}`.`role_permissions` WHERE role_id = %s AND rule = %s",
                (role, rule),
            ):
                continue
            tolerant(
                conn,
                f"INSERT IGNORE INTO `{cloud}`.`role_permissions` (uuid, role_id, rule, permission) "
                "VALUES (UUID(), %s, %s, 'ALLOW')",
                (role, rule),
            )


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    generate_uuid_for_first_ssh_keypair(conn, cloud)
    populate_annotation_permissions(conn, cloud)
