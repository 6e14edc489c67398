"""The one statement classifier (flywayx/statements/classify.py): a table of cases. The server's own
reading of versioned comments, the oracle for the version rule, is tests/on_server/test_classify_on_server.py."""

from __future__ import annotations

import pytest

from flywayx.statements.classify import Server, classify, client_text, parse_set, tokens

MARIADB = Server.of("mariadb", "10.11.19-MariaDB-0+deb12u1")
MYSQL8 = Server.of("mysql", "8.0.36")
OLD_MARIADB = Server.of("mariadb", "10.3.39-MariaDB")

# (sql, server, head, commits, lock, many_results)
CASES: list[tuple[str, Server, str, bool, str | None, bool]] = [
    ("INSERT INTO t VALUES (1)", MARIADB, "INSERT", False, None, False),
    ("  -- note\n/* c */ update t set a = 1", MARIADB, "UPDATE", False, None, False),
    ("# hash\nDELETE FROM t", MARIADB, "DELETE", False, None, False),
    ("--x\nINSERT INTO t VALUES (1)", MARIADB, "INSERT", False, None, False),  # the client drops the line
    ("WITH x AS (SELECT 1) SELECT * FROM x", MARIADB, "WITH", False, None, False),
    ("(SELECT 1) UNION (SELECT 2)", MARIADB, "(", False, None, False),
    ("INSERT INTO t VALUES ('/*!40000 ALTER TABLE t */ -- x')", MARIADB, "INSERT", False, None, False),
    ("ALTER TABLE t ADD c INT", MARIADB, "ALTER", True, None, False),
    ("CREATE TEMPORARY TABLE tmp (id INT)", MARIADB, "CREATE", True, None, False),
    # every unedited mysqldump / mariadb-dump file
    ("--\n-- Dumping data for table `t`\n--\n\nLOCK TABLES `t` WRITE", MARIADB, "LOCK", True, "lock", False),
    ("LOCK TABLE t READ, u AS x WRITE", MARIADB, "LOCK", True, "lock", False),
    ("UNLOCK TABLES", MARIADB, "UNLOCK", True, "unlock", False),
    ("FLUSH TABLES t WITH READ LOCK", MARIADB, "FLUSH", True, "lock", False),
    ("/*!40000 ALTER TABLE `t` DISABLE KEYS */", MARIADB, "ALTER", True, None, False),
    (
        "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`%`*/ /*!50003 TRIGGER tr BEFORE INSERT ON t FOR EACH ROW"
        " SET NEW.a = 1 */",
        MARIADB,
        "CREATE",
        True,
        None,
        False,
    ),
    ("/*!40101 SET NAMES utf8mb4 */", MARIADB, "SET", False, None, False),
    (
        "/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump\n/*!40101 SET @OLD_CSC=@@CHARACTER_SET_CLIENT */",
        MARIADB,
        "SET",
        False,
        None,
        False,
    ),
    # a version above the server's: the comment is skipped and nothing runs
    ("/*!101120 ALTER TABLE t ENGINE=InnoDB */", MARIADB, "", False, None, False),
    ("/*!101119 ALTER TABLE t ENGINE=InnoDB */", MARIADB, "ALTER", True, None, False),
    ("/*!100500 ALTER TABLE t ENGINE=InnoDB */", OLD_MARIADB, "", False, None, False),
    # MariaDB skips MySQL 5.7+ numbers unless written /*M!; MySQL skips /*M! entirely
    ("/*!80016 ALTER TABLE t ENCRYPTION='N' */", MARIADB, "", False, None, False),
    ("/*!80016 ALTER TABLE t ENCRYPTION='N' */", MYSQL8, "ALTER", True, None, False),
    ("/*M!100100 ALTER TABLE t ENGINE=Aria */", MARIADB, "ALTER", True, None, False),
    ("/*M!100100 ALTER TABLE t ENGINE=Aria */", MYSQL8, "", False, None, False),
    ("/*! ALTER TABLE t ENGINE=InnoDB */", MYSQL8, "ALTER", True, None, False),  # no number: always runs
    ("/* plain */ /*+ hint */ SELECT 1", MARIADB, "SELECT", False, None, False),
    ("SET @tenant := 'acme'", MARIADB, "SET", False, None, False),
    ("SET foreign_key_checks = 0", MARIADB, "SET", False, None, False),
    ("SET sql_mode = DEFAULT", MARIADB, "SET", False, None, False),
    ("SET autocommit = 1", MARIADB, "SET", True, None, False),
    ("SET @@session.autocommit = 0", MARIADB, "SET", True, None, False),
    ("SET GLOBAL autocommit = 0", MARIADB, "SET", False, None, False),
    ("SET PASSWORD FOR u = PASSWORD('x')", MARIADB, "SET", True, None, False),
    ("SET DEFAULT ROLE r FOR u", MARIADB, "SET", True, None, False),
    ("SET TRANSACTION ISOLATION LEVEL READ COMMITTED", MARIADB, "SET", True, None, False),
    ("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", MARIADB, "SET", False, None, False),
    ("SET STATEMENT max_statement_time=60 FOR CALL p()", MARIADB, "CALL", True, None, True),
    ("SET STATEMENT foreign_key_checks=0 FOR INSERT INTO t VALUES (1)", MARIADB, "INSERT", False, None, False),
    ("CALL p()", MARIADB, "CALL", True, None, True),
    ("-- log\ncall p", MARIADB, "CALL", True, None, True),
    ("EXECUTE stmt USING @a", MARIADB, "EXECUTE", True, None, True),
    ("EXECUTE IMMEDIATE 'CALL p()'", MARIADB, "EXECUTE", True, None, True),
    ("PREPARE stmt FROM 'SELECT 1'", MARIADB, "PREPARE", True, None, False),
    ("BEGIN NOT ATOMIC SELECT 1; END", MARIADB, "BEGIN", True, None, True),
    ("lbl: LOOP LEAVE lbl; END LOOP lbl", MARIADB, "LBL", True, None, True),
    ("IF (SELECT 1) THEN SELECT 2; END IF", MARIADB, "IF", True, None, True),
    ("BEGIN", MARIADB, "BEGIN", True, "unlock", False),
    ("START TRANSACTION", MARIADB, "START", True, "unlock", False),
    ("SAVEPOINT a", MARIADB, "SAVEPOINT", False, None, False),
    ("ROLLBACK TO SAVEPOINT a", MARIADB, "ROLLBACK", False, None, False),
    ("ROLLBACK", MARIADB, "ROLLBACK", True, None, False),
    ("COMMIT", MARIADB, "COMMIT", True, None, False),
    ("GRANT ALL ON t TO u", MARIADB, "GRANT", True, None, False),
    ("DO RELEASE_LOCK('x')", MARIADB, "DO", False, None, False),
    ("USE other", MARIADB, "USE", False, None, False),
    ("-- nothing at all\n/* really */", MARIADB, "", False, None, False),
    # PostgreSQL and SQLite: transactional DDL, nothing commits
    ("-- x\nCREATE TABLE t (id INT)", Server("postgresql"), "CREATE", False, None, False),
    ("/* a /* nested */ b */ DO $$ BEGIN END $$", Server("postgresql"), "DO", False, None, False),
    ("BEGIN", Server("sqlite"), "BEGIN", False, None, False),
]


@pytest.mark.parametrize(
    ("sql", "server", "head", "commits", "lock", "many"), CASES, ids=[f"{i}-{c[0][:30]}" for i, c in enumerate(CASES)]
)
def test_classify(sql: str, server: Server, head: str, commits: bool, lock: str | None, many: bool) -> None:
    got = classify(sql, server)
    assert (got.head, got.commits, got.lock, got.many_results) == (head, commits, lock, many)
    assert got.empty is (head == "")


def test_transaction_start_opens_the_scripts_own_transaction() -> None:
    assert classify("START TRANSACTION READ WRITE", MARIADB).opens
    assert not classify("COMMIT", MARIADB).opens


def test_server_version_parsing() -> None:
    assert Server("mariadb", 101119) == MARIADB
    assert Server.of("mysql", "10.6.5-MariaDB-log").dialect == "mariadb"  # a mysql URL reaching MariaDB
    assert Server("mysql", 80036) == MYSQL8
    assert Server.of("mysql", None).version_id is None


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            "SET @a = 1, @@session.sql_mode = '', NAMES utf8mb4",
            [("user", "a", "session"), ("system", "sql_mode", "session"), ("names", "names", "session")],
        ),
        (
            "SET GLOBAL max_connections = 10, SESSION x = 1",
            [("system", "max_connections", "global"), ("system", "x", "session")],
        ),
        ("SET CHARACTER SET utf8", [("charset", "charset", "session")]),
        ("SET TRANSACTION READ ONLY", [("transaction", "transaction", "next")]),
        ("SET @`odd name` := CONCAT('a', ',', 'b')", [("user", "odd name", "session")]),
        ("SET @a = (SELECT COUNT(*) FROM t WHERE x IN (1, 2))", [("user", "a", "session")]),
    ],
)
def test_parse_set(sql: str, expected: list[tuple[str, str, str]]) -> None:
    assert [(a.kind, a.name, a.scope) for a in parse_set(list(tokens(sql)))] == expected


def test_client_text_drops_a_leading_comment_the_server_would_misread() -> None:
    assert client_text("--create the table\nCREATE TABLE t (id INT)") == "CREATE TABLE t (id INT)"
    assert client_text("-- fine\nSELECT 1") == "-- fine\nSELECT 1"
    assert client_text("--x\n/*!40101 SET NAMES utf8 */") == "/*!40101 SET NAMES utf8 */"
    assert client_text("--x\nSELECT 1", Server("postgresql")) == "--x\nSELECT 1"
    # pg_dump 15.14+ writes psql's key lines; the splitter reads them as comments, psql keeps them
    assert client_text("--\n\\restrict k3Y\n\nSET x = 1", Server("postgresql")) == "--\n\nSET x = 1"
    assert client_text("SELECT $$\n\\restrict k$$", Server("postgresql")) == "SELECT $$\n\\restrict k$$"
