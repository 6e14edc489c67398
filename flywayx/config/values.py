"""Typing one configuration value: Flyway's boolean/integer rules, lists, and ``${resolver.key}``.

Used by ``flywayx.config.load``; pure functions of their arguments. Error messages are
Flyway's own wording; a secret's value never appears in one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from flywayx.config.files import Setting, Value
from flywayx.config.keys import KeySpec
from flywayx.errors import ConfigError

_INT = re.compile(r"^[+-]?[0-9]+$")
# ${name.key} or ${name.key:filter}; $${…} stands for a literal ${…}. Tighter than Flyway's own
# pattern (which lets the name run across '}'), the same on every well-formed value.
_RESOLVER = re.compile(r"\$(\$?)\{([^.{}$]+)\.([^.{}]+?)\}")
_NESTED = re.compile(r"\$\{[^{}]*\$\{")
_VERBATIM = re.compile(r"^!\{.*\}$", re.S)


def problem(message: str, setting: Setting | None, hint: str | None = None, **details: object) -> ConfigError:
    """A ``ConfigError`` naming where the value was set (file and line when known) in its hint."""
    where = f"set in {setting.origin}" if setting else None
    text = "; ".join(part for part in (where, hint) if part) or None
    return ConfigError(message, hint=text, source=setting.origin if setting else None, **details)


def as_list(value: Value) -> tuple[str, ...]:
    """A TOML array as is; a string split on commas, items trimmed, empty items dropped (Flyway)."""
    items = value if isinstance(value, list) else _text(value).split(",")
    return tuple(item.strip() for item in items if item.strip())


def as_bool(name: str, setting: Setting, value: Value) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value) if not isinstance(value, list) else ",".join(value)
    if isinstance(value, str) and text.lower() in ("true", "false"):
        return text.lower() == "true"
    raise problem(f"Invalid value for {name} (should be either true or false): {text}", setting)


def as_int(name: str, setting: Setting, value: Value) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _INT.match(value):
        number = int(value)
    else:
        number = None
    if number is None or not -(2**31) <= number < 2**31:
        shown = ",".join(value) if isinstance(value, list) else _text(value)
        raise problem(f"Invalid value for {name} (should be an integer): {shown}", setting)
    return number


def as_seconds(name: str, setting: Setting, value: Value) -> float:
    try:
        if isinstance(value, bool | list):
            raise ValueError
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0 or seconds == float("inf"):
        shown = ",".join(value) if isinstance(value, list) else _text(value)
        raise problem(f"Invalid value for {name} (should be a number of seconds): {shown}", setting)
    return seconds


def as_text(name: str, setting: Setting, value: Value) -> str:
    if isinstance(value, list):
        raise problem(
            f"Error parsing config file due to a mismatched data type, caused by `{name}` namespace",
            setting,
            hint="use a single value, not an array",
        )
    return _text(value)


def _text(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def resolve(
    spec: KeySpec, setting: Setting, value: Value, env: Mapping[str, str], placeholders: Mapping[str, str]
) -> Value:
    """Apply TOML-mode resolvers to a string or each string of a list; other values pass through."""
    if isinstance(value, list):
        return [_resolve_text(spec, setting, item, env, placeholders) for item in value]
    if isinstance(value, str):
        return _resolve_text(spec, setting, value, env, placeholders)
    return value


def _resolve_text(
    spec: KeySpec, setting: Setting, text: str, env: Mapping[str, str], placeholders: Mapping[str, str]
) -> str:
    """Flyway's PropertyResolverContext: ``!{…}`` verbatim, ``${env.X}``, ``${placeholder.x}``.

    Like Flyway, the value is stripped of surrounding white space first.
    """
    text = text.strip()
    if _VERBATIM.match(text):
        return text[2:-1]
    if _NESTED.search(text):
        shown = "***" if spec.secret else text
        raise problem(f"Resolvers cannot be nested: {shown}", setting)

    def replace(match: re.Match[str]) -> str:
        if match[1]:
            return match[0][1:]
        name, key = match[2].strip(), match[3]
        key, _, keep = key.partition(":")
        return _filter(_lookup(name, key.strip(), setting, env, placeholders), keep.strip())

    return _RESOLVER.sub(replace, text)


def _lookup(name: str, key: str, setting: Setting, env: Mapping[str, str], placeholders: Mapping[str, str]) -> str:
    if name.lower() == "env":
        if key not in env:
            raise problem(f"Unable to resolve environment variable: '{key}'", setting)
        return env[key]
    if name.lower() == "placeholder":
        if key.lower() not in placeholders:
            raise problem(f"Unable to resolve placeholder: '{key}'", setting)
        return placeholders[key.lower()]
    raise problem(f"Unknown resolver '{name}'", setting, hint="known resolvers: env, placeholder")


def _filter(value: str, keep: str) -> str:
    """Flyway's resolver filter: D digits, A letters, d ASCII digits, a ASCII letters."""
    if not keep:
        return value
    return "".join(
        c
        for c in value
        if ("D" in keep and c.isdigit())
        or ("A" in keep and c.isalpha())
        or ("d" in keep and c.isascii() and c.isdigit())
        or ("a" in keep and c.isascii() and c.isalpha())
    )
