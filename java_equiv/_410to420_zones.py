"""Upgrade410to420 (4.2.0): the zone, cluster and VMware calls, with the Java's SQL, every table
qualified with the schema ``c``. Where the Java throws, ``StepFails`` is raised (java_equiv/_java.py).

- ``movePrivateZoneToDedicatedResource``: every domain owning a zone gets an ``ExplicitDedication``
  affinity group (found, or created as ``DedicatedGrp-domain-<name>`` with its domain map) and each
  of its zones a ``dedicated_resources`` row. A re-run adds the zones again.
- ``upgradeVmwareLabels``: never updates a label. Its pattern ``vmware*.vswitch`` is unanchored
  ``vmwar``, any ``e``, one character, ``vswitch``, so it matches none of the real settings
  (``vmware.guest.vswitch``, …); and for a matching row the Java binds to the wrong statement and
  runs the two inner ones with no value bound, so Connector/J throws and the upgrade stops. The
  port runs the same query and stops on a match too.
- ``persistLegacyZones``: a zone whose VMware clusters span several vCenter datacenters, or whose
  datacenter also serves another zone, goes to ``legacy_zones``; every other VMware zone gets a
  ``vmware_data_center`` (name, vCenter, user and password of its first cluster, copied as stored)
  and a zone map row. The cross-zone check walks a ``HashMap`` (its order decides row ids). A
  cluster without a ``url`` detail, or a URL with fewer than four ``/`` parts, stops the step.
  Not idempotent (unique keys refuse the second run), as in the Java.
- ``persistVswitchConfiguration``: ``guestvswitchtype``/``publicvswitchtype`` details
  (``vmwaresvs``, or ``nexusdvs`` when ``vmware.use.nexus.vswitch`` is true, which also sets
  ``vmware.use.dvswitch``) for VMware clusters. The Java keeps every cluster seen in one map and
  writes the whole map after each cluster, so the first of n VMware clusters gets n copies; kept.
- ``updateOverCommitRatioClusterDetails``: ``cpuOvercommitRatio``/``memoryOvercommitRatio`` per
  cluster from the global factors (memory 1 except on VMware). A re-run inserts them again.
"""

from __future__ import annotations

import uuid
from typing import Any

from java_equiv._db import execute, rows
from java_equiv._java import StepFails, equals_ignore_case, hashmap_order, java_split, java_str, long_hash, string_hash

EXPLICIT = "ExplicitDedication"
NEXUS_PARAM, DVS_PARAM, VSWITCH_CATEGORY = "vmware.use.nexus.vswitch", "vmware.use.dvswitch", "Network"
STANDARD_VSWITCH, NEXUS_VSWITCH = "vmwaresvs", "nexusdvs"
GUEST_VSWITCH_TYPE, PUBLIC_VSWITCH_TYPE = "guestvswitchtype", "publicvswitchtype"  # ApiConstants


def _uuid() -> str:
    return str(uuid.uuid4())


def _domain_group(conn: Any, c: str, domain_id: int, domain_name: str) -> tuple[int, str]:
    """(affinity group id, the domain name the Java now holds) for one dedicated domain."""
    found = rows(
        conn,
        f"SELECT affinity_group.id FROM `{c}`.`affinity_group` INNER JOIN "
        f"`{c}`.`affinity_group_domain_map` ON affinity_group.id=affinity_group_domain_map."
        "affinity_group_id WHERE affinity_group.type = 'ExplicitDedication' AND "
        "affinity_group.acl_type = 'Domain'  AND  (affinity_group_domain_map.domain_id = %s)",
        (domain_id,),
    )
    if found:
        return int(found[0][0]), domain_name
    names = rows(conn, f"SELECT name FROM `{c}`.`domain` where id = %s", (domain_id,))
    if names:
        domain_name = java_str(names[0][0])
    key = _uuid()
    execute(
        conn,
        f"INSERT INTO `{c}`.`affinity_group` (`name`, `type`, `uuid`, `description`, `domain_id`, "
        "`account_id`, `acl_type`) VALUES (%s, %s, %s, %s, 1, 1, 'Domain')",
        ("DedicatedGrp-domain-" + domain_name, EXPLICIT, key, "dedicated resources group"),
    )
    ids = rows(conn, f"SELECT affinity_group.id FROM `{c}`.`affinity_group` where uuid = %s", (key,))
    group_id = int(ids[0][0]) if ids else 0
    execute(
        conn,
        f"INSERT INTO `{c}`.`affinity_group_domain_map` (`domain_id`, `affinity_group_id`) VALUES (%s, %s)",
        (domain_id, group_id),
    )
    return group_id, domain_name


def move_private_zone_to_dedicated_resource(conn: Any, c: str) -> None:
    domain_name = ""  # the Java keeps the last name read, across domains
    for (domain_id,) in rows(
        conn, f"SELECT distinct(`domain_id`) FROM `{c}`.`data_center` WHERE `domain_id` IS NOT NULL AND removed IS NULL"
    ):
        group_id, domain_name = _domain_group(conn, c, domain_id, domain_name)
        for (zone_id,) in rows(
            conn, f"SELECT `id` FROM `{c}`.`data_center` WHERE `domain_id` = %s AND removed IS NULL", (domain_id,)
        ):
            execute(
                conn,
                f"INSERT INTO `{c}`.`dedicated_resources` (`uuid`,`data_center_id`, `domain_id`, "
                "`affinity_group_id`) VALUES (%s, %s, %s, %s)",
                (_uuid(), zone_id, domain_id, group_id),
            )


def upgrade_vmware_labels(conn: Any, c: str) -> None:
    found = rows(
        conn,
        f"select name,value from `{c}`.`configuration` where category='Hidden' and value is not NULL "
        "and name REGEXP 'vmware*.vswitch'",
    )
    if found:
        raise StepFails(
            f"upgradeVmwareLabels: setting {found[0][0]!r} matches; CloudStack's Java binds its traffic "
            'type to a statement without parameters and fails ("Unable to set vmware traffic labels")'
        )


def _vcenter_and_datacenter(url: str | None, cluster_id: int) -> tuple[str, str]:
    """``http://vcenter/dc/cluster`` -> (vcenter, dc), split as the Java splits it."""
    if url is None:
        raise StepFails(f"cluster {cluster_id}: url detail is NULL (the Java's NullPointerException)")
    tokens = java_split(url, "/")
    if len(tokens) < 4:
        raise StepFails(f"cluster {cluster_id}: url {url!r} has no datacenter part (the Java's index error)")
    return tokens[2], tokens[3]


def _cluster_url(conn: Any, c: str, cluster_id: int) -> str | None:
    found = rows(conn, f"select value from `{c}`.`cluster_details` where name='url' and cluster_id=%s", (cluster_id,))
    if not found:
        raise StepFails(f"cluster {cluster_id} has no url detail; CloudStack's Java fails reading it")
    return None if found[0][0] is None else str(found[0][0])


def _zone_datacenters(conn: Any, c: str, clusters: list[tuple[Any, ...]]) -> tuple[bool, list[str]] | None:
    """(legacy?, ``dc@vcenter`` of its clusters) of one zone, or None when the Java ignores it: its
    first cluster is not VMware. Like the Java, the walk stops at the first non-VMware cluster."""
    legacy, ignore, datacenters, current = False, True, [], ""
    for count, (cluster_id, hypervisor) in enumerate(clusters):
        if not equals_ignore_case(hypervisor, "VMware", f"cluster {cluster_id} hypervisor_type"):
            break
        ignore = False
        vcenter, name = _vcenter_and_datacenter(_cluster_url(conn, c, cluster_id), cluster_id)
        previous, current = current, f"{name}@{vcenter}"
        if current not in datacenters:
            datacenters.append(current)
        if count > 0 and previous.lower() != current.lower():
            legacy = True
    return None if ignore else (legacy, datacenters)


def persist_legacy_zones(conn: Any, c: str) -> None:
    legacy: list[int] = []
    non_legacy: list[int] = []
    zones_of: dict[str, list[int]] = {}  # the Java's dcToZoneMap, keys in first-put order
    for (zone_id,) in rows(conn, f"select id from `{c}`.`data_center` where removed is NULL"):
        clusters = rows(
            conn,
            f"select id, hypervisor_type from `{c}`.`cluster` where removed is NULL AND data_center_id=%s",
            (zone_id,),
        )
        found = _zone_datacenters(conn, c, clusters) if clusters else None
        if found is None:
            continue
        (legacy if found[0] else non_legacy).append(zone_id)
        for datacenter in found[1]:
            zones_of.setdefault(datacenter, []).append(zone_id)
    for datacenter in hashmap_order(list(zones_of), string_hash):
        if len(zones_of[datacenter]) > 1:
            for zone_id in zones_of[datacenter]:
                if zone_id in non_legacy:
                    non_legacy.remove(zone_id)
                    legacy.append(zone_id)
    for zone_id in legacy:
        execute(conn, f"INSERT INTO `{c}`.`legacy_zones` (zone_id) VALUES (%s)", (zone_id,))
    for zone_id in non_legacy:
        _map_vmware_datacenter(conn, c, zone_id)


def _map_vmware_datacenter(conn: Any, c: str, zone_id: int) -> None:
    """The Java's updateNonLegacyZones for one zone: its first cluster's vCenter credentials."""
    clusters = rows(conn, f"select id from `{c}`.`cluster` where removed is NULL AND data_center_id=%s", (zone_id,))
    if not clusters:
        raise StepFails(f"zone {zone_id} has no cluster left; CloudStack's Java fails reading it")
    found: dict[str, Any] = {}
    for name, value in rows(
        conn, f"select name, value from `{c}`.`cluster_details` where cluster_id=%s", (clusters[0][0],)
    ):
        if str(name).lower() in ("username", "password", "url"):
            found[str(name).lower()] = value
    vcenter, datacenter = _vcenter_and_datacenter(found.get("url"), int(clusters[0][0]))
    guid = f"{datacenter}@{vcenter}"
    execute(
        conn,
        f"INSERT INTO `{c}`.`vmware_data_center` (uuid, name, guid, vcenter_host, username, password) "
        "values(%s, %s, %s, %s, %s, %s)",
        (_uuid(), datacenter, guid, vcenter, found.get("username"), found.get("password")),
    )
    ids = rows(conn, f"SELECT id FROM `{c}`.`vmware_data_center` where guid=%s", (guid,))
    execute(
        conn,
        f"INSERT INTO `{c}`.`vmware_data_center_zone_map` (zone_id, vmware_data_center_id) values(%s, %s)",
        (zone_id, ids[0][0] if ids else -1),
    )


def _configuration_parameter(conn: Any, c: str, category: str, name: str) -> str:
    found = rows(
        conn,
        f"select value from `{c}`.`configuration` where category=%s and value is not NULL and name = %s",
        (category, name),
    )
    return str(found[0][0]) if found else "false"


def persist_vswitch_configuration(conn: Any, c: str) -> None:
    nexus = False
    details: dict[int, tuple[tuple[str, str], ...]] = {}
    insert = f"INSERT INTO `{c}`.`cluster_details` (cluster_id, name, value) VALUES (%s, %s, %s)"
    for cluster_id, hypervisor in rows(conn, f"select id, hypervisor_type from `{c}`.`cluster` where removed is NULL"):
        if not equals_ignore_case(hypervisor, "VMware", f"cluster {cluster_id} hypervisor_type"):
            continue
        if _configuration_parameter(conn, c, VSWITCH_CATEGORY, NEXUS_PARAM).lower() == "true":
            nexus = True
        kind = NEXUS_VSWITCH if nexus else STANDARD_VSWITCH
        details[int(cluster_id)] = ((GUEST_VSWITCH_TYPE, kind), (PUBLIC_VSWITCH_TYPE, kind))
        for known in hashmap_order(list(details), long_hash):  # every cluster so far, again
            for name, value in details[known]:
                execute(conn, insert, (known, name, value))
    if nexus:
        execute(conn, f"UPDATE `{c}`.`configuration` SET value = %s WHERE name = %s", ("true", DVS_PARAM))


def update_overcommit_ratio_cluster_details(conn: Any, c: str) -> None:
    def factor(name: str) -> Any:
        found = rows(conn, f"select value from `{c}`.`configuration` where name=%s", (name,))
        return found[0][0] if found else "1"

    cpu, memory = factor("cpu.overprovisioning.factor"), factor("mem.overprovisioning.factor")
    insert = f"INSERT INTO `{c}`.`cluster_details` (cluster_id, name, value)  VALUES(%s, %s, %s)"
    for cluster_id, hypervisor in rows(conn, f"select id, hypervisor_type from `{c}`.`cluster` WHERE removed IS NULL"):
        vmware = hypervisor is not None and str(hypervisor).lower() == "vmware"
        execute(conn, insert, (cluster_id, "cpuOvercommitRatio", cpu))
        execute(conn, insert, (cluster_id, "memoryOvercommitRatio", memory if vmware else "1"))
