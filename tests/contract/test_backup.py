"""Backups with the real clients, their checks, restore, password hygiene and missing clients.

Round trips: build a schema with data, back it up, damage it by hand, restore, and require the
fingerprint (and the rows) to be the original ones. Fake clients placed first on PATH stand in for
a client that stops early or leaks the password in its error output.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pymysql
import pytest
from test_fingerprint import MARIADB_DDL, POSTGRES_DDL, SQLITE_DDL, run_all

from flywayx.db import backup as backup_module
from flywayx.db.backup import BackupFailed, BackupInfo, backup, restore
from flywayx.db.fingerprint import fingerprint
from flywayx.errors import ConnectionFailed, FlywayxError, ToolMissing
from flywayx.model.config import DatabaseUrl
from flywayx.model.fingerprint import diff


def maria_url(db: Any, user: str | None = None) -> DatabaseUrl:
    return DatabaseUrl("mariadb", db.host, db.port, db.name, user or db.user,
                       original=f"mysql://{user or db.user}@{db.host}:{db.port}/{db.name}")


def pg_url(db: Any) -> DatabaseUrl:
    return DatabaseUrl("postgresql", db.host, db.port, db.name, db.user, db.password or None)


def rows(conn: Any, sql: str) -> list[tuple[Any, ...]]:
    with closing(conn.cursor()) as cur:
        cur.execute(sql)
        return [tuple(r) for r in cur.fetchall()]


def assert_manifest(info: BackupInfo, schemas: tuple[str, ...], digest: str) -> None:
    """The manifest on disk describes the dump file beside it."""
    data = json.loads(info.manifest_path.read_text())
    assert data["path"] == info.path.name
    assert data["size"] == info.path.stat().st_size > 0
    assert data["sha256"] == hashlib.sha256(info.path.read_bytes()).hexdigest()
    assert tuple(data["schemas"]) == schemas
    assert data["fingerprint_digest"] == digest
    assert data["tool_version"] and data["server_version"]
    assert data["started"] <= data["finished"]
    assert BackupInfo.load(info.path) == info


# ---------------------------------------------------------------- round trips


@pytest.mark.mariadb
def test_mariadb_backup_damage_restore_gives_back_the_schema_and_rows(mariadb: Any, tmp_path: Path) -> None:
    with closing(mariadb.connect()) as conn:
        run_all(conn, [*MARIADB_DDL, "INSERT INTO account (name) VALUES ('a'), ('b')",
                       "INSERT INTO vm_instance (account_id, foo) VALUES (2, 'x')"])
        original = fingerprint(conn, "mariadb", [mariadb.name])
        info = backup(maria_url(mariadb), None, [mariadb.name], tmp_path)
        assert info.tool in ("mariadb-dump", "mysqldump")
        assert info.path.read_text().rstrip().splitlines()[-1].startswith("-- Dump completed")
        assert_manifest(info, (mariadb.name,), original.digest)
        run_all(conn, ["DROP TRIGGER trg_vm", "ALTER TABLE vm_instance MODIFY foo VARCHAR(40)",
                       "DROP PROCEDURE p_count", "DELETE FROM account WHERE name = 'a'"])
        assert diff(original, fingerprint(conn, "mariadb", [mariadb.name])) != []
    restore(info.path, maria_url(mariadb), None)
    with closing(mariadb.connect()) as conn:
        assert diff(original, fingerprint(conn, "mariadb", [mariadb.name])) == []
        assert rows(conn, "SELECT name FROM account ORDER BY id") == [("a",), ("b",)]
        assert rows(conn, "SELECT account_id, foo FROM vm_instance") == [(2, "x")]


@pytest.mark.postgres
def test_postgres_backup_damage_restore_gives_back_the_schema_and_rows(postgres: Any, tmp_path: Path) -> None:
    with closing(postgres.connect()) as conn:
        run_all(conn, [*POSTGRES_DDL, "CREATE SCHEMA audit", "CREATE TABLE audit.log (id int PRIMARY KEY)",
                       "INSERT INTO account (name) VALUES ('a'), ('b')",
                       "INSERT INTO vm_instance (account_id, foo) VALUES (2, 'x')"])
        original = fingerprint(conn, "postgresql", ["audit", "public"])
        info = backup(pg_url(postgres), None, [], tmp_path)  # no schemas named: every user schema
        assert info.tool == "pg_dump"
        assert_manifest(info, ("audit", "public"), original.digest)
        listing = subprocess.run(["pg_restore", "--list", str(info.path)], capture_output=True, text=True)
        assert listing.returncode == 0 and "TABLE public account" in listing.stdout
        run_all(conn, ["DROP TABLE vm_instance CASCADE", "ALTER TABLE account DROP CONSTRAINT chk_state",
                       "CREATE TABLE audit.extra (x int)", "DELETE FROM account"])
    restore(info.path, pg_url(postgres), None)
    with closing(postgres.connect()) as conn:
        assert diff(original, fingerprint(conn, "postgresql", ["audit", "public"])) == []
        assert rows(conn, "SELECT name FROM account ORDER BY id") == [("a",), ("b",)]
        assert rows(conn, "SELECT account_id, foo FROM vm_instance") == [(2, "x")]


def test_sqlite_backup_damage_restore_gives_back_the_schema_and_rows(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    url = DatabaseUrl("sqlite", database=str(path))
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.executescript(SQLITE_DDL + "INSERT INTO account (name) VALUES ('a'), ('b');")
        original = fingerprint(conn, "sqlite", [])
    info = backup(url, None, [], tmp_path / "backups")
    assert_manifest(info, ("main",), original.digest)
    with closing(sqlite3.connect(info.path)) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.executescript("DROP VIEW v_vm; DROP TABLE vm_instance; DELETE FROM account;")
    restore(info.path, url, None)
    with closing(sqlite3.connect(path)) as conn:
        assert diff(original, fingerprint(conn, "sqlite", [])) == []
        assert conn.execute("SELECT name FROM account ORDER BY id").fetchall() == [("a",), ("b",)]


def test_restore_refuses_a_dump_changed_after_the_backup(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE t (a INT)")
    url = DatabaseUrl("sqlite", database=str(path))
    info = backup(url, None, [], tmp_path / "b")
    with info.path.open("ab") as fh:
        fh.write(b"x")
    with pytest.raises(BackupFailed, match="does not match its manifest"):
        restore(info.path, url, None)
    info.manifest_path.unlink()
    with pytest.raises(BackupFailed, match="manifest"):
        restore(info.path, url, None)


# ---------------------------------------------------------------- completion checks (fake clients)


def fake_client(bin_dir: Path, name: str, script: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)


@pytest.mark.mariadb
def test_a_mariadb_dump_without_its_trailer_is_rejected_and_removed(mariadb: Any, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    fake_client(tmp_path / "bin", "mariadb-dump", "echo '-- MariaDB dump'\necho 'CREATE TABLE t (a int);'\n")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(BackupFailed, match="Dump completed") as err:
        backup(maria_url(mariadb), None, [mariadb.name], tmp_path / "out")
    assert err.value.hint
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.postgres
def test_a_pg_dump_that_pg_restore_cannot_read_is_rejected(postgres: Any, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    script = 'for a in "$@"; do case "$a" in --file=*) f="${a#--file=}";; esac; done\necho garbage > "$f"\n'
    fake_client(tmp_path / "bin", "pg_dump", script)
    (tmp_path / "bin" / "pg_restore").symlink_to(shutil.which("pg_restore") or "/usr/bin/pg_restore")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(BackupFailed, match="pg_restore failed"):
        backup(pg_url(postgres), None, ["public"], tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


# ---------------------------------------------------------------- passwords


@pytest.fixture
def maria_user(mariadb: Any) -> Iterator[tuple[str, str]]:
    """A MariaDB user with a random password (quotes, backslash and $ included) owning the scratch db."""
    user = "fxu_" + secrets.token_hex(4)
    password = secrets.token_urlsafe(12) + 'q"b\\c$d\'e'
    hosts = ("%", "localhost", "127.0.0.1")
    with closing(mariadb.connect()) as conn, closing(conn.cursor()) as cur:
        for host in hosts:
            cur.execute("CREATE USER %s@%s IDENTIFIED BY %s", (user, host, password))
            cur.execute(f"GRANT ALL ON `{mariadb.name}`.* TO %s@%s", (user, host))
    try:
        yield user, password
    finally:
        with closing(mariadb.connect()) as conn, closing(conn.cursor()) as cur:
            for host in hosts:
                cur.execute("DROP USER IF EXISTS %s@%s", (user, host))


@pytest.mark.mariadb
def test_a_password_protected_user_never_shows_its_password(mariadb: Any, maria_user: tuple[str, str],
                                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capfd: pytest.CaptureFixture[str]) -> None:
    user, password = maria_user
    seen: list[tuple[list[str], dict[str, str]]] = []
    real_run = subprocess.run

    def spy(cmd: list[str], **kw: Any) -> Any:
        seen.append((list(cmd), dict(kw.get("env") or {})))
        return real_run(cmd, **kw)

    monkeypatch.setattr(backup_module.subprocess, "run", spy)
    url = maria_url(mariadb, user)
    with closing(pymysql.connect(host=mariadb.host, port=mariadb.port, user=user, password=password,
                                 database=mariadb.name, autocommit=True)) as conn:
        run_all(conn, MARIADB_DDL)  # as the user, so that it owns (and may dump) the routines
    info = backup(url, password, [mariadb.name], tmp_path)  # succeeds: the client got the password
    restore(info.path, url, password)
    errors: list[FlywayxError] = []
    for bad in (lambda: backup(url, password, ["no_such_db_" + user], tmp_path),  # client error
                lambda: backup(url, password + "x", [mariadb.name], tmp_path)):  # wrong password
        with pytest.raises((BackupFailed, ConnectionFailed)) as err:
            bad()
        errors.append(err.value)
    assert seen and all(password not in arg for cmd, _ in seen for arg in cmd)
    assert all(password not in v for _, env in seen for v in env.values())  # option file, not env
    texts = [info.manifest_path.read_text(), info.to_json(), repr(info), capfd.readouterr().out]
    texts += [f"{e} {e.hint} {e.details!r} {e!r}" for e in errors]
    assert "Unknown database" in str(errors[0]) or "denied" in str(errors[0])
    assert all(password not in t for t in texts)


@pytest.mark.mariadb
def test_a_client_that_prints_the_password_is_redacted(mariadb: Any, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # A client that echoes its option file (where the password is) into its error output.
    script = ('for a in "$@"; do case "$a" in --defaults-extra-file=*) /bin/cat "${a#*=}" >&2;; esac; done\n'
              "exit 2\n")
    fake_client(tmp_path / "bin", "mariadb-dump", script)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    password = "s3cret-" + secrets.token_hex(6)
    leak = "fxl_" + secrets.token_hex(4)
    url = maria_url(mariadb)
    with closing(mariadb.connect()) as conn, closing(conn.cursor()) as cur:
        cur.execute(f"CREATE USER '{leak}'@'%' IDENTIFIED BY '{password}'")
    try:
        user_url = DatabaseUrl("mariadb", url.host, url.port, url.database, leak)
        with pytest.raises(BackupFailed, match="exit 2") as err:
            backup(user_url, password, [mariadb.name], tmp_path / "out")
    finally:
        with closing(mariadb.connect()) as conn, closing(conn.cursor()) as cur:
            cur.execute(f"DROP USER IF EXISTS '{leak}'@'%'")
    shown = f"{err.value} {err.value.details!r}"
    assert "password=" in shown and "***" in shown and password not in shown


# ---------------------------------------------------------------- missing clients


@pytest.mark.parametrize(("dialect", "package"), [("mariadb", "mariadb-client"), ("mysql", "mariadb-client"),
                                                  ("postgresql", "postgresql-client")])
def test_missing_clients_are_named_with_an_install_hint(dialect: str, package: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    url = DatabaseUrl(dialect, "127.0.0.1", 1, "db", "u")  # never reached: the client check comes first
    for call in (lambda: backup(url, "pw", ["db"], tmp_path / "out"),
                 lambda: restore(tmp_path / "none.sql", url, "pw")):
        with pytest.raises(ToolMissing) as err:
            call()
        assert f"apt-get install {package}" in (err.value.hint or "")
        assert "not found on PATH" in str(err.value)
    assert not (tmp_path / "out").exists()
