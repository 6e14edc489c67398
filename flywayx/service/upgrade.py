"""Upgrade in place: what flywayx's own tables lack when an older flywayx wrote them.

Before the history contract, a plain ``migrate`` recorded no content ids in ``flywayx_applied``;
without them a renamed file (``release cut``) is recognised only by checksum. Every migrate fills
the id of each such row whose migration is still there with the checksum it was applied with.
(The rows the contract misses in ``flyway_schema_history`` itself are written by the migrate run's
first steps, ``plan/ledger.py``.)
"""

from __future__ import annotations

from flywayx.model import HistoryRow, Migration
from flywayx.service import lines
from flywayx.service.kernel import Session, statements_of
from flywayx.statements.content_id import content_id


def missing_content_ids(s: Session, analysed: lines.Analysed | None) -> list[tuple[int, str, str]]:
    """(seq, script, content id) of the ``flywayx_applied`` rows to fill; reads only."""
    if not s.history.exists() or not s.own.exists():
        return []
    rows = s.own.without_content_id()
    if not rows:
        return []
    history = {r.version.text: r for r in s.rows() if r.version is not None and r.success}
    local = {m.version.text: m for m in s.found.migrations if m.version is not None}
    out = []
    for seq, version in rows:
        m, applied = local.get(version), history.get(version)
        if m is None or applied is None or not _same(m, applied):
            continue
        cid = _content_id(s, m, analysed)
        if cid is not None:
            out.append((seq, m.script, cid))
    return out


def fill_content_ids(s: Session, analysed: lines.Analysed | None) -> int:
    """Write the missing ids (under the lock); the number of rows filled. Usually there are none: one
    query, no lock."""
    if not missing_content_ids(s, analysed):
        return 0
    with s.lock():
        todo = missing_content_ids(s, analysed)
        for seq, _, cid in todo:
            s.own.fill_content_id(seq, cid)
        s.db.commit()
    return len(todo)


def _same(m: Migration, row: HistoryRow) -> bool:
    return m.checksum == row.checksum and m.type.value == row.type.upper()


def _content_id(s: Session, m: Migration, analysed: lines.Analysed | None) -> str | None:
    if analysed is not None and m.script in analysed.by_script:
        return analysed.by_script[m.script].content_id
    if m.is_python:
        return lines.python_content_id(m)
    statements = statements_of(s, m)
    return content_id(statements, s.dialect) if statements is not None else None


__all__ = ["fill_content_ids", "missing_content_ids"]
