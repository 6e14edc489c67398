"""Database URLs: SQLAlchemy style (``mysql+pymysql://…``) and JDBC style (``jdbc:mysql://…``).

``parse_url`` turns either form into a ``DatabaseUrl``. It is pure: no file is opened, relative
SQLite paths are kept relative (the process working directory resolves them, as the JDBC driver
does for Flyway). Credentials come from the URL's ``user:password@`` part; ``user=`` and
``password=`` parameters fill in what the userinfo does not give. Every error is a ``ConfigError``
whose message and hint never contain the password.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from flywayx.errors import ConfigError
from flywayx.model.config import DatabaseUrl
from flywayx.model.redact import redact_url

ACCEPTED_FORMS = (
    "accepted forms: mysql://user@host:3306/db, mysql+pymysql://…, mariadb[+pymysql]://…, "
    "postgresql[+psycopg]://user@host:5432/db, postgres://…, sqlite:///relative.db, "
    "sqlite:////absolute.db, sqlite:// (in memory), jdbc:mysql://host:3306/db?x=y, "
    "jdbc:mariadb://host:3306/db, jdbc:postgresql://host:5432/db?currentSchema=app, "
    "jdbc:sqlite:/absolute.db, jdbc:sqlite:relative.db, jdbc:sqlite::memory:; "
    "percent-encode '@', '?' and '#' in user names and passwords (%40, %3F, %23)"
)

# SQLAlchemy scheme name -> (dialect, drivers flywayx can use for it; "" = no driver named).
_SCHEMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "mysql": ("mysql", ("", "pymysql")),
    "mariadb": ("mariadb", ("", "pymysql")),
    "postgresql": ("postgresql", ("", "psycopg")),
    "postgres": ("postgresql", ("", "psycopg")),
    "sqlite": ("sqlite", ("", "pysqlite")),
}
_JDBC = {"mysql": "mysql", "mariadb": "mariadb", "postgresql": "postgresql", "sqlite": "sqlite"}

_SCHEME = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9]*)(?:\+(?P<driver>[A-Za-z0-9_]+))?://(?P<rest>.*)$", re.S)
# Authority and path of a network URL. As in SQLAlchemy's URL pattern the password may hold '/'
# but not '@' (write %40); '?' and '#' must be escaped too, so that an '@' in a query value
# (``?user=me@corp``) is not mistaken for the end of a userinfo. IPv6 hosts are bracketed.
_NETWORK = re.compile(
    r"""^(?:(?P<user>[^:/?#@]*)(?::(?P<password>[^@?#]*))?@)?
        (?:\[(?P<ipv6>[^\]/?#]+)\]|(?P<host>[^/:?#@\[\]]*))
        (?::(?P<port>[^/?#@]*))?
        (?:/(?P<database>[^?#]*))?
        (?:\?(?P<query>[^#]*))?$""",
    re.X | re.S,
)
_PARAM_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")
_SOCKET_PARAMS = ("unix_socket", "localSocket")
# In messages a password parameter hides everything after it: in a malformed URL the value may
# hold an unescaped '&' or '#', so where it ends cannot be known.
_PASSWORD_PARAM = re.compile(r"(?i)(?P<key>[?&;](?:password|pwd|pass)=).*$", re.S)


def parse_url(text: str) -> DatabaseUrl:
    """Parse a SQLAlchemy-style or JDBC URL into a ``DatabaseUrl``; raise ``ConfigError`` if malformed.

    ``port`` stays ``None`` when the URL names none (the driver's default applies). For SQLite,
    ``database`` is the file path as written, or ``:memory:``.
    """
    stripped = text.strip()
    if not stripped:
        raise _bad(text, "Database URL is empty")
    if stripped.lower().startswith("jdbc:"):
        return _parse_jdbc(stripped, text)
    match = _SCHEME.match(stripped)
    if match is None:
        raise _bad(text, f"Unrecognised database URL: {shown(text)}")
    name, driver = match["name"].lower(), (match["driver"] or "").lower()
    if name not in _SCHEMES:
        raise _bad(text, f"Unsupported database '{name}' in URL: {shown(text)}")
    dialect, drivers = _SCHEMES[name]
    if driver not in drivers:
        raise _bad(text, f"Unsupported driver '{driver}' for {dialect} in URL: {shown(text)}")
    if dialect == "sqlite":
        return _parse_sqlalchemy_sqlite(match["rest"], text)
    return _parse_network(dialect, match["rest"], text, plus_is_space=True)


def shown(text: str) -> str:
    """``text`` fit for a message: any userinfo password and ``password=`` value become ``***``.

    Works on malformed URLs too: everything between the first ``:`` of the userinfo and the
    *last* ``@`` is hidden, so a password holding an unescaped ``@`` does not leak.
    """
    text = _PASSWORD_PARAM.sub(r"\g<key>***", text)
    head = re.match(r"^(?:jdbc:)?[A-Za-z][A-Za-z0-9+.-]*:(?://)?", text)
    start = head.end() if head else 0
    rest = text[start:]
    at = rest.rfind("@")
    if at >= 0:
        userinfo, tail = rest[:at], rest[at + 1 :]
        user, colon, _ = userinfo.partition(":")
        rest = f"{user}:***@{tail}" if colon else f"{user}@{tail}"
    return redact_url(text[:start] + rest)


def _bad(text: str, message: str) -> ConfigError:
    return ConfigError(message, hint=ACCEPTED_FORMS, url=shown(text))


def _parse_jdbc(stripped: str, text: str) -> DatabaseUrl:
    kind, sep, rest = stripped[5:].partition(":")
    dialect = _JDBC.get(kind.lower())
    if not sep or dialect is None:
        raise _bad(text, f"Unsupported JDBC URL: {shown(text)}")
    if dialect == "sqlite":
        return _parse_jdbc_sqlite(rest, text)
    if rest.startswith("//"):
        return _parse_network(dialect, rest[2:], text, plus_is_space=False)
    if dialect == "postgresql" and rest and not rest.startswith("/"):
        # jdbc:postgresql:dbname means localhost, default port.
        return _parse_network(dialect, "/" + rest, text, plus_is_space=False)
    raise _bad(text, f"JDBC URL lacks '//host': {shown(text)}")


def _parse_network(dialect: str, rest: str, text: str, *, plus_is_space: bool) -> DatabaseUrl:
    match = _NETWORK.match(rest)
    if match is None:
        raise _bad(text, f"Malformed database URL: {shown(text)}")
    params = _parse_query(match["query"], text, plus_is_space=plus_is_space)
    host = match["ipv6"] or _decode(match["host"], text) or None
    if host is not None and "," in host:
        raise _bad(text, f"Several hosts in one URL are not supported: {shown(text)}")
    user = _decode(match["user"], text) if match["user"] is not None else None
    password = _decode(match["password"], text) if match["password"] is not None else None
    params, user, password, socket = _take_credentials(dialect, params, user, password)
    database = _decode(match["database"], text) if match["database"] else None
    return DatabaseUrl(
        dialect=dialect,
        host=host,
        port=_port(match["port"], text),
        database=database,
        user=user or None,
        password=password,
        params=params,
        original=text,
        unix_socket=socket,
    )


def _take_credentials(
    dialect: str, params: tuple[tuple[str, str], ...], user: str | None, password: str | None
) -> tuple[tuple[tuple[str, str], ...], str | None, str | None, str | None]:
    """Move ``user``/``password``/socket parameters out of ``params`` (userinfo wins over them)."""
    kept: list[tuple[str, str]] = []
    socket: str | None = None
    for key, value in params:
        if key == "user":
            user = user or value
        elif key == "password":
            password = password if password is not None else value
        elif key in _SOCKET_PARAMS:
            socket = value
        elif key == "host" and dialect == "postgresql" and value.startswith("/"):
            socket = value  # libpq: a host that is a directory names the socket directory
        else:
            kept.append((key, value))
    return tuple(kept), user, password, socket


def _parse_query(query: str | None, text: str, *, plus_is_space: bool) -> tuple[tuple[str, str], ...]:
    if not query:
        return ()
    params: list[tuple[str, str]] = []
    for part in query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        if plus_is_space:
            key, value = key.replace("+", " "), value.replace("+", " ")
        name = _decode(key, text)
        if not _PARAM_NAME.match(name):
            # Not echoed: a stray '@' or '?' here usually means a password was not escaped.
            raise _bad(text, f"Invalid URL parameter name in: {shown(text)}")
        params.append((name, _decode(value, text)))
    return tuple(params)


def _port(raw: str | None, text: str) -> int | None:
    if raw is None:
        return None
    # The raw text is not echoed: in a malformed URL it may be the start of a password.
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise _bad(text, f"Invalid port in database URL: {shown(text)}")
    return int(raw)


def _decode(raw: str, text: str) -> str:
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise _bad(text, f"Invalid percent-encoding in database URL: {shown(text)}") from None


def _parse_sqlalchemy_sqlite(rest: str, text: str) -> DatabaseUrl:
    """``sqlite://`` (memory), ``sqlite:///rel.db``, ``sqlite:////abs.db``, ``sqlite:///:memory:``."""
    path, _, query = rest.partition("?")
    if path and not path.startswith("/"):
        raise _bad(text, f"SQLite URLs have no host; write three slashes before the path: {shown(text)}")
    database = _decode(path[1:], text) or ":memory:"
    params = _parse_query(query, text, plus_is_space=True)
    return DatabaseUrl(dialect="sqlite", database=database, params=params, original=text)


def _parse_jdbc_sqlite(rest: str, text: str) -> DatabaseUrl:
    """``jdbc:sqlite:/abs.db``, ``jdbc:sqlite:rel.db``, ``jdbc:sqlite::memory:``; empty = memory."""
    path, _, query = rest.partition("?")
    database = _decode(path, text) or ":memory:"
    params = _parse_query(query, text, plus_is_space=False)
    return DatabaseUrl(dialect="sqlite", database=database, params=params, original=text)
