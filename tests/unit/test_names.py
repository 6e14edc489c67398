"""File names as Flyway parses them, beyond the golden vectors: prefix precedence, custom
settings, the V_<version>_<seq> alias and Java class names."""

from __future__ import annotations

import pytest

from flywayx.errors import MigrationNameError
from flywayx.model.config import Config
from flywayx.model.migration import Kind
from flywayx.model.version import Version
from flywayx.sources.names import (
    CALLBACK_EVENTS,
    NamingConfig,
    event_rank,
    is_candidate,
    parse_alias,
    parse_java_migration_name,
    parse_resource_name,
    seq_number,
)

RELEASES = [Version.parse(v) for v in ("4.0.0", "4.1.0", "4.1.1", "4.20", "4.9.3.0")]


def test_callback_prefix_wins_over_baseline_and_case_matters() -> None:
    assert parse_resource_name("beforeMigrate.sql").kind is Kind.CALLBACK
    wrong_case = parse_resource_name("BeforeMigrate.sql")
    assert wrong_case.error == (
        "Invalid versioned migration name format: BeforeMigrate.sql (could not recognise version number eforeMigrate)"
    )


def test_longest_event_prefix_is_taken() -> None:
    name = parse_resource_name("afterMigrateApplied__stats.sql")
    assert (name.prefix, name.description) == ("afterMigrateApplied", "stats")


def test_repeatable_with_version_is_rejected_with_flyway_example() -> None:
    assert parse_resource_name("R1__x.sql").error == (
        "Invalid repeatable migration / callback name format: R1__x.sql "
        "(It cannot contain a version and should look like this: R__x.sql)"
    )
    assert "should look like this: R__description.sql" in (parse_resource_name("README.sql").error or "")


def test_naming_config_from_config_uses_custom_prefix_separator_and_suffixes() -> None:
    naming = NamingConfig.from_config(
        Config(sql_migration_prefix="M", sql_migration_separator="-", sql_migration_suffixes=(".psql", ".sql"))
    )
    name = parse_resource_name("M2_1-add_col.PSQL", prefixes=naming)
    assert (name.kind, name.version, name.description, name.suffix) == (
        Kind.VERSIONED,
        Version.parse("2.1"),
        "add col",
        ".PSQL",
    )
    assert name.rebuilt_filename == "M2_1-add_col.PSQL"
    unrecognised = parse_resource_name("V1__x.sql", prefixes=naming)
    assert unrecognised.error == "Unrecognised migration name format: V1__x.sql"


def test_equal_length_prefixes_keep_flyway_order() -> None:
    # a custom repeatable prefix of the same length as an event id: R's entry comes first
    naming = NamingConfig(repeatable_prefix="beforeMigrate")
    assert parse_resource_name("beforeMigrate__x.sql", prefixes=naming).kind is Kind.REPEATABLE


def test_candidate_filter_needs_something_between_prefix_and_suffix() -> None:
    assert not is_candidate("V.sql", "V", [".sql"])
    assert not is_candidate(".sql", "", [".sql"])
    assert is_candidate("V1.SQL", "V", [".sql"])
    assert not is_candidate("v1.sql", "V", [".sql"])


def test_event_ids_are_unique_and_ordered_like_flyway() -> None:
    assert len(set(CALLBACK_EVENTS)) == len(CALLBACK_EVENTS)
    assert event_rank("beforeMigrate") < event_rank("beforeEachMigrate") < event_rank("afterMigrate")


@pytest.mark.parametrize(
    ("filename", "version", "release"),
    [
        ("V_4.1.0_A.sql", "4.1.0.1", "4.1.0"),
        ("V_410_B.sql", "4.1.0.2", "4.1.0"),
        ("V_4930_C.py", "4.9.3.0.3", "4.9.3.0"),
        ("V_4.2.0_AA.sql", "4.2.0.27", "4.2.0"),
    ],
)
def test_alias_resolves_to_release_and_sequence(filename: str, version: str, release: str) -> None:
    alias = parse_alias(filename, RELEASES)
    assert alias is not None
    assert (alias.version.text, alias.release.text) == (version, release)
    assert alias.flyway_filename() == f"V{version}{filename[filename.rfind('.') :]}"
    with_py = NamingConfig(suffixes=(".sql", ".py"))
    assert parse_resource_name(alias.flyway_filename(), prefixes=with_py).version == alias.version


def test_compact_alias_matching_two_releases_is_ambiguous() -> None:
    releases = [Version.parse("4.11"), Version.parse("4.1.1")]
    expected = r"Ambiguous alias V_411_A.sql: 411 could be release 4\.1\.1, 4\.11"
    with pytest.raises(MigrationNameError, match=expected):
        parse_alias("V_411_A.sql", releases)


def test_compact_alias_without_declared_release_is_an_error() -> None:
    with pytest.raises(MigrationNameError, match="no declared release"):
        parse_alias("V_999_A.sql", RELEASES)


@pytest.mark.parametrize(
    "filename",
    ["V1__x.sql", "V_4.1.0_a.sql", "V_4.1.0_A.txt", "V_4.1.0.sql", "V_x_A.sql", "V__A.sql", "V_4.1.0_A1.sql"],
)
def test_non_alias_names_are_not_aliases(filename: str) -> None:
    assert parse_alias(filename, RELEASES) is None


def test_seq_letters_are_bijective_base_26() -> None:
    assert [seq_number(s) for s in ("A", "B", "Z", "AA", "AZ", "BA")] == [1, 2, 26, 27, 52, 53]


def test_java_class_names() -> None:
    assert parse_java_migration_name("V1_2__Add_user") == (Version.parse("1.2"), "Add user")
    assert parse_java_migration_name("V3") == (Version.parse("3"), "")
    with pytest.raises(MigrationNameError, match="must contain a version"):
        parse_java_migration_name("V__x")
    with pytest.raises(MigrationNameError, match="Invalid Java-based migration class name"):
        parse_java_migration_name("Migration1")
