"""Statement splitting as Flyway 13 does it (flyway-semantics.md §9), beyond the golden vectors."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flywayx.errors import ParseError
from flywayx.statements.split_engine import Engine
from flywayx.statements.splitter import CopyStatement, split

MYSQLS = ["mysql", "mariadb"]
ALL = ["mysql", "mariadb", "postgresql", "sqlite"]


def sqls(text: str, dialect: str = "mariadb") -> list[str]:
    return [s.sql for s in split(text, dialect)]


@pytest.mark.parametrize("dialect", MYSQLS)
def test_bare_delimiter_column_is_misread_like_flyway(dialect: str) -> None:
    with pytest.raises(ParseError) as info:
        split("SELECT 1;\nSELECT delimiter FROM t;\n", dialect, path="V2__x.sql")
    assert info.value.message.startswith("Unable to parse statement in V2__x.sql at line 2 col 1.")
    assert "Delimiter changed inside statement at line 2 col 1: SELECT " in info.value.message
    assert [s.sql for s in info.value.details["statements"]] == ["SELECT 1"]


def test_delimiter_stays_in_force_and_can_be_hash() -> None:
    got = split("DELIMITER #\nSELECT 1#\nSELECT '#'#\n", "mysql")
    assert [(s.sql, s.delimiter, s.line) for s in got] == [("SELECT 1", "#", 2), ("SELECT '#'", "#", 3)]


def test_delimiter_on_the_next_line_and_missing_delimiter() -> None:
    assert sqls("DELIMITER\n\n//\nSELECT 1//") == ["SELECT 1"]
    with pytest.raises(ParseError, match="DELIMITER without a delimiter"):
        split("SELECT 1;\nDELIMITER   \n", "mysql")


def test_versioned_comments_the_server_runs_are_statements() -> None:
    """Flyway sends ``/*!`` + 5 digits and discards the other executable comments; the server runs them
    all (MariaDB: ``/*M!``), so flywayx sends them as the client does."""
    assert sqls(
        "/*!40101 SET NAMES utf8 */;\n/*!4010 SET x */;\n/*! y */;\n/*M!100100 SET z */;\n/* plain */;\nSELECT 1;"
    ) == [
        "/*!40101 SET NAMES utf8 */",
        "/*!4010 SET x */",
        "/*! y */",
        "/*M!100100 SET z */",
        "SELECT 1",
    ]
    assert sqls("/*M!100100 SET z */;", "postgresql") == []


def test_nested_comments_and_comments_kept_before_a_statement() -> None:
    text = "/* a /* b; */ still; */ SELECT 1; -- tail;\n# x;\nSELECT 2;\n-- only a comment\n"
    assert sqls(text) == ["/* a /* b; */ still; */ SELECT 1", "-- tail;\n# x;\nSELECT 2"]


def test_dash_dash_needs_no_space_and_hash_is_mysql_only() -> None:
    assert sqls("--;\nSELECT 1;") == ["--;\nSELECT 1"]
    assert sqls("SELECT 1 # c;\n;", "postgresql") == ["SELECT 1 # c"]
    assert sqls("SELECT 1 # c;\n;", "mysql") == ["SELECT 1 # c;"]


def test_strings_escapes_and_quoted_identifiers_hide_semicolons() -> None:
    text = "SELECT 'a\\';b', 'c'';d', \"e\\\";f\", `g;``h`;SELECT 2;"
    assert sqls(text) == ["SELECT 'a\\';b', 'c'';d', \"e\\\";f\", `g;``h`", "SELECT 2"]


def test_postgresql_has_no_backslash_escape_but_e_strings_do() -> None:
    assert sqls("SELECT 'a\\';SELECT E'b\\';c';", "postgresql") == ["SELECT 'a\\'", "SELECT E'b\\';c'"]


def test_postgresql_dollar_quotes() -> None:
    text = "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $x$ $body$ LANGUAGE sql;\nDO $$ BEGIN; END $$;"
    got = split(text, "postgresql")
    assert [s.sql for s in got] == [text.split("\n")[0][:-1], "DO $$ BEGIN; END $$"]
    assert [s.line for s in got] == [1, 2]


def test_postgresql_alter_type_add_value_depends_on_version() -> None:
    text = "ALTER TYPE mood ADD VALUE 'meh';"
    assert split(text, "postgresql", db_version="11.4")[0].transactional is False
    assert split(text, "postgresql", db_version="12")[0].transactional is True


def test_postgresql_copy_data() -> None:
    got = split("COPY t FROM STDIN;\na\n\\.\nSELECT 1;", "postgresql")
    assert isinstance(got[0], CopyStatement)
    assert got[0].copy_data == "a\n"
    assert got[1].line == 4
    with pytest.raises(ParseError, match="not terminated"):
        split("COPY t FROM STDIN;\na\n", "postgresql")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Flyway's stored-program regex misses these, so their bodies split at each ';'
        (
            "CREATE OR REPLACE PROCEDURE p() BEGIN SELECT 1; END;",
            ["CREATE OR REPLACE PROCEDURE p() BEGIN SELECT 1", "END"],
        ),
        ("CREATE DEFINER=root@localhost PROCEDURE p() BEGIN SELECT 1; END;", None),
        # TRIGGER is recognised only directly after CREATE
        (
            "CREATE DEFINER = `u`@`%` TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET @a = 1; END;",
            ["CREATE DEFINER = `u`@`%` TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET @a = 1", "END"],
        ),
        ("CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET @a = 1; END;", None),
        ("CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN SELECT 1; SELECT 2; END;", None),
    ],
)
def test_stored_program_detection(text: str, expected: list[str] | None) -> None:
    assert sqls(text, "mysql") == (expected if expected is not None else [text[:-1]])


def test_nested_blocks_if_loop_case_in_a_procedure() -> None:
    body = (
        "CREATE PROCEDURE p()\nBEGIN\n  IF 1 THEN BEGIN SELECT 1; END; END IF;\n"
        "  CASE WHEN 1 THEN SELECT 2; END CASE;\nEND;\nSELECT 3;"
    )
    assert sqls(body, "mysql") == [body[: body.index("END;\nSELECT 3") + 3], "SELECT 3"]


def test_mariadb_begin_not_atomic() -> None:
    text = "BEGIN NOT ATOMIC\n  SELECT 1;\n  SELECT 2;\nEND;\nSELECT 3;"
    assert sqls(text, "mariadb") == [text[: text.index(";\nSELECT 3")], "SELECT 3"]


def test_incomplete_block_reports_flyway_position() -> None:
    with pytest.raises(ParseError) as info:
        split("SELECT 1;\n\n  CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET @a = 1;\n", "mysql")
    assert " at line 3 col 3. " in info.value.message
    # the recorded text keeps the blank lines before it: Flyway records them as a token
    assert info.value.message.endswith(
        "Incomplete statement at line 3 col 3: \n\n  CREATE TRIGGER t BEFORE INSERT ON x"
        " FOR EACH ROW BEGIN SET @a = 1;\n"
    )
    assert info.value.details["line"] == 3


def test_sqlite_blocks_and_flyway_s_end_underflow() -> None:
    text = "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT CASE WHEN 1 THEN 2 END; END;\nSELECT 1;"
    assert sqls(text, "sqlite") == [text.split("\n")[0][:-1], "SELECT 1"]
    with pytest.raises(ParseError, match="unable to decrease block depth below 0"):
        split("END TRANSACTION;", "sqlite")


def test_batchable_is_decided_by_the_first_keyword() -> None:
    got = split("insert INTO t VALUES (1);\n(UPDATE t SET a = 1);\nWITH x AS (SELECT 1) DELETE FROM t;", "mysql")
    assert [s.batchable for s in got] == [True, False, False]
    # Flyway drops a leading '(' from the text it records: reproduced
    assert got[1].sql == "UPDATE t SET a = 1)"


def test_last_statement_without_delimiter_and_crlf_lines() -> None:
    got = split("SELECT 1;\r\n\r\nSELECT\r\n 2", "mariadb")
    assert [(s.line, s.sql) for s in got] == [(1, "SELECT 1"), (3, "SELECT\r\n 2")]


def test_bom_and_unknown_dialect() -> None:
    assert sqls("\ufeffSELECT 1;") == ["SELECT 1"]
    with pytest.raises(ParseError, match="Unknown SQL dialect"):
        split("SELECT 1;", "oracle")


# ---- properties -------------------------------------------------------------------------------

FRAGMENTS = [
    *"abcdeEnNdD ;'\"`$#-/*()\\\n\r\t@.0\u00a0",
    "BEGIN",
    "END",
    "CASE",
    "IF",
    "DELIMITER ",
    "ATOMIC",
]
FRAGMENTS += ["NOT", "CREATE PROCEDURE ", "U&'", "/*!12345", "E'", "$a$"]
SQLISH = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(SQLISH, st.text(max_size=40)), dialect=st.sampled_from(ALL))
def test_split_only_ever_raises_parse_error_and_lines_never_go_back(text: str, dialect: str) -> None:
    try:
        got = split(text, dialect)
    except ParseError as err:
        assert err.message.startswith("Unable to parse statement in <script> at line ")
        return
    lines = [s.line for s in got]
    assert lines == sorted(lines)
    assert all(s.sql and s.sql == s.sql.strip("".join(chr(i) for i in range(33))) for s in got)


@settings(max_examples=300, deadline=None)
@given(text=SQLISH, dialect=st.sampled_from(ALL))
def test_fast_path_agrees_with_token_by_token_walk(text: str, dialect: str) -> None:
    def outcome(fast: bool) -> object:
        try:
            return Engine(text, dialect, fast=fast).run()
        except Exception as err:  # compare whatever happens on both paths
            return type(err).__name__, str(err)

    assert outcome(True) == outcome(False)


WORD = st.sampled_from(["SELECT", "a", "t1", "FROM", "WHERE", "x.y", "=", ",", "1", "42", "+", "@v", "INSERT", "INTO"])
STRING = st.text(alphabet=st.sampled_from(list("ab; '\"\\`-#\n")), max_size=8).map(
    lambda s: "'" + s.replace("\\", "\\\\").replace("'", "''") + "'"
)
QUOTED_ID = st.text(alphabet=st.sampled_from(list("ab;` \n")), min_size=1, max_size=6).map(
    lambda s: "`" + s.replace("`", "``") + "`"
)
PIECE = st.one_of(WORD, STRING, QUOTED_ID, st.lists(WORD, max_size=3).map(lambda w: "(" + " ".join(w) + ")"))
STATEMENT = st.tuples(st.sampled_from(["SELECT", "UPDATE", "CALL", "ALTER"]), st.lists(PIECE, max_size=8)).map(
    lambda t: " ".join([t[0], *t[1]])
)


@settings(max_examples=300, deadline=None)
@given(stmts=st.lists(STATEMENT, min_size=1, max_size=6), sep=st.sampled_from([";", ";\n", ";\n\n", " ;\r\n"]))
def test_statements_joined_with_semicolons_are_recovered(stmts: list[str], sep: str) -> None:
    text = sep.join(stmts) + sep
    got = split(text, "mariadb")
    assert [s.sql for s in got] == stmts
    starts, pos = [], 0
    for stmt in stmts:
        starts.append(text.index(stmt, pos))
        pos = starts[-1] + len(stmt)
    assert [s.line for s in got] == [text.count("\n", 0, p) + 1 for p in starts]
