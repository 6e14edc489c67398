"""What ``--resume`` runs again to rebuild a migration's session, or the state it refuses to guess
(flywayx/statements/session.py). Live resumes are in tests/e2e/test_real_sql.py."""

from __future__ import annotations

import pytest

from flywayx.model.migration import Statement
from flywayx.statements.classify import Server
from flywayx.statements.session import plan_replay
from flywayx.statements.splitter import split

MARIADB = Server.of("mariadb", "10.11.19-MariaDB")


def _plan(script: str, failed_at: str, server: Server = MARIADB) -> tuple[list[str], str | None, str]:
    """(replayed statements, the LOCK TABLES replayed, refusals) when ``failed_at`` is the failed statement."""
    statements = split(script, "mariadb")
    k = next(i for i, s in enumerate(statements) if failed_at in s.sql)
    plan = plan_replay(statements, k, server)
    lock = statements[plan.lock].sql if plan.lock is not None else None
    return [statements[i].sql for i in plan.statements], lock, " | ".join(plan.refusals)


def test_issue_case_3_a_user_variable_is_replayed() -> None:
    script = (
        "SET @tenant := 'acme';\nCREATE TABLE t (name VARCHAR(10));\nINSERT INTO t SELECT name FROM prereq;\n"
        "INSERT INTO t VALUES (@tenant);\n"
    )
    assert _plan(script, "FROM prereq") == (["SET @tenant := 'acme'"], None, "")


def test_a_dump_files_session_and_lock_are_rebuilt() -> None:
    script = (
        "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n/*!40101 SET NAMES utf8mb4 */;\n"
        "/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;\n/*!40103 SET TIME_ZONE='+00:00' */;\n"
        "/*!99999 SET @NEVER=1 */;\nCREATE TABLE t (id INT);\n--\n-- Dumping data for table `t`\n--\n"
        "LOCK TABLES `t` WRITE;\n/*!40000 ALTER TABLE `t` DISABLE KEYS */;\nINSERT INTO `t` VALUES (1),(2);\n"
        "/*!40000 ALTER TABLE `t` ENABLE KEYS */;\nUNLOCK TABLES;\n/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;\n"
    )
    replayed, lock, refused = _plan(script, "INSERT INTO `t`")
    assert replayed == [
        "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */",
        "/*!40101 SET NAMES utf8mb4 */",
        "/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */",
        "/*!40103 SET TIME_ZONE='+00:00' */",
    ]
    assert lock is not None and lock.endswith("LOCK TABLES `t` WRITE") and refused == ""
    assert _plan(script, "SET TIME_ZONE=@OLD_TIME_ZONE")[1] is None  # UNLOCK TABLES ran before it


@pytest.mark.parametrize(
    ("script", "failed_at", "refusal"),
    [
        (
            "SET @n = (SELECT COUNT(*) FROM t);\nINSERT INTO t VALUES (1);\nINSERT INTO log VALUES (@n);\n",
            "INTO log",
            "@n, set at line 1 from a query",
        ),
        (
            "SELECT MAX(id) INTO @m FROM t;\nDELETE FROM t;\nINSERT INTO t VALUES (@m);\n",
            "INSERT INTO t VALUES (@m)",
            "@m, set by a query at line 1",
        ),
        (
            "INSERT INTO t VALUES (NULL);\nSET @id = LAST_INSERT_ID();\nCREATE TABLE x (i INT);\n"
            "INSERT INTO c VALUES (@id);\n",
            "CREATE TABLE x",
            "@id, set at line 2 from LAST_INSERT_ID()",
        ),
        (
            "SET @x = 1;\nCALL p();\nINSERT INTO t VALUES (@x);\n",
            "INSERT INTO t",
            "@x, which CALL P at line 2 may have set",
        ),
        (
            "CREATE TEMPORARY TABLE tmp (id INT);\nINSERT INTO tmp VALUES (1);\nINSERT INTO t SELECT * FROM tmp;\n",
            "SELECT * FROM tmp",
            "the temporary table tmp created at line 1",
        ),
        (
            "SET SESSION sql_mode = (SELECT @@GLOBAL.sql_mode);\nCREATE TABLE a (i INT);\nCREATE TABLE b (i INT);\n",
            "TABLE b",
            "session variable @@sql_mode set at line 1 from a query",
        ),
        (
            "SET @s = NOW();\nSET @t = @s;\nCREATE TABLE a (i INT);\nINSERT INTO a VALUES (@t);\n",
            "INSERT INTO a",
            "@t, set at line 2 from @s, which was set at line 1 from NOW()",
        ),
    ],
)
def test_state_that_cannot_be_rebuilt_is_named(script: str, failed_at: str, refusal: str) -> None:
    assert refusal in _plan(script, failed_at)[2]


@pytest.mark.parametrize(
    ("script", "failed_at", "replayed"),
    [
        # lost, but nothing after the failed statement reads it: no refusal, nothing to replay
        ("SET @n = (SELECT COUNT(*) FROM t);\nINSERT INTO log VALUES (@n);\nCREATE TABLE z (i INT);\n", "TABLE z", []),
        # set again before it is read
        ("SELECT 1 INTO @v;\nCREATE TABLE z (i INT);\nSET @v = 2;\nINSERT INTO z VALUES (@v);\n", "TABLE z", []),
        ("CREATE TEMPORARY TABLE tmp (id INT);\nDROP TEMPORARY TABLE tmp;\nCREATE TABLE z (i INT);\n", "TABLE z", []),
        (
            "SET @sql = CONCAT('INSERT INTO t VALUES (', 1, ')');\nPREPARE s FROM @sql;\nCREATE TABLE z (i INT);\n"
            "EXECUTE s;\n",
            "TABLE z",
            ["SET @sql = CONCAT('INSERT INTO t VALUES (', 1, ')')", "PREPARE s FROM @sql"],
        ),
        (
            "USE other;\nSET GLOBAL max_connections = 200;\nSET foreign_key_checks = 0, @a = @a + 1;\n"
            "CREATE TABLE z (i INT);\n",
            "TABLE z",
            ["USE other", "SET foreign_key_checks = 0, @a = @a + 1"],
        ),
        (
            "SET STATEMENT foreign_key_checks = 0 FOR INSERT INTO t VALUES (1);\nCREATE TABLE z (i INT);\n",
            "TABLE z",
            [],
        ),
    ],
)
def test_what_is_replayed(script: str, failed_at: str, replayed: list[str]) -> None:
    got, _, refused = _plan(script, failed_at)
    assert (got, refused) == (replayed, "")


CHECKED = (
    "SET @exist := (SELECT COUNT(*) FROM information_schema.statistics WHERE table_name = 't' AND index_name = 'i');\n"
    "SET @sql := IF(@exist > 0, 'SELECT 1', 'CREATE INDEX i ON t (c)');\nPREPARE stmt FROM @sql;\n{between}"
    "EXECUTE stmt;\nDEALLOCATE PREPARE stmt;\n"
)


def test_a_query_read_while_the_database_did_not_change_since_is_asked_again() -> None:
    """Killed or failed before the EXECUTE: nothing since the query changed the database, so running the
    query again gives the answer it gave, and the statements built from it are rebuilt."""
    replayed, _, refused = _plan(CHECKED.format(between="SET @note := 'x';\nSELECT @note;\n"), "EXECUTE")
    assert refused == ""
    assert [r.split(" :=")[0].split(" FROM")[0] for r in replayed] == [
        "SET @exist",
        "SET @sql",
        "PREPARE stmt",
        "SET @note",
    ]


@pytest.mark.parametrize(
    ("between", "refusal"),
    [
        ("INSERT INTO log VALUES (1);\n", "the statement at line 4 may have changed the database since"),
        ("CALL p();\n", "the statement at line 4 may have changed the database since"),
        ("SELECT next_id('t');\n", "the statement at line 4 may have changed the database since"),
    ],
)
def test_a_query_read_before_a_change_is_not_asked_again(between: str, refusal: str) -> None:
    replayed, _, refused = _plan(CHECKED.format(between=between), "EXECUTE")
    assert replayed == []
    assert "the prepared statement stmt, prepared at line 3 from a value read by a query" in refused
    assert refusal in refused


def test_a_query_that_reads_the_clock_is_not_asked_again() -> None:
    script = "SET @n := (SELECT COUNT(*) FROM t WHERE at < NOW());\nSET @m := 1;\nINSERT INTO log VALUES (@n);\n"
    assert "@n, set at line 1 from a query calling NOW()" in _plan(script, "INSERT INTO log")[2]


def test_other_dialects_and_the_first_statement_replay_nothing() -> None:
    statements = [Statement(1, "SET @a = 1"), Statement(2, "SELECT @a")]
    assert plan_replay(statements, 1, Server("postgresql")).statements == ()
    assert plan_replay(statements, 0, MARIADB).statements == ()


HELPER_SCRIPT = """-- stop NOTE warnings while the helper runs
SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0;
DROP PROCEDURE IF EXISTS add_col;
DELIMITER $$
CREATE PROCEDURE add_col ()
BEGIN
    DECLARE n integer;
    SELECT COUNT(1) INTO n FROM information_schema.columns
    WHERE table_schema = database() AND table_name = 't' AND column_name = 'c';
    IF n = 0 THEN
        ALTER TABLE t ADD COLUMN c varchar(255) DEFAULT NULL; -- a comment
    END IF;
END $$
DELIMITER ;
CALL add_col;
DROP PROCEDURE IF EXISTS add_col;
SET SQL_NOTES=@OLD_SQL_NOTES;
"""


def test_a_call_of_a_helper_the_script_created_sets_nothing() -> None:
    """A public project's pattern in every migration: save a session variable in @v, create a helper
    procedure, call it, drop it, restore from @v. The helper's body sets no user variable, so a resume
    after the CALL replays the SET and goes on."""
    statements = split(HELPER_SCRIPT, "mariadb")
    k = [i for i, s in enumerate(statements) if s.sql.startswith("DROP PROCEDURE")][1]  # the drop after the CALL
    plan = plan_replay(statements, k, MARIADB)
    assert plan.refusals == ()
    replayed = [statements[i].sql.splitlines()[-1] for i in plan.statements]
    assert replayed == ["SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0"]
    dropped = HELPER_SCRIPT.replace(
        "CALL add_col;\nDROP PROCEDURE IF EXISTS add_col;", "DROP PROCEDURE IF EXISTS add_col;\nCALL add_col;"
    )  # dropped, then a new one
    assert "may have set" in _plan(dropped + "CREATE TABLE z (i INT);\nSET @y = @OLD_SQL_NOTES;\n", "CREATE TABLE z")[2]


@pytest.mark.parametrize(
    ("body", "call"),
    [
        ("SET @OLD_SQL_NOTES = 1;", "CALL add_col"),  # the body writes the variable read later
        ("SELECT 1 INTO @x;", "CALL add_col"),
        ("CALL other();", "CALL add_col"),  # another routine may set anything
        ("PREPARE s FROM 'SET @OLD_SQL_NOTES = 1'; EXECUTE s;", "CALL add_col"),
        ("SELECT 1;", "CALL elsewhere.add_col"),  # another schema's routine of that name
        ("SELECT 1;", "CALL not_created_here"),
    ],
)
def test_a_call_that_may_set_a_variable_still_refuses(body: str, call: str) -> None:
    script = (
        "SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0;\nDELIMITER $$\n"
        f"CREATE PROCEDURE add_col () BEGIN {body} END $$\nDELIMITER ;\n{call};\n"
        "CREATE TABLE z (i INT);\nSET SQL_NOTES=@OLD_SQL_NOTES;\n"
    )
    _, _, refused = _plan(script, "CREATE TABLE z")
    assert "@old_sql_notes, which CALL" in refused and "may have set" in refused
