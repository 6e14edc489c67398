"""The Galera rules on statements alone (the cluster tests check the same rules against a real cluster)."""

from __future__ import annotations

from flywayx.model.migration import Statement
from flywayx.plan.galera import GaleraFacts, galera_findings, rsu_refusal


def _rules(*sql: str, facts: GaleraFacts | None = None) -> list[tuple[str, int]]:
    statements = [Statement(i + 1, s) for i, s in enumerate(sql)]
    return [(f.rule, f.line) for f in galera_findings([("V1__x.sql", statements)], facts)]


def test_words_inside_strings_and_comments_are_not_statements() -> None:
    assert _rules("INSERT INTO t (s) VALUES ('LOCK TABLES x WRITE')", "/* LOCK TABLES */ SELECT 1") == []


def test_temporary_tables_like_copies_and_keyed_create_select_are_fine() -> None:
    assert (
        _rules(
            "CREATE TEMPORARY TABLE tmp (a INT) ENGINE=MEMORY",
            "CREATE TABLE c LIKE t",
            "CREATE TABLE k (id INT, PRIMARY KEY (id)) SELECT id FROM t",
        )
        == []
    )


def test_create_select_without_key_and_tables_without_key() -> None:
    assert _rules("CREATE TABLE c AS SELECT * FROM t", "CREATE TABLE n (a INT)") == [
        ("galera-create-select", 1),
        ("galera-no-primary-key", 2),
    ]


def test_live_engines_and_row_counts_come_from_the_node() -> None:
    facts = GaleraFacts(
        engines={"old": "Aria", "big": "InnoDB"}, rows={"big": 5000}, row_bytes={"big": 100}, max_ws_rows=1000
    )
    assert _rules("UPDATE old SET a = 1", "DELETE FROM big", "UPDATE big SET a = 1 WHERE id = 3", facts=facts) == [
        ("galera-large-transaction", 1),
        ("galera-non-innodb", 1),
    ]  # the set starts at 1


def test_ddl_ends_a_write_set_and_the_marker_silences_a_statement() -> None:
    facts = GaleraFacts(max_ws_rows=3)
    assert (
        _rules("INSERT INTO t VALUES (1), (2)", "CREATE INDEX i ON t (a)", "INSERT INTO t VALUES (3), (4)", facts=facts)
        == []
    )
    assert _rules("INSERT INTO t VALUES (1), (2)", "INSERT INTO t VALUES (3), (4)", facts=facts) == [
        ("galera-large-transaction", 1)
    ]
    assert _rules("LOCK TABLES t WRITE -- flywayx:galera-ok") == []


def _rsu(*sql: str) -> str | None:
    return rsu_refusal([Statement(i + 1, s) for i, s in enumerate(sql)])


def test_rolling_upgrade_takes_only_changes_the_old_schema_rows_fit() -> None:
    assert (
        _rsu(
            "CREATE TABLE n (id INT PRIMARY KEY)",
            "CREATE INDEX i ON t (a)",
            "CREATE VIEW v AS SELECT 1",
            "ALTER TABLE t ADD COLUMN c INT NULL, ADD INDEX ic (c), ALGORITHM=INPLACE",
        )
        is None
    )
    refusals = {
        "UPDATE t SET a = 1": "not a schema change",
        "ALTER TABLE t ADD COLUMN c INT FIRST": "FIRST/AFTER",
        "CREATE UNIQUE INDEX u ON t (a)": "unique index",
        "ALTER TABLE t ADD COLUMN c INT UNIQUE": "key or constraint",
        "ALTER TABLE t MODIFY a BIGINT": "changes existing columns",
        "CREATE TABLE c AS SELECT * FROM t": "copies rows",
    }
    for sql, why in refusals.items():
        got = _rsu("CREATE INDEX ok ON t (b)", sql)
        assert got is not None and got.startswith("line 2 (") and why in got, (sql, got)


def test_a_column_named_like_the_engine_option_is_not_an_engine() -> None:
    # CloudStack's schema-40to410.sql: "add column engine_state varchar(32) ... COMMENT 'the engine state'"
    assert (
        _rules(
            "ALTER TABLE data_center ADD COLUMN engine_state VARCHAR(32) NOT NULL DEFAULT 'Disabled'",
            "UPDATE data_center SET engine_state = 'Enabled'",
            "CREATE TABLE e (engine INT PRIMARY KEY)",
        )
        == []
    )


def test_with_the_shared_classifier_table_locks_and_skipped_comments_are_the_servers_view() -> None:
    from flywayx.service.cluster import classifier

    statements = [
        Statement(1, "FLUSH TABLES WITH READ LOCK"),
        Statement(2, "UNLOCK TABLES"),
        Statement(3, "/*!99999 LOCK TABLES t WRITE */"),
        Statement(4, "BEGIN"),
        Statement(5, "/*M!100100 LOCK TABLES t WRITE */"),
    ]
    found = galera_findings([("V1__x.sql", statements)], classify=classifier("mariadb", "10.11.19-MariaDB"))
    assert [(f.rule, f.line) for f in found] == [
        ("galera-lock-tables", 1),
        ("galera-lock-tables", 2),
        ("galera-lock-tables", 5),
    ]
