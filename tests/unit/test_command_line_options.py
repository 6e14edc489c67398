"""The options every command accepts come from the key table: each is a key the loader knows, named as
the key in kebab case, and it is what ``flywayx <command> --help`` offers."""

from __future__ import annotations

import click
import pytest

from flywayx.cli.app import cli
from flywayx.config.keys import BY_KEY, COMMAND_LINE_OPTIONS, option_name


def test_every_option_is_a_key_the_loader_knows() -> None:
    assert [key for key, _ in COMMAND_LINE_OPTIONS if key not in BY_KEY] == []


@pytest.mark.parametrize(("key", "option"), [("defaultSchema", "--default-schema"), ("url", "--url"),
                                             ("lockTimeout", "--lock-timeout"), ("configFiles", "--config-files")])
def test_option_name_is_the_key_in_kebab_case(key: str, option: str) -> None:
    assert option_name(key) == option


@pytest.mark.parametrize("command", ["migrate", "info", "validate"])
def test_each_command_offers_every_common_option(command: str) -> None:
    from flywayx.cli.app import run

    run(["--version"], prog_name="flywayx")  # registers the command modules on the group, as at start-up
    found = cli.commands[command]
    offered = {opt for p in found.params if isinstance(p, click.Option) for opt in p.opts}
    assert {option_name(key) for key, _ in COMMAND_LINE_OPTIONS} <= offered
