"""`flywayx import acs` from the command line: the shipped CloudStack overrides and bad input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.acs_e2e.java_fixture import write_source_tree
from tests.conftest import CliResult

SYNTHETIC = Path(__file__).resolve().parent.parent / "acs" / "tree"


def test_cloudstack_overrides_ship_with_flywayx(
    acs_corpus: Path, tmp_path: Path, cli_run: Callable[..., CliResult]
) -> None:
    source = write_source_tree(acs_corpus, tmp_path / "source")
    done = cli_run("import", "acs", str(source), str(tmp_path / "out"), "--overrides", "cloudstack")
    assert done.code == 0, done.err
    releases = (tmp_path / "out" / "releases.toml").read_text()
    assert '[release."4.19.2.0"]' in releases  # declared by the overrides, not by the Java on main
    assert "No overrides" not in done.out


def test_without_overrides_the_output_says_so(tmp_path: Path, cli_run: Callable[..., CliResult]) -> None:
    done = cli_run("import", "acs", str(SYNTHETIC), str(tmp_path / "out"))
    assert done.code == 0, done.err
    assert "No overrides" in done.out and "--overrides cloudstack" in done.out


def test_a_missing_overrides_file_is_a_one_line_error(tmp_path: Path, cli_run: Callable[..., CliResult]) -> None:
    done = cli_run("import", "acs", str(SYNTHETIC), str(tmp_path / "out"), "--overrides", str(tmp_path / "nope.toml"))
    assert done.code != 0 and "Traceback" not in done.err
    assert "overrides file not found" in done.err and "hint:" in done.err
    assert not (tmp_path / "out").exists()  # nothing written
