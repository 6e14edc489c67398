"""Upgrade410to420 (4.2.0): the storage calls (4.2's storage refactor), with the Java's SQL, every
table qualified with the schema ``c``. Where the Java throws, ``StepFails`` is raised
(java_equiv/_java.py). Dates read with ``getDate`` keep only the day, as CloudStack stores them.

- ``updatePrimaryStore``: provider ``DefaultPrimary``; scope ``HOST`` for Filesystem/LVM pools,
  ``CLUSTER`` for the others (idempotent).
- ``fix22xKVMSnapshots``: KVM backup paths lose what precedes ``snapshots/`` (idempotent);
  ``setKVMSnapshotFlag``: ``kvm.snapshot.enabled`` = true when a KVM snapshot exists.
- ``migrateSecondaryStorageToImageStore``: every ``SecondaryStorage`` host (removed ones too)
  becomes an NFS ``image_store`` of the same id (role ``ImageCache`` when S3 or Swift exist, else
  ``Image``); live hosts are then marked removed. A re-run fails on the ids, as in the Java.
- ``migrateVolumeHostRef``/``migrateTemplateHostRef``/``migrateSnapshotStoreRef``: copy
  ``volume_host_ref``/``template_host_ref``/backed-up snapshots to the ``*_store_ref`` tables
  (state ``Ready`` when downloaded). A re-run copies them again.
- ``migrateS3ToImageStore``/``migrateSwiftToImageStore``: each S3/Swift store becomes a REGION
  ``image_store`` with its settings as ``image_store_details`` (in the Java ``HashMap``'s order;
  values as stored: the 4.3 step encrypts them) and its snapshots get ``snapshot_store_ref`` rows.
  The template refs are never copied: the Java's insert has 5 parameters (its two path
  placeholders are quoted ``'?'``) and it binds 7, so Connector/J throws on the first
  ``template_s3_ref``/``template_swift_ref`` row and the upgrade stops; so does the port.
- ``migrateDatafromIsoIdInVolumesTable``: when ``volumes.iso_id1`` exists and holds a row, it
  replaces ``iso_id``; every error is logged and ignored, as in the Java.
- ``setRAWformatForRBDVolumes``, ``migrateVolumeOnSecondaryStorage`` (``UploadOp`` -> ``Uploaded``).
"""

from __future__ import annotations

import logging
from typing import Any

from java_equiv._db import execute, rows
from java_equiv._java import StepFails, hashmap_order, java_date, string_hash

LOG = logging.getLogger("flywayx.acs.upgrade410to420")
DEFAULT_PRIMARY = "DefaultPrimary"  # DataStoreProvider.DEFAULT_PRIMARY

VOLUME_HOST_REF = (
    "INSERT INTO `{c}`.`volume_store_ref` (store_id,  volume_id, zone_id, created, last_updated, job_id, "
    "download_pct, size, physical_size, download_state, checksum, error_str, local_path, install_path, url, "
    "destroyed, update_count, ref_cnt, state) select host_id, volume_id, zone_id, created, last_updated, job_id, "
    "download_pct, size, physical_size, download_state, checksum, error_str, local_path, install_path, url, "
    "destroyed, 0, 0, 'Allocated' from `{c}`.`volume_host_ref`",
    "update `{c}`.`volume_store_ref` set state = 'Ready' where download_state = 'DOWNLOADED'",
)
TEMPLATE_HOST_REF = (
    "INSERT INTO `{c}`.`template_store_ref` (store_id,  template_id, created, last_updated, job_id, download_pct, "
    "size, physical_size, download_state, error_str, local_path, install_path, url, destroyed, is_copy, "
    "update_count, ref_cnt, store_role, state) select host_id, template_id, created, last_updated, job_id, "
    "download_pct, size, physical_size, download_state, error_str, local_path, install_path, url, destroyed, "
    "is_copy, 0, 0, 'Image', 'Allocated' from `{c}`.`template_host_ref`",
    "update `{c}`.`template_store_ref` set state = 'Ready' where download_state = 'DOWNLOADED'",
)
SNAPSHOT_STORE_REF = (  # all but KVM (path built), then KVM (backup_snap_id is the whole path)
    "INSERT INTO `{c}`.`snapshot_store_ref` (store_id,  snapshot_id, created, size, parent_snapshot_id, "
    "install_path, volume_id, update_count, ref_cnt, store_role, state) select sechost_id, id, created, size, "
    "prev_snap_id, CONCAT('snapshots', '/', account_id, '/', volume_id, '/', backup_snap_id), volume_id, 0, 0, "
    "'Image', 'Ready' from `{c}`.`snapshots` where status = 'BackedUp' and hypervisor_type <> 'KVM' and "
    "sechost_id is not null and removed is null",
    "INSERT INTO `{c}`.`snapshot_store_ref` (store_id,  snapshot_id, created, size, parent_snapshot_id, "
    "install_path, volume_id, update_count, ref_cnt, store_role, state) select sechost_id, id, created, size, "
    "prev_snap_id, backup_snap_id, volume_id, 0, 0, 'Image', 'Ready' from `{c}`.`snapshots` where status = "
    "'BackedUp' and hypervisor_type = 'KVM' and sechost_id is not null and removed is null",
)
STORE_SNAPSHOTS = (  # {store}: s3 or swift
    "select {store}_id, id, created, size, prev_snap_id, CONCAT('snapshots', '/', account_id, '/', volume_id, '/', "
    "backup_snap_id), volume_id, 0, 0, 'Image', 'Ready' from `{c}`.`snapshots` where status = 'BackedUp' and "
    "hypervisor_type <> 'KVM' and {store}_id is not null and removed is null"
)
INSERT_STORE_SNAPSHOT = (
    "INSERT INTO `{c}`.`snapshot_store_ref` (store_id,  snapshot_id, created, size, parent_snapshot_id, "
    "install_path, volume_id, update_count, ref_cnt, store_role, state) values(%s, %s, %s, %s, %s, %s, %s, 0, 0, "
    "'Image', 'Ready')"
)


def _run(conn: Any, c: str, statements: tuple[str, ...]) -> None:
    for sql in statements:
        execute(conn, sql.format(c=c))


def migrate_volume_host_ref(conn: Any, c: str) -> None:
    _run(conn, c, VOLUME_HOST_REF)


def migrate_template_host_ref(conn: Any, c: str) -> None:
    _run(conn, c, TEMPLATE_HOST_REF)


def migrate_snapshot_store_ref(conn: Any, c: str) -> None:
    _run(conn, c, SNAPSHOT_STORE_REF)


def update_primary_store(conn: Any, c: str) -> None:
    execute(
        conn,
        f"update `{c}`.`storage_pool` set storage_provider_name = %s , scope = %s where "
        "pool_type = 'Filesystem' or pool_type = 'LVM'",
        (DEFAULT_PRIMARY, "HOST"),
    )
    execute(
        conn,
        f"update `{c}`.`storage_pool` set storage_provider_name = %s , scope = %s where "
        "pool_type != 'Filesystem' and pool_type != 'LVM'",
        (DEFAULT_PRIMARY, "CLUSTER"),
    )


def fix_22x_kvm_snapshots(conn: Any, c: str) -> None:
    for snapshot_id, path in rows(
        conn,
        f"select id, backup_snap_id from `{c}`.`snapshots` where hypervisor_type='KVM' "
        "and removed is null and backup_snap_id is not null",
    ):
        index = str(path).find("snapshots/")
        if index > 1:
            execute(conn, f"UPDATE `{c}`.`snapshots` set backup_snap_id=%s where id = %s", (path[index:], snapshot_id))


def set_kvm_snapshot_flag(conn: Any, c: str) -> None:
    if rows(conn, f"select count(*) from `{c}`.`snapshots` where hypervisor_type = 'KVM'")[0][0] > 0:
        execute(conn, f"UPDATE `{c}`.`configuration` SET value = %s WHERE name = 'kvm.snapshot.enabled'", ("true",))


def migrate_secondary_storage_to_image_store(conn: Any, c: str) -> None:
    others = sum(int(rows(conn, f"select count(*) from `{c}`.`{t}`")[0][0]) for t in ("s3", "swift"))
    role = "ImageCache" if others > 0 else "Image"
    for host_id, key, url, zone, parent, total, created, removed in rows(
        conn,
        f"select id, uuid, url, data_center_id, parent, total_size, created, removed from `{c}`.`host` "
        "where type = 'SecondaryStorage'",
    ):
        execute(
            conn,
            f"INSERT INTO `{c}`.`image_store` (id, uuid, name, image_provider_name, protocol, url, "
            "data_center_id, scope, role, parent, total_size, created, removed) values(%s, %s, %s, 'NFS', "
            "'nfs', %s, %s, 'ZONE', %s, %s, %s, %s, %s)",
            (host_id, key, key, url, zone or 0, role, parent, total, java_date(created), java_date(removed)),
        )
    execute(conn, f"UPDATE `{c}`.`host` SET removed = now() WHERE type = 'SecondaryStorage' and removed is null")


def _store(conn: Any, c: str, key: str | None, previous: int | None) -> int:
    """The image_store id just inserted for ``key``; the Java keeps the previous id when none is found."""
    found = rows(conn, f"select id from `{c}`.`image_store` where uuid = %s", (key,))
    store = int(found[0][0]) if found else previous
    if store is None:
        raise StepFails(f"no image_store found for uuid {key!r} (the Java's NullPointerException)")
    return store


def _details(conn: Any, c: str, store: int, details: dict[str, Any]) -> None:
    for name in hashmap_order(list(details), string_hash):
        execute(
            conn,
            f"INSERT INTO `{c}`.`image_store_details` (store_id, name, value) values(%s, %s, %s)",
            (store, name, details[name]),
        )


def _s3_details(row: tuple[Any, ...]) -> dict[str, Any]:
    """The Java's detail map of one ``s3`` row (ApiConstants names), in put order."""
    _, _, access, secret, endpoint, bucket, https, connect, retry, socket, _ = row
    details = {
        "accesskey": access,
        "secretkey": secret,
        "bucket": bucket,
        "endpoint": endpoint,
        "usehttps": "true" if https is not None and int(https) != 0 else "false",
    }
    for name, value in (("connectiontimeout", connect), ("maxerrorretry", retry), ("sockettimeout", socket)):
        if value is not None:
            details[name] = str(value)
    return details


def migrate_s3_to_image_store(conn: Any, c: str) -> None:
    stores: dict[int, int] = {}
    store: int | None = None
    for row in rows(
        conn,
        f"select id, uuid, access_key, secret_key, end_point, bucket, https, connection_timeout, "
        f"max_error_retry, socket_timeout, created from `{c}`.`s3`",
    ):
        details = _s3_details(row)
        execute(
            conn,
            f"INSERT INTO `{c}`.`image_store` (uuid, name, image_provider_name, protocol, scope, role, "
            "created) values(%s, %s, 'S3', %s, 'REGION', 'Image', %s)",
            (row[1], row[1], "https" if details["usehttps"] == "true" else "http", java_date(row[10])),
        )
        store = _store(conn, c, row[1], store)
        _details(conn, c, store, details)
        stores[int(row[0])] = store
    _refuse_template_refs(
        conn,
        c,
        "s3",
        f"select template_s3_ref.s3_id, template_s3_ref.template_id from "
        f"`{c}`.`template_s3_ref`, `{c}`.`vm_template` where vm_template.id = "
        "template_s3_ref.template_id",
    )
    _snapshot_refs(conn, c, "s3", stores)


def migrate_swift_to_image_store(conn: Any, c: str) -> None:
    stores: dict[int, int] = {}
    store: int | None = None
    for swift_id, key, url, account, user, secret, created in rows(
        conn, f"select id, uuid, url, account, username, swift.key, created from `{c}`.`swift`"
    ):
        execute(
            conn,
            f"INSERT INTO `{c}`.`image_store` (uuid, name, image_provider_name, protocol, url, scope, role, "
            "created) values(%s, %s, 'Swift', 'http', %s, 'REGION', 'Image', %s)",
            (key, key, url, java_date(created)),
        )
        store = _store(conn, c, key, store)
        _details(conn, c, store, {"account": account, "username": user, "key": secret})
        stores[int(swift_id)] = store
    _refuse_template_refs(conn, c, "swift", f"select swift_id, template_id from `{c}`.`template_swift_ref`")
    _snapshot_refs(conn, c, "swift", stores)


def _refuse_template_refs(conn: Any, c: str, kind: str, sql: str) -> None:
    found = rows(conn, sql)
    if found:
        raise StepFails(
            f"template {found[0][1]} is on {kind} store {found[0][0]}: CloudStack's Java binds 7 values "
            "to its 5-parameter template_store_ref insert and fails "
            f'("Unable to migrate template_{kind}_ref")'
        )


def _snapshot_refs(conn: Any, c: str, kind: str, stores: dict[int, int]) -> None:
    """S3 keeps NULL size/parent; the Swift copy reads them with ``getLong`` (NULL -> 0)."""
    for store_ref, snapshot_id, created, size, parent, path, volume_id, *_ in rows(
        conn, STORE_SNAPSHOTS.format(c=c, store=kind)
    ):
        if store_ref not in stores:
            raise StepFails(f"snapshot {snapshot_id}: {kind} store {store_ref} not migrated (the Java's NPE)")
        if kind == "swift":
            size, parent = size or 0, parent or 0
        execute(
            conn,
            INSERT_STORE_SNAPSHOT.format(c=c),
            (stores[store_ref], snapshot_id, java_date(created), size, parent, path, volume_id),
        )


def migrate_datafrom_iso_id_in_volumes_table(conn: Any, c: str) -> None:
    try:
        if rows(conn, f"SELECT iso_id1 From `{c}`.`volumes` LIMIT 1"):
            execute(conn, f"ALTER TABLE `{c}`.`volumes` DROP COLUMN `iso_id`")
            execute(
                conn,
                f"ALTER TABLE `{c}`.`volumes` CHANGE COLUMN `iso_id1` `iso_id` bigint(20) unsigned COMMENT "
                "'The id of the iso from which the volume was created'",
            )
    except Exception as err:
        if not (err.args and isinstance(err.args[0], int)):  # only the server's answers are ignored
            raise
        LOG.info("migrateDatafromIsoIdInVolumesTable: ignoring Exception: %s", err)


def set_raw_format_for_rbd_volumes(conn: Any, c: str) -> None:
    execute(
        conn,
        f"UPDATE `{c}`.`volumes` SET format = 'RAW' WHERE pool_id IN(SELECT id FROM `{c}`.`storage_pool` "
        "WHERE pool_type = 'RBD')",
    )


def migrate_volume_on_secondary_storage(conn: Any, c: str) -> None:
    execute(conn, f"update `{c}`.`volumes` set state='Uploaded' where state='UploadOp'")
