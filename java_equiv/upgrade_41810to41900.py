"""Port of Upgrade41810to41900.performDataMigration (4.19.0.0), its four calls in the Java's order.

- ``decryptConfigurationValuesFromAccountAndDomainScopesNotInSecureHiddenCategories``: in
  ``account_details``, then ``domain_details``, each non-empty value of a setting whose
  ``configuration`` category is neither ``Hidden`` nor ``Secure`` is decrypted with DBEncryptionUtil
  (java_equiv/_dbencryption.py: the management server's key from ``CLOUDSTACK_CONF_DIR``; unchanged
  when the server does not encrypt) and written back, in the Java's HashMap order of the row ids. A
  value that cannot be decrypted stops the step (the rows before it are written), as in the Java;
  so on an encrypting server a re-run stops at the first value, already plain.
- ``migrateBackupDates``: ``backups.date`` (varchar) becomes ``old_date``, a new DATETIME ``date``
  gets each parsed value, ``old_date`` is dropped; failures stop the step, as in the Java. The Java
  stores a ``java.sql.Date``, so only the calendar date survives (time 00:00:00), in the
  management server's time zone; here the time zone of the process running flywayx. A value no
  format parses becomes NULL. If a previous run stopped half-way (``old_date`` present) the
  rename and add are skipped so the run can finish.
- ``addIndexes``: ``i_alert__archived__created``, ``i_alert__type__data_center_id__pod_id``,
  ``i_event__resource_type__resource_id``.
- ``addRemoverAccountIdForeignKeyToQuarantinedIps``: ``fk_quarantined_ips__remover_account_id``.
"""

from __future__ import annotations

import logging
from typing import Any

from java_equiv import _dbencryption
from java_equiv._dates import parse_backup_date
from java_equiv._db import execute, rows
from java_equiv._dbupgrade import add_foreign_key, add_index_if_needed, column_exists
from java_equiv._java import StepFails, hashmap_order, long_hash

LOG = logging.getLogger("flywayx.acs.41810to41900")

SCHEMA_EFFECTS: tuple[str, ...] = (
    "table cloud.alert index i_alert__archived__created",
    "table cloud.alert index i_alert__type__data_center_id__pod_id",
    "table cloud.backups",  # column order: `date` is re-added last
    "table cloud.backups column date",
    "table cloud.event index i_event__resource_type__resource_id",
    "table cloud.quarantined_ips foreign key fk_quarantined_ips__remover_account_id",
    "table cloud.quarantined_ips index fk_quarantined_ips__remover_account_id",
)

INDEXES = (
    ("alert", "archived", "created"),
    ("alert", "type", "data_center_id", "pod_id"),
    ("event", "resource_type", "resource_id"),
)


SCOPED_DETAILS = ("account_details", "domain_details")


def _java_map_order(ids: list[int]) -> list[int]:
    """The Java collects the rows in a HashMap; its order decides which rows are written before one
    that fails. Where that order is not emulated (a bin turned tree), id order, logged."""
    try:
        return hashmap_order(ids, long_hash)
    except ValueError:
        LOG.warning("detail ids not in the Java's HashMap order (too many share a bin); in id order instead")
        return ids


def decrypt_scoped_configuration_values(conn: Any, cloud: str = "cloud") -> None:
    if not _dbencryption.known("decryptConfigurationValuesFromAccountAndDomainScopesNotInSecureHiddenCategories"):
        return
    for table in SCOPED_DETAILS:
        found = dict(
            rows(
                conn,
                f"SELECT details.id, details.value FROM `{cloud}`.`{table}` details, "
                f"`{cloud}`.`configuration` c WHERE details.name = c.name AND c.category NOT IN "
                "('Hidden', 'Secure') AND details.value <> '' ORDER BY details.id",
            )
        )
        for detail_id in _java_map_order(list(found)):
            try:
                value = _dbencryption.decrypt(found[detail_id])
            except _dbencryption.EncryptionFailed as err:
                raise StepFails(f"cannot decrypt {table} {detail_id}; it may be decrypted already: {err}") from err
            LOG.info("%s %s: value decrypted", table, detail_id)
            execute(conn, f"UPDATE `{cloud}`.`{table}` SET value = %s WHERE id = %s", (value, detail_id))


def migrate_backup_dates(conn: Any, cloud: str = "cloud") -> None:
    table = f"`{cloud}`.`backups`"
    if not column_exists(conn, "backups", "old_date", schema=cloud):
        execute(conn, f"ALTER TABLE {table} CHANGE COLUMN `date` `old_date` varchar(255)")
    if not column_exists(conn, "backups", "date", schema=cloud):
        execute(conn, f"ALTER TABLE {table} ADD COLUMN `date` DATETIME")
    for backup_id, text in rows(conn, f"SELECT `id`, `old_date` FROM {table}"):
        day = parse_backup_date(text)
        if day is None:
            LOG.error("unable to parse date [%s] of backup %s; its date becomes NULL", text, backup_id)
        execute(conn, f"UPDATE {table} SET `date` = %s WHERE `id` = %s", (day, backup_id))
    execute(conn, f"ALTER TABLE {table} DROP COLUMN `old_date`")


def migrate(conn: Any, *, cloud: str = "cloud") -> None:
    """``cloud`` names the schema the Java hard-codes (tests use a scratch one)."""
    decrypt_scoped_configuration_values(conn, cloud)
    migrate_backup_dates(conn, cloud)
    for table, *columns in INDEXES:
        add_index_if_needed(conn, table, *columns, schema=cloud)
    add_foreign_key(conn, "quarantined_ips", "remover_account_id", "account", "id", schema=cloud)
