"""``--dry-run`` on every database: nothing changes anywhere, what it shows is what the real run does,
and a refusal is the real run's refusal (same exit code, same message).

Each check takes a full snapshot (``snapshot.py``: every catalog object and every row of every table,
the schemas, SQLite's files) before and after the dry run.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult as Result
from tests.databases import ScratchDb

from .snapshot import snapshot

EXAMPLE = Path(__file__).resolve().parents[2] / "sql"


def _project(tmp_path: Path) -> Path:
    loc = tmp_path / "sql"
    shutil.copytree(EXAMPLE, loc)
    (loc / "beforeMigrate.sql").write_text("CREATE TABLE IF NOT EXISTS cb_log (event VARCHAR(40));\n", encoding="utf-8")
    return loc


def _args(t: ScratchDb, loc: Path, *extra: str) -> list[str]:
    return ["--url", t.url, "--locations", f"filesystem:{loc}", *extra]


def _versions(r: Result) -> list[str]:
    return [m["version"] or m["description"] for m in r.json()["migrations"]]


def test_dry_runs_on_an_empty_database_create_nothing(
    database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    loc = _project(tmp_path)
    extra = [] if database.dialect == "sqlite" else ["--schemas", f"{database.schema},{database.schema}_dry"]
    before = snapshot(database)
    for command in (
        ["migrate", "--dry-run", "--sql"],
        ["migrate", "--to", "1.2.0", "--dry-run"],
        ["migrate", "--phase", "expand", "--to", "1.2.0", "--dry-run"],
        ["baseline", "--dry-run"],
        ["migrate", "--backup", str(tmp_path / "backups"), "--dry-run"],
    ):
        r = flywayx(*_args(database, loc, *extra), *command)
        assert r.code == 0, (command, r.err)
        assert snapshot(database) == before, command
    assert not (tmp_path / "backups").exists()
    if database.dialect == "mariadb":
        dry = f"{database.schema}_dry"
        assert database.query(f"SELECT 1 FROM information_schema.schemata WHERE schema_name = '{dry}'") == []
    shown = flywayx(*_args(database, loc), "migrate", "--to", "1.2.0", "--dry-run", "--output-type", "json")
    done = flywayx(*_args(database, loc), "migrate", "--to", "1.2.0", "--output-type", "json")
    assert done.code == 0, done.err
    assert shown.json()["dryRun"] is True and "dryRun" not in done.json()
    assert (
        _versions(shown) == _versions(done) == ["1.0.0.1", "1.0.0.2", "1.1.0.1", "1.2.0.1", "1.2.0.2", "book summary"]
    )
    actions = [a["action"] for a in shown.json()["actions"]]
    assert actions[:3] == ["createHistoryTable", "createFlywayxTables", "callback"]


def test_the_sql_a_dry_run_prints_is_what_runs(
    database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    loc = _project(tmp_path)
    r = flywayx(*_args(database, loc), "migrate", "--to", "1.1.0", "--dry-run", "--sql")
    assert r.code == 0, r.err
    assert "Would run callback beforeMigrate.sql (beforeMigrate)" in r.out
    assert "    CREATE TABLE IF NOT EXISTS cb_log (event VARCHAR(40));" in r.out
    assert "    ALTER TABLE books ADD COLUMN isbn VARCHAR(17);" in r.out
    assert r.out.index("create authors") < r.out.index("create books") < r.out.index("add book isbn")
    assert "Dry run: would apply 4 migrations" in r.out and "nothing was changed" in r.out


def test_dry_runs_on_a_migrated_database_change_nothing_and_refuse_as_the_real_run(
    database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    loc = _project(tmp_path)
    assert flywayx(*_args(database, loc), "migrate", "--to", "1.2.0").code == 0
    (loc / "V1.0.0.2__create_books.sql").write_text(  # an edit repair would realign
        (loc / "V1.0.0.2__create_books.sql").read_text() + "\n-- reviewed\n", encoding="utf-8"
    )
    before = snapshot(database)
    accepted = (
        ["migrate", "--to", "1.2.1", "--dry-run", "--no-validate-on-migrate"],
        ["repair", "--dry-run"],
        ["clean", "--clean-disabled=false", "--dry-run"],
        ["migrate", "--dry-run", "--no-validate-on-migrate", "--out-of-order"],
    )
    for command in accepted:
        r = flywayx(*_args(database, loc), *command)
        assert r.code == 0, (command, r.out, r.err)
        assert snapshot(database) == before, command
    refused = (
        ["migrate", "--to", "1.1.1"],
        ["migrate", "--to", "1.2.1"],
        ["baseline"],
        ["migrate", "--resume"],
        ["migrate", "--to", "9.9.9"],
    )
    for command in refused:
        dry = flywayx(*_args(database, loc), *command, "--dry-run")
        assert snapshot(database) == before, command
        real = flywayx(*_args(database, loc), *command)
        assert dry.code == real.code != 0, (command, dry.err, real.err)
        assert dry.err == real.err, command
    assert snapshot(database) == before


def test_repair_and_clean_dry_runs_list_what_the_real_run_does(
    database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    loc = _project(tmp_path)
    assert flywayx(*_args(database, loc), "migrate", "--to", "1.1.0").code == 0
    (loc / "V1.1.0.1__add_book_isbn.sql").unlink()  # missing: repair marks it deleted
    shown = flywayx(*_args(database, loc), "repair", "--dry-run", "--output-type", "json")
    done = flywayx(*_args(database, loc), "repair", "--output-type", "json")
    assert shown.json()["dryRun"] is True
    assert shown.json()["migrationsDeleted"] == done.json()["migrationsDeleted"] != []
    listed = flywayx(*_args(database, loc), "clean", "--clean-disabled=false", "--dry-run", "--output-type", "json")
    objects = {
        o for a in listed.json()["actions"] if a["action"] in ("cleanSchema", "dropSchema") for o in a["objects"]
    }
    assert {"table authors", "table books", "table flyway_schema_history", "table cb_log"} <= objects
    assert flywayx(*_args(database, loc), "clean", "--clean-disabled=false").code == 0
    assert not set(snapshot(database).get("rows", {})) & {"authors", "books", "cb_log"}


def test_restore_dry_run_checks_the_backup_and_replaces_nothing(
    database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    loc = _project(tmp_path)
    assert flywayx(*_args(database, loc), "migrate", "--to", "1.0.0").code == 0
    assert flywayx(*_args(database, loc), "migrate", "--to", "1.2.0", "--backup", str(tmp_path / "bk")).code == 0
    dump = next(p for p in (tmp_path / "bk").iterdir() if not p.name.endswith(".json"))
    before = snapshot(database)
    unforced = [flywayx(*_args(database, loc), "restore", str(dump), *dry) for dry in (["--dry-run"], [])]
    assert unforced[0].code == unforced[1].code == 1 and unforced[0].err == unforced[1].err  # not empty: --force
    assert "--force" in unforced[0].err and snapshot(database) == before
    r = flywayx(*_args(database, loc), "restore", str(dump), "--force", "--dry-run")
    assert r.code == 0, r.err
    assert r.out.startswith("Dry run: would replace") and "nothing was changed" in r.out
    assert snapshot(database) == before
    with dump.open("ab") as fh:  # damaged after the backup: both refuse, with the same message
        fh.write(b"\n-- tampered\n")
    dry = flywayx(*_args(database, loc), "restore", str(dump), "--force", "--dry-run")
    real = flywayx(*_args(database, loc), "restore", str(dump), "--force")
    assert dry.code == real.code != 0 and dry.err == real.err and "sha256" in real.err
    assert snapshot(database) == before


def test_plan_refuses_what_migrate_refuses(database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]) -> None:
    """``plan`` runs migrate's validation: an edited applied migration fails both with one message."""
    loc = _project(tmp_path)
    assert flywayx(*_args(database, loc), "migrate", "--to", "1.1.0").code == 0
    (loc / "V1.1.0.1__add_book_isbn.sql").write_text(
        "ALTER TABLE books ADD COLUMN isbn VARCHAR(20);\n", encoding="utf-8"
    )
    before = snapshot(database)
    planned = flywayx(*_args(database, loc), "plan", "--to", "1.2.1")
    migrated = flywayx(*_args(database, loc), "migrate", "--to", "1.2.1")
    assert planned.code == migrated.code == 1
    assert planned.err == migrated.err and "checksum mismatch for migration version 1.1.0.1" in planned.err
    assert snapshot(database) == before
    assert flywayx(*_args(database, loc), "repair").code == 0  # the edit accepted: both go ahead
    ok = flywayx(*_args(database, loc), "plan", "--to", "1.2.1")
    assert ok.code == 0 and "Plan from 1.1.0 to 1.2.1: 3 step(s)" in ok.out, ok.out


def test_resume_dry_run_shows_where_it_continues(
    mariadb: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    """MySQL/MariaDB: a migration failed at its second statement; the dry run of ``--resume`` shows
    it continuing there, and changes nothing (Flyway's success=0 row and the progress record stay)."""
    url = mariadb.url
    loc = tmp_path / "m"
    loc.mkdir()
    script = loc / "V1__two.sql"
    script.write_text("CREATE TABLE a (id INT);\nINSERT INTO nowhere VALUES (1);\n", encoding="utf-8")
    assert flywayx("--url", url, "--locations", str(loc), "migrate").code == 1
    script.write_text("CREATE TABLE a (id INT);\nCREATE TABLE b (id INT);\n", encoding="utf-8")
    t = mariadb
    before = snapshot(t)
    shown = flywayx("--url", url, "--locations", str(loc), "migrate", "--resume", "--dry-run", "--output-type", "json")
    assert shown.code == 0, shown.out
    actions = shown.json()["actions"]
    assert actions[0] == {"action": "resume", "script": "V1__two.sql", "statementsDone": 1, "total": 2}
    assert [(a["action"], a.get("skipStatements")) for a in actions if a["action"] == "migrate"] == [("migrate", 1)]
    assert snapshot(t) == before
    assert flywayx("--url", url, "--locations", str(loc), "migrate", "--resume").code == 0
    assert t.query(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN ('a', 'b')"
    ) == [(2,)]
