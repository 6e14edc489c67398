"""Measure the focused analyser against sqlglot on the ACS corpus (docs/decisions/parser.md).

    .venv/bin/python bench/bench_analyze.py [corpus dir]

For every statement (split with flywayx's Flyway-compatible splitter, MariaDB dialect):
  focused  - flywayx.statements.analyze.analyze_statement; "understood" = phase is not UNKNOWN
  sqlglot  - sqlglot.parse_one(read="mysql"); "understood" = parsed without error into a typed
             expression (not the exp.Command fallback sqlglot uses for text it cannot parse)
Prints statements, seconds and statements/second for each, and the understood fraction.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from pathlib import Path

from flywayx.model.footprint import Phase
from flywayx.model.migration import Statement
from flywayx.statements.analyze import analyze_statement
from flywayx.statements.splitter import split

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "acs"


def load(corpus: Path) -> list[Statement]:
    out: list[Statement] = []
    for path in sorted(corpus.rglob("*.sql")):
        out.extend(split(path.read_text(encoding="utf-8", errors="replace"), "mariadb"))
    return out


def bench_focused(stmts: list[Statement]) -> tuple[float, int]:
    start = time.perf_counter()
    understood = sum(analyze_statement(s, "mariadb").phase != Phase.UNKNOWN for s in stmts)
    return time.perf_counter() - start, understood


def bench_sqlglot(stmts: list[Statement]) -> tuple[float, int, Counter[str]]:
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ErrorLevel

    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # it warns on every Command fallback
    failures: Counter[str] = Counter()
    understood = 0
    start = time.perf_counter()
    for s in stmts:
        try:
            tree = sqlglot.parse_one(s.sql, read="mysql", error_level=ErrorLevel.RAISE)
        except Exception as err:  # any parse failure counts as not understood
            failures[type(err).__name__] += 1
            continue
        if isinstance(tree, exp.Command):
            failures["Command fallback: " + (tree.this or "").upper()] += 1
        else:
            understood += 1
    return time.perf_counter() - start, understood, failures


def main() -> None:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS
    stmts = load(corpus)
    n = len(stmts)
    f_time, f_ok = bench_focused(stmts)
    g_time, g_ok, failures = bench_sqlglot(stmts)
    print(f"statements: {n}")
    print(f"focused: {f_time:.2f}s  {n / f_time:,.0f} stmt/s  understood {f_ok / n:.1%}")
    print(f"sqlglot: {g_time:.2f}s  {n / g_time:,.0f} stmt/s  parsed {g_ok / n:.1%}")
    for what, count in failures.most_common(8):
        print(f"  sqlglot not understood: {count:5d} {what}")


if __name__ == "__main__":
    main()
