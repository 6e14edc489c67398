"""Upgrade410to420 (4.2.0) on a scratch MariaDB holding the tables each call touches, shaped as on
CloudStack 4.1: the schema calls (keys present after, a re-run ends in the same schema, the declared
SCHEMA_EFFECTS are what they create) and the main data migrations on seeded rows. The HashMap
orders the port reproduces are checked against a real JVM when one is installed."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pymysql
import pytest

from java_equiv import _410to420_network as network
from java_equiv import _410to420_storage as storage
from java_equiv import _410to420_zones as zones
from java_equiv import upgrade_410to420
from java_equiv._java import StepFails, hashmap_order, long_hash, string_hash

ID = "id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY"


def _sql(conn: Any, sql: str, *args: object) -> Any:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def _create(conn: Any, tables: dict[str, str]) -> None:
    for name, body in tables.items():
        _sql(conn, f"CREATE TABLE `{name}` ({ID}, {body}) ENGINE=InnoDB")


# ------------------------------------------------------------------ schema calls

SCHEMA_TABLES = {  # as on 4.1, plus a pod key some databases carried on the DHCP table
    "host": "name varchar(255)",
    "host_pod_ref": "name varchar(255)",
    "physical_network": "name varchar(255)",
    "physical_network_service_providers": "provider_name varchar(255)",
    "baremetal_dhcp_devices": "nsp_id bigint unsigned, pod_id bigint unsigned, physical_network_id bigint unsigned, "
    "host_id bigint unsigned, CONSTRAINT fk_external_dhcp_devices_pod_id FOREIGN KEY "
    "(pod_id) REFERENCES host_pod_ref (id)",
    "baremetal_pxe_devices": "nsp_id bigint unsigned, pod_id bigint unsigned, physical_network_id bigint unsigned, "
    "host_id bigint unsigned",
    "host_details": "host_id bigint unsigned NOT NULL, name varchar(255) NOT NULL, value varchar(255), "
    "UNIQUE KEY uk_host_id_name (host_id, name), CONSTRAINT fk_host_details__host_id FOREIGN KEY "
    "(host_id) REFERENCES host (id) ON DELETE CASCADE",
    "alert": "last_sent datetime, KEY last_sent (last_sent)",  # the 4.1 patch's unconventional name
    "nics": "uuid varchar(40), UNIQUE KEY uc_nics__uuid (uuid)",
    "nicira_nvp_nic_map": "nic varchar(255), UNIQUE KEY nic (nic), CONSTRAINT fk_nicira_nvp_nic_map__nic "
    "FOREIGN KEY (nic) REFERENCES nics (uuid) ON DELETE CASCADE",
    "domain_router": "name varchar(255)",
    "router_network_ref": "router_id bigint unsigned NOT NULL, network_id bigint unsigned NOT NULL, "
    "UNIQUE KEY i_router_network_ref__router_id__network_id (router_id, network_id), "
    "CONSTRAINT fk_router_network_ref__router_id FOREIGN KEY (router_id) "
    "REFERENCES domain_router (id)",
}
SCHEMA_CALLS = (
    upgrade_410to420.add_host_details_index,
    upgrade_410to420.add_index_for_alert,
    upgrade_410to420.fix_baremetal_foreign_keys,
    upgrade_410to420.fix_nicira_keys,
    upgrade_410to420.fix_router_keys,
)


def _keys(conn: Any, schema: str) -> dict[str, Any]:
    """Every index (name -> columns) and foreign key (name -> column, target, delete rule) per table."""
    out: dict[str, Any] = {}
    for table, name, column in _sql(
        conn,
        "SELECT table_name, index_name, column_name FROM information_schema."
        "statistics WHERE table_schema=%s ORDER BY table_name, index_name, "
        "seq_in_index",
        schema,
    ):
        out.setdefault(f"table {table} index {name}", []).append(column)
    for table, name, column, target, rule in _sql(
        conn,
        "SELECT k.table_name, k.constraint_name, k.column_name, k.referenced_table_name, r.delete_rule "
        "FROM information_schema.key_column_usage k JOIN information_schema.referential_constraints r "
        "ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name "
        "WHERE k.table_schema=%s AND k.referenced_table_name IS NOT NULL",
        schema,
    ):
        out[f"table {table} foreign key {name}"] = (column, target, rule)
    return {k: tuple(v) if isinstance(v, list) else v for k, v in out.items()}


def test_schema_calls_add_the_keys_and_a_rerun_changes_nothing(mariadb: Any) -> None:
    conn = mariadb.connect()
    _create(conn, SCHEMA_TABLES)
    for call in SCHEMA_CALLS:
        call(conn, mariadb.name)
    first = _keys(conn, mariadb.name)
    assert first["table alert index i_alert__last_sent"] == ("last_sent",)
    assert "table alert index last_sent" not in first  # the old name is dropped
    assert first["table host_details index fk_host_details__host_id"] == ("host_id",)
    for table, prefix in (
        ("baremetal_dhcp_devices", "fk_external_dhcp_devices"),
        ("baremetal_pxe_devices", "fk_external_pxe_devices"),
    ):
        fks = {k.rsplit(" ", 1)[1]: v for k, v in first.items() if k.startswith(f"table {table} foreign key")}
        assert fks == {
            f"{prefix}_nsp_id": ("nsp_id", "physical_network_service_providers", "CASCADE"),
            f"{prefix}_host_id": ("host_id", "host", "CASCADE"),
            f"{prefix}_physical_network_id": ("physical_network_id", "physical_network", "CASCADE"),
        }
    assert first["table nicira_nvp_nic_map foreign key fk_nicira_nvp_nic_map__nic"] == ("nic", "nics", "CASCADE")
    assert first["table router_network_ref foreign key fk_router_network_ref__router_id"] == (
        "router_id",
        "domain_router",
        "CASCADE",
    )  # re-added with the Java's ON DELETE CASCADE
    for call in SCHEMA_CALLS:
        call(conn, mariadb.name)
    assert _keys(conn, mariadb.name) == first


def test_declared_schema_effects_are_what_the_schema_calls_create(mariadb: Any) -> None:
    conn = mariadb.connect()
    tables = dict(SCHEMA_TABLES)
    tables["baremetal_dhcp_devices"] = tables["baremetal_pxe_devices"]  # 4.1's shape, no pod key
    _create(conn, tables)
    before = _keys(conn, mariadb.name)
    for call in SCHEMA_CALLS:
        call(conn, mariadb.name)
    after = _keys(conn, mariadb.name)
    declared = {e.replace("table cloud.", "table ", 1) for e in upgrade_410to420.SCHEMA_EFFECTS}
    assert declared == {k for k in after if k not in before}
    assert {k for k in before if k not in after} == {"table alert index last_sent"}  # not on the real 4.1 path


def test_iso_id1_replaces_iso_id_only_when_it_holds_a_row(mariadb: Any) -> None:
    conn = mariadb.connect()
    _create(conn, {"volumes": "iso_id bigint unsigned, iso_id1 bigint unsigned"})
    storage.migrate_datafrom_iso_id_in_volumes_table(conn, mariadb.name)  # empty table: the Java does nothing
    columns = "SELECT column_name FROM information_schema.columns WHERE table_schema=%s AND table_name='volumes'"
    assert {r[0] for r in _sql(conn, columns, mariadb.name)} == {"id", "iso_id", "iso_id1"}
    _sql(conn, "INSERT INTO volumes VALUES (1, 5, 7)")
    for _ in range(2):  # the second run's error (no iso_id1) is logged and ignored, as in the Java
        storage.migrate_datafrom_iso_id_in_volumes_table(conn, mariadb.name)
        assert {r[0] for r in _sql(conn, columns, mariadb.name)} == {"id", "iso_id"}
        assert _sql(conn, "SELECT id, iso_id FROM volumes") == ((1, 7),)


# ------------------------------------------------------------------ storage

STORE_TABLES = {
    "host": "uuid varchar(40), url varchar(255), data_center_id bigint unsigned, parent varchar(255), "
    "total_size bigint unsigned, created datetime, removed datetime, type varchar(32)",
    "image_store": "name varchar(255) NOT NULL, image_provider_name varchar(255) NOT NULL, protocol varchar(255) "
    "NOT NULL, url varchar(255), data_center_id bigint unsigned, scope varchar(255), role varchar(255), "
    "uuid varchar(255), parent varchar(255), created datetime, removed datetime, "
    "total_size bigint unsigned",
    "image_store_details": "store_id bigint unsigned NOT NULL, name varchar(255) NOT NULL, value varchar(255) NOT NULL",
    "s3": "uuid varchar(40), access_key varchar(20) NOT NULL, secret_key varchar(40) NOT NULL, end_point "
    "varchar(1024), bucket varchar(63) NOT NULL, https tinyint unsigned, connection_timeout int, "
    "max_error_retry int, socket_timeout int, created datetime",
    "swift": "uuid varchar(40), url varchar(255) NOT NULL, account varchar(255) NOT NULL, username varchar(255) "
    "NOT NULL, `key` varchar(255) NOT NULL, created datetime",
    "vm_template": "account_id bigint unsigned",
    "template_s3_ref": "s3_id bigint unsigned, template_id bigint unsigned, created datetime, size bigint unsigned, "
    "physical_size bigint unsigned",
    "template_swift_ref": "swift_id bigint unsigned, template_id bigint unsigned, created datetime, path varchar(255), "
    "size bigint unsigned, physical_size bigint unsigned",
    "snapshots": "account_id bigint unsigned, volume_id bigint unsigned, status varchar(32), size bigint unsigned, "
    "created datetime, removed datetime, backup_snap_id varchar(255), sechost_id bigint unsigned, "
    "prev_snap_id bigint unsigned, hypervisor_type varchar(32), s3_id bigint unsigned, "
    "swift_id bigint unsigned",
    "snapshot_store_ref": "store_id bigint unsigned NOT NULL, snapshot_id bigint unsigned NOT NULL, created datetime "
    "NOT NULL, size bigint unsigned, parent_snapshot_id bigint unsigned DEFAULT 0, install_path "
    "varchar(255), volume_id bigint unsigned, update_count bigint unsigned, ref_cnt bigint "
    "unsigned, store_role varchar(255), state varchar(255) NOT NULL",
}
CREATED = dt.datetime(2013, 5, 6, 7, 8, 9)
DAY = dt.datetime(2013, 5, 6)  # what getDate/setDate keep of CREATED


@pytest.mark.parametrize("with_s3", [False, True])
def test_nfs_secondary_storage_becomes_image_stores(mariadb: Any, with_s3: bool) -> None:
    conn = mariadb.connect()
    _create(conn, STORE_TABLES)
    _sql(
        conn,
        "INSERT INTO host VALUES (3, 'u-3', 'nfs://10.0.0.1/export', 1, 'parent', 1000, %s, NULL, "
        "'SecondaryStorage'), (4, 'u-4', 'nfs://10.0.0.2/old', 2, NULL, NULL, %s, '2013-01-01 10:00:00', "
        "'SecondaryStorage'), (5, 'u-5', NULL, 1, NULL, NULL, %s, NULL, 'Routing')",
        CREATED,
        CREATED,
        CREATED,
    )
    if with_s3:
        _sql(conn, "INSERT INTO s3 (uuid, access_key, secret_key, bucket) VALUES ('s', 'a', 'b', 'c')")
    storage.migrate_secondary_storage_to_image_store(conn, mariadb.name)
    role = "ImageCache" if with_s3 else "Image"
    assert _sql(
        conn,
        "SELECT id, uuid, name, image_provider_name, protocol, url, data_center_id, scope, role, "
        "parent, total_size, created, removed FROM image_store ORDER BY id",
    ) == (
        (3, "u-3", "u-3", "NFS", "nfs", "nfs://10.0.0.1/export", 1, "ZONE", role, "parent", 1000, DAY, None),
        (
            4,
            "u-4",
            "u-4",
            "NFS",
            "nfs",
            "nfs://10.0.0.2/old",
            2,
            "ZONE",
            role,
            None,
            None,
            DAY,
            dt.datetime(2013, 1, 1),
        ),
    )
    hosts = dict(_sql(conn, "SELECT id, removed FROM host"))
    assert hosts[3] is not None and hosts[4] == dt.datetime(2013, 1, 1, 10) and hosts[5] is None
    with pytest.raises(pymysql.err.IntegrityError):  # like the Java, a second run collides on the store ids
        storage.migrate_secondary_storage_to_image_store(conn, mariadb.name)


REF_TABLES = {
    "volume_host_ref": "host_id bigint unsigned, volume_id bigint unsigned, zone_id bigint unsigned, created datetime, "
    "last_updated datetime, job_id varchar(255), download_pct int unsigned, size bigint unsigned, "
    "physical_size bigint unsigned, download_state varchar(255), checksum varchar(255), "
    "error_str varchar(255), local_path varchar(255), install_path varchar(255), "
    "url varchar(255), destroyed tinyint(1)",
    "volume_store_ref": "store_id bigint unsigned, volume_id bigint unsigned, zone_id bigint unsigned, created "
    "datetime, last_updated datetime, job_id varchar(255), download_pct int unsigned, size bigint "
    "unsigned, physical_size bigint unsigned, download_state varchar(255), checksum varchar(255), "
    "error_str varchar(255), local_path varchar(255), install_path varchar(255), url "
    "varchar(255), destroyed tinyint(1), update_count bigint unsigned, ref_cnt bigint unsigned, "
    "state varchar(255) NOT NULL",
    "template_host_ref": "host_id bigint unsigned, template_id bigint unsigned, created datetime, last_updated "
    "datetime, job_id varchar(255), download_pct int unsigned, size bigint unsigned, "
    "physical_size bigint unsigned, download_state varchar(255), error_str varchar(255), "
    "local_path varchar(255), install_path varchar(255), url varchar(255), "
    "destroyed tinyint(1), is_copy tinyint(1)",
    "template_store_ref": "store_id bigint unsigned, template_id bigint unsigned, created datetime, last_updated "
    "datetime, job_id varchar(255), download_pct int unsigned, size bigint unsigned, "
    "physical_size bigint unsigned, download_state varchar(255), error_str varchar(255), "
    "local_path varchar(255), install_path varchar(255), url varchar(255), destroyed tinyint(1), "
    "is_copy tinyint(1), update_count bigint unsigned, ref_cnt bigint unsigned, "
    "store_role varchar(255), state varchar(255) NOT NULL",
    "snapshots": STORE_TABLES["snapshots"],
    "snapshot_store_ref": STORE_TABLES["snapshot_store_ref"],
}


def test_host_refs_and_backed_up_snapshots_move_to_store_refs(mariadb: Any) -> None:
    conn = mariadb.connect()
    _create(conn, REF_TABLES)
    _sql(
        conn,
        "INSERT INTO volume_host_ref (host_id, volume_id, zone_id, created, download_state, install_path) "
        "VALUES (2, 10, 1, %s, 'DOWNLOADED', 'volumes/10'), (2, 11, 1, %s, 'DOWNLOAD_IN_PROGRESS', NULL)",
        CREATED,
        CREATED,
    )
    _sql(
        conn,
        "INSERT INTO template_host_ref (host_id, template_id, created, download_state, install_path, is_copy) "
        "VALUES (2, 201, %s, 'DOWNLOADED', 'template/tmpl/1/201', 0)",
        CREATED,
    )
    _sql(
        conn,
        "INSERT INTO snapshots (id, account_id, volume_id, status, size, created, removed, backup_snap_id, "
        "sechost_id, prev_snap_id, hypervisor_type) VALUES "
        "(1, 2, 10, 'BackedUp', 50, %s, NULL, 'b1', 2, NULL, 'XenServer'), "
        "(2, 2, 10, 'BackedUp', 60, %s, NULL, '/snapshots/2/10/b2', 2, 1, 'KVM'), "
        "(3, 2, 10, 'BackedUp', 70, %s, %s, 'b3', 2, NULL, 'XenServer'), "
        "(4, 2, 10, 'Error', 80, %s, NULL, 'b4', 2, NULL, 'XenServer'), "
        "(5, 2, 10, 'BackedUp', 90, %s, NULL, 'b5', NULL, NULL, 'XenServer')",
        *[CREATED] * 6,
    )
    storage.migrate_volume_host_ref(conn, mariadb.name)
    storage.migrate_template_host_ref(conn, mariadb.name)
    storage.migrate_snapshot_store_ref(conn, mariadb.name)
    assert _sql(
        conn,
        "SELECT store_id, volume_id, install_path, update_count, ref_cnt, state FROM volume_store_ref "
        "ORDER BY volume_id",
    ) == ((2, 10, "volumes/10", 0, 0, "Ready"), (2, 11, None, 0, 0, "Allocated"))
    assert _sql(conn, "SELECT store_id, template_id, install_path, store_role, state FROM template_store_ref") == (
        (2, 201, "template/tmpl/1/201", "Image", "Ready"),
    )
    assert _sql(
        conn,
        "SELECT store_id, snapshot_id, size, parent_snapshot_id, install_path, volume_id, store_role, "
        "state FROM snapshot_store_ref ORDER BY snapshot_id",
    ) == (
        (2, 1, 50, None, "snapshots/2/10/b1", 10, "Image", "Ready"),
        (2, 2, 60, 1, "/snapshots/2/10/b2", 10, "Image", "Ready"),
    )  # KVM: the backup path is already whole


def test_s3_and_swift_become_region_image_stores(mariadb: Any) -> None:
    conn = mariadb.connect()
    _create(conn, STORE_TABLES)
    _sql(conn, "INSERT INTO s3 VALUES (1, 'u-s3', 'AK', 'SK', 's3.example.com', 'bkt', 1, 100, NULL, 300, %s)", CREATED)
    _sql(conn, "INSERT INTO swift VALUES (1, 'u-sw', 'http://swift:8080/v1', 'acct', 'user', 'secret', %s)", CREATED)
    _sql(
        conn,
        "INSERT INTO snapshots (id, account_id, volume_id, status, size, created, backup_snap_id, prev_snap_id, "
        "hypervisor_type, s3_id, swift_id) VALUES (7, 2, 10, 'BackedUp', 5, %s, 'b7', NULL, 'XenServer', 1, "
        "NULL), (8, 2, 11, 'BackedUp', 6, %s, 'b8', NULL, 'VMware', NULL, 1)",
        CREATED,
        CREATED,
    )
    storage.migrate_s3_to_image_store(conn, mariadb.name)
    storage.migrate_swift_to_image_store(conn, mariadb.name)
    stores = _sql(
        conn,
        "SELECT id, uuid, name, image_provider_name, protocol, url, scope, role, created FROM image_store ORDER BY id",
    )
    assert [s[1:] for s in stores] == [
        ("u-s3", "u-s3", "S3", "https", None, "REGION", "Image", DAY),
        ("u-sw", "u-sw", "Swift", "http", "http://swift:8080/v1", "REGION", "Image", DAY),
    ]
    s3, swift = stores[0][0], stores[1][0]
    details = _sql(conn, "SELECT store_id, name, value FROM image_store_details ORDER BY id")
    s3_details = {
        "accesskey": "AK",
        "secretkey": "SK",
        "bucket": "bkt",
        "endpoint": "s3.example.com",
        "usehttps": "true",
        "connectiontimeout": "100",
        "sockettimeout": "300",
    }
    swift_details = {"account": "acct", "username": "user", "key": "secret"}
    assert [d[1:] for d in details if d[0] == s3] == [
        (k, s3_details[k]) for k in hashmap_order(list(s3_details), string_hash)
    ]  # in the Java HashMap's order, so with CloudStack's ids
    assert {d[1]: d[2] for d in details if d[0] == swift} == swift_details
    assert _sql(
        conn,
        "SELECT store_id, snapshot_id, size, parent_snapshot_id, install_path, state "
        "FROM snapshot_store_ref ORDER BY snapshot_id",
    ) == ((s3, 7, 5, None, "snapshots/2/10/b7", "Ready"), (swift, 8, 6, 0, "snapshots/2/11/b8", "Ready"))


@pytest.mark.parametrize("kind", ["s3", "swift"])
def test_a_template_on_s3_or_swift_stops_the_step_as_in_cloudstack(mariadb: Any, kind: str) -> None:
    conn = mariadb.connect()
    _create(conn, STORE_TABLES)
    _sql(conn, "INSERT INTO vm_template VALUES (201, 2)")
    if kind == "s3":
        _sql(conn, "INSERT INTO s3 VALUES (1, 'u-s3', 'AK', 'SK', 'e', 'bkt', 0, NULL, NULL, NULL, %s)", CREATED)
        _sql(conn, "INSERT INTO template_s3_ref VALUES (1, 1, 201, %s, 10, 10)", CREATED)
    else:
        _sql(conn, "INSERT INTO swift VALUES (1, 'u-sw', 'http://sw', 'a', 'u', 'k', %s)", CREATED)
        _sql(conn, "INSERT INTO template_swift_ref VALUES (1, 1, 201, %s, 'p', 10, 10)", CREATED)
    call = storage.migrate_s3_to_image_store if kind == "s3" else storage.migrate_swift_to_image_store
    with pytest.raises(StepFails, match="template 201"):
        call(conn, mariadb.name)


# ------------------------------------------------------------------ zones and VMware

ZONE_TABLES = {
    "data_center": "domain_id bigint unsigned, removed datetime",
    "cluster": "data_center_id bigint unsigned, hypervisor_type varchar(32), removed datetime",
    "cluster_details": "cluster_id bigint unsigned NOT NULL, name varchar(255) NOT NULL, value varchar(255)",
    "legacy_zones": "zone_id bigint unsigned NOT NULL UNIQUE",
    "vmware_data_center": "uuid varchar(255) UNIQUE, name varchar(255) NOT NULL, guid varchar(255) NOT NULL UNIQUE, "
    "vcenter_host varchar(255) NOT NULL, username varchar(255) NOT NULL, "
    "password varchar(255) NOT NULL",
    "vmware_data_center_zone_map": "zone_id bigint unsigned NOT NULL UNIQUE, "
    "vmware_data_center_id bigint unsigned NOT NULL UNIQUE",
    "configuration": "category varchar(255), name varchar(255) NOT NULL UNIQUE, value varchar(4095)",
    "physical_network_traffic_types": "traffic_type varchar(32), vmware_network_label varchar(255)",
}


def _clusters(conn: Any, clusters: list[tuple[int, int, str, str | None]]) -> None:
    """(cluster id, zone, hypervisor, vCenter url or None)."""
    for cluster_id, zone, hypervisor, url in clusters:
        _sql(
            conn,
            "INSERT INTO cluster (id, data_center_id, hypervisor_type) VALUES (%s, %s, %s)",
            cluster_id,
            zone,
            hypervisor,
        )
        if url:
            _sql(
                conn,
                "INSERT INTO cluster_details (cluster_id, name, value) VALUES (%s, 'url', %s), "
                "(%s, 'Username', 'admin'), (%s, 'password', 'pw')",
                cluster_id,
                url,
                cluster_id,
                cluster_id,
            )


def test_legacy_zones_and_vmware_datacenters(mariadb: Any) -> None:
    conn = mariadb.connect()
    _create(conn, ZONE_TABLES)
    _sql(
        conn,
        "INSERT INTO data_center (id, removed) VALUES (1, NULL), (2, NULL), (3, NULL), (4, NULL), (5, NULL), "
        "(6, NULL), (7, NOW())",
    )
    _clusters(
        conn,
        [
            (11, 1, "VMware", "http://vc1/dcA/c1"),
            (12, 1, "VMware", "http://vc1/dcB/c2"),  # two DCs
            (21, 2, "VMware", "http://vc2/dcC/c1"),  # one DC, its own
            (31, 3, "KVM", None),  # not VMware: ignored
            (41, 4, "VMware", "http://vc3/dcD/c1"),
            (51, 5, "VMware", "http://vc3/dcD/c2"),  # shared DC
            (71, 7, "VMware", "http://vc4/dcE/c1"),
        ],
    )  # zone 6 has no cluster, zone 7 is removed
    zones.persist_legacy_zones(conn, mariadb.name)
    assert [r[0] for r in _sql(conn, "SELECT zone_id FROM legacy_zones ORDER BY id")] == [1, 4, 5]
    assert _sql(
        conn,
        "SELECT d.name, d.guid, d.vcenter_host, d.username, d.password, m.zone_id FROM "
        "vmware_data_center d JOIN vmware_data_center_zone_map m ON m.vmware_data_center_id = d.id",
    ) == (("dcC", "dcC@vc2", "vc2", "admin", "pw", 2),)
    with pytest.raises(pymysql.err.IntegrityError):  # not idempotent, as the Java
        zones.persist_legacy_zones(conn, mariadb.name)


def test_a_vmware_cluster_without_url_stops_the_step(mariadb: Any) -> None:
    conn = mariadb.connect()
    _create(conn, ZONE_TABLES)
    _sql(conn, "INSERT INTO data_center (id) VALUES (1)")
    _clusters(conn, [(11, 1, "VMware", None)])
    with pytest.raises(StepFails, match="cluster 11"):
        zones.persist_legacy_zones(conn, mariadb.name)


def test_vmware_labels_stay_and_a_matching_setting_stops_the_step(mariadb: Any) -> None:
    conn = mariadb.connect()
    _create(conn, ZONE_TABLES)
    _sql(
        conn,
        "INSERT INTO configuration (category, name, value) VALUES ('Hidden', 'vmware.guest.vswitch', 'vSw1'), "
        "('Hidden', 'vmware.public.vswitch', 'vSw2'), ('Hidden', 'vmware.private.vswitch', 'vSw3')",
    )
    _sql(
        conn,
        "INSERT INTO physical_network_traffic_types (traffic_type, vmware_network_label) VALUES "
        "('Guest', 'vSwitch0,100'), ('Public', 'vSwitch0'), ('Management', NULL)",
    )
    labels = "SELECT traffic_type, vmware_network_label FROM physical_network_traffic_types ORDER BY id"
    before = _sql(conn, labels)
    zones.upgrade_vmware_labels(conn, mariadb.name)  # the pattern matches none of CloudStack's settings
    assert _sql(conn, labels) == before
    _sql(conn, "INSERT INTO configuration (category, name, value) VALUES ('Hidden', 'vmware.vswitch', 'x')")
    with pytest.raises(StepFails, match=r"vmware\.vswitch"):
        zones.upgrade_vmware_labels(conn, mariadb.name)
    assert _sql(conn, labels) == before


def test_vswitch_details_are_written_for_every_vmware_cluster_seen_so_far(mariadb: Any) -> None:
    conn = mariadb.connect()
    _create(conn, ZONE_TABLES)
    _sql(
        conn,
        "INSERT INTO configuration (category, name, value) VALUES ('Network', 'vmware.use.nexus.vswitch', "
        "'TRUE'), ('Network', 'vmware.use.dvswitch', 'false')",
    )
    _clusters(conn, [(1, 1, "VMware", None), (2, 1, "KVM", None), (3, 1, "vmware", None)])
    zones.persist_vswitch_configuration(conn, mariadb.name)
    nexus = [("guestvswitchtype", "nexusdvs"), ("publicvswitchtype", "nexusdvs")]
    assert [r[1:] for r in _sql(conn, "SELECT id, cluster_id, name, value FROM cluster_details ORDER BY id")] == [
        (1, *d) for d in nexus
    ] + [(c, *d) for c in hashmap_order([1, 3], long_hash) for d in nexus]
    assert _sql(conn, "SELECT value FROM configuration WHERE name = 'vmware.use.dvswitch'") == (("true",),)


def test_overcommit_ratios_per_cluster(mariadb: Any) -> None:
    conn = mariadb.connect()
    _create(conn, ZONE_TABLES)
    _sql(
        conn,
        "INSERT INTO configuration (name, value) VALUES ('cpu.overprovisioning.factor', '2'), "
        "('mem.overprovisioning.factor', '1.5')",
    )
    _sql(
        conn,
        "INSERT INTO cluster (id, hypervisor_type, removed) VALUES (1, 'VMware', NULL), (2, 'KVM', NULL), "
        "(3, NULL, NULL), (4, 'VMware', NOW())",
    )
    zones.update_overcommit_ratio_cluster_details(conn, mariadb.name)
    got = {(r[0], r[1]): r[2] for r in _sql(conn, "SELECT cluster_id, name, value FROM cluster_details")}
    assert got == {
        (1, "cpuOvercommitRatio"): "2",
        (1, "memoryOvercommitRatio"): "1.5",
        (2, "cpuOvercommitRatio"): "2",
        (2, "memoryOvercommitRatio"): "1",
        (3, "cpuOvercommitRatio"): "2",
        (3, "memoryOvercommitRatio"): "1",
    }


def test_private_zones_become_dedicated_resources(mariadb: Any) -> None:
    conn = mariadb.connect()
    _create(
        conn,
        {
            "data_center": "domain_id bigint unsigned, removed datetime",
            "domain": "name varchar(255)",
            "affinity_group": "name varchar(255) NOT NULL, type varchar(255) NOT NULL, uuid varchar(40), description "
            "varchar(4096), domain_id bigint unsigned NOT NULL, account_id bigint unsigned NOT NULL, "
            "acl_type varchar(15) NOT NULL, UNIQUE KEY (name, account_id)",
            "affinity_group_domain_map": "domain_id bigint unsigned NOT NULL, "
            "affinity_group_id bigint unsigned NOT NULL",
            "dedicated_resources": "uuid varchar(40), data_center_id bigint unsigned, domain_id bigint unsigned, "
            "affinity_group_id bigint unsigned NOT NULL",
        },
    )
    _sql(conn, "INSERT INTO domain VALUES (2, 'sales'), (3, 'gone'), (5, 'ops')")
    _sql(
        conn, "INSERT INTO data_center VALUES (1, 2, NULL), (2, 2, NULL), (3, NULL, NULL), (4, 3, NOW()), (5, 5, NULL)"
    )
    _sql(conn, "INSERT INTO affinity_group VALUES (9, 'ops-group', 'ExplicitDedication', 'g9', NULL, 5, 4, 'Domain')")
    _sql(conn, "INSERT INTO affinity_group_domain_map VALUES (1, 5, 9)")
    zones.move_private_zone_to_dedicated_resource(conn, mariadb.name)
    created = _sql(
        conn, "SELECT id, name, type, description, domain_id, account_id, acl_type FROM affinity_group WHERE id <> 9"
    )
    assert [g[1:] for g in created] == [
        ("DedicatedGrp-domain-sales", "ExplicitDedication", "dedicated resources group", 1, 1, "Domain")
    ]
    group = created[0][0]
    assert set(_sql(conn, "SELECT domain_id, affinity_group_id FROM affinity_group_domain_map")) == {(5, 9), (2, group)}
    assert set(_sql(conn, "SELECT data_center_id, domain_id, affinity_group_id FROM dedicated_resources")) == {
        (1, 2, group),
        (2, 2, group),
        (5, 5, 9),
    }


# ------------------------------------------------------------------ networks and configuration


def test_vpc_tier_firewall_rules_become_network_acls(mariadb: Any) -> None:
    conn = mariadb.connect()
    _create(
        conn,
        {
            "networks": "vpc_id bigint unsigned, uuid varchar(40), removed datetime, network_acl_id bigint unsigned",
            "firewall_rules": "uuid varchar(40), start_port int, end_port int, state char(32), protocol char(16), "
            "icmp_code int, icmp_type int, created datetime, traffic_type char(32), "
            "network_id bigint unsigned, purpose varchar(32)",
            "firewall_rules_cidrs": "firewall_rule_id bigint unsigned, source_cidr varchar(18)",
            "network_acl": "uuid varchar(40), vpc_id bigint unsigned, description varchar(1024), name varchar(255)",
            "network_acl_item": "uuid varchar(40), acl_id bigint unsigned NOT NULL, start_port int, end_port int, "
            "state char(32), protocol char(16), icmp_code int, icmp_type int, created datetime, traffic_type "
            "char(32), cidr varchar(255), number int NOT NULL, action varchar(10) NOT NULL",
        },
    )
    _sql(
        conn,
        "INSERT INTO networks (id, vpc_id, uuid, removed) VALUES (1, 7, 'tier-a', NULL), "
        "(2, 7, 'tier-b', NULL), (3, NULL, 'plain', NULL), (4, 7, 'old', NOW())",
    )
    _sql(
        conn,
        "INSERT INTO firewall_rules VALUES (10, 'r10', 22, 22, 'Active', 'TCP', NULL, NULL, %s, 'Ingress', 1, "
        "'NetworkACL'), (11, 'r11', NULL, NULL, 'Active', 'ICMP', -1, -1, %s, 'Egress', 1, 'NetworkACL'), "
        "(12, 'r12', 80, 80, 'Active', 'TCP', NULL, NULL, %s, 'Ingress', 1, 'Firewall')",
        CREATED,
        CREATED,
        CREATED,
    )
    _sql(
        conn,
        "INSERT INTO firewall_rules_cidrs VALUES (1, 10, '10.0.0.0/8'), (2, 10, '192.168.0.0/16'), "
        "(3, 12, '0.0.0.0/0')",
    )
    network.update_network_acls(conn, mariadb.name)
    assert _sql(conn, "SELECT id, vpc_id, description, name FROM network_acl") == (
        (3, 7, "ACL for tier tier-a", "tier_tier-a"),
    )
    assert [
        i[1:]
        for i in _sql(
            conn,
            "SELECT id, uuid, acl_id, start_port, end_port, state, protocol, icmp_code, "
            "icmp_type, created, traffic_type, cidr, number, action FROM network_acl_item "
            "ORDER BY id",
        )
    ] == [
        ("r10", 3, 22, 22, "Active", "TCP", None, None, DAY, "Ingress", "10.0.0.0/8,192.168.0.0/16", 1, "Allow"),
        ("r11", 3, None, None, "Active", "ICMP", -1, -1, DAY, "Egress", None, 2, "Allow"),
    ]
    assert dict(_sql(conn, "SELECT id, network_acl_id FROM networks")) == {1: 3, 2: 1, 3: None, 4: None}
    assert [r[0] for r in _sql(conn, "SELECT id FROM firewall_rules")] == [12]
    assert [r[0] for r in _sql(conn, "SELECT firewall_rule_id FROM firewall_rules_cidrs")] == [12]


def test_full_clone_flag_depends_on_zones_and_is_written_once(mariadb: Any) -> None:
    conn = mariadb.connect()
    _sql(
        conn,
        "CREATE TABLE configuration (category varchar(255), instance varchar(255), component varchar(255), "
        "name varchar(255) PRIMARY KEY, value varchar(4095), description varchar(1024))",
    )
    _sql(conn, "CREATE TABLE data_center (id bigint PRIMARY KEY)")
    flag = "SELECT category, component, value FROM configuration WHERE name = 'vmware.create.full.clone'"
    upgrade_410to420.create_full_clone_flag(conn, mariadb.name)
    assert _sql(conn, flag) == (("Advanced", "UserVmManager", "true"),)  # no zone yet: full clones
    _sql(conn, "INSERT INTO data_center VALUES (1)")
    upgrade_410to420.create_full_clone_flag(conn, mariadb.name)
    assert _sql(conn, flag) == (("Advanced", "UserVmManager", "false"),)


def test_srx_firewall_networks_stop_the_step_as_in_cloudstack(mariadb: Any) -> None:
    conn = mariadb.connect()
    _create(conn, {"ntwk_service_map": "network_id bigint unsigned, service varchar(255), provider varchar(255)"})
    _sql(conn, "INSERT INTO ntwk_service_map (network_id, service, provider) VALUES (5, 'Firewall', 'VirtualRouter')")
    network.add_egress_fw_rules_for_srx_guest_nw(conn, mariadb.name)  # no SRX: nothing to do
    _sql(conn, "INSERT INTO ntwk_service_map (network_id, service, provider) VALUES (6, 'Firewall', 'JuniperSRX')")
    with pytest.raises(StepFails, match="network 6"):
        network.add_egress_fw_rules_for_srx_guest_nw(conn, mariadb.name)


def test_calls_follow_the_java_order_and_leave_out_only_missing() -> None:
    java = (Path(__file__).resolve().parents[2] / "docs" / "acs-java-steps.md").read_text(encoding="utf-8")
    row = next(line for line in java.splitlines() if line.startswith("| 4.2.0 |"))
    calls = [c.strip() for c in row.split("|")[3].split(",")]
    missing = getattr(upgrade_410to420, "MISSING", ())
    assert [name for name, _ in upgrade_410to420.CALLS] == [c for c in calls if c not in missing]
    assert len(calls) == len(upgrade_410to420.CALLS) + len(missing)


@pytest.mark.skipif(shutil.which("java") is None, reason="no JVM to compare with")
def test_hashmap_orders_match_a_real_jvm(tmp_path: Path) -> None:
    # 9 keys in one bin of a 16 table, then of a 32 table: HashMap grows instead of making a tree
    longs = [16, 32, 48, 64, 80, 96, 112, 128, 144, 5, 21, 37, 1, 3, 176, 208, 240, 272, 70000, 2**33 + 5, 2**40]
    names = [
        "accesskey",
        "secretkey",
        "bucket",
        "endpoint",
        "usehttps",
        "connectiontimeout",
        "maxerrorretry",
        "sockettimeout",
        "dcA@vc1",
        "dcB@vc1",
        "account",
        "username",
        "key",
    ]
    long_keys = ", ".join(f"{k}L" for k in longs)
    string_keys = ", ".join(f'"{n}"' for n in names)
    source = tmp_path / "Order.java"
    source.write_text(
        "import java.util.*; public class Order { public static void main(String[] a) { "
        "Map<Long, Integer> m = new HashMap<>(); "
        "for (long k : new long[]{" + long_keys + "}) { m.put(k, 0); System.out.println(m.keySet()); } "
        "Map<String, Integer> s = new HashMap<>(); "
        "for (String k : new String[]{" + string_keys + "}) { s.put(k, 0); System.out.println(s.keySet()); } } }",
        encoding="utf-8",
    )
    done = subprocess.run(["java", str(source)], capture_output=True, text=True, check=True, timeout=120)
    lines = [line.strip("[]").split(", ") for line in done.stdout.splitlines()]
    for n in range(1, len(longs) + 1):
        assert [int(k) for k in lines[n - 1]] == hashmap_order(longs[:n], long_hash)
    for n in range(1, len(names) + 1):
        assert lines[len(longs) + n - 1] == hashmap_order(names[:n], string_hash)


PROVIDER_FLAGS = (
    "vpn",
    "dhcp",
    "dns",
    "gateway",
    "firewall",
    "source_nat",
    "load_balance",
    "static_nat",
    "port_forwarding",
    "user_data",
    "security_group",
)
DEVICE = (
    "physical_network_id bigint unsigned, host_id bigint unsigned, provider_name varchar(255), device_name "
    "varchar(255), capacity bigint, is_dedicated int, device_state varchar(32), allocation_state varchar(32), "
    "uuid varchar(255)"
)
NETWORK_TABLES = {
    "data_center": "networktype varchar(255), lb_provider varchar(64), firewall_provider varchar(64), "
    "gateway_provider varchar(64)",
    "physical_network": "data_center_id bigint unsigned, removed datetime",
    "physical_network_service_providers": "uuid varchar(40), physical_network_id bigint unsigned, provider_name "
    "varchar(255), state varchar(32), destination_physical_network_id bigint, "
    + ", ".join(f"{f}_service_provided tinyint(1) DEFAULT 0" for f in PROVIDER_FLAGS),
    "host": "data_center_id bigint unsigned, type varchar(32), removed datetime",
    "external_load_balancer_devices": DEVICE + ", is_managed int",
    "external_firewall_devices": DEVICE,
    "network_offerings": "unique_name varchar(64)",
    "networks": "guest_type varchar(32), data_center_id bigint unsigned, network_offering_id bigint unsigned, "
    "removed datetime",
    "network_external_lb_device_map": "uuid varchar(255), network_id bigint unsigned, "
    "external_load_balancer_device_id bigint unsigned, created datetime",
    "network_external_firewall_device_map": "uuid varchar(255), network_id bigint unsigned, "
    "external_firewall_device_id bigint unsigned, created datetime",
    "host_details": "host_id bigint unsigned, name varchar(255), value varchar(255)",
    "virtual_router_providers": "nsp_id bigint unsigned, uuid varchar(40), type varchar(255), enabled int",
}


def _provided(conn: Any, name: str) -> set[str]:
    """The services a provider row says it offers."""
    columns = ", ".join(f"{f}_service_provided" for f in PROVIDER_FLAGS)
    found = _sql(conn, f"SELECT {columns} FROM physical_network_service_providers WHERE provider_name = %s", name)
    return {f for f, on in zip(PROVIDER_FLAGS, found[0], strict=True) if on}


def test_pre_3_0_f5_and_srx_become_providers_devices_and_network_maps(mariadb: Any) -> None:
    conn = mariadb.connect()
    _create(conn, NETWORK_TABLES)
    _sql(
        conn,
        "INSERT INTO data_center VALUES (1, 'Advanced', 'F5BigIp', 'JuniperSRX', 'JuniperSRX'), "
        "(2, 'Basic', NULL, NULL, NULL)",
    )
    _sql(conn, "INSERT INTO physical_network VALUES (1, 1, NULL), (2, 2, NULL)")
    _sql(
        conn,
        "INSERT INTO host VALUES (5, 1, 'ExternalLoadBalancer', NULL), (6, 1, 'ExternalFirewall', NULL), "
        "(7, 1, 'Routing', NULL), (8, 2, 'ExternalLoadBalancer', NULL)",
    )
    _sql(conn, "INSERT INTO network_offerings VALUES (9, 'Isolated with external providers'), (10, 'Other')")
    _sql(
        conn,
        "INSERT INTO networks VALUES (20, 'Virtual', 1, 9, NULL), (21, 'Virtual', 1, 10, NULL), "
        "(22, 'Virtual', 1, 9, NOW())",
    )
    _sql(
        conn,
        "INSERT INTO host_details (host_id, name, value) VALUES (5, 'numRetries', '2'), "
        "(5, 'publicInterface', 'eth1'), (6, 'usageInterface', 'eth2'), (6, 'someOther', 'x')",
    )
    network.correct_external_network_devices_setup(conn, mariadb.name)
    assert _sql(
        conn, "SELECT physical_network_id, provider_name, state FROM physical_network_service_providers ORDER BY id"
    ) == ((1, "F5BigIp", "Enabled"), (1, "JuniperSRX", "Enabled"))
    assert _provided(conn, "F5BigIp") == {"load_balance"}
    assert _provided(conn, "JuniperSRX") == {"gateway", "firewall", "source_nat", "static_nat", "port_forwarding"}
    f5 = _sql(
        conn,
        "SELECT id, physical_network_id, host_id, provider_name, device_name, capacity, is_dedicated, "
        "device_state, allocation_state, is_managed FROM external_load_balancer_devices",
    )
    srx = _sql(
        conn,
        "SELECT id, physical_network_id, host_id, provider_name, device_name, capacity, is_dedicated, "
        "device_state, allocation_state FROM external_firewall_devices",
    )
    assert [d[1:] for d in f5] == [(1, 5, "F5BigIp", "F5BigIpLoadBalancer", 0, 0, "Enabled", "Shared", 0)]
    assert [d[1:] for d in srx] == [(1, 6, "JuniperSRX", "JuniperSRXFirewall", 0, 0, "Enabled", "Shared")]
    assert _sql(conn, "SELECT network_id, external_load_balancer_device_id FROM network_external_lb_device_map") == (
        (20, f5[0][0]),
    )
    assert _sql(conn, "SELECT network_id, external_firewall_device_id FROM network_external_firewall_device_map") == (
        (20, srx[0][0]),
    )
    assert {r[0] for r in _sql(conn, "SELECT name FROM host_details")} == {
        "numretries",
        "publicinterface",
        "usageinterface",
        "someOther",
    }
    _sql(conn, "INSERT INTO data_center VALUES (3, 'Advanced', 'F5BigIp', NULL, NULL)")  # no F5 host there
    with pytest.raises(StepFails, match="no F5 load balancer device found in data center 3"):
        network.correct_external_network_devices_setup(conn, mariadb.name)


def test_vpcs_and_physical_networks_get_the_internal_lb_provider(mariadb: Any) -> None:
    conn = mariadb.connect()
    _create(
        conn,
        {
            key: NETWORK_TABLES[key]
            for key in ("physical_network", "physical_network_service_providers", "virtual_router_providers")
        },
    )
    _create(
        conn,
        {
            "vpc_offerings": "name varchar(255)",
            "vpc_offering_service_map": "vpc_offering_id bigint unsigned NOT NULL, service varchar(255) NOT NULL, "
            "provider varchar(255), created datetime, UNIQUE KEY (vpc_offering_id, service, "
            "provider)",
            "vpc": "vpc_offering_id bigint unsigned, removed datetime",
            "vpc_service_map": "vpc_id bigint unsigned NOT NULL, service varchar(255) NOT NULL, provider varchar(255), "
            "created datetime, UNIQUE KEY (vpc_id, service, provider)",
        },
    )
    _sql(conn, "INSERT INTO vpc_offerings VALUES (1, 'default'), (2, 'no lb')")
    _sql(
        conn,
        "INSERT INTO vpc_offering_service_map (vpc_offering_id, service, provider) VALUES "
        "(1, 'Lb', 'VpcVirtualRouter'), (1, 'Dhcp', 'VpcVirtualRouter'), (2, 'Dhcp', 'VpcVirtualRouter')",
    )
    _sql(conn, "INSERT INTO vpc VALUES (5, 1, NULL), (6, 1, NOW()), (7, 2, NULL)")
    _sql(conn, "INSERT INTO physical_network VALUES (1, 1, NULL), (2, 1, NULL), (3, 1, NOW())")
    network.upgrade_default_vpc_offering(conn, mariadb.name)
    network.upgrade_vpc_service_map(conn, mariadb.name)
    network.upgrade_physical_ntwks_with_internal_lb_provider(conn, mariadb.name)
    assert set(_sql(conn, "SELECT vpc_offering_id, service, provider FROM vpc_offering_service_map")) == {
        (1, "Lb", "VpcVirtualRouter"),
        (1, "Lb", "InternalLbVm"),
        (1, "Dhcp", "VpcVirtualRouter"),
        (2, "Dhcp", "VpcVirtualRouter"),
    }
    assert set(_sql(conn, "SELECT vpc_id, service, provider FROM vpc_service_map")) == {
        (5, "Lb", "VpcVirtualRouter"),
        (5, "Lb", "InternalLbVm"),
        (5, "Dhcp", "VpcVirtualRouter"),
        (7, "Dhcp", "VpcVirtualRouter"),
    }
    providers = _sql(
        conn,
        "SELECT id, physical_network_id, state, load_balance_service_provided, "
        "destination_physical_network_id FROM physical_network_service_providers "
        "WHERE provider_name = 'InternalLbVm' ORDER BY id",
    )
    assert [p[1:] for p in providers] == [(1, "Enabled", 1, 0), (2, "Enabled", 1, 0)]
    assert _sql(conn, "SELECT nsp_id, type, enabled FROM virtual_router_providers ORDER BY id") == tuple(
        (p[0], "InternalLbVm", 1) for p in providers
    )
    with pytest.raises(pymysql.err.IntegrityError):  # as in the Java, a second run hits the unique key
        network.upgrade_default_vpc_offering(conn, mariadb.name)
