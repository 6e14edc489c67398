"""Port of Upgrade41100to41110.performDataMigration (4.11.1.0), for values that need no key.

``markUnnecessarySecureConfigsAsUnsecure`` moves eleven LDAP settings from category ``Secure``
to ``Advanced``, storing them decrypted. DBEncryptionUtil.decrypt returns a NULL or empty value
unchanged, so those rows are ported exactly. A non-empty Secure value is encrypted with the
management server's key: the port leaves that row as it is and logs it (MISSING); see
docs/acs-java-steps.md. Rows already ``Advanced`` are not touched, so a re-run changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from java_equiv._db import execute, rows

LOG = logging.getLogger("flywayx.acs.41100to41110")

MISSING = ("markUnnecessarySecureConfigsAsUnsecure for non-empty (encrypted) values",)

SCHEMA_EFFECTS: tuple[str, ...] = ()

UNSECURE_ITEMS = ("ldap.basedn", "ldap.bind.principal", "ldap.email.attribute", "ldap.firstname.attribute",
                  "ldap.group.object", "ldap.group.user.uniquemember", "ldap.lastname.attribute",
                  "ldap.search.group.principle", "ldap.truststore", "ldap.user.object", "ldap.username.attribute")


def migrate(conn: Any, *, cloud: str = "cloud") -> list[str]:
    """Returns the names left Secure because their value needs CloudStack's key to decrypt."""
    left: list[str] = []
    for name in UNSECURE_ITEMS:
        found = rows(conn, f"SELECT category, value FROM `{cloud}`.`configuration` WHERE name = %s", (name,))
        if not found or found[0][0] != "Secure":
            continue
        if found[0][1]:
            LOG.error("configuration %s is encrypted; decrypt it with CloudStack and mark it Advanced", name)
            left.append(name)
            continue
        execute(conn, f"UPDATE `{cloud}`.`configuration` SET category = 'Advanced', value = %s WHERE name = %s",
                (found[0][1], name))
    return left
