"""Operations files without a database: the format's checks, the per-phase SQL, the lazy SQLAlchemy.

The generated plain DDL is parsed back by sqlglot (an independent parser) for each dialect; trigger
and block bodies are exercised on the real servers (tests/online/test_operations_two_apps.py).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlglot

from flywayx.operations import OperationError, compiled
from flywayx.operations.spec import OPERATIONS
from tests.conftest import CliResult

RENAME = """contract_version = "5.1"

[[operations]]
op = "rename_column"
table = "account"
from = "email"
to = "email_address"
type = "VARCHAR(255)"
"""


def _file(body: str) -> str:
    return body


def test_every_operation_compiles_for_both_dialects_into_its_phases() -> None:
    text = """contract_version = "9.1"
[[operations]]
op = "create_table"
table = "segment"
columns = [{ name = "id", type = "BIGINT", primary_key = true }, { name = "label", type = "VARCHAR(40)" }]
[[operations]]
op = "add_column"
table = "customer"
column = { name = "loyalty", type = "INT", default = "0", nullable = false }
after = "name"
[[operations]]
op = "drop_column"
table = "customer"
column = "fax"
[[operations]]
op = "rename_column"
table = "customer"
from = "mail"
to = "email"
type = "VARCHAR(200)"
[[operations]]
op = "change_type"
table = "customer"
column = "score"
to = "score_big"
type = "BIGINT"
old_type = "INT"
[[operations]]
op = "set_not_null"
table = "customer"
column = "name"
type = "VARCHAR(50)"
[[operations]]
op = "add_index"
table = "customer"
name = "ix_customer_name"
columns = ["name"]
[[operations]]
op = "add_foreign_key"
table = "customer"
name = "fk_customer_segment"
columns = ["segment_id"]
ref_table = "segment"
ref_columns = ["id"]
[[operations]]
op = "add_check"
table = "customer"
name = "ck_score"
expression = "score >= 0"
[[operations]]
op = "drop_table"
table = "fax_log"
[[operations]]
op = "rename_table"
from = "client"
to = "customer_view"
[[operations]]
op = "backfill"
table = "customer"
column = "loyalty"
expression = "score * 2"
[[operations]]
op = "raw_sql"
sql = "UPDATE customer SET name = TRIM(name)"
phase = "data"
writes = ["column:customer.name"]
"""
    assert {line.split('"')[1] for line in text.splitlines() if line.startswith("op = ")} == set(OPERATIONS)
    for dialect, glot in (("mariadb", "mysql"), ("postgresql", "postgres")):
        c = compiled(text, "V9__all.toml", dialect)
        sql = {phase: [s.sql for s in stmts] for phase, stmts in c.by_phase.items()}
        assert any(s.startswith("CREATE TABLE segment") for s in sql["expand"])
        assert any("DROP COLUMN fax" in s for s in sql["contract"])
        assert any("DROP TABLE fax_log" in s for s in sql["contract"])
        assert any("ck_score" in s for s in sql["contract"])  # a tightening waits for the contract
        assert any("fk_customer_segment" in s for s in sql["contract"])
        assert not any("fax" in s for s in sql["expand"] + sql["data"])
        assert len(sql["data"]) == 4  # two shadow-column copies, the backfill, the raw statement
        assert c.first.phase.value == "data"  # the backfill fills an existing column: a data step
        assert c.contract is not None and c.contract.phase.value == "contract"
        assert "column:customer.fax" in c.contract.footprint.writes
        assert "column:customer.email" in c.first.footprint.writes
        kinds = ("CREATE TABLE", "ALTER TABLE", "DROP TABLE", "CREATE INDEX", "CREATE VIEW")
        plain = [s for s in sql["expand"] + sql["contract"] if s.startswith(kinds)]
        for statement in plain:
            for part in statement.split("; "):
                sqlglot.parse_one(part, read=glot)  # raises on SQL the dialect's grammar rejects
    pg = compiled(text, "V9__all.toml", "postgresql").by_phase
    assert any(s.sql.startswith("CREATE INDEX CONCURRENTLY") and not s.transactional for s in pg["expand"])
    assert any("NOT VALID" in s.sql for s in pg["contract"])
    my = compiled(text, "V9__all.toml", "mariadb").by_phase
    assert any("AFTER name" in s.sql for s in my["expand"])
    assert any("ALGORITHM=INPLACE LOCK=NONE" in s.sql for s in my["expand"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[operations]]\nop = "rename_colum"\n', "unknown op 'rename_colum'"),
        ('[[operations]]\nop = "drop_column"\ntable = "t"\n', "drop_column needs column"),
        ('[[operations]]\nop = "drop_column"\ntable = "t"\ncolumn = "c"\ncascade = true\n', "unknown key(s) cascade"),
        (
            '[[operations]]\nop = "add_column"\ntable = "t"\ncolumn = { name = "c", type = "INT", nullable = false }\n',
            "NOT NULL without a default",
        ),
        ('[[operations]]\nop = "drop_column"\ntable = "t; DROP TABLE x"\ncolumn = "c"\n', "is not a plain SQL name"),
        ('op = "x"\n', "unknown top-level key(s) op"),
        ("[[operations]\n", "not valid TOML"),
        (
            '[[operations]]\nop = "backfill"\ntable = "t"\ncolumn = "c"\nexpression = "0"\npause = -1\n',
            "pause must be a number from 0 to 100",
        ),
        (
            '[[operations]]\nop = "add_check"\ntable = "t"\nname = "ck"\nexpression = "c > 0"\nenforce = "later"\n',
            'enforce must be "check" or "trigger"',
        ),
    ],
)
def test_bad_files_are_refused_with_the_reason(body: str, message: str) -> None:
    with pytest.raises(OperationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compiled(body, "V2__bad.toml", "postgresql")


def test_sqlite_is_refused() -> None:
    with pytest.raises(OperationError, match="MySQL/MariaDB and PostgreSQL"):
        compiled(RENAME, "V5__x.toml", "sqlite")


def test_explain_shows_sql_per_phase(tmp_path: Path, cli_run: Callable[..., CliResult]) -> None:
    path = tmp_path / "V5__rename_email.toml"
    path.write_text(RENAME, encoding="utf-8")
    ran = cli_run("explain", "--dialect", "mariadb", str(path))
    assert ran.code == 0, ran.err
    assert "migration 5: phase expand" in ran.out and "migration 5.1: phase contract" in ran.out
    expand, contract = ran.out.split("-- contract")
    assert "ADD COLUMN email_address VARCHAR(255) AFTER email" in expand.split("-- data")[0]
    assert "UPDATE account SET email_address=email" in expand.split("-- data")[1]
    assert "DROP COLUMN email" in contract and "DROP TRIGGER" in contract
    data = cli_run("explain", "--dialect", "postgresql", "--output-type", "json", str(path)).json()["files"][0]
    assert [p["version"] for p in data["parts"]] == ["5", "5.1"]
    assert data["checksum"] == cli_run("explain", "--output-type", "json", str(path)).json()["files"][0]["checksum"]


def test_a_bad_operations_file_in_a_project_is_one_error_line_with_a_hint(
    tmp_path: Path, cli_run: Callable[..., CliResult]
) -> None:
    (tmp_path / "V1__t.sql").write_text("CREATE TABLE t (id INT PRIMARY KEY);\n", encoding="utf-8")
    (tmp_path / "V2__bad.toml").write_text(
        '[[operations]]\nop = "add_column"\ntable = "t"\ncolumn = { name = "c", type = "INT", nullable = false }\n',
        encoding="utf-8",
    )
    ran = cli_run("--url", f"sqlite:///{tmp_path / 'db.sqlite'}", "--locations", str(tmp_path), "info")
    assert ran.code != 0
    lines = ran.err.strip().splitlines()
    assert lines[0].startswith("ERROR: V2__bad.toml: operation 1 (line 1): add_column c is NOT NULL")
    assert lines[1].startswith("hint: add it nullable")
    assert "Traceback" not in ran.err


def test_sqlalchemy_is_imported_only_when_an_operations_file_is_compiled(tmp_path: Path) -> None:
    (tmp_path / "V1__t.sql").write_text("CREATE TABLE t (id INT PRIMARY KEY);\n", encoding="utf-8")
    (tmp_path / "V2__c.toml").write_text(RENAME.replace('"5.1"', '"2.1"'), encoding="utf-8")
    probe = (
        "import sys; from flywayx.cli.app import run\n"
        "try:\n    run(sys.argv[1:], 'flywayx')\nexcept SystemExit:\n    pass\n"
        "print('SQLALCHEMY', 'sqlalchemy' in sys.modules, file=sys.stderr)"
    )
    sql_only = subprocess.run(
        [sys.executable, "-c", probe, "explain", str(tmp_path / "V1__t.sql")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "SQLALCHEMY False" in sql_only.stderr, sql_only.stderr
    ops = subprocess.run(
        [sys.executable, "-c", probe, "explain", str(tmp_path / "V2__c.toml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "SQLALCHEMY True" in ops.stderr, ops.stderr


def test_mysql_without_anonymous_blocks_is_refused_for_backfills_but_not_for_plain_ddl() -> None:
    with pytest.raises(OperationError, match="MySQL does not have"):
        compiled(RENAME, "V5__x.toml", "mysql")  # the copy of existing rows is a MariaDB block
    plain = compiled(
        '[[operations]]\nop = "add_column"\ntable = "t"\ncolumn = { name = "c", type = "INT" }\n', "V6__c.toml", "mysql"
    )
    assert plain.first.statements[0].sql == "ALTER TABLE t ADD COLUMN c INT, ALGORITHM=INPLACE, LOCK=NONE"


@pytest.mark.parametrize("dialect", ["mariadb", "postgresql"])
def test_a_batched_copy_pauses_after_each_batch_as_long_as_it_took_unless_told_otherwise(dialect: str) -> None:
    sleep = (
        "DO SLEEP(TIMESTAMPDIFF(MICROSECOND, fx_t, SYSDATE(6)) * {} / 1000000)"
        if dialect == "mariadb"
        else ("PERFORM pg_sleep(extract(epoch FROM clock_timestamp() - fx_t) * {})")
    )
    block = compiled(RENAME, "V5__x.toml", dialect).by_phase["data"][0].sql
    assert sleep.format(1) in block
    assert block.index("COMMIT;") < block.index(sleep.format(1))
    faster = compiled(RENAME + "pause = 0.25\n", "V5__x.toml", dialect).by_phase["data"][0].sql
    assert sleep.format(0.25) in faster
    none = compiled(RENAME + "pause = 0\n", "V5__x.toml", dialect).by_phase["data"][0].sql
    assert "SLEEP" not in none.upper() and "COMMIT;" in none


def test_raw_sql_declares_its_footprint_in_the_directive_forms() -> None:
    text = (
        '[[operations]]\nop = "raw_sql"\nphase = "data"\nsql = "UPDATE a SET b = 1;"\n'
        'writes = ["a.b", "rows:a"]\nreads = ["C"]\n'
    )
    part = compiled(text, "V1__x.toml", "postgresql").first
    assert part.footprint.writes == {"column:a.b", "rows:a"} and part.footprint.reads == {"table:c"}
    assert part.phase.value == "data" and part.statements[0].sql == "UPDATE a SET b = 1"
    undeclared = compiled(text.replace('writes = ["a.b", "rows:a"]\n', ""), "V1__y.toml", "postgresql").first
    assert undeclared.footprint.writes == {"*"}  # conflicts with everything: the planner never guesses


def test_trigger_bodies_read_columns_from_the_new_row_but_never_rewrite_string_literals() -> None:
    check = (
        '[[operations]]\nop = "add_check"\ntable = "t"\nname = "ck"\nenforce = "trigger"\n'
        "expression = \"status IN ('status', 'open') AND `order` > LENGTH(status)\"\n"
    )
    body = compiled(check, "V7__ck.toml", "mariadb").by_phase["contract"][0].sql
    assert "IF NOT (NEW.status IN ('status', 'open') AND NEW.`order` > LENGTH(NEW.status)) THEN" in body
    change = (
        '[[operations]]\nop = "change_type"\ntable = "t"\ncolumn = "qty"\nto = "qty_s"\ntype = "TEXT"\n'
        'up = "CONCAT(qty, \' qty\')"\nold_type = "INT"\n'
    )
    sync = compiled(change, "V8__ct.toml", "mariadb").by_phase["expand"][1].sql
    assert "SET NEW.qty_s = CONCAT(NEW.qty, ' qty')" in sync
