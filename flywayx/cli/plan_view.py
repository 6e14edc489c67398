"""The operator's view of a plan: a summary first, then the steps, repeatables grouped.

``summary_lines`` answers what an operator asks before an upgrade: from where to where, how many
steps per release, what can run while the old version serves (``--phase expand``) and what needs it
stopped, which steps rest on a maintainer's declaration in ``releases.toml`` rather than on what
flywayx proved from the SQL, and what backup ``migrate`` takes. ``PHASES`` explains the phase words
the step lines use. Pure: text from the plan's steps.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from flywayx.model.plan import PlanStep

PHASES = {
    "expand": "adds only what the running version ignores; can run while it serves",
    "data": "changes rows only; runs with the contract steps (the old version would see them)",
    "contract": "removes or changes what the running version uses; stop it first",
    "unknown": "flywayx cannot tell what it touches (a Java port, a procedure call); treated as contract",
}
DECLARED = "declared, not proven"
GROUP_REPEATABLES = 3  # more repeatables than this are shown as one line (all of them with --sql)


def _per_release(steps: Sequence[PlanStep]) -> str:
    counts = Counter(st.release or "-" for st in steps if st.migration.version is not None)
    return ", ".join(f"{release}: {n}" for release, n in counts.items()) or "none"


def summary_lines(steps: Sequence[PlanStep], origin: str, target: str, *, backup: str | None = None,
                  deferred: int = 0) -> list[str]:
    """The summary block (each line without a trailing newline)."""
    versioned = [st for st in steps if st.migration.version is not None]
    repeatables = [st for st in steps if st.migration.version is None]
    phases = Counter(st.phase.value for st in versioned)
    declared = [st for st in steps if DECLARED in st.reason]
    lines = [
        "Summary",
        f"  from {origin} to {target}: {len(versioned)} step(s), {len(repeatables)} repeatable(s)"
        + (f", {deferred} deferred" if deferred else ""),
        f"  steps per release: {_per_release(steps)}",
        f"  online (--phase expand, the old version keeps serving): {phases['expand']} step(s)",
        f"  needs the old version stopped (--phase contract): {len(versioned) - phases['expand']} step(s)"
        f" ({phases['contract']} contract, {phases['data']} data, {phases['unknown']} unknown)",
    ]
    if declared:
        keys = ", ".join(st.migration.version.text if st.migration.version else st.migration.script
                         for st in declared)
        lines.append(f"  rests on declarations in releases.toml ([commutes]/[equivalent]), not proven from the SQL: "
                     f"{len(declared)} step(s): {keys}")
    else:
        lines.append("  rests on declarations in releases.toml: none")
    lines.append(f"  backup: {backup}" if backup else
                 "  backup: none is taken unless migrate gets --backup DIR (a dump of every schema first)")
    used = sorted({st.phase.value for st in versioned})
    lines += ["Phase words:"] + [f"  {p}: {PHASES[p]}" for p in used if p in PHASES]
    return lines


def repeatable_lines(steps: Sequence[PlanStep], first: int) -> list[str]:
    """The repeatables as one group line (numbered from ``first``) with the range of their names."""
    reps = [st for st in steps if st.migration.version is None]
    if not reps:
        return []
    reasons = Counter(st.reason.removeprefix("repeatable: ") for st in reps)
    why = ", ".join(f"{n} {r}" for r, n in reasons.items())
    names = reps[0].migration.script + (f" … {reps[-1].migration.script}" if len(reps) > 1 else "")
    last = first + len(reps) - 1
    span = f"{first}" if last == first else f"{first}-{last}"
    return [f"{span:>3}. R              {len(reps)} repeatable migration(s), run last in name order ({why}): {names}"]
