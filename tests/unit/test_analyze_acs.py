"""The analyser on the real CloudStack corpus: never crashes, and says how much it does not understand."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from flywayx.model.footprint import Phase
from flywayx.statements.analyze import analyze_migration, make_context
from flywayx.statements.splitter import split

pytestmark = pytest.mark.acs


def _scripts(corpus: Path) -> list[Path]:
    return sorted(corpus.rglob("*.sql"))


def test_every_file_analyses_and_unknowns_are_only_calls(acs_corpus: Path) -> None:
    ctx = make_context("mariadb")  # one context, so column types learnt in earlier files are reused
    phases: Counter[Phase] = Counter()
    unknown_heads: Counter[str] = Counter()
    for path in _scripts(acs_corpus):
        statements = split(path.read_text(encoding="utf-8", errors="replace"), "mariadb", path=str(path))
        parts, _ = analyze_migration(statements, "mariadb", context=ctx)
        assert len(parts) == len(statements)
        for stmt, fp in zip(statements, parts, strict=True):
            phases[fp.phase] += 1
            if fp.phase == Phase.UNKNOWN:
                unknown_heads[_head(stmt.sql)] += 1
    total_statements = sum(phases.values())
    unknown = phases[Phase.UNKNOWN] / total_statements
    assert total_statements > 8000
    # ACS's IDEMPOTENT_* procedures hide their writes: CALL/EXECUTE are the only unknowns, under 8%.
    assert unknown < 0.08, (unknown, unknown_heads)
    assert set(unknown_heads) <= {"CALL", "EXECUTE"}, unknown_heads
    assert phases[Phase.CONTRACT] > 500 and phases[Phase.EXPAND] > phases[Phase.CONTRACT]


def test_cleanup_scripts_are_contract_or_data_or_empty(acs_corpus: Path) -> None:
    expand_only = []
    for path in _scripts(acs_corpus):
        if not path.name.endswith("-cleanup.sql"):
            continue
        statements = split(path.read_text(encoding="utf-8", errors="replace"), "mariadb")
        _, total = analyze_migration(statements, "mariadb")
        if statements and total.phase == Phase.EXPAND:
            expand_only.append(path.name)
    # Cleanup steps are ACS's hand-made contract phase; a few only insert or fix data.
    assert len(expand_only) <= 8, expand_only


def _head(sql: str) -> str:
    for line in sql.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(("--", "#", "/*")):
            return stripped.split()[0].upper()
    return ""
