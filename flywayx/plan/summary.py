"""The operator's summary of a plan: what ``plan`` and ``migrate`` say before any step.

An operator asks, before an upgrade: from where to where; how many steps per release; what can run
while the old application version still serves (``--phase expand``) and what needs it stopped; which
steps rest on a maintainer's declaration in ``releases.toml`` (``[commutes]``, ``[equivalent]``)
rather than on what flywayx proved from the SQL; which repeatables wait for a later release; and what
backup the run takes. ``summarize`` answers from the plan's steps; pure, the CLI renders it and JSON
carries ``to_dict()`` (``OperatorSummary`` is a model value: a migrate report holds one).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from flywayx.model.plan import OperatorSummary, PlanStep, Skipped

DECLARED = "declared, not proven"  # the words the planner puts in a step's reason (plan/interleave.py)
PHASE_ORDER = ("expand", "data", "contract", "unknown")


def summarize(
    steps: Sequence[PlanStep], origin: str, target: str, *, backup: str | None = None, deferred: Sequence[Skipped] = ()
) -> OperatorSummary:
    """The summary of ``steps`` (the run's, in order) from ``origin`` to ``target``; ``deferred``: the
    plan's skipped changes, of which the repeatables a later release runs are counted."""
    waiting = [k.reason.removeprefix("deferred: ") for k in deferred if k.reason.startswith("deferred:")]
    versioned = [st for st in steps if st.migration.version is not None]
    phases = Counter(st.phase.value for st in versioned)
    per_release = Counter(st.release or "-" for st in versioned)
    declared = tuple(
        st.migration.version.text if st.migration.version else st.migration.script
        for st in steps
        if DECLARED in st.reason
    )
    return OperatorSummary(
        origin,
        target,
        len(versioned),
        len(steps) - len(versioned),
        len(waiting),
        tuple(per_release.items()),
        phases["expand"],
        len(versioned) - phases["expand"],
        tuple((p, phases[p]) for p in PHASE_ORDER if phases[p]),
        declared,
        backup,
        waiting[0] if waiting else "",
    )
