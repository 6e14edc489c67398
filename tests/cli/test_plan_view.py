"""``flywayx plan`` for an operator: a summary first, phase words explained, what rests on a
declaration named, repeatables grouped (SQLite, a small project with two release lines)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult

Run = Callable[..., CliResult]

RELEASES = """\
[release."1.0.0"]
[release."1.0.1"]
[release."1.1.0"]
from = "1.0.0"
[release."1.1.1"]
merges = ["1.0.1"]

[commutes]
"1.0.1.1" = ["1.1.0.1"]
"""
FILES = {
    "V1.0.0.1__t.sql": "CREATE TABLE t (id INT);",
    "V1.0.1.1__fix.sql": "UPDATE t SET id = id + 1;",
    "V1.1.0.1__add.sql": "ALTER TABLE t ADD COLUMN a INT;",
    "V1.1.1.1__u.sql": "CREATE TABLE u (id INT);",
}


def _project(tmp_path: Path) -> list[str]:
    sql = tmp_path / "sql"
    sql.mkdir()
    (sql / "releases.toml").write_text(RELEASES)
    for name, text in FILES.items():
        (sql / name).write_text(text + "\n")
    for i in range(1, 6):
        (sql / f"R__v{i}.sql").write_text(f"CREATE VIEW v{i} AS SELECT 1 AS x;\n")
    return ["--url", f"sqlite:///{tmp_path / 'a.db'}", "--locations", f"filesystem:{sql}"]


def test_the_summary_comes_first_and_repeatables_are_one_line(tmp_path: Path, cli_run: Run) -> None:
    run = _project(tmp_path)
    out = cli_run(*run, "plan").out.splitlines()
    assert out[1] == "Summary" and out.index("Steps") > out.index("Phase words:")
    assert "  from an empty database to latest: 4 step(s), 5 repeatable(s)" in out
    assert "  steps per release: 1.0.0: 1, 1.0.1: 1, 1.1.0: 1, 1.1.1: 1" in out
    assert any(line.startswith("  expand: adds only") for line in out)
    steps = out[out.index("Steps") + 1 :]
    assert len(steps) == 5 and "5 repeatable migration(s)" in steps[-1] and "5 new" in steps[-1]
    assert "R__v1.sql … R__v5.sql" in steps[-1]
    with_sql = cli_run(*run, "plan", "--sql").out
    assert with_sql.count("repeatable: new") == 5  # --sql lists each one with its statements


def test_a_late_step_says_it_rests_on_a_declaration(tmp_path: Path, cli_run: Run) -> None:
    run = _project(tmp_path)
    assert cli_run(*run, "migrate", "--to", "1.1.0").code == 0
    out = cli_run(*run, "plan", "--to", "1.1.1").out
    assert "not proven from the SQL: 1 step(s): 1.0.1.1" in out
    assert "(declared, not proven: [commutes] with 1.1.0.1)" in out
    assert "needs the old version stopped (--phase contract): 1 step(s) (0 contract, 1 data, 0 unknown)" in out


def test_a_refusal_says_where_the_database_is_and_where_to_go(tmp_path: Path, cli_run: Run) -> None:
    run = _project(tmp_path)
    assert cli_run(*run, "migrate", "--to", "1.1.0").code == 0
    other_line = cli_run(*run, "plan", "--to", "1.0.1")
    assert other_line.code != 0
    assert "hint: the database is at 1.1.0; 1.0.1's changes come with 1.1.1 (they include both)" in other_line.err
    assert cli_run(*run, "migrate").code == 0
    behind = cli_run(*run, "plan", "--to", "1.1.0")
    assert "hint: the database is already past 1.1.0 (it is at 1.1.1); flywayx does not undo migrations" in behind.err


def test_migrate_says_what_it_will_do_before_it_starts(tmp_path: Path, cli_run: Run) -> None:
    run = _project(tmp_path)
    dry = cli_run(*run, "migrate", "--to", "1.1.0", "--dry-run").out.splitlines()
    assert dry[0] == "Summary" and dry.index("Summary") < dry.index("Phase words:") < dry.index(
        'Current version of schema "main": << Empty Schema >>'
    )
    assert "  from an empty database to 1.1.0: 2 step(s), 5 repeatable(s)" in dry
    assert "  steps per release: 1.0.0: 1, 1.1.0: 1" in dry
    backup = tmp_path / "backup"
    out = cli_run(*run, "migrate", "--to", "1.1.0", "--backup", str(backup)).out.splitlines()
    assert out[:3] == dry[:3]  # the same summary, then the backup it announces, then the steps
    said = next(i for i, line in enumerate(out) if line.startswith("  backup: into "))
    taken = next(i for i, line in enumerate(out) if line.startswith("Backup of main written to"))
    first = next(i for i, line in enumerate(out) if line.startswith("Migrating schema"))
    assert str(backup) in out[said] and said < taken < first
    late = cli_run(*run, "migrate", "--to", "1.1.1").out
    assert (
        "rests on declarations in releases.toml ([commutes]/[equivalent]), not proven from the SQL: "
        "1 step(s): 1.0.1.1" in late
    )
    assert "(0 contract, 1 data, 0 unknown)" in late
    again = cli_run(*run, "migrate", "--to", "1.1.1").out
    assert "Summary" not in again and "is up to date. No migration necessary." in again


def test_migrate_json_carries_the_summary_and_plain_flyway_prints_none(tmp_path: Path, cli_run: Run) -> None:
    import json

    run = _project(tmp_path)
    result = json.loads(cli_run(*run, "-outputType=json", "migrate", "--to", "1.1.0").out)
    assert result["migrationsExecuted"] == 7  # Flyway's keys as before, the summary beside them
    assert result["summary"]["stepsPerRelease"] == {"1.0.0": 1, "1.1.0": 1}
    assert result["summary"]["online"] == 2 and result["summary"]["needsDowntime"] == 0
    plan = json.loads(cli_run(*run, "-outputType=json", "plan").out)
    assert plan["summary"]["declaredNotProven"] == ["1.0.1.1"]
    flyway_order = cli_run(*run, "migrate", "--dry-run").out.splitlines()  # no --to: Flyway's order, except
    # that 1.1.1 merges 1.0.1, whose fix Flyway's order skips (Ignored): it runs where --to 1.1.1 runs it
    assert "  from 1.1.0 to latest: 2 step(s), 0 repeatable(s)" in flyway_order
    assert "  steps per release: 1.0.1: 1, 1.1.1: 1" in flyway_order
    plain = tmp_path / "plain"  # a plain Flyway project (no releases.toml): Flyway's lines only
    plain.mkdir()
    (plain / "V1__t.sql").write_text("CREATE TABLE t (id INT);\n")
    out = cli_run("--url", f"sqlite:///{tmp_path / 'p.db'}", "--locations", f"filesystem:{plain}", "migrate")
    assert out.out.splitlines()[0] == 'Current version of schema "main": << Empty Schema >>', out.out + out.err
    assert "Summary" not in out.out


def test_repeatables_written_for_a_later_release_are_named_as_waiting(tmp_path: Path, cli_run: Run) -> None:
    run = _project(tmp_path)
    toml = tmp_path / "sql" / "releases.toml"
    toml.write_text('[repeatables]\nrelease = "1.1.1"\n\n' + RELEASES)
    out = cli_run(*run, "migrate", "--to", "1.1.0").out.splitlines()
    assert "  from an empty database to 1.1.0: 2 step(s), 0 repeatable(s), 5 deferred" in out
    assert (
        "  waiting for a later release: 5 repeatable(s): repeatable migrations are written for release 1.1.1 "
        "and run once an upgrade reaches it" in out
    )
    assert not any(line.startswith("Migrating schema") and "repeatable" in line for line in out)
