"""Property tests: random release graphs and migrations, a tiny real schema in in-memory SQLite.

Every migration is real SQL on SQLite with a hand-written footprint that states what it touches:
a new table of its own, a new column of the shared table ``s``, an order-sensitive ``UPDATE`` of
``s.v``, an ``INSERT`` into ``s``, an idempotent ``CREATE TABLE IF NOT EXISTS`` shared across lines,
or a statement whose footprint is unknown. The database starts with ``s(v)`` holding one row.

Invariants (DESIGN.md "Planning" 6):
- for every start S and target T the planner accepts, applying S then T leaves the same schema and
  data as a fresh install of T (also along a chain S -> T -> U);
- a refusal is the same error on every run, whatever the input order;
- a plan does not depend on the order of its inputs.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flywayx.errors import PlanError
from flywayx.model import HistoryRow, Kind, Migration, MigrationType, Version
from flywayx.model.footprint import UNKNOWN_OBJECT, Footprint, Phase, shared_objects
from flywayx.model.plan import Change, Plan
from flywayx.model.release import Release, ReleaseGraph, line_key
from flywayx.plan.interleave import plan_migrate
from flywayx.plan.ledger import Ledger, with_records


def _fp(phase: Phase, writes: set[str], reads: set[str] | None = None, idem: bool = False) -> Footprint:
    return Footprint(phase, frozenset(reads or ()), frozenset(writes), idem)


def op_sql(op: str, n: int) -> tuple[str, Footprint]:
    """SQL and its true footprint for operation ``op`` with parameter ``n``."""
    if op == "create":
        return f"CREATE TABLE n{n} (id INTEGER)", _fp(Phase.EXPAND, {f"table:n{n}"})
    if op == "addcol":
        return f"ALTER TABLE s ADD COLUMN c{n} INTEGER", _fp(Phase.EXPAND, {f"column:s.c{n}"}, {"table:s"})
    if op == "update":
        touched = {"column:s.v", "rows:s"}
        return f"UPDATE s SET v = v * 2 + {n}", _fp(Phase.DATA, touched, touched)
    if op == "insert":
        return f"INSERT INTO s (v) VALUES ({n})", _fp(Phase.EXPAND, {"append:s"})
    if op == "idem":
        return f"CREATE TABLE IF NOT EXISTS shared{n % 2} (id INTEGER)", _fp(
            Phase.EXPAND, {f"table:shared{n % 2}"}, idem=True
        )
    return f"CREATE TABLE u{n} (id INTEGER)", Footprint(Phase.UNKNOWN, writes=frozenset({UNKNOWN_OBJECT}))


@dataclass
class Scenario:
    graph: ReleaseGraph
    changes: list[Change]
    sql: dict[str, str]  # version text -> SQL

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.graph.releases]


# order-sensitive operations weigh more, so that conflicts and near-conflicts are common
OPS = ["create", "addcol", "update", "update", "insert", "insert", "idem", "unknown"]


def _add(
    releases: list[Release], last_of: dict[str, Release], line: str, branch: str | None, merges: tuple[str, ...]
) -> str:
    if line in last_of:
        name, parents = f"{line}.{int(last_of[line].name.split('.')[2]) + 1}", (last_of[line].name,)
    else:
        assert branch is not None
        name, parents = f"{line}.0", (branch,)
    release = Release(name, Version.parse(name), line, tuple(dict.fromkeys(parents + merges)), branch, merges)
    releases.append(release)
    last_of[line] = release
    return name


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """A release graph built in creation order (parents always exist first, so it is acyclic).

    Steps: the next release of a line (possibly merging others), a new line branched from any
    release, or a *backport*: a maintenance release on an older line, then the next release of a
    newer line that merges it (4.5.3 shipped after 4.6.0, merged into 4.6.1).
    """
    releases: list[Release] = [Release("1.0.0", Version.parse("1.0.0"), "1.0")]
    last_of: dict[str, Release] = {"1.0": releases[0]}
    for _ in range(draw(st.integers(1, 5))):
        action = draw(st.sampled_from(["next", "branch", "backport"]))
        lines = sorted(last_of)
        if action == "branch" and len(lines) < 3:
            _add(releases, last_of, f"1.{len(lines)}", draw(st.sampled_from([r.name for r in releases])), ())
        elif action == "backport" and len(lines) >= 2:
            old, new = sorted(draw(st.lists(st.sampled_from(lines), min_size=2, max_size=2, unique=True)))
            _add(releases, last_of, new, None, (_add(releases, last_of, old, None, ()),))
        else:
            line = draw(st.sampled_from(lines))
            others = [r.name for r in releases if r.line != line]
            merges = draw(st.lists(st.sampled_from(others), max_size=1)) if others else []
            _add(releases, last_of, line, None, tuple(merges))
    graph = ReleaseGraph(tuple(sorted(releases, key=lambda r: r.version)), depth=2)
    changes: list[Change] = []
    sql: dict[str, str] = {}
    for r in releases:
        for k in range(1, draw(st.integers(0, 2)) + 1):
            version = f"{r.name}.{k}"
            op, n = draw(st.sampled_from(OPS)), draw(st.integers(0, 3))
            n = n if op in ("update", "insert", "idem") else len(sql)
            text, footprint = op_sql(op, n)
            sql[version] = text
            name = f"V{version}__{op}.sql"
            m = Migration(Kind.VERSIONED, Version.parse(version), op, name, name, MigrationType.SQL, 0)
            changes.append(Change(m, hashlib.sha256(text.encode()).hexdigest(), footprint))
    assert all(line_key(r.version, 2) == r.line for r in releases)
    return Scenario(graph, changes, sql)


class Simulated:
    """An in-memory SQLite database plus the history rows a real run would have written."""

    def __init__(self) -> None:
        self.conn = sqlite3.connect(":memory:")
        self.conn.execute("CREATE TABLE s (v INTEGER)")
        self.conn.execute("INSERT INTO s (v) VALUES (1)")
        self.history: list[HistoryRow] = []

    def apply(self, sc: Scenario, plan: Plan) -> None:
        """Run the plan's steps, then write the rows the history contract wants, as a migrate run does
        (``plan/ledger.py``: a change in the database through an identical one gets its own row)."""
        for step in plan.steps:
            assert step.migration.version is not None
            self.conn.execute(sc.sql[step.migration.version.text])
            rank = len(self.history) + 1
            self.history.append(
                HistoryRow(
                    rank,
                    step.migration.version,
                    step.migration.description,
                    "SQL",
                    step.migration.script,
                    0,
                    "test",
                    0,
                    True,
                )
            )
        self.history = with_records(self.history, Ledger(sc.graph, sc.changes, self.history).records(), "test")

    def snapshot(self) -> list[tuple[str, tuple[str, ...], list[tuple[object, ...]]]]:
        tables = [t for (t,) in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        out = []
        for t in sorted(tables):
            cols = sorted(c[1] for c in self.conn.execute(f"PRAGMA table_info({t})"))
            rows = sorted(self.conn.execute(f"SELECT {', '.join(cols)} FROM {t}"), key=repr)
            out.append((t, tuple(cols), rows))
        return out


def fresh(sc: Scenario, target: str) -> Simulated:
    db = Simulated()
    db.apply(sc, plan_migrate(sc.graph, sc.changes, [], target))
    return db


def refusal(sc: Scenario, history: list[HistoryRow], target: str, seed: int) -> tuple[str, str] | None:
    changes, rows = sc.changes[:], history[:]
    random.Random(seed).shuffle(changes)
    random.Random(seed).shuffle(rows)
    try:
        plan_migrate(sc.graph, changes, rows, target)
    except PlanError as err:
        return err.message, repr(sorted(err.details.items()))
    return None


def migrate_or_refuse(sc: Scenario, db: Simulated, target: str) -> bool:
    """Apply the plan to ``target``; on refusal check it is deterministic and return False."""
    try:
        plan = plan_migrate(sc.graph, sc.changes, db.history, target)
    except PlanError as err:
        first = (err.message, repr(sorted(err.details.items())))
        assert refusal(sc, db.history, target, 1) == first
        assert refusal(sc, db.history, target, 2) == first
        return False
    shuffled = sc.changes[::-1]
    assert plan_migrate(sc.graph, shuffled, db.history[::-1], target) == plan
    db.apply(sc, plan)
    return True


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(scenarios())
def test_accepted_upgrade_equals_fresh_install(sc: Scenario) -> None:
    expected = {t: fresh(sc, t).snapshot() for t in sc.names}
    for start in sc.names:
        for target in sc.names:
            db = fresh(sc, start)
            if migrate_or_refuse(sc, db, target):
                assert db.snapshot() == expected[target], (start, target)


@SETTINGS
@given(scenarios(), st.data())
def test_chains_of_upgrades_equal_fresh_install(sc: Scenario, data: st.DataObject) -> None:
    path = data.draw(st.lists(st.sampled_from(sc.names), min_size=2, max_size=4))
    db = fresh(sc, path[0])
    for target in path[1:]:
        if not migrate_or_refuse(sc, db, target):
            return
        assert db.snapshot() == fresh(sc, target).snapshot(), path


@SETTINGS
@given(scenarios())
def test_fresh_install_is_always_accepted_and_runs_each_change_once(sc: Scenario) -> None:
    for target in sc.names:
        plan = plan_migrate(sc.graph, sc.changes, [], target)
        versions = [s.migration.version for s in plan.steps]
        assert len(versions) == len(set(versions))
        assert not any(s.out_of_order for s in plan.steps)


OBJECTS = [
    "table:t",
    "table:u",
    "column:t.a",
    "column:t.b",
    "column:u.a",
    "rows:t",
    "append:t",
    "append:u",
    "index:t.i",
    "index:*.i",
    "fk:u.f",
    "view:v",
    "routine:p",
    "table:s1.t",
    "column:s1.t.a",
    UNKNOWN_OBJECT,
]
footprints = st.builds(
    lambda r, w, i: Footprint(Phase.EXPAND, frozenset(r), frozenset(w), i),
    st.sets(st.sampled_from(OBJECTS), max_size=3),
    st.sets(st.sampled_from(OBJECTS), max_size=3),
    st.booleans(),
)
PAIR_GRAPH = ReleaseGraph(
    (
        Release("1.0.0", Version.parse("1.0.0"), "1.0"),
        Release("1.0.1", Version.parse("1.0.1"), "1.0", ("1.0.0",)),
        Release("1.1.0", Version.parse("1.1.0"), "1.1", ("1.0.0",), "1.0.0"),
        Release("1.1.1", Version.parse("1.1.1"), "1.1", ("1.1.0", "1.0.1"), None, ("1.0.1",)),
    )
)


@settings(max_examples=300, deadline=None)
@given(footprints, footprints, st.lists(footprints, max_size=3))
def test_index_never_misses_an_interference(late: Footprint, applied: Footprint, others: list[Footprint]) -> None:
    """A late change is refused exactly when shared_objects says it meets an applied change."""

    def mk(version: str, footprint: Footprint) -> Change:
        name = f"V{version}__x.sql"
        return Change(
            Migration(Kind.VERSIONED, Version.parse(version), "x", name, name, MigrationType.SQL, 0), None, footprint
        )

    later = [applied, *others]
    changes = [mk("1.0.1.1", late)] + [mk(f"1.1.0.{i}", f) for i, f in enumerate(later, start=1)]
    rows = [
        HistoryRow(i, Version.parse(f"1.1.0.{i}"), "x", "SQL", "x", 0, "t", 0, True) for i in range(1, len(later) + 1)
    ]
    expected = [f"1.1.0.{i}" for i, f in enumerate(later, start=1) if shared_objects(late, f)]
    try:
        plan = plan_migrate(PAIR_GRAPH, changes, rows, "1.1.1")
    except PlanError as err:
        assert [c.applied for c in err.details["conflicts"]] == expected
    else:
        assert expected == [] and plan.steps[0].out_of_order


def _updates(graph: ReleaseGraph, spec: dict[str, int]) -> Scenario:
    """A scenario whose migrations are all ``UPDATE s SET v = v * 2 + n`` (``spec``: version -> n)."""
    changes, sql = [], {}
    for version, n in spec.items():
        sql[version], footprint = op_sql("update", n)
        name = f"V{version}__update.sql"
        m = Migration(Kind.VERSIONED, Version.parse(version), "update", name, name, MigrationType.SQL, 0)
        changes.append(Change(m, hashlib.sha256(sql[version].encode()).hexdigest(), footprint))
    return Scenario(graph, changes, sql)


def _merge_graph(*old_line: str) -> ReleaseGraph:
    """1.0.0, line 1.0 continuing with ``old_line``; 1.1.0 branched from 1.0.0; 1.1.1 merging the last of 1.0."""
    releases, parent = [Release("1.0.0", Version.parse("1.0.0"), "1.0")], "1.0.0"
    for name in old_line:
        releases.append(Release(name, Version.parse(name), "1.0", (parent,)))
        parent = name
    releases += [
        Release("1.1.0", Version.parse("1.1.0"), "1.1", ("1.0.0",), "1.0.0"),
        Release("1.1.1", Version.parse("1.1.1"), "1.1", ("1.1.0", parent), None, (parent,)),
    ]
    return ReleaseGraph(tuple(releases), depth=2)


def test_an_upgrade_that_would_run_a_shared_fix_in_another_place_is_refused() -> None:
    # Found by hypothesis: 1.0.3.1 and 1.1.0.2 are the same change (identical SQL). 1.1.1 merges 1.0.3,
    # so a fresh 1.1.1 runs it at 1.0.3.1's place, before 1.1.0.1 (v = 6), while a database at 1.1.0
    # ran it after 1.1.0.1 (v = 5): the upgrade 1.1.0 -> 1.1.1 was accepted and left v = 5.
    sc = _updates(_merge_graph("1.0.1", "1.0.2", "1.0.3"), {"1.0.3.1": 1, "1.1.0.1": 0, "1.1.0.2": 1})
    assert fresh(sc, "1.1.1").snapshot() == [("s", ("v",), [(6,)])]
    db = fresh(sc, "1.0.3")
    assert migrate_or_refuse(sc, db, "1.1.1")
    assert db.snapshot() == fresh(sc, "1.1.1").snapshot()
    db = fresh(sc, "1.1.0")
    details = _conflict_details(sc, db, "1.1.1")
    reordered = details["reordered"]
    assert isinstance(reordered, list)
    assert [(c.pending, c.applied, c.objects) for c in reordered] == [("1.1.0.2", "1.1.0.1", ("column:s.v", "rows:s"))]
    assert refusal(sc, db.history, "1.1.1", 0) == (
        "cannot migrate to 1.1.1: applied 1.1.0.2 and 1.1.0.1 ran in the other order than 1.1.1 runs them "
        "(1.1.0.2 is the same change as 1.0.3.1, which 1.1.1 runs before 1.1.0.1) and both touch column:s.v, rows:s",
        repr(sorted(details.items())),
    )


def test_applied_changes_the_target_orders_otherwise_may_move_when_they_commute() -> None:
    # the same shape, but 1.1.0.1 creates a table: the fix may take 1.0.3.1's place
    sc = _updates(_merge_graph("1.0.3"), {"1.0.3.1": 1, "1.1.0.2": 1})
    text, footprint = op_sql("create", 7)
    m = Migration(Kind.VERSIONED, Version.parse("1.1.0.1"), "create", "V1.1.0.1__create.sql", "", MigrationType.SQL, 0)
    sc.changes.append(Change(m, hashlib.sha256(text.encode()).hexdigest(), footprint))
    sc.sql["1.1.0.1"] = text
    db = fresh(sc, "1.1.0")
    assert migrate_or_refuse(sc, db, "1.1.1")
    assert db.snapshot() == fresh(sc, "1.1.1").snapshot()


def test_a_row_recording_a_change_as_satisfied_is_not_when_it_ran() -> None:
    # 1.1.0 -> 1.1.1 runs the fix as 1.0.3.1, then 1.1.1.2; the contract then records 1.1.1.1 (the same
    # fix) as satisfied, in a row after 1.1.1.2's: the next upgrade must read that row as bookkeeping,
    # not as the fix running after 1.1.1.2
    graph = _merge_graph("1.0.3")
    graph = ReleaseGraph((*graph.releases, Release("1.1.2", Version.parse("1.1.2"), "1.1", ("1.1.1",))), depth=2)
    sc = _updates(graph, {"1.0.3.1": 1, "1.1.1.1": 1, "1.1.1.2": 2, "1.1.2.1": 3})
    db = fresh(sc, "1.1.0")
    assert migrate_or_refuse(sc, db, "1.1.1")
    assert [r.version.text for r in db.history if r.version] == ["1.0.3.1", "1.1.1.2", "1.1.1.1"]
    assert migrate_or_refuse(sc, db, "1.1.2")
    assert db.snapshot() == fresh(sc, "1.1.2").snapshot()


def _conflict_details(sc: Scenario, db: Simulated, target: str) -> dict[str, object]:
    with pytest.raises(PlanError) as caught:
        plan_migrate(sc.graph, sc.changes, db.history, target)
    return caught.value.details
