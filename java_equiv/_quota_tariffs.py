"""The quota-tariff conversions of Upgrade41720to41800 (4.18.0.0), in Python.

4.18 gives tariffs a name, an end date, a ``removed`` mark and a JavaScript activation rule
(schema-41720to41800.sql adds the columns and sets ``name`` to ``usage_name`` for tariffs already in
effect, ``usage_name-id`` for future ones). The Java then, with plain SQL on ``cloud_usage.quota_tariff``
(no DAO):

1. ``convert_quota_tariffs_to_new_paradigm``: chains the tariffs of each usage type so that each one
   ends where the next begins.
2. ``convert_vm_resources_quota_types_to_running_vm_quota_type``: turns the CPU_SPEED (15), vCPU (16)
   and MEMORY (17) tariffs into RUNNING_VM (1) tariffs with an activation rule, and removes the old ones.

Errors: every statement's error ends the step (the Java wraps each SQLException in a
CloudRuntimeException); here the driver's error propagates unchanged.

``cloud`` is accepted so every port of this step has the same signature; the Java names only
``cloud_usage``. ``cloud_usage`` names that schema (tests use a scratch one).
"""

from __future__ import annotations

import datetime as dt
import logging
from itertools import pairwise
from typing import Any

from java_equiv._db import execute, rows
from java_equiv._java import StepFails, java_date

LOG = logging.getLogger("flywayx.acs.41720to41800.quota")

# UsageTypes.listUsageTypes() of the CloudStack the chain is ported from (type, name), in its order.
# CPU_SPEED (15), vCPU (16) and MEMORY (17) are not listed: step 2 converts them instead.
USAGE_TYPES: tuple[tuple[int, str], ...] = (
    (1, "RUNNING_VM"),
    (2, "ALLOCATED_VM"),
    (3, "IP_ADDRESS"),
    (4, "NETWORK_BYTES_SENT"),
    (5, "NETWORK_BYTES_RECEIVED"),
    (6, "VOLUME"),
    (7, "TEMPLATE"),
    (8, "ISO"),
    (9, "SNAPSHOT"),
    (10, "SECURITY_GROUP"),
    (11, "LOAD_BALANCER_POLICY"),
    (12, "PORT_FORWARDING_RULE"),
    (13, "NETWORK_OFFERING"),
    (14, "VPN_USERS"),
    (21, "VM_DISK_IO_READ"),
    (22, "VM_DISK_IO_WRITE"),
    (23, "VM_DISK_BYTES_READ"),
    (24, "VM_DISK_BYTES_WRITE"),
    (25, "VM_SNAPSHOT"),
    (26, "VOLUME_SECONDARY"),
    (27, "VM_SNAPSHOT_ON_PRIMARY"),
    (28, "BACKUP"),
    (29, "BUCKET"),
    (30, "NETWORK"),
    (31, "VPC"),
)

# The activation rule each old type becomes; the tariff's currency_value is appended as text.
RUNNING_VM_RULES: tuple[tuple[int, str], ...] = (
    (
        15,
        "((value.computingResources ? (value.computingResources.cpuSpeed * value.computingResources.cpuNumber)"
        " : 0) / 100) * ",
    ),
    (16, "(value.computingResources ? value.computingResources.cpuNumber : 0) * "),
    (17, "(value.computingResources ? value.computingResources.memory : 0) * "),
)


def _tariff_days(conn: Any, usage: str, usage_type: int, previous: bool) -> dict[int, dt.date | None]:
    """id -> day of ``effective_on`` (what ``getDate`` keeps), in the Java's order.

    ``previous``: the tariffs in effect when 4.18's script ran (their name is still the usage
    name); otherwise every tariff not removed."""
    which = "usage_name = name" if previous else "removed IS NULL"
    found = rows(
        conn,
        f"SELECT id, effective_on FROM `{usage}`.`quota_tariff` WHERE {which} AND usage_type = %s "
        "ORDER BY effective_on, updated_on",
        (usage_type,),
    )
    return {int(tariff_id): java_date(effective_on) for tariff_id, effective_on in found}


def _end_dates(days: dict[int, dt.date | None]) -> list[tuple[int, dt.date]]:
    """Each tariff but the last ends on the day before the next one starts, or on that very day
    when both start the same day (DateUtils.isSameDay / addDays(-1))."""
    ends: list[tuple[int, dt.date]] = []
    for (tariff_id, day), (_next_id, next_day) in pairwise(days.items()):
        if day is None or next_day is None:  # NOT NULL in 4.18; DateUtils.isSameDay throws on a null
            raise StepFails(f"quota tariff {tariff_id} or the next one has no effective_on")
        ends.append((tariff_id, next_day if next_day == day else next_day - dt.timedelta(days=1)))
    return ends


def convert_quota_tariffs_to_new_paradigm(conn: Any, *, cloud: str = "cloud", cloud_usage: str = "cloud_usage") -> None:
    """For each listed usage type, in two passes:

    * the tariffs in effect at upgrade time (``usage_name = name``), oldest first: every one but the
      newest gets ``end_date`` and ``removed`` = the day before the next one's ``effective_on``
      (the same day when both start the same day), at midnight;
    * then every tariff not removed (the current one and the future ones): ``end_date`` only, alike.

    A type with fewer than two tariffs in a pass is left alone. Re-run on its own it writes the
    same values, so changes nothing. After step 2 has run, though, a re-run also chains the
    RUNNING_VM tariffs step 2 added (not removed): every RUNNING_VM tariff but the newest gets an
    end date, often long past, and stops applying. Re-running the Java's step does the same.
    """
    del cloud  # the Java names only cloud_usage
    for usage_type, usage_name in USAGE_TYPES:
        for previous in (True, False):
            days = _tariff_days(conn, cloud_usage, usage_type, previous)
            if len(days) < 2:
                LOG.info(
                    "quota tariffs of type %s (%s): %d %s, nothing to convert",
                    usage_name,
                    usage_type,
                    len(days),
                    "in effect" if previous else "not removed",
                )
                continue
            also_removed = ", removed = %s" if previous else ""
            for tariff_id, end in _end_dates(days):
                LOG.info(
                    "quota tariff %s (%s): end_date%s = %s",
                    tariff_id,
                    usage_name,
                    " and removed" if previous else "",
                    end,
                )
                params: tuple[object, ...] = (end, end, tariff_id) if previous else (end, tariff_id)
                execute(
                    conn, f"UPDATE `{cloud_usage}`.`quota_tariff` SET end_date = %s{also_removed} WHERE id = %s", params
                )


def _running_vm_insert_sql(usage: str) -> str:
    cases = " ".join(f"WHEN usage_type = {old} THEN CONCAT('{rule}', currency_value)" for old, rule in RUNNING_VM_RULES)
    return (
        f"INSERT INTO `{usage}`.`quota_tariff` (usage_type, usage_name, usage_unit, usage_discriminator, "
        "currency_value, effective_on, updated_on, updated_by, uuid, name, description, removed, end_date, "
        "activation_rule) "
        "SELECT 1, 'RUNNING_VM', usage_unit, '', 0, effective_on, updated_on, updated_by, UUID(), name, "
        f"description, removed, end_date, CASE {cases} END "
        f"FROM `{usage}`.`quota_tariff` WHERE usage_type IN (15, 16, 17) AND currency_value > 0.0"
    )


def convert_vm_resources_quota_types_to_running_vm_quota_type(
    conn: Any, *, cloud: str = "cloud", cloud_usage: str = "cloud_usage"
) -> None:
    """Every CPU_SPEED/vCPU/MEMORY tariff with a price above 0, removed or not, is copied as a
    RUNNING_VM tariff (type 1, price 0, discriminator '', a new uuid; name, description, dates and
    ``removed`` kept) whose activation rule multiplies the VM's cpuSpeed*cpuNumber/100, cpuNumber or
    memory by the old price; then the old tariffs not yet removed get ``removed = now()``.

    A re-run copies the same tariffs again (the copy does not look at ``removed``): one more
    RUNNING_VM row per priced CPU_SPEED/vCPU/MEMORY tariff each time. As the first run removed the
    originals, these copies arrive removed (inactive duplicates). The removal changes nothing.
    """
    del cloud  # the Java names only cloud_usage
    added = execute(conn, _running_vm_insert_sql(cloud_usage))
    LOG.info("%d CPU_SPEED/vCPU/MEMORY quota tariffs copied as RUNNING_VM tariffs", added)
    gone = execute(
        conn,
        f"UPDATE `{cloud_usage}`.`quota_tariff` SET removed = now() "
        "WHERE usage_type IN (15, 16, 17) AND removed IS NULL",
    )
    LOG.info("%d CPU_SPEED/vCPU/MEMORY quota tariffs removed", gone)
