"""Real-world SQL run exactly as the client runs it (issue 14, cases 1, 2, 3 and 6), on real servers,
with the real client applying the same files as the oracle (tests/differential/oracle.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests import databases
from tests.conftest import CliResult
from tests.databases import ScratchDb
from tests.differential import oracle

Cli = Callable[..., CliResult]


def _folder(tmp: Path, files: dict[str, str]) -> Path:
    loc = tmp / "sql"
    loc.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (loc / name).write_text(text)
    return loc


def _migrate(cli: Cli, db: ScratchDb, loc: Path, *extra: str) -> CliResult:
    return cli("--url", db.url, "--locations", str(loc), "migrate", *extra)


def _same_as_the_client(cli: Cli, tmp: Path, loc: Path, family: str = "mariadb") -> str:
    """Apply ``loc`` with flywayx and with the client into two fresh databases; both describe the same."""
    with databases.scratch(family, tmp) as ours, databases.scratch(family, tmp) as theirs:
        done = _migrate(cli, ours, loc)
        assert done.code == 0, done.err
        oracle.client_apply(theirs, loc)
        got, want = oracle.describe(ours), oracle.describe(theirs)
    assert got == want
    return got


PROCEDURES = """CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(20));
DELIMITER $$
CREATE PROCEDURE none_() BEGIN INSERT INTO t (note) VALUES ('none'); END$$
CREATE PROCEDURE one_() BEGIN INSERT INTO t (note) VALUES ('one'); SELECT 'info'; END$$
CREATE PROCEDURE two_() BEGIN SELECT COUNT(*) FROM t; INSERT INTO t (note) VALUES ('two'); SELECT 'a', 'b'; END$$
DELIMITER ;
CALL none_();
INSERT INTO t (note) VALUES ('between');
CALL one_();
CALL two_();
INSERT INTO t (note) VALUES ('after');
"""


@pytest.mark.mariadb
@pytest.mark.parametrize("callbacks", [False, True], ids=["batched", "one-by-one"])
def test_calls_returning_0_1_2_result_sets_run_once(cli_run: Cli, tmp_path: Path, callbacks: bool) -> None:
    """Case 1: a CALL whose procedure returns result sets aborted the migration (then ran again on every
    --resume). Statement callbacks switch batching off: both paths read every result."""
    files = {"V1__procs.sql": PROCEDURES}
    if callbacks:
        files["afterEachMigrateStatement.sql"] = "DO 1;\n"
    dump = _same_as_the_client(cli_run, tmp_path, _folder(tmp_path, files))
    assert dump.count("INSERT INTO `t` VALUES") == 5


@pytest.mark.mariadb
def test_a_failing_call_is_named_undone_and_resumed_once(cli_run: Cli, tmp_path: Path) -> None:
    """The procedure inserts a row, returns a result set, then fails: the failure names the CALL,
    the row it inserted is rolled back with it, and --resume runs the CALL once."""
    body = (
        "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(20));\n"
        "CREATE PROCEDURE p() BEGIN INSERT INTO t (note) VALUES ('x'); SELECT 'info'; "
        "INSERT INTO t (note) SELECT note FROM prereq; END;\n"
        "INSERT INTO t (note) VALUES ('before');\nCALL p();\nINSERT INTO t (note) VALUES ('after');\n"
    )
    loc = _folder(tmp_path, {"V1__call.sql": body})
    with databases.scratch("mariadb", tmp_path) as db:
        failed = _migrate(cli_run, db, loc)
        assert failed.code == 1 and "V1__call.sql line 4" in failed.err and "prereq" in failed.err
        assert "3 of 5 statements were applied" in failed.err and "--resume" in failed.err
        assert db.query("SELECT note FROM t ORDER BY id") == [("before",)]  # the CALL's 'x' was rolled back
        db.query("CREATE TABLE prereq (note VARCHAR(20))")
        for attempt in range(2):
            resumed = _migrate(cli_run, db, loc, "--resume") if attempt == 0 else _migrate(cli_run, db, loc)
            assert resumed.code == 0, resumed.err
        assert [r[0] for r in db.query("SELECT note FROM t ORDER BY id")] == ["before", "x", "after"]


DUMP_TABLES = (
    "CREATE TABLE t (id INT PRIMARY KEY, n VARCHAR(40));\nCREATE TABLE u (id INT);\nINSERT INTO t VALUES (1, 'a');\n"
)


@pytest.mark.mariadb
def test_lock_tables_after_a_comment_holds_the_lock_as_the_client_does(cli_run: Cli, tmp_path: Path) -> None:
    """Case 2: ``LOCK TABLES`` after a comment (every mysqldump file): flywayx wrote its progress record
    under the lock (error 1100), and without a DDL inside the block its BEGIN released the lock. Under
    a held lock, a table not locked is refused: the client fails at statement 3; so must flywayx."""
    block = "--\n-- Dumping data for table `t`\n--\n\nLOCK TABLES `t` WRITE;\nINSERT INTO t VALUES (2, 'b');\n"
    ok = _folder(tmp_path / "ok", {"V1__tables.sql": DUMP_TABLES, "V2__data.sql": block + "UNLOCK TABLES;\n"})
    _same_as_the_client(cli_run, tmp_path, ok)
    refused = _folder(
        tmp_path / "refused",
        {"V1__tables.sql": DUMP_TABLES, "V2__data.sql": block + "INSERT INTO u VALUES (1);\nUNLOCK TABLES;\n"},
    )
    with databases.scratch("mariadb", tmp_path) as db, databases.scratch("mariadb", tmp_path) as theirs:
        assert _migrate(cli_run, db, refused).code == 1
        ours = [
            ln for ln in cli_run("--url", db.url, "--locations", str(refused), "info").out.splitlines() if "data" in ln
        ]
        assert "Failed" in ours[0]
        assert oracle.client(theirs, refused / "V1__tables.sql").returncode == 0
        client = oracle.client(theirs, refused / "V2__data.sql")
        assert client.returncode != 0 and "was not locked with LOCK TABLES" in client.stderr
        assert db.query("SELECT COUNT(*) FROM u") == [(0,)]


@pytest.mark.mariadb
def test_a_dump_file_of_a_real_database(cli_run: Cli, tmp_path: Path) -> None:
    """Every unedited ``mariadb-dump`` file: versioned comments, LOCK TABLES, DELIMITER ;; triggers and
    routines, views; applied by flywayx and by the client, the databases are the same."""
    with databases.scratch("mariadb", tmp_path) as src:
        for stmt in (
            DUMP_TABLES + "INSERT INTO t VALUES (2, 'it''s; -- not a comment');\n"
            "CREATE VIEW v AS SELECT id, UPPER(n) AS n FROM t;\n"
        ).split(";\n"):
            if stmt.strip():
                src.query(stmt)
        src.query("CREATE PROCEDURE p() BEGIN SELECT COUNT(*) FROM t; END")
        src.query("CREATE TRIGGER tr BEFORE INSERT ON u FOR EACH ROW SET NEW.id = NEW.id * 10")
        w = oracle.where(src)
        import subprocess

        dump = subprocess.run(
            [
                "mariadb-dump",
                "-h",
                w.host,
                "-P",
                str(w.port),
                "-u",
                w.user,
                "--routines",
                "--events",
                "--triggers",
                w.database,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    loc = _folder(tmp_path, {"V1__dump.sql": dump.stdout})
    described = _same_as_the_client(cli_run, tmp_path, loc)
    assert "TRIGGER TR BEFORE INSERT ON U" in described.upper() and "it\\'s; -- not a comment" in described


HELPER = """DROP PROCEDURE IF EXISTS add_column_v1;
DELIMITER //
CREATE PROCEDURE add_column_v1(
    p_table VARCHAR(64),
    p_column VARCHAR(64),
    p_type VARCHAR(64) -- e.g. 'VARCHAR(255) DEFAULT NULL'
)
BEGIN
    -- only when the column is missing: the script may run on a database that has it
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = DATABASE() AND table_name = p_table AND column_name = p_column) THEN
        SET @sql = CONCAT('ALTER TABLE ', p_table, ' ADD COLUMN ', p_column, ' ', p_type); /* built, then run */
        PREPARE stmt FROM @sql;
        EXECUTE stmt;
        DEALLOCATE PREPARE stmt;
    END IF;
END //
DELIMITER ;
"""


@pytest.mark.mariadb
def test_comments_inside_a_routine_are_kept_as_flyway_keeps_them(cli_run: Cli, tmp_path: Path) -> None:
    """A ``beforeMigrate`` callback defines a helper procedure whose parameter list and body carry ``--``
    comments (a public Flyway project does this); migrations CALL it. Flyway's JDBC driver sends the
    comments, so the server stores the routine as written: flywayx does the same, which is what
    ``mariadb --comments`` gives (the client's default strips them; that is the only difference)."""
    loc = _folder(
        tmp_path,
        {
            "beforeMigrate__helpers.sql": HELPER,
            "V1__t.sql": "CREATE TABLE t (id INT PRIMARY KEY);\nCALL add_column_v1('t', 'note', 'VARCHAR(20) NULL');\n",
            "V2__again.sql": "CALL add_column_v1('t', 'note', 'VARCHAR(20) NULL');\n"
            "CALL add_column_v1('t', 'n', 'INT NOT NULL DEFAULT 0');\nINSERT INTO t (id) VALUES (1);\n",
        },
    )
    with (
        databases.scratch("mariadb", tmp_path) as ours,
        databases.scratch("mariadb", tmp_path) as theirs,
        databases.scratch("mariadb", tmp_path) as plain,
    ):
        assert _migrate(cli_run, ours, loc).code == 0
        oracle.client_apply(theirs, loc, comments=True)
        oracle.client_apply(plain, loc)
        got, want, stripped = oracle.describe(ours), oracle.describe(theirs), oracle.describe(plain)
        body = ours.query(
            "SELECT routine_definition FROM information_schema.routines "
            "WHERE routine_schema = DATABASE() AND routine_name = 'add_column_v1'"
        )[0][0]
    assert got == want
    assert "-- only when the column is missing" in body and "/* built, then run */" in body
    assert "p_type VARCHAR(64) -- e.g. 'VARCHAR(255) DEFAULT NULL'" in got
    assert "-- e.g." not in stripped and "-- only when" not in stripped  # the client's default
    assert "INSERT INTO `t` VALUES (1,NULL,0);" in got


CASE_3 = (
    "SET @tenant := 'acme';\nCREATE TABLE t (name VARCHAR(10));\nINSERT INTO t SELECT name FROM prereq;\n"
    "INSERT INTO t VALUES (@tenant);\n"
)
DUMP_SESSION = (
    "/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;\n/*!40103 SET TIME_ZONE='+00:00' */;\n"
    "CREATE TABLE ts (at TIMESTAMP NULL);\nINSERT INTO ts SELECT at FROM prereq;\n"
    "INSERT INTO ts VALUES ('2024-01-01 00:00:00');\n/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;\n"
)

# a public project's pattern: a value kept in @v, a helper procedure created, called and dropped, @v read after
HELPER_CALLED = (
    "SET @tenant := 'acme';\nDROP PROCEDURE IF EXISTS make_t;\nDELIMITER $$\n"
    "CREATE PROCEDURE make_t()\nBEGIN\n    -- only when missing\n"
    "    CREATE TABLE IF NOT EXISTS t (name VARCHAR(10));\nEND $$\nDELIMITER ;\nCALL make_t();\n"
    "DROP PROCEDURE make_t;\nINSERT INTO t SELECT name FROM prereq;\nINSERT INTO t VALUES (@tenant);\n"
)

# a public project's pattern (Netflix/conductor): the catalog asked whether an index exists, the answer kept in
# @v, the statement built from it prepared and executed
QUERY_CHECKED = (
    "CREATE TABLE t (name VARCHAR(10));\n"
    "SET @exist := (SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE()"
    " AND table_name = 't' AND index_name = 'i_name');\n"
    "SET @sql := IF(@exist > 0, 'SELECT 1', 'INSERT INTO t SELECT name FROM prereq');\n"
    "PREPARE stmt FROM @sql;\nEXECUTE stmt;\nDEALLOCATE PREPARE stmt;\nINSERT INTO t VALUES ('acme');\n"
)


@pytest.mark.mariadb
@pytest.mark.parametrize(
    "script",
    [CASE_3, DUMP_SESSION, HELPER_CALLED, QUERY_CHECKED],
    ids=["user-variable", "dump-time-zone", "after-a-helper-call", "set-from-a-query"],
)
def test_resume_rebuilds_the_session(cli_run: Cli, tmp_path: Path, script: str) -> None:
    """Case 3: after the fix, --resume "succeeded" and t held NULL (the dump's TIME_ZONE restore failed
    with error 1231): the session the first statements built is rebuilt before continuing."""
    loc = _folder(tmp_path, {"V1__session.sql": script})
    with databases.scratch("mariadb", tmp_path) as db:
        failed = _migrate(cli_run, db, loc)
        assert failed.code == 1 and "prereq" in failed.err
        db.query("CREATE TABLE prereq (name VARCHAR(10), at TIMESTAMP NULL)")
        resumed = _migrate(cli_run, db, loc, "--resume")
        assert resumed.code == 0, resumed.err
        got = oracle.describe(db)
    with databases.scratch("mariadb", tmp_path) as ref:
        ref.query("CREATE TABLE prereq (name VARCHAR(10), at TIMESTAMP NULL)")
        oracle.client_apply(ref, loc)
        assert got == oracle.describe(ref)
    assert "'acme'" in got or "'2024-01-01 00:00:00'" in got


@pytest.mark.mariadb
def test_resume_reads_a_callbacks_helper_from_the_database(cli_run: Cli, tmp_path: Path) -> None:
    """The helper comes from a ``beforeMigrate`` callback: its body is read from the database. A plain body
    sets nothing, so the resume goes on; one that runs dynamic SQL may set anything, so it is refused."""
    helper = (
        "DROP PROCEDURE IF EXISTS ensure_t;\nDELIMITER $$\nCREATE PROCEDURE ensure_t()\nBEGIN\n"
        "    CREATE TABLE IF NOT EXISTS t (name VARCHAR(10));{extra}\nEND $$\nDELIMITER ;\n"
    )
    script = (
        "SET @tenant := 'acme';\nCALL ensure_t();\nINSERT INTO t SELECT name FROM prereq;\n"
        "INSERT INTO t VALUES (@tenant);\n"
    )
    for extra, resumes in (("", True), ("\n    SET @s := 'SELECT 1'; PREPARE q FROM @s; EXECUTE q;", False)):
        loc = _folder(
            tmp_path / ("plain" if resumes else "dynamic"),
            {"beforeMigrate__helpers.sql": helper.format(extra=extra), "V1__session.sql": script},
        )
        with databases.scratch("mariadb", tmp_path) as db:
            assert _migrate(cli_run, db, loc).code == 1
            db.query("CREATE TABLE prereq (name VARCHAR(10))")
            resumed = _migrate(cli_run, db, loc, "--resume")
            if resumes:
                assert resumed.code == 0, resumed.err
                assert db.query("SELECT name FROM t") == [("acme",)]
            else:
                assert resumed.code == 1 and "@tenant, which CALL ENSURE_T at line 2 may have set" in resumed.err
                assert db.query("SELECT COUNT(*) FROM t") == [(0,)]


@pytest.mark.mariadb
def test_resume_refuses_state_it_cannot_rebuild(cli_run: Cli, tmp_path: Path) -> None:
    script = (
        "INSERT INTO log VALUES (1);\nSET @n = (SELECT COUNT(*) FROM log);\nINSERT INTO log VALUES (2);\n"
        "INSERT INTO t SELECT x FROM prereq;\nINSERT INTO t VALUES (@n);\n"
    )
    loc = _folder(
        tmp_path, {"V1__log.sql": "CREATE TABLE log (id INT);\nCREATE TABLE t (x INT);\n", "V2__count.sql": script}
    )
    with databases.scratch("mariadb", tmp_path) as db:
        assert _migrate(cli_run, db, loc).code == 1
        db.query("CREATE TABLE prereq (x INT)")
        refused = _migrate(cli_run, db, loc, "--resume")
        assert refused.code == 1 and refused.err.count("ERROR:") == 1 and "Traceback" not in refused.err
        assert "Cannot resume V2__count.sql at statement 4" in refused.err
        assert "@n, set at line 2 from a query" in refused.err
        assert db.query("SELECT COUNT(*) FROM t") == [(0,)]
        rows = db.query("SELECT version, success FROM flyway_schema_history ORDER BY installed_rank")
        assert [(r[0], int(r[1])) for r in rows] == [("1", 1), ("2", 0)]  # still the failed run's record


@pytest.mark.parametrize("family", ["sqlite", "postgresql"])
def test_a_rolled_back_failure_gives_no_resume_or_repair_advice(cli_run: Cli, tmp_path: Path, family: str) -> None:
    """Case 6: the transaction rolled everything back: there is nothing to resume or repair."""
    loc = _folder(tmp_path, {"V1__two.sql": "CREATE TABLE a (id INT);\nINSERT INTO nope VALUES (1);\n"})
    with databases.scratch(family, tmp_path) as db:
        failed = _migrate(cli_run, db, loc)
        assert failed.code == 1 and failed.err.count("ERROR:") == 1
        hint = failed.err.split("hint:", 1)[1]
        assert "rolled back" in hint and "`flywayx migrate`" in hint
        assert "resume" not in hint and "repair" not in hint and "were applied" not in hint


@pytest.mark.mariadb
def test_server_warnings_are_reported_as_flyway_does(cli_run: Cli, tmp_path: Path) -> None:
    loc = _folder(
        tmp_path,
        {
            "V1__warn.sql": "CREATE TABLE t (id INT PRIMARY KEY);\nDROP TABLE IF EXISTS nosuch;\n"
            "INSERT IGNORE INTO t VALUES (1), (1);\nINSERT INTO t VALUES (2);\n"
        },
    )
    with databases.scratch("mariadb", tmp_path) as db:
        done = _migrate(cli_run, db, loc)
        assert done.code == 0, done.err
    assert "WARNING: DB: Unknown table" in done.out and "(Error Code: 1051) (V1__warn.sql line 2)" in done.out
    # a batched statement's warnings are known by count only (the server keeps the last statement's text)
    assert "DB: 1 warning(s), text not available" in done.out and "(V1__warn.sql line 3)" in done.out
