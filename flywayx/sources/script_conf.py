"""Per-script settings: the ``<script>.conf`` file beside a migration or callback (flyway-semantics.md §6.4).

Used by ``flywayx.sources.scan`` (and ``explain``). ``parse_script_config`` parses the text (Java
properties: ``key=value`` or ``key:value`` lines, ``#``/``!`` comments; only Flyway's four keys are
allowed); ``script_config`` reads the file, if there is one.
"""

from __future__ import annotations

import os
from collections.abc import Container
from dataclasses import dataclass

from flywayx.errors import ConfigError
from flywayx.model.config import Config
from flywayx.sources.checksum import read_migration_text

_SCRIPT_CONF_KEYS = ("executeInTransaction", "encoding", "placeholderReplacement", "shouldExecute")


@dataclass(frozen=True)
class ScriptConfig:
    """Settings from ``<script>.conf`` (§6.4); None means "not set, use the global setting"."""

    execute_in_transaction: bool | None = None
    encoding: str | None = None
    placeholder_replacement: bool | None = None
    should_execute: bool = True


_NONE = ScriptConfig()  # a script without a .conf (nearly all): one shared value, not one a file


def _bool(key: str, value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise ConfigError(
            f"Invalid value for {key} (should be either true or false): {value}", hint="write true or false"
        )
    return value.lower() == "true"


def _split_property(line: str) -> tuple[str, str]:
    """Java properties: the key ends at the first ``=`` or ``:``."""
    cut = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=len(line))
    return line[:cut].strip(), line[cut + 1 :].strip()


def parse_script_config(text: str, source: str = "") -> ScriptConfig:
    """Parse ``<script>.conf`` text (``key=value`` lines, ``#``/``!`` comments)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped[0] in "#!":
            continue
        key, value = _split_property(stripped)
        if key not in _SCRIPT_CONF_KEYS:
            raise ConfigError(
                f"Unknown configuration property: {key}. Please check your script config files",
                hint=f"in {source}: allowed keys are {', '.join(_SCRIPT_CONF_KEYS)}",
            )
        values[key] = value
    flags = {k: _bool(k, v) for k, v in values.items() if k != "encoding" and v}
    return ScriptConfig(
        execute_in_transaction=flags.get("executeInTransaction"),
        encoding=values.get("encoding") or None,
        placeholder_replacement=flags.get("placeholderReplacement"),
        should_execute=flags.get("shouldExecute", True),
    )


def script_config(path: str, config: Config, listed: Container[str] | None = None) -> ScriptConfig:
    """The per-script ``<path>.conf`` settings, or the defaults when there is none. ``listed``: every
    path the caller found in the script's directory (a scan has them): a ``.conf`` not among them is
    not looked for on disk."""
    conf = path + ".conf"
    if listed is not None and conf not in listed:
        return _NONE
    if not os.path.isfile(conf):
        return _NONE
    return parse_script_config(read_migration_text(conf, config.encoding), conf)
