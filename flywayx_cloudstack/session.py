"""The database session CloudStack's management server upgrades in, as Flyway's ``initSql``.

CloudStack opens its upgrade connections with the JDBC parameters of ``db.cloud.url.params`` in its
``db.properties`` (source tree: ``utils/conf/db.properties``; installed: ``/etc/cloudstack/management``):
``sessionVariables=sql_mode='…'`` sets the session's ``sql_mode`` (which every stored routine then
keeps, and which decides how zero dates and division by zero behave) and ``serverTimezone=UTC`` makes
the driver write and read date values as UTC. ``init_sql_from_properties`` turns those parameters
into one ``SET SESSION`` statement; the importer writes it into the generated ``flyway.toml``.

The statement starts with ``MARKER``. ``effective_init_sql`` replaces a statement bearing it with the
one built from ``$CLOUDSTACK_CONF_DIR/db.properties`` when that variable is set, so an operator's own
settings win over the source tree's; an ``initSql`` the operator wrote (no marker) is never touched.
Pure apart from reading that one file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from flywayx.errors import ConfigError

MARKER = "/* cloudstack db.properties */"
CONF_ENV = "CLOUDSTACK_CONF_DIR"
PARAMS_KEY = "db.cloud.url.params"
# What utils/conf/db.properties of apache/cloudstack main (3d6cafe) sets; used only when a source
# tree has no db.properties (the importer then says so in its report).
DEFAULT_PARAMS = (
    "sessionVariables=sql_mode='STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
    "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'&serverTimezone=UTC"
)
_UTC = {"utc", "gmt", "z", "etc/utc", "+00:00"}
_SAFE = re.compile(r"^[A-Za-z0-9_,:+\-/ ]*$")


def read_properties(text: str) -> dict[str, str]:
    """Java ``.properties`` text -> {key: value} (comments, ``\\`` continuations, ``=``/``:``)."""
    lines, merged = text.splitlines(), []
    buffer = ""
    for line in lines:
        stripped = line.lstrip()
        if not buffer and (not stripped or stripped[0] in "#!"):
            continue
        if stripped.endswith("\\") and not stripped.endswith("\\\\"):
            buffer += stripped[:-1]
            continue
        merged.append(buffer + stripped)
        buffer = ""
    if buffer:
        merged.append(buffer)
    found: dict[str, str] = {}
    for line in merged:
        match = re.match(r"^([^=:\s]+)\s*[=:\s]\s*(.*)$", line)
        if match:
            found[match.group(1)] = match.group(2).strip()
    return found


def _split_outside_quotes(text: str, sep: str) -> list[str]:
    parts, current, quote = [], "", ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == sep:
            parts.append(current)
            current = ""
            continue
        current += ch
    return [*parts, current]


def session_settings(params: str) -> dict[str, str]:
    """JDBC URL parameters -> the session variables they set (``sql_mode``, ``time_zone``)."""
    settings: dict[str, str] = {}
    for pair in params.split("&"):
        name, _, value = pair.partition("=")
        if name == "sessionVariables":
            for assignment in _split_outside_quotes(value, ","):
                var, _, val = assignment.partition("=")
                if var.strip():
                    settings[var.strip().lower()] = val.strip().strip("'\"")
        elif name in ("serverTimezone", "connectionTimeZone") and value:
            settings["time_zone"] = "+00:00" if value.lower() in _UTC else value
    return settings


def init_sql(settings: Mapping[str, str], origin: str) -> str:
    """``SET SESSION`` for ``settings``; ConfigError when a value could inject SQL."""
    bad = [k for k, v in settings.items() if not _SAFE.match(v) or not re.match(r"^[a-z_]+$", k)]
    if bad:
        raise ConfigError(
            f"{origin}: unusable session variable {bad[0]!r} in {PARAMS_KEY}",
            hint="sql_mode and time zone values hold letters, digits, commas, ':', '+', '-' and '/'",
        )
    assignments = ", ".join(f"{k} = '{v}'" for k, v in settings.items())
    return f"{MARKER} SET SESSION {assignments}" if assignments else ""


def init_sql_from_properties(text: str, origin: str) -> str:
    """``initSql`` for the ``db.properties`` text ``text`` (``origin`` names it in errors)."""
    params = read_properties(text).get(PARAMS_KEY)
    if params is None:
        raise ConfigError(
            f"{origin} has no {PARAMS_KEY}",
            hint="CloudStack's db.properties sets the cloud database's JDBC parameters there",
        )
    return init_sql(session_settings(params), origin)


def default_init_sql() -> str:
    """The statement for CloudStack's shipped settings (``DEFAULT_PARAMS``)."""
    return init_sql(session_settings(DEFAULT_PARAMS), "CloudStack's default db.properties")


def effective_init_sql(configured: str | None, env: Mapping[str, str]) -> str | None:
    """``configured``, or the operator's session when it came from the importer and
    ``CLOUDSTACK_CONF_DIR`` is set (ConfigError when that directory has no readable db.properties)."""
    conf_dir = env.get(CONF_ENV)
    if not configured or not conf_dir or not configured.lstrip().startswith(MARKER):
        return configured
    path = Path(conf_dir) / "db.properties"
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        raise ConfigError(
            f"{CONF_ENV} is set but {path} cannot be read: {err.strerror}",
            hint=f"point {CONF_ENV} at the directory holding CloudStack's db.properties, or unset it "
            "to use the session written by flywayx import acs",
        ) from None
    return init_sql_from_properties(text, str(path))
