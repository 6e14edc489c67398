"""Flyway's golden ``statement_splitting`` vectors: flywayx must split every script exactly as Flyway 13.

Data-driven: every vector in the file runs, whatever its count. The file is
``compat/flyway-vectors.json`` in the repository (``FLYWAYX_VECTORS`` overrides it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from flywayx.errors import ParseError
from flywayx.model.migration import Statement
from flywayx.statements.splitter import KNOWN_PARSER_LIMITATIONS, split

ROOT = Path(__file__).resolve().parent.parent
VECTORS = Path(os.environ.get("FLYWAYX_VECTORS", ROOT / "compat" / "flyway-vectors.json"))
SCRIPT_NAME = "V1__test.sql"  # the resource name the vectors were computed with


def _vectors() -> list[dict[str, Any]]:
    if not VECTORS.exists():
        return []
    cases: list[dict[str, Any]] = json.loads(VECTORS.read_text(encoding="utf-8"))["statement_splitting"]
    return cases


def _replace_placeholders(text: str, values: dict[str, str] | None) -> str:
    """Flyway replaces ``${key}`` while reading, before the parser sees the text."""
    for key, value in (values or {}).items():
        text = text.replace("${" + key + "}", value)
    return text


def _as_vector(stmt: Statement) -> dict[str, Any]:
    row: dict[str, Any] = {
        "line": stmt.line,
        "sql": stmt.sql,
        "delimiter": stmt.delimiter,
        "can_execute_in_transaction": stmt.transactional,
        "batchable": stmt.batchable,
    }
    if hasattr(stmt, "copy_data"):
        row["copy_data"] = stmt.copy_data
    return row


CASES = _vectors()


def test_vectors_are_present() -> None:
    if not CASES:
        msg = f"golden vectors not found at {VECTORS} (set FLYWAYX_VECTORS)"
        if os.environ.get("FLYWAYX_REQUIRE_DBS") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    assert all(c["dialect"] in {"mysql", "mariadb", "postgresql", "sqlite"} for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[f"{c['dialect']}: {c['name']}" for c in CASES])
def test_split_matches_flyway(case: dict[str, Any]) -> None:
    text = _replace_placeholders(case["input"], case.get("placeholders"))
    expected_error = case.get("error")
    if expected_error is None:
        got = split(text, case["dialect"], path=SCRIPT_NAME, db_version=case.get("db_version"))
        assert [_as_vector(s) for s in got] == case["statements"]
        return
    with pytest.raises(ParseError) as info:
        split(text, case["dialect"], path=SCRIPT_NAME, db_version=case.get("db_version"))
    message = info.value.message.replace(KNOWN_PARSER_LIMITATIONS, "<KNOWN_PARSER_LIMITATIONS>")
    assert message == expected_error.removeprefix("FlywayException: ")
    assert info.value.hint
    assert [_as_vector(s) for s in info.value.details["statements"]] == case["statements"]
