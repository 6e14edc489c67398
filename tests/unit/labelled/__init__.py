"""The labelled statement set: dialect, phase, lock, reason and SQL per row (see the .txt files)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flywayx.model.footprint import Phase

HERE = Path(__file__).parent
CONTEXT = " ;; "


@dataclass(frozen=True)
class Row:
    """One labelled statement. ``context`` statements run (and are analysed) before ``sql``."""

    file: str
    line: int
    dialect: str
    server: str | None
    phase: Phase
    lock: str | None
    reason: str
    context: tuple[str, ...]
    sql: str


def load(name: str) -> list[Row]:
    out = []
    for n, line in enumerate((HERE / name).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        dialect, phase, lock, reason, sql = line.split("|", 4)
        dialect, _, server = dialect.partition(":")
        *context, sql = sql.replace("\\n", "\n").split(CONTEXT)
        out.append(
            Row(
                name,
                n,
                dialect,
                server or None,
                Phase(phase),
                None if lock == "-" else lock,
                reason.strip(),
                tuple(context),
                sql,
            )
        )
    return out


ROWS = load("mysql.txt") + load("postgresql.txt") + load("sqlite.txt")
