"""`flywayx new --op` writes an operations file that compiles; `lint` suggests the operation for an
unsafe raw SQL statement, with a command that writes it."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult


def test_new_op_writes_a_pending_operations_file_that_compiles(
    tmp_path: Path, cli_run: Callable[..., CliResult]
) -> None:
    sql = tmp_path / "sql"
    ran = cli_run(
        "--locations",
        str(sql),
        "new",
        "rename email",
        "--line",
        "1.1",
        "--op",
        "rename_column",
        "--arg",
        "table=account",
        "--arg",
        "from=email",
        "--arg",
        "to=mail",
        "--arg",
        "type=VARCHAR(100)",
        "--arg",
        "nullable=false",
    )
    assert ran.code == 0, ran.err
    path = Path(ran.out.strip())
    assert path.parent == sql and path.name.startswith("V1.1.") and path.name.endswith("__rename_email.toml")
    assert 'type = "VARCHAR(100)"' in path.read_text() and "nullable = false" in path.read_text()
    explained = cli_run("explain", "--dialect", "postgresql", "--output-type", "json", str(path)).json()["files"][0]
    assert [p["phase"] for p in explained["parts"]] == ["expand", "contract"]
    assert any("ALTER COLUMN mail SET NOT NULL" in s["sql"] for s in explained["phases"]["contract"])


def test_new_op_with_a_missing_key_writes_nothing(tmp_path: Path, cli_run: Callable[..., CliResult]) -> None:
    sql = tmp_path / "sql"
    ran = cli_run("--locations", str(sql), "new", "x", "--line", "1.1", "--op", "rename_column", "--arg", "table=a")
    assert ran.code == 1
    assert ran.err.startswith("ERROR: new rename_column: operation 1 (line 5): rename_column needs from, to, type")
    assert "hint: rename_column takes table, from, to, type" in ran.err
    assert not sql.exists() or not list(sql.iterdir())
    unknown = cli_run("--locations", str(sql), "new", "x", "--line", "1.1", "--op", "rename_col")
    assert unknown.code == 1 and "unknown operation 'rename_col'" in unknown.err


def test_lint_suggests_the_operation_for_a_raw_rename_and_its_command_works(
    tmp_path: Path, cli_run: Callable[..., CliResult]
) -> None:
    sql = tmp_path / "sql"
    sql.mkdir()
    (sql / "V1__mail.sql").write_text("ALTER TABLE account CHANGE email mail VARCHAR(100) NULL;\n", encoding="utf-8")
    found = cli_run("--locations", str(sql), "lint", "--dialect", "mariadb", "--output-type", "json").json()
    rename = next(f for f in found["findings"] if "renames column account.email" in f["message"])
    command = rename["fix"].split("declare it as an operation: ", 1)[1]
    assert command.startswith(
        'flywayx new "rename column" --op rename_column --arg table=account --arg from=email '
        "--arg to=mail --arg type='varchar(100)'"
    )
    args = shlex.split(command)[1:]  # the suggested command, as a shell would pass it
    (sql / "V1__mail.sql").unlink()
    made = cli_run("--locations", str(sql), *args, "--line", "1.1")
    assert made.code == 0, made.err
    text = Path(made.out.strip()).read_text()
    assert 'from = "email"' in text and 'to = "mail"' in text and 'type = "varchar(100)"' in text
