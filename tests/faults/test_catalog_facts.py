"""What ``--resume`` reads from the catalog, checked against the real servers.

For every kind of DDL a killed run may leave in flight, ``apply.ddl_effect`` says which objects the
statement turns around and ``db.catalog`` looks them up. The oracle is the server itself: on a fresh
database, after the setup, every fact must read as its ``before`` state; after the statement has
run, as its ``after`` state. A wrong parse or a wrong catalog query fails here, not in a soak.
"""

from __future__ import annotations

from typing import Any

import pytest

from flywayx.apply.ddl_effect import effect_of
from flywayx.config.urls import parse_url
from flywayx.db import catalog
from flywayx.db.connect import connect

BASE = "CREATE TABLE p (id INT PRIMARY KEY); CREATE TABLE t (id INT NOT NULL, a INT, b INT, pid INT)"
MARIADB_CASES = [
    (BASE, "ALTER TABLE t RENAME COLUMN a TO a2"),
    (BASE, "ALTER TABLE t CHANGE a a3 BIGINT"),
    (BASE, "RENAME TABLE t TO t2"),
    (BASE + "; CREATE TABLE t_new (id INT)", "RENAME TABLE t TO t_old, t_new TO t"),
    (BASE, "ALTER TABLE t RENAME TO t3"),
    (BASE, "ALTER TABLE t ADD COLUMN c INT, ADD COLUMN d INT"),
    (BASE, "ALTER TABLE t ADD (e INT, f INT)"),
    (BASE, "ALTER TABLE t DROP COLUMN b"),
    (BASE, "ALTER TABLE t ADD INDEX i_a (a)"),
    (BASE, "ALTER TABLE t ADD UNIQUE KEY u_b (b)"),
    (BASE, "CREATE INDEX i_b ON t (b)"),
    (BASE + "; CREATE INDEX i_a ON t (a)", "DROP INDEX i_a ON t"),
    (BASE + "; CREATE INDEX i_a ON t (a)", "ALTER TABLE t RENAME INDEX i_a TO i_a2"),
    (BASE, "ALTER TABLE t ADD PRIMARY KEY (id)"),
    ("CREATE TABLE t (id INT PRIMARY KEY)", "ALTER TABLE t DROP PRIMARY KEY"),
    (BASE, "ALTER TABLE t ADD CONSTRAINT fk_t_p FOREIGN KEY (pid) REFERENCES p (id)"),
    (
        BASE + "; ALTER TABLE t ADD CONSTRAINT fk_t_p FOREIGN KEY (pid) REFERENCES p (id)",
        "ALTER TABLE t DROP FOREIGN KEY fk_t_p",
    ),
    (BASE, "ALTER TABLE t ADD CONSTRAINT ck_a CHECK (a > 0)"),
    (BASE + "; ALTER TABLE t ADD CONSTRAINT ck_a CHECK (a > 0)", "ALTER TABLE t DROP CONSTRAINT ck_a"),
    (BASE, "CREATE TABLE n (id INT)"),
    (BASE, "DROP TABLE t, p"),
    (BASE, "CREATE VIEW v AS SELECT id FROM t"),
    (BASE + "; CREATE VIEW v AS SELECT id FROM t", "DROP VIEW v"),
    (BASE, "CREATE PROCEDURE pr() BEGIN SELECT 1; END"),
    ("CREATE PROCEDURE pr() SELECT 1", "DROP PROCEDURE pr"),
    (BASE, "CREATE FUNCTION fn() RETURNS INT RETURN 1"),
    ("CREATE FUNCTION fn() RETURNS INT RETURN 1", "DROP FUNCTION fn"),
    (BASE, "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1"),
    (BASE + "; CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1", "DROP TRIGGER tr"),
    (BASE, "CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DO DELETE FROM t"),
    ("CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DO SELECT 1", "DROP EVENT ev"),
    (BASE, "CREATE SEQUENCE sq"),
    ("CREATE SEQUENCE sq", "DROP SEQUENCE sq"),
]
POSTGRES_CASES = [
    (BASE, "ALTER TABLE t RENAME COLUMN a TO a2"),
    (BASE, "ALTER TABLE t RENAME TO t2"),
    (BASE, "ALTER TABLE t ADD COLUMN c INT, ADD COLUMN d INT"),
    (BASE, "ALTER TABLE t DROP COLUMN b"),
    (BASE, "CREATE INDEX i_b ON t (b)"),
    (BASE + "; CREATE INDEX i_a ON t (a)", "DROP INDEX i_a"),
    (BASE + "; CREATE INDEX i_a ON t (a)", "ALTER INDEX i_a RENAME TO i_a2"),
    (BASE, "ALTER TABLE t ADD PRIMARY KEY (id)"),
    (BASE, "ALTER TABLE t ADD CONSTRAINT fk_t_p FOREIGN KEY (pid) REFERENCES p (id)"),
    (BASE + "; ALTER TABLE t ADD CONSTRAINT ck_a CHECK (a > 0)", "ALTER TABLE t DROP CONSTRAINT ck_a"),
    (BASE, "CREATE VIEW v AS SELECT id FROM t"),
    (BASE, "CREATE FUNCTION fn() RETURNS INT LANGUAGE sql AS 'SELECT 1'"),
    (BASE, "CREATE PROCEDURE pr() LANGUAGE sql AS 'SELECT 1'"),
    (
        BASE + "; CREATE FUNCTION tf() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW;END'",
        "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION tf()",
    ),
    (BASE, "CREATE SEQUENCE sq"),
    (BASE, "DROP TABLE t, p"),
]


def _check(url: str, schema: str, setup: str, sql: str, dialect: str) -> None:
    db: Any = connect(parse_url(url), user=None, password=None)
    try:
        for part in setup.split("; "):
            db.execute(part)
        effect = effect_of(sql, dialect)
        if not effect.facts:  # a redefinition in place: a second run is harmless
            assert effect.repeatable, (sql, effect)
            return
        before = [(f, catalog.has(db, f.kind, f.schema or schema, f.name, f.table)) for f in effect.facts]
        assert all(has == f.before for f, has in before), before
        db.execute(sql)
        after = [(f, catalog.has(db, f.kind, f.schema or schema, f.name, f.table)) for f in effect.facts]
        assert all(has == f.after for f, has in after), after
        assert any(f.before != f.after for f in effect.facts)  # the facts tell the two states apart
    finally:
        db.close()


@pytest.mark.mariadb
@pytest.mark.parametrize(("setup", "sql"), MARIADB_CASES, ids=[c[1][:40] for c in MARIADB_CASES])
def test_mariadb_catalog_tells_before_from_after(mariadb: Any, setup: str, sql: str) -> None:
    _check(mariadb.url, mariadb.name, setup, sql, "mariadb")


@pytest.mark.postgres
@pytest.mark.parametrize(("setup", "sql"), POSTGRES_CASES, ids=[c[1][:40] for c in POSTGRES_CASES])
def test_postgres_catalog_tells_before_from_after(postgres: Any, setup: str, sql: str) -> None:
    _check(postgres.url, "public", setup, sql, "postgresql")


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE t ADD INDEX (a)",
        "ALTER TABLE t ADD FOREIGN KEY (pid) REFERENCES p (id)",
        "ALTER TABLE t ADD CHECK (a > 0)",
        "ALTER TABLE t ADD UNIQUE (b)",
        "CALL pr()",
        "ALTER TABLE t ADD PARTITION (PARTITION p1 VALUES LESS THAN (10))",
    ],
)
def test_what_a_second_run_would_duplicate_is_not_judged(sql: str) -> None:
    """An unnamed index, key or check gets a server-chosen name: present or not, the catalog cannot
    say whether *this* statement made it, so --resume asks the operator."""
    effect = effect_of(sql, "mariadb")
    assert not effect.facts and not effect.repeatable and effect.unknown


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE IF NOT EXISTS t (id INT)",
        "CREATE OR REPLACE VIEW v AS SELECT 1",
        "DROP TABLE IF EXISTS t",
        "ALTER TABLE t MODIFY a BIGINT",
        "ALTER TABLE t ADD COLUMN IF NOT EXISTS c INT",
        "GRANT SELECT ON t TO u",
        "ALTER TABLE t ALTER COLUMN a SET DEFAULT 1, ENGINE=InnoDB",
        "ALTER VIEW v AS SELECT 2",
    ],
)
def test_statements_a_second_run_leaves_alone_are_repeatable(sql: str) -> None:
    effect = effect_of(sql, "mariadb")
    assert effect.repeatable and not effect.facts
