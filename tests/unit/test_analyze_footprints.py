"""Footprints of single statements and migrations: objects, idempotency, directives, look-alikes."""

from __future__ import annotations

import pytest

from flywayx.model.footprint import Phase, shared_objects
from flywayx.model.migration import Statement
from flywayx.statements.analyze import analyze_migration, analyze_statement, make_context
from flywayx.statements.splitter import split


def fp(sql: str, dialect: str = "mysql", server: str | None = None):  # type: ignore[no-untyped-def]
    return analyze_statement(Statement(1, sql), dialect, server_version=server)


def test_add_column_writes_the_column_only() -> None:
    f = fp("ALTER TABLE `cloud`.`host` ADD COLUMN `arch` varchar(8) DEFAULT 'x86_64'")
    assert f.writes == {"column:cloud.host.arch"} and f.phase == Phase.EXPAND


def test_column_named_like_a_keyword_is_not_a_drop() -> None:
    f = fp("ALTER TABLE t ADD COLUMN drop_x INT")
    assert f.phase == Phase.EXPAND and not any(n.startswith("drop") for n in f.notes)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 'DROP TABLE users'",
        "-- DELETE FROM users\nSELECT 1",
        "INSERT INTO log (msg) VALUES ('DELETE FROM t; DROP TABLE t')",
    ],
)
def test_destructive_text_in_strings_and_comments_is_not_destructive(sql: str) -> None:
    f = fp(sql)
    assert f.phase == Phase.EXPAND and "rows:users" not in f.writes and "table:t" not in f.writes


@pytest.mark.parametrize(
    ("sql", "note"),
    [
        ("ALTER TABLE t CHANGE a a VARCHAR(10)", "type-change: t.a"),
        ("ALTER TABLE t MODIFY c INT NOT NULL", "not-null: t.c"),
    ],
)
def test_harmless_looking_changes_are_contract(sql: str, note: str) -> None:
    f = fp(sql)
    assert f.phase == Phase.CONTRACT and any(n.startswith(note) for n in f.notes)


def test_known_previous_type_tells_widening_from_narrowing() -> None:
    stmts = split(
        "CREATE TABLE t (a VARCHAR(64), n INT);\nALTER TABLE t MODIFY a VARCHAR(255);\n"
        "ALTER TABLE t MODIFY n BIGINT;\nALTER TABLE t MODIFY a VARCHAR(10);",
        "mysql",
    )
    parts, total = analyze_migration(stmts, "mysql")
    assert [p.phase for p in parts] == [Phase.EXPAND, Phase.EXPAND, Phase.EXPAND, Phase.CONTRACT]
    assert any(n.startswith("narrowing: t.a varchar(255) -> varchar(10)") for n in parts[3].notes)
    assert total.phase == Phase.CONTRACT


def test_multi_table_update_writes_set_columns_and_reads_the_join() -> None:
    f = fp("UPDATE t1 JOIN t2 ON t1.a = t2.a SET t1.b = t2.c WHERE t2.d > 1")
    assert f.writes == {"rows:t1", "column:t1.b"}
    assert {"rows:t2", "column:t2.c", "column:t2.d"} <= f.reads


def test_insert_select_is_data_and_reads_its_sources() -> None:
    f = fp("INSERT INTO t (a) SELECT x FROM u JOIN v ON u.id = v.id")
    assert f.phase == Phase.DATA and f.writes == {"append:t"} and {"rows:u", "rows:v"} <= f.reads


@pytest.mark.parametrize(
    ("sql", "dialect"),
    [
        ("CREATE TABLE IF NOT EXISTS t (a INT)", "mysql"),
        ("DROP TABLE IF EXISTS t", "postgresql"),
        ("CREATE OR REPLACE VIEW v AS SELECT 1", "mariadb"),
        ("INSERT IGNORE INTO t VALUES (1)", "mysql"),
        ("INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = 1", "mysql"),
        ("REPLACE INTO t VALUES (1)", "mysql"),
        ("INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING", "postgresql"),
        ("INSERT OR IGNORE INTO t VALUES (1)", "sqlite"),
        ("CREATE INDEX IF NOT EXISTS i ON t (a)", "sqlite"),
        ("ALTER TABLE t ADD COLUMN IF NOT EXISTS a INT", "postgresql"),
    ],
)
def test_idempotent_forms(sql: str, dialect: str) -> None:
    assert fp(sql, dialect).idempotent


@pytest.mark.parametrize("sql", ["CREATE TABLE t (a INT)", "INSERT INTO t VALUES (1)", "DROP TABLE t"])
def test_plain_forms_are_not_idempotent(sql: str) -> None:
    assert not fp(sql).idempotent


def test_call_reads_the_routine_and_is_unknown_without_directives() -> None:
    f = fp("CALL `cloud`.`IDEMPOTENT_ADD_COLUMN`('cloud.host', 'arch', 'VARCHAR(8)')")
    assert f.reads == {"routine:cloud.idempotent_add_column"} and f.unknown and f.phase == Phase.UNKNOWN


def test_writes_directive_declares_what_a_call_touches() -> None:
    f = fp("-- flywayx:writes host.arch, vm_instance\n-- flywayx:reads rows:zone\nCALL add_arch()")
    assert not f.unknown
    assert f.writes == {"column:host.arch", "table:vm_instance"}
    assert f.reads == {"routine:add_arch", "rows:zone"}


def test_phase_directive_overrides_and_records_the_reason() -> None:
    f = fp("-- flywayx:phase=expand column unused since 4.2\nALTER TABLE t DROP COLUMN legacy")
    assert f.phase == Phase.EXPAND and "phase-override: column unused since 4.2" in f.notes


def test_unknown_statement_writes_everything() -> None:
    f = fp("HANDLER t OPEN")
    assert f.phase == Phase.UNKNOWN and f.writes == {"*"}


def test_session_statements_have_empty_footprints() -> None:
    for sql in ("SET NAMES utf8", "USE cloud", "SELECT 1", "SET @a = 1", "COMMIT"):
        f = fp(sql)
        assert (f.phase, f.reads, f.writes) == (Phase.EXPAND, frozenset(), frozenset()), sql


def test_foreign_key_checks_off_makes_fk_add_inplace_in_a_migration() -> None:
    stmts = split(
        "SET foreign_key_checks = 0;\nALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (b) "
        "REFERENCES b (id);\nSET foreign_key_checks = 1;",
        "mysql",
    )
    parts, _ = analyze_migration(stmts, "mysql")
    assert parts[1].lock == "INPLACE"
    assert fp("ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (b) REFERENCES b (id)").lock == "COPY"


def test_drop_of_object_created_in_the_same_migration_is_not_contract() -> None:
    stmts = split("CREATE INDEX i_tmp ON t (a);\nDROP INDEX IF EXISTS i_tmp;", "postgresql")
    parts, total = analyze_migration(stmts, "postgresql")
    assert parts[1].phase == Phase.EXPAND and total.phase == Phase.EXPAND


def test_view_dropped_and_recreated_is_expand_but_table_is_not() -> None:
    _, view = analyze_migration(split("DROP VIEW IF EXISTS v;\nCREATE VIEW v AS SELECT * FROM t;", "mysql"), "mysql")
    _, table = analyze_migration(split("DROP TABLE IF EXISTS t;\nCREATE TABLE t (a INT);", "mysql"), "mysql")
    assert view.phase == Phase.EXPAND and table.phase == Phase.CONTRACT


def test_pg_drop_index_without_table_conflicts_with_its_creation() -> None:
    create = fp("CREATE INDEX idx ON t (a)", "postgresql")
    drop = fp("DROP INDEX idx", "postgresql")
    assert shared_objects(create, drop) != ()


def test_view_conflicts_with_dropping_a_column_it_reads() -> None:
    view = fp("CREATE VIEW v AS SELECT a FROM t")
    assert shared_objects(view, fp("ALTER TABLE t DROP COLUMN a")) != ()
    assert shared_objects(view, fp("ALTER TABLE u ADD COLUMN a INT")) == ()


def test_independent_changes_commute() -> None:
    assert shared_objects(fp("ALTER TABLE a ADD COLUMN x INT"), fp("ALTER TABLE b ADD COLUMN y INT")) == ()
    assert shared_objects(fp("INSERT INTO t VALUES (1)"), fp("INSERT INTO t VALUES (2)")) == ()


def test_update_conflicts_with_dropping_a_column_in_its_where_clause() -> None:
    assert shared_objects(fp("UPDATE t SET a = 1 WHERE b = 2"), fp("ALTER TABLE t DROP COLUMN b")) != ()


def test_server_version_changes_the_algorithm() -> None:
    assert fp("ALTER TABLE t ADD COLUMN c INT", "mariadb", "10.2.44-MariaDB").lock == "INPLACE"
    assert fp("ALTER TABLE t ADD COLUMN c INT", "mysql", "10.6.12-MariaDB").lock == "INSTANT"
    assert make_context("mysql", "10.6.12-MariaDB-log").mariadb


def test_pg_before_11_rewrites_for_any_default() -> None:
    f = fp("ALTER TABLE t ADD COLUMN c INT DEFAULT 0", "postgresql", "10.21")
    assert "rewrite: t" in f.notes
    assert "rewrite: t" not in fp("ALTER TABLE t ADD COLUMN c INT DEFAULT 0", "postgresql", "15.4").notes


def test_statements_never_raise() -> None:
    for sql in (
        "",
        "(",
        "ALTER",
        "ALTER TABLE",
        "INSERT INTO",
        "UPDATE SET",
        "DELETE",
        "CREATE INDEX ON",
        "'unterminated",
        "DROP",
        "WITH x AS (",
        "CALL",
        "/*! broken",
    ):
        for dialect in ("mysql", "postgresql", "sqlite"):
            analyze_statement(Statement(1, sql), dialect)
