"""Fixtures for the online-upgrade tests: the CLI run in-process, and a small two-release project."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult

Ran = CliResult


@pytest.fixture
def fx(cli_run: Callable[..., CliResult]) -> Callable[..., CliResult]:
    """The shared in-process CLI runner (tests/conftest.py)."""
    return cli_run


# Release 1.0.0 creates accounts; 1.1.0 adds email (expand), backfills it (data), drops the legacy
# column (contract) and adds an unrelated table after the contract step (expand, commutes with it).
PROJECT = {
    "releases.toml": '[release."1.0.0"]\n[release."1.1.0"]\nfrom = "1.0.0"\n',
    "V1.0.0.1__accounts.sql": "CREATE TABLE accounts (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL,"
    " legacy_code VARCHAR(20) NULL);\n",
    "V1.1.0.1__email.sql": "ALTER TABLE accounts ADD COLUMN email VARCHAR(100) NULL;\n"
    "CREATE INDEX idx_accounts_name ON accounts (name);\n",
    # PostgreSQL: the index is built CONCURRENTLY in --phase expand, which this migration allows
    "V1.1.0.1__email.sql.conf": "executeInTransaction=false\n",
    "V1.1.0.2__backfill_email.sql": "UPDATE accounts SET email = name WHERE email IS NULL;\n",
    "V1.1.0.3__cleanup.sql": "ALTER TABLE accounts DROP COLUMN legacy_code;\n",
    "V1.1.0.4__audit.sql": "CREATE TABLE audit_log (id INT PRIMARY KEY, account_id INT NOT NULL, note VARCHAR(200));\n",
}


def write_project(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "sql", PROJECT)
