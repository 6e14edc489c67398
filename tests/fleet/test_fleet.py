"""``--fleet``: many databases in one command, on the real MariaDB and PostgreSQL servers.

Oracles: each tenant's history and ``flywayx_runs`` read with the real clients (``mariadb``, ``psql``);
a rerun must leave the runs table of a tenant already at the goal untouched."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.databases import MARIADB_URL, POSTGRES_URL, ScratchDb
from tests.e2e import harness

pytestmark = pytest.mark.mariadb
HOST, PORT = urlsplit(MARIADB_URL).hostname or "127.0.0.1", urlsplit(MARIADB_URL).port or 3306


def my(sql: str) -> list[list[str]]:
    out = subprocess.run(
        ["mariadb", "-uroot", f"-h{HOST}", f"-P{PORT}", "-N", "-B", "-e", sql],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return [line.split("\t") for line in out.splitlines()]


@pytest.fixture
def tenants() -> Iterator[tuple[str, list[str]]]:
    prefix = "fxf" + uuid.uuid4().hex[:6]
    names = [f"{prefix}_t{i}" for i in range(1, 5)]
    for n in names:
        my(f"CREATE DATABASE `{n}`")
    yield prefix, names
    for n in names:
        my(f"DROP DATABASE IF EXISTS `{n}`")


def _project(tmp_path: Path, count: int = 6) -> Path:
    loc = tmp_path / "sql"
    loc.mkdir()
    for v in range(1, count + 1):
        (loc / f"V{v}__step_{v}.sql").write_text(f"CREATE TABLE t{v} (id INT PRIMARY KEY);\n")
    return loc


def _fleet(tmp_path: Path, prefix: str) -> Path:
    path = tmp_path / "fleet.toml"
    path.write_text(f"""[[query]]
url = "mysql://root@{HOST}:{PORT}/"
sql = "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '{prefix}\\\\_%' ORDER BY 1"
target = "mysql://root@{HOST}:{PORT}/{{0}}"
name = "{{0}}"
""")
    return path


def _runs(db: str) -> int:
    return int(my(f"SELECT COUNT(*) FROM `{db}`.flywayx_runs")[0][0])


def test_a_failing_tenant_is_isolated_and_a_rerun_touches_only_the_tenants_behind(
    tenants: tuple[str, list[str]], tmp_path: Path
) -> None:
    prefix, names = tenants
    loc, fleet = _project(tmp_path), _fleet(tmp_path, prefix)
    my(f"CREATE TABLE `{names[2]}`.stray (id INT)")  # a non-empty schema without history: Flyway refuses it
    p = harness.run("--locations", str(loc), "migrate", "--fleet", str(fleet), "-j", "3")
    assert p.code == 1, p.text
    assert "Traceback" not in p.text
    assert f"ERROR: 1 of 4 target(s) failed: {names[2]}" in p.err
    assert f"[3/4] {names[2]}: failed: Found non-empty schema(s)" in p.err or f"{names[2]}: failed" in p.err
    for n in names:
        rows = my(
            f"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{n}' "
            "AND TABLE_NAME = 'flyway_schema_history'"
        )
        if n == names[2]:
            assert rows == [["0"]]
        else:
            assert my(f"SELECT COUNT(*), MAX(version) FROM `{n}`.flyway_schema_history WHERE success = 1") == [
                ["6", "6"]
            ]
    runs = {n: _runs(n) for n in names if n != names[2]}
    my(f"DROP TABLE `{names[2]}`.stray")
    p = harness.run("--locations", str(loc), "--output-type", "json", "migrate", "--fleet", str(fleet), "-j", "2")
    assert p.code == 0, p.text
    report = json.loads(p.out)
    assert report["counts"] == {"at goal": 3, "migrated": 1}
    assert [t["target"] for t in report["targets"]] == names
    assert {n: _runs(n) for n in runs} == runs  # the tenants at the goal were not touched
    assert my(f"SELECT COUNT(*) FROM `{names[2]}`.flyway_schema_history WHERE success = 1") == [["6"]]


def test_fail_fast_and_canary_start_no_further_target(tenants: tuple[str, list[str]], tmp_path: Path) -> None:
    prefix, names = tenants
    loc, fleet = _project(tmp_path), _fleet(tmp_path, prefix)
    my(f"CREATE TABLE `{names[0]}`.stray (id INT)")
    for args in (("--canary", "1", "-j", "4"), ("--fail-fast", "-j", "1")):
        p = harness.run("--locations", str(loc), "--output-type", "json", "migrate", "--fleet", str(fleet), *args)
        assert p.code == 1, p.text
        report = json.loads(p.out)
        assert report["counts"] == {"failed": 1, "skipped": 3}, args
        assert report["stopped"]
    for n in names[1:]:
        assert my(f"SHOW TABLES FROM `{n}`") == []


def test_postgresql_schema_per_tenant_info_validate_plan(postgres: ScratchDb, tmp_path: Path) -> None:
    url = postgres.url
    loc = _project(tmp_path, 3)
    host = urlsplit(POSTGRES_URL).hostname
    fleet = tmp_path / "fleet.toml"
    fleet.write_text(
        f'[[target]]\nname = "a"\nurl = "{url}"\nschemas = ["tenant_a"]\n'
        f'[[target]]\nname = "b"\nurl = "{url}"\nschemas = "tenant_b"\n'
    )
    p = harness.run("--locations", str(loc), "migrate", "--fleet", str(fleet), "-j", "2")
    assert p.code == 0, p.text
    assert "2 target(s), 2 migrated" in p.out
    db = postgres.name
    for schema in ("tenant_a", "tenant_b"):
        count = f"SELECT COUNT(*) FROM {schema}.flyway_schema_history WHERE version IS NOT NULL"
        out = subprocess.run(
            ["psql", "-h", host or "127.0.0.1", "-U", "postgres", "-d", db, "-At", "-c", count],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert out == "3"
    for command, status in (("info", "at goal"), ("validate", "valid"), ("plan", "at goal")):
        p = harness.run("--locations", str(loc), "--output-type", "json", command, "--fleet", str(fleet))
        assert p.code == 0, p.text
        assert json.loads(p.out)["counts"] == {status: 2}


def test_bad_fleet_files_and_options_are_one_line_errors(tmp_path: Path) -> None:
    loc = _project(tmp_path, 1)
    (tmp_path / "bad.toml").write_text("targets = [\n")
    (tmp_path / "none.toml").write_text("targets = []\n")
    (tmp_path / "url.toml").write_text('targets = ["nosuch://x"]\n')
    for name in ("bad.toml", "none.toml", "url.toml", "missing.toml"):
        p = harness.run("--locations", str(loc), "migrate", "--fleet", str(tmp_path / name))
        assert p.code == 1 and p.err.startswith("ERROR: ") and "\nhint: " in p.err and "Traceback" not in p.err, p.err
    p = harness.run("--locations", str(loc), "migrate", "-j", "2")
    assert p.code == 2 and "only go with --fleet" in p.err  # a usage error, as click's own
    (tmp_path / "ok.toml").write_text('targets = ["sqlite:///' + str(tmp_path / "x.db") + '"]\n')
    p = harness.run("--locations", str(loc), "migrate", "--fleet", str(tmp_path / "ok.toml"), "--resume")
    assert p.code == 2 and "--resume does not go with --fleet" in p.err
