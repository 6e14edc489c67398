"""Step sources: what a migrate run does, and in which order (the engine in ``apply/engine.py`` runs them).

- ``FlywayOrder``: plain Flyway — the pending migrations of ``info`` in info's order (versions
  ascending, out-of-order ones when ``outOfOrder`` is on, then repeatables by description), with
  ``--resume`` continuing a failed migration at its failed statement. With a ``releases.toml``, where
  a pending migration's release includes migrations that order skips, they run where ``--to`` that
  release runs them, or the run refuses up front (``service/merges.py``).
- ``ReleasePlan``: ``--to R`` and ``--phase``: the steps of the release planner's plan
  (``plan/interleave.py``), only the expand steps for ``--phase expand``.

With a ``releases.toml`` both keep the history contract (``plan/ledger.py``, docs/history-tables.md):
a run starts with the rows the contract misses (renamed files, migrations in the database through
an identical or equivalent change, a baseline, an adoption), then its own steps — in Flyway's order a
migration whose change is already in the database is recorded instead of run — and ends with the
rows its steps made due (a release now reached; when a step fails, the rows the steps before it made
due are written before the failure is reported). Every mode records content ids.

A source reads the history once (the token first, then the rows) and computes its choice once; the
engine tells it when a step ran (``done``, with the rows the step wrote, which the source keeps:
``history()`` is the table as this run leaves it, never read back) and asks it to read again only
when another runner changed the history (``refresh``). Both sources validate the same way before anything changes
(``validation``); ``plan`` and ``migrate --dry-run`` show what a source would hand out.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from flywayx.apply import Applied
from flywayx.apply.engine import Step, Token, history_token
from flywayx.apply.run import server_of
from flywayx.errors import PlanError, StateError
from flywayx.model import HistoryRow, Migration, Statement, Version
from flywayx.model.info import MigrationInfo
from flywayx.model.plan import PlanStep
from flywayx.model.work import Work
from flywayx.plan.info import InfoResult, current_version
from flywayx.plan.validate import ValidationIssue
from flywayx.service import lines, resume
from flywayx.service.kernel import Session, statements_of
from flywayx.service.validation import refuse_failed, validation_issues
from flywayx.statements.classify import classify
from flywayx.statements.content_id import content_id

# The history contract's ledger and the release model serve a project with a releases.toml only: a
# plain migrate does not load them (docs/decisions/startup.md).
if TYPE_CHECKING:
    from flywayx.model.plan import Change, Plan
    from flywayx.model.release import ReleaseGraph
    from flywayx.plan.ledger import Ledger, Record
    from flywayx.service import expand

_HOW = {
    "identical": "identical to applied {by}",
    "equivalent": "declared equivalent of applied {by}",
    "baseline": "installed by baseline migration {by}",
    "adopted": "adopted ({by})",
    "renamed": "renamed from applied {by} (its row is retired)",
}


def record_reason(how: str, by: str) -> str:
    return "recorded, not run: " + _HOW.get(how, how + " {by}").format(by=by)


def record_work(rec: Record) -> Work:
    """The ``Work`` that writes ``rec`` (``apply.record``): no statements, how and by what."""
    change = rec.change
    return Work(
        change.migration,
        None,
        rec.release,
        rec.line,
        _phase_of(change),
        change.content_id,
        recorded_as=rec.how,
        satisfied_by=rec.by,
    )


class _Source:
    """What both sources share: the history as last read, the contract's ledger over it, Flyway's info
    over the history as the run's first records leave it, and the records due at the end."""

    def __init__(self, s: Session, graph: ReleaseGraph | None, analysed: lines.Analysed | None) -> None:
        self.s, self.graph, self.analysed = s, graph, analysed
        self.token: Token | None = None
        self.rows: list[HistoryRow] = []
        self.written: list[HistoryRow] = []  # rows this run's steps wrote since the history was read
        self.ledger: Ledger | None = None
        self.start: deque[Record] = deque()
        self.end: deque[Record] | None = None  # computed when the steps are done
        self.info: InfoResult = InfoResult((), None)
        self.latest: Version | None = None  # highest version applied (Flyway's current())
        self.initial: Version | None = None
        self._checked = False  # the failed-row check ran on the history as last read

    def refresh(self, rows: Sequence[HistoryRow] | None = None) -> None:
        """Read the history (or take ``rows``) and choose again."""
        raise NotImplementedError

    def read(self, rows: Sequence[HistoryRow] | None = None) -> None:
        """Read the history: the token before the rows (a row written in between shows as a changed
        token later). ``rows``: choose from these instead (``--dry-run``: the history as the run would
        have it after its preparation, e.g. with the baseline row baselineOnMigrate writes)."""
        s = self.s
        if rows is None:
            exists = s.history.exists()
            self.token = history_token(s.history, s.own) if exists else None
            rows = s.history.rows() if exists else []
        self.rows, self.written = list(rows), []
        self.ledger, self.start, self.end = None, deque(), None
        if self.graph is not None and self.analysed is not None:
            self.ledger = lines.ledger(s, self.graph, self.analysed, self.rows)
            self.start = deque(self.ledger.records())
        self.info = s.info(rows=self.projected())
        current = self.info.current()
        self.latest = current.version if current is not None else None
        self.initial = current_version(self.rows)  # before this run's records
        self._checked = False

    def sync(self, token: Token) -> None:
        """The history is now at ``token`` (after migrate's preparation): read it again and choose again
        only when it holds other rows than were read (a table just created empty holds none)."""
        if token == self.token:
            return
        if self.token is None and not self.rows and token == (None, 0, 0):
            self.token = token
            return
        self.refresh()

    def history(self) -> list[HistoryRow]:
        """The history table as the steps so far left it: as read, plus the rows they wrote."""
        return [*self.rows, *self.written]

    def projected(self) -> list[HistoryRow]:
        """The history once the start records are written (what the steps are chosen from)."""
        if not self.start:  # records come from a ledger only, so from a releases.toml
            return list(self.rows)
        from flywayx.plan.ledger import with_records

        return with_records(self.rows, self.start, self.s.installed_by)

    def current_text(self) -> str | None:
        """Flyway's current version: after the steps handed out so far."""
        return self.latest.text if self.latest is not None else None

    def initial_text(self) -> str | None:
        """Flyway's current version as the history was read (before any of this run's rows)."""
        return self.initial.text if self.initial is not None else None

    def check(self, token: Token | None) -> None:
        if not self._checked:  # failed rows only appear with a changed token (this run raises on its own)
            refuse_failed(self.s, self.info)
            self._checked = True

    def refuse_interrupted(self, token: Token | None) -> None:
        """A run killed mid-migration left a ``running`` progress record: stop (``resume``). The token
        just read counts them, so the records themselves are read only when there is one."""
        if token is None or token[2]:
            resume.refuse_interrupted(self.s)

    def record_step(self, rec: Record) -> Step:
        return Step(record_work(rec), record_reason(rec.how, rec.by), rec.retire)

    def before_and_after(self, main: Callable[[], Step | None]) -> Step | None:
        """The start records, then ``main``'s steps, then the records those steps made due."""
        if self.start:
            return self.record_step(self.start[0])
        step = main()
        if step is not None:
            return step
        if self.end is None:
            self.end = deque(self.ledger.records()) if self.ledger is not None else deque()
        return self.record_step(self.end[0]) if self.end else None

    def prepare(self) -> None:
        """Nothing to do ahead by default (``StepSource.prepare``)."""

    def due_after_failure(self) -> list[Step]:
        """The records due now (a release the steps reached): a step failed, no end will write them."""
        return [self.record_step(r) for r in self.ledger.records()] if self.ledger is not None else []

    def advance(self, step: Step, applied: Applied) -> bool:
        """Pop ``step`` if it was one of the records; True when it was. Marks it in the ledger; keeps
        the rows it wrote."""
        self.written.extend(applied.rows)
        if self.ledger is not None:
            change = self._change(step.migration)
            if change is not None:
                self.ledger.mark(change)
        v = step.migration.version
        if v is not None and (self.latest is None or v > self.latest):
            self.latest = v
        for queue in (self.start, self.end or deque()):
            if queue and queue[0].change.migration is step.migration:
                queue.popleft()
                return True
        return False

    def _change(self, m: Migration) -> Change | None:
        if self.analysed is None:
            return None
        return self.analysed.by_script.get(m.script)

    def _placed(self, step: PlanStep, statements: Sequence[Statement], skip: int = 0) -> list[Statement]:
        """A late step's added columns where a fresh install has them (``service/placement.py``).
        ``skip`` (``--resume``): the first ``skip`` statements are applied and stay as written; the rest
        are placed from the table as the applied ones left it, as the failed run would have placed them."""
        from flywayx.service import placement  # only release plans place columns: a plain migrate skips it

        later: dict[str, set[str]] = {}
        after = [m.script for m in step.runs_after]
        if not after and step.migration.version is not None:  # footprints could not tell (procedure calls):
            v = step.migration.version  # every applied change of a later version
            after = [r.script for r in self.rows if r.success and r.version is not None and r.version > v]
        for script in after:
            for table, columns in placement.later_columns(self._statements(script) or ()).items():
                later.setdefault(table, set()).update(columns)
        if not later:
            return list(statements)
        db, schema = self.s.db, self.s.default_schema
        rest = placement.place_late_columns(statements[skip:], later, lambda t: db.column_names(schema, t), db.quote)
        return [*statements[:skip], *rest]

    def _statements(self, script: str) -> Sequence[Statement]:
        return (self.analysed.statements.get(script) if self.analysed is not None else None) or ()

    def validation_of(self, patterns: Sequence[str]) -> list[ValidationIssue]:
        """Flyway's rules over the projected history; with releases, migrations of releases the
        database has not reached are not "missing" (they are what a later upgrade brings), nor are
        repeatables written for such a release (``[repeatables]``), nor a repeatable migration never
        applied (every mode's next run applies it; e.g. after ``baseline --release R``, which records
        R's versioned migrations only)."""
        issues = validation_issues(self.s, patterns, self.info)[0]
        if self.ledger is None:
            return issues
        reached = self.ledger.reached()
        owner = {i.version.text: i.owner for i in self.ledger.world.items if not i.baseline}
        views = self.graph.repeatables_with if self.graph is not None else None
        deferred = views is not None and views not in reached  # written for a release not reached yet
        unapplied = {m.description for m in self.info.migrations if m.version is None and m.applied is None}
        return [
            i
            for i in issues
            if not (
                i.code == "RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED"
                and i.version is not None
                and owner.get(i.version) not in reached
            )
            and not (i.code == "RESOLVED_REPEATABLE_MIGRATION_NOT_APPLIED" and (deferred or i.description in unapplied))
        ]


class FlywayOrder(_Source):
    """Flyway's migrate loop as a step source (flyway-semantics.md §5.3 step 5)."""

    def __init__(
        self,
        s: Session,
        graph: ReleaseGraph | None = None,
        analysed: lines.Analysed | None = None,
        *,
        resume_run: bool = False,
    ) -> None:
        super().__init__(s, graph, analysed)
        self.resume_run = resume_run
        self._queue: deque[MigrationInfo] = deque()
        self._refusal: PlanError | None = None
        self._planned: dict[str, PlanStep] = {}  # steps placed by the release planner (service/merges.py)
        self._ids: dict[str, str | None] = {}  # content ids of the file's statements taken ahead (prepare)
        self.refresh()

    def refresh(self, rows: Sequence[HistoryRow] | None = None) -> None:
        self.read(rows)
        pending, self._refusal, self._planned = self.info.pending(), None, {}
        if self.graph is not None and self.analysed is not None and self.ledger is not None:
            from flywayx.service import merges

            try:  # a release reached here includes fixes Flyway's order skips: run them where --to would
                pending, self._planned = merges.place_merged(
                    self.s, self.graph, self.analysed, self.ledger, self.info.migrations, pending, self.projected()
                )
            except PlanError as e:  # refused when the run starts (validate and info still read the history)
                self._refusal = e
        self._queue = deque(pending)

    def validation(self) -> list[ValidationIssue]:
        """validateOnMigrate: Flyway's rules with ``*:pending`` ignored."""
        return self.validation_of(["*:pending"])

    def check(self, token: Token | None) -> None:
        super().check(token)
        if not self.resume_run:
            self.refuse_interrupted(token)
        self.refuse_unplaceable()

    def refuse_unplaceable(self) -> None:
        """A release the run reaches includes a fix Flyway's order skips, and ``migrate --to`` that
        release would refuse: nothing runs (``service/merges.py``)."""
        if self._refusal is not None:
            raise self._refusal

    def next_step(self) -> Step | None:
        return self.before_and_after(self._main)

    def prepare(self) -> None:
        """Split the next pending SQL migration not split yet (of the first three in the queue: the
        running one, the next, the one after) and take its content id and the classes of its
        statements, from its file alone; one migration a call (``StepSource.prepare``). The classes only
        where the runner reads them (MySQL/MariaDB: PostgreSQL classifies no statement of a migration run
        in a transaction, and its pipeline needs none)."""
        for info in list(self._queue)[:3]:
            m = info.resolved
            if m is None or m.is_python or m.script in self._ids:
                continue
            statements = statements_of(self.s, m)
            self._ids[m.script] = self._content_id(m, self._change(m), statements)
            server = server_of(self.s.db)
            for st in statements or () if server.mysql_family else ():
                classify(st.sql, server)
            return

    def _main(self) -> Step | None:
        self.refuse_unplaceable()
        if not self._queue:
            return None
        m = self._queue[0].resolved
        assert m is not None
        change = self._change(m)
        item = self.ledger.item(change) if self.ledger is not None and change is not None else None
        why = self.ledger.why(item) if self.ledger is not None and item is not None else None
        if change is not None and item is not None and why is not None:
            from flywayx.plan.ledger import Record

            return self.record_step(Record(change, why[0], why[1], item.owner, item.line))
        late = m.version is not None and self.latest is not None and m.version < self.latest
        skip = resume.resume_skip(self.s, m) if self.resume_run else 0
        statements = statements_of(self.s, m)
        planned = self._planned.get(m.script)
        mysql = self.s.dialect in ("mysql", "mariadb")
        written = statements
        if late and mysql and planned is not None and planned.out_of_order and statements:
            statements = self._placed(planned, statements, skip)  # a late column where --to puts it (merges.py)
        work = Work(
            m,
            statements,
            item.owner if item else None,
            item.line if item else None,
            _phase_of(change) if change else "unknown",
            self._id(m, change, statements) if statements is written else self._content_id(m, change, statements),
            late,
            skip,
            written=written if statements != written else None,
        )
        return Step(work, "pending (out of order)" if late else "pending")

    def _id(self, m: Migration, change: Change | None, statements: Sequence[Statement] | None) -> str | None:
        """The content id of ``m``'s own statements, taken once (``prepare`` may have taken it)."""
        if m.script not in self._ids:
            self._ids[m.script] = self._content_id(m, change, statements)
        return self._ids[m.script]

    def _content_id(self, m: Migration, change: Change | None, statements: Sequence[object] | None) -> str | None:
        if change is not None:
            return change.content_id
        if statements is None:
            return lines.python_content_id(m)
        return content_id(statements, self.s.dialect)  # type: ignore[arg-type]

    def done(self, step: Step, applied: Applied) -> None:
        if not self.advance(step, applied) and self._queue and self._queue[0].resolved is step.migration:
            self._queue.popleft()

    def pending(self) -> list[MigrationInfo]:
        return list(self._queue)

    def preview(self) -> list[PlanStep]:
        """The migrations this run would apply, as plan steps, the ones it would only record left
        out (the operator's summary; empty without a ``releases.toml``: plain Flyway prints none)."""
        if self.analysed is None or self.ledger is None:
            return []
        self.refuse_unplaceable()
        out, seen = [], {r.description for r in self.rows if r.version is None}
        for info in self._queue:
            change = self._change(info.resolved) if info.resolved is not None else None
            if change is None:
                continue
            item = self.ledger.item(change)
            if item is not None and self.ledger.why(item) is not None:
                continue
            late = change.version is not None and self.latest is not None and change.version < self.latest
            why = "pending (out of order)" if late else "pending"
            if change.version is None:
                why = "repeatable: checksum changed" if change.migration.description in seen else "repeatable: new"
            out.append(PlanStep(change, item.owner if item else None, item.line if item else None, why, late))
        return out


class ReleasePlan(_Source):
    """``migrate --to R`` / ``--phase``: the planner's steps, re-planned when the history changes."""

    def __init__(
        self,
        s: Session,
        graph: ReleaseGraph,
        analysed: lines.Analysed,
        target: str | None,
        phase: str | None,
        *,
        resume_run: bool = False,
    ) -> None:
        super().__init__(s, graph, analysed)
        self.target, self.phase, self.resume_run = target, phase, resume_run
        self.analysed: lines.Analysed = analysed
        self._plan: Plan | None = None
        self._queue: deque[PlanStep] = deque()
        self._chosen: list[PlanStep] = []
        self._sent: dict[str, list[Statement]] = {}  # --phase expand: index builds sent CONCURRENTLY
        self.refresh()

    def refresh(self, rows: Sequence[HistoryRow] | None = None) -> None:
        self.read(rows)
        self._plan = None

    @property
    def plan(self) -> Plan:
        """The plan from the history as last read (computed on first use; raises PlanError)."""
        if self._plan is None:
            assert self.graph is not None
            self._plan = lines.make_plan(self.s, self.graph, self.analysed, self.target, rows=self.projected())
            self._chosen = lines.select_phase(self._plan, self.phase, self.analysed)
            self._queue = deque(self._chosen)
            if self.phase == "expand":
                from flywayx.service import expand  # the statement analyser: loaded for --phase expand only

                self._sent = expand.guard(self._queue, self.analysed.statements, self.s.dialect)
        return self._plan

    def sent(self) -> dict[str, list[Statement]]:
        """Statements sent instead of a file's own (``--phase expand``: index builds ``CONCURRENTLY``)."""
        _ = self.plan
        return dict(self._sent)

    def waiting(self) -> list[expand.Waiting]:
        """``--phase expand``: the plan's steps this run leaves for ``--phase contract``, and why."""
        if self.phase != "expand":
            return []
        from flywayx.service import expand

        return expand.waiting(self.plan.steps, self._chosen, self.analysed.statements, self.s.dialect)

    def selected(self) -> list[PlanStep]:
        """The steps this run will apply (the plan's, or its expand phase)."""
        _ = self.plan
        return list(self._queue)

    def records_due(self) -> tuple[list[Record], list[Record]]:
        """(records written first, records written after the steps) — for ``plan`` to show."""
        assert self.graph is not None
        after = self.projected()
        rank = max((r.installed_rank for r in after), default=0)
        for i, step in enumerate(self.selected(), start=1):
            m = step.migration
            after.append(
                HistoryRow(rank + i, m.version, m.description, m.type.value, m.script, m.checksum, "", 0, True)
            )
        later = lines.ledger(self.s, self.graph, self.analysed, after).records()
        return list(self.start), later

    def validation(self) -> list[ValidationIssue]:
        """Flyway's rules, without the "not applied" findings the release plan accounts for."""
        issues = self.validation_of(["*:pending", "*:ignored"])
        assert self.graph is not None
        return [
            i
            for i in issues
            if i.code != "RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED"
            and not lines.shipped_elsewhere(self.s, self.graph, i)
        ]

    def check(self, token: Token | None) -> None:
        super().check(token)
        if not self.resume_run:
            self.refuse_interrupted(token)  # another runner may have been killed mid-migration

    def require_resumed_first(self) -> None:
        """``--resume`` with ``--to``/``--phase``: the migrations the failed or killed run left partly
        applied must be the plan's first steps, or the run would go on over them; raises StateError
        before any step runs."""
        left = sorted(p.script for p in self.s.own.pending_progress() if p.status in ("running", "failed"))
        first = sorted(step.migration.script for step in self.selected()[: len(left)])
        if left and first != left:
            how = f"--to {self.target}" if self.target else f"--phase {self.phase}"
            raise StateError(
                f"migrate --resume {how}: this plan does not start with {', '.join(left)}, which the failed "
                "run left partly applied",
                hint="run `flywayx migrate --resume` (Flyway's order), or --resume --to a release whose plan "
                "runs it first",
            )

    def next_step(self) -> Step | None:
        _ = self.plan
        return self.before_and_after(self._main)

    def _main(self) -> Step | None:
        if not self._queue:
            return None
        step = self._queue[0]
        change = step.change
        script = step.migration.script
        statements = written = self._sent.get(script, self.analysed.statements[script])
        skip = resume.resume_skip(self.s, step.migration) if self.resume_run else 0
        if step.out_of_order and statements and self.s.dialect in ("mysql", "mariadb"):
            statements = self._placed(step, statements, skip)
        work = Work(
            step.migration,
            statements,
            step.release,
            step.line,
            _phase_of(change),
            change.content_id,
            step.out_of_order,
            skip,
            written=written if statements != written else None,
        )
        return Step(work, step.reason)

    def done(self, step: Step, applied: Applied) -> None:
        if not self.advance(step, applied) and self._queue and self._queue[0].migration is step.migration:
            self._queue.popleft()


def _phase_of(change: Change) -> Callable[[], str]:
    """The change's phase, asked for only when its history row is written (footprints may still be
    computed in the background while the first steps run)."""
    return lambda: change.footprint.phase.value


def source_for(
    s: Session, to_release: str | None, phase: str | None, resume_run: bool, *, release: bool = False
) -> FlywayOrder | ReleasePlan:
    """The step source of a migrate run: a release plan with ``--to``/``--phase`` (or ``release``),
    else Flyway's order (keeping the contract when a ``releases.toml`` exists)."""
    if release or to_release is not None or phase in ("expand", "contract"):
        required = lines.require_graph(s)
        return ReleasePlan(s, required, lines.analyse(s), to_release, phase, resume_run=resume_run)
    graph = lines.release_graph(s)
    return FlywayOrder(s, graph, lines.analyse(s) if graph is not None else None, resume_run=resume_run)


Source = FlywayOrder | ReleasePlan


def one_step_only(s: Session, source: Source) -> bool:
    """Flyway's ``target=next``: the run stops after one migration (plain order only)."""
    return isinstance(source, FlywayOrder) and s.config.target.lower() == "next"


__all__ = ["FlywayOrder", "ReleasePlan", "Source", "one_step_only", "record_reason", "record_work", "source_for"]
