"""PyMySQL, imported without ``cryptography`` until a connection needs it; connections that build a TLS
context only for a server that offers TLS.

PyMySQL imports ``cryptography`` when it is imported itself, for one use: RSA-encrypting the password
of a ``sha256_password`` or ``caching_sha2_password`` account (MySQL 8's default) on a connection
without TLS, when the server asks for it. That import was a third of what importing PyMySQL cost,
paid by every command on MySQL/MariaDB: ~30-50 ms of a 300-migration ``migrate``'s CPU. ``pymysql()``
imports PyMySQL with ``cryptography`` hidden, then gives PyMySQL's RSA step a stand-in that imports
``cryptography`` the first time it is called and hands over to PyMySQL's own, so that exchange works
exactly as before (and without ``cryptography`` installed fails with PyMySQL's own error).

``connect``: PyMySQL's ``connect``. Without TLS options PyMySQL prefers TLS: it uses it when the
server offers it, and builds the TLS context (the system's CA certificates loaded) for every
connection before it knows, ~20-50 ms of CPU a connection. Here that context is built when the
handshake wraps the socket, so only for a server that offers TLS; the context and what it does are
PyMySQL's own. With TLS options given, the context is built up front, as PyMySQL does.
"""

from __future__ import annotations

import sys
from typing import Any


def pymysql() -> Any:
    """The ``pymysql`` module (imported once; see the module doc)."""
    loaded = sys.modules.get("pymysql")
    if loaded is not None:
        return loaded
    hidden = "cryptography" not in sys.modules
    if hidden:
        sys.modules["cryptography"] = None  # type: ignore[assignment]  # an import of it fails: ImportError
    try:
        import pymysql as module
    finally:
        if hidden and sys.modules.get("cryptography", 0) is None:
            del sys.modules["cryptography"]
    auth = getattr(module, "_auth", None)
    original = getattr(auth, "sha2_rsa_encrypt", None)
    if hidden and auth is not None and original is not None and not getattr(auth, "_have_cryptography", True):
        auth.sha2_rsa_encrypt = _rsa_on_first_use(auth, original)
    return module


def _rsa_on_first_use(auth: Any, original: Any) -> Any:
    def sha2_rsa_encrypt(password: bytes, salt: bytes, public_key: bytes) -> Any:
        try:
            from cryptography.hazmat.backends import default_backend
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.hazmat.primitives.asymmetric import padding
        except ImportError:  # not installed: PyMySQL's own function says so
            pass
        else:  # what PyMySQL's import would have set
            auth.default_backend, auth.hashes, auth.serialization, auth.padding = (
                default_backend,
                hashes,
                serialization,
                padding,
            )
            auth._have_cryptography = True
        auth.sha2_rsa_encrypt = original
        return original(password, salt, public_key)

    return sha2_rsa_encrypt


def connect(**options: Any) -> Any:
    """A PyMySQL connection, its TLS context built only if the server offers TLS (see the module doc)."""
    global _CONNECTION
    if _CONNECTION is None:
        _CONNECTION = _connection_class(pymysql().connections.Connection)
    return _CONNECTION(**options)


_CONNECTION: Any = None


def _connection_class(base: Any) -> Any:
    class Connection(base):  # type: ignore[misc]
        def _create_ssl_ctx(self, sslp: Any) -> Any:
            if sslp:  # TLS options given: PyMySQL's own context, now
                return base._create_ssl_ctx(self, sslp)
            return _OnFirstUse(lambda: base._create_ssl_ctx(self, sslp))

    return Connection


class _OnFirstUse:
    """Stands for the object ``make`` returns, made when first used."""

    def __init__(self, make: Any) -> None:
        self._make = make
        self._made: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._made is None:
            self._made = self._make()
        return getattr(self._made, name)


__all__ = ["connect", "pymysql"]
