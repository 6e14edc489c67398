"""Placeholder replacement: Flyway's rules, its quirks, and clean errors for what Flyway crashes on."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flywayx.errors import PlaceholderError
from flywayx.sources.placeholders import (
    builtin_placeholders,
    merge_placeholders,
    replace_placeholders,
    with_filename,
)

VALUES = {"a": "1", "schema": "app", "ab": "Z"}


_CHARS = st.sampled_from(["$", "{", "}", "a", "b", "\n", ":", "x", "é"])


_NAMES = st.sampled_from(["a", "b", "ab", "$", "{a", ""])


@given(st.text(alphabet=_CHARS, max_size=40), st.dictionaries(_NAMES, st.text(alphabet="ab{}\n", max_size=5)))
def test_replacement_never_crashes_and_never_creates_placeholders(text: str, values: dict[str, str]) -> None:
    try:
        out = replace_placeholders(text, values)
    except PlaceholderError as err:
        assert err.message.startswith(("No value provided", "Unterminated placeholder"))
    else:  # values hold no '$', so every '${' left in the output was in the text already
        assert out.count("${") <= text.count("${")


@given(st.text(max_size=40))
def test_text_without_prefix_is_unchanged(text: str) -> None:
    if "${" not in text and "$" not in text:
        assert replace_placeholders(text, VALUES) == text


def test_values_are_not_rescanned() -> None:
    assert replace_placeholders("${a}", {"a": "${b}"}) == "${b}"


def test_lookup_ignores_case_and_values_keep_theirs() -> None:
    assert replace_placeholders("${SCHEMA}.${Schema}", {"sChEmA": "App"}) == "App.App"


def test_custom_prefix_and_suffix() -> None:
    assert replace_placeholders("FP__a__ and ${a}", VALUES, "FP__", "__") == "1 and ${a}"


def test_prefix_alone_at_end_is_a_clean_error() -> None:
    with pytest.raises(PlaceholderError, match="Unterminated placeholder"):
        replace_placeholders("SELECT 1; ${", VALUES)


def test_unknown_placeholder_message_and_hint() -> None:
    with pytest.raises(PlaceholderError) as err:
        replace_placeholders("-- ${tenant}\n", {})
    assert err.value.message == "No value provided for placeholder: ${tenant}.  Check your configuration!"
    assert err.value.hint is not None and "flyway.placeholders.tenant" in err.value.hint


def test_empty_prefix_is_refused() -> None:
    with pytest.raises(PlaceholderError):
        replace_placeholders("x", {}, prefix="")


def test_builtins_use_flyway_names_and_format_and_win_over_user_values() -> None:
    builtins = builtin_placeholders(
        default_schema="app",
        user="bob",
        database="app",
        timestamp=datetime(2024, 1, 15, 10, 0, 5),
        working_directory="/w",
        table="flyway_schema_history",
    )
    assert builtins["flyway:timestamp"] == "2024-01-15 10:00:05"
    assert builtins["flyway:environment"] == "default"
    values = with_filename(merge_placeholders({"flyway:user": "mallory", "x": "1"}, builtins), "R__v.sql")
    text = "${flyway:user} ${flyway:defaultSchema} ${flyway:filename} ${x} ${flyway:workingDirectory}"
    assert replace_placeholders(text, values) == "bob app R__v.sql 1 /w"


def test_unknown_builtin_uses_the_default_placeholder_message() -> None:
    values = builtin_placeholders(
        default_schema=None, user=None, database=None, timestamp="t", working_directory="/w", table="t"
    )
    with pytest.raises(PlaceholderError, match=r"default placeholder: \$\{flyway:user\}"):
        replace_placeholders("${flyway:user}", values)


def test_separator_changes_builtin_names() -> None:
    values = builtin_placeholders(
        default_schema="s", user="u", database="d", timestamp="t", working_directory="/w", table="h", separator="|"
    )
    assert replace_placeholders("${flyway|table}", values, separator="|") == "h"
