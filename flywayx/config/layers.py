"""Where configuration comes from: which files (TOML or .conf mode), FLYWAY_* variables, -key options.

Each function returns flat ``{dotted key: Setting}`` layers or paths; merging and typing happen in
``flywayx.config.load``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from flywayx.config.files import Setting, parse_conf, parse_toml, read_config_file, unreadable
from flywayx.config.keys import BY_ENV, JDBC_PROPERTY_ENV_NAMES
from flywayx.config.values import as_list
from flywayx.errors import ConfigError

TOML, CONF = "toml", "conf"
_ENV_NOT_SETTINGS = ("FLYWAY_CONFIG_FILES", "FLYWAY_CONFIG_FILE_ENCODING")
_ENV_FAMILIES = (("FLYWAY_PLACEHOLDERS_", "placeholders"), ("FLYWAY_JDBC_PROPERTIES_", "jdbcProperties"))
_CLI_ONLY = (
    "configFiles",
    "configFileEncoding",
    "workingDirectory",
    "outputFile",
    "infoSinceDate",
    "infoUntilDate",
    "infoSinceVersion",
    "infoUntilVersion",
    "infoOfState",
)


# ---------------------------------------------------------------- which files
def choose_files(
    *,
    cli: Mapping[str, str],
    env: Mapping[str, str],
    cwd: Path,
    home: Path | None,
    working: Path | None,
    extra: Sequence[str] = (),
) -> tuple[str, list[Path]]:
    """Decide TOML or .conf mode as Flyway does and list the files to read, lowest precedence first.

    Explicitly named files (``-configFiles``, ``FLYWAY_CONFIG_FILES``, ``extra``) must exist.
    """
    base = working or cwd
    named = [_absolute(p, base) for p in [*as_list(cli.get("configFiles", "")), *extra]]
    from_env = [_absolute(p, base) for p in as_list(env.get("FLYWAY_CONFIG_FILES", ""))]
    for path in [*named, *from_env]:
        if not _is_file(path):
            hint = "the file is named by -configFiles or FLYWAY_CONFIG_FILES"
            raise ConfigError(f"Unable to load config file: {path}", hint=hint)
    mode = _mode(named, from_env, _defaults(TOML, home, cwd, working), _defaults(CONF, home, cwd, working))
    files = [p for p in _defaults(mode, home, cwd, working) if _is_file(p)]
    explicit = [p for p in [*from_env, *named] if (p.suffix == ".toml") == (mode == TOML)]
    return mode, files + explicit


def _mode(named: list[Path], from_env: list[Path], toml: list[Path], conf: list[Path]) -> str:
    for group, strict in ((named, True), (from_env, True), ([*toml, *conf], False)):
        tomls = [p for p in group if p.suffix == ".toml" and _is_file(p)]
        confs = [p for p in group if p.suffix != ".toml" and _is_file(p)]
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


def _is_file(path: Path) -> bool:
    """Whether ``path`` is a file; a folder on the way this user may not enter is an error naming it
    (never "no such file": the user's settings would be ignored without a word)."""
    try:
        return path.is_file()
    except PermissionError:
        raise unreadable(path) from None


def _defaults(mode: str, home: Path | None, cwd: Path, working: Path | None) -> list[Path]:
    names = ("flyway.toml", "flyway.user.toml") if mode == TOML else ("flyway.conf",)
    folders = [d for d in (home, cwd, working) if d is not None]
    return [folder / name for folder in folders for name in names]


def _absolute(path: str, base: Path) -> Path:
    return Path(os.path.join(base, os.path.expanduser(path)))


def working_directory(cli: Mapping[str, str], cwd: Path) -> Path | None:
    given = cli.get("workingDirectory", "")
    return Path(os.path.join(cwd, given)) if given else None


def conf_encoding(cli: Mapping[str, str], env: Mapping[str, str]) -> str:
    return env.get("FLYWAY_CONFIG_FILE_ENCODING") or cli.get("configFileEncoding") or "UTF-8"


def load_file(path: Path, mode: str, env: Mapping[str, str], encoding: str) -> dict[str, Setting]:
    if mode == TOML:
        return parse_toml(read_config_file(path), str(path))
    return parse_conf(read_config_file(path, encoding), env, str(path))


# ---------------------------------------------------------------- environment and command line
def env_settings(env: Mapping[str, str], mode: str) -> dict[str, Setting]:
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


def cli_settings(cli: Mapping[str, str]) -> dict[str, Setting]:
    out: dict[str, Setting] = {}
    for key, value in cli.items():
        if key in _CLI_ONLY:
            continue
        full = key if key.startswith("environments.") else f"flyway.{key}"
        out[full] = Setting(value, f"command line -{key}")
    return out
