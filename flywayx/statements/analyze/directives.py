"""``-- flywayx:`` directives in a statement's leading comments.

    -- flywayx:phase=contract the old API still reads this column
    -- flywayx:reads cloud.vm_instance.state, host
    -- flywayx:writes vm_instance.removed, rows:vm_instance, view:v_hosts

A name with one part is a table, with two parts ``table.column``, with three ``schema.table.column``;
``kind:name`` is taken as written (``rows:t``, ``view:v``, ``routine:p`` ...). Names are lower-cased.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flywayx.model.footprint import Phase

_DIRECTIVE = re.compile(r"flywayx:(phase|reads|writes)\s*(=)?\s*(.*)", re.I)
_KINDS = (
    "table",
    "column",
    "index",
    "fk",
    "rows",
    "append",
    "view",
    "routine",
    "trigger",
    "event",
    "schema",
    "sequence",
    "type",
    "extension",
)


@dataclass(frozen=True)
class Directives:
    phase: Phase | None = None
    reason: str = ""
    reads: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()
    declared: bool = False  # reads or writes were given

    @property
    def empty(self) -> bool:
        return self.phase is None and not self.declared


def parse_directives(comments: list[str]) -> tuple[Directives, list[str]]:
    """Directives from comment texts, and a problem message for each malformed directive."""
    phase, reason = None, ""
    reads: set[str] = set()
    writes: set[str] = set()
    declared, problems = False, []
    for comment in comments:
        for line in comment.splitlines():
            m = _DIRECTIVE.search(line.rstrip().removesuffix("*/"))
            if m is None:
                continue
            key, value = m.group(1).lower(), m.group(3).strip()
            if key == "phase":
                word, _, reason = value.partition(" ")
                try:
                    phase = Phase(word.lower())
                except ValueError:
                    problems.append(f"unknown phase {word!r} in a flywayx:phase directive")
            else:
                (reads if key == "reads" else writes).update(object_names(value))
                declared = True
    return Directives(phase, reason.strip(), frozenset(reads), frozenset(writes), declared), problems


def object_names(value: str) -> list[str]:
    """``a.b, rows:c`` -> ['column:a.b', 'rows:c']."""
    out = []
    for raw in value.split(","):
        name = raw.strip().strip('`"').lower()
        if not name:
            continue
        kind, sep, rest = name.partition(":")
        if sep and kind in _KINDS:
            out.append(f"{kind}:{rest}")
        elif name == "*":
            out.append("*")
        else:
            out.append(("column:" if name.count(".") >= 1 else "table:") + name)
    return out
