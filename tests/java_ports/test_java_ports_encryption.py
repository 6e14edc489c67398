"""The DBEncryptionUtil calls of six ports on a scratch MariaDB, for a management server that
encrypts (``file`` type with a key file), one that does not (``none``) and no configuration at
all (then every key-bound call is skipped: whether values are encrypted is unknown). Encrypted
values are checked by decrypting them on a real JVM, and the values the decrypting ports read were
encrypted on it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from java_equiv import (
    _dbencryption,
    upgrade_410to420,
    upgrade_421to430,
    upgrade_442to450,
    upgrade_450to451,
    upgrade_41100to41110,
    upgrade_41810to41900,
)
from java_equiv._java import StepFails
from tests.fixtures.jvm_crypt.jvm import Jvm, write_server_conf
from tests.java_ports.conftest import DB_SECRET, MGMT_KEY


def _sql(conn: Any, sql: str, *args: object) -> Any:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def _configure(kind: str, where: Path, monkeypatch: pytest.MonkeyPatch, jvm: Jvm) -> Iterator[str]:
    monkeypatch.setenv("CLOUDSTACK_CONF_DIR", str(where))
    if kind == "file":
        secret = jvm.encrypt(MGMT_KEY, "v2", [DB_SECRET])[0]
        write_server_conf(
            where, {"db.cloud.encryption.type": "file", "db.cloud.encrypt.secret": f"ENC({secret})"}, key=MGMT_KEY
        )
    elif kind == "none":
        write_server_conf(where, {"db.cloud.encryption.type": "none", "db.cloud.encrypt.secret": "unused"})
    _dbencryption.reset()
    yield kind
    _dbencryption.reset()


@pytest.fixture(params=["file", "none"])
def server(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jvm: Jvm) -> Iterator[str]:
    """The management server's configuration directory; yields its encryption type."""
    yield from _configure(str(request.param), tmp_path / "management", monkeypatch, jvm)


@pytest.fixture
def encrypting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jvm: Jvm) -> Iterator[str]:
    """A server that encrypts: type ``file``, its key file, db.cloud.encrypt.secret as ENC(...)."""
    yield from _configure("file", tmp_path / "management", monkeypatch, jvm)


def _plain(jvm: Jvm, server: str, stored: list[str | None], times: int = 1) -> list[str | None]:
    """What CloudStack reads back from ``stored`` (decrypted ``times`` times when the server encrypts;
    DBEncryptionUtil hands NULL and empty values back as they are)."""
    if server != "file":
        return stored
    out = list(stored)
    for _ in range(times):
        decrypted = iter(jvm.decrypt(DB_SECRET, [v for v in out if v]))
        out = [_text(next(decrypted)) if v else v for v in out]
    return out


def _text(found: tuple[str, str] | None) -> str:
    assert found is not None, "the JVM cannot decrypt the stored value"
    return found[1]


def _column(conn: Any, sql: str) -> list[Any]:
    return [r[0] for r in _sql(conn, sql)]


def test_410to420_encrypts_site2site_psks_between_router_keys_and_iso_ids(mariadb: Any, server: str, jvm: Jvm) -> None:
    names = [name for name, _ in upgrade_410to420.CALLS]
    assert names[names.index("fixRouterKeys") + 1 :][:2] == [
        "encryptSite2SitePSK",
        "migrateDatafromIsoIdInVolumesTable",
    ]
    conn = mariadb.connect()
    _sql(conn, "CREATE TABLE s2s_customer_gateway (id bigint PRIMARY KEY, ipsec_psk varchar(256))")
    _sql(conn, "INSERT INTO s2s_customer_gateway VALUES (1, 'psk-one'), (2, NULL), (3, ''), (4, 'psk-four')")
    upgrade_410to420.encrypt_site2site_psk(conn, mariadb.name)
    stored = _column(conn, "SELECT ipsec_psk FROM s2s_customer_gateway ORDER BY id")
    assert stored[1:3] == [None, ""]
    assert (stored[0] != "psk-one") == (server == "file")
    assert _plain(jvm, server, stored) == ["psk-one", None, "", "psk-four"]
    upgrade_410to420.encrypt_site2site_psk(conn, mariadb.name)  # the Java encrypts again
    again = _column(conn, "SELECT ipsec_psk FROM s2s_customer_gateway ORDER BY id")
    assert _plain(jvm, server, again, times=2) == ["psk-one", None, "", "psk-four"]


def test_421to430_encrypts_image_store_keys_then_sizes_the_ssvm(mariadb: Any, server: str, jvm: Jvm) -> None:
    conn = mariadb.connect()
    _sql(
        conn,
        "CREATE TABLE image_store_details (id bigint PRIMARY KEY, store_id bigint, name varchar(255), "
        "value varchar(255))",
    )
    _sql(conn, "CREATE TABLE service_offering (id bigint PRIMARY KEY, vm_type varchar(32), ram_size int)")
    _sql(
        conn,
        "INSERT INTO image_store_details VALUES (1, 1, 'key', 'AKIA123'), (2, 1, 'secretkey', 's3cr3t/+='), "
        "(3, 1, 'bucket', 'templates'), (4, 2, 'key', NULL)",
    )
    _sql(conn, "INSERT INTO service_offering VALUES (4, 'secondarystoragevm', 256)")
    upgrade_421to430.migrate(conn, cloud=mariadb.name)
    stored = _column(conn, "SELECT value FROM image_store_details ORDER BY id")
    assert stored[2:] == ["templates", None]
    assert _plain(jvm, server, stored[:2]) == ["AKIA123", "s3cr3t/+="]
    assert _sql(conn, "SELECT ram_size FROM service_offering") == ((512,),)


def test_442to450_writes_router_ram_size_256_as_the_server_stores_it(mariadb: Any, server: str, jvm: Jvm) -> None:
    conn = mariadb.connect()
    _sql(conn, "CREATE TABLE configuration (category varchar(255), name varchar(255) PRIMARY KEY, value varchar(4095))")
    _sql(conn, "CREATE TABLE storage_pool (id bigint PRIMARY KEY)")
    _sql(conn, "CREATE TABLE async_job_join_map (id bigint PRIMARY KEY)")
    _sql(conn, "CREATE TABLE service_offering (id bigint PRIMARY KEY, vm_type varchar(32), ram_size int)")
    _sql(conn, "INSERT INTO configuration VALUES ('Hidden', 'router.ram.size', '128'), ('Hidden', 'other.hidden', 'x')")
    for _ in range(2):  # a re-run writes 256 again
        upgrade_442to450.migrate(conn, cloud=mariadb.name)
        values = dict(_sql(conn, "SELECT name, value FROM configuration"))
        assert values["other.hidden"] == "x"
        assert _plain(jvm, server, [values["router.ram.size"]]) == ["256"]
        assert (values["router.ram.size"] == "256") == (server != "file")


def test_442to450_leaves_a_router_ram_size_that_is_not_hidden(mariadb: Any, server: str) -> None:
    conn = mariadb.connect()
    _sql(conn, "CREATE TABLE configuration (category varchar(255), name varchar(255) PRIMARY KEY, value varchar(4095))")
    _sql(conn, "INSERT INTO configuration VALUES ('Advanced', 'router.ram.size', '512')")
    upgrade_442to450.update_max_router_size_config(conn, mariadb.name)
    assert _sql(conn, "SELECT value FROM configuration") == (("512",),)


def _450to451_tables(conn: Any) -> None:
    _sql(conn, "CREATE TABLE keystore (id bigint PRIMARY KEY, `key` text)")
    _sql(conn, "CREATE TABLE remote_access_vpn (id bigint PRIMARY KEY, ipsec_psk varchar(256))")
    _sql(
        conn,
        "CREATE TABLE storage_pool (id bigint PRIMARY KEY, cluster_id bigint, scope varchar(255), "
        "pool_type varchar(32), path varchar(255), host_address varchar(255), user_info varchar(255))",
    )
    _sql(conn, "CREATE TABLE cluster (id bigint PRIMARY KEY, hypervisor_type varchar(32))")
    _sql(conn, "CREATE TABLE vm_template (id bigint PRIMARY KEY, hypervisor_type varchar(32))")
    _sql(
        conn,
        "CREATE TABLE vm_template_details (id bigint PRIMARY KEY, template_id bigint, name varchar(255), "
        "value varchar(1024), display tinyint(1))",
    )
    _sql(conn, "CREATE TABLE vm_instance (id bigint PRIMARY KEY, vm_template_id bigint, removed datetime)")
    _sql(
        conn,
        "CREATE TABLE user_vm_details (id bigint AUTO_INCREMENT PRIMARY KEY, vm_id bigint, name varchar(255), "
        "value varchar(1024), display tinyint(1))",
    )


def test_450to451_encrypts_keystore_vpn_psks_and_pool_user_info(mariadb: Any, server: str, jvm: Jvm) -> None:
    conn = mariadb.connect()
    _450to451_tables(conn)
    _sql(conn, "INSERT INTO keystore VALUES (1, '-----BEGIN PRIVATE KEY-----\\nMIIE\\n'), (2, NULL), (3, '')")
    _sql(conn, "INSERT INTO remote_access_vpn VALUES (1, 'vpn-psk'), (2, NULL)")
    _sql(
        conn,
        "INSERT INTO storage_pool (id, scope, pool_type, user_info) VALUES "
        "(1, 'CLUSTER', 'RBD', 'admin:AQBx=='), (2, 'CLUSTER', 'NetworkFilesystem', NULL)",
    )
    upgrade_450to451.migrate(conn, cloud=mariadb.name)
    keys = _column(conn, "SELECT `key` FROM keystore ORDER BY id")
    assert keys[1:] == [None, ""]
    assert _plain(jvm, server, keys[:1]) == ["-----BEGIN PRIVATE KEY-----\nMIIE\n"]
    assert _plain(jvm, server, _column(conn, "SELECT ipsec_psk FROM remote_access_vpn ORDER BY id")) == [
        "vpn-psk",
        None,
    ]
    assert _plain(jvm, server, _column(conn, "SELECT user_info FROM storage_pool ORDER BY id")) == [
        "admin:AQBx==",
        None,
    ]

    upgrade_450to451.migrate(conn, cloud=mariadb.name)  # re-run: the VPN key is decrypted first, the others not
    assert _plain(jvm, server, _column(conn, "SELECT ipsec_psk FROM remote_access_vpn ORDER BY id")) == [
        "vpn-psk",
        None,
    ]
    assert _plain(jvm, server, _column(conn, "SELECT `key` FROM keystore WHERE id = 1"), times=2) == [
        "-----BEGIN PRIVATE KEY-----\nMIIE\n"
    ]
    assert _plain(jvm, server, _column(conn, "SELECT user_info FROM storage_pool WHERE id = 1"), times=2) == [
        "admin:AQBx=="
    ]


def test_450to451_vpn_keys_already_encrypted_stay_encrypted_once(mariadb: Any, encrypting: str, jvm: Jvm) -> None:
    conn = mariadb.connect()
    _450to451_tables(conn)
    v2_psk = jvm.encrypt(DB_SECRET, "v2", ["was-v2"])[0]
    v1_psk = jvm.encrypt(DB_SECRET, "v1", ["was-v1"])[0]
    _sql(conn, "INSERT INTO remote_access_vpn VALUES (1, %s), (2, 'plain'), (3, %s)", v2_psk, v1_psk)
    upgrade_450to451.encrypt_ipsec_preshared_keys_of_remote_access_vpn(conn, mariadb.name)
    stored = _column(conn, "SELECT ipsec_psk FROM remote_access_vpn ORDER BY id")
    # With no encryptor version set, the first value decrypted (v2) fixes the encryptor for the rest
    # of the run, as in CloudStack: the v1 value no longer decrypts and is taken as plain text.
    assert _plain(jvm, encrypting, stored) == ["was-v2", "plain", v1_psk]


def test_41100to41110_decrypts_secure_ldap_settings_into_advanced(mariadb: Any, server: str, jvm: Jvm) -> None:
    conn = mariadb.connect()
    _sql(conn, "CREATE TABLE configuration (category varchar(255), name varchar(255) PRIMARY KEY, value varchar(4095))")
    stored = {"ldap.basedn": "dc=example,dc=org", "ldap.user.object": "inetOrgPerson", "other.secret": "pw"}
    if server == "file":  # what a 4.11.0 server had written
        stored = dict(zip(stored, jvm.encrypt(DB_SECRET, "v1", list(stored.values())), strict=True))
    _sql(
        conn,
        "INSERT INTO configuration VALUES ('Secure', 'ldap.basedn', %s), ('Secure', 'ldap.user.object', %s), "
        "('Secure', 'other.secret', %s), ('Secure', 'ldap.truststore', NULL), "
        "('Advanced', 'ldap.email.attribute', 'mail')",
        *stored.values(),
    )
    for _ in range(2):  # a re-run finds them Advanced and leaves them
        upgrade_41100to41110.migrate(conn, cloud=mariadb.name)
        assert {r[1]: (r[0], r[2]) for r in _sql(conn, "SELECT category, name, value FROM configuration")} == {
            "ldap.basedn": ("Advanced", "dc=example,dc=org"),
            "ldap.user.object": ("Advanced", "inetOrgPerson"),
            "ldap.truststore": ("Advanced", None),
            "ldap.email.attribute": ("Advanced", "mail"),
            "other.secret": ("Secure", stored["other.secret"]),
        }


def test_41100to41110_stops_at_a_value_it_cannot_decrypt(mariadb: Any, encrypting: str, jvm: Jvm) -> None:
    conn = mariadb.connect()
    _sql(conn, "CREATE TABLE configuration (category varchar(255), name varchar(255) PRIMARY KEY, value varchar(4095))")
    basedn = jvm.encrypt(DB_SECRET, "v2", ["dc=example"])[0]
    _sql(
        conn,
        "INSERT INTO configuration VALUES ('Secure', 'ldap.basedn', %s), "
        "('Secure', 'ldap.email.attribute', 'not-encrypted'), ('Secure', 'ldap.user.object', %s)",
        basedn,
        basedn,
    )
    with pytest.raises(StepFails):
        upgrade_41100to41110.migrate(conn, cloud=mariadb.name)
    assert dict(_sql(conn, "SELECT name, category FROM configuration")) == {
        "ldap.basedn": "Advanced",
        "ldap.email.attribute": "Secure",
        "ldap.user.object": "Secure",
    }


def _scoped_tables(conn: Any) -> None:
    _sql(conn, "CREATE TABLE configuration (category varchar(255), name varchar(255) PRIMARY KEY, value varchar(4095))")
    for table in ("account_details", "domain_details"):
        _sql(
            conn,
            f"CREATE TABLE {table} (id bigint PRIMARY KEY, owner_id bigint, name varchar(255), value varchar(1024))",
        )
    _sql(
        conn,
        "INSERT INTO configuration VALUES ('Advanced', 'vm.network.throttling.rate', '200'), "
        "('Hidden', 'hidden.one', NULL), ('Secure', 'secure.one', NULL), ('Alert', 'alert.email', NULL)",
    )


def test_41810to41900_decrypts_account_and_domain_settings_but_not_hidden_or_secure(
    mariadb: Any, server: str, jvm: Jvm
) -> None:
    conn = mariadb.connect()
    _scoped_tables(conn)
    plain = ["100", "ops@example.org", "hidden-value", "secure-value", ""]
    seeded = [*jvm.encrypt(DB_SECRET, "v2", plain[:4]), ""] if server == "file" else plain
    names = ["vm.network.throttling.rate", "alert.email", "hidden.one", "secure.one", "alert.email"]
    for table in ("account_details", "domain_details"):
        for i, (name, value) in enumerate(zip(names, seeded, strict=True), 1):
            _sql(conn, f"INSERT INTO {table} VALUES (%s, 1, %s, %s)", i, name, value)
    upgrade_41810to41900.decrypt_scoped_configuration_values(conn, mariadb.name)
    for table in ("account_details", "domain_details"):
        assert _column(conn, f"SELECT value FROM {table} ORDER BY id") == [*plain[:2], *seeded[2:]]
    if server == "file":  # the Java's re-run stops at the first value, now plain
        with pytest.raises(StepFails, match="account_details"):
            upgrade_41810to41900.decrypt_scoped_configuration_values(conn, mariadb.name)


def test_41810to41900_stops_where_the_java_hashmap_reaches_a_bad_value(mariadb: Any, encrypting: str, jvm: Jvm) -> None:
    conn = mariadb.connect()
    _scoped_tables(conn)
    good = jvm.encrypt(DB_SECRET, "v2", ["1", "2"])
    # HashMap<Long, …> of 16 buckets visits ids 1, 17, 2: id 2 comes after the bad id 17
    _sql(
        conn,
        "INSERT INTO account_details VALUES (1, 1, 'alert.email', %s), (2, 1, 'alert.email', %s), "
        "(17, 1, 'alert.email', 'never-encrypted')",
        *good,
    )
    with pytest.raises(StepFails, match="account_details 17"):
        upgrade_41810to41900.migrate(conn, cloud=mariadb.name)
    assert dict(_sql(conn, "SELECT id, value FROM account_details")) == {1: "1", 2: good[1], 17: "never-encrypted"}


SEEDS = [
    (
        "CREATE TABLE s2s_customer_gateway (id bigint PRIMARY KEY, ipsec_psk varchar(256))",
        "INSERT INTO s2s_customer_gateway VALUES (1, 'psk-one')",
        "SELECT ipsec_psk FROM s2s_customer_gateway",
    ),
    (
        "CREATE TABLE image_store_details (id bigint PRIMARY KEY, store_id bigint, name varchar(255), "
        "value varchar(255))",
        "INSERT INTO image_store_details VALUES (1, 1, 'key', 'AKIA123')",
        "SELECT value FROM image_store_details",
    ),
    (
        "CREATE TABLE configuration (category varchar(255), name varchar(255) PRIMARY KEY, value varchar(4095))",
        "INSERT INTO configuration VALUES ('Hidden', 'router.ram.size', '128'), ('Secure', 'ldap.basedn', 'ENC-ish')",
        "SELECT category, value FROM configuration ORDER BY name",
    ),
    (
        "CREATE TABLE keystore (id bigint PRIMARY KEY, `key` text)",
        "INSERT INTO keystore VALUES (1, 'PRIVATE')",
        "SELECT `key` FROM keystore",
    ),
    (
        "CREATE TABLE remote_access_vpn (id bigint PRIMARY KEY, ipsec_psk varchar(256))",
        "INSERT INTO remote_access_vpn VALUES (1, 'vpn-psk')",
        "SELECT ipsec_psk FROM remote_access_vpn",
    ),
    (
        "CREATE TABLE storage_pool (id bigint PRIMARY KEY, user_info varchar(255))",
        "INSERT INTO storage_pool VALUES (1, 'user:pw')",
        "SELECT user_info FROM storage_pool",
    ),
]

KEY_BOUND: list[tuple[str, Callable[[Any, str], object]]] = [
    ("encryptSite2SitePSK", upgrade_410to420.encrypt_site2site_psk),
    ("encryptImageStoreDetails", upgrade_421to430.encrypt_image_store_details),
    ("updateMaxRouterSizeConfig", upgrade_442to450.update_max_router_size_config),
    ("encryptKeyInKeyStore", upgrade_450to451.encrypt_key_in_keystore),
    ("encryptIpSecPresharedKeysOfRemoteAccessVpn", upgrade_450to451.encrypt_ipsec_preshared_keys_of_remote_access_vpn),
    ("encryptStoragePoolUserInfo", upgrade_450to451.encrypt_storage_pool_user_info),
    ("markUnnecessarySecureConfigsAsUnsecure", lambda conn, db: upgrade_41100to41110.uncrypt(conn, "ldap.basedn", db)),
]


@pytest.mark.parametrize(("call", "port"), KEY_BOUND, ids=[c for c, _ in KEY_BOUND])
def test_without_the_servers_configuration_key_bound_calls_change_nothing(
    mariadb: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    call: str,
    port: Callable[[Any, str], object],
) -> None:
    """flywayx may run away from the management server: without its db.properties nobody knows whether
    the database is encrypted, so a key-bound call is skipped (and says so) rather than guessing."""
    monkeypatch.setenv("CLOUDSTACK_CONF_DIR", str(tmp_path / "nowhere"))
    _dbencryption.reset()
    conn = mariadb.connect()
    for ddl, insert, _ in SEEDS:
        _sql(conn, ddl)
        _sql(conn, insert)
    before = [_sql(conn, query) for _, _, query in SEEDS]
    with caplog.at_level(logging.WARNING, logger="flywayx.acs.dbencryption"):
        port(conn, mariadb.name)
    assert [_sql(conn, query) for _, _, query in SEEDS] == before
    assert f"skipped: {call} needs the management server's db.properties" in caplog.text
    _dbencryption.reset()
