"""The interleave planner on hand-built graphs, footprints and history."""

from __future__ import annotations

import json
import random

import pytest

from flywayx.errors import Conflict, DuplicateMigrationError, PlanError, UsageError
from flywayx.model import HistoryRow, Kind, Migration, MigrationType, Version
from flywayx.model.footprint import Footprint, Phase
from flywayx.model.plan import Change, LineRecord, Plan
from flywayx.model.release import ReleaseGraph
from flywayx.plan.interleave import plan_migrate
from flywayx.sources.releases import parse_releases

TOML = """\
[release."1.0.0"]
[release."1.0.1"]
[release."1.1.0"]
from = "1.0.0"
[release."1.1.1"]
merges = ["1.0.1"]
"""


def graph(text: str = TOML) -> ReleaseGraph:
    g, problems = parse_releases(text)
    assert problems == []
    return g


def fp(writes: str = "", reads: str = "", idempotent: bool = False, phase: Phase = Phase.EXPAND) -> Footprint:
    return Footprint(phase, frozenset(reads.split()), frozenset(writes.split()), idempotent)


def change(
    version: str,
    footprint: Footprint | None = None,
    content: str | None = None,
    kind: Kind = Kind.VERSIONED,
    checksum: int = 1,
    description: str = "c",
) -> Change:
    prefix = {Kind.VERSIONED: "V", Kind.BASELINE: "B", Kind.REPEATABLE: "R"}[kind]
    mtype = MigrationType.SQL_BASELINE if kind is Kind.BASELINE else MigrationType.SQL
    v = Version.parse(version) if kind is not Kind.REPEATABLE else None
    name = f"{prefix}{version if v else ''}__{description}.sql"
    m = Migration(kind, v, description, name, "/p/" + name, mtype, checksum)
    return Change(m, content, footprint or fp(f"table:t{version.replace('.', '_')}"))


def row(
    rank: int, version: str | None, type_: str = "SQL", success: bool = True, checksum: int = 1, description: str = "c"
) -> HistoryRow:
    v = Version.parse(version) if version else None
    return HistoryRow(rank, v, description, type_, "s", checksum, "me", 1, success)


def history(*versions: str) -> list[HistoryRow]:
    return [row(i, v) for i, v in enumerate(versions, start=1)]


def keys(plan: Plan) -> list[str]:
    return [s.migration.key for s in plan.steps]


# Each migration touches its own table unless a test says otherwise.
BASE = [change(v) for v in ("1.0.0.1", "1.0.0.2", "1.0.1.1", "1.1.0.1", "1.1.0.2", "1.1.1.1")]


def test_fresh_install_applies_closure_in_canonical_order() -> None:
    plan = plan_migrate(graph(), list(reversed(BASE)), [], "1.1.1")
    assert keys(plan) == ["1.0.0.1", "1.0.0.2", "1.0.1.1", "1.1.0.1", "1.1.0.2", "1.1.1.1"]
    assert [s.release for s in plan.steps] == ["1.0.0", "1.0.0", "1.0.1", "1.1.0", "1.1.0", "1.1.1"]
    assert [s.line for s in plan.steps][2:4] == ["1.0", "1.1"]
    assert not any(s.out_of_order for s in plan.steps)
    assert plan.steps[0].reason == "in 1.1.1: release 1.0.0, line 1.0"
    assert plan.from_releases == () and plan.target == "1.1.1"
    assert json.loads(json.dumps(plan.to_dict()))["steps"][2]["release"] == "1.0.1"
    assert keys(plan_migrate(graph(), BASE, [], "1.1.0")) == ["1.0.0.1", "1.0.0.2", "1.1.0.1", "1.1.0.2"]


def test_nothing_to_do_at_target() -> None:
    plan = plan_migrate(graph(), BASE, history("1.0.0.1", "1.0.0.2", "1.1.0.1", "1.1.0.2"), "1.1.0")
    assert plan.steps == () and plan.from_releases == ("1.1.0",)


def test_maintenance_change_arriving_late_runs_out_of_order_when_it_commutes() -> None:
    plan = plan_migrate(graph(), BASE, history("1.0.0.1", "1.0.0.2", "1.1.0.1", "1.1.0.2"), "1.1.1")
    assert keys(plan) == ["1.0.1.1", "1.1.1.1"]
    late = plan.steps[0]
    assert late.out_of_order and late.release == "1.0.1"
    assert "before applied 1.1.0.1" in late.reason and "2 applied change(s)" in late.reason
    assert not plan.steps[1].out_of_order


def test_genuine_conflict_names_every_pair_and_objects_and_working_releases() -> None:
    changes = [
        *BASE[:2],
        change("1.0.1.1", fp("column:t.c", phase=Phase.CONTRACT)),
        change("1.1.0.1", fp("column:t.c")),
        change("1.1.0.2", fp("rows:t column:t.c", phase=Phase.DATA)),
        BASE[5],
    ]
    with pytest.raises(PlanError) as caught:
        plan_migrate(graph(), changes, history("1.0.0.1", "1.0.0.2", "1.1.0.1", "1.1.0.2"), "1.1.1")
    err = caught.value
    assert err.details["conflicts"] == [
        Conflict("1.0.1.1", "1.1.0.1", ("column:t.c",)),
        Conflict("1.0.1.1", "1.1.0.2", ("column:t.c",)),
    ]
    assert err.details["reachable"] == ["1.1.0"]
    assert "1.0.1.1 would run after applied 1.1.0.1 but both touch column:t.c" in err.message
    assert err.exit_code == 1 and err.error_code == "PLAN_IMPOSSIBLE"


def test_declared_resolution_lets_a_checked_pair_through() -> None:
    text = TOML + '[commutes]\n"1.0.1.1" = ["1.1.0.1"]\n'
    changes = [
        *BASE[:2],
        change("1.0.1.1", fp("column:t.c", "table:t")),
        change("1.1.0.1", fp("column:t.c", "table:t")),
        *BASE[4:],
    ]
    plan = plan_migrate(graph(text), changes, history("1.0.0.1", "1.0.0.2", "1.1.0.1", "1.1.0.2"), "1.1.1")
    assert keys(plan) == ["1.0.1.1", "1.1.1.1"] and plan.steps[0].out_of_order


def test_two_idempotent_changes_commute() -> None:
    changes = [
        *BASE[:2],
        change("1.0.1.1", fp("index:t.i", "table:t", idempotent=True)),
        change("1.1.0.1", fp("index:t.i", "table:t", idempotent=True)),
        *BASE[4:],
    ]
    plan = plan_migrate(graph(), changes, history("1.0.0.1", "1.0.0.2", "1.1.0.1", "1.1.0.2"), "1.1.1")
    assert keys(plan)[0] == "1.0.1.1"


def test_unknown_footprint_conflicts_with_every_later_applied_change() -> None:
    changes = [*BASE[:2], Change(BASE[2].migration), *BASE[3:]]  # no footprint given: unknown
    with pytest.raises(PlanError) as caught:
        plan_migrate(graph(), changes, history("1.0.0.1", "1.0.0.2", "1.1.0.1", "1.1.0.2"), "1.1.1")
    assert [(c.applied, c.objects) for c in caught.value.details["conflicts"]] == [
        ("1.1.0.1", ("table:t1_1_0_1",)),
        ("1.1.0.2", ("table:t1_1_0_2",)),
    ]


def test_strict_line_policy_refuses_out_of_order_even_when_it_commutes() -> None:
    applied = history("1.0.0.1", "1.0.0.2", "1.1.0.1", "1.1.0.2")
    with pytest.raises(PlanError) as caught:
        plan_migrate(graph(), BASE, applied, "1.1.1", policy={"1.0": "strict"})
    assert caught.value.details["strict"] == [Conflict("1.0.1.1", "1.1.0.1", ())]
    assert "strict" in caught.value.message
    # the policy is per line: strict on 1.1 does not concern the late 1.0 change
    assert keys(plan_migrate(graph(), BASE, applied, "1.1.1", policy={"1.1": "strict"}))[0] == "1.0.1.1"
    with pytest.raises(UsageError, match="unknown ordering policy"):
        plan_migrate(graph(), BASE, applied, "1.1.1", policy={"1.0": "sometimes"})


def test_unreachable_target_names_the_change_and_the_covering_releases() -> None:
    with pytest.raises(PlanError) as caught:
        plan_migrate(graph(), BASE, history("1.0.0.1", "1.0.0.2", "1.0.1.1"), "1.1.0")
    err = caught.value
    assert err.details["unreachable"] == [{"version": "1.0.1.1", "release": "1.0.1", "line": "1.0"}]
    assert err.details["reachable"] == ["1.0.1"]
    assert err.details["reachable_on_line"] == ["1.1.1"]
    assert "1.0.1.1 (release 1.0.1, line 1.0)" in err.message
    assert err.hint is not None and "1.1.1" in err.hint


def test_identical_content_on_another_line_is_the_same_change() -> None:
    text = '[release."1.0.0"]\n[release."1.0.1"]\n[release."1.1.0"]\nfrom = "1.0.0"\n'
    changes = [
        change("1.0.0.1"),
        change("1.0.1.1", fp("column:t.c", "table:t"), "abc"),
        change("1.1.0.1", fp("column:t.c", "table:t"), "abc"),
        change("1.1.0.2"),
    ]
    plan = plan_migrate(graph(text), changes, history("1.0.0.1", "1.0.1.1"), "1.1.0")
    assert keys(plan) == ["1.1.0.2"]
    skipped = [(s.key, s.reason) for s in plan.skipped]
    assert skipped == [("1.1.0.1", "satisfied by applied 1.0.1.1 (identical content)")]


def test_declared_equivalence_makes_a_parallel_fix_reachable() -> None:
    text = (
        '[release."1.0.0"]\n[release."1.0.1"]\n[release."1.1.0"]\nfrom = "1.0.0"\n'
        '[release."1.1.1"]\n[equivalent]\n"1.1.1.1" = "1.0.1.1"\n'
    )
    changes = [
        change("1.0.0.1"),
        change("1.0.1.1", fp("column:t.c", "table:t"), "x"),
        change("1.1.0.1"),
        change("1.1.1.1", fp("column:t.c", "table:t", idempotent=True), "y"),
        change("1.1.1.2"),
    ]
    plan = plan_migrate(graph(text), changes, history("1.0.0.1", "1.0.1.1"), "1.1.1")
    assert keys(plan) == ["1.1.0.1", "1.1.1.2"]
    assert plan.skipped[0].reason == "satisfied by applied 1.0.1.1 (declared equivalent)"
    with pytest.raises(PlanError):  # without the declaration 1.1.1 lacks 1.0.1.1
        plan_migrate(graph(text.split("[equivalent]")[0]), changes, history("1.0.0.1", "1.0.1.1"), "1.1.1")


def test_baseline_marker_at_a_release_stands_for_its_closure() -> None:
    plan = plan_migrate(graph(), BASE, [row(1, "1.1.0", "BASELINE")], "1.1.1")
    assert keys(plan) == ["1.0.1.1", "1.1.1.1"]
    plan = plan_migrate(graph(), BASE, [row(1, "1.0.0.1", "BASELINE")], "1.1.0")  # not a release: <= 1.0.0.1
    assert keys(plan) == ["1.0.0.2", "1.1.0.1", "1.1.0.2"]


def test_baseline_migration_runs_only_on_an_empty_schema() -> None:
    b = change("1.0.0", fp("table:base"), kind=Kind.BASELINE)
    fresh = plan_migrate(graph(), [b, *BASE], [], "1.1.0")
    assert keys(fresh) == ["1.0.0", "1.1.0.1", "1.1.0.2"]
    assert {s.key for s in fresh.skipped} == {"1.0.0.1", "1.0.0.2"}
    used = plan_migrate(graph(), [b, *BASE], history("1.0.0.1", "1.0.0.2"), "1.1.0")
    assert keys(used) == ["1.1.0.1", "1.1.0.2"]
    skipped = [(s.key, s.reason) for s in used.skipped]
    assert skipped == [("B1.0.0", "baseline migrations only run on an empty schema")]


def test_delete_and_failed_rows_do_not_count_as_applied() -> None:
    rows = [*history("1.0.0.1", "1.0.0.2"), row(3, "1.0.0.2", "DELETE"), row(4, "1.1.0.1", success=False)]
    plan = plan_migrate(graph(), BASE, rows, "1.1.0")
    assert keys(plan) == ["1.0.0.2", "1.1.0.1", "1.1.0.2"]
    assert any("failed row for 1.1.0.1" in w for w in plan.warnings)


def test_applied_change_missing_locally_is_warned_and_blocks_nothing_behind_it() -> None:
    plan = plan_migrate(graph(), BASE[:1] + BASE[2:], history("1.0.0.1", "1.0.0.2"), "1.1.0")
    assert keys(plan) == ["1.1.0.1", "1.1.0.2"]
    assert plan.warnings == ("applied migration 1.0.0.2 is not among the resolved migrations",)


def test_renumbered_file_is_recognised_by_its_content_id() -> None:
    moved = [*BASE[:1], change("1.0.0.3", content="same"), *BASE[2:]]
    records = [LineRecord(Version.parse("1.0.0.2"), "same", "1.0.0")]
    plan = plan_migrate(graph(), moved, history("1.0.0.1", "1.0.0.2"), "1.1.0", line_records=records)
    assert keys(plan) == ["1.1.0.1", "1.1.0.2"]


def test_repeatables_run_after_versioned_when_new_or_changed() -> None:
    reps = [
        change("v_b", kind=Kind.REPEATABLE, description="b view", checksum=7),
        change("v_a", kind=Kind.REPEATABLE, description="a view", checksum=5),
        change("v_c", kind=Kind.REPEATABLE, description="c view", checksum=9),
    ]
    rows = [
        *history("1.0.0.1"),
        row(2, None, checksum=5, description="a view"),
        row(3, None, checksum=8, description="c view"),
    ]
    plan = plan_migrate(graph(), [*BASE, *reps], rows, "1.0.0")
    assert keys(plan) == ["1.0.0.2", "b view", "c view"]
    assert [s.reason for s in plan.steps[1:]] == ["repeatable: new", "repeatable: checksum changed"]


def test_target_by_equal_version_latest_and_unknown() -> None:
    assert plan_migrate(graph(), BASE, [], "1.1").target == "1.1.0"
    assert len(plan_migrate(graph(), BASE, [], None).steps) == len(BASE)
    with pytest.raises(UsageError, match="unknown release"):
        plan_migrate(graph(), BASE, [], "7.0.0")


def test_duplicate_versions_are_refused() -> None:
    with pytest.raises(DuplicateMigrationError):
        plan_migrate(graph(), [*BASE, change("1.0.0.1")], [], "1.0.0")


def test_plan_and_refusal_do_not_depend_on_input_order() -> None:
    changes = [
        *BASE[:2],
        change("1.0.1.1", fp("column:t.c", "table:t")),
        change("1.1.0.1", fp("column:t.c", "table:t")),
        *BASE[4:],
    ]
    rows = history("1.0.0.1", "1.0.0.2", "1.1.0.1", "1.1.0.2")
    messages = set()
    for seed in range(5):
        shuffled = changes[:]
        random.Random(seed).shuffle(shuffled)
        with pytest.raises(PlanError) as caught:
            plan_migrate(graph(), shuffled, rows, "1.1.1")
        messages.add((caught.value.message, str(caught.value.details)))
        fresh = plan_migrate(graph(), shuffled, [], "1.1.1")
        assert fresh == plan_migrate(graph(), changes, [], "1.1.1")
    assert len(messages) == 1
