"""`flywayx lint` and `flywayx explain` without a database: rules, policy file, CI exit codes, JSON."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from flywayx.errors import ConfigError
from flywayx.model.lint import Severity
from flywayx.service.online import load_policy, ptosc_command
from tests.online.conftest import PROJECT, Ran, write_project

MAINTENANCE = {
    "releases.toml": '[release."1.0.0"]\n[release."1.0.1"]\n[release."1.1.0"]\nfrom = "1.0.0"\n',
    "V1.0.0.1__t.sql": "CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(10), b VARCHAR(10));\n",
    "V1.0.1.1__drop_b.sql": "-- a fix that drops a column in a maintenance release\nALTER TABLE t DROP COLUMN b;\n",
    "V1.1.0.1__widen.sql": "ALTER TABLE t ADD COLUMN c INT NULL;\n"
    "ALTER TABLE t MODIFY a VARCHAR(40), ALGORITHM=COPY;\n",
}


def _lint(fx: Callable[..., Ran], root: Path, *extra: str) -> Ran:
    return fx("--locations", str(root), "lint", "--dialect", "mariadb", *extra)


def test_maintenance_release_contract_is_an_error_with_statement_line_and_fix(
    tmp_path: Path, fx: Callable[..., Ran]
) -> None:
    root = write_project(tmp_path / "sql", MAINTENANCE)
    got = _lint(fx, root, "--output-type", "json")
    assert got.code == 1
    body = got.json()
    assert body["failed"] is True and body["migrations"] == 3
    policy = [f for f in body["findings"] if f["rule"] == "release-policy"]
    assert [(f["path"], f["line"], f["severity"]) for f in policy] == [("V1.0.1.1__drop_b.sql", 2, "error")]
    assert policy[0]["statement"].endswith("ALTER TABLE t DROP COLUMN b")
    assert "maintenance release 1.0.1" in policy[0]["message"] and policy[0]["fix"]
    rules = {(f["path"], f["rule"]) for f in body["findings"]}
    assert ("V1.0.1.1__drop_b.sql", "destructive") in rules
    assert ("V1.1.0.1__widen.sql", "blocking-ddl") in rules
    assert not any(f["path"] == "V1.0.0.1__t.sql" for f in body["findings"])


def test_policy_file_relaxes_and_ci_mode_fails_on_warnings(tmp_path: Path, fx: Callable[..., Ran]) -> None:
    root = write_project(tmp_path / "sql", MAINTENANCE)
    (root / "lint.toml").write_text("[lint]\nmaintenance_expand_only = false\n", encoding="utf-8")
    relaxed = _lint(fx, root)
    assert relaxed.code == 0, relaxed.out
    assert "release-policy" not in relaxed.out and "policy " in relaxed.out
    assert "fix: " in relaxed.out
    assert _lint(fx, root, "--ci").code == 1
    assert _lint(fx, root, "--fail-on", "warning").code == 1
    assert _lint(fx, root, "--ci", "--fail-on", "error").code == 0


def test_policy_severity_overrides_and_disabled_rules(tmp_path: Path, fx: Callable[..., Ran]) -> None:
    root = write_project(tmp_path / "sql", MAINTENANCE)
    (root / "lint.toml").write_text(
        '[lint]\nmaintenance_expand_only = false\ndisabled = ["destructive", "online-alter"]\n'
        '[lint.severity]\nblocking-ddl = "error"\n',
        encoding="utf-8",
    )
    body = _lint(fx, root, "--output-type", "json").json()
    assert body["failed"] is True
    assert {f["rule"] for f in body["findings"]} == {"blocking-ddl"}
    assert all(f["severity"] == "error" for f in body["findings"])


def test_bad_policy_is_a_config_error(tmp_path: Path, fx: Callable[..., Ran]) -> None:
    bad = tmp_path / "lint.toml"
    bad.write_text('[lint]\nfail_on = "sometimes"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="not a severity"):
        load_policy(bad)
    bad.write_text('[lint]\nmaintenance_expand_only = "yes"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="true or false"):
        load_policy(bad)
    root = write_project(tmp_path / "sql", MAINTENANCE)
    got = fx("--locations", str(root), "lint", "--dialect", "mariadb", "--policy", str(bad))
    assert got.code != 0 and "Traceback" not in got.err and "true or false" in got.err
    bad.write_text('[lint]\nfail_on = "warning"\n', encoding="utf-8")
    assert load_policy(bad).fail_on is Severity.WARNING


def test_lint_reads_the_dialect_from_the_url_else_assumes_mysql(tmp_path: Path, fx: Callable[..., Ran]) -> None:
    root = write_project(tmp_path / "sql", PROJECT)
    missing = fx("--locations", str(root), "lint")
    assert "linting as mysql" in missing.err and "(mysql" in missing.out
    via_url = fx(
        "--url", f"sqlite:///{tmp_path / 'never-opened.db'}", "--locations", str(root), "lint", "--output-type", "json"
    )
    assert via_url.json()["dialect"] == "sqlite"
    assert not (tmp_path / "never-opened.db").exists()  # lint does not connect


def test_postgres_index_without_concurrently_is_blocking(tmp_path: Path, fx: Callable[..., Ran]) -> None:
    root = write_project(tmp_path / "sql", PROJECT)
    body = fx("--locations", str(root), "lint", "--dialect", "postgresql", "--output-type", "json").json()
    blocking = [(f["path"], f["line"]) for f in body["findings"] if f["rule"] == "blocking-ddl"]
    assert ("V1.1.0.1__email.sql", 2) in blocking
    assert not any(f["rule"] == "online-alter" for f in body["findings"])  # pt-osc is for MySQL only


def test_pt_online_schema_change_offer(tmp_path: Path, fx: Callable[..., Ran]) -> None:
    assert (
        ptosc_command("ALTER TABLE `cloud`.`vm` MODIFY a VARCHAR(40), ALGORITHM=COPY")
        == 'pt-online-schema-change --alter "MODIFY a VARCHAR(40)" D=cloud,t=vm --execute'
    )
    assert ptosc_command("CREATE INDEX i ON t (a)") is None
    root = write_project(tmp_path / "sql", MAINTENANCE)
    body = _lint(fx, root, "--output-type", "json").json()
    offers = [f for f in body["findings"] if f["rule"] == "online-alter"]
    assert [(f["path"], f["line"], f["severity"]) for f in offers] == [("V1.1.0.1__widen.sql", 2, "info")]
    assert "pt-online-schema-change --alter" in offers[0]["fix"]
    assert ("is installed" in offers[0]["fix"]) or ("is not installed" in offers[0]["fix"])


def test_explain_shows_phase_footprint_lock_and_content_id(tmp_path: Path, fx: Callable[..., Ran]) -> None:
    root = write_project(tmp_path / "sql", PROJECT)
    files = [str(root / "V1.1.0.1__email.sql"), str(root / "V1.1.0.3__cleanup.sql")]
    body = fx("explain", "--dialect", "mariadb", "--output-type", "json", *files).json()
    email, cleanup = body["files"]
    assert {"file", "kind", "version", "description", "checksum", "statements", "content_id"} <= set(email)
    assert email["phase"] == "expand" and cleanup["phase"] == "contract"
    first = email["statements"][0]
    assert (first["line"], first["phase"], first["writes"]) == (1, "expand", ["column:accounts.email"])
    assert first["lock"] == "INSTANT" and first["sql"].startswith("ALTER TABLE accounts ADD COLUMN")
    assert cleanup["statements"][0]["writes"] == ["column:accounts.legacy_code"]
    pg = fx("explain", "--dialect", "postgresql", "--output-type", "json", files[0]).json()["files"][0]
    assert pg["statements"][1]["lock"] == "SHARE"  # CREATE INDEX blocks writes on PostgreSQL
    assert pg["content_id"] != email["content_id"]  # content ids are per dialect
    text = fx("explain", "--dialect", "mariadb", files[1]).out
    assert "content_id: " in text and "[phase: contract]" in text and "writes: column:accounts.legacy_code" in text
