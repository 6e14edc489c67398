"""How the interleave planner words a refusal: the ``PlanError`` values it raises (pure).

The planner (``flywayx.plan.interleave``) decides *that* it refuses and gathers the facts (which
applied changes the target lacks, which pairs conflict, which releases would plan cleanly); the
functions here turn those facts into one message, a hint and the structured details the CLI and
JSON output show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from flywayx.errors import Conflict, PlanError


class Refused(Protocol):
    """An applied change the target does not include."""

    @property
    def key(self) -> str: ...

    @property
    def owner(self) -> str: ...

    @property
    def line(self) -> str: ...

    @property
    def label(self) -> str: ...


def unreachable_error(
    target: str | None,
    bad: Sequence[Refused],
    line: str | None,
    reachable: list[str],
    on_line: list[str],
    *,
    past: bool = False,
    onward: Sequence[str] = (),
) -> PlanError:
    """The database holds ``bad`` (non-empty, in canonical order), which ``target`` does not include.

    ``reachable``: the minimal releases whose closure covers the database; ``on_line``: those on
    the target's ``line``; ``past``: ``target`` is already included in one of them (the database is
    past it: the hint says so rather than offering the release the database is at); ``onward``: the
    minimal releases that include both the database and ``target``.
    """
    hint = "no declared release covers the database; declare a merge or an [equivalent] in releases.toml"
    if reachable and past:
        hint = (
            f"the database is already past {target} (it is at {', '.join(reachable)}); flywayx does not undo "
            f"migrations: to go back, restore a backup taken before them"
        )
    elif reachable and onward:
        hint = (
            f"the database is at {', '.join(reachable)}; {target}'s changes come with "
            + ", ".join(onward)
            + " (they include both)"
        )
    elif reachable:
        hint = (
            f"the database is at {', '.join(reachable)}; no declared release includes both it and {target}: "
            f"declare one that merges {target} in releases.toml"
        )
        hint += f" (on line {line}: {', '.join(on_line)})" if on_line and on_line != reachable else ""
    first = bad[0]
    return PlanError(
        f"cannot migrate to {target}: the database holds {len(bad)} change(s) that {target} does not "
        f"include, first {first.label}",
        hint=hint,
        target=target,
        unreachable=[{"version": a.key, "release": a.owner, "line": a.line} for a in bad],
        reachable=reachable,
        reachable_on_line=on_line,
        conflicts=[],
    )


def conflict_error(
    target: str | None,
    conflicts: list[Conflict],
    strict: list[Conflict],
    working: list[str],
    reordered: Sequence[Conflict] = (),
    moved: Mapping[str, str] | None = None,
) -> PlanError:
    """Late changes cannot run: ``conflicts`` (pairs sharing objects), ``reordered`` (applied pairs that
    ran in the other order than the target's, sharing objects; ``moved`` maps an applied change to the
    change that runs for it in the target) or, when there are neither, ``strict``
    (late changes on a strict line); ``working``: other releases that plan cleanly."""
    name = target or "latest"
    problems = len(conflicts) + len(reordered) + len(strict)
    if conflicts:
        first = conflicts[0]
        what = f"{first.pending} would run after applied {first.applied} but both touch {', '.join(first.objects)}"
    elif reordered:
        first, moved = reordered[0], moved or {}
        a, b = (first.pending, first.applied) if first.pending in moved else (first.applied, first.pending)
        what = (
            f"applied {a} and {b} ran in the other order than {name} runs them "
            f"({a} is the same change as {moved.get(a, a)}, which {name} runs "
            f"{'before' if a == first.pending else 'after'} {b}) and both touch {', '.join(first.objects)}"
        )
    else:
        first = strict[0]
        what = f"{first.pending} would run after applied {first.applied} but its line's ordering policy is strict"
    return PlanError(
        f"cannot migrate to {name}: {what}" + (f" ({problems} problems)" if problems > 1 else ""),
        hint=("releases that plan cleanly from here: " + ", ".join(working))
        if working
        else "once a pair is checked, declare it in [commutes] of releases.toml, or reorder the changes",
        target=target,
        conflicts=conflicts,
        reordered=list(reordered),
        strict=strict,
        reachable=working,
    )


def absent_error(target: str | None, absent: Sequence[Refused]) -> PlanError:
    """The plan must run ``absent`` (non-empty), whose files are on another branch only."""
    names = ", ".join(i.label for i in absent)
    releases = ", ".join(sorted({i.owner for i in absent}))
    return PlanError(
        f"the plan to {target or 'latest'} needs {names}, whose file is not in this working tree "
        "(it was shipped on another branch) and no migration here is the same change",
        hint=f"run this upgrade from a checkout of {releases} (its tag), or upgrade to a release "
        "that includes an equivalent ([equivalent] in releases.toml)",
        absent=[i.key for i in absent],
    )
