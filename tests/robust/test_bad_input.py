"""Bad input never hurts: one clear `ERROR:` line, non-zero exit, no traceback, database unchanged.

Cases Flyway itself accepts are not here (a file with an invalid name is skipped unless
validateMigrationNaming; an unterminated block comment runs to the end of the file; a missing
location is skipped). Each case runs the real console script against a fresh SQLite database (plus a few on MariaDB)
that already holds one applied migration; afterwards the schema and history must be as before.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import databases
from tests.e2e import harness

Setup = Callable[[Path, Path], list[str]]  # (project dir, location) -> extra CLI arguments


def _write(loc: Path, name: str, data: str | bytes) -> None:
    path = loc / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


def _sql(name: str, data: str | bytes) -> Setup:
    def setup(_root: Path, loc: Path) -> list[str]:
        _write(loc, name, data)
        return []

    return setup


def _args(*extra: str) -> Setup:
    return lambda _root, _loc: list(extra)


def _both(first: Setup, second: Setup) -> Setup:
    return lambda root, loc: first(root, loc) + second(root, loc)


def _config(text: str) -> Setup:
    def setup(root: Path, _loc: Path) -> list[str]:
        (root / "bad.toml").write_text(text)
        return ["--config-files", str(root / "bad.toml")]

    return setup


def _unreadable(_root: Path, loc: Path) -> list[str]:
    sub = loc / "locked"
    sub.mkdir()
    _write(sub, "V5__x.sql", "CREATE TABLE x (id INT);")
    sub.chmod(0)
    return []


def _symlink_loop(_root: Path, loc: Path) -> list[str]:
    (loc / "loop").symlink_to(loc, target_is_directory=True)
    _write(loc, "V2__t.sql", "CREATE TABLE t (id INT);\nINSERT INTO t VALUES ('unterminated);\n")
    return []


CASES: dict[str, Setup] = {
    "malformed version (naming validated)": _both(
        _sql("V1.x__bad.sql", "SELECT 1;"), _args("-validateMigrationNaming=true")
    ),
    "duplicate version": _sql("V1__again.sql", "SELECT 1;"),
    "unterminated string": _sql("V2__str.sql", "CREATE TABLE t (id INT);\nINSERT INTO t VALUES ('oops);\n"),
    "bad DELIMITER": _sql("V2__delim.sql", "DELIMITER\nCREATE TABLE t (id INT);\n"),
    "binary file": _sql("V2__bin.sql", bytes(range(256)) * 64),
    "invalid UTF-8": _sql("V2__enc.sql", b"CREATE TABLE t (v VARCHAR(3) DEFAULT '\xff\xfe');\n"),
    "huge file with a syntax error": _sql("V2__huge.sql", "INSERT INTO nowhere VALUES (1);\n" * 200_000),
    "missing placeholder": _sql("V2__ph.sql", "CREATE TABLE ${nope} (id INT);\n"),
    "unreadable directory": _unreadable,
    "symlink loop": _symlink_loop,
    "unknown URL scheme": _args("--url", "oracle://scott@db/orcl"),
    "garbage URL": _args("--url", "::::"),
    "negative lock timeout": _args("--lock-timeout", "-5x"),
    "unknown config key": _config("[flyway]\nnoSuchKey = 1\n"),
    "broken TOML": _config("[flyway\nlocations = \n"),
    "missing config file": _args("--config-files", "/nonexistent/flyway.toml"),
}


def _state(path: Path) -> tuple[object, ...]:
    with sqlite3.connect(path) as c:
        schema = c.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        history = c.execute(
            "SELECT installed_rank, version, script, checksum, success FROM flyway_schema_history"
            " ORDER BY installed_rank"
        ).fetchall()
    return tuple(schema), tuple(history)


@pytest.fixture
def applied(tmp_path: Path) -> tuple[Path, Path]:
    loc = tmp_path / "sql"
    loc.mkdir()
    _write(loc, "V1__base.sql", "CREATE TABLE base (id INT);\n")
    db = tmp_path / "app.db"
    assert harness.run("--url", f"sqlite:///{db}", "--locations", str(loc), "migrate").code == 0
    return db, loc


def _assert_one_clean_error(r: harness.Proc) -> None:
    assert r.code != 0, r.text
    assert "Traceback" not in r.text
    errors = [ln for ln in r.err.splitlines() if ln.startswith("ERROR:") or ln.startswith("Error:")]
    assert len(errors) == 1, r.err


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_gives_one_error_and_changes_nothing(case: str, applied: tuple[Path, Path], tmp_path: Path) -> None:
    if case == "unreadable directory" and os.geteuid() == 0:
        pytest.skip("root reads any directory")
    db, loc = applied
    before = _state(db)
    extra = CASES[case](tmp_path, loc)
    r = harness.run("--url", f"sqlite:///{db}", "--locations", str(loc), *extra, "migrate", cwd=tmp_path)
    try:
        _assert_one_clean_error(r)
        assert _state(db) == before
    finally:
        for p in loc.rglob("*"):
            if p.is_dir() and not p.is_symlink():
                p.chmod(0o755)


@pytest.mark.mariadb
def test_wrong_password_on_mariadb(tmp_path: Path) -> None:
    loc = tmp_path / "sql"
    loc.mkdir()
    _write(loc, "V1__a.sql", "CREATE TABLE a (id INT);")
    host, port = databases.server_address("mariadb")
    r = harness.run("--url", f"mysql://nobody_fx:S3cretWrong@{host}:{port}/nodb", "--locations", str(loc), "migrate")
    _assert_one_clean_error(r)
    assert "S3cretWrong" not in r.text


@pytest.mark.mariadb
def test_connection_killed_mid_migration(tmp_path: Path) -> None:
    """KILL the session from another connection while a long statement runs: one clean error,
    and the history holds only what really happened (V1 applied, no V2 row claiming success)."""
    import subprocess
    import time

    loc = tmp_path / "sql"
    loc.mkdir()
    _write(loc, "V1__a.sql", "CREATE TABLE a (id INT);\n")
    _write(loc, "V2__slow.sql", "CREATE TABLE b (id INT);\nSELECT SLEEP(5) AS fx_victim;\nCREATE TABLE c (id INT);\n")
    with databases.scratch("mariadb", tmp_path) as db:
        args = [*harness.FLYWAYX, "--url", db.url, "--locations", str(loc), "migrate"]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=harness.env())
        victim: list[tuple[object, ...]] = []
        for _ in range(300):
            victim = db.query(
                f"SELECT ID FROM information_schema.PROCESSLIST WHERE DB = '{db.schema}' "
                "AND INFO LIKE '%SLEEP(5) AS fx_victim%' AND INFO NOT LIKE '%PROCESSLIST%'"
            )
            if victim:
                break
            time.sleep(0.02)
        assert victim, "the long statement never started"
        db.query(f"KILL {victim[0][0]}")
        out, err = proc.communicate(timeout=60)
        r = harness.Proc(proc.returncode, out, err)
        _assert_one_clean_error(r)
        history = harness.snapshot(db)["history"]
        assert [(h[1], h[6]) for h in history if h[1] == "1"] == [("1", 1)]
        assert not any(h[1] == "2" and h[6] for h in history)
        assert db.query(f"SHOW TABLES FROM `{db.schema}` LIKE 'c'") == []
        # the failure row needs the killed connection: when it could not be written the error says so
        recorded = any(h[1] == "2" for h in history)
        assert ("warning: the failure of V2__slow.sql could not be recorded" in r.err) != recorded, r.err
