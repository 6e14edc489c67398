"""The installed plugins' command line (``flywayx.plugins``): importing this module registers it on ``cli``.

Each plugin's ``commands`` join ``flywayx`` itself, its ``importers`` join ``flywayx import`` (a group
that exists only when some plugin brings an importer), and each baseline adapter becomes a flag of
``flywayx baseline`` placed before ``--dry-run`` (``cli/commands.py`` calls the adapter). A command
whose name is taken, or a plugin function that raises, costs one ``WARNING:`` line and is left out:
the core's commands never depend on a plugin.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import click

from flywayx import plugins
from flywayx.cli.app import cli
from flywayx.cli.commands import baseline


@click.group(name="import")
def import_group() -> None:
    """Turn another tool's upgrade scripts into a flywayx project."""


def _commands(plugin: plugins.Plugin, what: str, get: Callable[[], Sequence[click.Command]]) -> Sequence[click.Command]:
    try:
        return tuple(get())
    except Exception as err:  # the plugin's own bug: one line, and the rest of flywayx works
        plugins.warn(f"plugin {plugin.name}: its {what} are left out: {type(err).__name__}: {err}")
        return ()


def _add(group: click.Group, plugin: plugins.Plugin, command: click.Command) -> None:
    if command.name in group.commands:
        where = "flywayx" if group is cli else f"flywayx {group.name}"
        plugins.warn(f"plugin {plugin.name}: `{where} {command.name}` exists already; the plugin's is left out")
        return
    group.add_command(command)


def _add_baseline_flag(adapter: plugins.BaselineAdapter) -> None:
    if any(p.name == adapter.param for p in baseline.params):
        plugins.warn(f"baseline --{adapter.flag} exists already; the second plugin's is left out")
        return
    at = next((i for i, p in enumerate(baseline.params) if p.name == "dry_run"), len(baseline.params))
    baseline.params.insert(at, click.Option([f"--{adapter.flag}"], is_flag=True, help=adapter.help))


def register() -> None:
    """Add every installed plugin's commands, importers and baseline flags (once)."""
    for plugin in plugins.installed():
        for command in _commands(plugin, "commands", plugin.commands):
            _add(cli, plugin, command)
        for command in _commands(plugin, "importers", plugin.importers):
            _add(import_group, plugin, command)
        for adapter in plugin.baseline_adapters:
            _add_baseline_flag(adapter)
    if import_group.commands:
        cli.add_command(import_group)


register()
