"""Content ids: layout and comments do not count, meaning does."""

from __future__ import annotations

import pytest

from flywayx.errors import ChecksumError
from flywayx.sources.content_id import content_id, content_id_of_python
from flywayx.sources.splitter import split

BASE = "CREATE TABLE t (id INT, name VARCHAR(10));\nINSERT INTO t VALUES (1, 'a b');\n"


def cid(text: str, dialect: str = "mariadb") -> str:
    return content_id(split(text, dialect), dialect)


def test_id_is_a_sha256_hex() -> None:
    value = cid(BASE)
    assert len(value) == 64 and int(value, 16) >= 0


@pytest.mark.parametrize("variant", [
    "-- header comment\ncreate table t (\n  id int,\n  name varchar(10)\n);\n\n"
    "insert into t values (1,'a b'); -- trailing",
    "/* block */ CREATE   TABLE t(id INT,name VARCHAR(10));INSERT INTO t VALUES(1,'a b');",
    "# hash comment\nCREATE TABLE t (id INT, name VARCHAR(10));\nINSERT INTO t VALUES (1, 'a b');",
])
def test_reformatting_and_comments_keep_the_id(variant: str) -> None:
    assert cid(variant) == cid(BASE)


@pytest.mark.parametrize("variant", [
    BASE.replace("'a b'", "'a  b'"),  # whitespace inside a string is data
    BASE.replace("'a b'", "'A b'"),
    BASE.replace("VARCHAR(10)", "VARCHAR(11)"),
    BASE.replace("name", "nom"),
    BASE.replace("(1,", "(2,"),
    "INSERT INTO t VALUES (1, 'a b');\nCREATE TABLE t (id INT, name VARCHAR(10));",  # order matters
    BASE + "DELETE FROM t;",
])
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
