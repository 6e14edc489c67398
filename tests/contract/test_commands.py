"""Flyway's command flows on every database: migrate, info, validate, repair, baseline, clean.

Each test writes its own migrations and asserts what a Flyway user checks: exit codes, messages,
states in ``info``, and the exact rows of ``flyway_schema_history``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flywayx.sources.checksum import checksum_of_text
from tests.conftest import CliResult as Result
from tests.databases import ScratchDb

HISTORY_COLS = "installed_rank, version, description, type, script, checksum, installed_by, execution_time, success"


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def rows(t: ScratchDb) -> list[tuple[object, ...]]:
    return t.query(f"SELECT {HISTORY_COLS} FROM flyway_schema_history ORDER BY installed_rank")


def states(result: Result) -> list[tuple[str, str]]:
    return [(m["version"] or m["description"], m["state"]) for m in result.json()["migrations"]]


def args(t: ScratchDb, loc: Path) -> list[str]:
    return ["--url", t.url, "--locations", f"filesystem:{loc}"]


def test_migrate_writes_flyway_rows(database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]) -> None:
    loc = tmp_path / "m"
    v1 = "CREATE TABLE person (id INT PRIMARY KEY, name VARCHAR(50));\n"
    v2 = "INSERT INTO person (id, name) VALUES (1, 'Ada');\nINSERT INTO person (id, name) VALUES (2, 'Alan');\n"
    write(loc, "V1__create_person.sql", v1)
    write(loc, "V1_1__add_people.sql", v2)
    write(loc, "R__person_view.sql", "CREATE VIEW person_names AS SELECT name FROM person;\n")

    r = flywayx(*args(t := database, loc), "migrate")
    assert r.code == 0, r.err
    assert "Successfully applied 3 migrations" in r.out
    got = rows(t)
    assert [g[:6] for g in got] == [
        (1, "1", "create person", "SQL", "V1__create_person.sql", checksum_of_text(v1)),
        (2, "1.1", "add people", "SQL", "V1_1__add_people.sql", checksum_of_text(v2)),
        (
            3,
            None,
            "person view",
            "SQL",
            "R__person_view.sql",
            checksum_of_text("CREATE VIEW person_names AS SELECT name FROM person;\n"),
        ),
    ]
    expected_user = {"sqlite": "", "mariadb": "root", "postgresql": "postgres"}[t.dialect]
    assert all(g[6] == expected_user and bool(g[8]) for g in got)
    assert t.query("SELECT COUNT(*) FROM person") == [(2,)]

    again = flywayx(*args(t, loc), "migrate")
    assert again.code == 0 and "is up to date" in again.out
    assert len(rows(t)) == 3


def test_info_validate_and_a_new_migration(database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]) -> None:
    loc = tmp_path / "m"
    write(loc, "V1__a.sql", "CREATE TABLE a (id INT);\n")
    info = flywayx(*args(database, loc), "info", "--output-type", "json")
    assert info.code == 0 and states(info) == [("1", "Pending")]
    assert info.json()["schemaVersion"] is None

    assert flywayx(*args(database, loc), "migrate").code == 0
    assert flywayx(*args(database, loc), "validate").code == 0

    write(loc, "V2__b.sql", "CREATE TABLE b (id INT);\n")
    pending = flywayx(*args(database, loc), "validate")
    assert pending.code == 1
    assert "Detected resolved migration not applied to database: 2" in pending.err
    info = flywayx(*args(database, loc), "info", "--output-type", "json")
    assert states(info) == [("1", "Success"), ("2", "Pending")]
    assert flywayx(*args(database, loc), "migrate").code == 0
    done = flywayx(*args(database, loc), "info", "--output-type", "json")
    assert states(done) == [("1", "Success"), ("2", "Success")] and done.json()["schemaVersion"] == "2"


def test_checksum_mismatch_then_repair(database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]) -> None:
    loc = tmp_path / "m"
    path = write(loc, "V1__a.sql", "CREATE TABLE a (id INT);\n")
    assert flywayx(*args(database, loc), "migrate").code == 0
    path.write_text("CREATE TABLE a (id INT);\n-- reviewed\n", encoding="utf-8")
    bad = flywayx(*args(database, loc), "validate")
    assert bad.code == 1 and "Migration checksum mismatch for migration version 1" in bad.err
    blocked = flywayx(*args(database, loc), "migrate")
    assert blocked.code == 1 and "Validate failed" in blocked.err
    fixed = flywayx(*args(database, loc), "repair", "--output-type", "json")
    assert fixed.code == 0 and fixed.json()["repairActions"] == ["Aligned applied migration checksums"]
    assert rows(database)[0][5] == checksum_of_text(path.read_text())
    assert flywayx(*args(database, loc), "validate").code == 0


def test_failed_migration_and_repair(database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]) -> None:
    loc = tmp_path / "m"
    write(loc, "V1__ok.sql", "CREATE TABLE ok1 (id INT);\n")
    bad = write(loc, "V2__bad.sql", "CREATE TABLE ok2 (id INT);\nINSERT INTO no_such_table VALUES (1);\n")
    r = flywayx(*args(database, loc), "migrate")
    assert r.code == 1
    assert "V2__bad.sql" in r.err and "line 2" in r.err
    history = rows(database)
    if not database.caps.transactional_ddl:  # Flyway's failure row (MySQL/MariaDB)
        assert [(h[1], bool(h[8])) for h in history] == [("1", True), ("2", False)]
        again = flywayx(*args(database, loc), "migrate")
        assert again.code == 1 and "Detected failed migration to version 2 (bad)" in again.err
        rep = flywayx(*args(database, loc), "repair", "--output-type", "json")
        assert rep.json()["repairActions"] == ["Removed failed migrations"]
        database.execute("DROP TABLE ok2")  # what an operator cleans up by hand before retrying
    else:  # rolled back completely: no row, no table
        assert [(h[1], bool(h[8])) for h in history] == [("1", True)]
    bad.write_text("CREATE TABLE ok2 (id INT);\n", encoding="utf-8")
    assert flywayx(*args(database, loc), "migrate").code == 0
    assert [(h[1], bool(h[8])) for h in rows(database)] == [("1", True), ("2", True)]


def test_baseline_of_a_non_empty_schema(database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]) -> None:
    loc = tmp_path / "m"
    database.execute("CREATE TABLE legacy (id INT)")
    write(loc, "V1__legacy.sql", "CREATE TABLE legacy (id INT);\n")
    write(loc, "V2__next.sql", "CREATE TABLE next_one (id INT);\n")
    refused = flywayx(*args(database, loc), "migrate")
    assert refused.code == 1 and "Found non-empty schema(s)" in refused.err and "no schema history table" in refused.err
    assert database.query("SELECT COUNT(*) FROM legacy") == [(0,)]
    b = flywayx(*args(database, loc), "baseline")
    assert b.code == 0
    assert [(*r[:5], r[5], bool(r[8])) for r in rows(database)] == [
        (1, "1", "<< Flyway Baseline >>", "BASELINE", "<< Flyway Baseline >>", None, True)
    ]
    info = flywayx(*args(database, loc), "info", "--output-type", "json")
    assert states(info) == [("1", "Baseline"), ("1", "Ignored (Baseline)"), ("2", "Pending")] or states(info) == [
        ("1", "Ignored (Baseline)"),
        ("1", "Baseline"),
        ("2", "Pending"),
    ]
    assert flywayx(*args(database, loc), "migrate").code == 0
    assert [r[1] for r in rows(database)] == ["1", "2"]
    second = flywayx(*args(database, loc), "baseline", "--baseline-version", "5")
    assert second.code == 1 and "already been baselined" in second.err


def test_out_of_order(database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]) -> None:
    loc = tmp_path / "m"
    write(loc, "V1__a.sql", "CREATE TABLE a (id INT);\n")
    write(loc, "V3__c.sql", "CREATE TABLE c (id INT);\n")
    assert flywayx(*args(database, loc), "migrate").code == 0
    write(loc, "V2__b.sql", "CREATE TABLE b (id INT);\n")
    assert states(flywayx(*args(database, loc), "info", "--output-type", "json"))[-1] == ("2", "Ignored")
    refused = flywayx(*args(database, loc), "migrate")
    assert refused.code == 1 and "set -outOfOrder=true" in refused.err
    ok = flywayx(*args(database, loc), "migrate", "--out-of-order")
    assert ok.code == 0
    assert states(flywayx(*args(database, loc), "info", "--output-type", "json")) == [
        ("1", "Success"),
        ("3", "Success"),
        ("2", "Out of Order"),
    ]


def test_target_and_missing_migration(database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]) -> None:
    loc = tmp_path / "m"
    one = write(loc, "V1__a.sql", "CREATE TABLE a (id INT);\n")
    two = write(loc, "V2__b.sql", "CREATE TABLE b (id INT);\n")
    assert flywayx(*args(database, loc), "migrate", "--target", "1").code == 0
    assert [r[1] for r in rows(database)] == ["1"]
    unknown = flywayx(*args(database, loc), "migrate", "--target", "7")
    assert unknown.code == 1 and "No migration with a target version 7 could be found" in unknown.err
    assert flywayx(*args(database, loc), "migrate").code == 0
    two.unlink()  # the newest file gone: Flyway calls the row "Future", ignored by default (*:future)
    assert flywayx(*args(database, loc), "validate").code == 0
    two.write_text("CREATE TABLE b (id INT);\n", encoding="utf-8")
    one.unlink()  # an older file gone: "Missing", a validation error until repair marks it deleted
    missing = flywayx(*args(database, loc), "validate")
    assert missing.code == 1 and "Detected applied migration not resolved locally: 1" in missing.err
    rep = flywayx(*args(database, loc), "repair", "--output-type", "json")
    assert rep.json()["repairActions"] == ["Marked missing migrations as deleted"]
    assert [(r[1], r[3]) for r in rows(database)][-1] == ("1", "DELETE")
    assert flywayx(*args(database, loc), "validate").code == 0


def test_clean_is_disabled_by_default(database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]) -> None:
    loc = tmp_path / "m"
    write(loc, "V1__a.sql", "CREATE TABLE a (id INT);\n")
    assert flywayx(*args(database, loc), "migrate").code == 0
    refused = flywayx(*args(database, loc), "clean")
    assert refused.code == 1 and "disabled" in refused.err
    assert database.query("SELECT COUNT(*) FROM a") == [(0,)]
    assert flywayx(*args(database, loc), "clean", "--clean-disabled=false").code == 0
    assert flywayx(*args(database, loc), "info", "--output-type", "json").json()["schemaVersion"] is None


def test_placeholders_and_callbacks(database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]) -> None:
    loc = tmp_path / "m"
    write(loc, "V1__t.sql", "CREATE TABLE ${tbl} (id INT);\n")
    write(loc, "afterMigrate.sql", "INSERT INTO audit_log (note) VALUES ('${flyway:filename}');\n")
    write(loc, "beforeMigrate.sql", "CREATE TABLE IF NOT EXISTS audit_log (note VARCHAR(100));\n")
    unknown = flywayx(*args(database, loc), "migrate")
    assert unknown.code == 1 and "No value provided for placeholder: ${tbl}" in unknown.err
    ok = flywayx(*args(database, loc), "-placeholders.TBL=things", "migrate")
    assert ok.code == 0, ok.err
    assert database.query("SELECT COUNT(*) FROM things") == [(0,)]
    assert database.query("SELECT note FROM audit_log") == [("afterMigrate.sql",)]


def test_mixed_transactional_statements_on_postgres(
    postgres: object, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    url = postgres.url  # type: ignore[attr-defined]
    loc = tmp_path / "m"
    write(loc, "V1__t.sql", "CREATE TABLE t (id INT);\n")
    write(loc, "V2__idx.sql", "CREATE INDEX CONCURRENTLY t_id ON t (id);\n")  # alone: runs outside a transaction
    assert flywayx("--url", url, "--locations", str(loc), "migrate").code == 0
    write(loc, "V3__both.sql", "CREATE TABLE u (id INT);\nCREATE INDEX CONCURRENTLY u_id ON u (id);\n")
    refused = flywayx("--url", url, "--locations", str(loc), "migrate")
    assert refused.code == 1
    assert "Detected both transactional and non-transactional statements" in refused.err and "line 2" in refused.err
    assert flywayx("--url", url, "--locations", str(loc), "-mixed=true", "migrate").code == 0
