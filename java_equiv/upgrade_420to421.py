"""Port of Upgrade420to421.performDataMigration (4.2.1), with the Java's SQL.

1. ``upgradeResourceCount``: for every not-removed account, upsert its ``resource_count`` rows
   ``cpu`` and ``memory`` (service offerings of its running user VMs), ``primary_storage`` (its
   user VMs' volumes) and ``secondary_storage`` (path-less volumes + snapshots + downloaded
   templates); then every domain's four counts are reset to 0 and set to the sum over its
   accounts (removed ones included, as the Java's join does). SUMs of nothing count 0.
2. ``updateOverprovisioningPerVm``: every not-removed VM without a ``cpuOvercommitRatio`` detail
   gets ``cpuOvercommitRatio`` = ``cpu.overprovisioning.factor`` (default 1) and
   ``memoryOvercommitRatio`` = ``mem.overprovisioning.factor`` on VMware, 1 elsewhere
   (``INSERT IGNORE``). A NULL hypervisor type stops the step, as the Java's NPE does.
Both are idempotent: counts are recomputed, ratios are only added where missing.
"""

from __future__ import annotations

from typing import Any

from java_equiv._db import execute, rows

SCHEMA_EFFECTS: tuple[str, ...] = ()

RESOURCE_TYPES = ("cpu", "memory", "primary_storage", "secondary_storage")

OFFERING_TOTALS = (
    "SELECT SUM(service_offering.cpu), SUM(service_offering.ram_size) FROM `{c}`.`vm_instance`, "
    "`{c}`.`service_offering` WHERE vm_instance.service_offering_id = service_offering.id "
    "AND vm_instance.account_id = %s AND vm_instance.removed IS NULL AND vm_instance.vm_type='User' "
    "AND state NOT IN ('Destroyed', 'Error', 'Expunging')"
)
VOLUME_TOTAL = (
    "SELECT SUM(size) FROM `{c}`.`volumes` WHERE account_id = %s AND (path IS NOT NULL OR state IN "
    "('Allocated')) AND removed IS NULL AND instance_id IN (SELECT id FROM `{c}`.`vm_instance` "
    "WHERE vm_type='User')"
)
SECONDARY_TOTALS = (
    "SELECT SUM(size) FROM `{c}`.`volumes` WHERE account_id = %s AND path IS NULL AND state NOT IN ('Allocated') "
    "AND removed IS NULL",
    "SELECT SUM(size) FROM `{c}`.`snapshots` WHERE account_id = %s AND removed IS NULL",
    "SELECT SUM(template_store_ref.size) FROM `{c}`.`template_store_ref`, `{c}`.`vm_template` WHERE account_id = %s "
    "AND template_store_ref.template_id = vm_template.id AND download_state = 'DOWNLOADED' AND destroyed = false "
    "AND removed IS NULL",
)
DOMAIN_SUMS = (
    "SELECT account.domain_id, SUM(resource_count.count) FROM `{c}`.`account` LEFT JOIN "
    "`{c}`.`resource_count` ON account.id = resource_count.account_id WHERE resource_count.type = %s "
    "GROUP BY account.domain_id"
)
UPSERT = (
    "INSERT INTO `{c}`.`resource_count` ({owner}, type, count) VALUES (%s, %s, %s) "
    "ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id), count = %s"
)


def _number(conn: Any, sql: str, account_id: int) -> list[int]:
    """The first row's values, NULL as 0 (``ResultSet.getLong``)."""
    found = rows(conn, sql, (account_id,))
    return [int(v or 0) for v in found[0]] if found else []


def _count(conn: Any, cloud: str, owner: str, owner_id: int, kind: str, value: int) -> None:
    execute(conn, UPSERT.format(c=cloud, owner=owner), (owner_id, kind, value, value))


def upgrade_resource_count(conn: Any, cloud: str = "cloud") -> None:
    for account_id, _domain in rows(conn, f"SELECT id, domain_id FROM `{cloud}`.`account` WHERE removed IS NULL"):
        cpu, memory = _number(conn, OFFERING_TOTALS.format(c=cloud), account_id) or [0, 0]
        primary = (_number(conn, VOLUME_TOTAL.format(c=cloud), account_id) or [0])[0]
        secondary = sum((_number(conn, sql.format(c=cloud), account_id) or [0])[0] for sql in SECONDARY_TOTALS)
        for kind, value in zip(RESOURCE_TYPES, (cpu, memory, primary, secondary), strict=True):
            _count(conn, cloud, "account_id", account_id, kind, value)
    for (domain_id,) in rows(conn, f"SELECT id FROM `{cloud}`.`domain`"):
        for kind in RESOURCE_TYPES:
            _count(conn, cloud, "domain_id", domain_id, kind, 0)
    for kind in RESOURCE_TYPES:
        for domain_id, total in rows(conn, DOMAIN_SUMS.format(c=cloud), (kind,)):
            _count(conn, cloud, "domain_id", int(domain_id or 0), kind, int(total or 0))


def _setting(conn: Any, cloud: str, name: str) -> str:
    found = rows(conn, f"SELECT value FROM `{cloud}`.`configuration` WHERE name = %s", (name,))
    return str(found[0][0]) if found else "1"


def update_overprovisioning_per_vm(conn: Any, cloud: str = "cloud") -> None:
    cpu = _setting(conn, cloud, "cpu.overprovisioning.factor")
    mem = _setting(conn, cloud, "mem.overprovisioning.factor")
    vms = rows(
        conn,
        f"SELECT id, hypervisor_type FROM `{cloud}`.`vm_instance` WHERE removed IS NULL AND id NOT IN "
        f"(SELECT vm_id FROM `{cloud}`.`user_vm_details` WHERE name='cpuOvercommitRatio')",
    )
    insert = f"INSERT IGNORE INTO `{cloud}`.`user_vm_details` (vm_id, name, value) VALUES (%s, %s, %s)"
    for vm_id, hypervisor in vms:
        if hypervisor is None:
            raise ValueError(f"vm_instance {vm_id} has no hypervisor_type (CloudStack's step fails here too)")
        execute(conn, insert, (vm_id, "cpuOvercommitRatio", cpu))
        execute(conn, insert, (vm_id, "memoryOvercommitRatio", mem if str(hypervisor).lower() == "vmware" else "1"))


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    upgrade_resource_count(conn, cloud)
    update_overprovisioning_per_vm(conn, cloud)
