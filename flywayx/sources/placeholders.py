"""Placeholder replacement as Flyway's ``PlaceholderReplacingReader`` does it (§6).

Contract:

* the text is scanned left to right; where the prefix (default ``${``) starts, everything up to the
  next suffix (default ``}``) is the name; the value replaces prefix+name+suffix and is **not**
  rescanned;
* a character that starts the prefix but is not followed by the rest of it is emitted together with
  the characters looked at, unscanned -- so ``$${a}`` stays as it is (Flyway quirk, kept);
* names are looked up case-insensitively; a name may contain newlines;
* an unknown name raises PlaceholderError with Flyway's message (``flyway:`` names get the
  "default placeholder" message);
* a placeholder left open at end of text is looked up with its last ``len(suffix)`` characters
  dropped, as Flyway does (``${abc`` -> ``ab``); when nothing would be left (``${`` at EOF, where
  Flyway crashes) a clean PlaceholderError is raised instead.

Replacement applies to comments and string literals too: it runs on raw text before SQL parsing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from flywayx.errors import PlaceholderError

FLYWAY_NAMESPACE = "flyway"
BUILTIN_NAMES = (
    "defaultSchema",
    "user",
    "database",
    "timestamp",
    "workingDirectory",
    "table",
    "environment",
    "filename",
)


def _lookup(name: str, values: Mapping[str, str], prefix: str, suffix: str, separator: str) -> str:
    value = values.get(name.lower())
    if value is not None:
        return value
    shown = f"{prefix}{name}{suffix}"
    if name.lower().startswith(f"{FLYWAY_NAMESPACE}{separator}"):
        raise PlaceholderError(
            f"Failed to populate value for default placeholder: {shown}",
            hint="this built-in placeholder does not exist; see the list of flyway: placeholders in the documentation",
            placeholder=name,
        )
    raise PlaceholderError(
        f"No value provided for placeholder: {shown}.  Check your configuration!",
        hint=f"define it, e.g. flyway.placeholders.{name}=<value> in the configuration",
        placeholder=name,
    )


def _open_at_eof(text: str, start: int, values: Mapping[str, str], prefix: str, suffix: str, separator: str) -> str:
    """Value for a placeholder whose suffix never comes (see the module docstring)."""
    rest = text[start:]
    if len(rest) < len(suffix) or not rest:
        raise PlaceholderError(
            f"Unterminated placeholder at end of text: {prefix}{rest}",
            hint=f"close the placeholder with '{suffix}' or remove '{prefix}'",
        )
    name = rest[: len(rest) - len(suffix)] if suffix else rest
    return _lookup(name, values, prefix, suffix, separator)


def replace_placeholders(
    text: str, values: Mapping[str, str], prefix: str = "${", suffix: str = "}", separator: str = ":"
) -> str:
    """``text`` with every placeholder replaced by its value (see the module contract)."""
    if not prefix or not suffix:
        raise PlaceholderError(
            "Placeholder prefix and suffix cannot be empty",
            hint="set placeholderPrefix/placeholderSuffix to non-empty strings",
        )
    lowered = {k.lower(): v for k, v in values.items()}
    out: list[str] = []
    i, first = 0, prefix[0]
    while True:
        j = text.find(first, i)
        if j < 0:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:j])
        looked_at = text[j : j + len(prefix)]
        if looked_at != prefix:
            out.append(looked_at)  # not rescanned: Flyway's reader consumed these characters
            i = j + len(looked_at)
            continue
        start = j + len(prefix)
        end = text.find(suffix, start)
        if end < 0:
            out.append(_open_at_eof(text, start, lowered, prefix, suffix, separator))
            return "".join(out)
        out.append(_lookup(text[start:end], lowered, prefix, suffix, separator))
        i = end + len(suffix)


def placeholder_name(name: str, separator: str = ":") -> str:
    """Full name of a built-in, e.g. ``flyway:table`` (the separator is configurable)."""
    return f"{FLYWAY_NAMESPACE}{separator}{name}"


def format_timestamp(moment: datetime) -> str:
    """``${flyway:timestamp}`` format: ``yyyy-MM-dd HH:mm:ss`` in local time."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def builtin_placeholders(
    *,
    default_schema: str | None,
    user: str | None,
    database: str | None,
    timestamp: datetime | str,
    working_directory: str,
    table: str,
    environment: str = "default",
    separator: str = ":",
) -> dict[str, str]:
    """The ``flyway:*`` map except ``filename`` (set per script with ``with_filename``).

    ``timestamp`` is fixed once per run by the caller (a datetime is formatted as Flyway does).
    A value that is unknown (None) is left out, so using it fails with Flyway's message.
    """
    stamp = timestamp if isinstance(timestamp, str) else format_timestamp(timestamp)
    raw = {
        "defaultSchema": default_schema,
        "user": user,
        "database": database,
        "timestamp": stamp,
        "workingDirectory": working_directory,
        "table": table,
        "environment": environment,
    }
    return {placeholder_name(k, separator): v for k, v in raw.items() if v is not None}


def with_filename(values: Mapping[str, str], filename: str, separator: str = ":") -> dict[str, str]:
    """``values`` plus ``flyway:filename`` for one script."""
    return {**values, placeholder_name("filename", separator): filename}


def merge_placeholders(user: Mapping[str, str], builtins: Mapping[str, str]) -> dict[str, str]:
    """User placeholders then built-ins, keyed lower-case; built-ins win a clash, as in Flyway."""
    merged = {k.lower(): v for k, v in user.items()}
    merged.update({k.lower(): v for k, v in builtins.items()})
    return merged
