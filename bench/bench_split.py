"""Statement-splitting speed on the CloudStack corpus: flywayx against sqlparse and sqlglot.

    python bench/bench_split.py [--corpus DIR] [--repeat N] [--dialect mariadb]

Reads every ``.sql`` file under the corpus (default ``../shared/corpus/acs`` beside the project),
splits all of them ``--repeat`` times per tool and prints the median wall-clock and CPU rates in
MB/s (UTF-8 bytes) and the statement count each tool finds. Peers:
- ``sqlparse.split`` (its statement splitter);
- ``sqlglot`` tokenizer for MySQL, counting statements at ``;`` tokens (``sqlglot.parse`` would
  build full syntax trees, which is not the comparable job; ``--sqlglot-parse`` times it too).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flywayx.statements.splitter import split  # noqa: E402 - after the path set-up for a plain checkout

Splitter = Callable[[str], int]


def _flywayx(dialect: str) -> Splitter:
    return lambda text: len(split(text, dialect))


def _sqlparse(text: str) -> int:
    import sqlparse

    return sum(1 for s in sqlparse.split(text) if s.strip())


def _sqlglot_tokens(text: str) -> int:
    from sqlglot import tokenize
    from sqlglot.tokens import TokenType

    tokens = tokenize(text, read="mysql")
    count, pending = 0, False
    for tok in tokens:
        if tok.token_type == TokenType.SEMICOLON:
            count, pending = count + pending, False
        else:
            pending = True
    return count + pending


def _sqlglot_parse(text: str) -> int:
    import sqlglot
    from sqlglot.errors import ErrorLevel

    return sum(1 for e in sqlglot.parse(text, read="mysql", error_level=ErrorLevel.IGNORE) if e is not None)


def _measure(fn: Splitter, texts: list[str], repeat: int) -> tuple[float, float, int]:
    """Median wall and CPU seconds over ``repeat`` runs, and the statement count."""
    walls, cpus, count = [], [], 0
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        count = 0
        for text in texts:
            try:
                count += fn(text)
            except Exception:  # a peer that cannot split a file counts nothing for it
                count += 0
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "acs")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dialect", default="mariadb")
    parser.add_argument("--sqlglot-parse", action="store_true", help="also time sqlglot.parse (slow)")
    args = parser.parse_args(argv)
    files = sorted(args.corpus.rglob("*.sql"))
    if not files:
        print(f"no .sql files under {args.corpus}", file=sys.stderr)
        return 2
    texts = [f.read_text(encoding="utf-8") for f in files]
    size = sum(len(t.encode("utf-8")) for t in texts)
    tools: list[tuple[str, str, Splitter, int]] = [
        (f"flywayx split ({args.dialect})", version("flywayx"), _flywayx(args.dialect), args.repeat),
        ("sqlparse.split", version("sqlparse"), _sqlparse, max(1, args.repeat // 2)),
        ("sqlglot tokenize (mysql)", version("sqlglot"), _sqlglot_tokens, max(1, args.repeat // 2)),
    ]
    if args.sqlglot_parse:
        tools.append(("sqlglot.parse (mysql)", version("sqlglot"), _sqlglot_parse, 1))
    print(f"corpus: {args.corpus} ({len(files)} files, {size / 1e6:.2f} MB); python {sys.version.split()[0]}")
    print(f"{'tool':<28} {'version':<10} {'runs':>4} {'MB/s wall':>10} {'MB/s cpu':>9} {'statements':>11}")
    for name, ver, fn, runs in tools:
        wall, cpu, count = _measure(fn, texts, runs)
        print(f"{name:<28} {ver:<10} {runs:>4} {size / wall / 1e6:>10.1f} {size / cpu / 1e6:>9.1f} {count:>11}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
