"""SQLite: a migration whose script commits on its own (``COMMIT;`` in the middle) while flywayx runs it
in a transaction. As on PostgreSQL (test_pg_script_commit.py): the statements after the script's COMMIT
run in a new transaction that commits with the history row, or rolls back with a failure, and the error
says what the COMMIT kept. Before, the run wrote a success row and then failed on its own COMMIT
("cannot commit - no transaction is active"), exit 1 with the migration recorded as applied."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult

SCRIPT = "CREATE TABLE kept (id INT);\nCOMMIT;\nCREATE TABLE later (id INT);\nINSERT INTO later VALUES (1);\n"


def _state(db: Path) -> tuple[set[str], list[tuple[str, int]]]:
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        rows = conn.execute("SELECT version, success FROM flyway_schema_history WHERE version IS NOT NULL")
        return {t for t in tables if not t.startswith("flyway")}, [(str(v), int(s)) for v, s in rows]


def test_a_scripts_own_commit_then_the_rest_commits_with_the_history_row(
    flywayx: Callable[..., CliResult], tmp_path: Path
) -> None:
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "V1__commits.sql").write_text(SCRIPT)
    done = flywayx("--url", f"sqlite:///{tmp_path / 'x.db'}", "--locations", str(tmp_path / "sql"), "migrate")
    assert done.code == 0, done.err
    assert _state(tmp_path / "x.db") == ({"kept", "later"}, [("1", 1)])
    again = flywayx("--url", f"sqlite:///{tmp_path / 'x.db'}", "--locations", str(tmp_path / "sql"), "validate")
    assert again.code == 0, again.err


def test_a_failure_after_the_scripts_commit_rolls_back_only_what_followed_it(
    flywayx: Callable[..., CliResult], tmp_path: Path
) -> None:
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "V1__commits.sql").write_text(SCRIPT + "INSERT INTO missing VALUES (1);\n")
    failed = flywayx("--url", f"sqlite:///{tmp_path / 'x.db'}", "--locations", str(tmp_path / "sql"), "migrate")
    assert failed.code != 0
    assert _state(tmp_path / "x.db") == ({"kept"}, [])  # "later" went with the failure; no history row
    assert "statements 1 to 2 stay applied" in failed.err and "COMMIT at line 2" in failed.err, failed.err
