"""Flyway 13 golden vectors (compat/flyway-vectors.json, computed by Flyway's own code) against flywayx.

Data-driven: every case of every section below is one test, so cases added to the JSON later (same
shapes) are tested without touching this file. ``statement_splitting`` and ``lock_ids`` are
tested elsewhere. The file is in the repository, so every clone runs them; ``FLYWAYX_VECTORS``
points at another copy (a newer vector set); when that file is absent the tests skip (and fail under
``FLYWAYX_REQUIRE_DBS=1``, as in CI).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from flywayx.errors import ChecksumError, ConfigError, FlywayxError, MigrationNameError, PlaceholderError
from flywayx.model.abbrev import abbreviate_description, abbreviate_script
from flywayx.model.config import Config
from flywayx.model.patterns import IgnorePattern
from flywayx.model.version import Version
from flywayx.sources.checksum import checksum_of_text, combined_checksum, read_migration_text
from flywayx.sources.names import (
    NamingConfig,
    filename_without_suffix,
    is_candidate,
    parse_java_migration_name,
    parse_resource_name,
)
from flywayx.sources.placeholders import replace_placeholders
from flywayx.sources.scan import scan

ROOT = Path(__file__).resolve().parent.parent
VECTORS = Path(os.environ.get("FLYWAYX_VECTORS", ROOT / "compat" / "flyway-vectors.json"))
REQUIRE = os.environ.get("FLYWAYX_REQUIRE_DBS") == "1"
JAVA_ERROR = "FlywayException: "

# Flyway's MigrationState names and display names (the ignore-pattern vectors key by name).
STATE_DISPLAY = {
    "PENDING": "Pending",
    "ABOVE_TARGET": "Above Target",
    "BELOW_BASELINE": "Below Baseline",
    "BASELINE_IGNORED": "Ignored (Baseline)",
    "BASELINE": "Baseline",
    "IGNORED": "Ignored",
    "MISSING_SUCCESS": "Missing",
    "MISSING_FAILED": "Failed (Missing)",
    "SUCCESS": "Success",
    "UNDONE": "Undone",
    "AVAILABLE": "Available",
    "FAILED": "Failed",
    "OUT_OF_ORDER": "Out of Order",
    "FUTURE_SUCCESS": "Future",
    "FUTURE_FAILED": "Failed (Future)",
    "OUTDATED": "Outdated",
    "SUPERSEDED": "Superseded",
    "DELETED": "Deleted",
}
# The multi-resource vector names a checksum case that the shared subset file leaves out; its
# content is the one of flyway-semantics.md §3.5 ("SELECT 1;" with no line break).
ABSENT_CASE_CONTENT = {"single line, no newline": "SELECT 1;"}


def _load() -> dict[str, Any] | None:
    try:
        return dict(json.loads(VECTORS.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None


DATA = _load()


def cases(section: str) -> list[Any]:
    """pytest params for one section; a single skipping param when the file is absent."""
    if DATA is None:  # under FLYWAYX_REQUIRE_DBS=1 no skip mark: the autouse fixture fails instead
        marks = () if REQUIRE else (pytest.mark.skip(reason=f"vectors not found at {VECTORS}"),)
        return [pytest.param(None, marks=marks)]
    items = DATA.get(section, [])
    return [pytest.param(item, id=f"{i}-{_label(item)}") for i, item in enumerate(items)]


def _label(item: Any) -> str:
    if isinstance(item, dict):
        for key in ("name", "file_name", "input", "pattern", "class_simple_name", "field", "a"):
            if key in item:
                return str(item[key])[:40].encode("unicode_escape").decode("ascii")
    return str(item)[:40].encode("unicode_escape").decode("ascii")


@pytest.fixture(autouse=True)
def _vectors_present() -> None:
    if DATA is None and REQUIRE:
        pytest.fail(f"golden vectors required but not found at {VECTORS}")


def java_message(error: str) -> str:
    """The message of a Java exception string, without class name and cause."""
    text = error.split(" | cause:")[0]
    return text[len(JAVA_ERROR) :] if text.startswith(JAVA_ERROR) else text


# --- checksums ---------------------------------------------------------------------------------


def case_bytes(case: dict[str, Any]) -> bytes:
    if case.get("bytes_hex") is not None:
        return bytes.fromhex(case["bytes_hex"])
    expr = case["content_generator"].removeprefix("python:").strip()
    expr = re.sub(r"\s+\([^()]*\)$", "", expr)  # a trailing remark such as "(no newline)"
    data = str(eval(expr, {"__builtins__": {}, "range": range})).encode("utf-8")  # our own vectors file
    assert hashlib.sha256(data).hexdigest() == case["bytes_sha256"], "generator does not rebuild the bytes"
    return data


def _write(tmp_path: Path, case: dict[str, Any]) -> Path:
    path = tmp_path / str(case["file_name"])
    path.write_bytes(case_bytes(case))
    return path


@pytest.mark.parametrize("case", cases("checksums"))
def test_checksum(case: dict[str, Any], tmp_path: Path) -> None:
    path = _write(tmp_path, case)
    if case.get("error"):
        with pytest.raises(ChecksumError) as err:
            read_migration_text(path, case["encoding"], case["detect_encoding"])
        assert err.value.message == java_message(case["error"])
        return
    text = read_migration_text(path, case["encoding"], case["detect_encoding"])
    if case.get("content") is not None:
        assert text.lstrip("\ufeff") == case["content"].lstrip("\ufeff")
    if "placeholders" not in case:
        assert checksum_of_text(text) == case["checksum"]
        return
    _check_repeatable(case, tmp_path, text)


def _check_repeatable(case: dict[str, Any], tmp_path: Path, text: str) -> None:
    """A repeatable case goes through the real scanner: flyway:filename and all."""
    config = Config(
        locations=(f"filesystem:{tmp_path}",),
        encoding=case["encoding"],
        detect_encoding=case["detect_encoding"],
        placeholder_replacement=case.get("repeatable_placeholder_replacement", True),
    )
    result = scan(config, case["placeholders"])
    [migration] = result.migrations
    assert migration.checksum == case["checksum"]
    assert migration.raw_checksum == case["equivalent_checksum_without_replacement"]
    if "text_after_replacement" in case:
        assert replace_placeholders(text, case["placeholders"]) == case["text_after_replacement"]


@pytest.mark.parametrize("case", cases("checksum_multi_resource"))
def test_checksum_multi_resource(case: dict[str, Any]) -> None:
    assert DATA is not None
    by_name = {c["name"]: c for c in DATA["checksums"]}
    values = []
    for name in case["inputs"]:
        if name in by_name:
            values.append(by_name[name]["checksum"])
        else:
            values.append(checksum_of_text(ABSENT_CASE_CONTENT[name]))
    assert combined_checksum(values) == case["checksum"]


# --- versions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", cases("versions"))
def test_version(case: dict[str, Any]) -> None:
    if not case["valid"]:
        with pytest.raises(FlywayxError) as err:
            Version.parse(case["input"])
        assert err.value.message == java_message(case["error"])
        return
    v = Version.parse(case["input"])
    assert (v.text, v.version_string, v.name, v.raw) == (
        case["display_text"],
        case["get_version"],
        case["get_name"],
        case["raw_version"],
    )
    assert (v.special.name if v.special else None) == case["special"]
    if case["parts_after_trailing_zero_trim"] is not None:
        assert list(v.parts) == case["parts_after_trailing_zero_trim"]


@pytest.mark.parametrize("ordered", [DATA["versions_sorted_ascending"]] if DATA else cases("none"))
def test_versions_sorted_ascending(ordered: list[str]) -> None:
    shuffled = list(reversed(ordered))
    shuffled.sort(key=Version.parse)
    # equal versions keep their reversed input order, so compare the groups' sequence instead
    assert [Version.parse(x) for x in shuffled] == [Version.parse(x) for x in ordered]
    assert sorted(ordered, key=Version.parse) == ordered


@pytest.mark.parametrize("ordered", [DATA["versions_sorted_ascending"]] if DATA else cases("none"))
def test_versions_equivalence_groups(ordered: list[str]) -> None:
    assert DATA is not None
    groups = [list(g) for _, g in itertools.groupby(ordered, key=Version.parse)]
    assert groups == DATA["versions_sorted_equivalence_groups"]


@pytest.mark.parametrize("case", cases("version_pairs"))
def test_version_pair(case: dict[str, Any]) -> None:
    a, b = Version.parse(case["a"]), Version.parse(case["b"])
    assert a.compare_to(b) == case["compare_sign"]
    assert (a == b) is case["equals"]
    assert (hash(a) == hash(b)) is case["hash_equal"]


# --- names -------------------------------------------------------------------------------------


def naming(config_name: str) -> NamingConfig:
    assert DATA is not None
    c = DATA["resource_name_configs"][config_name]
    return NamingConfig(
        c["sqlMigrationPrefix"],
        c["repeatableSqlMigrationPrefix"],
        c["baselineMigrationPrefix"],
        c["sqlMigrationSeparator"],
        tuple(c["sqlMigrationSuffixes"]),
    )


@pytest.mark.parametrize("case", cases("resource_names"))
def test_resource_name(case: dict[str, Any]) -> None:
    cfg = naming(case["config"])
    name = parse_resource_name(case["file_name"], prefixes=cfg)
    assert is_candidate(case["file_name"], "", cfg.suffixes) is case["picked_up_by_scanner_suffix_filter"]
    assert name.valid is case["valid"]
    if not case["valid"]:
        assert name.error == case["error"]
        return
    assert name.kind is not None
    got = {
        "prefix": name.prefix,
        "kind": name.kind.value,
        "raw_version": name.raw_version,
        "version": name.version.text if name.version else None,
        "description": name.description,
        "suffix": name.suffix,
        "flyway_filename_placeholder": name.rebuilt_filename,
        "filename_without_suffix": filename_without_suffix(name),
        "special_version": name.version.special.name if name.version and name.version.special else None,
    }
    assert got == {k: case[k] for k in got}


@pytest.mark.parametrize("case", cases("java_migration_class_names"))
def test_java_migration_class_name(case: dict[str, Any]) -> None:
    if not case["valid"]:
        with pytest.raises(MigrationNameError) as err:
            parse_java_migration_name(case["class_simple_name"])
        assert err.value.message == java_message(case["error"])
        return
    version, description = parse_java_migration_name(case["class_simple_name"])
    assert (version.text if version else None, description) == (case["version"], case["description"])


# --- patterns, placeholders, abbreviation ------------------------------------------------------


@pytest.mark.parametrize("case", cases("ignore_migration_patterns"))
def test_ignore_migration_pattern(case: dict[str, Any]) -> None:
    if not case["valid"]:
        with pytest.raises(ConfigError) as err:
            IgnorePattern.parse(case["pattern"])
        assert err.value.message == java_message(case["error"])
        return
    pattern = IgnorePattern.parse(case["pattern"])
    for state, display in STATE_DISPLAY.items():
        for versioned, letter in ((True, "V"), (False, "R")):
            expected = letter in case["matches"].get(state, "")
            assert pattern.matches(versioned=versioned, state=display) is expected, (state, letter)


@pytest.mark.parametrize("case", cases("placeholder_replacement"))
def test_placeholder_replacement(case: dict[str, Any]) -> None:
    args = (case["input"], case["placeholders"], case["prefix"], case["suffix"], case["separator"])
    if "error" in case:
        with pytest.raises(PlaceholderError) as err:
            replace_placeholders(*args)
        assert err.value.message == java_message(case["error"])
        return
    assert replace_placeholders(*args) == case["output"]


@pytest.mark.parametrize("case", cases("abbreviation"))
def test_abbreviation(case: dict[str, Any]) -> None:
    cut = abbreviate_description if case["field"] == "description" else abbreviate_script
    assert cut(case["input"]) == case["output"]
    assert len(case["output"]) == case["output_length"]
