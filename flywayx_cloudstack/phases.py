"""Expand/contract per CloudStack upgrade step of a corpus: the table of docs/online-upgrades.md.

The counts are ``flywayx.service.online.phase_count`` over the importer's prepare (``V<R>.1``) and
cleanup (``V<R>.3``) scripts, converted from ScriptRunner's dialect first (``convert.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from flywayx.model.footprint import Phase
from flywayx.service.online import PhaseCount, phase_count
from flywayx.statements.splitter import split
from flywayx_cloudstack.checker import version_key
from flywayx_cloudstack.convert import convert

_ACS_STEP = re.compile(r"schema-(\d+)to(\d+)(-cleanup)?\.sql\Z")


def acs_release(digits: str) -> str:
    """CloudStack's compact version digits as a release: 41900 -> 4.19.0.0, 452 -> 4.5.2, 2210 -> 2.2.10."""
    if len(digits) == 5:
        return f"{digits[0]}.{int(digits[1:3])}.{digits[3]}.{digits[4]}"
    if len(digits) == 4 and digits.startswith("22"):
        return f"2.2.{int(digits[2:])}"
    return ".".join(digits)


def acs_phase_table(corpus: Path) -> list[tuple[str, PhaseCount, PhaseCount | None]]:
    """Per CloudStack upgrade step of the corpus (META-INF/db/schema-XtoY[-cleanup].sql, the
    importer's V<R>.1 and V<R>.3): the release Y, the prepare script's and the cleanup script's
    phase counts, converted from ScriptRunner's dialect first. Sorted by release."""
    steps: dict[str, dict[str, PhaseCount]] = {}
    for f in sorted((corpus / "META-INF" / "db").glob("schema-*to*.sql")):
        m = _ACS_STEP.match(f.name)
        if m is None:
            continue
        conv, _ = convert(f.read_text(encoding="utf-8"), f.name)
        count = phase_count(f.name, split(conv.text, "mariadb", path=f.name), "mariadb")
        steps.setdefault(f"{m.group(1)}to{m.group(2)}", {})["cleanup" if m.group(3) else "prepare"] = count
    empty = PhaseCount("-", {x.value: 0 for x in Phase}, "expand", "no prepare script")
    rows = [(acs_release(k.split("to")[1]), v.get("prepare") or empty, v.get("cleanup")) for k, v in steps.items()]
    return sorted(rows, key=lambda r: (version_key(r[0]), r[1].name))


def render_acs_table(rows: Sequence[tuple[str, PhaseCount, PhaseCount | None]]) -> str:
    """The per-release Markdown table of ``acs_phase_table`` (deterministic: docs are generated from it)."""
    out = [
        "| release | step | prepare: expand / data / contract / unknown | prepare phase | cleanup phase "
        "| why the cleanup is not contract |",
        "|---|---|---|---|---|---|",
    ]
    for release, prep, clean in rows:
        c = prep.counts
        step = prep.name.removeprefix("schema-").removesuffix(".sql")
        cleanup = "-" if clean is None else clean.phase if sum(clean.counts.values()) else "empty"
        why = "" if clean is None or clean.phase == "contract" else (clean.why or "").replace("|", "\\|")
        out.append(
            f"| {release} | {step} | {c['expand']} / {c['data']} / {c['contract']} / {c['unknown']} "
            f"| {prep.phase} | {cleanup} | {why} |"
        )
    return "\n".join(out) + "\n"
