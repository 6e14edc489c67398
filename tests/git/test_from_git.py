"""`flywayx releases from-git` and `releases check` on real repositories built with git."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from flywayx.sources.releases import parse_releases

from . import scenarios
from .conftest import Repo, Result

Fx = Callable[..., Result]


def body(text: str) -> str:
    """The releases.toml text without its leading comment lines."""
    return "".join(line + "\n" for line in text.splitlines() if not line.startswith("#")).lstrip("\n")


@pytest.fixture
def history(repo: Repo) -> Repo:
    scenarios.build(repo)
    return repo


def derive(fx: Fx, repo: Repo, *extra: str) -> Result:
    return fx("--locations", str(repo.sql), "releases", "from-git", "--dialect", "sqlite", *extra)


def check(fx: Fx, repo: Repo) -> Result:
    return fx("--locations", str(repo.sql), "releases", "check", "--dialect", "sqlite")


def test_from_git_prints_the_graph_of_three_lines(history: Repo, fx: Fx) -> None:
    r = derive(fx, history)
    assert r.code == 0, r.err
    assert body(r.out) == scenarios.EXPECTED


def test_derived_text_round_trips_through_the_parser(history: Repo, fx: Fx) -> None:
    graph, problems = parse_releases(derive(fx, history).out)
    assert problems == []
    parents = {r.name: r.parents for r in graph.releases}
    assert parents["4.6.1"] == ("4.6.0", "4.5.2")
    assert parents["4.7.0"] == ("4.6.1",)
    assert parents["4.7.1"] == ("4.7.0",)
    assert [(e.version.text, e.other.text) for e in graph.equivalents] == [("4.7.1.1", "4.6.2.1")]


def test_write_then_check_finds_the_forgotten_maintenance_fix(history: Repo, fx: Fx) -> None:
    assert derive(fx, history, "--write").code == 0
    assert body((history.sql / "releases.toml").read_text()) == scenarios.EXPECTED
    r = check(fx, history)
    assert r.code == 1
    assert r.out.splitlines() == [
        "- release 4.7.2 lacks 4.6.3.1 of 4.6.3: neither merged nor cherry-picked into line 4.7"
    ]
    assert "disagree in 1 place(s)" in r.err


def test_check_finds_a_declared_merge_that_git_lacks(history: Repo, fx: Fx) -> None:
    text = scenarios.EXPECTED.replace('[release."4.7.2"]\n', '[release."4.7.2"]\nmerges = ["4.6.3"]\n')
    (history.sql / "releases.toml").write_text(text)
    r = check(fx, history)
    assert r.code == 1
    assert (
        "- releases.toml says 4.7.2 includes 4.6.3, but tag 4.7.2 does not contain tag 4.6.3 "
        "(merge 4.6.3 into the 4.7 line, or drop it from releases.toml)"
    ) in r.out.splitlines()


def test_check_compares_meaning_not_text(history: Repo, fx: Fx) -> None:
    # 4.7.0 written as "from 4.6.0 plus merges 4.6.1": the same history as git's "from 4.6.1"
    text = scenarios.EXPECTED.replace(
        '[release."4.7.0"]\nfrom = "4.6.1"\n', '[release."4.7.0"]\nfrom = "4.6.0"\nmerges = ["4.6.1"]\n'
    )
    (history.sql / "releases.toml").write_text(text)
    r = check(fx, history)
    assert [line for line in r.out.splitlines() if "4.7.0" in line] == []


def test_check_lists_every_kind_of_difference(history: Repo, fx: Fx) -> None:
    text = (
        scenarios.EXPECTED.replace('merges = ["4.5.2"]\n', "")
        .replace('[release."4.5.2"]\n\n', "")
        .replace('"4.7.1.1" = "4.6.2.1"\n', '"4.7.1.1" = "4.6.2.1"\n"4.7.2.1" = "4.6.3.1"\n')
        + '\n[release."4.8.0"]\nfrom = "4.7.2"\n'
    )
    (history.sql / "releases.toml").write_text(text)
    lines = check(fx, history).out.splitlines()
    assert "- release 4.8.0 is declared but no tag names it" in lines
    assert "- tag 4.5.2 is a release that releases.toml does not declare" in lines
    assert (
        '- [equivalent] "4.7.2.1" = "4.6.3.1" is not a cherry-pick git can see (different content ids); '
        "keep it only if the rewrite is deliberate"
    ) in lines


def test_check_reports_a_missing_equivalence_once(history: Repo, fx: Fx) -> None:
    (history.sql / "releases.toml").write_text(scenarios.EXPECTED.replace('[equivalent]\n"4.7.1.1" = "4.6.2.1"\n', ""))
    lines = [line for line in check(fx, history).out.splitlines() if "equivalent" in line]
    assert lines == ['- [equivalent] "4.7.1.1" = "4.6.2.1" is missing: the two migrations have the same content id']


def test_a_merge_git_has_but_the_file_forgot(history: Repo, fx: Fx) -> None:
    (history.sql / "releases.toml").write_text(scenarios.EXPECTED.replace('merges = ["4.5.2"]\n', ""))
    lines = check(fx, history).out.splitlines()
    # reported at 4.6.1 only, not again for every later release that inherits it
    assert [line for line in lines if "contains tag 4.5.2" in line] == [
        "- tag 4.6.1 contains tag 4.5.2, but releases.toml does not say 4.6.1 includes 4.5.2 "
        '(add merges = ["4.5.2"] or the right `from` to [release."4.6.1"])'
    ]


def test_tag_pattern_selects_releases(history: Repo, fx: Fx) -> None:
    history.git("tag", "rel-9.9.9", "4.7.2")
    r = derive(fx, history, "--tags", r"rel-(?P<version>[0-9.]+)")
    assert r.code == 0, r.err
    assert body(r.out) == '[lines]\ndepth = 2\n\n[release."9.9.9"]\n'


def test_not_a_git_repository(tmp_path: Path, fx: Fx) -> None:
    (tmp_path / "sql").mkdir()
    r = fx("--locations", str(tmp_path / "sql"), "releases", "from-git")
    assert r.code == 1
    assert r.err.splitlines()[0] == f"ERROR: not a git repository: {tmp_path / 'sql'}"
    assert "Traceback" not in r.err


def test_git_missing(history: Repo, fx: Fx, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLYWAYX_GIT", str(history.path / "no-such-git"))
    r = derive(fx, history)
    assert r.code == 1
    assert r.err.splitlines()[0].startswith("ERROR: git is not installed")


def test_no_tag_matches(repo: Repo, fx: Fx) -> None:
    repo.add("V1.0.0.1__a.sql", "CREATE TABLE a (id INTEGER);")
    repo.git("tag", "nightly")
    r = derive(fx, repo)
    assert r.code == 2
    assert r.err.splitlines()[0].startswith(f"ERROR: no tag in {repo.path} matches --tags")


def test_bad_tag_pattern(history: Repo, fx: Fx) -> None:
    r = derive(fx, history, "--tags", "(")
    assert r.code == 2
    assert r.err.splitlines()[0].startswith("ERROR: --tags '(' is not a regular expression")


def test_tags_in_the_same_second_give_the_same_graph_and_the_same_one_finding(same_second_repo: Repo, fx: Fx) -> None:
    scenarios.build(same_second_repo)
    times = set(same_second_repo.git("log", "--all", "--format=%ct").split())
    assert len(times) == 1  # every commit and tag shares one second
    assert derive(fx, same_second_repo, "--write").code == 0
    assert body((same_second_repo.sql / "releases.toml").read_text()) == scenarios.EXPECTED
    r = check(fx, same_second_repo)
    assert r.out.splitlines() == [
        "- release 4.7.2 lacks 4.6.3.1 of 4.6.3: neither merged nor cherry-picked into line 4.7"
    ]


def late_maintenance(repo: Repo) -> None:
    """1.0.1 ships after 1.1.0 (made from 1.0.0) and 1.1.1 merges it: nothing is forgotten."""
    repo.add("V1.0.0.1__a.sql", "CREATE TABLE a (id INTEGER);")
    repo.release("1.0.0")
    repo.branch("1.0", "1.0.0")
    repo.checkout("main")
    repo.add("V1.1.0.1__b.sql", "CREATE TABLE b (id INTEGER);")
    repo.release("1.1.0")
    repo.checkout("1.0")
    repo.add("V1.0.1.1__fix.sql", "CREATE INDEX i_a ON a (id);")
    repo.release("1.0.1")
    repo.checkout("main")
    repo.merge("1.0")
    repo.add("V1.1.1.1__c.sql", "CREATE TABLE c (id INTEGER);")
    repo.release("1.1.1")


def test_a_late_maintenance_release_in_the_same_second_is_no_forgotten_fix(same_second_repo: Repo, fx: Fx) -> None:
    late_maintenance(same_second_repo)
    r = derive(fx, same_second_repo, "--write")
    assert r.code == 0, r.err
    assert '[release."1.1.1"]\nmerges = ["1.0.1"]\n' in (same_second_repo.sql / "releases.toml").read_text()
    r = check(fx, same_second_repo)
    assert (r.code, r.out) == (0, "releases.toml agrees with git\n"), r.out + r.err


def test_a_line_that_never_receives_a_fix_is_reported_at_its_newest_release(same_second_repo: Repo, fx: Fx) -> None:
    late_maintenance(same_second_repo)
    same_second_repo.checkout("1.0")
    same_second_repo.add("V1.0.2.1__fix2.sql", "CREATE INDEX i_a2 ON a (id);")
    same_second_repo.release("1.0.2")
    same_second_repo.checkout("main")
    assert derive(fx, same_second_repo, "--write").code == 0
    r = check(fx, same_second_repo)
    assert r.code == 1
    assert r.out.splitlines() == [
        "- release 1.1.1 lacks 1.0.2.1 of 1.0.2: neither merged nor cherry-picked into line 1.1"
    ]
