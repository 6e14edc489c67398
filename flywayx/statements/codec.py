"""Statements and footprints as plain JSON values, and back, for the analysis cache.

``dump_*`` return lists of JSON scalars; ``load_*`` take what ``json.loads`` returns and raise
``ValueError`` on anything that is not exactly what ``dump_*`` writes, so a damaged or foreign cache
entry is recomputed, never half-trusted.
"""

from __future__ import annotations

from typing import Any

from flywayx.model.footprint import Footprint, Phase
from flywayx.model.migration import Statement
from flywayx.statements.split_engine import CopyStatement

__all__ = ["dump_footprint", "dump_statements", "load_footprint", "load_statements"]


def dump_statements(statements: list[Statement]) -> list[list[Any]]:
    out: list[list[Any]] = []
    for s in statements:
        row: list[Any] = [s.line, s.sql, s.delimiter, s.transactional, s.batchable]
        if isinstance(s, CopyStatement):
            row.append(s.copy_data)
        out.append(row)
    return out


def load_statements(rows: Any) -> list[Statement]:
    if not isinstance(rows, list):
        raise ValueError("statements: not a list")
    out: list[Statement] = []
    for row in rows:
        if not isinstance(row, list) or len(row) not in (5, 6):
            raise ValueError("statement: not a row")
        line, sql, delimiter, transactional, batchable = row[:5]
        if not (
            type(line) is int
            and isinstance(sql, str)
            and isinstance(delimiter, str)
            and type(transactional) is bool
            and type(batchable) is bool
        ):
            raise ValueError("statement: wrong types")
        if len(row) == 6:
            if not isinstance(row[5], str):
                raise ValueError("statement: wrong COPY data")
            out.append(CopyStatement(line, sql, delimiter, transactional, batchable, row[5]))
        else:
            out.append(Statement(line, sql, delimiter, transactional, batchable))
    return out


def dump_footprint(fp: Footprint) -> list[Any]:
    return [fp.phase.value, sorted(fp.reads), sorted(fp.writes), fp.idempotent, fp.lock, list(fp.notes)]


def load_footprint(row: Any) -> Footprint:
    if not isinstance(row, list) or len(row) != 6:
        raise ValueError("footprint: not a row")
    phase, reads, writes, idempotent, lock, notes = row
    if not (
        isinstance(reads, list)
        and isinstance(writes, list)
        and isinstance(notes, list)
        and type(idempotent) is bool
        and (lock is None or isinstance(lock, str))
        and all(isinstance(x, str) for x in (*reads, *writes, *notes))
    ):
        raise ValueError("footprint: wrong types")
    return Footprint(Phase(phase), frozenset(reads), frozenset(writes), idempotent, lock, tuple(notes))
