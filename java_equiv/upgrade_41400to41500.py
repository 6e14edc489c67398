"""Port of Upgrade41400to41500.performDataMigration: seed the permissions of the four new default
roles (Read-Only Admin/User, Support Admin/User), in the Java's order and with its sort orders.

Each role is looked up by name with ``is_default = 1``; a missing role is skipped, as in the Java.
Inserts are ``ON DUPLICATE KEY UPDATE rule=rule``, so a re-run changes nothing.
"""

from __future__ import annotations

from typing import Any

from java_equiv._db import execute, rows

SCHEMA_EFFECTS: tuple[str, ...] = ()

INSERT = (
    "INSERT INTO `{c}`.`role_permissions` (`uuid`, `role_id`, `rule`, `permission`, `sort_order`) "
    "VALUES (UUID(), %s, %s, %s, %s) ON DUPLICATE KEY UPDATE rule=rule"
)

READ_ONLY_ADMIN = (
    ("list*", "ALLOW"),
    ("getUploadParamsFor*", "DENY"),
    ("get*", "ALLOW"),
    ("cloudianIsEnabled", "ALLOW"),
    ("queryAsyncJobResult", "ALLOW"),
    ("quotaIsEnabled", "ALLOW"),
    ("quotaTariffList", "ALLOW"),
    ("quotaSummary", "ALLOW"),
    ("*", "DENY"),
)
READ_ONLY_USER_EXTRA = ("cloudianIsEnabled", "queryAsyncJobResult", "quotaIsEnabled", "quotaTariffList", "quotaSummary")
_SUPPORT = (
    "startVirtualMachine",
    "stopVirtualMachine",
    "rebootVirtualMachine",
    "startKubernetesCluster",
    "stopKubernetesCluster",
    "createVolume",
    "attachVolume",
    "detachVolume",
    "uploadVolume",
    "attachIso",
    "detachIso",
    "registerTemplate",
    "registerIso",
)
SUPPORT_ADMIN_EXTRA = (
    "prepareHostForMaintenance",
    "cancelHostMaintenance",
    "enableStorageMaintenance",
    "cancelStorageMaintenance",
    "createServiceOffering",
    "createDiskOffering",
    "createNetworkOffering",
    "createVPCOffering",
    *_SUPPORT,
)
SUPPORT_USER_EXTRA = (*_SUPPORT, "getUploadParamsFor*")


def role_id(conn: Any, name: str, cloud: str = "cloud") -> int | None:
    found = rows(conn, f"SELECT id FROM `{cloud}`.`roles` WHERE name = %s AND is_default = 1", (name,))
    return int(found[0][0]) if found else None


def _rules(conn: Any, sql: str, params: tuple[object, ...] = ()) -> list[str]:
    return [str(r[0]) for r in rows(conn, sql, params)]


def _grant(conn: Any, role: int, rules: list[tuple[str, str]], cloud: str = "cloud") -> None:
    for order, (rule, permission) in enumerate(rules):
        execute(conn, INSERT.format(c=cloud), (role, rule, permission, order))


def _allowed(conn: Any, role: int, cloud: str = "cloud") -> list[str]:
    return _rules(
        conn,
        f"SELECT rule FROM `{cloud}`.`role_permissions` WHERE role_id = %s AND permission = 'ALLOW' "
        "ORDER BY sort_order",
        (role,),
    )


def read_only_user_rules(conn: Any, cloud: str = "cloud") -> list[str]:
    """The Java copies role 4's (the default User role's) allowed list* and get* rules."""
    base = f"SELECT rule FROM `{cloud}`.`role_permissions` WHERE role_id = 4 AND permission = 'ALLOW' AND "
    lists = _rules(conn, base + "rule LIKE 'list%%' ORDER BY sort_order")
    gets = _rules(conn, base + "rule LIKE 'get%%' AND rule NOT LIKE 'getUploadParamsFor%%' ORDER BY sort_order")
    return lists + gets + list(READ_ONLY_USER_EXTRA)


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    ro_admin = role_id(conn, "Read-Only Admin - Default", cloud)
    if ro_admin is not None:
        _grant(conn, ro_admin, list(READ_ONLY_ADMIN), cloud)
    ro_user = role_id(conn, "Read-Only User - Default", cloud)
    if ro_user is not None:
        _grant(conn, ro_user, [(r, "ALLOW") for r in read_only_user_rules(conn, cloud)] + [("*", "DENY")], cloud)
    for name, source, extra in (
        ("Support Admin - Default", ro_admin, SUPPORT_ADMIN_EXTRA),
        ("Support User - Default", ro_user, SUPPORT_USER_EXTRA),
    ):
        role = role_id(conn, name, cloud)
        if role is not None and source is not None:
            rules = _allowed(conn, source, cloud) + list(extra)
            _grant(conn, role, [(r, "ALLOW") for r in rules] + [("*", "DENY")], cloud)
