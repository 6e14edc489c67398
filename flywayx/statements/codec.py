"""Statements and footprints as plain JSON values, and back, for the analysis cache.

``dump_*`` return lists of JSON scalars; ``load_*`` take what ``json.loads`` returns and raise
``ValueError`` on anything that is not exactly what ``dump_*`` writes, so a damaged or foreign cache
entry is recomputed, never half-trusted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Any, TypeVar

from flywayx.model.footprint import Footprint, Phase
from flywayx.model.migration import Statement
from flywayx.statements.split_engine import CopyStatement

__all__ = ["Later", "dump_footprint", "dump_statements", "load_footprint", "load_statements"]

V = TypeVar("V")


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


class Later(MutableMapping[str, V]):
    """A mapping whose values may be given as functions computing them on first use (``later``), e.g.
    statements decoded from their cache entry only if something asks for them: a warm ``plan`` over
    10,000 migrations needs the footprints of all of them and the statements of none (``--show-sql``
    aside). Keys keep the order they were first given in."""

    def __init__(self) -> None:
        self._values: dict[str, V] = {}
        self._later: dict[str, Callable[[], V]] = {}
        self._order: dict[str, None] = {}

    def later(self, key: str, make: Callable[[], V]) -> None:
        """``self[key]`` is ``make()``, computed the first time it is asked for."""
        self._values.pop(key, None)
        self._later[key] = make
        self._order[key] = None

    def __getitem__(self, key: str) -> V:
        try:
            return self._values[key]
        except KeyError:
            make = self._later[key]  # KeyError: not here
        value = self._values[key] = make()
        del self._later[key]
        return value

    def __setitem__(self, key: str, value: V) -> None:
        self._later.pop(key, None)
        self._values[key] = value
        self._order[key] = None

    def __delitem__(self, key: str) -> None:
        del self._order[key]
        self._values.pop(key, None)
        self._later.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return key in self._order

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._order))

    def __len__(self) -> int:
        return len(self._order)
