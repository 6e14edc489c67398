"""java_equiv/_dbencryption.py against a real JVM: the same ciphertexts for the same salt or nonce,
JVM-made values decrypted, Python-made values decrypted by the JVM; and where the management
server's key comes from (db.properties, the key file, the environment, port 8097)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from java_equiv import _dbencryption as dbe
from tests.fixtures.jvm_crypt.jvm import VECTORS, Jvm, unb64, write_server_conf
from tests.java_ports.conftest import DB_SECRET, MGMT_KEY


@pytest.fixture(autouse=True)
def fresh_process() -> Iterator[None]:
    """Each test starts as a new management server would: nothing loaded yet."""
    dbe.reset()
    yield
    dbe.reset()


@pytest.fixture
def conf_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "management"
    monkeypatch.setenv("CLOUDSTACK_CONF_DIR", str(where))
    monkeypatch.delenv("CLOUD_SECRET_KEY", raising=False)
    return where


def _vectors() -> list[tuple[str, str, bytes, str, str]]:
    out = []
    for line in VECTORS.read_text(encoding="utf-8").splitlines():
        kind, password, fixed, plain, result = line.split("\t")
        out.append((kind, unb64(password), bytes.fromhex(fixed), unb64(plain), result))
    return out


def _encryptor(kind: str, password: str, fixed: bytes = b"") -> dbe.Base64Encryptor:
    def same_bytes(n: int) -> bytes:
        assert n == len(fixed)
        return fixed

    cls = dbe.LegacyEncryptor if kind == "v1" else dbe.AeadEncryptor
    return cls(password, same_bytes if fixed else os.urandom)


def test_the_vectors_file_is_what_the_jvm_program_prints(jvm: Jvm) -> None:
    assert jvm.run("vectors") == VECTORS.read_text(encoding="utf-8")


@pytest.mark.parametrize("vector", _vectors(), ids=lambda v: f"{v[0]}-{v[1][:6]}-{v[3][:6]}")
def test_same_salt_or_nonce_gives_the_jvm_value(vector: tuple[str, str, bytes, str, str]) -> None:
    kind, password, fixed, plain, result = vector
    encryptor = _encryptor(kind, password, fixed)
    if result == "FAIL":  # the JVM refuses a v1 password outside printable ASCII
        with pytest.raises(dbe.Refused):
            encryptor.encrypt(plain)
        return
    assert encryptor.encrypt(plain) == result
    assert encryptor.decrypt(result) == plain


def test_the_jvm_decrypts_what_python_encrypts(jvm: Jvm) -> None:
    plains = ["a", "256", "exactly8", "ldap://10.0.0.1:389", "pré-partagé 🔑", "x" * 300]
    for password in ("password", "p@ss w0rd~", MGMT_KEY):
        for kind, version in (("v1", "V1"), ("v2", "V2")):
            values = [_encryptor(kind, password).encrypt(p) for p in plains]
            assert jvm.decrypt(password, values) == [(version, p) for p in plains]


def test_values_decrypt_or_fail_as_on_the_jvm(jvm: Jvm) -> None:
    """No version set: v2 first, then v1. Garbage, plain text and values under another key fail
    on the JVM, and the same values fail here; the good ones give the same text."""
    other = [_encryptor(k, "another key").encrypt(p) for k in ("v1", "v2") for p in ("secret", "256", "x" * 40)]
    mine = [_encryptor(k, MGMT_KEY).encrypt("psk-1") for k in ("v1", "v2")]
    values = [*other, *mine, "plain-psk", "c2VjcmV0", "YWJjZGVmZ2hpamtsbW5vcA==", "not base64!", "AAAA", "QUJD"]
    expected = jvm.decrypt(MGMT_KEY, values)
    assert expected[-8:-6] == [("V1", "psk-1"), ("V2", "psk-1")]
    for value, want in zip(values, expected, strict=True):
        encryptor = dbe.CloudStackEncryptor(MGMT_KEY, None)
        if want is None:
            with pytest.raises(dbe.EncryptionFailed):
                encryptor.decrypt(value)
        else:
            assert (encryptor.decrypt(value), encryptor.current.name if encryptor.current else "") == (
                want[1],
                {"V1": "LegacyBase64Encryptor", "V2": "AeadBase64Encryptor"}[want[0]],
            )


def test_jasypt_reads_past_characters_outside_base64_the_jdk_decoder_does_not() -> None:
    value = _encryptor("v1", MGMT_KEY).encrypt("line-broken")
    broken = value[:8] + "\n" + value[8:16] + " " + value[16:]
    assert _encryptor("v1", MGMT_KEY).decrypt(broken) == "line-broken"
    with pytest.raises(dbe.Refused):
        _encryptor("v2", MGMT_KEY).decrypt(_encryptor("v2", MGMT_KEY).encrypt("x")[:10] + "\n")


def test_no_version_sticks_to_the_first_encryptor_that_worked(jvm: Jvm) -> None:
    """As CloudStackEncryptor does: after a v1 value is decrypted, later values are written with v1."""
    encryptor = dbe.CloudStackEncryptor(MGMT_KEY, None)
    encryptor.decrypt(_encryptor("v1", MGMT_KEY).encrypt("old"))
    assert jvm.decrypt(MGMT_KEY, [encryptor.encrypt("new")]) == [("V1", "new")]
    with pytest.raises(dbe.EncryptionFailed):  # and v2 values are no longer tried
        encryptor.decrypt(_encryptor("v2", MGMT_KEY).encrypt("newer"))
    fresh = dbe.CloudStackEncryptor(MGMT_KEY, None)
    assert jvm.decrypt(MGMT_KEY, [fresh.encrypt("new")]) == [("V2", "new")]


def _enc(secret: str, key: str = MGMT_KEY, kind: str = "v2") -> str:
    return f"ENC({_encryptor(kind, key).encrypt(secret)})"


def _encrypting_server(conf_dir: Path, **extra: str) -> Path:
    props = {
        "db.cloud.host": "localhost",
        "db.cloud.encryption.type": "file",
        "db.cloud.encrypt.secret": _enc(DB_SECRET),
    }
    return write_server_conf(conf_dir, {**props, **extra}, key=MGMT_KEY)


@pytest.mark.parametrize("version, expected", [("", "V2"), ("v1", "V1"), ("V2", "V2")])
def test_file_encryption_uses_the_db_secret_from_db_properties(
    jvm: Jvm, conf_dir: Path, version: str, expected: str
) -> None:
    _encrypting_server(conf_dir, **{"db.cloud.encryptor.version": version})
    assert dbe.use_encryption()
    assert dbe.db_properties()["db.cloud.encrypt.secret"] == DB_SECRET
    value = dbe.encrypt("s3cr3t")
    assert jvm.decrypt(DB_SECRET, [value]) == [(expected, "s3cr3t")]
    assert dbe.decrypt(value) == "s3cr3t"
    assert (dbe.encrypt(None), dbe.encrypt(""), dbe.decrypt(None), dbe.decrypt("")) == (None, "", None, "")


def test_the_management_key_may_have_encrypted_db_properties_with_v1(conf_dir: Path) -> None:
    write_server_conf(
        conf_dir,
        {
            "db.cloud.encryption.type": "file",
            "db.cloud.password": _enc("pw", kind="v1"),
            "db.cloud.encrypt.secret": _enc(DB_SECRET, kind="v1"),
        },
        key=MGMT_KEY,
    )
    assert dbe.db_properties()["db.cloud.password"] == "pw"
    assert dbe.db_properties()["db.cloud.encrypt.secret"] == DB_SECRET


def test_the_key_file_counts_up_to_its_first_line_end(jvm: Jvm, conf_dir: Path) -> None:
    _encrypting_server(conf_dir)
    (conf_dir / "key").write_bytes(MGMT_KEY.encode() + b"\r\nsecond line\n")
    assert jvm.decrypt(DB_SECRET, [dbe.encrypt("v")]) == [("V2", "v")]


@pytest.mark.parametrize("props", [{}, {"db.cloud.encryption.type": "none"}], ids=["absent", "none"])
def test_without_encryption_values_stay_as_they_are(conf_dir: Path, props: dict[str, str]) -> None:
    write_server_conf(conf_dir, {"db.cloud.host": "localhost", **props})
    assert not dbe.use_encryption()
    assert (dbe.encrypt("plain"), dbe.decrypt("plain"), dbe.decrypt("ENC(x)")) == ("plain", "plain", "ENC(x)")


def test_without_db_properties_values_stay_and_a_warning_names_the_directory(
    conf_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="flywayx.acs.dbencryption"):
        assert (dbe.encrypt("plain"), dbe.decrypt("plain")) == ("plain", "plain")
    assert f"no db.properties in {conf_dir}" in caplog.text


def test_env_type_reads_cloud_secret_key(jvm: Jvm, conf_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_server_conf(conf_dir, {"db.cloud.encryption.type": "env", "db.cloud.encrypt.secret": _enc(DB_SECRET)})
    with pytest.raises(dbe.EncryptionConfigError, match="CLOUD_SECRET_KEY"):
        dbe.encrypt("v")
    monkeypatch.setenv("CLOUD_SECRET_KEY", MGMT_KEY)
    assert jvm.decrypt(DB_SECRET, [dbe.encrypt("v")]) == [("V2", "v")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _send_when_listening(port: int, line: bytes) -> None:
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as client:
                client.sendall(line)
                return
        except OSError:
            time.sleep(0.05)


def test_web_type_waits_for_the_key_on_its_port(conf_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_server_conf(conf_dir, {"db.cloud.encryption.type": "web", "db.cloud.encrypt.secret": _enc(DB_SECRET)})
    port = _free_port()
    monkeypatch.setattr(dbe, "WEB_PORT", port)
    sender = threading.Thread(target=_send_when_listening, args=(port, MGMT_KEY.encode() + b"\n"))
    sender.start()
    assert dbe.db_properties()["db.cloud.encrypt.secret"] == DB_SECRET
    sender.join()


@pytest.mark.parametrize(
    "props, key, error, match",
    [
        ({"db.cloud.encryption.type": "file"}, None, dbe.EncryptionConfigError, "no file 'key'"),
        ({"db.cloud.encryption.type": "file"}, "", dbe.EncryptionConfigError, "empty"),
        ({"db.cloud.encryption.type": "files"}, MGMT_KEY, dbe.EncryptionConfigError, "not one of"),
        (
            {"db.cloud.encryption.type": "file", "db.cloud.encrypt.secret": _enc(DB_SECRET, key="wrong")},
            MGMT_KEY,
            dbe.EncryptionConfigError,
            "db.cloud.encrypt.secret",
        ),
        ({"db.cloud.encryption.type": "file"}, MGMT_KEY, dbe.EncryptionFailed, "db.cloud.encrypt.secret"),
        (
            {
                "db.cloud.encryption.type": "file",
                "db.cloud.encrypt.secret": DB_SECRET,
                "db.cloud.encryptor.version": "v3",
            },
            MGMT_KEY,
            dbe.EncryptionFailed,
            "v3",
        ),
    ],
    ids=["no-key-file", "empty-key-file", "bad-type", "wrong-management-key", "no-secret", "bad-version"],
)
def test_unusable_settings_stop_the_step(
    conf_dir: Path, props: dict[str, str], key: str | None, error: type[Exception], match: str
) -> None:
    write_server_conf(conf_dir, props, key=key)
    with pytest.raises(error, match=match):
        dbe.encrypt("v")
    with pytest.raises(error, match=match):  # nothing half-loaded is kept: it fails again
        dbe.decrypt("v")


def test_each_configuration_directory_is_its_own_server(
    jvm: Jvm, conf_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _encrypting_server(conf_dir)
    assert dbe.encrypt("v") != "v"
    monkeypatch.setenv("CLOUDSTACK_CONF_DIR", str(write_server_conf(tmp_path / "plain", {})))
    assert dbe.encrypt("v") == "v"
