"""CLI behaviour a user sees first: explain, rename, usage errors, exit codes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from flywayx.cli.app import run


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run(list(args), prog_name="flywayx")
    out = capsys.readouterr()
    return code, out.out, out.err


def test_explain_json_lists_statements_with_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "V1_2__add_things.sql"
    f.write_text("-- header\nCREATE TABLE t (id INT);\n\nINSERT INTO t VALUES (1);\n", encoding="utf-8")
    code, out, _ = cli(capsys, "explain", str(f), "--dialect", "mysql", "--output-type", "json")
    assert code == 0
    got = json.loads(out)["files"][0]
    assert (got["kind"], got["version"], got["description"]) == ("versioned", "1.2", "add things")
    assert [(s["line"], s["sql"]) for s in got["statements"]] == [
        (2, "-- header\nCREATE TABLE t (id INT)"),
        (4, "INSERT INTO t VALUES (1)"),
    ]
    assert isinstance(got["checksum"], int)


def test_explain_reports_a_bad_name_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "V1_bad.sql"
    f.write_text("SELECT 1;\n", encoding="utf-8")
    code, out, _ = cli(capsys, "explain", str(f), "--output-type", "json")
    assert code == 1
    assert "could not recognise version number 1_bad" in json.loads(out)["files"][0]["error"]


def test_rename_aliases(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "V_4.1.0_A.sql").write_text("SELECT 1;\n", encoding="utf-8")
    (tmp_path / "V_4.1.0_C.sql").write_text("SELECT 3;\n", encoding="utf-8")
    code, out, _ = cli(capsys, "--locations", str(tmp_path), "rename")
    assert code == 0, out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["V4.1.0.1.sql", "V4.1.0.3.sql"]


def test_usage_error_is_exit_2_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "migrate", "--no-such-option")
    assert code == 2 and "Traceback" not in out + err and "No such option" in err


def test_missing_url_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "--locations", str(tmp_path), "info")
    assert code == 2
    assert err.splitlines()[0].startswith("ERROR: No database URL configured")
    assert err.splitlines()[1].startswith("hint: ")


def test_password_on_command_line_warns_and_never_shows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = "s3cr3t-Pa55"
    code, out, err = cli(capsys, f"-url=mysql://nobody:{secret}@127.0.0.1:1/x", "--locations", str(tmp_path), "info")
    assert code == 1
    assert "WARNING: a password on the command line" in err
    assert secret not in out + err


def test_flyway_style_and_click_style_options_agree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "V1__a.sql").write_text("CREATE TABLE a (id INT);\n", encoding="utf-8")
    db = tmp_path / "x.db"
    code, _, err = cli(capsys, f"-url=jdbc:sqlite:{db}", f"-locations=filesystem:{tmp_path}", "migrate")
    assert code == 0, err
    code, out, _ = cli(
        capsys, "--url", f"sqlite:///{db}", "--locations", str(tmp_path), "info", "--output-type", "json"
    )
    assert [m["state"] for m in json.loads(out)["migrations"]] == ["Success"]


def test_console_script_version_and_module_entry() -> None:
    out = subprocess.run([sys.executable, "-m", "flywayx", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("flywayx ")


def test_a_missing_location_is_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"
    code, _, err = cli(capsys, "--url", f"sqlite:///{tmp_path / 'x.db'}", "--locations", str(missing), "info")
    assert code == 0
    assert f"WARNING: Skipping filesystem location: {missing} (NOT_FOUND)" in err


def test_explain_splits_acs_files_as_the_splitter_does(acs_corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 2 acceptance: explain on every file of setup/db and META-INF/db/views shows Flyway's MariaDB split."""
    from flywayx.statements.splitter import split

    files = sorted((acs_corpus / "setup" / "db").glob("*.sql")) + sorted(
        (acs_corpus / "META-INF" / "db" / "views").glob("*.sql")
    )
    assert len(files) > 40
    code, out, _ = cli(
        capsys,
        "explain",
        *map(str, files),
        "--dialect",
        "mariadb",
        "--output-type",
        "json",
        "-placeholderReplacement=false",
    )
    assert code == 0
    results = json.loads(out)["files"]
    for path, got in zip(files, results, strict=True):
        expected = split(path.read_text(encoding="utf-8"), "mariadb")
        assert got["kind"] == "file" and "error" not in got, got.get("error")
        assert [(s["line"], s["sql"]) for s in got["statements"]] == [(s.line, s.sql) for s in expected], path.name


def test_explain_honours_a_per_script_conf(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "V1__literal.sql"
    f.write_text("INSERT INTO t VALUES ('${accountName}');\n", encoding="utf-8")
    code, _, _ = cli(capsys, "explain", str(f), "--output-type", "json")
    assert code == 1  # unknown placeholder, as migrate would say
    (tmp_path / "V1__literal.sql.conf").write_text("placeholderReplacement=false\n", encoding="utf-8")
    code, out, _ = cli(capsys, "explain", str(f), "--output-type", "json")
    assert code == 0
    assert json.loads(out)["files"][0]["statements"][0]["sql"] == "INSERT INTO t VALUES ('${accountName}')"
