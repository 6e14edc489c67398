"""PyMySQL imported without ``cryptography`` (``flywayx.db.mysql_driver``): nothing is loaded for it
until a password exchange needs RSA, and then PyMySQL's own RSA step runs as it would have. Each
check is a fresh interpreter (what a command starts with)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_importing_pymysql_loads_no_cryptography() -> None:
    out = _run(
        "import sys\n"
        "from flywayx.db.mysql_driver import pymysql\n"
        "m = pymysql()\n"
        "print(m.__name__, any(n == 'cryptography' or n.startswith('cryptography.') for n in sys.modules))\n"
    )
    assert out == "pymysql False"


def test_the_rsa_password_exchange_still_encrypts_what_the_server_decrypts() -> None:
    pytest.importorskip("cryptography")
    # the server side: a key pair; it decrypts with OAEP(SHA-1) and XORs the salt back out, as MySQL does
    out = _run(
        "from flywayx.db.mysql_driver import pymysql\n"
        "auth = pymysql()._auth\n"
        "from cryptography.hazmat.primitives import hashes, serialization\n"
        "from cryptography.hazmat.primitives.asymmetric import padding, rsa\n"
        "key = rsa.generate_private_key(public_exponent=65537, key_size=2048)\n"
        "pem = key.public_key().public_bytes(serialization.Encoding.PEM, "
        "serialization.PublicFormat.SubjectPublicKeyInfo)\n"
        "salt = b'0123456789abcdefghij'\n"
        "sent = auth.sha2_rsa_encrypt(b's3cret', salt, pem)\n"
        "plain = key.decrypt(sent, padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), "
        "algorithm=hashes.SHA1(), label=None))\n"
        "print(bytes(b ^ salt[i % len(salt)] for i, b in enumerate(plain)))\n"
    )
    assert out == repr(b"s3cret\x00")


def test_a_connection_builds_pymysqls_own_tls_context_only_when_used() -> None:
    """Without TLS options PyMySQL prefers TLS: the context is built when the handshake wraps the
    socket (a server offering TLS), and it is PyMySQL's own: no certificate check, as before."""
    out = _run(
        "import ssl\n"
        "from flywayx.db.mysql_driver import _connection_class, pymysql\n"
        "cls = _connection_class(pymysql().connections.Connection)\n"
        "lazy = cls._create_ssl_ctx(cls.__new__(cls), {})\n"
        "before = lazy._made is None\n"
        "print(before, lazy.verify_mode == ssl.CERT_NONE, lazy.check_hostname,"
        " isinstance(lazy._made, ssl.SSLContext))\n"
    )
    assert out == "True True False True"
