"""Guest OS work of Upgrade41720to41800 (4.18.0.0) and Upgrade41800to41810 (4.18.1.0) on MariaDB.

The scratch schema holds guest_os, guest_os_category and guest_os_hypervisor as CloudStack's 4.18
schema has them (setup/db/create-schema.sql plus the 4.3-4.18 ALTERs), with CloudStack's 11
categories; each test seeds the rows it needs and reads back what an operator would look at.
"""

from __future__ import annotations

from typing import Any

import pytest

from flywayx.db.fingerprint import fingerprint
from flywayx.model.fingerprint import diff
from java_equiv import upgrade_41720to41800, upgrade_41800to41810

DDL = (
    "CREATE TABLE guest_os_category (id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, "
    "name varchar(255) NOT NULL, uuid varchar(40) UNIQUE) DEFAULT CHARSET=utf8mb3",
    "CREATE TABLE guest_os (id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, "
    "category_id bigint unsigned NOT NULL, name varchar(255), uuid varchar(40) UNIQUE, "
    "display_name varchar(255) NOT NULL, created datetime, removed datetime, "
    "is_user_defined int(1) unsigned DEFAULT 0, display tinyint(1) DEFAULT 1, "
    "CONSTRAINT fk_guest_os__category_id FOREIGN KEY (category_id) REFERENCES guest_os_category (id) "
    "ON DELETE CASCADE) DEFAULT CHARSET=utf8mb3",
    "CREATE TABLE guest_os_hypervisor (id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, "
    "hypervisor_type varchar(32) NOT NULL, guest_os_name varchar(255) NOT NULL, guest_os_id bigint unsigned NOT NULL, "
    "hypervisor_version varchar(32) NOT NULL DEFAULT 'default', uuid varchar(40) UNIQUE, created datetime, "
    "removed datetime, is_user_defined int(1) unsigned DEFAULT 0, "
    "FOREIGN KEY (guest_os_id) REFERENCES guest_os (id)) DEFAULT CHARSET=utf8mb3",
)
CATEGORIES = ("CentOS", "Debian", "Oracle", "RedHat", "SUSE", "Windows", "Other", "Novel", "Unix", "Ubuntu", "None")


def _sql(conn: Any, sql: str, *args: object) -> Any:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def _schema(mariadb: Any) -> Any:
    conn = mariadb.connect()
    for ddl in DDL:
        _sql(conn, ddl)
    for i, name in enumerate(CATEGORIES, 1):
        _sql(conn, "INSERT INTO guest_os_category (id, name, uuid) VALUES (%s, %s, UUID())", i, name)
    return conn


def _os(
    conn: Any,
    category: int,
    name: str,
    *,
    user_defined: int = 0,
    removed: bool = False,
    created: str = "2023-01-01 00:00:00",
) -> int:
    _sql(
        conn,
        "INSERT INTO guest_os (uuid, category_id, display_name, created, removed, is_user_defined) "
        "VALUES (UUID(), %s, %s, %s, IF(%s, NOW(), NULL), %s)",
        category,
        name,
        created,
        removed,
        user_defined,
    )
    return int(_sql(conn, "SELECT LAST_INSERT_ID()")[0][0])


def _map(
    conn: Any,
    guest_os_id: int,
    hypervisor: str,
    version: str,
    name: str,
    *,
    user_defined: int = 0,
    removed: bool = False,
) -> int:
    _sql(
        conn,
        "INSERT INTO guest_os_hypervisor (uuid, hypervisor_type, hypervisor_version, guest_os_name, "
        "guest_os_id, created, removed, is_user_defined) VALUES (UUID(), %s, %s, %s, %s, "
        "'2023-01-01 00:00:00', IF(%s, NOW(), NULL), %s)",
        hypervisor,
        version,
        name,
        guest_os_id,
        removed,
        user_defined,
    )
    return int(_sql(conn, "SELECT LAST_INSERT_ID()")[0][0])


def _names(conn: Any, *ids: int) -> list[str]:
    return [_sql(conn, "SELECT display_name FROM guest_os WHERE id = %s", i)[0][0] for i in ids]


def _mappings(conn: Any, guest_os_id: int) -> list[tuple[str, str, str]]:
    """(hypervisor, version, name) of the not-removed mappings of a guest OS, in insertion order."""
    return [
        tuple(r)
        for r in _sql(
            conn,
            "SELECT hypervisor_type, hypervisor_version, guest_os_name "
            "FROM guest_os_hypervisor WHERE guest_os_id = %s AND removed IS NULL "
            "ORDER BY id",
            guest_os_id,
        )
    ]


def _os_ids(conn: Any, category: int, name: str) -> list[int]:
    return [
        r[0]
        for r in _sql(
            conn, "SELECT id FROM guest_os WHERE category_id = %s AND display_name = %s ORDER BY id", category, name
        )
    ]


# ------------------------------------------------------------------------------------------ 4.18.0.0


def test_41800_correct_guest_os_names(mariadb: Any) -> None:
    conn = _schema(mariadb)
    old = _os(conn, 7, "Fedora Linux", created="2020-01-01 00:00:00")
    newest = _os(conn, 7, "Fedora Linux", created="2022-01-01 00:00:00")  # the lookup takes the newest
    mine = _os(conn, 7, "Mandriva Linux", user_defined=1)  # an admin's guest OS is never matched
    gone = _os(conn, 7, "Mandriva Linux", removed=True)
    other_category = _os(conn, 9, "Mandriva Linux")
    suse = _os(conn, 7, "openSUSE")
    _map(conn, suse, "VMware", "6.7.3", "opensuseGuest")
    upgrade_41720to41800.correct_guest_os_names(conn, cloud=mariadb.name)
    assert _names(conn, old, newest, mine, gone, other_category, suse) == [
        "Fedora Linux",
        "Fedora Linux (32 bit)",
        "Mandriva Linux",
        "Mandriva Linux",
        "Mandriva Linux",
        "OpenSUSE Linux (32 bit)",
    ]


def test_41800_update_guest_os_mappings_adds_guest_oses_then_mappings_again_on_a_rerun(mariadb: Any) -> None:
    conn = _schema(mariadb)
    centos8 = _os(conn, 1, "CentOS 8")
    focal = _os(conn, 10, "Ubuntu 20.04 LTS")
    admins = _os(conn, 3, "Oracle Linux 9", user_defined=1)
    upgrade_41720to41800.update_guest_os_mappings(conn, cloud=mariadb.name)

    # a guest OS of addGuestOsAndHypervisorMappings is created, system defined, displayed, with its mappings
    (linux3,) = _os_ids(conn, 2, "Linux 3.x Kernel (64 bit)")
    row = _sql(
        conn,
        "SELECT is_user_defined, display, removed, CHAR_LENGTH(uuid), created IS NOT NULL FROM guest_os WHERE id = %s",
        linux3,
    )
    assert row == ((0, 1, None, 36, 1),)
    assert [v for _, v, _ in _mappings(conn, linux3)] == [
        "6.0",
        "6.5",
        "6.7",
        "6.7.1",
        "6.7.2",
        "6.7.3",
        "7.0",
        "7.0.1.0",
        "7.0.2.0",
        "7.0.3.0",
    ]
    assert {(h, n) for h, _, n in _mappings(conn, linux3)} == {("VMware", "other3xLinux64Guest")}
    (ovf,) = _os_ids(conn, 11, "OVF Configured OS")
    assert _mappings(conn, ovf) == []
    # existing guest OSes keep their id and get the mappings (the Java's "Xenserver" spelling kept)
    assert _mappings(conn, centos8) == [("Xenserver", "8.1.0", "CentOS 8")]
    assert _mappings(conn, focal) == [("Xenserver", "8.2.0", "Ubuntu Focal Fossa 20.04")]
    # addGuestOsHypervisorMapping adds nothing when its guest OS is missing
    assert _os_ids(conn, 6, "Windows Server 2019 (64-bit)") == []
    assert _sql(conn, "SELECT COUNT(*) FROM guest_os_hypervisor WHERE guest_os_name LIKE 'windows2019srv%%'")[0][0] == 0
    # an admin's guest OS of the same name is not reused: a system one is added beside it
    assert _os_ids(conn, 3, "Oracle Linux 9")[0] == admins and len(_os_ids(conn, 3, "Oracle Linux 9")) == 2
    assert _mappings(conn, admins) == []

    guest_oses = _sql(conn, "SELECT COUNT(*) FROM guest_os")[0][0]
    upgrade_41720to41800.update_guest_os_mappings(conn, cloud=mariadb.name)
    assert _sql(conn, "SELECT COUNT(*) FROM guest_os")[0][0] == guest_oses  # no guest OS twice
    assert len(_mappings(conn, linux3)) == 20  # like the Java, every mapping again
    assert _mappings(conn, centos8) == [("Xenserver", "8.1.0", "CentOS 8")] * 2


def test_41800_correct_guest_os_ids_moves_only_system_mappings(mariadb: Any) -> None:
    conn = _schema(mariadb)
    wrong = _os(conn, 10, "Ubuntu 20.04")
    right = _os(conn, 10, "Ubuntu 20.04 LTS")
    system = _map(conn, wrong, "XenServer", "8.2.0", "Ubuntu Focal Fossa 20.04")
    admins = _map(conn, wrong, "XenServer", "8.2.0", "Ubuntu Focal Fossa 20.04", user_defined=1)
    other = _map(conn, wrong, "XenServer", "8.2.1", "Ubuntu Focal Fossa 20.04")
    for _ in range(2):
        upgrade_41720to41800.correct_guest_os_ids_in_hypervisor_mapping(conn, cloud=mariadb.name)
        got = dict(_sql(conn, "SELECT id, guest_os_id FROM guest_os_hypervisor"))
        assert got == {system: right, admins: wrong, other: wrong}


def test_41800_migrate_runs_the_six_calls_in_the_javas_order(mariadb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    conn = _schema(mariadb)
    fedora = _os(conn, 7, "Fedora Linux")
    calls: list[tuple[str, dict[str, str], int]] = []

    def record(name: str) -> Any:
        def call(c: Any, **schemas: str) -> None:
            renamed = _sql(
                c, f"SELECT COUNT(*) FROM `{mariadb.name}`.guest_os WHERE display_name = 'Fedora Linux (32 bit)'"
            )
            calls.append((name, schemas, renamed[0][0]))

        return call

    for name in (
        "convert_quota_tariffs_to_new_paradigm",
        "convert_vm_resources_quota_types_to_running_vm_quota_type",
        "update_configuration_groups",
    ):
        monkeypatch.setattr(upgrade_41720to41800, name, record(name))
    upgrade_41720to41800.migrate(conn, cloud=mariadb.name, cloud_usage="usage_x")
    both = {"cloud": mariadb.name, "cloud_usage": "usage_x"}
    assert calls == [
        ("convert_quota_tariffs_to_new_paradigm", both, 0),
        ("convert_vm_resources_quota_types_to_running_vm_quota_type", both, 0),
        ("update_configuration_groups", {"cloud": mariadb.name}, 1),
    ]  # after the guest OS work
    assert _names(conn, fedora) == ["Fedora Linux (32 bit)"]
    assert upgrade_41720to41800.SCHEMA_EFFECTS == ()
    assert not hasattr(upgrade_41720to41800, "MISSING")


# ------------------------------------------------------------------------------------------ 4.18.1.0


def _nines(conn: Any) -> dict[str, int]:
    """The category-1 EL9 guest OSes as 4.18.0.0 leaves them, with the VMware 8.0 copies of 7.0.3.0."""
    ids = {}
    for name in ("AlmaLinux 9", "Oracle Linux 9", "Rocky Linux 9"):
        ids[name] = _os(conn, 1, name)
        for version in ("7.0.3.0", "8.0", "8.0.0.1"):
            _map(conn, ids[name], "VMware", version, "otherLinux64Guest")
    ids["rhel9"] = _os(conn, 1, "Red Hat Enterprise Linux 9")
    for version in ("7.0", "7.0.1.0", "7.0.2.0", "7.0.3.0", "8.0"):  # no 8.0.0.1: its parent 8.0 is used
        _map(conn, ids["rhel9"], "VMware", version, "rhel9_64Guest,")
    return ids


def test_41810_update_guest_os_mappings(mariadb: Any) -> None:
    conn = _schema(mariadb)
    focal = _os(conn, 10, "Ubuntu 20.04 LTS")
    ids = _nines(conn)
    upgrade_41800to41810.update_guest_os_mappings(conn, cloud=mariadb.name)

    assert _mappings(conn, ids["AlmaLinux 9"]) == [
        ("VMware", "7.0.3.0", "otherLinux64Guest"),
        ("VMware", "8.0", "almalinux_64Guest"),
        ("VMware", "8.0.0.1", "almalinux_64Guest"),
    ]
    assert [n for _, _, n in _mappings(conn, ids["Rocky Linux 9"])][1:] == ["rockylinux_64Guest"] * 2
    assert [n for _, _, n in _mappings(conn, ids["rhel9"])] == ["rhel9_64Guest"] * 5
    assert _mappings(conn, focal) == [("VMware", v, "ubuntu64Guest") for v in upgrade_41800to41810.UBUNTU_VMWARE]
    (jammy,) = _os_ids(conn, 10, "Ubuntu 22.04 LTS")
    assert _mappings(conn, jammy)[0] == ("KVM", "default", "Ubuntu 22.04 LTS")
    assert {v for h, v, n in _mappings(conn, jammy) if h == "VMware" and n == "ubuntu64Guest"} == {
        "6.5",
        "6.7",
        "6.7.1",
        "6.7.2",
        "6.7.3",
        "7.0",
        "7.0.1.0",
        "7.0.2.0",
        "7.0.3.0",
        "8.0",
    }
    (win11,) = _os_ids(conn, 6, "Windows 11 (64-bit)")
    assert _mappings(conn, win11) == [("VMware", "8.0", "windows11_64Guest")]


def test_41810_fails_where_the_java_fails(mariadb: Any) -> None:
    conn = _schema(mariadb)
    ids = _nines(conn)
    _sql(
        conn,
        "UPDATE guest_os_hypervisor SET removed = NOW() WHERE guest_os_id = %s AND hypervisor_version = '8.0'",
        ids["Oracle Linux 9"],
    )
    with pytest.raises(LookupError, match=r"no VMware 8\.0 mapping"):
        upgrade_41800to41810.update_guest_os_mappings(conn, cloud=mariadb.name)
    with pytest.raises(LookupError, match=r"Red Hat Enterprise Linux 9\.0"):
        upgrade_41800to41810.merge_duplicate_guest_oses(conn, cloud=mariadb.name)


def _state(conn: Any) -> tuple[Any, Any]:
    return (
        _sql(conn, "SELECT id, display, removed FROM guest_os ORDER BY id"),
        _sql(
            conn,
            "SELECT guest_os_id, hypervisor_type, hypervisor_version, guest_os_name, is_user_defined "
            "FROM guest_os_hypervisor ORDER BY id",
        ),
    )


def test_41810_merge_duplicates_keeps_the_newest_system_guest_os(mariadb: Any) -> None:
    conn = _schema(mariadb)
    ol9_centos = _os(conn, 1, "Oracle Linux 9")
    ol9_oracle = _os(conn, 3, "Oracle Linux 9")
    _map(conn, ol9_centos, "KVM", "default", "Oracle Linux 9")
    _map(conn, ol9_centos, "VMware", "7.0", "otherLinux64Guest")  # the survivor has 7.0: not copied
    _map(conn, ol9_centos, "VMware", "8.0.0.1", "otherLinux64Guest")  # the survivor's 8.0 is its parent: not copied
    _map(conn, ol9_centos, "Xenserver", "8.2.0", "Oracle Linux 9")  # copied, type as HypervisorType spells it
    _map(conn, ol9_centos, "KVM", "9.9", "gone", removed=True)  # removed: not copied
    _map(conn, ol9_oracle, "VMware", "7.0", "oracleLinux9_64Guest")
    _map(conn, ol9_oracle, "VMware", "8.0", "oracleLinux9_64Guest")
    sco_system = _os(conn, 9, "SCO OpenServer 5")
    sco_admins = _os(conn, 7, "SCO OpenServer 5", user_defined=1)  # higher id, but user defined
    _map(conn, sco_admins, "VMware", "7.0", "openServer5Guest", user_defined=1)
    single = _os(conn, 2, "Debian GNU/Linux 12 (64-bit)")
    _os(conn, 2, "Debian GNU/Linux 12 (64-bit)", removed=True)  # removed rows are no duplicates
    rhel9 = _os(conn, 1, "Red Hat Enterprise Linux 9")
    _map(conn, rhel9, "KVM", "default", "Red Hat Enterprise Linux 9")
    rhel90 = _os(conn, 4, "Red Hat Enterprise Linux 9.0")
    template = _sql(conn, "SELECT COUNT(*) FROM guest_os WHERE id = %s", ol9_centos)

    upgrade_41800to41810.merge_duplicate_guest_oses(conn, cloud=mariadb.name)
    hidden = [r[0] for r in _sql(conn, "SELECT id FROM guest_os WHERE display = 0 ORDER BY id")]
    assert hidden == [ol9_centos, sco_admins, rhel9]
    assert _sql(conn, "SELECT COUNT(*) FROM guest_os WHERE removed IS NOT NULL")[0][0] == 1  # nothing removed
    assert _sql(conn, "SELECT COUNT(*) FROM guest_os WHERE id = %s", ol9_centos) == template  # still referenceable
    assert _mappings(conn, ol9_oracle) == [
        ("VMware", "7.0", "oracleLinux9_64Guest"),
        ("VMware", "8.0", "oracleLinux9_64Guest"),
        ("KVM", "default", "Oracle Linux 9"),
        ("XenServer", "8.2.0", "Oracle Linux 9"),
    ]
    assert _mappings(conn, sco_system) == [("VMware", "7.0", "openServer5Guest")]
    assert _sql(conn, "SELECT is_user_defined FROM guest_os_hypervisor WHERE guest_os_id = %s", sco_system) == ((0,),)
    assert _mappings(conn, rhel90) == [("KVM", "default", "Red Hat Enterprise Linux 9")]
    assert single not in hidden
    assert len(_mappings(conn, ol9_centos)) == 4  # the hidden guest OS keeps its own mappings

    before = _state(conn)
    upgrade_41800to41810.merge_duplicate_guest_oses(conn, cloud=mariadb.name)
    assert _state(conn) == before


def test_41810_migrate_schema_effects_and_guest_os_work(mariadb: Any) -> None:
    """The whole step on a scratch schema shaped as 4.18.1.0's prepare script leaves it: the drift it
    causes is exactly SCHEMA_EFFECTS (with the scratch schema's name), and a second run changes no schema."""
    conn = _schema(mariadb)
    for ref in ("user_data", "passphrase"):
        _sql(conn, f"CREATE TABLE {ref} (id bigint unsigned PRIMARY KEY)")
    for table, column in (
        ("user_vm", "user_data_id"),
        ("vm_template", "user_data_id"),
        ("volumes", "passphrase_id"),
        ("autoscale_vmprofiles", "user_data_id"),
    ):
        _sql(conn, f"CREATE TABLE {table} (id bigint unsigned PRIMARY KEY, {column} bigint unsigned)")
    _sql(conn, "CREATE TABLE cluster_details (id bigint unsigned PRIMARY KEY, name varchar(255))")
    ids = _nines(conn)
    _os(conn, 4, "Red Hat Enterprise Linux 9.0")
    _map(conn, ids["AlmaLinux 9"], "KVM", "default", "AlmaLinux 9")

    before = fingerprint(conn, "mariadb", [mariadb.name])
    upgrade_41800to41810.migrate(conn, cloud=mariadb.name)
    after = fingerprint(conn, "mariadb", [mariadb.name])
    drift = {d.path: d.kind for d in diff(before, after)}
    effects = upgrade_41800to41810.SCHEMA_EFFECTS
    expected = {p.replace("table cloud.", f"table {mariadb.name}."): "added" for p in effects}
    assert drift == expected
    assert not hasattr(upgrade_41800to41810, "MISSING")
    # VMware 8.0 mappings, renamed first, then copied to 8.0.1
    assert ("VMware", "8.0.1", "almalinux_64Guest") in _mappings(conn, ids["AlmaLinux 9"])
    assert _sql(conn, "SELECT display FROM guest_os WHERE id = %s", ids["rhel9"]) == ((0,),)

    mappings = _sql(conn, "SELECT COUNT(*) FROM guest_os_hypervisor")[0][0]
    upgrade_41800to41810.migrate(conn, cloud=mariadb.name)
    assert diff(after, fingerprint(conn, "mariadb", [mariadb.name])) == []
    assert _sql(conn, "SELECT COUNT(*) FROM guest_os_hypervisor")[0][0] > mappings  # like the Java: mappings again
