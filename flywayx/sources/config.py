"""Load the effective configuration exactly as the Flyway 13 command line does.

Precedence, lowest first: config files (TOML *or* legacy .conf, never both), then ``FLYWAY_*``
environment variables, then command-line keys. Files are read in Flyway's order:
``~/flyway.toml``, ``~/flyway.user.toml``, ``./flyway.toml``, ``./flyway.user.toml``, the same two
in ``workingDirectory``, then ``FLYWAY_CONFIG_FILES``, then ``-configFiles`` (for .conf:
``~/flyway.conf``, ``./flyway.conf``, ``<workingDirectory>/flyway.conf``, then the named ones).

In TOML mode connection keys (url, user, password, schemas, …) live in
``[environments.<name>]``; ``FLYWAY_URL`` and ``-url=`` are merged into the *active* environment
(``environment``, default ``default``), and ``[environments.<name>.flyway]`` overrides ``[flyway]``
whatever layer set the latter, as in Flyway. ``${env.VAR}`` resolvers apply in TOML mode only;
``${VAR}`` expansion in .conf files only.

Relative ``filesystem:`` locations become absolute against ``workingDirectory`` when it is set;
otherwise they stay relative, i.e. relative to the process working directory (Flyway resolves
them the same way; the directory of the file that named them plays no part).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flywayx.errors import ConfigError, UsageError
from flywayx.model.config import Config
from flywayx.sources import config_values as values
from flywayx.sources.config_files import Setting, parse_conf, parse_toml, read_config_file
from flywayx.sources.config_keys import (
    BY_ENV,
    BY_KEY,
    CLI,
    ENVIRONMENT,
    JDBC_PROPERTY_ENV_NAMES,
    spec_for,
)
from flywayx.sources.urls import parse_url

TOML, CONF = "toml", "conf"
_PLACEHOLDER = BY_KEY["placeholders.*"]
_ENV_NOT_SETTINGS = ("FLYWAY_CONFIG_FILES", "FLYWAY_CONFIG_FILE_ENCODING")
_ENV_FAMILIES = (("FLYWAY_PLACEHOLDERS_", "placeholders"), ("FLYWAY_JDBC_PROPERTIES_", "jdbcProperties"))
_CLI_ONLY = ("configFiles", "configFileEncoding", "workingDirectory", "outputFile")
_PLACEHOLDER_KEY = re.compile(r"^((?:environments\.[^.]+\.)?flyway\.placeholders\.)(.+)$", re.S)
_OPTION = re.compile(r"^-(?P<key>[A-Za-z][A-Za-z0-9_.\-]*)=(?P<value>.*)$", re.S)


def split_flyway_args(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """Pull Flyway-style ``-key=value`` options out of ``argv``; return (the rest, {key: value}).

    ``-url=jdbc:…``, ``-placeholders.x=v``, ``-outputType=json`` are options; ``-X``, ``--to=1``
    (click's own) and anything after a bare ``--`` are left in place, in order. The same key
    twice is a ``UsageError`` (Flyway rejects it too).
    """
    rest: list[str] = []
    options: dict[str, str] = {}
    for position, arg in enumerate(argv):
        if arg == "--":
            rest.extend(argv[position:])
            break
        match = _OPTION.match(arg)
        if match is None:
            rest.append(arg)
            continue
        if match["key"] in options:
            raise UsageError(f"Configuration option given twice: -{match['key']}", hint="give it once")
        options[match["key"]] = match["value"]
    return rest, options


def load_config(
    *,
    cli: Mapping[str, str],
    env: Mapping[str, str],
    cwd: Path,
    home: Path | None,
    config_files: Sequence[str] = (),
) -> Config:
    """Build the effective ``Config`` from files, environment and command line (see module doc).

    ``cli`` holds Flyway camelCase keys as given (``url``, ``outOfOrder``, ``placeholders.x``,
    ``environments.prod.url``, ``configFiles``, ``workingDirectory``); ``config_files`` are
    loaded after ``-configFiles``. Raises ``ConfigError`` naming the file and line when known.
    """
    working = _working_directory(cli, cwd)
    mode, paths = choose_files(cli=cli, env=env, cwd=cwd, home=home, working=working, extra=config_files)
    layers = [_load_file(path, mode, env, _conf_encoding(cli, env)) for path in paths]
    effective = _effective(mode, layers, _env_settings(env, mode), _cli_settings(cli))
    fields = _typed_fields(effective, mode, env)
    return _finish(fields, cli, working)


@dataclass(frozen=True)
class _Entry:
    """An effective value: its Flyway key, the name errors show, the raw setting."""

    key: str
    shown: str
    setting: Setting


# ---------------------------------------------------------------- which files
def choose_files(
    *, cli: Mapping[str, str], env: Mapping[str, str], cwd: Path, home: Path | None,
    working: Path | None, extra: Sequence[str] = (),
) -> tuple[str, list[Path]]:
    """Decide TOML or .conf mode as Flyway does and list the files to read, lowest precedence first.

    Explicitly named files (``-configFiles``, ``FLYWAY_CONFIG_FILES``, ``extra``) must exist.
    """
    base = working or cwd
    named = [_absolute(p, base) for p in [*values.as_list(cli.get("configFiles", "")), *extra]]
    from_env = [_absolute(p, base) for p in values.as_list(env.get("FLYWAY_CONFIG_FILES", ""))]
    for path in [*named, *from_env]:
        if not path.is_file():
            hint = "the file is named by -configFiles or FLYWAY_CONFIG_FILES"
            raise ConfigError(f"Unable to load config file: {path}", hint=hint)
    mode = _mode(named, from_env, _defaults(TOML, home, cwd, working), _defaults(CONF, home, cwd, working))
    files = [p for p in _defaults(mode, home, cwd, working) if p.is_file()]
    explicit = [p for p in [*from_env, *named] if (p.suffix == ".toml") == (mode == TOML)]
    return mode, files + explicit


def _mode(named: list[Path], from_env: list[Path], toml: list[Path], conf: list[Path]) -> str:
    for group, strict in ((named, True), (from_env, True), ([*toml, *conf], False)):
        tomls = [p for p in group if p.suffix == ".toml" and p.is_file()]
        confs = [p for p in group if p.suffix != ".toml" and p.is_file()]
        if tomls and confs and strict:
            raise ConfigError(
                "Using both TOML configuration and CONF configuration is not supported. "
                "Please remove the CONF configuration files.",
                hint=f"TOML files: {', '.join(map(str, tomls))}; CONF files: {', '.join(map(str, confs))}",
            )
        if tomls:
            return TOML
        if confs:
            return CONF
    return TOML


def _defaults(mode: str, home: Path | None, cwd: Path, working: Path | None) -> list[Path]:
    names = ("flyway.toml", "flyway.user.toml") if mode == TOML else ("flyway.conf",)
    folders = [d for d in (home, cwd, working) if d is not None]
    return [folder / name for folder in folders for name in names]


def _absolute(path: str, base: Path) -> Path:
    return Path(os.path.join(base, os.path.expanduser(path)))


def _working_directory(cli: Mapping[str, str], cwd: Path) -> Path | None:
    given = cli.get("workingDirectory", "")
    return Path(os.path.join(cwd, given)) if given else None


def _conf_encoding(cli: Mapping[str, str], env: Mapping[str, str]) -> str:
    return env.get("FLYWAY_CONFIG_FILE_ENCODING") or cli.get("configFileEncoding") or "UTF-8"


def _load_file(path: Path, mode: str, env: Mapping[str, str], encoding: str) -> dict[str, Setting]:
    if mode == TOML:
        return parse_toml(read_config_file(path), str(path))
    return parse_conf(read_config_file(path, encoding), env, str(path))


# ---------------------------------------------------------------- environment and command line
def _env_settings(env: Mapping[str, str], mode: str) -> dict[str, Setting]:
    """``FLYWAY_*`` variables as ``flyway.<key>`` settings; in TOML mode also ``flyway_*`` and
    ``environments_*`` (``_`` meaning ``.``), which win over the ``FLYWAY_*`` spelling."""
    out: dict[str, Setting] = {}
    for name in sorted(env):
        key = flyway_env_key(name)
        if key is not None:
            out[f"flyway.{key}"] = Setting(env[name], f"environment variable {name}")
    if mode == TOML:
        for name in sorted(env):
            if name.startswith(("flyway_", "environments_")):
                out[name.replace("_", ".")] = Setting(env[name], f"environment variable {name}")
    return out


def flyway_env_key(name: str) -> str | None:
    """The Flyway key an environment variable sets (``FLYWAY_OUT_OF_ORDER`` -> ``outOfOrder``), or None.

    Only Flyway's own list of names counts (``ConfigUtils#convertKey``); others are ignored.
    """
    if name in _ENV_NOT_SETTINGS:
        return None
    if name in BY_ENV:
        return BY_ENV[name].key
    for prefix, family in _ENV_FAMILIES:
        if name.startswith(prefix) and len(name) > len(prefix):
            suffix = name[len(prefix) :]
            if family == "jdbcProperties" and suffix in JDBC_PROPERTY_ENV_NAMES:
                return f"{family}.{JDBC_PROPERTY_ENV_NAMES[suffix]}"
            return f"{family}.{suffix.lower()}"
    return None


def _cli_settings(cli: Mapping[str, str]) -> dict[str, Setting]:
    out: dict[str, Setting] = {}
    for key, value in cli.items():
        if key in _CLI_ONLY:
            continue
        full = key if key.startswith("environments.") else f"flyway.{key}"
        out[full] = Setting(value, f"command line -{key}")
    return out


# ---------------------------------------------------------------- merging
def _effective(
    mode: str, files: list[dict[str, Setting]], env: dict[str, Setting], cli: dict[str, Setting]
) -> dict[str, _Entry]:
    """Merge the layers and pick the active environment: {Flyway key: entry}."""
    merged: dict[str, Setting] = {}
    for layer in files:
        merged.update({_normal(k): s for k, s in layer.items()})
    active: dict[str, Setting] = {}  # connection keys from env/cli, for whichever env is active
    named_envs: dict[str, Setting] = {}  # -environments.<name>.<key>, applied last
    for layer, is_cli in ((env, False), (cli, True)):
        for key, setting in ((_normal(k), s) for k, s in layer.items()):
            name = key[len("flyway.") :] if key.startswith("flyway.") else None
            if is_cli and key.startswith("environments."):
                named_envs[key] = setting
            elif mode == TOML and name is not None and _is_connection_key(name):
                active[name] = setting
            else:
                merged[key] = setting
    top = {k[len("flyway.") :]: s for k, s in merged.items() if k.startswith("flyway.")}
    if mode == CONF:
        return {k: _Entry(k, f"flyway.{k}", s) for k, s in top.items()}
    return _toml_effective(merged, top, active, named_envs)


def _normal(key: str) -> str:
    """Placeholder names are case-insensitive: lower-case them so the later layer wins outright."""
    match = _PLACEHOLDER_KEY.match(key)
    return match[1] + match[2].lower() if match else key


def _toml_effective(
    merged: dict[str, Setting], top: dict[str, Setting], active: dict[str, Setting], named: dict[str, Setting]
) -> dict[str, _Entry]:
    env_name = str(top["environment"].value) if "environment" in top else "default"
    prefix = f"environments.{env_name}."
    chosen = {k[len(prefix) :]: s for k, s in merged.items() if k.startswith(prefix)}
    exists = bool(chosen or active) or any(k.startswith(prefix) for k in named)
    if env_name != "default" and not exists:
        raise values.problem(
            f"Environment '{env_name}' not found. Check that this environment exists in your configuration.",
            top["environment"], hint=_known_environments(merged),
        )
    chosen.update(active)
    chosen.update({k[len(prefix) :]: s for k, s in named.items() if k.startswith(prefix)})
    out = {k: _Entry(k, f"flyway.{k}", s) for k, s in top.items()}
    for key, setting in chosen.items():
        if key.startswith("flyway."):
            out[key[len("flyway.") :]] = _Entry(key[len("flyway.") :], prefix + key, setting)
        else:
            out[key] = _Entry(key, prefix + key, setting)
    return out


def _known_environments(merged: Mapping[str, Setting]) -> str:
    names = sorted({k.split(".")[1] for k in merged if k.startswith("environments.") and k.count(".") >= 2})
    return f"environments defined: {', '.join(names)}" if names else "no [environments.<name>] table exists"


def _is_connection_key(key: str) -> bool:
    spec = spec_for(key)
    return spec is not None and spec.level == ENVIRONMENT


# ---------------------------------------------------------------- typing
def _typed_fields(effective: dict[str, _Entry], mode: str, env: Mapping[str, str]) -> dict[str, Any]:
    """Check every key and type every value; all problems are collected, then reported once."""
    problems: list[ConfigError] = _unknown_keys(effective, mode)
    fields: dict[str, Any] = {}
    placeholders, extra = _families(effective, mode, env, problems)
    rejected = _keys_of(problems)
    for key, entry in sorted(effective.items()):
        spec = spec_for(key)
        if spec is None or spec.kind == "map" or key in rejected:
            continue
        try:
            value = entry.setting.value
            if mode == TOML:
                value = values.resolve(spec, entry.setting, value, env, dict(placeholders))
            typed = _typed(spec.kind, entry, value)
            if spec.nonempty and typed == "":
                raise values.problem(f"{key} cannot be empty!", entry.setting)
        except ConfigError as exc:
            problems.append(exc)
            continue
        if spec.field is None:
            extra.append((key, ",".join(typed) if isinstance(typed, tuple) else _plain(typed)))
        else:
            fields[spec.field] = typed
    _raise_all(problems)
    fields["placeholders"] = tuple(sorted(placeholders.items()))
    fields["extra"] = tuple(sorted(extra))
    return fields


def _keys_of(problems: list[ConfigError]) -> set[str]:
    return {str(p.details["key"]) for p in problems if p.details.get("key")}


def _unknown_keys(effective: dict[str, _Entry], mode: str) -> list[ConfigError]:
    problems: list[ConfigError] = []
    for key, entry in sorted(effective.items()):
        spec = spec_for(key)
        misplaced = mode == TOML and spec is not None and spec.level == ENVIRONMENT
        misplaced = misplaced and entry.shown.startswith("flyway.")
        if spec is None or spec.level == CLI or misplaced:
            hint = _unknown_hint(key, misplaced)
            problems.append(
                values.problem(
                    f"Unknown configuration property: {entry.shown}. "
                    "Please check your conf files or commandline parameters",
                    entry.setting, hint=hint, key=key,
                )
            )
    return problems


def _unknown_hint(key: str, misplaced: bool) -> str | None:
    if misplaced:
        return f"{key} belongs in [environments.<name>], not in [flyway]"
    close = difflib.get_close_matches(key, list(BY_KEY), n=1)
    return f"did you mean {close[0]}?" if close else None


def _families(
    effective: dict[str, _Entry], mode: str, env: Mapping[str, str], problems: list[ConfigError]
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """``placeholders.*`` by (lower-cased) name, and the other families, which go to ``extra``."""
    placeholders: dict[str, str] = {}
    entries: dict[str, _Entry] = {}
    extra: list[tuple[str, str]] = []
    for key, entry in sorted(effective.items()):
        spec = spec_for(key)
        if spec is None or spec.kind != "map":
            continue
        try:
            text = values.as_text(entry.shown, entry.setting, entry.setting.value)
        except ConfigError as exc:
            problems.append(exc)
            continue
        if spec.field == "placeholders":
            placeholders[key.split(".", 1)[1]] = text
            entries[key.split(".", 1)[1]] = entry
        else:
            extra.append((key, text))
    if mode == TOML:
        raw = dict(placeholders)
        for name, entry in entries.items():
            try:
                placeholders[name] = str(values.resolve(_PLACEHOLDER, entry.setting, raw[name], env, raw))
            except ConfigError as exc:
                problems.append(exc)
    return placeholders, extra


def _typed(kind: str, entry: _Entry, value: Any) -> Any:
    name, setting = entry.shown, entry.setting
    if kind == "list":
        return values.as_list(value)
    if kind == "bool":
        return values.as_bool(name, setting, value)
    if kind == "int":
        return values.as_int(name, setting, value)
    if kind == "float":
        return values.as_seconds(name, setting, value)
    text = values.as_text(name, setting, value)
    if kind == "url":
        return parse_url(text) if text else None
    if kind == "output":
        if text.lower() not in ("json", "text", ""):
            message = f"'{text}' is an invalid value for the -outputType option. Use 'json'."
            raise values.problem(message, setting)
        return text.lower() or "text"
    return text


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _raise_all(problems: list[ConfigError]) -> None:
    if not problems:
        return
    first = problems[0]
    if len(problems) == 1:
        raise first
    others = "; ".join(p.message for p in problems[1:])
    raise ConfigError(
        f"{first.message} (and {len(problems) - 1} more configuration problem(s))",
        hint=f"{first.hint + '; ' if first.hint else ''}also: {others}",
        errors=[p.message for p in problems],
    )


# ---------------------------------------------------------------- final touches
def _finish(fields: dict[str, Any], cli: Mapping[str, str], working: Path | None) -> Config:
    url = fields.get("url")
    if url is not None:
        fields.setdefault("user", url.user)
        fields.setdefault("password", url.password)
    if working is not None:
        fields["working_directory"] = str(working)
        for name in ("locations", "callback_locations"):
            if name in fields or name == "locations":
                fields[name] = tuple(_relocate(loc, working) for loc in fields.get(name, Config.locations))
        if fields.get("releases_file"):
            fields["releases_file"] = os.path.join(working, fields["releases_file"])
    if cli.get("outputFile"):
        fields["output_file"] = cli["outputFile"]
    _check_placeholders(fields)
    return Config(**fields)


def _relocate(location: str, working: Path) -> str:
    """Flyway's makeRelativeLocationsBasedOnWorkingDirectory: only ``filesystem:`` paths move."""
    if not location.startswith("filesystem:"):
        return location
    path = location[len("filesystem:") :]
    return "filesystem:" + (path if os.path.isabs(path) else os.path.join(working, path))


def _check_placeholders(fields: dict[str, Any]) -> None:
    reserved = "flyway" + fields.get("placeholder_separator", Config.placeholder_separator)
    for name, _ in fields["placeholders"]:
        if name.lower().startswith(reserved):
            raise ConfigError(
                f"Invalid placeholder ('{reserved}' prefix is reserved): {name}",
                hint=f"built-in placeholders start with {reserved}; rename yours",
            )
