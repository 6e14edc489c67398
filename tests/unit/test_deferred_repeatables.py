"""``[repeatables] release = "R"``: repeatable migrations written for release R wait for a target that
includes R (CloudStack's views are re-created only at the end of an upgrade to its own version)."""

from __future__ import annotations

from flywayx.model import Kind
from flywayx.plan.interleave import plan_migrate
from flywayx.sources.releases import parse_releases
from tests.unit.test_interleave import BASE, TOML, change, graph, keys

DEFERRING = TOML + '[repeatables]\nrelease = "1.1.1"\n'
VIEWS = [change("", kind=Kind.REPEATABLE, description=d) for d in ("b_view", "a_view")]


def test_a_target_before_the_views_release_defers_them_and_says_so() -> None:
    plan = plan_migrate(graph(DEFERRING), BASE + VIEWS, [], "1.1.0")
    assert keys(plan) == ["1.0.0.1", "1.0.0.2", "1.1.0.1", "1.1.0.2"]
    deferred = [s for s in plan.skipped if s.reason.startswith("deferred:")]
    assert [s.key for s in deferred] == ["R__a_view.sql", "R__b_view.sql"]
    assert "release 1.1.1" in deferred[0].reason


def test_the_views_release_and_no_target_run_them_last() -> None:
    for target in ("1.1.1", None):
        plan = plan_migrate(graph(DEFERRING), BASE + VIEWS, [], target)
        assert [s.migration.description for s in plan.steps][-2:] == ["a_view", "b_view"]
        assert not [s for s in plan.skipped if s.reason.startswith("deferred:")]


def test_without_the_key_repeatables_run_at_every_target() -> None:
    plan = plan_migrate(graph(), BASE + VIEWS, [], "1.0.0")
    assert [s.migration.description for s in plan.steps][-2:] == ["a_view", "b_view"]


def test_an_unknown_release_or_key_is_a_problem_with_its_line() -> None:
    _, problems = parse_releases(TOML + '[repeatables]\nrelease = "9.9"\nwhen = 1\n')
    text = [p.message for p in problems]
    assert any("[repeatables] release '9.9' is not a declared release" in t for t in text)
    assert any("unknown key 'when' in [repeatables]" in t for t in text)
    assert all(p.line is not None for p in problems)


def test_a_note_is_said_with_the_deferral() -> None:
    toml = DEFERRING + 'note = "stopping at 1.1.0 keeps the old views"\n'
    got, problems = parse_releases(toml)
    assert problems == [] and got.repeatables_note == "stopping at 1.1.0 keeps the old views"
    plan = plan_migrate(graph(toml), BASE + VIEWS, [], "1.1.0")
    assert all(s.reason.endswith("; stopping at 1.1.0 keeps the old views") for s in plan.skipped)
    _, bad = parse_releases(DEFERRING + "note = 3\n")
    assert [p.message for p in bad] == ["[repeatables] note must be a string"]
