"""The labelled set's lock claims, checked on the real servers (an oracle independent of the analyser).

MariaDB: a row claiming INSTANT must run with ``ALGORITHM=INSTANT``; INPLACE must run with INPLACE
(or MariaDB's NOCOPY) and be refused with INSTANT; COPY must be refused with INPLACE. Partition
maintenance takes no ALGORITHM clause on MariaDB and is not checked here.

PostgreSQL: each statement runs in a transaction that is rolled back; the strongest lock it holds
on the relation it changes (``pg_locks``) must be the claimed level, and a '-' claim must hold
nothing stronger than ROW EXCLUSIVE (what plain DML takes).

A statement the fixture cannot run (it names objects the fixture lacks) is counted as unchecked;
the tests require most rows to be checked. Rows labelled ``conservative:`` claim the worst case because
the statement alone does not say what it changes from (e.g. the previous column type); the fixture
knows more, so they are not checked.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.unit.labelled import ROWS, Row

# table -> statements creating and filling it (only the tables a statement names are built for it)
MARIADB_FIXTURE = {
    "users": [
        "CREATE TABLE users (id BIGINT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(255) NOT NULL, nickname VARCHAR(64))",
        "INSERT INTO users (id, email) VALUES (1, 'a@example.org')",
    ],
    "p": ["CREATE TABLE p (id INT PRIMARY KEY, code VARCHAR(20))", "INSERT INTO p VALUES (1, 'a')"],
    "t": [
        "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, a INT, b VARCHAR(40) NOT NULL DEFAULT '', c VARCHAR(10),"
        " d DECIMAL(5,2), e ENUM('x','y'), s SET('r','w'), j TEXT, ts TIMESTAMP NULL, p_id INT, user_id BIGINT,"
        " KEY i_a (a), KEY i_c (c), CONSTRAINT fk_t_u FOREIGN KEY (user_id) REFERENCES users (id),"
        " CONSTRAINT ck_a CHECK (a > -100))",
        "INSERT INTO t (a, b, c, p_id, user_id) VALUES (1, 'x', 'y', 1, 1), (2, 'y', 'z', 1, 1)",
    ],
    "pt": [
        "CREATE TABLE pt (id INT NOT NULL, y INT NOT NULL, v VARCHAR(10), PRIMARY KEY (id, y))"
        " PARTITION BY RANGE (y) (PARTITION p2019 VALUES LESS THAN (2020),"
        " PARTITION p2020 VALUES LESS THAN (2021))"
    ],
    "h": ["CREATE TABLE h (id INT PRIMARY KEY, v INT) PARTITION BY HASH (id) PARTITIONS 4"],
    "x": ["CREATE TABLE x (id INT NOT NULL, y INT NOT NULL, v VARCHAR(10), PRIMARY KEY (id, y))"],
}
_NEEDS = {"t": ("users", "p")}
_SCRATCH = "t1, t2, t3, t4, t5, t6, t7, t8, t9, t_renamed, events, t, x, pt, h, p, users"

PG_FIXTURE = """
CREATE TABLE accounts (id bigserial PRIMARY KEY, name text NOT NULL, email text, a int, b int,
    active boolean DEFAULT true, tenant_id int, created timestamptz, code varchar(10), closed boolean)
CREATE INDEX idx_a ON accounts (a)
CREATE UNIQUE INDEX uq_accounts_code ON accounts (code)
CREATE TABLE orders (id serial PRIMARY KEY, account_id bigint, qty int, ref text, total numeric(10,2), status text,
    created timestamptz DEFAULT now(), note varchar(20))
ALTER TABLE orders ADD CONSTRAINT fk_o_a FOREIGN KEY (account_id) REFERENCES accounts (id) DEFERRABLE NOT VALID
ALTER TABLE orders ADD CONSTRAINT ck_qty_old CHECK (qty > -1000)
CREATE TABLE lines (order_id int, x numeric)
CREATE TABLE sessions (id int, expired boolean)
CREATE TYPE mood AS ENUM ('sad', 'ok')
CREATE SEQUENCE order_seq
CREATE VIEW v_active AS SELECT id, name FROM accounts WHERE active
CREATE MATERIALIZED VIEW mv_totals AS SELECT account_id, sum(total) AS total FROM orders GROUP BY account_id
CREATE TABLE measurements (id int, y int) PARTITION BY RANGE (y)
CREATE TABLE m2019 PARTITION OF measurements FOR VALUES FROM (2019) TO (2020)
CREATE TABLE m_loose (id int, y int)
CREATE FUNCTION audit_f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$
CREATE TRIGGER trg_audit BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION audit_f()
CREATE SCHEMA app
"""

_PARTITION_OP = re.compile(
    r"\b(ADD|DROP|TRUNCATE|EXCHANGE|REORGANIZE|COALESCE|REBUILD) PARTITION\b|\bPARTITION BY\b"
    r"|\bREMOVE PARTITIONING\b",
    re.I,
)
_WEAKER = {"INPLACE": "INSTANT", "COPY": "INPLACE"}
_NOT_SUPPORTED = (1845, 1846)  # ALGORITHM=... is not supported (for this operation / reason)


def _statements(text: str) -> list[str]:
    """One statement a line; an indented line continues the statement above it."""
    out: list[str] = []
    for line in text.strip().splitlines():
        if line.startswith(" ") and out:
            out[-1] += " " + line.strip()
        elif line.strip():
            out.append(line)
    return out


# --------------------------------------------------------------------------------------------- MariaDB


def _mariadb_rows() -> list[Row]:
    return [
        r
        for r in ROWS
        if r.dialect == "mariadb"
        and r.server is None
        and r.lock is not None
        and re.match(r"(ALTER TABLE|CREATE (UNIQUE )?INDEX|DROP INDEX)", r.sql, re.I)
        and not _PARTITION_OP.search(r.sql)
        and not r.reason.startswith("conservative:")
    ]


def _forced(sql: str, algorithm: str) -> str:
    if re.search(r"\bALGORITHM\s*=", sql, re.I):
        return re.sub(r"\bALGORITHM\s*=\s*\w+", f"ALGORITHM={algorithm}", sql, flags=re.I)
    if sql.upper().startswith("ALTER"):
        return f"{sql}, ALGORITHM={algorithm}"
    return f"{sql} ALGORITHM={algorithm}"


def _maria_try(cur: Any, row: Row, algorithm: str) -> int | None:
    """Run the fixture, the context and the statement forced to ``algorithm``: None if it ran, else the
    server's error number. (The server refuses an unsupported ALGORITHM before changing anything.)"""
    words = set(re.findall(r"\w+", " ".join((*row.context, row.sql)).lower()))
    tables = [name for name in MARIADB_FIXTURE if name in words or any(name in _NEEDS.get(w, ()) for w in words)]
    fixture = [f"DROP TABLE IF EXISTS {_SCRATCH}", *(sql for name in tables for sql in MARIADB_FIXTURE[name])]
    cur.execute(";\n".join(fixture))  # one round trip (MULTI_STATEMENTS)
    while cur.nextset():
        pass
    cur.execute("SET foreign_key_checks = 1")
    for sql in row.context:
        cur.execute(sql)
    try:
        cur.execute(_forced(row.sql, algorithm))
    except Exception as err:
        return int(err.args[0]) if err.args and isinstance(err.args[0], int) else -1
    return None


def _maria_check(cur: Any, row: Row) -> str:
    """'ok', 'unchecked' (the fixture cannot run it) or a mismatch description."""
    claim = row.lock or ""
    ran = _maria_try(cur, row, claim)
    if ran is not None and claim == "INPLACE":
        ran = _maria_try(cur, row, "NOCOPY") if ran in _NOT_SUPPORTED else ran
    if ran is not None:
        return "unchecked" if ran not in _NOT_SUPPORTED else f"ALGORITHM={claim} refused"
    weaker = _WEAKER.get(claim)
    if weaker is None or re.search(r"\bALGORITHM\s*=", row.sql, re.I):
        return "ok"
    refused = _maria_try(cur, row, weaker)
    return "ok" if refused in _NOT_SUPPORTED else f"ALGORITHM={weaker} also works (error {refused})"


@pytest.mark.mariadb
def test_mariadb_lock_claims_hold_on_the_server(mariadb: Any) -> None:
    import pymysql
    from pymysql.constants import CLIENT

    conn: Any = pymysql.connect(
        host=mariadb.host,
        port=mariadb.port,
        user=mariadb.user,
        password=mariadb.password,
        database=mariadb.name,
        autocommit=True,
        client_flag=CLIENT.MULTI_STATEMENTS,
    )
    results: dict[str, list[str]] = {}
    try:
        cur = conn.cursor()
        for row in _mariadb_rows():
            results.setdefault(_maria_check(cur, row), []).append(f"{row.file}:{row.line} {row.sql}")
    finally:
        conn.close()
    mismatches = {k: v for k, v in results.items() if k not in ("ok", "unchecked")}
    assert mismatches == {}
    assert len(results.get("ok", [])) >= 60, results.get("unchecked")
    assert len(results.get("unchecked", [])) <= 5, results["unchecked"]


# ------------------------------------------------------------------------------------------ PostgreSQL

_RANK = [
    "ACCESS SHARE",
    "ROW SHARE",
    "ROW EXCLUSIVE",
    "SHARE UPDATE EXCLUSIVE",
    "SHARE",
    "SHARE ROW EXCLUSIVE",
    "EXCLUSIVE",
    "ACCESS EXCLUSIVE",
]
_TARGETS = [
    r"^ALTER (?:TABLE|INDEX|VIEW|SEQUENCE|MATERIALIZED VIEW)(?: IF EXISTS)?(?: ONLY)? (\w+)",
    r"^(?:CREATE|DROP) (?:OR REPLACE )?TRIGGER (?:IF EXISTS )?\w+ .*?\bON (\w+)",
    r"^CREATE (?:UNIQUE )?INDEX .*?\bON (?:ONLY )?(\w+)",
    r"^ALTER TRIGGER \w+ ON (\w+)",
    r"^TRUNCATE (?:TABLE )?(\w+)",
    r"^DROP (?:TABLE|VIEW|SEQUENCE|MATERIALIZED VIEW|INDEX)(?: IF EXISTS)? (\w+)",
    r"^LOCK TABLE (\w+)",
    r"^REFRESH MATERIALIZED VIEW (\w+)",
    r"^CREATE OR REPLACE VIEW (\w+)",
    r"^COMMENT ON (?:TABLE|COLUMN) (\w+)",
    r"^REINDEX TABLE (\w+)",
    r"^CLUSTER (\w+)",
    r"^ANALYZE (\w+)",
    r"^CREATE TABLE \w+ PARTITION OF (\w+)",
    r"^CREATE POLICY \w+ ON (\w+)",
    r"^CREATE (?:OR REPLACE )?RULE .*?\bTO (\w+)",
]


def _mode(pg_mode: str) -> str:
    return " ".join(re.findall(r"[A-Z][a-z]+", pg_mode.removesuffix("Lock"))).upper()


def _target(sql: str) -> str | None:
    for pattern in _TARGETS:
        m = re.match(pattern, sql, re.I | re.S)
        if m:
            return m.group(1).lower()
    return None


def _pg_observe(conn: Any, row: Row) -> str | None:
    """The strongest lock the statement holds on its target (or on any relation that existed before
    it), '-' for nothing stronger than ROW EXCLUSIVE; None when the fixture cannot run it."""
    conn.execute("BEGIN")
    try:
        for sql in row.context:
            conn.execute(sql)
        before = {
            oid: name
            for oid, name in conn.execute(
                "SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname IN ('public', 'app')"
            ).fetchall()
        }
        conn.execute(row.sql)
        held = conn.execute(
            "SELECT relation, mode FROM pg_locks WHERE pid = pg_backend_pid() "
            "AND locktype = 'relation' AND relation IS NOT NULL"
        ).fetchall()
    except Exception:
        return None
    finally:
        conn.execute("ROLLBACK")
    target = _target(row.sql)
    modes = [_mode(m) for oid, m in held if oid in before and (target is None or before[oid] == target)]
    best = max(modes, key=_RANK.index, default="ACCESS SHARE")
    return "-" if _RANK.index(best) <= _RANK.index("ROW EXCLUSIVE") else best


def _pg_rows() -> list[Row]:
    return [
        r
        for r in ROWS
        if r.dialect == "postgresql"
        and "CONCURRENTLY" not in r.sql.upper()
        and not r.reason.startswith("conservative:")
        and not re.match(r"(VACUUM|COPY|CREATE EXTENSION|DROP EXTENSION|ALTER ROLE|CREATE ROLE|DROP ROLE)", r.sql, re.I)
    ]


@pytest.mark.postgres
def test_postgresql_lock_claims_hold_on_the_server(postgres: Any) -> None:
    conn: Any = postgres.connect()
    checked, unchecked, wrong = 0, [], []
    try:
        for sql in _statements(PG_FIXTURE):
            conn.execute(sql)
        for row in _pg_rows():
            seen = _pg_observe(conn, row)
            if seen is None:
                unchecked.append(row.sql)
            elif seen != (row.lock or "-"):
                wrong.append(f"{row.file}:{row.line} claims {row.lock or '-'}, holds {seen}: {row.sql}")
            else:
                checked += 1
    finally:
        conn.close()
    assert wrong == [], "\n".join(wrong)
    assert checked >= 100, unchecked
    assert len(unchecked) <= 8, unchecked
