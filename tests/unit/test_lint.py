"""Lint rules and policies on hand-written migrations in every dialect."""

from __future__ import annotations

import pytest

from flywayx.model.lint import Finding, LintPolicy, LintTarget, Severity, is_maintenance, is_minor_zero
from flywayx.model.version import Version
from flywayx.plan.lint import lint
from flywayx.statements.analyze import analyze_migration
from flywayx.statements.splitter import split


def target(sql: str, dialect: str = "mysql", version: str = "4.6.0.1", path: str = "V.sql") -> LintTarget:
    stmts = split(sql, dialect)
    parts, _ = analyze_migration(stmts, dialect)
    return LintTarget(path=path, version=Version.parse(version), statements=tuple(stmts), footprints=tuple(parts))


def rules(sql: str, dialect: str = "mysql", version: str = "4.6.0.1", **policy: object) -> set[str]:
    return {f.rule for f in lint([target(sql, dialect, version)], LintPolicy(**policy))}  # type: ignore[arg-type]


@pytest.mark.parametrize("dialect", ["mysql", "mariadb", "postgresql", "sqlite"])
@pytest.mark.parametrize("sql", ["DROP TABLE users;", "ALTER TABLE users DROP COLUMN email;"])
def test_destructive(dialect: str, sql: str) -> None:
    assert "destructive" in rules(sql, dialect)


@pytest.mark.parametrize("dialect", ["mysql", "postgresql", "sqlite"])
def test_rename_is_backward_incompatible(dialect: str) -> None:
    assert "backward-incompatible" in rules("ALTER TABLE users RENAME COLUMN a TO b;", dialect)


@pytest.mark.parametrize(
    ("sql", "dialect"),
    [
        ("ALTER TABLE t MODIFY c INT NOT NULL;", "mysql"),
        ("ALTER TABLE t ADD COLUMN c INT NOT NULL;", "mariadb"),
        ("ALTER TABLE t ALTER COLUMN c SET NOT NULL;", "postgresql"),
    ],
)
def test_not_null_without_default(sql: str, dialect: str) -> None:
    assert "not-null-without-default" in rules(sql, dialect)


def test_not_null_with_default_is_fine() -> None:
    assert "not-null-without-default" not in rules("ALTER TABLE t ADD COLUMN c INT NOT NULL DEFAULT 0;")


def test_type_narrowing_known_and_unknown() -> None:
    assert "type-narrowing" in rules("ALTER TABLE t CHANGE a a VARCHAR(10);")
    known = "CREATE TABLE t (a VARCHAR(64));\nALTER TABLE t MODIFY a VARCHAR(255);"
    assert "type-narrowing" not in rules(known)
    assert "type-narrowing" in rules("CREATE TABLE t (a BIGINT);\nALTER TABLE t MODIFY a INT;")


@pytest.mark.parametrize(
    ("sql", "dialect"),
    [
        ("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES p (id);", "mariadb"),
        ("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES p (id) NOT VALID;", "postgresql"),
        ("CREATE UNIQUE INDEX u ON t (a);", "postgresql"),
        ("ALTER TABLE t ADD UNIQUE KEY u (a);", "mysql"),
        ("ALTER TABLE t ADD CONSTRAINT ck CHECK (a > 0);", "mariadb"),
    ],
)
def test_constraint_tightening_says_contract_and_how(sql: str, dialect: str) -> None:
    found = [f for f in lint([target(sql, dialect)]) if f.rule == "constraint-tightening"]
    assert len(found) == 1
    assert "NOT VALID" in found[0].fix and "contract" in found[0].fix


def test_a_constraint_on_a_table_the_migration_creates_is_not_a_tightening() -> None:
    sql = "CREATE TABLE t (a INT);\nALTER TABLE t ADD CONSTRAINT u UNIQUE (a);"
    assert "constraint-tightening" not in rules(sql, "postgresql")
    assert "mixed-phase-migration" not in rules(sql, "postgresql")


@pytest.mark.parametrize(
    ("sql", "dialect"),
    [
        ("REVOKE INSERT ON t FROM app;", "postgresql"),
        ("ALTER TABLE t DISABLE TRIGGER trg;", "postgresql"),
        ("ALTER TABLE t ENABLE ROW LEVEL SECURITY;", "postgresql"),
    ],
)
def test_behaviour_changes_are_backward_incompatible(sql: str, dialect: str) -> None:
    assert "backward-incompatible" in rules(sql, dialect)


def test_truncate_is_destructive_contract() -> None:
    assert {"destructive"} <= rules("TRUNCATE TABLE sessions;")


def test_blocking_ddl_mysql_copy_and_pg_index() -> None:
    assert "blocking-ddl" in rules("ALTER TABLE t ENGINE=MyISAM;")
    assert "blocking-ddl" not in rules("ALTER TABLE t ADD INDEX i (a);")
    assert "blocking-ddl" in rules("CREATE INDEX i ON t (a);", "postgresql")
    assert "blocking-ddl" not in rules("CREATE INDEX CONCURRENTLY i ON t (a);", "postgresql")
    assert "blocking-ddl" in rules("ALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid();", "postgresql")


def test_index_on_a_table_created_in_the_same_migration_does_not_block() -> None:
    assert "blocking-ddl" not in rules("CREATE TABLE t (a int);\nCREATE INDEX i ON t (a);", "postgresql")


def test_unknown_statement_and_its_directive_fix() -> None:
    assert "unknown-statement" in rules("CALL refresh_everything();")
    assert "unknown-statement" not in rules("-- flywayx:writes stats.total\nCALL refresh_everything();")


def test_data_in_expand_and_mixed_phase() -> None:
    assert "data-in-expand" in rules("ALTER TABLE t ADD COLUMN c INT;\nUPDATE t SET c = 1;")
    assert "mixed-phase-migration" in rules("ALTER TABLE t ADD COLUMN c INT;\nALTER TABLE t DROP COLUMN d;")
    assert "mixed-phase-migration" not in rules("ALTER TABLE t DROP COLUMN d;")


def test_lookalikes_raise_nothing() -> None:
    assert (
        rules(
            "ALTER TABLE t ADD COLUMN drop_x INT NULL;\nSELECT 'DROP TABLE t';\n-- DELETE FROM t\n"
            "CREATE INDEX i_tmp ON t2 (a);\nDROP INDEX i_tmp ON t2;"
        )
        == set()
    )


def test_contract_in_a_maintenance_release_is_an_error() -> None:
    findings = lint([target("ALTER TABLE t DROP COLUMN d;", version="4.5.3.1")])
    policy = [f for f in findings if f.rule == "release-policy"]
    assert policy and policy[0].severity == Severity.ERROR and "4.5.3" in policy[0].message
    assert LintPolicy().fails(findings)
    assert "release-policy" not in rules(
        "ALTER TABLE t DROP COLUMN d;", version="4.5.3.1", maintenance_expand_only=False
    )
    assert "release-policy" not in rules("ALTER TABLE t DROP COLUMN d;", version="4.6.0.1")


def test_contract_only_in_minor_zero() -> None:
    sql = "ALTER TABLE t DROP COLUMN d;"
    assert "release-policy" in rules(sql, version="4.6.0.1", contract_only_in_minor_zero=True)
    assert "release-policy" not in rules(sql, version="5.0.0.1", contract_only_in_minor_zero=True)


def test_release_kinds() -> None:
    assert [is_maintenance(Version.parse(v)) for v in ("4.5.3", "4.9.3.0", "4.17.0.1", "4.6.0", "4.10.0.0")] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert is_minor_zero(Version.parse("5.0.0")) and not is_minor_zero(Version.parse("4.6.0"))


def test_findings_carry_statement_line_and_fix() -> None:
    [f] = [f for f in lint([target("SELECT 1;\n\nDROP TABLE users;", path="V1__x.sql")]) if f.rule == "destructive"]
    assert isinstance(f, Finding)
    assert (f.path, f.line, f.statement) == ("V1__x.sql", 3, "DROP TABLE users")
    assert f.fix and "users" in f.message


def test_policy_can_disable_and_reweight_rules() -> None:
    sql = "DROP TABLE users;"
    assert "destructive" not in rules(sql, disabled=frozenset({"destructive"}))
    [f] = lint([target(sql)], LintPolicy(severity=(("destructive", Severity.ERROR),)))
    assert f.severity == Severity.ERROR
    assert not LintPolicy().fails(lint([target(sql)]))


def test_output_is_sorted_and_deterministic() -> None:
    a = target("DROP TABLE b;\nDROP TABLE a;", path="V2.sql")
    b = target("ALTER TABLE x RENAME TO y;", path="V1.sql")
    first, second = lint([a, b]), lint([b, a])
    assert first == second and [f.path for f in first] == sorted(f.path for f in first)
