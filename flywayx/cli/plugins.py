"""The installed plugins' command line (``flywayx.plugins``): ``register``, called by ``run``, adds it to ``cli``.

Each plugin's ``commands`` join ``flywayx`` itself and its ``importers`` join ``flywayx import`` (a group
that exists only when some plugin brings an importer); each baseline adapter's flag is added by
``cli/commands.py`` itself, where ``baseline`` is defined (and calls the adapter). A command whose name
is taken (a core command's, ``app.COMMAND_MODULES``: the core's are imported only when asked for), or a
plugin function that raises, costs one ``WARNING:`` line and is left out: the core's commands never
depend on a plugin.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import click

from flywayx import plugins
from flywayx.cli.app import COMMAND_MODULES, cli


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
    if command.name in group.commands or (group is cli and command.name in COMMAND_MODULES):
        where = "flywayx" if group is cli else f"flywayx {group.name}"
        plugins.warn(f"plugin {plugin.name}: `{where} {command.name}` exists already; the plugin's is left out")
        return
    group.add_command(command)


@functools.cache
def register() -> None:
    """Add every installed plugin's commands and importers to ``cli`` (once per process)."""
    for plugin in plugins.installed():
        for command in _commands(plugin, "commands", plugin.commands):
            _add(cli, plugin, command)
        for command in _commands(plugin, "importers", plugin.importers):
            _add(import_group, plugin, command)
    if import_group.commands:
        cli.add_command(import_group)
