"""``Later``: a mapping whose values may be computed on first use."""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import TypeVar

__all__ = ["Later"]

V = TypeVar("V")


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
