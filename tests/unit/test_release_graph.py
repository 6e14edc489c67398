"""Release graph: closure, canonical order, unreleased heads, inference of releases from history."""

from __future__ import annotations

import pytest

from flywayx.errors import ReleaseConfigError, UsageError
from flywayx.model import Kind, Migration, MigrationType, Version
from flywayx.model.release import Release, ReleaseGraph
from flywayx.plan.releases import (
    canonical_order,
    current_releases,
    index_releases,
    infer_releases,
)
from flywayx.sources.releases import parse_releases

GRAPH = """\
[release."4.5.2"]
[release."4.5.3"]
[release."4.6.0"]
from = "4.5.2"
[release."4.6.1"]
merges = ["4.5.3"]
[equivalent]
"4.6.1.1" = "4.5.3.1"
"""

VERSIONS = ["4.5.2.1", "4.5.2.2", "4.5.3.1", "4.6.0.1", "4.6.0.2", "4.6.1.1", "4.6.1.2", "4.6.2.1"]


def mig(version: str, kind: Kind = Kind.VERSIONED) -> Migration:
    name = f"V{version}__c.sql"
    return Migration(kind, Version.parse(version), "c", name, name, MigrationType.SQL, 1)


def graph(text: str = GRAPH) -> ReleaseGraph:
    g, problems = parse_releases(text)
    assert problems == []
    return g


MIGS = [mig(v) for v in VERSIONS]


def test_closure_follows_previous_from_and_merges() -> None:
    index = index_releases(graph(), MIGS)
    assert index.closure("4.5.3") == {"4.5.2", "4.5.3"}
    assert index.closure("4.6.0") == {"4.5.2", "4.6.0"}
    assert index.closure("4.6.1") == {"4.5.2", "4.5.3", "4.6.0", "4.6.1"}
    assert index.closure("4.6.next") == {"4.5.2", "4.5.3", "4.6.0", "4.6.1", "4.6.next"}
    assert index.closure(None) == set(index.order)
    with pytest.raises(UsageError, match=r"unknown release '9\.9'"):
        index.closure("9.9")


def test_canonical_order_is_topological_with_version_ties() -> None:
    index = index_releases(graph(), MIGS)
    assert index.order == ("4.5.2", "4.5.3", "4.6.0", "4.6.1", "4.6.next")
    fresh = [m.version.text for _, m in canonical_order(index, reversed(MIGS), "4.6.1") if m.version]
    assert fresh == ["4.5.2.1", "4.5.2.2", "4.5.3.1", "4.6.0.1", "4.6.0.2", "4.6.1.1", "4.6.1.2"]
    assert [m.version.text for _, m in canonical_order(index, MIGS, "4.6.0") if m.version] == [
        "4.5.2.1",
        "4.5.2.2",
        "4.6.0.1",
        "4.6.0.2",
    ]


def test_parents_come_first_even_when_their_version_is_higher() -> None:
    # a merged release always precedes the release that merges it, whatever the versions say
    text = '[release."1.0.0"]\n[release."1.1.0"]\nfrom = "1.0.0"\nmerges = ["1.0.5"]\n[release."1.0.5"]\n'
    g = graph(text)
    index = index_releases(g, [])
    assert index.order == ("1.0.0", "1.0.5", "1.1.0")
    text = (
        '[release."1.0.0"]\n[release."2.0.0"]\nfrom = "1.0.0"\n[release."2.0.1"]\nmerges = ["1.3.0"]\n'
        '[release."1.3.0"]\nfrom = "2.0.0"\n'
    )
    assert index_releases(graph(text)).order == ("1.0.0", "2.0.0", "1.3.0", "2.0.1")


def test_head_appears_only_when_a_migration_needs_it() -> None:
    assert "4.6.next" not in index_releases(graph(), MIGS[:-1]).order
    head = index_releases(graph(), MIGS).release("4.6.next")
    assert (head.declared, head.parents, head.line) == (False, ("4.6.1",), "4.6")


def test_cycle_in_a_hand_built_graph_is_refused() -> None:
    v = Version.parse
    g = ReleaseGraph((Release("1.0", v("1.0"), "1.0", ("1.1",)), Release("1.1", v("1.1"), "1.1", ("1.0",))))
    with pytest.raises(ReleaseConfigError, match="cycle"):
        index_releases(g)


def test_infer_releases_from_plain_flyway_history() -> None:
    v = Version.parse
    g = graph()
    matches = infer_releases(g, MIGS, [v("4.5.2.1"), v("4.5.2.2"), v("4.6.0.1"), v("4.6.0.2")])
    assert [(m.release, m.exact) for m in matches] == [("4.6.0", True)]
    partial = infer_releases(g, MIGS, [v("4.5.2.1"), v("4.6.0.1")])
    assert [(m.release, m.missing) for m in partial] == [("4.6.0", ("4.5.2.2", "4.6.0.2"))]
    maint = infer_releases(g, MIGS, [v("4.5.2.1"), v("4.5.2.2"), v("4.5.3.1")])
    assert [(m.release, m.exact) for m in maint] == [("4.5.3", True)]
    both = infer_releases(g, MIGS, [v("4.5.3.1"), v("4.6.0.1")])
    assert [m.release for m in both] == ["4.6.1"]
    assert infer_releases(g, MIGS, []) == []


def test_infer_releases_counts_a_declared_equivalent() -> None:
    v = Version.parse
    # 4.6.1.1 is the same change as 4.5.3.1: a 4.6.1 database that ran 4.6.1.1 also holds 4.5.3's change
    applied = [v(x) for x in ("4.5.2.1", "4.5.2.2", "4.6.0.1", "4.6.0.2", "4.6.1.1", "4.6.1.2")]
    assert [(m.release, m.exact) for m in infer_releases(graph(), MIGS, applied)] == [("4.6.1", True)]


def test_current_releases_per_line() -> None:
    v = Version.parse
    g = graph()
    applied = [v(x) for x in ("4.5.2.1", "4.5.2.2", "4.5.3.1", "4.6.0.1", "4.6.0.2")]
    assert current_releases(g, MIGS, applied) == {"4.5": "4.5.3", "4.6": "4.6.0"}
    assert current_releases(g, MIGS, applied[:2]) == {"4.5": "4.5.2", "4.6": None}
    assert current_releases(g, MIGS, []) == {"4.5": None, "4.6": None}
