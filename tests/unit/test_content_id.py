"""Content ids: layout and comments do not count, meaning does."""

from __future__ import annotations

from pathlib import Path

import pytest

from flywayx.errors import ChecksumError
from flywayx.statements.content_id import content_id, content_id_of_python
from flywayx.statements.splitter import split

BASE = "CREATE TABLE t (id INT, name VARCHAR(10));\nINSERT INTO t VALUES (1, 'a b');\n"


def cid(text: str, dialect: str = "mariadb") -> str:
    return content_id(split(text, dialect), dialect)


def test_id_is_a_sha256_hex() -> None:
    value = cid(BASE)
    assert len(value) == 64 and int(value, 16) >= 0


@pytest.mark.parametrize(
    "variant",
    [
        "-- header comment\ncreate table t (\n  id int,\n  name varchar(10)\n);\n\n"
        "insert into t values (1,'a b'); -- trailing",
        "/* block */ CREATE   TABLE t(id INT,name VARCHAR(10));INSERT INTO t VALUES(1,'a b');",
        "# hash comment\nCREATE TABLE t (id INT, name VARCHAR(10));\nINSERT INTO t VALUES (1, 'a b');",
    ],
)
def test_reformatting_and_comments_keep_the_id(variant: str) -> None:
    assert cid(variant) == cid(BASE)


@pytest.mark.parametrize(
    "variant",
    [
        BASE.replace("'a b'", "'a  b'"),  # whitespace inside a string is data
        BASE.replace("'a b'", "'A b'"),
        BASE.replace("VARCHAR(10)", "VARCHAR(11)"),
        BASE.replace("name", "nom"),
        BASE.replace("(1,", "(2,"),
        "INSERT INTO t VALUES (1, 'a b');\nCREATE TABLE t (id INT, name VARCHAR(10));",  # order matters
        BASE + "DELETE FROM t;",
    ],
)
def test_semantic_changes_alter_the_id(variant: str) -> None:
    assert cid(variant) != cid(BASE)


def test_mysql_table_name_case_matters_but_keyword_case_does_not() -> None:
    assert cid("select * from T;") == cid("SELECT * FROM T;")
    assert cid("SELECT * FROM T;") != cid("SELECT * FROM t;")


def test_postgres_folds_unquoted_identifiers_but_not_quoted_ones() -> None:
    assert cid("SELECT * FROM Accounts;", "postgresql") == cid("select * from accounts;", "postgresql")
    assert cid('SELECT * FROM "Accounts";', "postgresql") != cid('SELECT * FROM "accounts";', "postgresql")


def test_backtick_identifiers_are_kept_exactly() -> None:
    assert cid("SELECT `Name` FROM t;") != cid("SELECT `name` FROM t;")


def test_versioned_comment_is_content() -> None:
    assert cid("/*!40101 SET NAMES utf8 */;") != cid("/*!40101 SET NAMES latin1 */;")


def test_statement_boundaries_count() -> None:
    assert cid("SELECT 1; SELECT 2;") != cid("SELECT 1, 2;")


def test_python_id_ignores_comments_and_layout() -> None:
    a = "def migrate(conn):\n    conn.execute('UPDATE t SET a = 1')\n"
    b = "# a comment\n\ndef migrate(conn):  # why\n    conn.execute(\n        'UPDATE t SET a = 1'\n    )\n"
    c = "def migrate(conn):\n    conn.execute('UPDATE t SET a = 2')\n"
    assert content_id_of_python(a) == content_id_of_python(b) != content_id_of_python(c)


def test_python_syntax_error_is_a_typed_error() -> None:
    with pytest.raises(ChecksumError, match="line 1"):
        content_id_of_python("def migrate(:\n")


# Ids are stored in flywayx_applied and compared with later runs' ids: the same text must keep its
# id across flywayx versions. These values were computed by the token-based implementation.
TRICKY = (
    "create table `Mixed` (x int) -- c\n;\nselect \"q\" , E'\\\\n' , $$ body $$ from Foo where y = ?; /*! 50001 hint */"
)
PINNED = [
    (BASE, "mariadb", "7ed1763823c499629b8c026bfbe010a081bd1b5de9d26fcdfb0bcbe734b5b54a"),
    (BASE, "postgresql", "70b6f7ab1be5b4be7db5477960406531062d1d7780d3eae744611c52dbb7d188"),
    (TRICKY, "mariadb", "76b83db41921777e89cd18974dea4a980bc29cabdb839e67e902b68f8affcb22"),
    (TRICKY, "postgresql", "80f8c690539501f5849286503858d4519152316a14af6517f6e737f0274d8dea"),
    (TRICKY, "sqlite", "96df0ee818e544d391206a610ce4685a8775f5e6f1c43e389c48bfcd33c8dd3b"),
]


@pytest.mark.parametrize(("text", "dialect", "expected"), PINNED)
def test_ids_do_not_change_between_versions(text: str, dialect: str, expected: str) -> None:
    assert cid(text, dialect) == expected


def test_normalisation_is_the_analysers_token_stream(acs_corpus: Path) -> None:
    """The content id lexes without building tokens, or folds the analyser's tokens when it has just
    made them (``lexed``, as ``explain`` does): both must give the same text."""
    from flywayx.statements.content_id import normalized_statement

    files = sorted(acs_corpus.rglob("*.sql"))
    assert len(files) > 100
    checked = 0
    for path in files:
        for stmt in split(path.read_text(encoding="utf-8", errors="replace"), "mariadb"):
            for dialect in ("mariadb", "postgresql"):
                assert normalized_statement(stmt.sql, dialect) == normalized_statement(stmt.sql, dialect, lexed=True), (
                    path.name
                )
            checked += 1
    assert checked > 5000
