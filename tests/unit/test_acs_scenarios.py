"""CloudStack release history as pure planner scenarios (acs-corpus.md §3.4).

Migrations follow the importer's shape: ``V<R>.1`` prepare SQL, ``V<R>.2`` data migration,
``V<R>.3`` cleanup. Footprints are written by hand from what the real scripts touch.
"""

from __future__ import annotations

import pytest

from flywayx.errors import PlanError
from flywayx.model import HistoryRow, Kind, Migration, MigrationType, Version
from flywayx.model.footprint import Footprint, Phase
from flywayx.model.plan import Change, Plan
from flywayx.model.release import ReleaseGraph
from flywayx.plan.interleave import plan_migrate
from flywayx.plan.releases import infer_releases
from flywayx.sources.releases import parse_releases


def graph(text: str) -> ReleaseGraph:
    g, problems = parse_releases(text)
    assert problems == [], problems
    return g


def change(
    version: str,
    writes: str,
    reads: str = "",
    idempotent: bool = False,
    phase: Phase = Phase.EXPAND,
    content: str | None = None,
) -> Change:
    name = f"V{version}__step.sql"
    m = Migration(Kind.VERSIONED, Version.parse(version), "step", name, name, MigrationType.SQL, 0)
    return Change(
        m, content or f"id-{version}", Footprint(phase, frozenset(reads.split()), frozenset(writes.split()), idempotent)
    )


def rows(plan: Plan, start: int = 1) -> list[HistoryRow]:
    return [
        HistoryRow(start + i, s.migration.version, "step", "SQL", s.migration.script, 0, "cloud", 0, True)
        for i, s in enumerate(plan.steps)
    ]


def at(g: ReleaseGraph, changes: list[Change], release: str) -> list[HistoryRow]:
    """History of a database freshly installed at ``release``."""
    return rows(plan_migrate(g, changes, [], release))


def keys(plan: Plan) -> list[str]:
    return [s.migration.key for s in plan.steps]


# 4.5.3 shipped (2015-09) after 4.6.0 was branched from 4.5.2, and 4.6.1 includes its fixes.
ACS_45 = """\
[release."4.5.2"]
[release."4.5.3"]
[release."4.6.0"]
from = "4.5.2"
[release."4.6.1"]
merges = ["4.5.3"]
"""
CHANGES_45 = [
    change("4.5.2.1", "column:cloud.vm_instance.power_host", "table:cloud.vm_instance"),
    change("4.5.3.1", "append:cloud.configuration"),
    change("4.6.0.1", "table:cloud.external_bigswitch_bcf_devices"),
    change("4.6.0.3", "column:cloud.user_ip_address.display", "table:cloud.user_ip_address", phase=Phase.CONTRACT),
    change("4.6.1.1", "view:cloud.user_vm_view"),
]


def test_453_after_460_is_interleaved_into_461() -> None:
    g = graph(ACS_45)
    plan = plan_migrate(g, CHANGES_45, at(g, CHANGES_45, "4.6.0"), "4.6.1")
    assert keys(plan) == ["4.5.3.1", "4.6.1.1"]
    assert plan.steps[0].out_of_order and plan.steps[0].release == "4.5.3" and plan.steps[0].line == "4.5"
    assert plan.from_releases == ("4.6.0",)
    from_453 = plan_migrate(g, CHANGES_45, at(g, CHANGES_45, "4.5.3"), "4.6.1")
    assert keys(from_453) == ["4.6.0.1", "4.6.0.3", "4.6.1.1"]
    assert not any(s.out_of_order for s in from_453.steps)


def test_db_at_453_cannot_go_to_460_and_is_told_where_it_can_go() -> None:
    g = graph(ACS_45)
    with pytest.raises(PlanError) as caught:
        plan_migrate(g, CHANGES_45, at(g, CHANGES_45, "4.5.3"), "4.6.0")
    err = caught.value
    assert err.details["unreachable"] == [{"version": "4.5.3.1", "release": "4.5.3", "line": "4.5"}]
    assert err.details["reachable"] == ["4.5.3"]
    assert err.details["reachable_on_line"] == ["4.6.1"]
    assert "cannot migrate to 4.6.0" in err.message and "4.5.3.1 (release 4.5.3, line 4.5)" in err.message


def test_both_lines_alter_the_same_column_is_a_named_conflict() -> None:
    g = graph(ACS_45)
    state = ("column:cloud.vm_instance.state", "table:cloud.vm_instance")
    changes = [
        *CHANGES_45[:1],
        change("4.5.3.1", *state, phase=Phase.CONTRACT),
        change("4.6.0.1", *state, phase=Phase.CONTRACT),
        *CHANGES_45[3:],
    ]
    with pytest.raises(PlanError) as caught:
        plan_migrate(g, changes, at(g, changes, "4.6.0"), "4.6.1")
    err = caught.value
    assert [(c.pending, c.applied) for c in err.details["conflicts"]] == [("4.5.3.1", "4.6.0.1")]
    assert "column:cloud.vm_instance.state" in err.details["conflicts"][0].objects
    assert err.details["reachable"] == ["4.6.0"]
    assert "both touch column:cloud.vm_instance.state" in err.message


# 4.9.3.0 (2017-08) was released after 4.10.0.0 (2017-07); 4.11 includes it.
ACS_49 = """\
[release."4.9.2.0"]
[release."4.9.3.0"]
[release."4.10.0.0"]
from = "4.9.2.0"
[release."4.11.0.0"]
from = "4.10.0.0"
merges = ["4.9.3.0"]
"""
CHANGES_49 = [
    change("4.9.2.0.1", "table:cloud.guest_os_hypervisor"),
    change("4.9.3.0.1", "append:cloud.guest_os_hypervisor"),
    change(
        "4.9.3.0.2",
        "rows:cloud.configuration column:cloud.configuration.value",
        "rows:cloud.configuration",
        phase=Phase.DATA,
    ),
    change("4.10.0.0.1", "table:cloud.nic_extra_dhcp_options"),
    change("4.10.0.0.3", "column:cloud.network_offerings.concurrent_connections", "table:cloud.network_offerings"),
    change("4.11.0.0.1", "table:cloud.annotations"),
]


def test_4930_after_41000_reaches_41100_with_its_fixes_late() -> None:
    g = graph(ACS_49)
    plan = plan_migrate(g, CHANGES_49, at(g, CHANGES_49, "4.10.0.0"), "4.11.0.0")
    assert keys(plan) == ["4.9.3.0.1", "4.9.3.0.2", "4.11.0.0.1"]
    assert [s.out_of_order for s in plan.steps] == [True, True, False]
    assert plan.steps[0].line == "4.9"
    with pytest.raises(PlanError) as caught:
        plan_migrate(g, CHANGES_49, at(g, CHANGES_49, "4.9.3.0"), "4.10.0.0")
    assert caught.value.details["reachable"] == ["4.9.3.0"]


def test_41000_database_adopted_from_plain_flyway_history() -> None:
    g = graph(ACS_49)
    applied = [Version.parse(v) for v in ("4.9.2.0.1", "4.10.0.0.1", "4.10.0.0.3")]
    assert [(m.release, m.exact) for m in infer_releases(g, [c.migration for c in CHANGES_49], applied)] == [
        ("4.10.0.0", True)
    ]


# 4.19.2.0 (2025-02) shipped after 4.20.0.0; its 11 statements reappear in 4.20.1.0 as idempotent
# CALL IDEMPOTENT_* statements. 4.20.1.0 does not merge 4.19.2.0: the equivalence is declared.
ACS_419 = """\
[release."4.19.1.0"]
[release."4.19.2.0"]
[release."4.20.0.0"]
from = "4.19.1.0"
[release."4.20.1.0"]
[equivalent]
"4.20.1.0.1" = "4.19.2.0.1"
"""
CHANGES_419 = [
    change("4.19.1.0.1", "table:cloud.webhook"),
    change("4.19.2.0.1", "column:cloud.vm_instance.delete_protection", "table:cloud.vm_instance"),
    change("4.20.0.0.1", "table:cloud.gui_themes"),
    change(
        "4.20.1.0.1",
        "column:cloud.vm_instance.delete_protection",
        "routine:cloud.idempotent_add_column",
        idempotent=True,
    ),
    change("4.20.1.0.3", "column:cloud.volumes.delete_protection", "table:cloud.volumes"),
]


def test_41920_fix_rewritten_idempotently_in_42010_is_satisfied_by_equivalence() -> None:
    g = graph(ACS_419)
    plan = plan_migrate(g, CHANGES_419, at(g, CHANGES_419, "4.19.2.0"), "4.20.1.0")
    assert keys(plan) == ["4.20.0.0.1", "4.20.1.0.3"]
    assert [(s.key, s.reason) for s in plan.skipped] == [
        ("4.20.1.0.1", "satisfied by applied 4.19.2.0.1 (declared equivalent)")
    ]
    fresh = plan_migrate(g, CHANGES_419, [], "4.20.1.0")
    assert "4.20.1.0.1" in keys(fresh) and "4.19.2.0.1" not in keys(fresh)
    from_4200 = plan_migrate(g, CHANGES_419, at(g, CHANGES_419, "4.20.0.0"), "4.20.1.0")
    assert keys(from_4200) == ["4.20.1.0.1", "4.20.1.0.3"]


def test_without_the_declaration_41920_cannot_reach_42010() -> None:
    g = graph(ACS_419.split("[equivalent]")[0])
    with pytest.raises(PlanError) as caught:
        plan_migrate(g, CHANGES_419, at(g, CHANGES_419, "4.19.2.0"), "4.20.1.0")
    assert caught.value.details["unreachable"][0]["version"] == "4.19.2.0.1"


LINEAR = [
    "4.0.0",
    "4.1.0",
    "4.2.0",
    "4.2.1",
    "4.3.0",
    "4.4.0",
    "4.5.0",
    "4.5.1",
    "4.5.2",
    "4.6.0",
    "4.7.0",
    "4.8.0",
    "4.9.0",
    "4.9.1.0",
    "4.9.2.0",
    "4.10.0.0",
    "4.11.0.0",
    "4.12.0.0",
]


def _linear_toml() -> str:
    out: list[str] = []
    last_of: dict[str, str] = {}
    for name in LINEAR:
        line = ".".join(name.split(".")[:2])
        out.append(f'[release."{name}"]')
        if line not in last_of and last_of:
            out.append(f'from = "{LINEAR[LINEAR.index(name) - 1]}"')
        last_of[line] = name
    return "\n".join(out) + "\n"


def test_acs_linear_chain_prepare_data_cleanup_in_order() -> None:
    g = graph(_linear_toml())
    changes = [change(f"{r}.{k}", f"table:cloud.t_{r.replace('.', '_')}_{k}") for r in LINEAR[1:] for k in (1, 2, 3)]
    fresh = plan_migrate(g, changes, [], "4.12.0.0")
    assert keys(fresh) == [c.migration.key for c in changes]
    mid = plan_migrate(g, changes, at(g, changes, "4.5.2"), "4.12.0.0")
    assert keys(mid)[0] == "4.6.0.1" and len(mid.steps) == 3 * (len(LINEAR) - LINEAR.index("4.6.0"))
    assert mid.from_releases == ("4.5.2",)
