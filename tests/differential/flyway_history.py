"""The history rows Flyway writes for a fresh migrate, computed from the files by flyway-semantics.md (§1.2
description, §2.1 version text, §3.1/§3.3 checksums, §4.3 columns), independently of flywayx; and the rows
flywayx wrote, read back. The hold-out check compares the two, so a checksum or description Flyway would
reject on its next ``validate`` shows up on the projects it runs.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.databases import ScratchDb

Row = tuple[str | None, str, str, str, int | None, bool]  # version, description, type, script, checksum, success


def checksum(text: str) -> int:
    """Flyway's CRC32 over the lines without their terminators, one leading BOM dropped, as a signed int."""
    body = text.removeprefix("\ufeff").replace("\r", "").replace("\n", "")
    crc = zlib.crc32(body.encode("utf-8"))
    return crc - (1 << 32) if crc >= 1 << 31 else crc


def _description(raw: str) -> str:
    text = raw.replace("_", " ")
    return text if len(text) <= 200 else text[:197] + "..."


def expected_rows(
    steps: Sequence[Path],
    script: Callable[[Path], str],
    parse: Callable[[str], tuple[str, str, str] | None],
    kinds: tuple[str, str, str],
    replaced: Callable[[Path], str],
) -> list[Row]:
    """One row per migration among ``steps`` (callbacks have none), in order. ``parse`` gives a file name's
    (prefix, version text, raw description); ``kinds`` are the versioned, baseline and repeatable prefixes;
    ``script`` the path Flyway records; ``replaced`` a repeatable's text after placeholder replacement."""
    versioned, baseline, repeatable = kinds
    rows: list[Row] = []
    for path in steps:
        parsed = parse(path.name)
        if parsed is None or parsed[0] not in kinds:
            continue
        prefix, left, raw = parsed
        if prefix == repeatable:
            rows.append((None, _description(raw), "SQL", script(path), checksum(replaced(path)), True))
            continue
        kind = "SQL_BASELINE" if prefix == baseline and prefix != versioned else "SQL"
        text = path.read_text(encoding="utf-8")
        rows.append((left.replace("_", "."), _description(raw), kind, script(path), checksum(text), True))
    return rows


def applied_rows(db: ScratchDb, table: str, schema: str = "") -> list[Row]:
    """The rows flywayx wrote, by rank, without Flyway's own markers (SCHEMA, BASELINE)."""
    where = f"`{db.schema}`.`{table}`" if db.dialect == "mariadb" else f'"{schema or db.schema}"."{table}"'
    got = db.query(
        f"SELECT version, description, type, script, checksum, success FROM {where} "
        "WHERE type NOT IN ('SCHEMA', 'BASELINE') ORDER BY installed_rank"
    )
    return [(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in got]
