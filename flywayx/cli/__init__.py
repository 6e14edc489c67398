"""Command-line interface. ``main`` is the console-script entry point.

Every error is rendered here, once: one line on stderr (``ERROR: …``) plus a hint, exit code 1
(2 for usage errors), or Flyway's JSON error object on stdout with ``--output-type json``.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Entry point: accept Flyway-style ``-key=value`` options next to click-style ones."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-v"], ["version"]):
        from flywayx import __version__

        print(f"flywayx {__version__}")  # fast path: no click, no driver, no SQLAlchemy
        return
    from flywayx.cli.app import run

    sys.exit(run(args, prog_name=os.path.basename(sys.argv[0]) or "flywayx"))
