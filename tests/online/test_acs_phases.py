"""Expand/contract on the real CloudStack corpus: per release, and the cleanup scripts (V<R>.3)."""

from __future__ import annotations

from pathlib import Path

from flywayx_cloudstack.phases import acs_phase_table, acs_release
from tests.online.write_acs_doc import BEGIN, DOC, END, generated


def test_acs_release_digits() -> None:
    assert [acs_release(d) for d in ("41900", "42010", "452", "2210", "30")] == [
        "4.19.0.0",
        "4.20.1.0",
        "4.5.2",
        "2.2.10",
        "3.0",
    ]


def test_per_release_expand_outweighs_contract_and_cleanups_are_contract_or_explained(acs_corpus: Path) -> None:
    rows = acs_phase_table(acs_corpus)
    assert len(rows) >= 60
    total = {k: sum(p.counts[k] for _, p, _ in rows) for k in ("expand", "contract", "data", "unknown")}
    assert total["expand"] > 5 * total["contract"] > 0
    assert total["unknown"] < total["expand"] / 4
    cleanups = [c for _, _, c in rows if c is not None and any(c.counts.values())]
    assert len(cleanups) >= 20
    contract = [c for c in cleanups if c.phase == "contract"]
    assert len(contract) * 2 >= len(cleanups)
    others = [c for c in cleanups if c.phase != "contract"]
    assert all(c.phase != "unknown" and c.why.startswith("line ") for c in others), others
    # releases whose prepare script drops something are contract, and say so in the counts
    assert all((p.phase == "contract") == (p.counts["contract"] > 0) for _, p, _ in rows)


def test_docs_table_is_current(acs_corpus: Path) -> None:
    doc = DOC.read_text(encoding="utf-8")
    assert BEGIN in doc and END in doc
    assert doc.split(BEGIN, 1)[1].split(END, 1)[0].strip() == generated(acs_corpus).strip(), (
        "regenerate with: .venv/bin/python -m tests.online.write_acs_doc"
    )
