"""Plugins: packages that add a product's commands, baseline adapters and session settings to flywayx.

A plugin is a ``Plugin`` value named by an entry point of the group ``flywayx.plugins`` (``GROUP``)
in its distribution's metadata, for instance in its ``pyproject.toml``::

    [project.entry-points."flywayx.plugins"]
    cloudstack = "flywayx_cloudstack.plugin:plugin"

``installed()`` loads every such entry point once per process. A plugin that fails to load (its
module raises on import, the name is not a ``Plugin``) costs one ``WARNING:`` line on stderr and is
left out; flywayx works the same without it. ``FLYWAYX_PLUGINS`` (``SELECT_ENV``) restricts the
plugins loaded to the comma-separated names it lists; set to the empty string it loads none.

What a plugin can add (docs/plugins.md has the whole contract and a worked example):

- ``commands``: click commands added to ``flywayx`` itself; ``importers``: click commands under
  ``flywayx import`` (the group exists only when a plugin brings one). Both are functions that
  return the commands, called when the command line is built, so loading a plugin imports no click.
- ``baseline_adapters``: a flag of ``flywayx baseline`` (``--acs``) that adopts an existing database
  at the release or version the product recorded in it (``BaselineAdapter``).
- ``init_sql``: a function ``(initSql as configured, environment) -> initSql`` applied to every new
  connection's ``initSql``, in plugin order (CloudStack's session settings from ``db.properties``).
- ``procedures``: stored procedures the product's migrations call, described so the core can reason
  about a call as it does about the statement the procedure runs (``Procedure``: safe to send again
  on ``--resume``; adds a column, so a late step's call is placed like that column). A project without
  a plugin declares its repeatable procedures in the ``resumeRepeatableProcedures`` key instead;
  ``procedures(config)`` returns both.

Migration kinds are not a hook: a plugin's importer writes ordinary migrations (SQL, ``V…py``
modules calling the plugin's own Python package, Flyway script configuration), which the core
scans, plans and runs like any other. The core never imports a plugin (import-linter contract in
pyproject.toml); this module imports nothing of flywayx above ``model``.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from flywayx.model.config import Config

if TYPE_CHECKING:
    import click

    from flywayx.model.write_results import BaselineReport


class EntryPoint(Protocol):
    """What ``load`` needs of an ``importlib.metadata.EntryPoint``."""

    @property
    def name(self) -> str: ...
    @property
    def value(self) -> str: ...
    def load(self) -> object: ...


GROUP = "flywayx.plugins"
SELECT_ENV = "FLYWAYX_PLUGINS"

InitSql = Callable[[str | None, Mapping[str, str]], str | None]


def _no_commands() -> Sequence[click.Command]:
    return ()


@dataclass(frozen=True)
class BaselineAdapter:
    """``flywayx baseline --<flag>``: adopt the database at what the product recorded in it.

    ``adopt(config, dry_run)`` returns the same ``BaselineReport`` as ``baseline`` does (usually by
    calling ``flywayx.service.adopt.baseline_release`` or ``flywayx.service.baseline``). ``reads``
    completes the usage error when the flag is combined with ``--release``: "--acs reads R from
    cloud.version"."""

    flag: str
    help: str
    reads: str
    adopt: Callable[[Config, bool], BaselineReport]

    @property
    def param(self) -> str:
        """The click parameter name of ``--flag``."""
        return self.flag.replace("-", "_")


@dataclass(frozen=True)
class Procedure:
    """A stored procedure a product's migrations call (``CALL name(...)``), described for the core.

    ``name`` is matched case-insensitively, without the schema; a trailing ``*`` matches every name
    that starts with the rest. ``repeatable``: the procedure checks before it changes, so a call a
    killed run left in flight is sent again by ``migrate --resume`` (success, or the server's "already
    so" error, means done) instead of being refused. ``adds_column``: its arguments are
    ``('db.table', 'column', 'definition')`` and it adds that column, so a call run late (a maintenance
    fix after a newer release) gets the column's place in a fresh install, as an ``ALTER TABLE … ADD``
    would."""

    name: str
    repeatable: bool = False
    adds_column: bool = False

    def matches(self, name: str) -> bool:
        """Whether ``name`` (backquotes and schema allowed) is this procedure."""
        bare = name.rpartition(".")[2].strip("`").upper()
        want = self.name.upper()
        return bare.startswith(want[:-1]) if want.endswith("*") else bare == want


@dataclass(frozen=True)
class Plugin:
    """What one plugin adds to flywayx; every part is optional."""

    name: str
    commands: Callable[[], Sequence[click.Command]] = _no_commands
    importers: Callable[[], Sequence[click.Command]] = _no_commands
    baseline_adapters: Sequence[BaselineAdapter] = field(default_factory=tuple)
    init_sql: InitSql | None = None
    procedures: Sequence[Procedure] = field(default_factory=tuple)


def warn(text: str) -> None:
    """One ``WARNING:`` line on stderr, whatever the text holds (a plugin's error may span lines)."""
    print("WARNING: " + " ".join(text.split()), file=sys.stderr)


def load(points: Iterable[EntryPoint], selected: str | None = None) -> tuple[Plugin, ...]:
    """The plugins of ``points`` that load, in name order; ``selected`` as ``FLYWAYX_PLUGINS`` says."""
    wanted = None if selected is None else {n.strip() for n in selected.split(",") if n.strip()}
    found: list[Plugin] = []
    for point in sorted(points, key=lambda p: p.name):
        if wanted is not None and point.name not in wanted:
            continue
        try:
            plugin = point.load()
        except Exception as err:  # a plugin's own bug: one line, and flywayx goes on without it
            warn(f"plugin {point.name} ({point.value}) not loaded: {type(err).__name__}: {err}")
            continue
        if not isinstance(plugin, Plugin):
            warn(
                f"plugin {point.name} ({point.value}) not loaded: it is a {type(plugin).__name__}, "
                "not a flywayx.plugins.Plugin"
            )
            continue
        found.append(plugin)
    return tuple(found)


@functools.cache
def installed() -> tuple[Plugin, ...]:
    """The plugins installed in this environment (loaded once per process). With ``FLYWAYX_PLUGINS``
    empty not even the metadata is read."""
    selected = os.environ.get(SELECT_ENV)
    if selected is not None and not selected.strip():
        return ()
    return load(entry_points(GROUP), selected)


class PathEntryPoint:
    """An entry point read by ``entry_points``: ``module:attr`` loaded as ``importlib.metadata`` loads it
    (a value that is not one is a ValueError naming it). A plain class: a dataclass costs about half a
    millisecond to create, at every start-up."""

    __slots__ = ("name", "value")

    def __init__(self, name: str, value: str) -> None:
        self.name = name
        self.value = value

    def __repr__(self) -> str:
        return f"PathEntryPoint(name={self.name!r}, value={self.value!r})"

    def load(self) -> object:
        import importlib
        import re

        match = re.match(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$", self.value)
        if match is None:
            raise ValueError(f"not an entry point: {self.value!r}")
        target: object = importlib.import_module(match.group("module"))
        for attr in filter(None, (match.group("attr") or "").split(".")):
            target = getattr(target, attr)
        return target


def entry_points(group: str) -> Sequence[EntryPoint]:
    """``importlib.metadata.entry_points(group=group)``, read straight from the ``*.dist-info`` and
    ``*.egg-info`` directories of ``sys.path``: importing ``importlib.metadata`` (email, zipfile, csv …)
    costs 10-20 ms of CPU at every start (docs/decisions/startup.md). The same distributions in
    the same order: the first of each normalized name along ``sys.path``, each directory's grouped by
    name in listing order. Where that reading does not reach (a zip or ``.egg`` on ``sys.path``, a
    finder of distributions other than Python's own) ``importlib.metadata`` itself answers."""
    import importlib.machinery

    finders = [f for f in sys.meta_path if hasattr(f, "find_distributions")]
    odd = any(p.endswith(".egg") or os.path.isfile(p) for p in sys.path if isinstance(p, str))
    if odd or finders != [importlib.machinery.PathFinder] or not all(isinstance(p, str) for p in sys.path):
        from importlib.metadata import entry_points as metadata_entry_points

        return list(metadata_entry_points(group=group))
    found: list[EntryPoint] = []
    seen: set[str] = set()
    for root in sys.path:
        for name, infos in _distributions(root or ".").items():
            if name not in seen:
                seen.add(name)
                found += _group_of(os.path.join(infos[0], "entry_points.txt"), group)
    return found


def _distributions(root: str) -> dict[str, list[str]]:
    """normalized distribution name -> its metadata directories in ``root``, in listing order."""
    try:
        children = os.listdir(root)
    except OSError:
        return {}
    import re

    out: dict[str, list[str]] = {}
    for child in children:
        low = child.lower()
        if low.endswith((".dist-info", ".egg-info")):
            name = low.rpartition(".")[0].partition("-")[0]
            normal = re.sub(r"[-_.]+", "_", name)  # importlib.metadata's Prepared.normalize
            out.setdefault(normal, []).append(os.path.join(root, child))
    return out


def _group_of(path: str, group: str) -> list[EntryPoint]:
    """The entries of section ``[group]`` of an ``entry_points.txt`` (none when there is no file)."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return []
    if f"[{group}]" not in text:
        return []
    section: str | None = None
    out: list[EntryPoint] = []
    for line in (raw.strip() for raw in text.splitlines()):
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line.strip("[]")
        elif section == group:
            name, _, value = line.partition("=")
            out.append(PathEntryPoint(name.strip(), value.strip()))
    return out


def baseline_adapters() -> tuple[BaselineAdapter, ...]:
    """Every plugin's baseline adapters, in plugin order; of two with the same flag, the first."""
    found: dict[str, BaselineAdapter] = {}
    for adapter in (a for p in installed() for a in p.baseline_adapters):
        found.setdefault(adapter.param, adapter)
    return tuple(found.values())


def session_init_sql(configured: str | None, env: Mapping[str, str]) -> str | None:
    """The ``initSql`` a new connection runs: ``configured`` passed through every plugin's hook."""
    value = configured
    for plugin in installed():
        if plugin.init_sql is not None:
            value = plugin.init_sql(value, env)
    return value


def procedures(config: Config | None = None) -> tuple[Procedure, ...]:
    """Every installed plugin's procedures, in plugin order, then the ones ``config`` declares repeatable
    (``resumeRepeatableProcedures``: a user's ``Procedure(name, repeatable=True)`` for a project that has no
    plugin; a schema written before a name is dropped, as ``Procedure.matches`` drops it from the CALL)."""
    declared = () if config is None else config.resume_repeatable_procedures
    users = (Procedure(n.rpartition(".")[2].strip().strip("`"), repeatable=True) for n in declared)
    return tuple(proc for plugin in installed() for proc in plugin.procedures) + tuple(p for p in users if p.name)


def repeatable_procedure(name: str, config: Config | None = None) -> bool:
    """Whether a plugin or ``config`` says a call of ``name`` may be sent again (``Procedure.repeatable``)."""
    return any(proc.repeatable and proc.matches(name) for proc in procedures(config))


__all__ = [
    "GROUP",
    "SELECT_ENV",
    "BaselineAdapter",
    "InitSql",
    "PathEntryPoint",
    "Plugin",
    "Procedure",
    "baseline_adapters",
    "entry_points",
    "installed",
    "load",
    "procedures",
    "repeatable_procedure",
    "session_init_sql",
    "warn",
]
