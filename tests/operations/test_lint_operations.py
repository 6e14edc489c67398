"""`flywayx lint` compiles operations files: every problem with its file and line and a one-line fix,
without a database — broken files (all of them, not the first only), clashing operations, a
``raw_sql`` whose SQL does more than its declared phase, steps a dialect cannot run online, and
MySQL's refusal of the steps that need a MariaDB block."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import CliResult

RELEASES = '[release."1.0.0"]\n[release."1.1.0"]\nfrom = "1.0.0"\n'
BASE = "CREATE TABLE item (id BIGINT PRIMARY KEY, name VARCHAR(50) NOT NULL, qty INT NULL, email VARCHAR(100));\n"


def _lint(
    tmp_path: Path, cli_run: Callable[..., CliResult], files: dict[str, str], dialect: str = "mariadb"
) -> tuple[CliResult, list[dict[str, Any]]]:
    sql = tmp_path / "sql"
    sql.mkdir(exist_ok=True)
    for name, text in {"releases.toml": RELEASES, "V1.0.0.1__base.sql": BASE, **files}.items():
        (sql / name).write_text(text, encoding="utf-8")
    ran = cli_run("--locations", str(sql), "lint", "--dialect", dialect, "--output-type", "json")
    return ran, ran.json()["findings"]


def _where(findings: list[dict[str, Any]]) -> list[tuple[str, int, str, str]]:
    return [(f["path"], f["line"], f["rule"], f["severity"]) for f in findings]


def test_every_broken_operations_file_is_reported_with_its_line_and_the_run_fails(
    tmp_path: Path, cli_run: Callable[..., CliResult]
) -> None:
    ran, found = _lint(
        tmp_path,
        cli_run,
        {
            "V1.1.0.1__a.toml": '[[operations]]\nop = "add_column"\ntable = "item"\n'
            'column = { name = "x", type = "INT" }\n'
            '\n[[operations]]\nop = "rename_colum"\ntable = "item"\n'
            '\n[[operations]]\nop = "add_index"\ntable = "item"\nname = "ix"\ncolumns = ["name"]\n'
            'unique = "yes"\n',
            "V1.1.0.2__b.toml": '[[operations]]\nop = "drop_column"\ntable = "item"\n',
            "V1.1.0.3__c.toml": '[[operations]\nop = "drop_column"\n',
        },
    )
    assert ran.code == 1
    assert _where(found) == [
        ("V1.1.0.1__a.toml", 6, "operations-file", "error"),
        ("V1.1.0.1__a.toml", 10, "operations-file", "error"),
        ("V1.1.0.2__b.toml", 1, "operations-file", "error"),
        ("V1.1.0.3__c.toml", 1, "operations-file", "error"),
    ]
    assert "unknown op 'rename_colum'" in found[0]["message"] and "rename_column" in found[0]["fix"]
    assert "add_index.unique must be true or false" in found[1]["message"]
    assert "drop_column needs column" in found[2]["message"] and found[2]["fix"] == "drop_column takes table, column"
    assert "not valid TOML" in found[3]["message"]
    assert all(f["message"].startswith(f"{f['path']}:{f['line']}: ") and "\n" not in f["fix"] for f in found)


def test_operations_that_clash_within_a_file_are_found(tmp_path: Path, cli_run: Callable[..., CliResult]) -> None:
    ops = [
        'op = "rename_column"\ntable = "item"\nfrom = "email"\nto = "mail"\ntype = "VARCHAR(100)"',
        'op = "drop_column"\ntable = "item"\ncolumn = "email"',  # email dropped twice
        'op = "add_column"\ntable = "item"\ncolumn = { name = "mail", type = "VARCHAR(9)" }',  # mail added twice
        'op = "add_column"\ntable = "item"\ncolumn = { name = "tier", type = "INT" }',
        'op = "set_not_null"\ntable = "item"\ncolumn = "tier"\ntype = "INT"',  # nothing fills tier
        'op = "backfill"\ntable = "item"\ncolumn = "email"\nexpression = "name"',  # a column that goes
        'op = "rename_table"\nfrom = "item"\nto = "product"',
        'op = "add_index"\ntable = "product"\nname = "ix"\ncolumns = ["name"]',  # after the rename
        'op = "raw_sql"\nphase = "expand"\nsql = "CREATE TABLE t2 (id INT)"',  # no writes declared
    ]
    text = "".join(f"[[operations]]\n{o}\n\n" for o in ops)
    line = [n for n, ln in enumerate(text.splitlines(), 1) if ln == "[[operations]]"]
    ran, found = _lint(tmp_path, cli_run, {"V1.1.0.1__x.toml": text})
    assert ran.code == 1
    assert [(f["line"], f["rule"], f["severity"]) for f in found] == [
        (line[1], "unsafe-operation", "error"),
        (line[2], "unsafe-operation", "error"),
        (line[4], "unsafe-operation", "error"),
        (line[5], "unsafe-operation", "warning"),
        (line[7], "unsafe-operation", "error"),
        (line[8], "unsafe-operation", "warning"),
    ]
    assert "which operation 1 (rename_column, line 1) already drops" in found[0]["message"]
    assert "existing rows stay NULL" in found[2]["message"]


def test_raw_sql_declared_expand_that_drops_is_an_error_and_a_correct_file_is_clean(
    tmp_path: Path, cli_run: Callable[..., CliResult]
) -> None:
    bad = (
        '[[operations]]\nop = "raw_sql"\nphase = "expand"\nsql = "DROP TABLE old_log"\nwrites = ["old_log"]\n'
        '\n[[operations]]\nop = "raw_sql"\nphase = "contract"\nsql = "CREATE TABLE t2 (id INT)"\n'
        'writes = ["t2"]\n'
    )
    ran, found = _lint(tmp_path, cli_run, {"V1.1.0.1__x.toml": bad}, dialect="postgresql")
    assert ran.code == 1
    assert _where(found) == [
        ("V1.1.0.1__x.toml", 1, "destructive", "warning"),  # raw SQL is linted as SQL is
        ("V1.1.0.1__x.toml", 1, "unsafe-operation", "error"),
    ]
    assert "declares phase expand but its SQL is contract work" in found[1]["message"]
    assert found[1]["fix"] == 'declare phase = "contract"'
    copy = (
        '[[operations]]\nop = "raw_sql"\nphase = "expand"\nwrites = ["item.total"]\n'
        'sql = "ALTER TABLE item ADD COLUMN total INT GENERATED ALWAYS AS (qty * 2) STORED"\n'
    )
    (tmp_path / "sql" / "V1.1.0.1__x.toml").unlink()
    ran, found = _lint(tmp_path, cli_run, {"V1.1.0.1__z.toml": copy})
    assert _where(found) == [("V1.1.0.1__z.toml", 1, "blocking-ddl", "warning")]
    assert "ALGORITHM=COPY" in found[0]["message"]
    (tmp_path / "sql" / "V1.1.0.1__z.toml").unlink()
    good = '[[operations]]\nop = "rename_column"\ntable = "item"\nfrom = "email"\nto = "mail"\ntype = "VARCHAR(100)"\n'
    for dialect in ("mariadb", "postgresql"):
        ran, found = _lint(tmp_path, cli_run, {"V1.1.0.1__y.toml": good}, dialect=dialect)
        assert ran.code == 0 and found == [], found
        assert ran.json()["migrations"] == 2


def test_a_check_mariadb_adds_by_copying_the_table_is_a_blocking_ddl_warning_unless_enforced_by_triggers(
    tmp_path: Path, cli_run: Callable[..., CliResult]
) -> None:
    check = '[[operations]]\nop = "add_check"\ntable = "item"\nname = "ck_qty"\nexpression = "qty >= 0"\n'
    ran, found = _lint(tmp_path, cli_run, {"V1.1.0.1__ck.toml": check})
    assert ran.code == 0
    assert _where(found) == [("V1.1.0.1__ck.toml", 1, "blocking-ddl", "warning")]
    assert "copy table item" in found[0]["message"] and 'enforce = "trigger"' in found[0]["message"]
    explained = cli_run(
        "explain", "--dialect", "mariadb", "--output-type", "json", str(tmp_path / "sql" / "V1.1.0.1__ck.toml")
    ).json()["files"][0]
    assert explained["notOnline"][0]["phase"] == "contract"
    assert explained["phases"]["contract"][0]["lock"] == "COPY"
    assert _lint(tmp_path, cli_run, {"V1.1.0.1__ck.toml": check}, dialect="postgresql")[1] == []
    ran, found = _lint(tmp_path, cli_run, {"V1.1.0.1__ck.toml": check + 'enforce = "trigger"\n'})
    assert ran.code == 0 and found == []


def test_mysql_refuses_the_steps_that_need_a_mariadb_block_with_one_line_and_a_hint(
    tmp_path: Path, cli_run: Callable[..., CliResult]
) -> None:
    rename = (
        '[[operations]]\nop = "rename_column"\ntable = "item"\nfrom = "email"\nto = "mail"\ntype = "VARCHAR(100)"\n'
    )
    ran, found = _lint(tmp_path, cli_run, {"V1.1.0.1__r.toml": rename}, dialect="mysql")
    assert ran.code == 1
    assert _where(found) == [("V1.1.0.1__r.toml", 1, "operations-file", "error")]
    assert "MySQL is not supported for this operation" in found[0]["message"]
    assert "MariaDB or PostgreSQL" in found[0]["fix"]
    explained = cli_run("explain", "--dialect", "mysql", str(tmp_path / "sql" / "V1.1.0.1__r.toml"))
    assert "error: " in explained.out and "BEGIN NOT ATOMIC" in explained.out


def test_a_mysql_url_may_be_mariadb_so_what_only_mysql_refuses_is_a_warning(
    tmp_path: Path, cli_run: Callable[..., CliResult]
) -> None:
    rename = (
        '[[operations]]\nop = "rename_column"\ntable = "item"\nfrom = "email"\nto = "mail"\ntype = "VARCHAR(100)"\n'
    )
    _lint(tmp_path, cli_run, {"V1.1.0.1__r.toml": rename}, dialect="mariadb")
    ran = cli_run(
        "--url",
        "mysql://root@127.0.0.1:1/nowhere",
        "--locations",
        str(tmp_path / "sql"),
        "lint",
        "--output-type",
        "json",
    )  # lint needs no database: nothing listens on port 1
    assert ran.code == 0, ran.err
    found = ran.json()["findings"]
    assert _where(found) == [("V1.1.0.1__r.toml", 1, "operations-file", "warning")]
    assert "if the server is MySQL, not MariaDB" in found[0]["message"]
