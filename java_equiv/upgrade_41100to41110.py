"""Port of Upgrade41100to41110.performDataMigration (4.11.1.0): markUnnecessarySecureConfigsAsUnsecure.

Eleven LDAP settings were ``Secure`` (stored encrypted) for no reason. For each, in the Java's
order, a row still ``Secure`` gets its value decrypted with DBEncryptionUtil
(java_equiv/_dbencryption.py: the management server's key from ``CLOUDSTACK_CONF_DIR``; NULL,
empty, and every value on a server that does not encrypt, come back unchanged) and is stored as
``Advanced``. A value that cannot be decrypted stops the step, as the Java's exception does (the
settings before it are already done). A failed UPDATE is logged and the next setting follows, as
in the Java. Rows already ``Advanced`` are not touched, so a re-run changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from java_equiv import _dbencryption
from java_equiv._db import rows
from java_equiv._dbupgrade import tolerant

LOG = logging.getLogger("flywayx.acs.41100to41110")

SCHEMA_EFFECTS: tuple[str, ...] = ()

UNSECURE_ITEMS = (
    "ldap.basedn",
    "ldap.bind.principal",
    "ldap.email.attribute",
    "ldap.firstname.attribute",
    "ldap.group.object",
    "ldap.group.user.uniquemember",
    "ldap.lastname.attribute",
    "ldap.search.group.principle",
    "ldap.truststore",
    "ldap.user.object",
    "ldap.username.attribute",
)


def uncrypt(conn: Any, name: str, cloud: str = "cloud") -> None:
    LOG.info("updating setting '%s'", name)
    found = rows(
        conn, f"SELECT conf.category, conf.value FROM `{cloud}`.`configuration` conf WHERE conf.name = %s", (name,)
    )
    if not found or found[0][0] != "Secure":
        return
    if found[0][1] and not _dbencryption.known("markUnnecessarySecureConfigsAsUnsecure"):
        return  # NULL or empty values need no key: those still move to Advanced
    value = _dbencryption.decrypt(found[0][1])
    if not tolerant(
        conn, f"UPDATE `{cloud}`.`configuration` SET category = 'Advanced', value = %s WHERE name = %s", (value, name)
    ):
        LOG.info("failed to update configuration item '%s'", name)


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    for name in UNSECURE_ITEMS:
        uncrypt(conn, name, cloud)
