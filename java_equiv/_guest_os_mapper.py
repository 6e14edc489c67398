"""CloudStack's ``GuestOsMapper`` (engine/schema, com.cloud.upgrade), in Python.

The Java goes through GuestOSDao and GuestOSHypervisorDao; the SQL here is what those DAO calls
amount to (GenericDaoBase):

- ``findByCategoryIdAndDisplayNameOrderByCreatedDesc`` (the guest OS lookup behind every call
  taking a category and a display name) sees only rows with ``is_user_defined = 0`` and
  ``removed IS NULL``, newest ``created`` first;
- ``findByOsNameAndHypervisorOrderByCreatedDesc`` (a mapping's guest OS) likewise: system
  mappings, not removed, newest first;
- ``findByOsIdAndHypervisor`` takes the first not-removed mapping of a guest OS for a hypervisor
  and version (an empty version means ``default``); for VMware, when there is none, it tries the
  "parent" version (``8.0.0.1`` -> ``8.0``, ``7.0.1.0`` -> ``7.0.1``; two-part versions have none);
- ``listByGuestOsId`` and ``listByDisplayName`` leave out removed rows; ``listByHypervisorTypeAndVersion``
  includes them;
- ``persist`` inserts a new row with a fresh uuid, ``created`` = the current UTC time, and the
  entity's defaults: ``is_user_defined`` = 0, and for a guest OS ``display`` = 1 and no ``name``;
- ``update`` writes the changed column of the row with that id.

None of the "add" calls checks for an existing mapping, so running them again inserts the
mappings again (as the Java does). Lookups that find nothing are logged and skipped, as in the
Java, except where the Java dereferences the missing row and so fails the upgrade: there the port
raises ``LookupError``.

``mergeDuplicates`` differs from the Java in one way, on purpose: the Java keeps "the highest id,
not user defined" according to its comment, but its loop stops at the first member of a
``HashSet`` of entities whose hash is their identity, so the row it keeps is arbitrary and can
change from one run to the next. The port keeps the highest id among the rows that are not user
defined (the highest id when all are), one of the outcomes the Java can produce and the one its
comment describes; the other rows are handled in id order. With a fixed survivor a second run
changes nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

from java_equiv._db import execute, rows
from java_equiv._dbupgrade import tolerant

LOG = logging.getLogger("flywayx.acs.guestosmapper")

# (hypervisor type, hypervisor version, guest OS name as the hypervisor knows it): GuestOSHypervisorMapping
Mapping = tuple[str, str, str]

# HypervisorType.getType: case-insensitive; "Parralels" (sic) is registered as "parallels" only;
# anything unknown is None.
_HYPERVISOR_TYPES = {
    name.lower(): name
    for name in (
        "None",
        "XenServer",
        "KVM",
        "VMware",
        "Hyperv",
        "VirtualBox",
        "BareMetal",
        "Simulator",
        "Ovm",
        "Ovm3",
        "LXC",
        "Custom",
        "External",
        "Any",
    )
}
_HYPERVISOR_TYPES["parallels"] = "Parralels"

_VERSION = re.compile(r"(?:[0-9]+\.){2}(?:[0-9]+\.)?[0-9]+")
_INT_MAX = 2**31 - 1


def _t(cloud: str, table: str) -> str:
    return f"`{cloud}`.`{table}`"


def _blank(value: object) -> bool:
    return value is None or not str(value).strip()


def _valid(mapping: Mapping | None) -> bool:
    """GuestOSHypervisorMapping.isValid: type, version and name all non-blank."""
    if mapping is not None and not any(_blank(part) for part in mapping):
        return True
    LOG.warning("invalid guest OS hypervisor mapping %s", mapping)
    return False


def hypervisor_type_name(stored: str | None) -> str:
    """``HypervisorType.getType(stored).toString()``: how the Java reads a mapping's hypervisor type."""
    if stored is None:
        return "None"
    return _HYPERVISOR_TYPES.get(stored.lower(), "None")


def vmware_parent_version(version: str | None) -> str | None:
    """CloudStackVersion.getVMwareParentVersion: ``major.minor`` plus ``.patch`` when the patch is not 0,
    for versions of 3 or 4 numeric parts (anything after a ``-`` ignored); None otherwise."""
    if version is None:
        return None
    trimmed = version.split("-", 1)[0]
    if not _VERSION.fullmatch(trimmed):
        return None
    parts = [int(p) for p in trimmed.split(".")]
    if any(p > _INT_MAX for p in parts):  # Integer.valueOf overflows: the Java returns null
        return None
    parent = f"{parts[0]}.{parts[1]}"
    return f"{parent}.{parts[2]}" if parts[2] != 0 else parent


# ------------------------------------------------------------------------------------------ lookups


def get_guest_os_id(conn: Any, category_id: int, display_name: str, *, cloud: str = "cloud") -> int:
    """The newest system, not removed guest OS of that category and display name; 0 when none."""
    found = rows(
        conn,
        f"SELECT id FROM {_t(cloud, 'guest_os')} WHERE category_id = %s AND display_name = %s "
        "AND is_user_defined = 0 AND removed IS NULL ORDER BY created DESC LIMIT 1",
        (category_id, display_name),
    )
    if not found:
        LOG.debug("no guest OS with category id %s and display name %s", category_id, display_name)
        return 0
    return int(found[0][0])


def get_guest_os_id_from_hypervisor_mapping(conn: Any, mapping: Mapping, *, cloud: str = "cloud") -> int:
    """The guest OS of the newest system, not removed mapping with that type, version and name; 0 when none."""
    hypervisor, version, name = mapping
    found = rows(
        conn,
        f"SELECT guest_os_id FROM {_t(cloud, 'guest_os_hypervisor')} WHERE guest_os_name = %s "
        "AND hypervisor_type = %s AND hypervisor_version = %s AND is_user_defined = 0 "
        "AND removed IS NULL ORDER BY created DESC LIMIT 1",
        (name, hypervisor, version),
    )
    if not found:
        LOG.warning("no guest OS hypervisor mapping for %s", mapping)
        return 0
    return int(found[0][0])


def _mapping_of(conn: Any, guest_os_id: int, hypervisor: str, version: str, cloud: str) -> int | None:
    found = rows(
        conn,
        f"SELECT id FROM {_t(cloud, 'guest_os_hypervisor')} WHERE guest_os_id = %s "
        "AND hypervisor_type = %s AND hypervisor_version = %s AND removed IS NULL ORDER BY id LIMIT 1",
        (guest_os_id, hypervisor, version or "default"),
    )
    return int(found[0][0]) if found else None


def find_mapping_by_os_id(
    conn: Any, guest_os_id: int, hypervisor: str, version: str, *, cloud: str = "cloud"
) -> int | None:
    """GuestOSHypervisorDao.findByOsIdAndHypervisor: the id of the mapping, None when there is none."""
    found = _mapping_of(conn, guest_os_id, hypervisor, version, cloud)
    if found is not None or hypervisor != "VMware":
        return found
    parent = vmware_parent_version(version)
    return None if parent is None else _mapping_of(conn, guest_os_id, hypervisor, parent, cloud)


def list_by_display_name(conn: Any, display_name: str, *, cloud: str = "cloud") -> list[tuple[int, bool]]:
    """(id, is_user_defined) of every not-removed guest OS with that display name, any category."""
    found = rows(
        conn,
        f"SELECT id, is_user_defined FROM {_t(cloud, 'guest_os')} WHERE display_name = %s "
        "AND removed IS NULL ORDER BY id",
        (display_name,),
    )
    return [(int(i), bool(u)) for i, u in found]


# ------------------------------------------------------------------------------------------ writes


def add_guest_os(conn: Any, category_id: int, display_name: str, *, cloud: str = "cloud") -> bool:
    """Persist a new guest OS (system defined, displayed)."""
    execute(
        conn,
        f"INSERT INTO {_t(cloud, 'guest_os')} (uuid, category_id, display_name, created, "
        "is_user_defined, display) VALUES (UUID(), %s, %s, UTC_TIMESTAMP(), 0, 1)",
        (category_id, display_name),
    )
    return True


def _insert_mapping(conn: Any, mapping: Mapping, guest_os_id: int, cloud: str) -> None:
    hypervisor, version, name = mapping
    execute(
        conn,
        f"INSERT INTO {_t(cloud, 'guest_os_hypervisor')} (uuid, hypervisor_type, hypervisor_version, "
        "guest_os_name, guest_os_id, created, is_user_defined) "
        "VALUES (UUID(), %s, %s, %s, %s, UTC_TIMESTAMP(), 0)",
        (hypervisor, version, name, guest_os_id),
    )


def _add_mapping(conn: Any, mapping: Mapping, guest_os_id: int, cloud: str) -> None:
    """The private addGuestOsHypervisorMapping(mapping, guestOsId): insert when the mapping is valid."""
    if _valid(mapping):
        _insert_mapping(conn, mapping, guest_os_id, cloud)


def add_guest_os_and_hypervisor_mappings(
    conn: Any, category_id: int, display_name: str, mappings: Iterable[Mapping] | None, *, cloud: str = "cloud"
) -> None:
    """Find the guest OS (adding it when missing; marking it system defined when found) and insert
    every mapping for it."""
    guest_os_id = get_guest_os_id(conn, category_id, display_name, cloud=cloud)
    if guest_os_id == 0:
        add_guest_os(conn, category_id, display_name, cloud=cloud)
        guest_os_id = get_guest_os_id(conn, category_id, display_name, cloud=cloud)
    else:  # updateToSystemDefined; the lookup only finds system rows, so this changes nothing
        execute(
            conn,
            f"UPDATE {_t(cloud, 'guest_os')} SET is_user_defined = 0 WHERE id = %s AND removed IS NULL",
            (guest_os_id,),
        )
    for mapping in mappings or ():
        _add_mapping(conn, mapping, guest_os_id, cloud)


def add_guest_os_hypervisor_mapping(
    conn: Any, mapping: Mapping, category_id: int, display_name: str, *, cloud: str = "cloud"
) -> None:
    """Insert ``mapping`` for an existing guest OS; nothing (logged) when the guest OS is not there."""
    guest_os_id = get_guest_os_id(conn, category_id, display_name, cloud=cloud)
    if guest_os_id == 0:
        LOG.error(
            "no guest OS for category %s and name %s, not mapping it to %s/%s",
            category_id,
            display_name,
            mapping[0],
            mapping[1],
        )
        return
    _add_mapping(conn, mapping, guest_os_id, cloud)


def update_guest_os_name(conn: Any, category_id: int, old_name: str, new_name: str, *, cloud: str = "cloud") -> None:
    guest_os_id = get_guest_os_id(conn, category_id, old_name, cloud=cloud)
    if guest_os_id == 0:
        LOG.debug("no guest OS with category id %s and display name %s to rename", category_id, old_name)
        return
    execute(conn, f"UPDATE {_t(cloud, 'guest_os')} SET display_name = %s WHERE id = %s", (new_name, guest_os_id))


def update_guest_os_name_from_mapping(conn: Any, new_name: str, mapping: Mapping, *, cloud: str = "cloud") -> None:
    """Rename the guest OS that ``mapping`` belongs to (when it is not removed)."""
    if not _valid(mapping):
        return
    guest_os_id = get_guest_os_id_from_hypervisor_mapping(conn, mapping, cloud=cloud)
    if guest_os_id == 0:
        return
    execute(
        conn,
        f"UPDATE {_t(cloud, 'guest_os')} SET display_name = %s WHERE id = %s AND removed IS NULL",
        (new_name, guest_os_id),
    )


def update_guest_os_id_in_hypervisor_mapping(
    conn: Any, category_id: int, display_name: str, mapping: Mapping, *, cloud: str = "cloud"
) -> None:
    """Point the system mappings equal to ``mapping`` at the guest OS of that category and name.

    The Java runs this UPDATE on the upgrade's connection and logs a failure instead of raising."""
    if not _valid(mapping):
        return
    old_id = get_guest_os_id_from_hypervisor_mapping(conn, mapping, cloud=cloud)
    if old_id == 0:
        return
    new_id = get_guest_os_id(conn, category_id, display_name, cloud=cloud)
    if new_id == 0:
        LOG.debug("no guest OS with category id %s and display name %s", category_id, display_name)
        return
    hypervisor, version, name = mapping
    tolerant(
        conn,
        f"UPDATE {_t(cloud, 'guest_os_hypervisor')} SET guest_os_id = %s WHERE guest_os_id = %s "
        "AND hypervisor_type = %s AND hypervisor_version = %s AND guest_os_name = %s "
        "AND is_user_defined = 0 AND removed IS NULL",
        (new_id, old_id, hypervisor, version, name),
    )


def update_guest_os_name_in_hypervisor_mapping(
    conn: Any, category_id: int, display_name: str, mapping: Mapping, *, cloud: str = "cloud"
) -> None:
    """Set the hypervisor's guest OS name of that guest OS's mapping for the mapping's type and version.

    Raises LookupError when the guest OS exists but has no such mapping: the Java then dereferences
    null and the upgrade fails."""
    if not _valid(mapping):
        return
    guest_os_id = get_guest_os_id(conn, category_id, display_name, cloud=cloud)
    if guest_os_id == 0:
        LOG.error(
            "no guest OS for category %s and name %s, not mapping it to %s/%s",
            category_id,
            display_name,
            mapping[0],
            mapping[1],
        )
        return
    hypervisor, version, name = mapping
    mapping_id = find_mapping_by_os_id(conn, guest_os_id, hypervisor, version, cloud=cloud)
    if mapping_id is None:
        raise LookupError(
            f"guest OS {guest_os_id} ({display_name}) has no {hypervisor} {version} mapping to rename; "
            "CloudStack's updateGuestOsNameInHypervisorMapping fails here (NullPointerException)"
        )
    execute(conn, f"UPDATE {_t(cloud, 'guest_os_hypervisor')} SET guest_os_name = %s WHERE id = %s", (name, mapping_id))


def copy_guest_os_hypervisor_mappings(
    conn: Any, hypervisor: str, src_version: str, dest_version: str, *, cloud: str = "cloud"
) -> bool:
    """Copy every ``hypervisor``/``src_version`` mapping, removed ones included, to ``dest_version``;
    False (logged) when the hypervisor or versions are invalid or there is nothing to copy, as the
    Java returns. Nothing checks for an existing target row: a second run copies again."""
    if hypervisor in ("None", "Any") or _blank(src_version) or _blank(dest_version):
        LOG.warning("unable to copy guest OS mappings: invalid hypervisor or version")
        return False
    found = rows(
        conn,
        f"SELECT guest_os_id, guest_os_name FROM {_t(cloud, 'guest_os_hypervisor')} "
        "WHERE hypervisor_type = %s AND hypervisor_version = %s ORDER BY id",
        (hypervisor, src_version),
    )
    if not found:
        LOG.warning("no guest OS mappings for %s %s to copy", hypervisor, src_version)
        return False
    for guest_os_id, name in found:
        _add_mapping(conn, (hypervisor, dest_version, name), int(guest_os_id), cloud)
    return True


# ------------------------------------------------------------------------------------------ call tables

# The upgrade steps call GuestOsMapper with long literal lists; their ports hold them as tables of
# (kind, category id, display name, mappings) rows, run in order by ``apply_calls``.
ADD_OS = "addGuestOsAndHypervisorMappings"  # the guest OS is added when missing, then every mapping inserted
ADD_MAPPING = "addGuestOsHypervisorMapping"  # each mapping inserted only when the guest OS exists
RENAME_IN_MAPPING = "updateGuestOsNameInHypervisorMapping"  # each mapping's name set on the guest OS's mapping
Call = tuple[str, int, str, tuple[Mapping, ...]]


def mappings_on(hypervisor: str, guest_os_name: str, *versions: str) -> tuple[Mapping, ...]:
    """One mapping per hypervisor version, all with the same guest OS name."""
    return tuple((hypervisor, version, guest_os_name) for version in versions)


def apply_calls(conn: Any, calls: Iterable[Call], *, cloud: str = "cloud") -> None:
    for kind, category, name, mappings in calls:
        if kind == ADD_OS:
            add_guest_os_and_hypervisor_mappings(conn, category, name, mappings, cloud=cloud)
        elif kind == ADD_MAPPING:
            for mapping in mappings:
                add_guest_os_hypervisor_mapping(conn, mapping, category, name, cloud=cloud)
        elif kind == RENAME_IN_MAPPING:
            for mapping in mappings:
                update_guest_os_name_in_hypervisor_mapping(conn, category, name, mapping, cloud=cloud)
        else:
            raise ValueError(f"unknown GuestOsMapper call {kind!r}")


# ------------------------------------------------------------------------------------------ duplicates


def make_normative(conn: Any, survivor: int, guest_os_ids: Iterable[int], *, cloud: str = "cloud") -> None:
    """For every other guest OS of ``guest_os_ids`` (in id order): give ``survivor`` each of its
    not-removed mappings that ``survivor`` lacks for that hypervisor and version (as a system
    mapping), then hide it (``display`` = 0). Nothing else is re-pointed: templates and VMs keep
    the hidden guest OS."""
    for old in sorted(set(guest_os_ids)):
        if old == survivor:
            continue
        mappings = rows(
            conn,
            f"SELECT hypervisor_type, hypervisor_version, guest_os_name "
            f"FROM {_t(cloud, 'guest_os_hypervisor')} WHERE guest_os_id = %s AND removed IS NULL "
            "ORDER BY id",
            (old,),
        )
        for stored_type, version, name in mappings:
            hypervisor = hypervisor_type_name(stored_type)
            if find_mapping_by_os_id(conn, survivor, hypervisor, version, cloud=cloud) is None:
                _insert_mapping(conn, (hypervisor, version, name), survivor, cloud)
        execute(conn, f"UPDATE {_t(cloud, 'guest_os')} SET display = 0 WHERE id = %s", (old,))


def survivor_of(duplicates: Sequence[tuple[int, bool]]) -> int:
    """The guest OS kept among (id, is_user_defined) rows: the highest id not user defined, else the highest id."""
    system = [i for i, user_defined in duplicates if not user_defined]
    return max(system or [i for i, _ in duplicates])


def merge_duplicates(conn: Any, *, cloud: str = "cloud") -> None:
    """For each display name that more than one not-removed guest OS carries (any category), keep
    one (``survivor_of``) and make it normative for the others."""
    names = rows(
        conn,
        "SELECT display_name FROM (SELECT display_name, count(1) AS count "
        f"FROM {_t(cloud, 'guest_os')} go1 WHERE removed IS NULL GROUP BY display_name "
        "HAVING count > 1) tab0",
    )
    LOG.debug("merging %d sets of duplicate guest OSes", len(names))
    for (name,) in names:
        duplicates = list_by_display_name(conn, name, cloud=cloud)
        if duplicates:
            survivor = survivor_of(duplicates)
            LOG.info("merging %d duplicates for %s into guest OS %s", len(duplicates), name, survivor)
            make_normative(conn, survivor, (i for i, _ in duplicates), cloud=cloud)
