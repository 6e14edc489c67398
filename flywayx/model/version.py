"""Flyway's ``MigrationVersion``: parsing, display text and numeric ordering.

Rules (flyway-semantics.md §2): ``_`` becomes ``.`` (the display text, written to history); a dot
separates parts only when an ASCII digit follows; each part is a signed integer that may use any
Unicode decimal digits; trailing zero parts are ignored for comparison. ``current``, ``next``,
``latest`` (and ``9223372036854775807``) are special markers.
"""

from __future__ import annotations

import re
from enum import Enum

from flywayx.errors import VersionError

_SPLIT = re.compile(r"\.(?=[0-9])")
_LATEST_NUMBER = "9223372036854775807"  # Long.MAX_VALUE: Flyway's LATEST
_PART = re.compile(r"[+-]?\d+\Z")  # \d: any Unicode decimal digit, as Java's BigInteger accepts
_PARSED: dict[str, Version] = {}  # Version.parse's texts, up to _PARSED_MAX (versions are immutable)
_PARSED_MAX = 1 << 16


class Special(Enum):
    EMPTY = "EMPTY"
    CURRENT = "CURRENT"
    NEXT = "NEXT"
    LATEST = "LATEST"


_SPECIAL_TEXT = {
    Special.EMPTY: "<< Empty Schema >>",
    Special.CURRENT: "<< Current Version >>",
    Special.NEXT: "<< Next Version >>",
    Special.LATEST: "<< Latest Version >>",
}


class Version:
    """An immutable Flyway version. Compare and hash by numeric parts, display by ``text``."""

    __slots__ = ("_key", "parts", "raw", "special", "text")

    def __init__(self, text: str, parts: tuple[int, ...], raw: str, special: Special | None = None):
        self.text = text
        self.parts = parts
        self.raw = raw
        self.special = special
        self._key = _sort_key(parts, special)

    @classmethod
    def parse(cls, value: str) -> Version:
        """Parse a version as ``MigrationVersion.fromVersion`` does; raise VersionError if invalid.
        Each text is parsed once per process (``_PARSED``): a command parses every version twice, from
        its file name and from its history row."""
        known = _PARSED.get(value)
        if known is not None:
            return known
        version = cls._parse(value)
        if len(_PARSED) < _PARSED_MAX:
            _PARSED[value] = version
        return version

    @classmethod
    def _parse(cls, value: str) -> Version:
        if value.isascii() and value.isdigit() and value != _LATEST_NUMBER:  # "12": one part, as _of makes it
            return cls(value, (int(value),), value)
        text = value.replace("_", ".")
        pieces = text.split(".")
        if text.isascii() and all(map(str.isdigit, pieces)) and value != _LATEST_NUMBER:
            return cls._of(text, pieces, value)  # the usual 1.2.3: ASCII digits, every dot before a digit
        lowered = value.lower()
        if lowered == "current":
            return CURRENT
        if lowered == "next":
            return NEXT
        if lowered == "latest" or value == _LATEST_NUMBER:
            return LATEST
        pieces = _SPLIT.split(text)
        if not all(_PART.match(p) for p in pieces):
            raise VersionError(
                f"Version may only contain 0..9 and . (dot). Invalid version: {text}",
                hint="use digits separated by dots or underscores, e.g. 1.2.3 or 1_2_3",
                version=value,
            )
        return cls._of(text, pieces, value)

    @classmethod
    def _of(cls, text: str, pieces: list[str], raw: str) -> Version:
        parts = tuple(map(int, pieces))
        while len(parts) > 1 and parts[-1] == 0:
            parts = parts[:-1]
        return cls(text, parts, raw)

    @classmethod
    def try_parse(cls, value: str) -> Version | None:
        try:
            return cls.parse(value)
        except VersionError:
            return None

    @property
    def sort_key(self) -> tuple[int, tuple[int, ...]]:
        """What ``==``, ``<`` and ``hash`` compare, as a plain tuple: a sort or a dict over many
        versions keyed by it compares tuples in C instead of calling ``Version.__lt__``/``__eq__``."""
        return self._key

    @property
    def is_special(self) -> bool:
        return self.special is not None

    @property
    def version_string(self) -> str | None:
        """``getVersion()``: None for EMPTY, the Long.MAX_VALUE digits for LATEST."""
        if self.special is Special.EMPTY:
            return None
        if self.special is Special.LATEST:
            return "9223372036854775807"
        return self.text

    @property
    def name(self) -> str:
        """``getName()``: ``latest``/``current``/``next`` for markers, else the display text."""
        if self.special in (Special.LATEST, Special.CURRENT, Special.NEXT):
            assert self.special is not None
            return str(self.special.value).lower()
        return self.text

    def compare_to(self, other: Version) -> int:
        """Sign of Java's ``MigrationVersion.compareTo``, quirks included.

        Unlike ``<`` (a total order for sorting), this reproduces Flyway exactly: any normal
        version compared *to* NEXT is smaller, while NEXT on the left compares as the number -3.
        """
        if self.special in (Special.EMPTY, Special.CURRENT):
            return 0 if other.special is self.special else -1
        if self.special is Special.LATEST:
            return 0 if other.special is Special.LATEST else 1
        if other.special in (Special.EMPTY, Special.CURRENT):
            return 1
        if other.special is Special.LATEST:
            return -1
        if other.special is Special.NEXT:
            return 0 if self.special is Special.NEXT else -1
        mine = (-3,) if self.special is Special.NEXT else self.parts
        return _cmp_padded(mine, other.parts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self._key == other._key

    # All four spelled out (not functools.total_ordering, whose derived ones cost two calls): info
    # and validate compare versions tens of thousands of times on a large project.
    def __lt__(self, other: Version) -> bool:
        return self._key < other._key

    def __le__(self, other: Version) -> bool:
        return self._key <= other._key

    def __gt__(self, other: Version) -> bool:
        return self._key > other._key

    def __ge__(self, other: Version) -> bool:
        return self._key >= other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        return f"Version({self.text!r})"

    def __str__(self) -> str:
        return self.text


def _cmp_padded(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    width = max(len(a), len(b))
    a, b = a + (0,) * (width - len(a)), b + (0,) * (width - len(b))
    return (a > b) - (a < b)


def _sort_key(parts: tuple[int, ...], special: Special | None) -> tuple[int, tuple[int, ...]]:
    # Markers sort outside every normal version; NEXT sorts below normal versions as Flyway does
    # when a normal version is compared with it.
    if special is None:
        if len(parts) < 2 or parts[-1] != 0:
            return 2, parts
        trimmed = list(parts)
        while len(trimmed) > 1 and trimmed[-1] == 0:
            trimmed.pop()
        return 2, tuple(trimmed)
    return _SPECIAL_RANK[special], (0 if special is not Special.NEXT else 1,)


_SPECIAL_RANK = {Special.EMPTY: 0, Special.CURRENT: 1, Special.NEXT: 1, Special.LATEST: 3}


def _marker(special: Special) -> Version:
    return Version(_SPECIAL_TEXT[special], (), _SPECIAL_TEXT[special], special)


EMPTY = _marker(Special.EMPTY)
CURRENT = _marker(Special.CURRENT)
NEXT = _marker(Special.NEXT)
LATEST = _marker(Special.LATEST)

# Here rather than in ``model/release.py``: ``info`` reads history rows for
# stamps on every run, and need not load the release model for it.
PENDING_STAMP_DIGITS = 20  # flywayx new: <line>.<YYYYMMDDHHMMSS><6 random digits>


def is_pending_stamp(version: Version) -> bool:
    """Whether a version was made by ``flywayx new`` (its last part is a 20-digit stamp): a pending
    migration, renamed to its release's version by ``flywayx release cut``."""
    last = version.text.rsplit(".", 1)[-1]
    return len(last) == PENDING_STAMP_DIGITS and last.isdigit()
