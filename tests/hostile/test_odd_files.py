"""A file named like a migration that cannot be read is an error naming it, never silently skipped.

Through the console script, on every database family: a dangling symbolic link, a directory, a FIFO
and (as an unprivileged user, since root reads anything) a file without read permission, each named
``V*``/``U*``/``R*``. Each must stop ``info`` and ``migrate`` with one ``ERROR:`` line naming the path
and a ``hint:``, and ``migrate`` must not apply anything (the release would ship without that one).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests import databases
from tests.databases import ScratchDb
from tests.e2e import harness


def _dangling(path: Path) -> None:
    path.symlink_to(path.parent / "gone.sql")


def _directory(path: Path) -> None:
    path.mkdir()
    (path / "inside.txt").write_text("not a migration\n")


def _fifo(path: Path) -> None:
    os.mkfifo(path)  # reading it would block forever: the scanner must not open it


ODD: dict[str, tuple[str, Callable[[Path], None], str]] = {
    "dangling symlink": ("V2__lost.sql", _dangling, "dangling symbolic link"),
    "directory": ("V2__dir.sql", _directory, "is a directory"),
    "fifo": ("R__pipe.sql", _fifo, "is a FIFO"),
    "undo directory": ("U1__undo.sql", _directory, "is a directory"),
    "python fifo": ("V3__code.py", _fifo, "is a FIFO"),
}


def _project(root: Path) -> Path:
    loc = root / "sql"
    loc.mkdir()
    (loc / "V1__base.sql").write_text("CREATE TABLE base (id INT PRIMARY KEY);\n")
    return loc


def _assert_refused(proc: harness.Proc, path: Path, reason: str) -> None:
    assert proc.code == 1, proc.text
    assert "Traceback" not in proc.text
    lines = proc.err.strip().splitlines()
    assert lines[0].startswith("ERROR: ") and str(path) in lines[0] and reason in lines[0], proc.err
    assert len(lines) == 2 and lines[1].startswith("hint: "), proc.err


def _tables(db: ScratchDb) -> list[str]:
    sql = {
        "mariadb": "SHOW TABLES",
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
        "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
    }[db.dialect]
    return [r[0] for r in db.query(sql)]


@pytest.mark.parametrize("case", sorted(ODD))
def test_odd_entry_named_like_a_migration_is_refused(case: str, tmp_path: Path) -> None:
    name, make, reason = ODD[case]
    loc = _project(tmp_path)
    make(loc / name)
    with databases.scratch("sqlite", tmp_path) as db:
        for command in ("info", "validate", "migrate"):
            _assert_refused(
                harness.run("--url", db.url, "--locations", str(loc), command, timeout=30), loc / name, reason
            )
        assert _tables(db) == []  # nothing applied, not even V1


@pytest.mark.parametrize("family", ["mariadb", "postgresql"])
def test_every_odd_entry_is_named_at_once_and_nothing_runs(family: str, tmp_path: Path) -> None:
    loc = _project(tmp_path)
    for name, make, _ in ODD.values():
        make(loc / name)
    with databases.scratch(family, tmp_path) as db:
        r = harness.run("--url", db.url, "--locations", str(loc), "migrate", timeout=30)
        first = r.err.strip().splitlines()[0]
        _assert_refused(r, loc / "V2__dir.sql", "is a directory")
        for name, _, reason in ODD.values():
            assert f"{loc / name} {reason if reason.startswith('is') else 'is a ' + reason}" in first, first
        assert _tables(db) == []


def test_odd_entries_not_named_like_migrations_are_ignored(tmp_path: Path) -> None:
    loc = _project(tmp_path)
    (loc / "notes").mkdir()  # an ordinary sub-directory is walked into
    (loc / "notes" / "V2__nested.sql").write_text("CREATE TABLE nested (id INT);\n")
    (loc / "README.md").symlink_to(tmp_path / "nowhere.md")
    os.mkfifo(loc / "pipe")
    with databases.scratch("sqlite", tmp_path) as db:
        r = harness.run("--url", db.url, "--locations", str(loc), "migrate", timeout=30)
        assert r.code == 0, r.text
        assert [row[4] for row in harness.snapshot(db)["history"]] == ["V1__base.sql", "notes/V2__nested.sql"]


@pytest.fixture
def world_dir() -> Iterator[Path]:
    """A directory an unprivileged user can enter (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="fx-odd-"))
    path.chmod(0o777)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to run flywayx as an unprivileged user",
)
def test_unreadable_migration_is_refused_for_the_user_that_cannot_read_it(world_dir: Path) -> None:
    loc = _project(world_dir)
    secret = loc / "V2__secret.sql"
    secret.write_text("CREATE TABLE secret (id INT);\n")
    secret.chmod(0o000)
    db = world_dir / "app.db"
    cmd = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        *harness.FLYWAYX,
        "--url",
        f"sqlite:///{db}",
        "--locations",
        str(loc),
        "migrate",
    ]
    p = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        cwd=world_dir,
        timeout=60,
        check=False,
        env={**harness.env(), "HOME": str(world_dir)},
    )
    _assert_refused(harness.Proc(p.returncode, p.stdout, p.stderr), secret, "not readable by this user")
    assert not db.exists() or "flyway_schema_history" not in db.read_bytes().decode("latin-1")
