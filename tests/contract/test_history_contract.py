"""The release-lines history contract (docs/history-tables.md) on SQLite, MariaDB and PostgreSQL.

After any sequence of flywayx commands on a project with ``releases.toml``: every migration of a
release the database has reached appears in ``flyway_schema_history`` exactly once, executed or
recorded as satisfied; ``validate`` passes; a plain ``migrate`` runs nothing the database already
has; plain ``migrate`` and ``migrate --to`` mix in any order. Flyway's own view is checked with
Flyway's rules (flywayx's port, pinned to Flyway's vectors) over the rows as stored, with the settings
docs/moving-from-flyway.md gives.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flywayx.model import Config, HistoryRow, Version
from flywayx.model.patterns import parse_patterns
from flywayx.plan.info import compute_info
from flywayx.plan.validate import validate_info
from flywayx.sources.scan import scan
from tests.conftest import CliResult as Result
from tests.databases import ScratchDb

from .snapshot import snapshot

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
FILES = {  # 1.1.0.2 is 1.0.1.1's fix rewritten for the 1.1 line: running both fails (duplicate column)
    "V1.0.0.1__t.sql": "CREATE TABLE t (id INT);\n",
    "V1.0.1.1__c.sql": "ALTER TABLE t ADD COLUMN c INT;\n",
    "V1.1.0.1__u.sql": "CREATE TABLE u (id INT);\n",
    "V1.1.0.2__c_again.sql": "ALTER TABLE t ADD c INT;\n",
    "V1.1.1.1__w.sql": "CREATE TABLE w (id INT);\n",
}
FILES_VERSIONS = [name[1:].split("__")[0] for name in FILES]


def _project(tmp_path: Path) -> Path:
    loc = tmp_path / "m"
    loc.mkdir()
    (loc / "releases.toml").write_text(RELEASES, encoding="utf-8")
    for name, body in FILES.items():
        (loc / name).write_text(body, encoding="utf-8")
    return loc


def _args(t: ScratchDb, loc: Path) -> list[str]:
    return ["--url", t.url, "--locations", f"filesystem:{loc}"]


def _rows(t: ScratchDb) -> list[HistoryRow]:
    got = t.query(
        "SELECT installed_rank, version, description, type, script, checksum, installed_by, "
        "execution_time, success FROM flyway_schema_history ORDER BY installed_rank"
    )
    return [
        HistoryRow(
            int(r[0]),
            Version.parse(str(r[1])) if r[1] is not None else None,
            r[2],
            r[3],
            r[4],
            int(r[5]) if r[5] is not None else None,
            r[6],
            int(r[7]),
            bool(r[8]),
        )
        for r in got
    ]


def flyway_reads(t: ScratchDb, loc: Path) -> tuple[dict[str, str], list[str]]:
    """Flyway's states and validation errors for the stored rows, outOfOrder=false,
    ignoreMigrationPatterns=*:ignored,*:pending,*:future (docs/moving-from-flyway.md: a database at a
    release other than the newest has migrations of other lines below it and releases above it)."""
    migrations = scan(Config(locations=(f"filesystem:{loc}",)), {}).migrations
    info = compute_info(migrations, _rows(t))
    issues = validate_info(info, parse_patterns(["*:ignored", "*:pending", "*:future"]))
    return {m.version.text: m.state.value for m in info.migrations if m.version is not None}, [
        i.message for i in issues
    ]


def _executed(r: Result) -> list[str]:
    assert r.code == 0, r.err
    return [m["version"] for m in r.json()["migrations"]]


def _recorded(r: Result) -> list[tuple[str, str, str]]:
    return [(m["version"], m["recordedAs"], m["satisfiedBy"]) for m in r.json()["recorded"]]


def assert_contract(t: ScratchDb, loc: Path, flywayx: Callable[..., Result], closure: list[str]) -> None:
    """The contract for a database whose reached releases' closure is ``closure``."""
    versions = [str(r.version) for r in _rows(t) if r.version is not None and r.type != "DELETE"]
    assert sorted(v for v in versions if v in closure) == sorted(closure)  # each exactly once
    assert flywayx(*_args(t, loc), "validate").code == 0
    info = {
        m["version"]: m["state"] for m in flywayx(*_args(t, loc), "info", "--output-type", "json").json()["migrations"]
    }
    assert not [v for v in closure if info[v] == "Pending"]
    states, errors = flyway_reads(t, loc)
    assert errors == []
    assert {states[v] for v in closure} <= {"Success", "Out of Order"}
    again = flywayx(*_args(t, loc), "migrate", "--output-type", "json")
    assert not set(_executed(again)) & set(closure)


def test_an_equivalent_skipped_by_migrate_to_is_recorded(
    database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    loc = _project(tmp_path)
    assert _executed(flywayx(*_args(database, loc), "migrate", "--to", "1.0.1", "--output-type", "json")) == [
        "1.0.0.1",
        "1.0.1.1",
    ]
    done = flywayx(*_args(database, loc), "migrate", "--to", "1.1.0", "--output-type", "json")
    assert _executed(done) == ["1.1.0.1"]
    assert _recorded(done) == [("1.1.0.2", "equivalent", "1.0.1.1")]
    row = next(r for r in _rows(database) if str(r.version) == "1.1.0.2")
    assert (row.type, row.description, row.script, row.success) == ("SQL", "c again", "V1.1.0.2__c_again.sql", True)
    assert_contract(database, loc, flywayx, ["1.0.0.1", "1.0.1.1", "1.1.0.1", "1.1.0.2"])
    # validate's old hint, -outOfOrder=true: nothing of the database runs again (no duplicate column)
    late = flywayx(*_args(database, loc), "migrate", "--out-of-order", "--output-type", "json")
    assert _executed(late) == []


def test_baseline_release_adopts_the_whole_closure(
    database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    loc = _project(tmp_path)
    database.execute("CREATE TABLE t (id INT, c INT)")
    database.execute("CREATE TABLE u (id INT)")
    before = snapshot(database)
    shown = flywayx(*_args(database, loc), "baseline", "--release", "1.1.0", "--dry-run", "--output-type", "json")
    assert shown.code == 0, shown.err
    assert snapshot(database) == before
    done = flywayx(*_args(database, loc), "baseline", "--release", "1.1.0", "--output-type", "json")
    assert done.code == 0, done.err
    assert [a["version"] for a in shown.json()["actions"] if a["action"] == "record"] == [
        "1.0.0.1",
        "1.0.1.1",
        "1.1.0.1",
        "1.1.0.2",
    ]
    assert [str(r.version) for r in _rows(database)] == ["1.0.0.1", "1.0.1.1", "1.1.0.1", "1.1.0.2"]
    assert not [r for r in _rows(database) if r.type == "BASELINE"]
    assert_contract(database, loc, flywayx, ["1.0.0.1", "1.0.1.1", "1.1.0.1", "1.1.0.2"])
    recorded = database.query("SELECT version, recorded_as, satisfied_by FROM flywayx_applied ORDER BY seq")
    assert recorded[:4] == [
        ("1.0.0.1", "adopted", "baseline --release 1.1.0"),
        ("1.0.1.1", "equivalent", "1.1.0.2"),
        ("1.1.0.1", "adopted", "baseline --release 1.1.0"),
        ("1.1.0.2", "adopted", "baseline --release 1.1.0"),
    ]
    refused = flywayx(*_args(database, loc), "baseline", "--release", "1.0.0")
    assert refused.code == 1 and "already contains migrations" in refused.err


def test_baseline_release_then_validate_passes_with_a_repeatable_not_yet_run(
    database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    """An adoption records the release's versioned migrations; a repeatable migration (a view) is what
    the next migrate brings: validate passes before it, as it does for releases not yet reached."""
    loc = _project(tmp_path)
    (loc / "R__view_u.sql").write_text(
        "CREATE OR REPLACE VIEW v_u AS SELECT id FROM u;\n"
        if database.dialect != "sqlite"
        else "DROP VIEW IF EXISTS v_u;\nCREATE VIEW v_u AS SELECT id FROM u;\n",
        encoding="utf-8",
    )
    database.execute("CREATE TABLE t (id INT, c INT)")
    database.execute("CREATE TABLE u (id INT)")
    assert flywayx(*_args(database, loc), "baseline", "--release", "1.1.0").code == 0
    checked = flywayx(*_args(database, loc), "validate")
    assert checked.code == 0, checked.err
    info = {
        m["description"]: m["state"]
        for m in flywayx(*_args(database, loc), "info", "--output-type", "json").json()["migrations"]
    }
    assert info["view u"] == "Pending"
    done = flywayx(*_args(database, loc), "migrate", "--to", "1.1.0", "--output-type", "json")
    assert [m["description"] for m in done.json()["migrations"]] == ["view u"]
    assert_contract(database, loc, flywayx, ["1.0.0.1", "1.0.1.1", "1.1.0.1", "1.1.0.2"])


def test_a_baseline_row_at_a_release_is_upgraded_in_place(
    database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    """flywayx's adoption before the contract wrote one BASELINE row at the release's version; its own
    migrations sort above it, so Flyway (and a plain migrate) saw them as pending."""
    loc = _project(tmp_path)
    database.execute("CREATE TABLE t (id INT, c INT)")
    database.execute("CREATE TABLE u (id INT)")
    assert flywayx(*_args(database, loc), "baseline", "--baseline-version", "1.1.0").code == 0
    done = flywayx(*_args(database, loc), "migrate", "--output-type", "json")
    assert _executed(done) == ["1.1.1.1"]
    # versions at or below the BASELINE row stay Flyway's "Below Baseline"; those above get their rows
    assert _recorded(done) == [
        ("1.1.0.1", "adopted", "BASELINE row 1.1.0"),
        ("1.1.0.2", "adopted", "BASELINE row 1.1.0"),
    ]
    assert_contract(database, loc, flywayx, ["1.1.0.1", "1.1.0.2", "1.1.1.1"])


def test_plain_migrate_and_migrate_to_mix_in_any_order(
    database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    loc = _project(tmp_path)
    first = flywayx(*_args(database, loc), "migrate", "--target", "1.1.0.2", "--output-type", "json")
    assert _executed(first) == ["1.0.0.1", "1.0.1.1", "1.1.0.1"]  # Flyway's order; 1.1.0.2 is in already
    assert _recorded(first) == [("1.1.0.2", "equivalent", "1.0.1.1")]
    assert _executed(flywayx(*_args(database, loc), "migrate", "--to", "1.1.1", "--output-type", "json")) == ["1.1.1.1"]
    assert_contract(database, loc, flywayx, list(FILES_VERSIONS))


def test_migrate_to_records_the_other_lines_equivalent_then_plain_migrate(
    database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    loc = _project(tmp_path)
    to = flywayx(*_args(database, loc), "migrate", "--to", "1.1.0", "--output-type", "json")
    assert _executed(to) == ["1.0.0.1", "1.1.0.1", "1.1.0.2"]
    # release 1.0.1 is now in the database too (its fix through the 1.1 line's rewrite): recorded
    assert _recorded(to) == [("1.0.1.1", "equivalent", "1.1.0.2")]
    plain = flywayx(*_args(database, loc), "migrate", "--output-type", "json")
    assert _executed(plain) == ["1.1.1.1"] and _recorded(plain) == []
    states, errors = flyway_reads(database, loc)
    assert errors == [] and states["1.0.1.1"] == "Out of Order"
    assert_contract(database, loc, flywayx, list(FILES_VERSIONS))


def test_a_release_cut_after_plain_migrate_is_recognised(
    database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    """A pending migration applied by plain migrate, then frozen into a release by ``release cut``."""
    loc = _project(tmp_path)
    pending = loc / "V1.1.20261123193000000001__p.sql"
    pending.write_text("CREATE TABLE p (id INT);\n", encoding="utf-8")
    assert "1.1.20261123193000000001" in _executed(flywayx(*_args(database, loc), "migrate", "--output-type", "json"))
    ids = database.query("SELECT content_id FROM flywayx_applied WHERE version = '1.1.20261123193000000001'")
    assert ids and ids[0][0]  # every mode records content ids
    pending.rename(loc / "V1.1.2.1__p.sql")
    (loc / "releases.toml").write_text(RELEASES.replace("[equivalent]", '[release."1.1.2"]\n[equivalent]'))
    assert flywayx(*_args(database, loc), "validate").code == 0  # the rename is known before it is recorded
    done = flywayx(*_args(database, loc), "migrate", "--to", "1.1.2", "--output-type", "json")
    assert _executed(done) == []
    assert _recorded(done) == [("1.1.2.1", "renamed", "1.1.20261123193000000001")]
    assert [(str(r.version), r.type) for r in _rows(database)][-2:] == [
        ("1.1.20261123193000000001", "DELETE"),
        ("1.1.2.1", "SQL"),
    ]
    assert_contract(database, loc, flywayx, [*FILES_VERSIONS, "1.1.2.1"])


def test_content_ids_missing_from_older_rows_are_filled(
    database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    loc = _project(tmp_path)
    assert flywayx(*_args(database, loc), "migrate", "--to", "1.0.1").code == 0
    database.execute("UPDATE flywayx_applied SET content_id = NULL")  # as an older flywayx left them
    assert flywayx(*_args(database, loc), "migrate", "--to", "1.0.1").code == 0
    assert database.query("SELECT COUNT(*) FROM flywayx_applied WHERE content_id IS NULL") == [(0,)]


def test_a_failed_plain_migrate_still_records_what_its_steps_made_due(
    database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    """Found by the model test: Flyway's order ran 1.0.1.1, which put the 1.1 line's rewrite of it in the
    database (release 1.1.0 reached), then failed at 1.0.1.2 before 1.1.0.1's turn. The run must still
    write 1.1.0.1's row: no later step would, and Flyway would read it as pending and run it again."""
    loc = tmp_path / "m"
    loc.mkdir()
    (loc / "releases.toml").write_text(
        '[lines]\ndepth = 2\n[release."1.0.0"]\n[release."1.0.1"]\n'
        '[release."1.1.0"]\nfrom = "1.0.0"\n[equivalent]\n"1.1.0.1" = "1.0.1.1"\n',
        encoding="utf-8",
    )
    for name, body in {
        "V1.0.0.1__t.sql": "CREATE TABLE t (id INT);\n",
        "V1.0.1.1__c.sql": "ALTER TABLE t ADD COLUMN c INT;\n",
        "V1.0.1.2__broken.sql": "INSERT INTO missing (id) VALUES (1);\n",
        "V1.1.0.1__c_again.sql": "ALTER TABLE t ADD c INT;\n",
    }.items():
        (loc / name).write_text(body, encoding="utf-8")
    failed = flywayx(*_args(database, loc), "migrate", "--output-type", "json")
    error = failed.json()["error"]
    assert failed.code != 0 and "V1.0.1.2__broken.sql" in error["message"]
    # the JSON error lists the row written after the failure, as a successful run lists its "recorded"
    assert [(r["version"], r["recordedAs"], r["satisfiedBy"]) for r in error["recorded_after_failure"]] == [
        ("1.1.0.1", "equivalent", "1.0.1.1")
    ]
    live = [(str(r.version), r.type) for r in _rows(database) if r.success]
    assert live == [("1.0.0.1", "SQL"), ("1.0.1.1", "SQL"), ("1.1.0.1", "SQL")]
    if database.dialect == "sqlite":  # the text form says it too, after the error and its hint
        again = tmp_path / "again.db"
        text = flywayx("--url", f"sqlite:///{again}", "--locations", str(loc), "migrate")
        assert text.err.splitlines()[-1] == (
            "note: written after the failure: 1.1.0.1 c again, recorded, not run: declared equivalent of "
            "applied 1.0.1.1"
        ), text.err
    ids = database.query("SELECT recorded_as, satisfied_by FROM flywayx_applied WHERE version = '1.1.0.1'")
    assert ids == [("equivalent", "1.0.1.1")]
    (loc / "V1.0.1.2__broken.sql").write_text("CREATE TABLE missing (id INT);\n", encoding="utf-8")
    if any(not r.success for r in _rows(database)):  # MySQL/MariaDB keep Flyway's failed row
        assert flywayx(*_args(database, loc), "repair").code == 0
    assert flywayx(*_args(database, loc), "migrate", "--to", "1.0.1").code == 0
    assert_contract(database, loc, flywayx, ["1.0.0.1", "1.0.1.1", "1.0.1.2", "1.1.0.1"])
