"""Part of CloudStack's ``GuestOsMapper`` (engine/schema, com.cloud.upgrade), in Python.

Ported so far: ``copyGuestOSHypervisorMappings``. The Java goes through GuestOSHypervisorDao; the
SQL here is what those DAO calls amount to: ``listByHypervisorTypeAndVersion`` lists *including
removed* rows, ``persist`` inserts a new row with a random uuid, ``created`` = now and
``is_user_defined`` = 0. Like the Java, nothing checks for an existing target row, so a second
run inserts the copies again.
"""

from __future__ import annotations

import logging
from typing import Any

from java_equiv._db import execute, rows

LOG = logging.getLogger("flywayx.acs.guestosmapper")


def _blank(value: object) -> bool:
    return value is None or not str(value).strip()


def copy_guest_os_hypervisor_mappings(conn: Any, hypervisor: str, src_version: str, dest_version: str,
                                      *, cloud: str = "cloud") -> bool:
    """Copy every ``hypervisor``/``src_version`` mapping to ``dest_version``; False (logged) when the
    hypervisor or versions are invalid or there is nothing to copy, as the Java returns."""
    if hypervisor in ("None", "Any") or _blank(src_version) or _blank(dest_version):
        LOG.warning("unable to copy guest OS mappings: invalid hypervisor or version")
        return False
    found = rows(conn, f"SELECT guest_os_id, guest_os_name FROM `{cloud}`.`guest_os_hypervisor` "
                       "WHERE hypervisor_type = %s AND hypervisor_version = %s ORDER BY id",
                 (hypervisor, src_version))
    if not found:
        LOG.warning("no guest OS mappings for %s %s to copy", hypervisor, src_version)
        return False
    for guest_os_id, name in found:
        if _blank(name):  # the Java's GuestOSHypervisorMapping.isValid rejects a blank name
            LOG.warning("invalid guest OS hypervisor mapping for guest OS %s", guest_os_id)
            continue
        execute(conn, f"INSERT INTO `{cloud}`.`guest_os_hypervisor` (uuid, hypervisor_type, hypervisor_version, "
                      "guest_os_name, guest_os_id, created, is_user_defined) VALUES (UUID(), %s, %s, %s, %s, NOW(), 0)",
                (hypervisor, dest_version, name, guest_os_id))
    return True
