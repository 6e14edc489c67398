"""MariaDB restore killed during its swap, at each point of it, for real (SIGKILL from the test hook
``FLYWAYX_TEST_KILL_AT``, placed in ``db/restore_mysql.py``): neither copy is ever lost, and running
``restore`` again finishes the swap (killed after its RENAME) or rolls it back (killed before).

The database has what a swap must carry besides tables: a view, a trigger, a procedure, an event,
a database character set; the live database differs from the backup in each of them.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flywayx.config.urls import parse_url
from flywayx.db.restore_mysql import KILL_AT, interrupted_mysql
from tests import databases
from tests.databases import ScratchDb
from tests.e2e import harness

pytestmark = pytest.mark.mariadb

BEFORE_RENAME = ["restore-journal-written", "restore-triggers-dropped"]
AFTER_RENAME = ["restore-swapped", "restore-finishing"]

BACKED_UP = """CREATE TABLE base (id INT PRIMARY KEY, note VARCHAR(40));
INSERT INTO base VALUES (1, 'one');
CREATE TABLE audit (id INT);
CREATE VIEW v_base AS SELECT id FROM base;
CREATE TRIGGER t_base AFTER INSERT ON base FOR EACH ROW INSERT INTO audit VALUES (NEW.id);
CREATE PROCEDURE p_base() SELECT 'backup';
CREATE EVENT e_base ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM audit;
"""
CHANGED = """INSERT INTO base VALUES (2, 'after the backup');
CREATE TABLE extra (id INT);
DROP VIEW v_base;
CREATE VIEW v_base AS SELECT id, note FROM base;
CREATE VIEW v_extra AS SELECT id FROM extra;
DROP TRIGGER t_base;
CREATE TRIGGER t_base AFTER INSERT ON base FOR EACH ROW INSERT INTO audit VALUES (NEW.id * 10);
DROP PROCEDURE p_base;
CREATE PROCEDURE p_base() SELECT 'live';
CREATE FUNCTION f_live() RETURNS INT DETERMINISTIC RETURN 7;
ALTER DATABASE CHARACTER SET latin1 COLLATE latin1_swedish_ci;
"""


def _state(db: ScratchDb, name: str | None = None) -> dict[str, Any]:
    """What an operator would compare: the fingerprint, rows, and each object's definition."""
    schema = name or db.schema
    conn = db.connect()
    try:
        from flywayx.db.fingerprint import fingerprint

        fp = fingerprint(conn, "mysql", [schema]).renamed({schema: "target"}).to_json()
        cur = conn.cursor()
        out: dict[str, Any] = {"fingerprint": fp}
        for sql in (
            f"SELECT id, note FROM `{schema}`.base ORDER BY id",
            "SELECT TRIGGER_NAME, ACTION_STATEMENT FROM information_schema.TRIGGERS"
            f" WHERE TRIGGER_SCHEMA = '{schema}' ORDER BY 1",
            "SELECT ROUTINE_NAME, ROUTINE_DEFINITION FROM information_schema.ROUTINES"
            f" WHERE ROUTINE_SCHEMA = '{schema}' ORDER BY 1",
            f"SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = '{schema}' ORDER BY 1",
            "SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS"
            f" WHERE TABLE_SCHEMA = '{schema}' ORDER BY 1",
            f"SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{schema}'",
        ):
            cur.execute(sql)
            out[sql.split()[1]] = [tuple(r) for r in cur.fetchall()]
        return out
    finally:
        conn.close()


def _side_databases(db: ScratchDb) -> list[str]:
    return [
        r[0]
        for r in db.query(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE "
            f"'{db.schema}\\_\\_fx%' ORDER BY 1"
        )
    ]


@pytest.fixture
def prepared(tmp_path: Path) -> Iterator[tuple[ScratchDb, Path, dict[str, Any], dict[str, Any]]]:
    """A database, its backup, the backup's state and the (different) live state."""
    loc = tmp_path / "sql"
    loc.mkdir()
    (loc / "V1__base.sql").write_text(BACKED_UP)
    with databases.scratch("mariadb", tmp_path) as db:
        try:
            assert harness.run("--url", db.url, "--locations", str(loc), "migrate").code == 0
            backed_up = _state(db)
            bk = tmp_path / "bk"
            assert harness.run("--url", db.url, "--locations", str(loc), "migrate", "--backup", str(bk)).code == 0
            dump = next(p for p in bk.iterdir() if not p.name.endswith(".json"))
            conn = db.connect()
            try:
                for statement in CHANGED.strip().split(";\n"):
                    conn.cursor().execute(statement.rstrip(";"))
            finally:
                conn.close()
            live = _state(db)
            assert live != backed_up
            yield db, dump, backed_up, live
        finally:
            for name in _side_databases(db):
                db.query(f"DROP DATABASE `{name}`")


def _killed_restore(db: ScratchDb, dump: Path, point: str) -> None:
    p = subprocess.run(
        [*harness.FLYWAYX, "--url", db.url, "restore", "--force", str(dump)],
        capture_output=True,
        text=True,
        env={**harness.env(), KILL_AT: point},
        timeout=120,
        check=False,
    )
    assert p.returncode == -signal.SIGKILL, (p.returncode, p.stdout, p.stderr)


@pytest.mark.parametrize("point", AFTER_RENAME)
def test_killed_after_the_rename_a_second_restore_finishes_the_swap(point: str, prepared: Any) -> None:
    db, dump, backed_up, _live = prepared
    _killed_restore(db, dump, point)
    previous = f"{db.schema}__fx_previous"
    assert previous in _side_databases(db)  # the old copy is kept until the swap is done ...
    assert db.query(f"SELECT id, note FROM `{previous}`.base ORDER BY id") == [(1, "one"), (2, "after the backup")]
    assert db.query(f"SELECT COUNT(*) FROM `{previous}`.extra") == [(0,)]
    assert db.query("SELECT id, note FROM base ORDER BY id") == [(1, "one")]  # ... and the backup's is in place
    dry = harness.run("--url", db.url, "restore", "--dry-run", str(dump))
    assert dry.code == 0 and "killed after its swap: restore would finish it" in dry.out, dry.text
    assert previous in _side_databases(db)
    again = harness.run("--url", db.url, "restore", str(dump))  # the same backup: finishing it is the restore
    assert again.code == 0, again.text
    assert "killed after its swap: finished it from its journal" in again.out, again.out
    assert _state(db) == backed_up
    assert _side_databases(db) == []
    assert harness.run("--url", db.url, "verify").code == 0


@pytest.mark.parametrize("point", BEFORE_RENAME)
def test_killed_before_the_rename_the_swap_rolls_back_then_a_second_restore_restores(point: str, prepared: Any) -> None:
    db, dump, backed_up, live = prepared
    _killed_restore(db, dump, point)
    assert db.query("SELECT id, note FROM base ORDER BY id") == [(1, "one"), (2, "after the backup")]
    dry = harness.run("--url", db.url, "restore", "--dry-run", "--force", str(dump))
    assert dry.code == 0 and "killed before its swap: restore would roll it back" in dry.out, dry.text
    found = interrupted_mysql(parse_url(db.url), None, [db.schema])  # what `restore` does first, alone
    assert [(f.target, f.swapped) for f in found] == [(db.schema, False)]
    assert _state(db) == live  # the old database, trigger included, exactly as it was
    assert _side_databases(db) == []
    _killed_restore(db, dump, point)  # again, and this time the next restore rolls back and restores
    again = harness.run("--url", db.url, "--output-type", "json", "restore", "--force", str(dump))
    assert again.code == 0, again.text
    assert [r.split(":")[0] for r in json.loads(again.out)["recovered"]] == [
        f"a restore into {db.schema} was killed before its swap"
    ]
    assert _state(db) == backed_up
    assert _side_databases(db) == []


def test_a_previous_database_without_journal_is_still_refused(prepared: Any) -> None:
    """A ``__fx_previous`` holding tables but no journal (an older flywayx's kill) is left to an operator."""
    db, dump, _backed_up, live = prepared
    db.query(f"CREATE DATABASE `{db.schema}__fx_previous`")
    db.query(f"CREATE TABLE `{db.schema}__fx_previous`.base (id INT)")
    r = harness.run("--url", db.url, "restore", "--force", str(dump))
    assert r.code == 1 and "no journal says how far it got" in r.err and "hint: " in r.err, r.text
    assert _state(db) == live
