"""CloudStack's DBEncryptionUtil, with the key found where the management server finds it.

``encrypt(text)`` and ``decrypt(text)`` return a NULL or empty value unchanged, and every value
unchanged when the server does not encrypt its database. Otherwise they use the database key.

Where the key comes from (DbProperties, EncryptionSecretKeyChecker):

- ``db.properties`` in the configuration directory (``CLOUDSTACK_CONF_DIR``, java_equiv/_mgmt_conf.py).
  When it is not there the Java logs an error and goes on with no properties: no encryption. The
  Java always runs on the management server, so for it "absent" means "not encrypted"; flywayx may
  run elsewhere, where absent means "unknown". So ``encrypt``/``decrypt`` still hand values back
  unchanged, but a port asks ``known(call)`` first and skips a key-bound call (values stay as they
  are, a warning names the call and the directory): writing a plain value where the server expects
  an encrypted one, or storing ciphertext as plain text, would break the management server.
- ``db.cloud.encryption.type``: absent or ``none`` means no encryption. Otherwise a management key
  is read: ``file``, the first line of ``key`` beside db.properties; ``env``, the variable
  ``CLOUD_SECRET_KEY``; ``web``, one line from the first client to connect to TCP port 8097 (the
  management server waits for it at start-up, and so does this module, on first use). Another
  type, or no key: ``EncryptionConfigError``, the management server would not start.
- Every property written ``ENC(...)`` is decrypted with the management key (properties in file
  order). ``db.cloud.encrypt.secret``, so decrypted, is the database key (missing or empty:
  ``EncryptionFailed``); ``db.cloud.encryptor.version`` (``v1``, ``v2``, any case, or unset) picks
  the database encryptor.

The encryptors (CloudStackEncryptor):

- v2, AeadBase64Encryptor (Tink AesGcmJce): AES-256-GCM under SHA-256 of the password's UTF-8,
  no associated data; the value is base64 of a random 12-byte nonce, the ciphertext and the 16-byte tag.
- v1, LegacyBase64Encryptor (jasypt 1.9 PBEWithMD5AndDES): DES-CBC with key and IV from
  PBKDF1-MD5 over password and salt (1000 rounds); the value is base64 of a random 8-byte salt and
  the ciphertext. The JVM refuses a password with characters outside printable ASCII: every v1
  use then fails.
- decrypted bytes are read as UTF-8 (v2: the JVM's default charset, UTF-8 on a usual server),
  malformed sequences replaced.
- with no version set, encrypt uses v2, decrypt tries v2 and then v1; whichever is used first then
  serves every later call of that encryptor, as the Java's field does (so after a v1 decrypt the
  next encrypt writes v1). With a version set only that one is used.

All this is read on the first ``encrypt``/``decrypt`` (the management server reads it at start-up)
and kept as long as the process, as the JVM's statics are, one state per configuration directory;
``reset()`` forgets it. Failures raise ``EncryptionFailed`` (the Java's CloudRuntimeException,
which some steps catch); configuration that would stop the management server raises
``EncryptionConfigError``. Both are ``StepFails``.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import socket
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, overload

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

try:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # cryptography < 43 keeps it among the primitives
    from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES  # type: ignore[no-redef,unused-ignore]

from java_equiv._java import StepFails
from java_equiv._mgmt_conf import DEFAULT_CONF_DIR, conf_file, load_properties

LOG = logging.getLogger("flywayx.acs.dbencryption")

ENCRYPTION_TYPE = "db.cloud.encryption.type"
DB_SECRET = "db.cloud.encrypt.secret"
DB_ENCRYPTOR_VERSION = "db.cloud.encryptor.version"
KEY_FILE = "key"
ENV_KEY = "CLOUD_SECRET_KEY"
WEB_PORT = 8097
PBE_ITERATIONS = 1000
SALT_BYTES = 8
NONCE_BYTES = 12
TAG_BYTES = 16

RandomBytes = Callable[[int], bytes]


class EncryptionFailed(StepFails):
    """A value could not be encrypted or decrypted (the Java's CloudRuntimeException)."""


class EncryptionConfigError(StepFails):
    """The management server's encryption settings are unusable: CloudStack would not start."""


class Refused(Exception):
    """One encryptor could not handle a value (the Java's EncryptionException)."""


class Base64Encryptor(Protocol):
    name: str

    def encrypt(self, plain: str) -> str: ...

    def decrypt(self, encrypted: str) -> str: ...


# --- v2: AES-GCM ---------------------------------------------------------------------------------

_STRICT_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?")


def java_base64(text: str) -> bytes | None:
    """``Base64.getDecoder().decode``: the alphabet only, padding optional but exact; None if refused."""
    if not _STRICT_BASE64.fullmatch(text):
        return None
    return base64.b64decode(text + "=" * (-len(text) % 4))


class AeadEncryptor:
    name = "AeadBase64Encryptor"

    def __init__(self, password: str, random_bytes: RandomBytes = os.urandom) -> None:
        self._aead = AESGCM(hashlib.sha256(password.encode("utf-8")).digest())
        self._random = random_bytes

    def encrypt(self, plain: str) -> str:
        nonce = self._random(NONCE_BYTES)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, plain.encode("utf-8"), None)).decode("ascii")

    def decrypt(self, encrypted: str) -> str:
        data = java_base64(encrypted)
        if data is None or len(data) < NONCE_BYTES + TAG_BYTES:
            raise Refused("not an AES-GCM value")
        try:
            plain = self._aead.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], None)
        except InvalidTag as err:
            raise Refused("AES-GCM tag mismatch") from err
        return plain.decode("utf-8", errors="replace")


# --- v1: jasypt PBEWithMD5AndDES --------------------------------------------------------------------

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_SEXTET = {c: i for i, c in enumerate(_ALPHABET)}


def jasypt_base64(text: str) -> bytes:
    """jasypt's bundled commons-codec 1.3 decoder, quirks included: characters outside the alphabet
    and ``=`` are dropped; each full group of 4 gives up to 3 bytes; a partial last group is counted
    in the output length but left as zero bytes. Raises ``Refused`` where that decoder fails."""
    data = [c for c in text if c in _SEXTET or c == "="]
    last = len(data)
    while last and data[last - 1] == "=":
        last -= 1
    if last == 0:
        return b""
    groups = len(data) // 4
    if last < groups:
        raise Refused("malformed base64")
    out = bytearray(last - groups)
    try:
        for i in range(groups):
            c1, c2, c3, c4 = data[4 * i : 4 * i + 4]
            b1, b2 = _SEXTET.get(c1, -1), _SEXTET.get(c2, -1)
            out[3 * i] = (b1 << 2 | b2 >> 4) & 0xFF
            if c3 == "=":
                continue
            b3 = _SEXTET.get(c3, -1)
            out[3 * i + 1] = ((b2 & 0xF) << 4 | (b3 >> 2) & 0xF) & 0xFF
            if c4 != "=":
                out[3 * i + 2] = (b3 << 6 | _SEXTET[c4]) & 0xFF
    except IndexError as err:
        raise Refused("malformed base64") from err
    return bytes(out)


class LegacyEncryptor:
    name = "LegacyBase64Encryptor"

    def __init__(self, password: str, random_bytes: RandomBytes = os.urandom) -> None:
        if not password:  # jasypt refuses an empty password when it is set
            raise EncryptionConfigError("the legacy (v1) encryptor cannot take an empty password")
        self._password = unicodedata.normalize("NFC", password)  # as jasypt hands it to the JVM
        self._random = random_bytes

    def _cipher(self, salt: bytes) -> Cipher[modes.CBC]:
        if any(not " " <= ch <= "~" for ch in self._password):
            raise Refused("the JVM's PBEWithMD5AndDES takes printable ASCII passwords only")
        digest = self._password.encode("ascii") + salt
        for _ in range(PBE_ITERATIONS):
            digest = hashlib.md5(digest).digest()
        return Cipher(TripleDES(digest[:8] * 3), modes.CBC(digest[8:16]))  # one key thrice: plain DES

    def encrypt(self, plain: str) -> str:
        salt = self._random(SALT_BYTES)
        padder = padding.PKCS7(64).padder()
        encryptor = self._cipher(salt).encryptor()
        body = encryptor.update(padder.update(plain.encode("utf-8")) + padder.finalize()) + encryptor.finalize()
        return base64.b64encode(salt + body).decode("ascii")

    def decrypt(self, encrypted: str) -> str:
        data = jasypt_base64(encrypted)
        if len(data) <= SALT_BYTES or (len(data) - SALT_BYTES) % 8:
            raise Refused("not a PBEWithMD5AndDES value")
        decryptor = self._cipher(data[:SALT_BYTES]).decryptor()
        padded = decryptor.update(data[SALT_BYTES:]) + decryptor.finalize()
        pad = padded[-1]
        if not 1 <= pad <= 8 or padded[-pad:] != bytes([pad]) * pad:
            raise Refused("bad padding")
        return padded[:-pad].decode("utf-8", errors="replace")


# --- CloudStackEncryptor -------------------------------------------------------------------------------


def hide(value: str) -> str:
    """A value as error messages show it: its first 5 characters (1 when shorter than 10), then stars."""
    shown = 5 if len(value) >= 10 else 1
    return value[:shown] + "*" * (10 - shown)


class CloudStackEncryptor:
    def __init__(self, password: str, version: str | None, random_bytes: RandomBytes = os.urandom) -> None:
        chosen = (version or "").upper()
        self.current: Base64Encryptor | None = None
        self.candidates: tuple[Base64Encryptor, ...] = ()
        if chosen == "V1":
            self.current = LegacyEncryptor(password, random_bytes)
        elif chosen == "V2":
            self.current = AeadEncryptor(password, random_bytes)
        elif chosen == "":
            legacy = LegacyEncryptor(password, random_bytes)
            self.candidates = (AeadEncryptor(password, random_bytes), legacy)
        else:
            raise EncryptionFailed(f"unknown encryptor version {version!r}: v1 or v2 (or unset)")

    def encrypt(self, plain: str) -> str:
        if not plain:
            return plain
        self.current = encryptor = self.current or self.candidates[0]
        try:
            return encryptor.encrypt(plain)
        except Refused as err:
            raise EncryptionFailed(f"cannot encrypt a value with {encryptor.name}: {err}") from err

    def decrypt(self, encrypted: str) -> str:
        if not encrypted:
            return encrypted
        if self.current is not None:
            try:
                return self.current.decrypt(encrypted)
            except Refused as err:
                raise EncryptionFailed(f"cannot decrypt {hide(encrypted)} with {self.current.name}") from err
        for candidate in self.candidates:
            try:
                plain = candidate.decrypt(encrypted)
            except Refused:
                LOG.warning("%s cannot decrypt %s", candidate.name, hide(encrypted))
                continue
            self.current = candidate
            return plain
        raise EncryptionFailed(f"cannot decrypt {hide(encrypted)} with either encryptor")


# --- the management server's configuration ------------------------------------------------------------


@dataclass
class _Server:
    use_encryption: bool
    properties: dict[str, str]
    db: CloudStackEncryptor | None = None
    found: bool = True  # db.properties was there (else: whether values are encrypted is unknown)
    skipped: set[str] = field(default_factory=set)  # key-bound calls already reported as skipped


_SERVERS: dict[str, _Server] = {}


def reset() -> None:
    """Forget loaded configuration and encryptors, as a new JVM would start without them."""
    _SERVERS.clear()


def known(call: str) -> bool:
    """Whether the Java call ``call`` (one that encrypts or decrypts) may run: only when the
    management server's db.properties was found, encrypting or not. Otherwise it is skipped once
    with a warning naming it, and the values it would change stay as they are."""
    server = _server()
    if server.found:
        return True
    if call not in server.skipped:
        server.skipped.add(call)
        LOG.warning(
            "skipped: %s needs the management server's db.properties to know whether values are encrypted "
            "(values left as they are; set CLOUDSTACK_CONF_DIR to its configuration directory "
            "before migrating, see docs/acs-java-steps.md)",
            call,
        )
    return False


def use_encryption() -> bool:
    return _server().use_encryption


def db_properties() -> dict[str, str]:
    """db.properties as the Java holds it: ``ENC(...)`` values decrypted when encryption is on."""
    return dict(_server().properties)


def _server() -> _Server:
    where = os.environ.get("CLOUDSTACK_CONF_DIR") or DEFAULT_CONF_DIR
    if where not in _SERVERS:
        _SERVERS[where] = _load()
    return _SERVERS[where]


def _load() -> _Server:
    path = conf_file("db.properties")
    if path is None:
        LOG.warning(
            "no db.properties in %s: database values are neither encrypted nor decrypted, as on a "
            "server without encryption (CLOUDSTACK_CONF_DIR names the management server's configuration)",
            os.environ.get("CLOUDSTACK_CONF_DIR") or DEFAULT_CONF_DIR,
        )
        return _Server(False, {}, found=False)
    props = load_properties(path.read_text(encoding="latin-1"))
    kind = props.get(ENCRYPTION_TYPE)
    if kind is None or kind == "none":
        return _Server(False, props)
    management = CloudStackEncryptor(_management_key(kind), None)
    return _Server(True, {name: _unwrap(management, name, value) for name, value in props.items()})


def _unwrap(management: CloudStackEncryptor, name: str, value: str) -> str:
    if not (value.startswith("ENC(") and value.endswith(")")):
        return value
    try:
        return management.decrypt(value[4:-1])
    except EncryptionFailed as err:
        raise EncryptionConfigError(f"db.properties {name}: {err} (wrong management key?)") from err


def _management_key(kind: str) -> str:
    if kind == "file":
        path = conf_file(KEY_FILE)
        if path is None:
            raise EncryptionConfigError(f"{ENCRYPTION_TYPE}=file but no file {KEY_FILE!r} beside db.properties")
        key = first_line(path.read_text(encoding="utf-8", errors="replace"))
        if not key:
            raise EncryptionConfigError(f"the management key file {path} is empty")
        return key
    if kind == "env":
        key = os.environ.get(ENV_KEY)
        if not key:
            raise EncryptionConfigError(f"{ENCRYPTION_TYPE}=env but {ENV_KEY} is unset or empty")
        return key
    if kind == "web":
        return _key_from_web()
    raise EncryptionConfigError(f"{ENCRYPTION_TYPE}={kind!r}: not one of file, web, env, none")


def first_line(text: str) -> str | None:
    """``BufferedReader.readLine``: up to the first CR, LF or CRLF; None for no text at all."""
    return re.split(r"\r\n|\r|\n", text, maxsplit=1)[0] if text else None


def _key_from_web() -> str:
    LOG.warning(
        "%s=web: waiting for the management key on TCP port %d (send it as one line)", ENCRYPTION_TYPE, WEB_PORT
    )
    dual = socket.has_dualstack_ipv6()
    with socket.create_server(
        ("", WEB_PORT), family=socket.AF_INET6 if dual else socket.AF_INET, dualstack_ipv6=dual
    ) as server:
        client, _ = server.accept()
        with client, client.makefile("rb") as stream:
            line = stream.readline().decode("utf-8", errors="replace")
    key = first_line(line)
    if key is None:
        raise EncryptionConfigError(f"the client on port {WEB_PORT} sent no management key")
    return key


# --- DBEncryptionUtil -------------------------------------------------------------------------------


def _db_encryptor(server: _Server) -> CloudStackEncryptor:
    if server.db is None:
        secret = server.properties.get(DB_SECRET)
        if not secret:
            raise EncryptionFailed(f"encryption is on but db.properties has no {DB_SECRET}")
        server.db = CloudStackEncryptor(secret, server.properties.get(DB_ENCRYPTOR_VERSION))
    return server.db


@overload
def encrypt(plain: str) -> str: ...
@overload
def encrypt(plain: None) -> None: ...
def encrypt(plain: str | None) -> str | None:
    server = _server()
    if not server.use_encryption or not plain:
        return plain
    return _db_encryptor(server).encrypt(plain)


@overload
def decrypt(encrypted: str) -> str: ...
@overload
def decrypt(encrypted: None) -> None: ...
def decrypt(encrypted: str | None) -> str | None:
    server = _server()
    if not server.use_encryption or not encrypted:
        return encrypted
    return _db_encryptor(server).decrypt(encrypted)
