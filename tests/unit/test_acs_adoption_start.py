"""Which release ``baseline --acs`` adopts for every version CloudStack can meet: the release itself,
or where ``DatabaseUpgradeChecker.getPath`` starts (expectations from acs-corpus.md §3.1, §3.4)."""

from __future__ import annotations

import pytest

from flywayx.errors import StateError
from flywayx_cloudstack.adopt import Hierarchy, adoption_start, read_hierarchy
from flywayx_cloudstack.checker import start_node
from tests.acs_e2e.java_fixture import NODES

HIERARCHY = Hierarchy(tuple(v for v, _ in NODES), "4.22.0.0")
RELEASES = {v for v, _ in NODES} | {"4.19.2.0", "4.22.0.0", "4.4.4", "4.9.0"}  # + step targets


@pytest.mark.parametrize(
    ("db_version", "release"),
    [
        ("4.18.2.0", "4.18.1.0"),  # 4.18.2.x shipped after 4.19.0.0 with no database change
        ("4.18.2.5", "4.18.1.0"),
        ("4.19.3.0", "4.19.1.0"),  # main registers no 4.19.2.0 node
        ("4.20.2.0", "4.20.1.0"),  # released after 4.21.0.0, no node
        ("4.8.2", "4.8.1"),  # 3-part: not equal to the node 4.8.2.0, which compares equal, not below
        ("4.9.0.0", "4.8.2.0"),  # equals does not pad: the 4.9.0 node is missed, 4.8.1 -> 4.9.0 runs again
        ("4.14.2.0", "4.14.1.0"),
        ("4.22.0", "4.22.0.0"),  # compares equal to the latest version: nothing to upgrade
    ],
)
def test_a_version_without_a_release_starts_where_cloudstack_does(db_version: str, release: str) -> None:
    got, why = adoption_start(db_version, RELEASES, HIERARCHY)
    assert got == release
    assert db_version in why and release in why


def test_the_quirk_is_named_when_equality_misses_a_padded_node() -> None:
    _, why = adoption_start("4.9.0.0", RELEASES, HIERARCHY)
    assert "CloudStackVersion.equals does not match" in why and "4.9.0" in why


def test_a_declared_release_is_adopted_as_it_is() -> None:
    for version in ("4.9.3.1", "4.19.2.0", "4.20.1.0", "4.22.0.0"):
        assert adoption_start(version, RELEASES, HIERARCHY) == (version, "")


@pytest.mark.parametrize(
    ("db_version", "words"),
    [
        ("4.23.0.0", "newer than this import's release 4.22.0.0"),
        ("3.0.7", "before this import's first release"),
        ("banana", "not a CloudStack version"),
    ],
)
def test_versions_cloudstack_would_not_upgrade_either_are_refused(db_version: str, words: str) -> None:
    with pytest.raises(StateError, match=words) as info:
        adoption_start(db_version, RELEASES, HIERARCHY)
    assert info.value.hint


def test_without_the_hierarchy_file_an_unknown_version_asks_for_a_new_import() -> None:
    with pytest.raises(StateError, match=r"not in releases\.toml") as info:
        adoption_start("4.20.2.0", RELEASES, None)
    assert info.value.hint is not None and "cloudstack-hierarchy.toml" in info.value.hint


def test_start_node_takes_the_last_registered_node_below() -> None:
    nodes = ["4.4.2", "4.4.3", "4.5.0"]
    assert start_node(nodes, "4.4.3") == "4.4.3" and start_node(nodes, "4.4.9") == "4.4.3"
    assert start_node(nodes, "4.4.1") is None and start_node(nodes, "x") is None


def test_the_hierarchy_file_round_trips_and_rejects_other_shapes() -> None:
    text = 'latest = "4.22.0.0"\nnodes = [["4.0.0", "Upgrade40to41"], ["4.0.1", "Upgrade40to41"]]\n'
    assert read_hierarchy(text) == Hierarchy(("4.0.0", "4.0.1"), "4.22.0.0")
    with pytest.raises(ValueError):
        read_hierarchy('latest = "4.22.0.0"\nnodes = "4.0.0"\n')
