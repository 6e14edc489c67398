"""SIGKILL `flywayx migrate` while MariaDB executes a slow DDL statement (issue 6).

The server finishes (or, when told to, aborts) the statement after the client is gone, so the
progress record cannot know its outcome from the client side. `migrate` must refuse and point at
`--resume`; `migrate --resume` must decide what the server did (catalog for CREATE INDEX, a re-run
answered "duplicate column" for ALTER ... ADD COLUMN), then reach exactly the state of an
uninterrupted run: same schema, same history, every DML statement applied once.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests import databases
from tests.databases import ScratchDb
from tests.e2e import harness

pytestmark = pytest.mark.mariadb

ALTER = "ALTER TABLE big ADD COLUMN flag INT NOT NULL DEFAULT 0, ALGORITHM=COPY"
INDEX = "CREATE INDEX i_big_v ON big (v) ALGORITHM=COPY"


def _project(tmp: Path) -> Path:
    loc = tmp / "sql"
    loc.mkdir()
    (loc / "V1__big.sql").write_text(
        "CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(40) NOT NULL);\n"
        "INSERT INTO big SELECT seq, CONCAT('row-', seq) FROM seq_1_to_200000;\n"
        "CREATE TABLE note (id INT NOT NULL);\n"
    )
    (loc / "V2__slow_ddl.sql").write_text(
        "INSERT INTO note VALUES (1);\n"
        f"{ALTER};\n"
        "INSERT INTO note VALUES (2);\n"
        f"{INDEX};\n"
        "INSERT INTO note VALUES (3);\n"
        "CREATE TABLE after_ddl (id INT);\n"
    )
    return loc


def _server_thread(db: ScratchDb, prefix: str) -> int | None:
    rows = db.query(
        f"SELECT ID FROM information_schema.PROCESSLIST WHERE DB = '{db.schema}'"
        f" AND INFO LIKE '{prefix.split(' (')[0]}%'"
    )
    return int(rows[0][0]) if rows else None


def _kill_during(db: ScratchDb, loc: Path, prefix: str) -> int:
    """Start migrate, SIGKILL it once the server runs ``prefix``; return that server thread's id."""
    args = [*harness.FLYWAYX, "--url", db.url, "--locations", str(loc), "migrate"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=harness.env())
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, "migrate ended before the slow DDL started"
            thread = _server_thread(db, prefix)
            if thread is not None:
                return thread
            time.sleep(0.005)
        raise AssertionError(f"{prefix} never ran")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()


def _wait_gone(db: ScratchDb, thread: int) -> None:
    deadline = time.monotonic() + 60
    while db.query(f"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = {thread}")[0][0]:
        assert time.monotonic() < deadline, "the server never finished the DDL statement"
        time.sleep(0.02)


def _state(db: ScratchDb) -> dict[str, object]:
    snap = harness.snapshot(db)
    return {
        "fingerprint": snap["fingerprint"],
        "history": snap["history"],
        "note": db.query("SELECT id FROM note ORDER BY id"),
        "big": db.query("SELECT COUNT(*) FROM big"),
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    tmp = tmp_path_factory.mktemp("inflight")
    loc = _project(tmp)
    return loc, harness.migrated("mariadb", tmp, loc, _state)


@pytest.mark.parametrize("statement", [ALTER, INDEX], ids=["alter-add-column", "create-index"])
@pytest.mark.parametrize("server", ["completes", "aborts"])
def test_kill_while_the_server_runs_a_ddl(
    reference: tuple[Path, dict[str, object]], statement: str, server: str, tmp_path: Path
) -> None:
    loc, want = reference
    with databases.scratch("mariadb", tmp_path) as db:
        thread = _kill_during(db, loc, statement)
        if server == "aborts":
            db.query(f"KILL QUERY {thread}")
        _wait_gone(db, thread)
        # the DML before the DDL committed with the in-flight record (the DDL's implicit commit)
        assert db.query("SELECT id FROM note ORDER BY id") == [(1,)] if statement == ALTER else [(1,), (2,)]
        first = harness.run("--url", db.url, "--locations", str(loc), "migrate")
        assert first.code == 1 and "--resume" in first.err and "may have completed" in first.err, first.err
        assert first.err.count("ERROR:") == 1 and "Traceback" not in first.text
        resumed = harness.run("--url", db.url, "--locations", str(loc), "migrate", "--resume")
        assert resumed.code == 0, resumed.err
        assert _state(db) == want


def test_statement_that_cannot_be_judged_is_refused(tmp_path: Path) -> None:
    """A CALL left in flight may have done anything: --resume refuses instead of running it twice.

    (The procedure's DDL commits the in-flight record; a procedure doing only DML would instead roll
    back with the record, and a plain migrate would start V2 afresh.)"""
    loc = tmp_path / "sql"
    loc.mkdir()
    (loc / "V1__proc.sql").write_text(
        "CREATE TABLE hits (id INT);\n"
        "CREATE PROCEDURE slow_hit() BEGIN CREATE TABLE made (id INT); DO SLEEP(1.5);"
        " INSERT INTO hits VALUES (1); END;\n"
    )
    (loc / "V2__call.sql").write_text("CALL slow_hit();\nCREATE TABLE later (id INT);\n")
    with databases.scratch("mariadb", tmp_path) as db:
        thread = _kill_during(db, loc, "DO SLEEP")  # the server shows the statement inside the CALL
        _wait_gone(db, thread)
        resumed = harness.run("--url", db.url, "--locations", str(loc), "migrate", "--resume")
        assert resumed.code == 1 and "Cannot tell whether statement 1" in resumed.err, resumed.err
        assert db.query("SELECT COUNT(*) FROM hits") == [(1,)]  # not run a second time
        assert "Traceback" not in resumed.text


@pytest.mark.parametrize("plugins", ["cloudstack", ""], ids=["with-the-plugin", "without-plugins"])
def test_a_call_a_plugin_says_is_repeatable_is_sent_again(tmp_path: Path, plugins: str) -> None:
    """The core knows no product's procedures: the CloudStack plugin says its ``IDEMPOTENT_*`` helpers
    check before they change, so a call of one left in flight is sent again and the run goes on;
    with plugins switched off the same call is refused like any other."""
    loc = tmp_path / "sql"
    loc.mkdir()
    (loc / "V1__proc.sql").write_text(
        "CREATE TABLE hits (id INT);\n"
        "CREATE PROCEDURE IDEMPOTENT_MAKE() BEGIN CREATE TABLE IF NOT EXISTS made (id INT); DO SLEEP(1.5);"
        " INSERT INTO hits SELECT 1 FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM hits); END;\n"
    )
    (loc / "V2__call.sql").write_text("CALL IDEMPOTENT_MAKE();\nCREATE TABLE later (id INT);\n")
    with databases.scratch("mariadb", tmp_path) as db:
        thread = _kill_during(db, loc, "DO SLEEP")
        _wait_gone(db, thread)
        resumed = harness.run(
            "--url", db.url, "--locations", str(loc), "migrate", "--resume", extra_env={"FLYWAYX_PLUGINS": plugins}
        )
        assert "Traceback" not in resumed.text
        if plugins:
            assert resumed.code == 0, resumed.err
            assert db.query("SELECT COUNT(*) FROM later") == [(0,)]
        else:
            assert resumed.code == 1 and "Cannot tell whether statement 1" in resumed.err, resumed.err
            assert not db.query(
                f"SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{db.schema}' AND TABLE_NAME = 'later'"
            )
        assert db.query("SELECT COUNT(*) FROM hits") == [(1,)]


FIX_PK = (
    "CREATE TABLE queue (id INT NOT NULL, v INT);\n"
    "CREATE PROCEDURE FixPkIfNeeded() BEGIN\n"
    "  IF NOT EXISTS (SELECT 1 FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = DATABASE()\n"
    "      AND TABLE_NAME = 'queue' AND CONSTRAINT_TYPE = 'PRIMARY KEY') THEN\n"
    "    DO SLEEP(1.5);\n"
    "    ALTER TABLE queue ADD PRIMARY KEY (id);\n"
    "  END IF;\n"
    "END;\n"
)


@pytest.mark.parametrize("declared", ["env", "option", "undeclared"])
def test_a_call_the_user_declares_repeatable_is_sent_again(tmp_path: Path, declared: str) -> None:
    """A project without a plugin (Netflix conductor's ``FixPkIfNeeded`` checks information_schema before it
    alters) lists the procedure in ``resumeRepeatableProcedures``, in any case: the call left in flight is
    sent again and the run goes on. Undeclared, it is refused, and the refusal names the setting."""
    loc = tmp_path / "sql"
    loc.mkdir()
    (loc / "V1__proc.sql").write_text(FIX_PK)
    (loc / "V2__call.sql").write_text("CALL FixPkIfNeeded();\nCREATE TABLE later (id INT);\n")
    env = {"FLYWAYX_PLUGINS": ""}
    option: list[str] = []
    if declared == "env":
        env["FLYWAYX_RESUME_REPEATABLE_PROCEDURES"] = "other_proc, fixpkifneeded"
    elif declared == "option":
        option = ["--resume-repeatable-procedures", "FIXPKIFNEEDED"]
    with databases.scratch("mariadb", tmp_path) as db:
        thread = _kill_during(db, loc, "DO SLEEP")
        _wait_gone(db, thread)
        args = ["--url", db.url, "--locations", str(loc), "migrate", "--resume", *option]
        resumed = harness.run(*args, extra_env=env)
        assert "Traceback" not in resumed.text
        later = f"SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{db.schema}' AND TABLE_NAME = 'later'"
        if declared == "undeclared":
            assert resumed.code == 1 and resumed.err.count("ERROR:") == 1, resumed.err
            assert "Cannot tell whether statement 1 of V2__call.sql" in resumed.err
            assert "`CALL FixPkIfNeeded()`" in resumed.err and "--in-flight redo" in resumed.err
            assert "FixPkIfNeeded" in resumed.err.partition("--in-flight redo")[2]
            assert "resumeRepeatableProcedures" in resumed.err
            assert not db.query(later)
        else:
            assert resumed.code == 0, resumed.err
            assert db.query(later) == [(1,)]
            history = db.query("SELECT version, success FROM flyway_schema_history WHERE version IS NOT NULL")
            assert sorted(history) == [("1", 1), ("2", 1)]
        assert db.query("SHOW KEYS FROM queue WHERE Key_name = 'PRIMARY'")  # the server finished the call


@pytest.mark.parametrize(
    ("sql", "commits"),
    [
        ("INSERT INTO t VALUES (1)", False),
        ("  -- note\n/* c */ update t set a = 1", False),
        ("WITH x AS (SELECT 1) SELECT * FROM x", False),
        ("SET foreign_key_checks = 0", False),
        ("SET autocommit = 1", True),
        ("ALTER TABLE t ADD c INT", True),
        ("LOCK TABLES t WRITE", True),
        ("CALL p()", True),
        ("/*!40101 SET NAMES utf8 */", False),
        ("/*!40000 ALTER TABLE t DISABLE KEYS */", True),
        ("COMMIT", True),
        ("GRANT ALL ON t TO u", True),
    ],
)
def test_which_statements_run_inside_the_progress_transaction(sql: str, commits: bool) -> None:
    """Only DML, SELECT and session SET run in the transaction that carries the progress record;
    everything else gets the in-flight record first (misjudging DML as DDL only costs a write)."""
    from flywayx.apply import implicit_commit

    assert implicit_commit(sql) is commits
