"""The options every command accepts, and each command's own key options, come from the key table: each is
a key the loader knows, named as the key in kebab case, and it is what ``flywayx <command> --help`` offers;
the Config field of every key has the type of the key's kind."""

from __future__ import annotations

import click
import pytest

from flywayx.cli.app import cli
from flywayx.config.keys import BY_KEY, COMMAND_LINE_OPTIONS, COMMAND_OPTIONS, option_name


def test_every_option_is_a_key_the_loader_knows() -> None:
    assert [key for key, _ in COMMAND_LINE_OPTIONS if key not in BY_KEY] == []
    assert [o.key for options in COMMAND_OPTIONS.values() for o in options if o.key not in BY_KEY] == []


@pytest.mark.parametrize(
    ("key", "option"),
    [
        ("defaultSchema", "--default-schema"),
        ("url", "--url"),
        ("lockTimeout", "--lock-timeout"),
        ("configFiles", "--config-files"),
    ],
)
def test_option_name_is_the_key_in_kebab_case(key: str, option: str) -> None:
    assert option_name(key) == option


@pytest.mark.parametrize("command", ["migrate", "info", "validate"])
def test_each_command_offers_every_common_option(command: str) -> None:
    found = cli.get_command(click.Context(cli), command)  # imports the command's module, as at start-up
    assert found is not None
    offered = {opt for p in found.params if isinstance(p, click.Option) for opt in p.opts}
    assert {option_name(key) for key, _ in COMMAND_LINE_OPTIONS} <= offered


# What each kind of key is typed as in Config (flywayx/model/config.py): the loader turns a value of that
# kind into exactly this type, so a row of the key table and its Config field cannot disagree.
KIND_TYPES = {
    "str": {"str", "str | None"},
    "bool": {"bool"},
    "int": {"int"},
    "float": {"float", "float | None"},
    "list": {"tuple[str, ...]"},
    "url": {"DatabaseUrl | None"},
    "output": {"str"},
    "map": {"tuple[tuple[str, str], ...]"},
}


def test_every_config_field_is_a_key_typed_as_its_kind() -> None:
    import dataclasses

    from flywayx.config.keys import KEYS
    from flywayx.model.config import Config

    types = {f.name: str(f.type) for f in dataclasses.fields(Config)}
    keyed = {spec.field: spec for spec in KEYS if spec.field}
    assert set(types) - set(keyed) == {"extra"}  # the keys flywayx accepts and ignores, by name
    wrong = {
        field: (spec.kind, types[field]) for field, spec in keyed.items() if types[field] not in KIND_TYPES[spec.kind]
    }
    assert wrong == {}
