"""`migrate --backup`, `restore` and `verify` through the real console script."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests import databases
from tests.databases import ScratchDb
from tests.e2e import harness

FAMILIES = ["mariadb", "postgresql", "sqlite"]


def _project(tmp: Path) -> Path:
    loc = tmp / "sql"
    loc.mkdir()
    (loc / "V1__base.sql").write_text("CREATE TABLE base (id INT PRIMARY KEY);\nINSERT INTO base VALUES (1);\n")
    return loc


def _cli(db: ScratchDb, loc: Path, *args: str, **kw: object) -> harness.Proc:
    return harness.run("--url", db.url, "--locations", str(loc), *args, **kw)  # type: ignore[arg-type]


def _runs_backup(db: ScratchDb) -> list[object]:
    t = f"`{db.schema}`.flywayx_runs" if db.dialect == "mariadb" else "flywayx_runs"
    return [r[0] for r in db.query(f"SELECT backup FROM {t} ORDER BY started_at")]


@pytest.mark.parametrize("family", FAMILIES)
def test_backup_before_a_failing_migrate_then_restore_and_retry(family: str, tmp_path: Path) -> None:
    loc = _project(tmp_path)
    with databases.scratch(family, tmp_path) as db:
        assert _cli(db, loc, "migrate").code == 0
        (loc / "V2__bad.sql").write_text("CREATE TABLE extra (id INT);\nINSERT INTO missing VALUES (1);\n")
        failed = _cli(db, loc, "migrate", "--backup", str(tmp_path / "bk"))
        assert failed.code == 1 and "Traceback" not in failed.text
        dumps = sorted(p for p in (tmp_path / "bk").iterdir() if not p.name.endswith(".json"))
        assert len(dumps) == 1
        assert str(dumps[0]) in [str(b) for b in _runs_backup(db)]  # the run history names the backup
        refused = _cli(db, loc, "restore", str(dumps[0]))  # the database holds tables: --force needed
        assert refused.code == 1 and "--force" in refused.err and "Traceback" not in refused.text
        restored = _cli(db, loc, "restore", "--force", str(dumps[0]))
        assert restored.code == 0, restored.err
        history = harness.snapshot(db)["history"]
        assert [(r[1], r[6]) for r in history] == [("1", 1)]  # back to before the failed run
        (loc / "V2__bad.sql").write_text("CREATE TABLE extra (id INT);\nINSERT INTO base VALUES (2);\n")
        assert _cli(db, loc, "migrate").code == 0
        assert db.query("SELECT COUNT(*) FROM base")[0][0] == 2


@pytest.mark.mariadb
def test_backup_with_the_client_missing_changes_nothing(mariadb_env: dict[str, str], tmp_path: Path) -> None:
    loc = _project(tmp_path)
    with databases.scratch("mariadb", tmp_path) as db:
        r = _cli(db, loc, "migrate", "--backup", str(tmp_path / "bk"), extra_env=mariadb_env)
        assert r.code != 0 and "Traceback" not in r.text and r.err.count("ERROR:") == 1
        assert "mariadb-dump" in r.err and "not found" in r.err
        assert db.query("SHOW TABLES") == []  # migrate stopped before creating anything


@pytest.fixture
def mariadb_env(tmp_path: Path) -> dict[str, str]:
    """A PATH with python but without the MariaDB/MySQL clients."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    return {"PATH": str(bin_dir) + os.pathsep + "/nonexistent"}


@pytest.mark.parametrize("family", FAMILIES)
def test_verify_reports_hand_made_drift(family: str, tmp_path: Path) -> None:
    loc = _project(tmp_path)
    with databases.scratch(family, tmp_path) as db:
        none_yet = _cli(db, loc, "verify")
        assert none_yet.code == 1 and "Nothing to verify" in none_yet.err
        assert _cli(db, loc, "migrate").code == 0
        ok = _cli(db, loc, "verify")
        assert ok.code == 0 and "Schema matches" in ok.out, ok.err
        db.query("ALTER TABLE base ADD COLUMN note VARCHAR(10)")
        db.query("CREATE TABLE sneaky (id INT)")
        drift = _cli(db, loc, "verify")
        assert drift.code == 1
        assert "base column note: added" in drift.out and "sneaky: added" in drift.out
        as_json = _cli(db, loc, "verify", "--output-type", "json")
        assert as_json.code == 1
        payload = json.loads(as_json.out)
        assert payload["success"] is False
        assert sorted(d["kind"] for d in payload["drift"]) == ["added", "added"]
        db.query("DROP TABLE base")
        missing = json.loads(_cli(db, loc, "verify", "--output-type", "json").out)
        assert any(d["kind"] == "missing" and d["path"].endswith("base") for d in missing["drift"])
