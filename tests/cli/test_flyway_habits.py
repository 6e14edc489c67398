"""A Flyway user's habits on the command line: options after the command, -q and -X, the log lines
of migrate in a CI log and on a terminal, releases.toml errors, undo files, info filters.

The output tests run the installed ``flywayx`` console script as a subprocess, so stdout is a pipe
(or a pseudo-terminal) exactly as in a CI job or a shell.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.databases import ScratchDb, requires

FLYWAYX = str(Path(sys.executable).parent / "flywayx")
Fx = Callable[..., CliResult]


@pytest.fixture
def fx(cli_run: Fx) -> Fx:
    """The in-process CLI (the same ``run`` the console script calls), for tests that need no pipe."""
    return cli_run


def project(tmp_path: Path, count: int = 3) -> Path:
    sql = tmp_path / "sql"
    sql.mkdir()
    for i in range(1, count + 1):
        (sql / f"V{i}__add_t{i}.sql").write_text(f"CREATE TABLE t{i} (id INT);\nINSERT INTO t{i} VALUES ({i});\n")
    return sql


def flywayx(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLYWAY")}
    return subprocess.run([FLYWAYX, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


# --- item 5: shared options after the command name, Flyway's -q and -X ------------------------------


@pytest.mark.parametrize("flag", ["--verbose", "-q", "--quiet", "-X", "--debug"])
def test_shared_flags_are_accepted_after_the_command(flag: str, tmp_path: Path, fx: Fx) -> None:
    sql = project(tmp_path)
    r = fx("migrate", "--url", f"sqlite:///{tmp_path / 'a.db'}", "--locations", str(sql), flag)
    assert r.code == 0, r.err
    assert "No such option" not in r.err


def test_quiet_after_the_command_prints_nothing_but_json_still_works(tmp_path: Path, fx: Fx) -> None:
    sql = project(tmp_path)
    url = f"sqlite:///{tmp_path / 'a.db'}"
    assert fx("--url", url, "--locations", str(sql), "migrate", "-q").out == ""
    r = fx("info", "-q", "--url", url, "--locations", str(sql), "--output-type", "json")
    assert [m["state"] for m in r.json()["migrations"]] == ["Success"] * 3


def test_debug_shows_each_statement_and_implies_verbose(tmp_path: Path) -> None:
    sql = project(tmp_path, 1)
    done = flywayx("migrate", "-X", "--url", f"sqlite:///{tmp_path / 'a.db'}", "--locations", str(sql))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:5] == [
        'DEBUG: Starting migration of schema "main" to version "1 - add t1" ...',
        'Migrating schema "main" to version "1 - add t1"',
        "DEBUG: statement 1/2 of V1__add_t1.sql done",
        "DEBUG: statement 2/2 of V1__add_t1.sql done",
    ]
    assert done.stdout.splitlines()[5].startswith(
        'Successfully completed migration of schema "main" to version "1 - add t1" (execution time 00:0'
    )


# --- item 6: what Flyway prints, in a CI log and on a terminal ----------------------------------------


def test_piped_output_has_flyways_lines_in_flyways_order(tmp_path: Path) -> None:
    sql = project(tmp_path)
    url = f"sqlite:///{tmp_path / 'a.db'}"
    done = flywayx("migrate", "--url", url, "--locations", str(sql))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:4] == [
        'Current version of schema "main": << Empty Schema >>',
        'Migrating schema "main" to version "1 - add t1"',
        'Migrating schema "main" to version "2 - add t2"',
        'Migrating schema "main" to version "3 - add t3"',
    ]
    assert re.fullmatch(
        r'Successfully applied 3 migrations to schema "main", now at version v3 '
        r"\(execution time \d\d:\d\d\.\d{3}s\)",
        lines[4],
    )
    assert len(lines) == 5 and done.stderr == ""  # no progress bar in a log
    shown = flywayx("migrate", "--url", f"sqlite:///{tmp_path / 'b.db'}", "--locations", str(sql), "--dry-run")
    assert shown.stdout.splitlines()[:2] == [
        'Current version of schema "main": << Empty Schema >>',  # first here too
        "DRY RUN: nothing below is executed; no schema, history row, flywayx table or lock is touched.",
    ]
    assert 'Would migrate schema "main" to version "1 - add t1"' in shown.stdout  # quoted as the real run quotes it
    again = flywayx("migrate", "--url", url, "--locations", str(sql))
    assert again.stdout.splitlines() == [
        'Current version of schema "main": 3',
        'Schema "main" is up to date. No migration necessary.',
    ]


def test_verbose_adds_each_migrations_execution_time(tmp_path: Path) -> None:
    sql = project(tmp_path, 2)
    done = flywayx("--verbose", "migrate", "--url", f"sqlite:///{tmp_path / 'a.db'}", "--locations", str(sql))
    timed = [line for line in done.stdout.splitlines() if line.startswith("Successfully completed migration")]
    assert len(timed) == 2
    assert re.fullmatch(
        r'Successfully completed migration of schema "main" to version "2 - add t2" '
        r"\(execution time \d\d:\d\d\.\d{3}s, 2 statements\)",
        timed[1],
    )


def test_mariadb_schema_is_quoted_as_flyway_quotes_it(tmp_path: Path, mariadb: ScratchDb) -> None:
    sql = project(tmp_path, 1)
    done = flywayx("migrate", "--url", mariadb.url, "--locations", str(sql))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == [
        f"Current version of schema `{mariadb.name}`: << Empty Schema >>",
        f'Migrating schema `{mariadb.name}` to version "1 - add t1"',
    ]


def test_out_of_order_is_marked(tmp_path: Path) -> None:
    sql = project(tmp_path, 1)
    url = f"sqlite:///{tmp_path / 'a.db'}"
    (sql / "V3__late.sql").write_text("CREATE TABLE t3 (id INT);\n")
    assert flywayx("migrate", "--url", url, "--locations", str(sql)).returncode == 0
    (sql / "V2__early.sql").write_text("CREATE TABLE t2 (id INT);\n")
    done = flywayx("migrate", "--url", url, "--locations", str(sql), "-outOfOrder=true")
    assert done.stdout.splitlines()[:3] == [
        'Current version of schema "main": 3',
        'outOfOrder mode is active. Migration of schema "main" may not be reproducible.',
        'Migrating schema "main" to version "2 - early" [out of order]',
    ]


def test_on_a_terminal_the_lines_come_with_a_progress_bar(tmp_path: Path) -> None:
    sql = project(tmp_path, 2)
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLYWAY")}
    proc = subprocess.Popen(
        [FLYWAYX, "migrate", "--url", f"sqlite:///{tmp_path / 'a.db'}", "--locations", str(sql)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=60) == 0
    os.close(master)
    text = seen.decode()
    assert re.search(r"\[#*\.*\] \d/2 statements  ETA", text)  # the bar, redrawn in place
    assert "\r\x1b[2K" in text  # and erased before the next line
    assert 'Migrating schema "main" to version "2 - add t2"' in text
    assert text.index("Current version of schema") < text.index("Migrating schema")


# --- item 7: a releases.toml syntax error -------------------------------------------------------------


def test_a_releases_toml_syntax_error_is_shown_alone_with_its_line(tmp_path: Path, fx: Fx) -> None:
    sql = project(tmp_path)
    (sql / "releases.toml").write_text(
        '[lines]\ndepth = 1\n\n[release."1"]\n[release."2"\nfrom = "1"\n\n[release."3"]\nfrom = "2\n'
    )
    for args in (["--url", f"sqlite:///{tmp_path / 'a.db'}", "info"], ["graph", "--offline"]):
        r = fx("--locations", str(sql), *args)
        assert r.code == 1
        assert r.err.splitlines() == [
            f"ERROR: {sql / 'releases.toml'} is invalid (2 problems):",
            f"  {sql / 'releases.toml'}:5: invalid TOML: Expected ']' at the end of a table declaration",
            f"  {sql / 'releases.toml'}:9: invalid TOML: Illegal character '\\n'",
            'hint: fix the TOML syntax at each line listed: tables are written [release."4.6.1"], values in '
            'double quotes (from = "4.6.0", merges = ["4.5.3"])',
        ]


# --- item 8: Flyway Teams undo migrations ---------------------------------------------------------------


def test_undo_files_are_known_never_run_and_shown_as_undoable(tmp_path: Path, fx: Fx) -> None:
    import sqlite3

    sql = project(tmp_path, 2)
    (sql / "U1__add_t1.sql").write_text("DROP TABLE t1;\n")
    url = f"sqlite:///{tmp_path / 'a.db'}"
    r = fx("--url", url, "--locations", str(sql), "migrate", "-validateMigrationNaming=true")
    assert r.code == 0, r.err
    assert r.err == ""  # no "misnamed" warning, no error even with strict naming
    assert [line for line in r.out.splitlines() if line.startswith("Migrating")] == [
        'Migrating schema "main" to version "1 - add t1"',
        'Migrating schema "main" to version "2 - add t2"',
    ]
    with sqlite3.connect(tmp_path / "a.db") as conn:
        assert conn.execute("SELECT id FROM t1").fetchall() == [(1,)]  # the undo never ran
    r = fx("--url", url, "--locations", str(sql), "info")
    assert r.err == ""
    table = [[c.strip() for c in line.strip("|").split("|")] for line in r.out.splitlines() if line.startswith("| ")]
    assert table[0][-1] == "Undoable"
    assert [(row[1], row[-1]) for row in table[1:]] == [("1", "Yes"), ("2", "No")]
    got = fx("--url", url, "--locations", str(sql), "info", "--output-type", "json").json()["migrations"]
    assert [(m["version"], m["undoable"], Path(m["undoFilepath"]).name if m["undoFilepath"] else "") for m in got] == [
        ("1", "Yes", "U1__add_t1.sql"),
        ("2", "No", ""),
    ]
    assert fx("--url", url, "--locations", str(sql), "validate").code == 0


# --- item 9: lint without --dialect -------------------------------------------------------------------------


def test_lint_ci_as_the_docs_show_it_runs_without_a_dialect(tmp_path: Path) -> None:
    sql = project(tmp_path, 1)
    (sql / "V2__drop.sql").write_text("ALTER TABLE t1 DROP COLUMN id;\n")
    done = flywayx("--locations", str(sql), "lint", "--ci")
    assert done.returncode == 1, done.stderr  # the drop is a finding: CI fails on it, not on a missing dialect
    assert "lint needs a dialect" not in done.stderr
    assert done.stderr.splitlines()[0].startswith("note: no --dialect and no database URL: linting as mysql")
    assert "2 migration(s) linted (mysql" in done.stdout


def test_lint_takes_the_dialect_from_the_url_in_flyway_toml(tmp_path: Path) -> None:
    sql = project(tmp_path, 1)
    (tmp_path / "flyway.toml").write_text(
        f'[environments.default]\nurl = "jdbc:postgresql://127.0.0.1/app"\n[flyway]\nlocations = ["filesystem:{sql}"]\n'
    )
    done = flywayx("lint", "--ci", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 migration(s) linted (postgresql" in done.stdout and "note:" not in done.stderr


# --- item 10: info filters, plan without releases.toml, graph --to, backup, wrong password ------------------


@pytest.fixture
def dated(tmp_path: Path, fx: Fx) -> tuple[Path, str]:
    """Versions 1..3 applied on 01/01/2020, 01/06/2020 and 01/01/2021 (10:00), version 4 pending,
    one repeatable applied."""
    import sqlite3

    sql = project(tmp_path, 4)
    (sql / "R__view.sql").write_text("CREATE VIEW v AS SELECT 1 AS x;\n")
    url = f"sqlite:///{tmp_path / 'a.db'}"
    assert fx("--url", url, "--locations", str(sql), "migrate", "-target=3").code == 0
    with sqlite3.connect(tmp_path / "a.db") as conn:
        for version, day in (("1", "2020-01-01"), ("2", "2020-06-01"), ("3", "2021-01-01")):
            conn.execute(
                "UPDATE flyway_schema_history SET installed_on = ? WHERE version = ?", (f"{day} 10:00:00", version)
            )
        conn.execute("UPDATE flyway_schema_history SET installed_on = '2021-01-01 10:00:00' WHERE version IS NULL")
    return sql, url


def _shown(fx: Fx, sql: Path, url: str, *filters: str) -> list[tuple[str, str]]:
    r = fx("--url", url, "--locations", str(sql), "info", *filters)
    assert r.code == 0, r.err
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in r.out.splitlines() if line.startswith("| ")]
    return [(row[1] or row[2], row[5]) for row in rows[1:]]


def test_info_filters_as_flyway_applies_them(dated: tuple[Path, str], fx: Fx) -> None:
    sql, url = dated
    assert _shown(fx, sql, url) == [
        ("1", "Success"),
        ("2", "Success"),
        ("3", "Success"),
        ("view", "Success"),
        ("4", "Pending"),
    ]
    assert _shown(fx, sql, url, "-infoSinceVersion=2") == [
        ("2", "Success"),
        ("3", "Success"),
        ("view", "Success"),
        ("4", "Pending"),
    ]
    assert _shown(fx, sql, url, "-infoUntilVersion=2") == [("1", "Success"), ("2", "Success")]
    assert _shown(fx, sql, url, "-infoSinceDate=01/03/2020 00:00") == [
        ("2", "Success"),
        ("3", "Success"),
        ("view", "Success"),
        ("4", "Pending"),
    ]
    assert _shown(fx, sql, url, "-infoUntilDate=01/01/2021 10:00") == [("1", "Success"), ("2", "Success")]
    assert _shown(fx, sql, url, "-infoOfState=pending") == [("4", "Pending")]
    assert _shown(fx, sql, url, "--info-of-state", "SUCCESS,Pending", "--info-since-version", "3") == [
        ("3", "Success"),
        ("view", "Success"),
        ("4", "Pending"),
    ]
    got = fx(
        "--url",
        url,
        "--locations",
        str(sql),
        "info",
        "-infoOfState=success",
        "-infoUntilVersion=1",
        "--output-type",
        "json",
    ).json()
    assert [m["version"] for m in got["migrations"]] == ["1"] and got["schemaVersion"] == "3"


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        (
            "-infoSinceDate=2020-01-01",
            "ERROR: '2020-01-01' is an invalid value for the infoSinceDate option. The expected "
            "format is 'dd/mm/yyyy hh:mm', like '13/10/2020 16:30'.",
        ),
        ("-infoOfState=done", "ERROR: 'done' is not a migration state (-infoOfState)"),
        ("-infoUntilVersion=x.y", "ERROR: 'x.y' is an invalid value for the infoUntilVersion option"),
    ],
)
def test_a_bad_info_filter_is_one_error_line(flag: str, message: str, tmp_path: Path, fx: Fx) -> None:
    r = fx("--url", f"sqlite:///{tmp_path / 'a.db'}", "--locations", str(project(tmp_path, 1)), "info", flag)
    assert r.code == 2
    assert r.err.splitlines()[0].startswith(message) and r.err.splitlines()[1].startswith("hint: ")


def test_plan_without_releases_toml_lists_pending_in_flyways_order(tmp_path: Path, fx: Fx) -> None:
    sql = project(tmp_path, 3)
    (sql / "R__a_view.sql").write_text("CREATE VIEW a AS SELECT 1 AS x;\n")
    url = f"sqlite:///{tmp_path / 'a.db'}"
    assert fx("--url", url, "--locations", str(sql), "migrate", "-target=1").code == 0
    (sql / "R__b_view.sql").write_text("CREATE VIEW b AS SELECT 1 AS x;\n")
    (sql / "R__a_view.sql").write_text("DROP VIEW a;\nCREATE VIEW a AS SELECT 2 AS x;\n")
    r = fx("--url", url, "--locations", str(sql), "plan")
    assert r.code == 0, r.err
    assert r.out.splitlines()[0] == "Plan from schema version 1 to latest: 4 step(s)"
    steps = r.out.splitlines()[r.out.splitlines().index("Steps") + 1 :]  # after the operator's summary
    assert [line.split("—")[-1].strip() for line in steps] == [
        "pending (plain Flyway order: no releases.toml)",
        "pending (plain Flyway order: no releases.toml)",
        "repeatable: checksum changed",
        "repeatable: new",
    ]
    assert [
        s["description"]
        for s in fx("--url", url, "--locations", str(sql), "plan", "--output-type", "json").json()["steps"]
    ] == ["add t2", "add t3", "a view", "b view"]
    # what plan listed is what migrate runs
    migrated = fx("--url", url, "--locations", str(sql), "migrate").out.splitlines()
    assert [line for line in migrated if line.startswith("Migrating")] == [
        'Migrating schema "main" to version "2 - add t2"',
        'Migrating schema "main" to version "3 - add t3"',
        'Migrating schema "main" with repeatable migration "a view"',
        'Migrating schema "main" with repeatable migration "b view"',
    ]


def test_graph_to_marks_the_target_and_explains_every_symbol(tmp_path: Path, fx: Fx) -> None:
    sql = tmp_path / "sql"
    sql.mkdir()
    for n in range(4):
        (sql / f"V1.{n}.1__t{n}.sql").write_text(f"CREATE TABLE t{n} (id INT);\n")
    (sql / "releases.toml").write_text("[lines]\ndepth = 1\n" + "".join(f'[release."1.{n}"]\n' for n in range(4)))
    url = f"sqlite:///{tmp_path / 'a.db'}"
    assert fx("--url", url, "--locations", str(sql), "migrate", "--to", "1.0").code == 0
    r = fx("--url", url, "--locations", str(sql), "graph", "--to", "1.2")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[:5] == ["line 1", "  * 1.0", "  > 1.1", "  @ 1.2", "    1.3"]
    legend = lines[lines.index("legend:") + 1 :]
    for symbol in ("*", ">", "@"):
        assert any(entry.strip().startswith(symbol + " ") for entry in legend), symbol
    assert "target: 1.2" in lines and "database is at: 1.0" in lines
    offline = fx("--locations", str(sql), "graph", "--to", "1.2").out.splitlines()
    assert offline[:5] == ["line 1", "  > 1.0", "  > 1.1", "  @ 1.2", "    1.3"]
    reached = fx("--url", url, "--locations", str(sql), "graph", "--to", "1.0").out.splitlines()
    assert reached[1] == "  * 1.0  <- target, already reached"


@requires("backup_client")
def test_migrate_backup_says_where_the_dump_went(tmp_path: Path, mariadb: ScratchDb) -> None:
    sql = project(tmp_path, 1)
    backups = tmp_path / "backups"
    done = flywayx("migrate", "--url", mariadb.url, "--locations", str(sql), "--backup", str(backups))
    assert done.returncode == 0, done.stderr
    [dump] = [p for p in backups.iterdir() if p.suffix == ".sql"]
    first = done.stdout.splitlines()[0]
    assert first.startswith(f"Backup of {mariadb.name} written to {dump} (")
    assert first.endswith(f"put it back with: flywayx restore --force {dump}")
    assert f"Current version of schema `{mariadb.name}`" in done.stdout.splitlines()[1]
    as_json = flywayx(
        "migrate", "--url", mariadb.url, "--locations", str(sql), "--backup", str(backups), "--output-type", "json"
    )
    import json

    assert Path(json.loads(as_json.stdout)["backup"]).exists()


@pytest.mark.parametrize("user", ["root", "nobody_fx_i16"])
def test_a_wrong_password_gets_an_authentication_hint(user: str, mariadb: ScratchDb, tmp_path: Path) -> None:
    url = f"mysql://{user}:surely-wrong@{mariadb.host}:{mariadb.port}/{mariadb.name}"
    done = flywayx("info", "--url", url, "--locations", str(project(tmp_path, 1)))
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if not line.startswith("WARNING")]
    assert lines[0].startswith("ERROR: Unable to connect to mysql at") and "Access denied" in lines[0]
    assert lines[1].startswith("hint: the server is up but refused these credentials: check the user and the password")
    assert "surely-wrong" not in done.stderr


@pytest.mark.parametrize(
    "libpq_text",
    [
        'connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  password authentication '
        'failed for user "app"',
        'connection to server at "db", port 5432 failed: FATAL:  28P01: password authentication failed for user "app"',
    ],
)
def test_postgres_authentication_failures_get_the_authentication_hint(libpq_text: str) -> None:
    # the local PostgreSQL trusts every connection, so libpq's own words (SQLSTATE 28P01) stand in for it
    from flywayx.config.urls import parse_url
    from flywayx.db.postgres import _failure

    err = _failure(parse_url("postgresql://app@127.0.0.1:5432/app"), libpq_text, "pw")
    assert (err.hint or "").startswith("the server is up but refused these credentials")
