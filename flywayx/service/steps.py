"""Step sources: what a migrate run applies, and in which order (the engine in ``apply/run.py`` runs them).

- ``FlywayOrder``: plain Flyway — the pending migrations of ``info`` in info's order (versions
  ascending, out-of-order ones when ``outOfOrder`` is on, then repeatables by description), with
  ``--resume`` continuing a failed migration at its failed statement.
- ``ReleasePlan``: ``--to R`` and ``--phase``: the steps of the release planner's plan
  (``plan/interleave.py``), only the expand steps for ``--phase expand``.

A source reads the history once (the token first, then the rows) and computes its choice once; the
engine tells it when a step ran (``done``) and asks it to read again only when another runner
changed the history (``refresh``). Both sources validate the same way before anything changes
(``validation``); ``plan`` and ``migrate --dry-run`` show what a source would hand out.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

from flywayx.apply import Applied
from flywayx.apply.run import Step, Token, history_token
from flywayx.model import HistoryRow, Version
from flywayx.model.info import MigrationInfo
from flywayx.model.plan import Plan, PlanStep
from flywayx.model.release import ReleaseGraph
from flywayx.model.work import Work
from flywayx.plan.info import InfoResult
from flywayx.plan.validate import ValidationIssue
from flywayx.service import lines, resume
from flywayx.service.kernel import Session, work_for
from flywayx.service.validation import refuse_failed, validation_issues


class _Reader:
    """What both sources share: the history as last read, and Flyway's info over it."""

    def __init__(self, s: Session) -> None:
        self.s = s
        self.token: Token | None = None
        self.rows: list[HistoryRow] = []
        self.info: InfoResult = InfoResult((), None)
        self.current: MigrationInfo | None = None
        self.latest: Version | None = None  # highest version applied (Flyway's current())

    def read(self, rows: Sequence[HistoryRow] | None = None) -> None:
        """Read the history: the token before the rows (a row written in between shows as a changed
        token later). ``rows``: choose from these instead (``--dry-run``: the history as the run would
        have it after its preparation, e.g. with the baseline row baselineOnMigrate writes)."""
        s = self.s
        if rows is None:
            exists = s.history.exists()
            self.token = history_token(s.history) if exists else None
            rows = s.history.rows() if exists else []
        self.rows = list(rows)
        self.info = s.info(rows=self.rows)
        self.current = self.info.current()
        self.latest = self.current.version if self.current is not None else None

    def current_text(self) -> str | None:
        return self.latest.text if self.latest is not None else None

    def ran(self, step: Step) -> None:
        v = step.migration.version
        if v is not None and (self.latest is None or v > self.latest):
            self.latest = v


class FlywayOrder(_Reader):
    """Flyway's migrate loop as a step source (flyway-semantics.md §5.3 step 5)."""

    def __init__(self, s: Session, *, resume_run: bool = False) -> None:
        super().__init__(s)
        self.resume_run = resume_run
        self._queue: deque[MigrationInfo] = deque()
        self._checked = False  # the failed-row check ran on the history as last read
        self.refresh()

    def refresh(self, rows: Sequence[HistoryRow] | None = None) -> None:
        self.read(rows)
        self._queue = deque(self.info.pending())
        self._checked = False

    def validation(self) -> list[ValidationIssue]:
        """validateOnMigrate: Flyway's rules with ``*:pending`` ignored."""
        return validation_issues(self.s, ["*:pending"], self.info)[0]

    def check(self) -> None:
        if not self._checked:  # failed rows only appear with a changed token (this run raises on its own)
            refuse_failed(self.s, self.info)
            self._checked = True
        if not self.resume_run:
            resume.refuse_interrupted(self.s)

    def next_step(self) -> Step | None:
        if not self._queue:
            return None
        m = self._queue[0].resolved
        assert m is not None
        late = m.version is not None and self.latest is not None and m.version < self.latest
        skip = resume.resume_skip(self.s, m) if self.resume_run else 0
        return Step(work_for(self.s, m, out_of_order=late, skip_statements=skip),
                    "pending (out of order)" if late else "pending")

    def done(self, step: Step, applied: Applied) -> None:
        self._queue.popleft()
        self.ran(step)

    def pending(self) -> list[MigrationInfo]:
        return list(self._queue)


class ReleasePlan(_Reader):
    """``migrate --to R`` / ``--phase``: the planner's steps, re-planned when the history changes."""

    def __init__(self, s: Session, graph: ReleaseGraph, analysed: lines.Analysed, target: str | None,
                 phase: str | None) -> None:
        super().__init__(s)
        self.graph, self.analysed, self.target, self.phase = graph, analysed, target, phase
        self._by_script = {c.migration.script: c for c in analysed.changes}
        self._plan: Plan | None = None
        self._queue: deque[PlanStep] = deque()
        self.refresh()

    def refresh(self, rows: Sequence[HistoryRow] | None = None) -> None:
        self.read(rows)
        self._plan = None

    @property
    def plan(self) -> Plan:
        """The plan from the history as last read (computed on first use; raises PlanError)."""
        if self._plan is None:
            self._plan = lines.make_plan(self.s, self.graph, self.analysed, self.target, rows=self.rows)
            self._queue = deque(lines.select_phase(self._plan, self.phase, self.analysed))
        return self._plan

    def selected(self) -> list[PlanStep]:
        """The steps this run will apply (the plan's, or its expand phase)."""
        _ = self.plan
        return list(self._queue)

    def validation(self) -> list[ValidationIssue]:
        """Flyway's rules, without the "not applied" findings the release plan accounts for."""
        issues = validation_issues(self.s, ["*:pending", "*:ignored"], self.info)[0]
        return [i for i in issues if i.code != "RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED"]

    def check(self) -> None:
        resume.refuse_interrupted(self.s)  # another runner may have been killed mid-migration

    def next_step(self) -> Step | None:
        _ = self.plan
        if not self._queue:
            return None
        step = self._queue[0]
        change = self._by_script[step.migration.script]
        work = Work(step.migration, self.analysed.statements[step.migration.script], step.release, step.line,
                    _phase_of(step), change.content_id, step.out_of_order)
        return Step(work, step.reason)

    def done(self, step: Step, applied: Applied) -> None:
        self._queue.popleft()
        self.ran(step)


def _phase_of(step: PlanStep) -> Callable[[], str]:
    """The step's phase, asked for only when its history row is written (footprints may still be
    computed in the background while the first steps run)."""
    return lambda: step.phase.value


def source_for(s: Session, to_release: str | None, phase: str | None, resume_run: bool, *,
               release: bool = False) -> FlywayOrder | ReleasePlan:
    """The step source of a migrate run: a release plan with ``--to``/``--phase`` (or ``release``),
    else Flyway's order."""
    if release or to_release is not None or phase in ("expand", "contract"):
        graph = lines.require_graph(s)
        return ReleasePlan(s, graph, lines.analyse(s), to_release, phase)
    return FlywayOrder(s, resume_run=resume_run)


Source = FlywayOrder | ReleasePlan


def one_step_only(s: Session, source: Source) -> bool:
    """Flyway's ``target=next``: the run stops after one migration (plain order only)."""
    return isinstance(source, FlywayOrder) and s.config.target.lower() == "next"

__all__ = ["FlywayOrder", "ReleasePlan", "Source", "one_step_only", "source_for"]
