"""``Version.parse`` and ``parse_resource_name`` take a fast path for the usual ``1.2.3`` names; it must
agree with Flyway's rule (flyway-semantics.md §2) on every input, which this file states directly.

The reference below is the rule as written: ``_`` becomes ``.``; the text splits at each dot that an
ASCII digit follows; every part is a signed integer of Unicode decimal digits; trailing zero parts do
not count; ``current``/``next``/``latest`` (any case) and Long.MAX_VALUE are the markers.
"""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from flywayx.errors import VersionError
from flywayx.model.version import CURRENT, LATEST, NEXT, Version
from flywayx.sources.names import NamingConfig, parse_resource_name


def reference(value: str) -> tuple[str, tuple[int, ...]] | Version | None:
    """(display text, parts) by the written rule; a marker; None when Flyway refuses it."""
    lowered = value.lower()
    if lowered == "current":
        return CURRENT
    if lowered == "next":
        return NEXT
    if lowered == "latest" or value == "9223372036854775807":
        return LATEST
    text = value.replace("_", ".")
    pieces = re.split(r"\.(?=[0-9])", text)
    if not all(re.fullmatch(r"[+-]?\d+", p) for p in pieces):
        return None
    parts = [int(p) for p in pieces]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return text, tuple(parts)


versions = st.text(alphabet=st.sampled_from("0123456789._+-a٣"), max_size=12) | st.sampled_from(
    ["1", "1.0", "1.0.0", "01.2", "1_2", "9223372036854775807", "LATEST", "Next", "1..2", ".1", "1.", "0"]
)


@given(versions)
def test_parse_agrees_with_the_rule(value: str) -> None:
    expected = reference(value)
    try:
        got = Version.parse(value)
    except VersionError:
        assert expected is None, value
        return
    if isinstance(expected, Version):
        assert got is expected
        return
    assert expected is not None, value
    assert (got.text, got.parts) == expected
    assert got == Version.parse(expected[0])  # equal versions hash and compare alike
    assert hash(got) == hash(Version.parse(expected[0]))


@given(
    versions.filter(lambda v: "_" not in v),
    st.sampled_from(["V", "B", "R", "beforeMigrate", "X"]),
    st.sampled_from([".sql", ".SQL"]),
)
def test_resource_names_parse_as_the_rule_says(version: str, prefix: str, suffix: str) -> None:
    filename = f"{prefix}{version}__a_b{suffix}"
    name = parse_resource_name(filename, prefixes=NamingConfig(suffixes=(".sql",)))
    expected = reference(version) if version else None
    if prefix in ("V", "B"):
        assert name.valid == (expected is not None), filename
        if isinstance(expected, Version):
            assert name.version is expected
        elif expected is not None:
            assert name.version is not None and (name.version.text, name.version.parts) == expected
            assert (name.description, name.suffix, name.prefix) == ("a b", suffix, prefix)
    elif prefix == "X":
        assert not name.valid and name.error == f"Unrecognised migration name format: {filename}"
    else:  # a repeatable or a callback carries no version
        assert name.valid == (version == ""), filename
