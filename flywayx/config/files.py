"""Parsers for Flyway configuration files: legacy ``flyway.conf`` and ``flyway.toml``.

Both take text and return flat settings ``{dotted key: Setting}``; nothing here reads a file
except ``read_config_file``. Conf keys keep their ``flyway.`` prefix; TOML is flattened to
``flyway.<key>``, ``environments.<env>.<key>`` and ``environments.<env>.flyway.<key>``, with
placeholder and jdbcProperties tables becoming ``….placeholders.<name>`` keys.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from flywayx.errors import ConfigError

Value = str | bool | int | float | list[str]


class Setting(NamedTuple):
    """A raw value and where it came from (``file:line``, ``environment variable X``, ``-key``)."""

    value: Value
    origin: str


_ENV_REF = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
_KEY_VALUE = re.compile(r"^(?P<key>[^=:\s]*)\s*[=:]?\s*(?P<value>.*)$", re.S)


def parse_conf(text: str, env: Mapping[str, str], source: str) -> dict[str, Setting]:
    """Parse Java-properties text the way Flyway reads ``flyway.conf``.

    Flyway doubles every backslash before loading, so backslashes are literal (Windows paths
    work) except one trailing ``\\`` whose next line has content: that continues the line.
    ``${VAR}`` is replaced from ``env`` (unset -> empty). Only ``flyway.*`` keys are kept; later
    duplicates win. Comment lines start with ``#`` or ``!``.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    settings: dict[str, Setting] = {}
    index = 0
    while index < len(lines):
        first = index
        logical = lines[index].strip()
        index += 1
        if not logical or logical[0] in "#!":
            continue
        while logical.endswith("\\") and index < len(lines) and _continues(lines[index]):
            logical = logical[:-1] + lines[index].strip()
            index += 1
        logical = _ENV_REF.sub(lambda m: env.get(m[1], ""), logical)
        match = _KEY_VALUE.match(logical)
        if match and match["key"].startswith("flyway."):
            settings[match["key"]] = Setting(match["value"], f"{source}:{first + 1}")
    return settings


def _continues(next_line: str) -> bool:
    """Flyway's look-ahead: a trailing backslash continues unless the next line is blank or a new key."""
    stripped = next_line.strip()
    return bool(stripped) and not (stripped.startswith("flyway.") and "=" in stripped)


def parse_toml(text: str, source: str) -> dict[str, Setting]:
    """Parse ``flyway.toml`` text into flat settings; ``ConfigError`` on bad syntax or shape.

    Root tables other than ``[flyway]`` and ``[environments]`` are ignored (Flyway reads them as
    plugin namespaces).
    """
    import tomllib  # only a project with a flyway.toml parses TOML

    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(str(exc), source) from None
    except RecursionError:
        raise _too_deep(source) from None
    try:
        return _settings(document, text, source)
    except RecursionError:  # hostile nesting of tables (a 20,000-part dotted key, say)
        raise _too_deep(source) from None


def _too_deep(source: str) -> ConfigError:
    return ConfigError(
        "Error parsing config file: tables or arrays nested too deeply", hint=f"in {source}", source=source
    )


def _settings(document: dict[str, Any], text: str, source: str) -> dict[str, Setting]:
    lines = _key_lines(text)
    settings: dict[str, Setting] = {}
    flyway = document.get("flyway", {})
    _require_table(flyway, "flyway", source)
    _flatten(flyway, "flyway", settings, source, lines)
    environments = document.get("environments", {})
    _require_table(environments, "environments", source)
    for name, body in environments.items():
        _require_table(body, f"environments.{name}", source)
        _flatten(body, f"environments.{name}", settings, source, lines)
    return settings


def _syntax_error(message: str, source: str) -> ConfigError:
    where = re.search(r"\(at line (\d+), column (\d+)\)", message)
    reason = re.sub(r"\s*\(at .*\)$", "", message)
    at = f" at [line {where[1]}, column {where[2]}]" if where else ""
    return ConfigError(
        f"Error parsing config file{at}: {reason}",
        hint=f"in {source}",
        source=source,
        line=int(where[1]) if where else None,
    )


def _require_table(value: object, path: str, source: str) -> None:
    if not isinstance(value, dict):
        raise ConfigError(f"Error parsing config file: `{path}` must be a table", hint=f"in {source}", source=source)


def _flatten(
    table: dict[str, object], prefix: str, out: dict[str, Setting], source: str, lines: dict[str, int]
) -> None:
    for key, value in table.items():
        path = f"{prefix}.{key}"
        if isinstance(value, dict):
            _flatten(value, path, out, source, lines)
            continue
        line = lines.get(path)
        origin = f"{source}:{line}" if line else source
        out[path] = Setting(_toml_value(value, path, source), origin)


def _toml_value(value: object, path: str, source: str) -> Value:
    if isinstance(value, list):
        if any(isinstance(item, dict | list) for item in value):
            raise ConfigError(
                f"Error parsing config file due to a mismatched data type, caused by `{path}` namespace",
                hint=f"use an array of strings; in {source}",
                source=source,
            )
        return [_scalar_text(item) for item in value]
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    assert isinstance(value, str | bool | int | float)
    return value


def _scalar_text(item: object) -> str:
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, datetime.date | datetime.time):
        return item.isoformat()
    return str(item)


_HEADER = re.compile(r"^\s*\[\[?\s*(?P<name>[^\]]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGN = re.compile(r"^\s*(?P<key>[A-Za-z0-9_.\-\"' ]+?)\s*=")


def _key_lines(text: str) -> dict[str, int]:
    """Best-effort map ``dotted.key -> line number`` for error messages (TOML has no positions)."""
    found: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = _unquote_path(header["name"])
            continue
        assign = _ASSIGN.match(line)
        if assign:
            key = _unquote_path(assign["key"])
            found.setdefault(f"{table}.{key}" if table else key, number)
    return found


def _unquote_path(text: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in text.split("."))


def read_config_file(path: Path, encoding: str = "utf-8") -> str:
    """The text of one config file; ``ConfigError`` (Flyway's message) if it cannot be read."""
    try:
        return path.read_text(encoding=encoding)
    except PermissionError:
        raise unreadable(path) from None
    except (OSError, UnicodeDecodeError, LookupError) as exc:
        raise ConfigError(
            f"Unable to load config file: {path}", hint=f"{type(exc).__name__}: {exc}", source=str(path)
        ) from None


def unreadable(path: Path) -> ConfigError:
    """The error for a config file this user may not read (the file, or a folder above it)."""
    return ConfigError(
        f"Unable to load config file: {path}: permission denied",
        hint="this user cannot read the file or a folder above it: fix the permissions "
        "(chmod/chown), or move the file away if it is not meant for this user",
        source=str(path),
    )
