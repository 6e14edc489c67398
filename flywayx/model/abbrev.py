"""Cutting descriptions and scripts to the history table's column sizes (``AbbreviationUtils``).

Lengths count UTF-16 code units, as Java's ``String.length`` does, so a text full of emoji is cut
where Flyway cuts it. A cut that would split a surrogate pair drops the lone half (Java would
write it and the database would store a replacement character).
"""

from __future__ import annotations

DESCRIPTION_MAX = 200
SCRIPT_MAX = 1000
ELLIPSIS = "..."


def _units(text: str) -> bytes:
    return text.encode("utf-16-le", "surrogatepass")


def _from_units(data: bytes) -> str:
    return data.decode("utf-16-le", "ignore")


def java_length(text: str) -> int:
    """``String.length()``: UTF-16 code units."""
    return len(_units(text)) // 2


def abbreviate_description(description: str) -> str:
    """At most 200 units: the first 197 plus ``...`` when longer."""
    if (
        len(description) <= DESCRIPTION_MAX // 2 or java_length(description) <= DESCRIPTION_MAX
    ):  # 2 units a code point at most
        return description
    return _from_units(_units(description)[: 2 * (DESCRIPTION_MAX - 3)]) + ELLIPSIS


def abbreviate_script(script: str) -> str:
    """At most 1000 units: ``...`` plus units 3..999 when longer (Flyway keeps the head, oddly)."""
    if java_length(script) <= SCRIPT_MAX:
        return script
    return ELLIPSIS + _from_units(_units(script)[2 * 3 : 2 * SCRIPT_MAX])
