"""ignoreMigrationPatterns: parsing the setting and matching states by display name."""

from __future__ import annotations

import pytest

from flywayx.errors import ConfigError
from flywayx.model.patterns import IgnorePattern, any_matches, parse_patterns


def test_setting_is_comma_separated_trimmed_and_case_insensitive() -> None:
    patterns = parse_patterns(" *:Missing , Repeatable:future")
    assert [str(p) for p in patterns] == ["*:missing", "repeatable:future"]
    assert any_matches(patterns, versioned=False, state="Future")
    assert not any_matches(patterns, versioned=True, state="Future")


def test_empty_setting_means_no_patterns() -> None:
    assert parse_patterns("") == ()
    assert parse_patterns([]) == parse_patterns([""]) == ()
    assert parse_patterns("*:pending,") == parse_patterns(["*:pending"])  # Java's split drops the tail


def test_missing_does_not_cover_failed_missing_but_star_does() -> None:
    assert not IgnorePattern.parse("*:missing").matches(versioned=True, state="Failed (Missing)")
    assert IgnorePattern.parse("*:*").matches(versioned=True, state="Failed (Missing)")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("pending", "Invalid pattern 'pending'. Pattern must be of the form <migration_type>:<migration_state>"),
        ("a:b:c", "Invalid pattern 'a:b:c'"),
        ("*:", "Invalid migration state ''. Valid states are: [*, missing, pending, ignored, future]"),
        (",*:pending", "Invalid pattern ''"),
    ],
)
def test_invalid_patterns(value: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_patterns(value)
    assert err.value.message.startswith(message)
