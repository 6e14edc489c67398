"""releases.toml: parsing, and every problem reported at once with its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from flywayx.errors import ConfigError, ReleaseConfigError
from flywayx.model import Kind, Migration, MigrationType, Version
from flywayx.sources.releases import Elsewhere, check_migrations, find_releases_file, load_releases, parse_releases

GOOD = """\
[lines]
depth = 2

[release."4.5.2"]
[release."4.5.3"]                  # shipped after 4.6.0
[release."4.6.0"]
from = "4.5.2"                     # branch point
[release."4.6.1"]
merges = ["4.5.3"]

[equivalent]
"4.6.1.1" = "4.5.3.1"

[commutes]
"4.5.3.2" = ["4.6.0.1"]
"""


def mig(version: str, kind: Kind = Kind.VERSIONED) -> Migration:
    prefix = "B" if kind is Kind.BASELINE else "V"
    name = f"{prefix}{version}__change.sql"
    mtype = MigrationType.SQL_BASELINE if kind is Kind.BASELINE else MigrationType.SQL
    return Migration(kind, Version.parse(version), "change", name, f"/p/sql/{name}", mtype, 1)


def messages(text: str) -> list[tuple[int | None, str]]:
    return [(p.line, p.message) for p in parse_releases(text, "releases.toml")[1]]


def test_good_file_gives_lines_parents_and_source_lines() -> None:
    graph, problems = parse_releases(GOOD, "releases.toml")
    assert problems == []
    by = {r.name: r for r in graph.releases}
    assert [r.name for r in graph.releases] == ["4.5.2", "4.5.3", "4.6.0", "4.6.1"]
    assert by["4.5.3"].line == "4.5" and by["4.6.1"].line == "4.6"
    assert by["4.5.3"].parents == ("4.5.2",)  # previous release of the line is implicit
    assert by["4.6.0"].parents == ("4.5.2",)  # branch point
    assert by["4.6.1"].parents == ("4.6.0", "4.5.3")  # previous, then merges
    assert (by["4.5.2"].source_line, by["4.6.0"].source_line) == (4, 6)
    equivalents = [(e.version.text, e.other.text, e.source_line) for e in graph.equivalents]
    assert equivalents == [("4.6.1.1", "4.5.3.1", 12)]
    assert [(r.version.text, r.other.text) for r in graph.resolutions] == [("4.5.3.2", "4.6.0.1")]
    assert graph.lines == ("4.5", "4.6")


def test_default_depth_is_two_and_depth_three_splits_acs_style_lines() -> None:
    assert parse_releases('[release."1.2.3"]\n')[0].releases[0].line == "1.2"
    graph, problems = parse_releases('[lines]\ndepth = 3\n[release."4.9.3.0"]\n[release."4.9.3.1"]\n')
    assert problems == []
    assert [r.line for r in graph.releases] == ["4.9.3", "4.9.3"]


def test_ownership_by_longest_proper_prefix_and_unreleased_head() -> None:
    graph, _ = parse_releases(GOOD)
    assert graph.owner(Version.parse("4.6.0.2")) == "4.6.0"
    assert graph.owner(Version.parse("4.5.3.10")) == "4.5.3"
    assert graph.owner(Version.parse("4.6.2.1")) == "4.6.next"  # after 4.6.1: the line's next release
    assert graph.owner(Version.parse("4.6.1")) is None  # equal is not a proper prefix
    assert graph.owner(Version.parse("4.6.1"), inclusive=True) == "4.6.1"
    assert graph.owner(Version.parse("4.5.1.1")) is None  # inside line 4.5 but under no release
    assert graph.owner(Version.parse("4.7.0.1")) is None  # line 4.7 has no release


def test_every_structural_problem_is_reported_with_its_line() -> None:
    text = """\
[lines]
depth = 2
colour = "blue"
[release."1.0.0"]
[release."1.0.1"]
merges = ["1.1.1"]
[release."1.1.0"]
from = "1.0.9"
[release."1.1.1"]
merges = ["1.0.1"]
[release."2.0.0"]
[release."x.y"]
frm = "1.0.0"
"""
    found = messages(text)
    assert (3, "unknown key 'colour' in [lines] (known: column_order, depth, ordering)") in found
    assert (8, 'release "1.1.0" from unknown release "1.0.9"') in found
    assert (11, 'release "2.0.0" is the first of line 2.0 but has no `from` (its branch point)') in found
    assert any(line == 12 and "'x.y' is not a version" in msg for line, msg in found)
    cycle = [msg for _, msg in found if "cycle" in msg]
    assert len(cycle) == 1 and "1.0.1" in cycle[0] and "1.1.1" in cycle[0]
    assert (13, "unknown key 'frm' in [release.\"x.y\"] (known: from, merges)") in found
    assert len(found) == 6


def test_project_first_release_needs_no_from_but_a_second_root_does() -> None:
    assert messages('[release."1.0.0"]\n') == []
    assert messages('[release."1.0.0"]\n[release."1.1.0"]\n') == [
        (2, 'release "1.1.0" is the first of line 1.1 but has no `from` (its branch point)')
    ]


def test_same_version_spelled_twice_and_bad_types() -> None:
    found = messages('[release."4.6"]\n[release."4.6.0"]\n[release."4.6.1"]\nmerges = 5\n[lines]\ndepth = 0\n')
    assert (2, "release '4.6.0' is the same version as release '4.6'") in found
    assert (4, "merges must be a release name or a list of them, got 5") in found
    assert (6, "[lines] depth must be a positive integer, got 0") in found


def test_syntax_error_points_at_its_line() -> None:
    found = messages('[release."1.0.0"]\nfrom = \n')
    assert len(found) == 1 and found[0][0] == 2 and found[0][1].startswith("invalid TOML")


def test_migration_checks_name_the_file_and_the_equivalence_line() -> None:
    graph, _ = parse_releases(GOOD, "conf/releases.toml")
    git_saw_461 = Elsewhere({}, frozenset({"4.6.1"}))  # git read tag 4.6.1: it has no 4.6.1.1
    problems = check_migrations(
        graph,
        [mig("4.5.2.1"), mig("4.5.3.1"), mig("4.6.0.1"), mig("4.7.0.1"), mig("4.5.1.1"), mig("4.6.2.1")],
        git_saw_461,
    )
    texts = [str(p) for p in problems]
    assert "conf/releases.toml:12: [equivalent] 4.6.1.1 = 4.5.3.1: no migration with version 4.6.1.1" in texts
    assert "conf/releases.toml:15: [commutes] 4.5.3.2 = 4.6.0.1: no migration with version 4.5.3.2" in texts
    nowhere = [p for p in problems if "belongs to no release" in p.message]
    assert sorted(p.file for p in nowhere) == ["/p/sql/V4.5.1.1__change.sql", "/p/sql/V4.7.0.1__change.sql"]


def test_an_equivalent_on_another_branch_is_known_from_git_or_taken_on_trust() -> None:
    graph, _ = parse_releases(GOOD, "conf/releases.toml")
    here = [mig("4.5.2.1"), mig("4.5.3.1"), mig("4.5.3.2"), mig("4.6.0.1")]  # no file of 4.6.1 here
    assert check_migrations(graph, here, Elsewhere({Version.parse("4.6.1.1"): "cid"}, frozenset({"4.6.1"}))) == []
    assert check_migrations(graph, here) == []  # no git to ask: 4.6.1's files are on another branch
    [problem] = check_migrations(graph, here, Elsewhere({}, frozenset({"4.6.1"})))
    assert problem.message == "[equivalent] 4.6.1.1 = 4.5.3.1: no migration with version 4.6.1.1"
    # a release whose files are here cannot hide one: a version missing there is a typo
    [typo] = check_migrations(graph, [*here[:2], here[3]])
    assert typo.message.endswith("no migration with version 4.5.3.2")


def test_baseline_migration_may_equal_its_release() -> None:
    graph, _ = parse_releases('[release."4.0.0"]\n')
    assert check_migrations(graph, [mig("4.0.0", Kind.BASELINE)]) == []
    assert len(check_migrations(graph, [mig("4.0.0")])) == 1


def test_load_raises_one_error_with_all_problems(tmp_path: Path) -> None:
    path = tmp_path / "releases.toml"
    path.write_text('[release."1.0.0"]\n[release."1.1.0"]\n[equivalent]\n"1.1.0.1" = "1.0.0.9"\n')
    with pytest.raises(ReleaseConfigError) as caught:
        load_releases(path, [mig("1.0.0.1"), mig("1.1.0.1"), mig("3.0.0.1")])
    problems = caught.value.details["problems"]
    assert len(problems) == 3
    assert {p.line for p in problems if p.file == str(path)} == {2, 4}
    lines = caught.value.message.splitlines()
    assert lines[0] == f"{path} is invalid (3 problems):"
    assert lines[1:] == [str(p) for p in problems]  # every problem shown, with file:line
    assert caught.value.exit_code == 1


def test_load_returns_graph_when_valid(tmp_path: Path) -> None:
    path = tmp_path / "releases.toml"
    path.write_text(GOOD)
    graph = load_releases(path, [mig(v) for v in ("4.5.2.1", "4.5.3.1", "4.5.3.2", "4.6.0.1", "4.6.1.1")])
    assert graph.source == str(path) and len(graph.releases) == 4


def test_find_releases_file(tmp_path: Path) -> None:
    (tmp_path / "sql").mkdir()
    assert find_releases_file([f"filesystem:{tmp_path / 'sql'}"]) is None
    (tmp_path / "sql" / "releases.toml").write_text(GOOD)
    assert (
        find_releases_file([f"filesystem:{tmp_path / 'sql'}", "filesystem:/nowhere"])
        == tmp_path / "sql" / "releases.toml"
    )
    explicit = tmp_path / "sql" / "releases.toml"
    assert find_releases_file([], str(explicit)) == explicit
    with pytest.raises(ConfigError):
        find_releases_file([], str(tmp_path / "missing.toml"))


def test_a_syntax_error_is_reported_alone_not_with_the_errors_it_causes(tmp_path: Path) -> None:
    path = tmp_path / "releases.toml"
    path.write_text('[lines]\ndepth = 2\n\n[release."1.0.0"]\n[release."1.0.1"\n[release."1.1.0"]\nfrom = "1.0.1"\n')
    with pytest.raises(ReleaseConfigError) as caught:
        load_releases(path, [mig(v) for v in ("1.0.0.1", "1.0.1.1", "1.1.0.1", "1.1.0.2")])
    assert [str(p) for p in caught.value.details["problems"]] == [
        f"{path}:5: invalid TOML: Expected ']' at the end of a table declaration"
    ]
    assert "graph" not in (caught.value.hint or "")  # graph reads the same file: no help there


def test_two_syntax_errors_in_different_tables_are_both_reported(tmp_path: Path) -> None:
    path = tmp_path / "releases.toml"
    path.write_text('[release."1.0.0"]\n\n[release."1.1.0"]\nfrom = 1.0.0\n\n[release."1.2.0"\nfrom = "1.1.0"\n')
    with pytest.raises(ReleaseConfigError) as caught:
        load_releases(path, [])
    assert [p.line for p in caught.value.details["problems"]] == [4, 6]


def test_a_dropped_release_does_not_also_orphan_its_migrations(tmp_path: Path) -> None:
    path = tmp_path / "releases.toml"
    path.write_text('[release."1.0.0"]\n[release."1.x"]\nfrom = "1.0.0"\n[release."1.2.0"]\nfrom = "1.x"\n')
    with pytest.raises(ReleaseConfigError) as caught:
        load_releases(path, [mig("1.0.0.1"), mig("1.1.0.1")])
    assert [p.message for p in caught.value.details["problems"]] == [
        "release name '1.x' is not a version (digits separated by dots)"
    ]


def test_problems_are_listed_in_the_files_line_order(tmp_path: Path) -> None:
    """An unknown key found while reading a later table is listed after an earlier table's bad parent."""
    path = tmp_path / "releases.toml"
    path.write_text(
        '[release."1.0.0"]\n[release."2.0.0"]\nfrom = "9.9.9"\n[release."2.1.0"]\nfrom = "2.0.0"\nmergez = ["1.0.0"]\n'
    )
    with pytest.raises(ReleaseConfigError) as caught:
        load_releases(path, [mig("1.0.0.1")])
    assert [p.line for p in caught.value.details["problems"]] == [3, 6]
