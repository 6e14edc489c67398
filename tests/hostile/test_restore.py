"""Backups you can trust, through the console script with the real clients.

- Files 0600 and the directories flywayx creates 0700, under a umask of 000.
- ``restore`` writes into the database the URL names (the manifest's is only a default) and leaves
  the backed-up database alone; a target that holds anything needs ``--force``.
- Atomic: a restore SIGKILLed while it loads the data, or failing half-way through the dump, leaves
  the previous database exactly as it was; a second restore then succeeds.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests import databases
from tests.databases import ScratchDb
from tests.e2e import harness

ROWS = int(os.environ.get("FLYWAYX_RESTORE_KILL_ROWS", "120000"))


def _project(tmp: Path) -> Path:
    loc = tmp / "sql"
    loc.mkdir(exist_ok=True)
    (loc / "V1__base.sql").write_text(
        "CREATE TABLE base (id INT PRIMARY KEY, note VARCHAR(40));\nINSERT INTO base VALUES (1, 'one');\n"
        "CREATE VIEW v_base AS SELECT id FROM base;\n"
    )
    return loc


def _cli(url: str, loc: Path, *args: str, **kw: Any) -> harness.Proc:
    return harness.run("--url", url, "--locations", str(loc), *args, **kw)


def _dump(bk: Path) -> Path:
    dumps = [p for p in bk.rglob("*") if p.is_file() and not p.name.endswith(".json")]
    assert len(dumps) == 1, dumps
    return dumps[0]


def _state(db: ScratchDb) -> dict[str, Any]:
    """What an operator would compare: schema fingerprint, history, row counts and contents."""
    snap = harness.snapshot(db)
    base = db.query("SELECT id, note FROM base ORDER BY id")
    big = db.query("SELECT COUNT(*), SUM(id) FROM big") if _has(db, "big") else None
    return {"fp": snap["fingerprint"], "history": snap["history"], "base": base, "big": big}


def _has(db: ScratchDb, table: str) -> bool:
    try:
        db.query(f"SELECT 1 FROM {table} WHERE 1 = 0")
        return True
    except Exception:
        return False


@pytest.mark.parametrize("family", ["mariadb", "postgresql", "sqlite"])
def test_backup_files_are_private_whatever_the_umask(family: str, tmp_path: Path) -> None:
    loc = _project(tmp_path)
    bk = tmp_path / "backups" / "nightly"
    with databases.scratch(family, tmp_path) as db:
        assert _cli(db.url, loc, "migrate").code == 0
        args = [*harness.FLYWAYX, "--url", db.url, "--locations", str(loc), "migrate", "--backup", str(bk)]
        p = subprocess.run(
            args,
            capture_output=True,
            text=True,
            env=harness.env(),
            timeout=120,
            check=False,
            preexec_fn=lambda: os.umask(0),
        )
        assert p.returncode == 0, p.stderr
        files = sorted(bk.iterdir())
        assert len(files) == 3  # dump, manifest, fingerprint
        for f in files:
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, (f, oct(f.stat().st_mode))
        for d in (bk, bk.parent):
            assert stat.S_IMODE(d.stat().st_mode) == 0o700, (d, oct(d.stat().st_mode))


@pytest.mark.parametrize("family", ["mariadb", "postgresql", "sqlite"])
def test_restore_goes_where_the_url_points_and_needs_force_for_a_non_empty_target(family: str, tmp_path: Path) -> None:
    loc = _project(tmp_path)
    bk = tmp_path / "bk"
    with ExitStack() as stack:
        source = stack.enter_context(databases.scratch(family, tmp_path))
        other = stack.enter_context(databases.scratch(family, tmp_path))
        assert _cli(source.url, loc, "migrate").code == 0
        assert _cli(source.url, loc, "migrate", "--backup", str(bk)).code == 0
        dump = _dump(bk)
        source.query("INSERT INTO base VALUES (2, 'after the backup')")
        before_source = _state(source)
        # an empty database named in the URL: no --force needed; the source is not touched
        done = _cli(other.url, loc, "restore", str(dump), "--output-type", "json")
        assert done.code == 0, done.err
        assert json.loads(done.out)["success"] is True
        assert other.query("SELECT id, note FROM base ORDER BY id") == [(1, "one")]
        assert _state(source) == before_source
        assert _cli(other.url, loc, "verify").code == 0
        # the source itself now holds something: refused without --force, untouched
        refused = _cli(source.url, loc, "restore", str(dump))
        assert refused.code == 1 and "Traceback" not in refused.text
        lines = refused.err.strip().splitlines()
        assert lines[0].startswith("ERROR: restore would replace") and lines[1].startswith("hint:")
        assert "--force" in lines[1]
        dry = _cli(source.url, loc, "restore", str(dump), "--force", "--dry-run")
        assert dry.code == 0 and "nothing was changed" in dry.out, dry.err
        assert _state(source) == before_source
        forced = _cli(source.url, loc, "restore", str(dump), "--force")
        assert forced.code == 0, forced.err
        assert source.query("SELECT id, note FROM base ORDER BY id") == [(1, "one")]
        assert [r[0] for r in source.query("SELECT id FROM v_base")] == [1]


def _big(db: ScratchDb) -> None:
    if db.dialect == "mariadb":
        db.query("CREATE TABLE big (id INT PRIMARY KEY, pad VARCHAR(120))")
        db.query(f"INSERT INTO big SELECT seq, REPEAT('x', 100) FROM seq_1_to_{ROWS}")
    else:
        db.query("CREATE TABLE big (id INT PRIMARY KEY, pad VARCHAR(120))")
        db.query(f"INSERT INTO big SELECT g, repeat('x', 100) FROM generate_series(1, {ROWS}) g")


def _loading(db: ScratchDb, proc: subprocess.Popen[str]) -> bool:
    """Whether the restore is loading the data now (the server shows the load in progress)."""
    if db.dialect == "mariadb":
        scratch = db.schema + "__fx_restore"
        return bool(
            db.query(f"SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{scratch}' AND TABLE_NAME = 'big'")
        )
    return bool(
        db.query(
            "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND state = 'active'"
            " AND query LIKE 'COPY public.big%'"
        )
    )


@pytest.mark.parametrize("family", ["mariadb", "postgresql"])
def test_a_restore_killed_while_loading_leaves_the_previous_database_intact(family: str, tmp_path: Path) -> None:
    loc = _project(tmp_path)
    bk = tmp_path / "bk"
    with databases.scratch(family, tmp_path) as db:
        assert _cli(db.url, loc, "migrate").code == 0
        _big(db)
        assert _cli(db.url, loc, "migrate", "--backup", str(bk)).code == 0
        dump = _dump(bk)
        db.query("INSERT INTO base VALUES (2, 'after the backup')")
        db.query("DELETE FROM big WHERE id > 1000")
        before = _state(db)
        args = [*harness.FLYWAYX, "--url", db.url, "--locations", str(loc), "restore", "--force", str(dump)]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=harness.env())
        deadline = time.monotonic() + 60
        while not _loading(db, proc):
            assert proc.poll() is None, "the restore ended before the kill: raise FLYWAYX_RESTORE_KILL_ROWS"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.communicate()
        time.sleep(0.5)  # the clients die with flywayx; give the server a moment to end their sessions
        assert _state(db) == before
        assert not _running_with(str(dump))  # no pg_restore left behind to finish the job
        if family == "mariadb":  # the half-loaded scratch database is there, nothing is loading into it
            n = db.query(f"SELECT COUNT(*) FROM `{db.schema}__fx_restore`.big")[0][0]
            time.sleep(0.5)
            assert db.query(f"SELECT COUNT(*) FROM `{db.schema}__fx_restore`.big")[0][0] == n < ROWS
        again = _cli(db.url, loc, "restore", "--force", str(dump))
        assert again.code == 0, again.err
        after = _state(db)
        assert after["base"] == [(1, "one")] and after["big"] == [(ROWS, ROWS * (ROWS + 1) // 2)]
        if family == "mariadb":
            assert (
                db.query(
                    f"SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '{db.schema}\\_\\_fx%'"
                )
                == []
            )  # scratch and previous dropped


def test_a_sqlite_restore_killed_while_copying_leaves_the_previous_database_intact(tmp_path: Path) -> None:
    import sqlite3

    loc = _project(tmp_path)
    with databases.scratch("sqlite", tmp_path) as db:
        assert _cli(db.url, loc, "migrate").code == 0
        with sqlite3.connect(db.url.removeprefix("sqlite:///")) as conn:
            conn.execute("CREATE TABLE big (id INT PRIMARY KEY, pad VARCHAR(120))")
            conn.execute(
                f"INSERT INTO big WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                f"WHERE i < {ROWS * 3}) SELECT i, printf('%.100c', 'x') FROM n"
            )
        assert _cli(db.url, loc, "migrate", "--backup", str(tmp_path / "bk")).code == 0
        dump = _dump(tmp_path / "bk")
        db.query("DELETE FROM big WHERE id > 1000")
        db.query("INSERT INTO base VALUES (2, 'after the backup')")
        before = _state(db)
        journal = Path(db.url.removeprefix("sqlite:///") + "-journal")
        args = [*harness.FLYWAYX, "--url", db.url, "--locations", str(loc), "restore", "--force", str(dump)]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=harness.env())
        deadline = time.monotonic() + 60
        while not journal.exists():  # the copy's write transaction has begun
            assert proc.poll() is None, "the restore ended before the kill: raise FLYWAYX_RESTORE_KILL_ROWS"
            assert time.monotonic() < deadline
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.communicate()
        assert _state(db) == before  # SQLite rolls the hot journal back on the next open
        assert _cli(db.url, loc, "restore", "--force", str(dump)).code == 0
        assert _state(db)["big"] == [(ROWS * 3, ROWS * 3 * (ROWS * 3 + 1) // 2)]


def _running_with(arg: str) -> list[int]:
    """Processes whose command line holds ``arg``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and arg.encode() in (proc / "cmdline").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def test_mysql_targets_follow_the_url() -> None:
    from flywayx.db.restore_mysql import mysql_targets
    from flywayx.errors import UsageError

    assert mysql_targets(["app"], "copy") == {"app": "copy"}  # one database: wherever the URL says
    assert mysql_targets(["app"], None) == {"app": "app"}  # the manifest's name is the default
    assert mysql_targets(["a", "b"], None) == {"a": "a", "b": "b"}
    assert mysql_targets(["a", "b"], "b") == {"a": "a", "b": "b"}
    with pytest.raises(UsageError, match="holds 2 databases"):
        mysql_targets(["a", "b"], "elsewhere")


@pytest.mark.mariadb
def test_a_mariadb_dump_failing_half_way_leaves_the_database_intact(tmp_path: Path) -> None:
    import hashlib

    loc = _project(tmp_path)
    bk = tmp_path / "bk"
    with databases.scratch("mariadb", tmp_path) as db:
        assert _cli(db.url, loc, "migrate").code == 0
        db.query("CREATE TABLE zz_last (id INT)")
        assert _cli(db.url, loc, "migrate", "--backup", str(bk)).code == 0
        dump = _dump(bk)
        text = dump.read_text()
        cut = text.index("CREATE TABLE `zz_last`")
        dump.write_text(text[:cut] + "INSERT INTO no_such_table VALUES (1);\n" + text[cut:])
        manifest = dump.with_name(dump.name + ".manifest.json")
        data = json.loads(manifest.read_text())
        data["sha256"] = hashlib.sha256(dump.read_bytes()).hexdigest()
        manifest.write_text(json.dumps(data))
        db.query("INSERT INTO base VALUES (2, 'kept')")
        before = _state(db)
        failed = _cli(db.url, loc, "restore", "--force", str(dump))
        assert failed.code == 1 and "Traceback" not in failed.text
        assert failed.err.startswith("ERROR: ") and "no_such_table" in failed.err, failed.err
        assert _state(db) == before
        assert (
            db.query(
                f"SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '{db.schema}\\_\\_fx%'"
            )
            == []
        )


@pytest.mark.parametrize("family", ["mariadb", "postgresql"])
def test_a_restore_that_does_not_match_the_saved_fingerprint_changes_nothing(family: str, tmp_path: Path) -> None:
    """The check against the fingerprint saved with the backup comes before anything is replaced
    (PostgreSQL: inside the restore's transaction, before its COMMIT; MariaDB: on the scratch database,
    before the swap). Here the saved fingerprint names a column the dump does not have, as if the dump
    had lost it: refused with the difference named, and the database exactly as it was."""
    loc = _project(tmp_path)
    bk = tmp_path / "bk"
    with databases.scratch(family, tmp_path) as db:
        assert _cli(db.url, loc, "migrate").code == 0
        assert _cli(db.url, loc, "migrate", "--backup", str(bk)).code == 0
        dump = _dump(bk)
        saved = dump.with_name(dump.name + ".fingerprint.json")
        assert '"note"' in saved.read_text()
        saved.write_text(saved.read_text().replace('"note"', '"note_lost"'))
        db.query("INSERT INTO base VALUES (2, 'after the backup')")
        before = _state(db)
        refused = _cli(db.url, loc, "restore", "--force", str(dump))
        assert refused.code == 1 and "Traceback" not in refused.text, refused.text
        assert refused.err.startswith("ERROR: ") and "note_lost" in refused.err, refused.err
        assert "nothing was changed" in refused.err or "unchanged" in refused.err, refused.err
        assert _state(db) == before
