"""Migration-level corrections: a drop is not a contract change when the migration itself created
the object earlier, or re-creates it later (DROP VIEW IF EXISTS v; CREATE VIEW v ...); a constraint
added to a table the migration created is not a tightening (no release has written to it yet)."""

from __future__ import annotations

from dataclasses import replace

from flywayx.model.footprint import Footprint, Phase
from flywayx.model.lint import CREATE_TABLE, CREATED_HERE, DROP_OBJECT, DROP_TABLE, RECREATED, TIGHTEN, note, note_tag

_DROP_TAGS = (DROP_TABLE, DROP_OBJECT)
# Kinds a later CREATE may replace without losing data (tables and rows are never recreated).
_REPLACEABLE = ("view:", "routine:", "trigger:", "event:", "index:", "fk:")


def _dropped(fp: Footprint) -> list[str]:
    out = []
    for n in fp.notes:
        tag, detail = note_tag(n)
        if tag == DROP_TABLE:
            out.append(f"table:{detail}")
        elif tag == DROP_OBJECT:
            out.append(detail)
    return out


def _same(a: str, b: str) -> bool:
    """Equal objects, where an index of unknown table (``index:*.i``) matches ``index:t.i``."""
    if a == b:
        return True
    if a.startswith("index:") and b.startswith("index:"):
        ta, _, la = a[6:].rpartition(".")
        tb, _, lb = b[6:].rpartition(".")
        return la == lb and "*" in (ta.rpartition(".")[2], tb.rpartition(".")[2])
    return False


def _creates(fp: Footprint, obj: str) -> bool:
    return fp.phase == Phase.EXPAND and not _dropped(fp) and any(_same(obj, w) for w in fp.writes)


def settle_migration(parts: list[Footprint]) -> list[Footprint]:
    """Re-phase drops that the same migration creates before or re-creates after, and constraints
    added to tables it created."""
    out = _settle_tightening(list(parts))
    for i, fp in enumerate(parts):
        dropped = _dropped(fp)
        if not dropped or fp.phase != Phase.CONTRACT or len(dropped) != len(_drop_notes(fp)):
            continue
        before = all(any(_creates(p, o) for p in parts[:i]) for o in dropped)
        later = parts[i + 1 :]
        after = all(o.startswith(_REPLACEABLE) and any(_creates(p, o) for p in later) for o in dropped)
        if before or after:
            kept = tuple(n for n in fp.notes if note_tag(n)[0] not in _DROP_TAGS)
            tag = CREATED_HERE if before else RECREATED
            extra = tuple(note(tag, o) for o in dropped)
            out[i] = replace(fp, phase=Phase.EXPAND, notes=kept + extra)
    return out


def _drop_notes(fp: Footprint) -> list[str]:
    return [n for n in fp.notes if note_tag(n)[0] in _DROP_TAGS]


def _settle_tightening(parts: list[Footprint]) -> list[Footprint]:
    created: set[str] = set()
    out = []
    for fp in parts:
        tags = [note_tag(n) for n in fp.notes]
        tight = [d for t, d in tags if t == TIGHTEN]
        only = (
            fp.phase == Phase.CONTRACT
            and tight
            and all(t in (TIGHTEN, CREATE_TABLE) or not _contract_tag(t) for t, _ in tags)
        )
        if only and all(d.split(" ")[0].rpartition(".")[0] in created for d in tight):
            fp = replace(
                fp,
                phase=Phase.EXPAND,
                notes=tuple(n for n in fp.notes if note_tag(n)[0] != TIGHTEN)
                + tuple(note(CREATED_HERE, d) for d in tight),
            )
        created.update(d for t, d in tags if t == CREATE_TABLE)
        out.append(fp)
    return out


_CONTRACT_TAGS = frozenset(
    {
        "drop-table",
        "drop-column",
        "truncate",
        "drop-schema",
        "drop-object",
        "rename",
        "type-change",
        "narrowing",
        "not-null",
        "drop-default",
        "behaviour",
    }
)


def _contract_tag(tag: str) -> bool:
    return tag in _CONTRACT_TAGS
