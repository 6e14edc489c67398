"""Several ``migrate --to`` runners at once (and a plain ``migrate`` among them) on one database, on a
project with an ``[equivalent]`` pair and a late maintenance fix: every change runs once, every row of
the contract is written once (each runner re-plans under the lock when another one wrote)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import databases
from tests.e2e import harness

RELEASES = """[lines]
depth = 2
[release."1.0.0"]
[release."1.0.1"]
[release."1.1.0"]
from = "1.0.0"
[release."1.1.1"]
merges = ["1.0.1"]
[equivalent]
"1.1.0.2" = "1.0.1.1"
"""
FILES = {
    "V1.0.0.1__t.sql": "CREATE TABLE t (id INT);\n",
    "V1.0.1.1__c.sql": "ALTER TABLE t ADD COLUMN c INT;\n",
    "V1.0.1.2__u.sql": "CREATE TABLE u (id INT);\n",
    "V1.1.0.1__v.sql": "CREATE TABLE v (id INT);\n",
    "V1.1.0.2__c_again.sql": "ALTER TABLE t ADD c INT;\n",
    "V1.1.1.1__w.sql": "CREATE TABLE w (id INT);\n",
}


@pytest.mark.parametrize("family", ["sqlite", "postgresql", "mariadb"])
def test_concurrent_runners_on_release_lines(family: str, tmp_path: Path) -> None:
    loc = tmp_path / "m"
    loc.mkdir()
    (loc / "releases.toml").write_text(RELEASES, encoding="utf-8")
    for name, body in FILES.items():
        (loc / name).write_text(body, encoding="utf-8")
    with databases.scratch(family, tmp_path) as db:
        base = [*harness.FLYWAYX, "--url", db.url, "--locations", str(loc), "--lock-timeout", "120"]
        assert harness.run("--url", db.url, "--locations", str(loc), "migrate", "--to", "1.1.0").code == 0
        commands = [["migrate", "--to", "1.1.1"]] * 4 + [["migrate"]]
        procs = [
            subprocess.Popen([*base, *c], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=harness.env())
            for c in commands
        ]
        results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
        for code, out, err in results:
            assert code == 0, err
            assert "Traceback" not in out + err
        rows = db.query("SELECT version, type FROM flyway_schema_history ORDER BY installed_rank")
        versions = [str(v) for v, kind in rows if v is not None]
        assert sorted(versions) == sorted(name[1:].split("__")[0] for name in FILES)  # each once
        validated = harness.run("--url", db.url, "--locations", str(loc), "validate")
        assert validated.code == 0, validated.text
