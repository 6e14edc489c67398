"""A migration ready to apply: its statements and where it sits in the release graph."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flywayx.model.migration import Migration, Statement


@dataclass
class Work:
    """One migration to apply with its statements (SQL) or ``None`` for a Python migration."""

    migration: Migration
    statements: Sequence[Statement] | None
    release: str | None = None
    line: str | None = None
    phase: str | Callable[[], str] = "unknown"  # a function: computed when the history row is written
    content_id: str | None = None
    out_of_order: bool = False
    skip_statements: int = 0  # --resume: statements already applied by a failed run
    # the file's statements when ``statements`` are rewritten (a late column placed, service/placement.py):
    # the progress record hashes these, so --resume checks the applied part against the file
    written: Sequence[Statement] | None = None
    recorded_as: str | None = None  # recorded without running: how it is in the database (ledger.py)
    satisfied_by: str | None = None  # ... and by what

    def phase_name(self) -> str:
        return self.phase if isinstance(self.phase, str) else self.phase()
