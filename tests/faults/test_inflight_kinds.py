"""SIGKILL `flywayx migrate` right after the server finished a non-repeatable DDL statement, for every
kind of DDL; then `migrate --resume` must reach the uninterrupted run's schema, history and data.

The kill is exact, not timed: the run goes through ``tests/faults/proxy.py``, which lets the packet
carrying the DDL statement reach the server and holds the server's reply back. Once the reply has
arrived at the proxy (the server has completed the statement) the process is killed: the server has
the change, flywayx's progress record still says "in flight". The reverse case (the server aborts
the statement: the record says "in flight", the catalog shows the state before it) is made with a
metadata lock held by another session: the DDL waits for it, the kill makes the server abort it.
Each test is one chain on one database: kill, resume, kill at the next kind, …, then converge.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests import databases
from tests.databases import ScratchDb
from tests.e2e import harness
from tests.faults.proxy import Proxy, kill_once_replied

pytestmark = pytest.mark.mariadb

SETUP = """CREATE TABLE note (id INT NOT NULL);
CREATE TABLE parent (id INT PRIMARY KEY);
CREATE TABLE host (id INT NOT NULL, name VARCHAR(40), old_col INT, gone INT, pid INT);
INSERT INTO parent VALUES (1);
INSERT INTO host VALUES (1, 'h1', 5, 6, 1);
CREATE TABLE renamed_src (id INT);
CREATE TABLE swap_new (id INT);
CREATE TABLE drop_me (id INT);
CREATE VIEW drop_view AS SELECT 1 AS x;
CREATE PROCEDURE drop_proc() SELECT 1;
CREATE INDEX i_drop ON host (old_col);
"""
# every kind of non-repeatable DDL the issue names; each runs once, after an INSERT into note
KINDS = [
    "ALTER TABLE host RENAME COLUMN old_col TO new_col",
    "RENAME TABLE renamed_src TO renamed_dst",
    "ALTER TABLE host ADD COLUMN added INT NOT NULL DEFAULT 7",
    "ALTER TABLE host DROP COLUMN gone",
    "ALTER TABLE host ADD PRIMARY KEY (id)",
    "ALTER TABLE host ADD CONSTRAINT fk_host_parent FOREIGN KEY (pid) REFERENCES parent (id)",
    "ALTER TABLE host ADD CONSTRAINT ck_host_id CHECK (id > 0)",
    "CREATE INDEX i_host_name ON host (name)",
    "DROP INDEX i_drop ON host",
    "CREATE TABLE made (id INT)",
    "CREATE VIEW v_host AS SELECT id, name FROM host",
    "DROP VIEW drop_view",
    "CREATE PROCEDURE p_made() SELECT 1",
    "DROP PROCEDURE drop_proc",
    "CREATE FUNCTION f_made() RETURNS INT RETURN 1",
    "CREATE TRIGGER t_made BEFORE INSERT ON made FOR EACH ROW SET NEW.id = NEW.id",
    "CREATE EVENT e_made ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM made",
    "CREATE SEQUENCE s_made",
    "RENAME TABLE swap_new TO swap_old, renamed_dst TO swap_new",
    "DROP TABLE drop_me",
]


def project(tmp: Path) -> Path:
    loc = tmp / "sql"
    loc.mkdir()
    (loc / "V1__setup.sql").write_text(SETUP)
    body = "".join(f"INSERT INTO note VALUES ({i});\n{ddl};\n" for i, ddl in enumerate(KINDS, 1))
    (loc / "V2__kinds.sql").write_text(body + "INSERT INTO note VALUES (999);\n")
    return loc


def state(db: ScratchDb) -> dict[str, Any]:
    snap = harness.snapshot(db)
    return {
        "fingerprint": snap["fingerprint"],
        "history": snap["history"],
        "note": db.query("SELECT id FROM note ORDER BY id"),
        "host": db.query("SELECT * FROM host") if db.query("SHOW TABLES LIKE 'host'") else None,
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("kinds")
    loc = project(tmp)
    return loc, harness.migrated("mariadb", tmp, loc, state)


def recover(db: ScratchDb, loc: Path, want: dict[str, Any], statement: int) -> None:
    """What docs/operations.md tells the operator: migrate refuses, naming the statement in flight;
    --resume settles it from the catalog and finishes."""
    first = harness.run("--url", db.url, "--locations", str(loc), "migrate")
    assert first.code == 1 and f"statement {statement} was running" in first.err, first.err
    assert "--resume" in first.err and "Traceback" not in first.text
    resumed = harness.run("--url", db.url, "--locations", str(loc), "migrate", "--resume")
    assert resumed.code == 0, resumed.err
    assert state(db) == want


def until_finished(db: ScratchDb, statement: str, timeout: float = 120) -> None:
    """Wait until the server has finished everything sent to ``db`` (no session of it in a query:
    the held-back run sends nothing more), ``statement`` included.

    The first held reply is not enough: the in-flight record and the DDL travel in one packet, and
    the record's OK comes back while the DDL still runs (for seconds, under load); a kill then would
    let the server abort the DDL when it notices the client gone, the opposite of this case."""
    deadline = time.monotonic() + timeout
    while db.query(
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID()"
        f" AND DB = '{db.schema}' AND COMMAND = 'Query'"
    )[0][0]:
        assert time.monotonic() < deadline, f"the server is still running {statement}"
        time.sleep(0.02)


def _kill_after_reply(db: ScratchDb, loc: Path, ddl: str, resume: bool) -> None:
    """Run migrate through the proxy; SIGKILL it once the server has completed ``ddl`` (its reply is
    held back, so flywayx never learns it)."""
    with Proxy(db.host, db.port) as proxy:
        proxy.hold_replies_after(ddl.encode())
        kill_once_replied(proxy, db.url, loc, *(["--resume"] if resume else []), then=lambda: until_finished(db, ddl))
    # the server has the change, and the DML before it (committed with the in-flight record)
    assert db.query("SELECT COUNT(*) FROM note")[0][0] == KINDS.index(ddl) + 1, ddl


ON_HOST = [k for k in KINDS if k.startswith(("ALTER TABLE host", "CREATE INDEX", "DROP INDEX"))]


def test_kill_right_after_the_server_completed_each_kind(
    reference: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """One database, one kill per kind: each resumed run settles the statement the last kill left in
    flight (the server had completed it), goes on, and is killed right after the next kind. (The
    ALTERs of `host` are the next test's.)"""
    loc, want = reference
    with databases.scratch("mariadb", tmp_path) as db:
        for k, ddl in enumerate(k for k in KINDS if k not in ON_HOST):
            _kill_after_reply(db, loc, ddl, resume=k > 0)
        recover(db, loc, want, 2 * len(KINDS))


def test_kill_while_each_kind_waits_and_the_server_aborts_it(
    reference: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """One database; before each run another session holds a metadata lock on `host`, the next DDL
    on it waits, the run is killed there and the server aborts the statement: the record says "in
    flight", the catalog shows the state before it, so --resume runs it again. That resumed run is
    killed right after the server completed it: now the catalog shows the state after it, and the
    next --resume goes on to the next ALTER of `host`. Each statement: both answers, for real."""
    loc, want = reference
    waited: list[str] = []
    with databases.scratch("mariadb", tmp_path) as db:
        assert harness.run("--url", db.url, "--locations", str(loc), "migrate", "--target", "1").code == 0
        for _ in range(len(KINDS)):
            blocker = db.connect()
            try:
                cur = blocker.cursor()
                cur.execute("BEGIN")
                cur.execute("SELECT COUNT(*) FROM host")  # a metadata lock on host until COMMIT
                ddl = _kill_while_waiting(db, loc, resume=bool(waited))
                cur.execute("COMMIT")
            finally:
                blocker.close()
            if ddl is None:
                break
            waited.append(ddl)
            assert db.query("SELECT COUNT(*) FROM note")[0][0] == KINDS.index(ddl) + 1
            _kill_after_reply(db, loc, ddl, resume=True)
        assert waited == ON_HOST  # every ALTER/INDEX statement on host was caught waiting, in order
        assert state(db) == want


def _kill_while_waiting(db: ScratchDb, loc: Path, resume: bool) -> str | None:
    """Run migrate; SIGKILL it while one of its DDL statements waits for the metadata lock (the server
    then aborts it) and return that statement; None when the run finished without waiting."""
    args = [*harness.FLYWAYX, "--url", db.url, "--locations", str(loc), "migrate", *(["--resume"] if resume else [])]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=harness.env())
    waiting = None
    try:
        deadline = time.monotonic() + 60
        while waiting is None and proc.poll() is None:
            assert time.monotonic() < deadline, "migrate neither finished nor waited"
            rows = db.query(
                "SELECT INFO FROM information_schema.PROCESSLIST WHERE STATE LIKE 'Waiting for table"
                f" metadata lock' AND DB = '{db.schema}'"
            )
            waiting = next((k for k in KINDS for (info,) in rows if k in str(info)), None)
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate()
    if waiting is None:
        assert proc.returncode == 0, err
        return None
    deadline = time.monotonic() + 30  # the server notices the client is gone and aborts the statement
    while db.query(
        f"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = '{db.schema}'"
        " AND STATE LIKE 'Waiting for table metadata lock'"
    )[0][0]:
        assert time.monotonic() < deadline, "the server never aborted the waiting statement"
        time.sleep(0.02)
    return waiting
