"""The operator's view of a plan: a summary first, then the steps, repeatables grouped.

``summary_lines`` renders the operator's summary (``flywayx.plan.summary``) that ``plan`` and
``migrate`` print before anything else: from where to where, how many steps per release, what can
run while the old version serves (``--phase expand``) and what needs it stopped, which steps rest on
a maintainer's declaration in ``releases.toml`` rather than on what flywayx proved from the SQL, and
what backup ``migrate`` takes. ``PHASES`` explains the phase words the step lines use. Pure text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from flywayx.model.plan import OperatorSummary, PlanStep

PHASES = {
    "expand": "adds only what the running version ignores; can run while it serves",
    "data": "changes rows only; runs with the contract steps (the old version would see them)",
    "contract": "removes or changes what the running version uses; stop it first",
    "unknown": "flywayx cannot tell what it touches (a Java port, a procedure call); treated as contract",
}
GROUP_REPEATABLES = 3  # more repeatables than this are shown as one line (all of them with --sql)
NO_BACKUP = "none is taken unless migrate gets --backup DIR (a dump of every schema first)"


def summary_lines(summary: OperatorSummary) -> list[str]:
    """The summary block (each line without a trailing newline)."""
    phases = dict(summary.phases)
    per_release = ", ".join(f"{release}: {n}" for release, n in summary.per_release) or "none"
    lines = [
        "Summary",
        f"  from {summary.origin} to {summary.target}: {summary.steps} step(s), {summary.repeatables} repeatable(s)"
        + (f", {summary.deferred} deferred" if summary.deferred else ""),
        f"  steps per release: {per_release}",
        f"  online (--phase expand, the old version keeps serving): {summary.online} step(s)",
        f"  needs the old version stopped (--phase contract): {summary.offline} step(s)"
        f" ({phases.get('contract', 0)} contract, {phases.get('data', 0)} data, {phases.get('unknown', 0)} unknown)",
    ]
    if summary.deferred:
        lines.append(f"  waiting for a later release: {summary.deferred} repeatable(s): {summary.deferred_why}")
    if summary.declared:
        lines.append(
            f"  rests on declarations in releases.toml ([commutes]/[equivalent]), not proven from the SQL: "
            f"{len(summary.declared)} step(s): {', '.join(summary.declared)}"
        )
    else:
        lines.append("  rests on declarations in releases.toml: none")
    lines.append(f"  backup: {summary.backup or NO_BACKUP}")
    lines += ["Phase words:"] + [f"  {p}: {PHASES[p]}" for p in sorted(phases) if p in PHASES]
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
