"""Command-line interface. ``main`` is the console-script entry point.

Every error is rendered here, once: one line on stderr (``ERROR: …``) plus a hint, exit code 1
(2 for usage errors), or Flyway's JSON error object on stdout with ``--output-type json``.
"""

from __future__ import annotations

import gc
import os
import sys

# The cyclic garbage collector's default (a pass every 700 allocations) runs thousands of passes over
# the ~10^6 objects a large project's plan holds (statements, footprints, the planner's world): 40 %
# of a warm ``plan`` over 10,000 migrations. flywayx's data is acyclic, so a pass every 200,000
# allocations (as mypy does) costs nothing in memory. Only the command line: flywayx.api leaves the
# caller's collector alone.
GC_THRESHOLD = (200_000, 30, 30)


def main(argv: list[str] | None = None) -> None:
    """Entry point: accept Flyway-style ``-key=value`` options next to click-style ones."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-v"], ["version"]):
        from flywayx import __version__

        print(f"flywayx {__version__}")  # fast path: no click, no driver, no SQLAlchemy
        return
    gc.set_threshold(*GC_THRESHOLD)
    from flywayx.cli.app import run

    sys.exit(run(args, prog_name=os.path.basename(sys.argv[0]) or "flywayx"))
