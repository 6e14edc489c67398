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

import dataclasses
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flywayx.config import values
from flywayx.config.files import Setting
from flywayx.config.keys import BY_KEY, CLI, ENVIRONMENT, config_reference, spec_for
from flywayx.config.layers import (
    CONF,
    TOML,
    choose_files,
    cli_settings,
    conf_encoding,
    env_settings,
    flyway_env_key,
    load_file,
    working_directory,
)
from flywayx.config.urls import parse_url
from flywayx.errors import ConfigError, UsageError
from flywayx.model.config import Config, DatabaseUrl

__all__ = ["choose_files", "config_reference", "flyway_env_key", "load_config", "split_flyway_args"]

_PLACEHOLDER = BY_KEY["placeholders.*"]
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
    working = working_directory(cli, cwd)
    mode, paths = choose_files(cli=cli, env=env, cwd=cwd, home=home, working=working, extra=config_files)
    layers = [load_file(path, mode, env, conf_encoding(cli, env)) for path in paths]
    effective = _effective(mode, layers, env_settings(env, mode), cli_settings(cli))
    fields = _typed_fields(effective, mode, env)
    return _finish(fields, cli, working)


@dataclass(frozen=True)
class _Entry:
    """An effective value: its Flyway key, the name errors show, the raw setting, and where it sat
    (``flyway`` = top level or conf, ``environment`` = [environments.<env>], ``environment.flyway``)."""

    key: str
    shown: str
    setting: Setting
    place: str = "flyway"


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
            top["environment"],
            hint=_known_environments(merged),
        )
    entries = {k: _Entry(k, prefix + k, s, ENVIRONMENT) for k, s in chosen.items()}
    # -url / FLYWAY_URL: shown as Flyway names them, though they land in the environment.
    entries.update({k: _Entry(k, f"flyway.{k}", s, ENVIRONMENT) for k, s in active.items()})
    entries.update(
        {
            k[len(prefix) :]: _Entry(k[len(prefix) :], k, s, ENVIRONMENT)
            for k, s in named.items()
            if k.startswith(prefix)
        }
    )
    out = {k: _Entry(k, f"flyway.{k}", s) for k, s in top.items()}
    for key, entry in entries.items():
        if key.startswith("flyway."):
            out[key[len("flyway.") :]] = _Entry(key[len("flyway.") :], entry.shown, entry.setting, "override")
        else:
            out[key] = entry
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
    if fields.get("url") is not None:
        fields["url"] = _with_jdbc_timeouts(fields["url"], fields["extra"])
    return fields


_DRIVER_TIMEOUTS = ("connectTimeout", "socketTimeout")


def _with_jdbc_timeouts(url: DatabaseUrl, extra: tuple[tuple[str, str], ...]) -> DatabaseUrl:
    """``jdbcProperties.connectTimeout``/``socketTimeout`` are the driver's properties, as the same
    parameters in the URL are (in the driver's unit: Connector/J milliseconds, PgJDBC seconds): they
    join the URL's parameters, where ``db/timeouts.py`` reads them; a parameter in the URL wins, as a
    JDBC driver lets it."""
    given = {k.split(".", 1)[1].lower(): v for k, v in extra if k.startswith("jdbcProperties.")}
    present = {k.lower() for k, _ in url.params}
    added = tuple(
        (name, given[name.lower()])
        for name in _DRIVER_TIMEOUTS
        if name.lower() in given and name.lower() not in present
    )
    return dataclasses.replace(url, params=url.params + added) if added else url


def _keys_of(problems: list[ConfigError]) -> set[str]:
    return {str(p.details["key"]) for p in problems if p.details.get("key")}


def _unknown_keys(effective: dict[str, _Entry], mode: str) -> list[ConfigError]:
    problems: list[ConfigError] = []
    for key, entry in sorted(effective.items()):
        spec = spec_for(key)
        misplaced = mode == TOML and spec is not None and _misplaced(spec.level, entry.place)
        if spec is None or spec.level == CLI or misplaced:
            hint = _unknown_hint(key, spec.level if spec and misplaced else None)
            problems.append(
                values.problem(
                    f"Unknown configuration property: {entry.shown}. "
                    "Please check your conf files or commandline parameters",
                    entry.setting,
                    hint=hint,
                    key=key,
                )
            )
    return problems


def _misplaced(level: str, place: str) -> bool:
    """A connection key in [flyway], or a [flyway] key directly in [environments.<name>]."""
    return place != ENVIRONMENT if level == ENVIRONMENT else place == ENVIRONMENT


def _unknown_hint(key: str, misplaced_level: str | None) -> str | None:
    if misplaced_level == ENVIRONMENT:
        return f"{key} belongs in [environments.<name>], not in [flyway]"
    if misplaced_level is not None:
        return f"{key} belongs in [flyway] or [environments.<name>.flyway]"
    import difflib  # only for a key it does not know

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
        try:
            return parse_url(text) if text else None
        except ConfigError as exc:  # add where the URL was set; parse_url cannot know
            raise values.problem(exc.message, setting, hint=exc.hint, url=exc.details.get("url")) from None
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


def _with_source(problem: ConfigError) -> str:
    source = problem.details.get("source")
    return f"{problem.message} (set in {source})" if source else problem.message


def _raise_all(problems: list[ConfigError]) -> None:
    if not problems:
        return
    first = problems[0]
    if len(problems) == 1:
        raise first
    others = "; ".join(_with_source(p) for p in problems[1:])
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
