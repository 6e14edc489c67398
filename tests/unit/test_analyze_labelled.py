"""The labelled set (tests/unit/labelled/*.txt): every statement's phase and lock impact, with the reason.

The labels come from the databases' documented behaviour (MySQL/MariaDB online DDL tables,
PostgreSQL's lock level per ALTER form) and are checked against real servers by
tests/online/test_labelled_on_servers.py; here the analyser is checked against the labels.
"""

from __future__ import annotations

import re

import pytest

from flywayx.model.footprint import Footprint, Phase
from flywayx.model.migration import Statement
from flywayx.statements.analyze import analyze_statement, make_context
from tests.unit.labelled import ROWS, Row

_MYSQL_PG = [r for r in ROWS if r.dialect in ("mysql", "mariadb", "postgresql")]
_DESTRUCTIVE = re.compile(
    r"^(DROP (TABLE|DATABASE|SCHEMA|COLUMN|VIEW|MATERIALIZED|SEQUENCE|TYPE|FUNCTION|PROCEDURE|TRIGGER|USER|ROLE)"
    r"|TRUNCATE|RENAME|REVOKE)|\bDROP (COLUMN|PARTITION|CONSTRAINT|FOREIGN|INDEX|PRIMARY)\b|\bTRUNCATE PARTITION\b"
    r"|\bRENAME (COLUMN|TO|VALUE)\b|\bDETACH PARTITION\b|\bEXCHANGE PARTITION\b|\bDROP DEFAULT\b"
    r"|\bADD (CONSTRAINT|UNIQUE|PRIMARY|CHECK)\b|^CREATE UNIQUE INDEX"
)


def analyze(row: Row) -> Footprint:
    ctx = make_context(row.dialect, row.server)
    for sql in row.context:
        analyze_statement(Statement(1, sql), row.dialect, context=ctx)
    return analyze_statement(Statement(1, row.sql), row.dialect, context=ctx)


def _code(sql: str) -> str:
    return re.sub(r"(?m)/\*[^*]*\*/|^\s*(--|#)[^\n]*$", "", sql).strip().upper()


def test_the_labelled_set_has_300_mysql_and_postgresql_statements_each_with_a_reason() -> None:
    assert len(_MYSQL_PG) >= 300
    assert {r.dialect for r in ROWS} == {"mysql", "mariadb", "postgresql", "sqlite"}
    assert {r.phase for r in ROWS} == set(Phase)
    assert all(len(r.reason) >= 8 for r in ROWS), [r.sql for r in ROWS if len(r.reason) < 8]
    assert len({(r.dialect, r.server, r.context, r.sql) for r in ROWS}) == len(ROWS), "duplicate rows"


@pytest.mark.parametrize(
    "topic",
    [
        "CONSTRAINT",
        "PARTITION",
        "GENERATED",
        "TRIGGER",
        "VIEW",
        "GRANT",
        "SEQUENCE",
        "ENUM",
        "TYPE",
        "REVOKE",
        "INDEX",
        "POLICY",
    ],
)
def test_the_set_covers_each_topic_on_both_families(topic: str) -> None:
    families = {
        ("postgresql" if r.dialect == "postgresql" else "mysql")
        for r in _MYSQL_PG
        if topic in r.sql.upper() or any(topic in c.upper() for c in r.context)
    }
    assert families == {"mysql", "postgresql"} or topic in ("ENUM", "POLICY", "TYPE"), families


def test_every_phase_is_as_labelled() -> None:
    wrong = [
        (r.file, r.line, r.sql, r.phase.value, got.phase.value) for r in ROWS if (got := analyze(r)).phase != r.phase
    ]
    assert wrong == []


def test_every_lock_impact_is_as_labelled() -> None:
    wrong = [(r.file, r.line, r.sql, r.lock, got.lock) for r in ROWS if (got := analyze(r)).lock != r.lock]
    assert wrong == []


def test_no_destructive_or_tightening_statement_is_classified_expand() -> None:
    checked = 0
    for r in _MYSQL_PG:
        code = _code(r.sql)
        if not _DESTRUCTIVE.search(code) or "flywayx:phase" in r.sql or r.phase is Phase.EXPAND:
            continue
        checked += 1
        assert analyze(r).phase is not Phase.EXPAND, r.sql
    assert checked >= 100


def test_labels_marked_expand_are_never_destructive_by_the_pattern_unless_explained() -> None:
    """An expand label on a statement that looks destructive must be one of the known harmless
    forms (index/constraint rename, re-created index, relaxing a constraint, a directive)."""
    harmless = (
        "RENAME INDEX",
        "RENAME KEY",
        "RENAME CONSTRAINT",
        "ALTER INDEX",
        "TRIGGER TRG_AUDIT ON",
        "FLYWAYX:PHASE",
        "DROP INDEX I_C, ADD INDEX I_C",
        "DROP NOT NULL",
        "DROP EXPRESSION",
        "ADD CONSTRAINT",
        "'DROP TABLE",
        "DROP TABLE USERS\n",
        "DROP TABLE USERS;",
    )
    odd = [
        r.sql
        for r in _MYSQL_PG
        if r.phase is Phase.EXPAND
        and _DESTRUCTIVE.search(_code(r.sql))
        and not any(h in r.sql.upper() for h in harmless)
    ]
    assert odd == []
