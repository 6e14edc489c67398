"""Port of Upgrade41000to41100.performDataMigration (4.11.0.0), user-data part.

Ported: ``validateUserDataInBase64``. Each non-NULL ``user_vm.user_data`` that Apache Commons'
``Base64.isBase64`` accepts (only base64 letters of either alphabet, ``=`` and whitespace; the
empty string too) is decoded leniently and re-encoded as standard, padded base64; it is written
only when that differs. Any other value becomes NULL. A re-run changes nothing.

``checkAndEnableDynamicRoles`` (first, as in the Java): when the management server has no
``commands.properties`` (looked up in ``CLOUDSTACK_CONF_DIR``, java_equiv/_mgmt_conf.py) or it
holds no command, dynamic roles are switched on (``dynamic.apichecker.enabled`` = ``true``,
inserted or updated); otherwise the static checker stays and a warning says so. A failure is
logged, not raised, as in the Java. A re-run changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

from java_equiv._db import execute, rows
from java_equiv._mgmt_conf import properties

SCHEMA_EFFECTS: tuple[str, ...] = ()

ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_")
WHITESPACE = frozenset(" \t\r\n")


def is_base64(text: str) -> bool:
    """commons-codec ``Base64.isBase64(String)``."""
    return all(c in ALPHABET or c == "=" or c in WHITESPACE for c in text)


def lenient_decode(text: str) -> bytes:
    """commons-codec ``Base64.decodeBase64``: skip what is not a base64 letter, stop at the first
    ``=``, accept both alphabets, drop a final lone character and any leftover bits."""
    letters = "".join(c for c in text.split("=", 1)[0] if c in ALPHABET)
    letters = letters.translate(str.maketrans("-_", "+/"))
    usable = len(letters) - (1 if len(letters) % 4 == 1 else 0)
    chunk = letters[:usable]
    try:
        return base64.b64decode(chunk + "=" * (-len(chunk) % 4))
    except binascii.Error:  # cannot happen for alphabet-only input; keep the Java's "invalid -> NULL"
        return b""


def normalised(user_data: str) -> str | None:
    """What the Java stores for ``user_data``: the canonical base64, or None (invalid)."""
    if not is_base64(user_data):
        return None
    return base64.b64encode(lenient_decode(user_data)).decode("ascii")


LOG = logging.getLogger("flywayx.acs.upgrade41000to41100")


def check_and_enable_dynamic_roles(conn: Any, cloud: str = "cloud") -> bool:
    """True when dynamic roles were switched on (no commands, as the Java decides)."""
    if properties("commands.properties"):
        LOG.warning(
            "the static commands.properties API checker is deprecated: migrate to dynamic roles "
            "(CloudStack's migrate-dynamicroles.py)"
        )
        return False
    try:
        execute(
            conn,
            f"INSERT INTO `{cloud}`.`configuration` (category, instance, name, default_value, value) "
            "VALUES ('Advanced', 'DEFAULT', 'dynamic.apichecker.enabled', 'false', 'true') "
            "ON DUPLICATE KEY UPDATE value='true'",
        )
    except Exception as err:  # the Java logs and goes on
        LOG.error(
            "failed to set dynamic.apichecker.enabled to true (%s): run CloudStack's "
            "migrate-dynamicroles.py to move to dynamic roles by hand",
            err,
        )
        return False
    return True


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    check_and_enable_dynamic_roles(conn, cloud)
    found = rows(conn, f"SELECT `id`, `user_data` FROM `{cloud}`.`user_vm` WHERE `user_data` IS NOT NULL")
    for vm_id, user_data in found:
        text = user_data.decode("utf-8") if isinstance(user_data, bytes) else str(user_data)
        new = normalised(text)
        if new != text:
            execute(conn, f"UPDATE `{cloud}`.`user_vm` SET `user_data` = %s WHERE `id` = %s", (new, vm_id))
