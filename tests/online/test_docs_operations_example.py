"""The CloudStack-flavoured operations file of docs/online-upgrades.md, as the page shows it, runs on
MariaDB and PostgreSQL: lint finds nothing, expand and contract apply, and the catalog and the rows
end as the page says (the renamed column holds the old values and is NOT NULL, the old column is
gone, the new column, index and foreign key exist)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.online.conftest import Ran, write_project

DOC = Path(__file__).resolve().parents[2] / "docs" / "online-upgrades.md"
BASE = (
    "CREATE TABLE storage_pool (id BIGINT PRIMARY KEY, name VARCHAR(255));\n"
    "CREATE TABLE vm_instance (id BIGINT PRIMARY KEY, instance_name VARCHAR(255) NOT NULL, state VARCHAR(32));\n"
    "CREATE TABLE volumes (id BIGINT PRIMARY KEY, pool_id BIGINT NULL, passphrase_id BIGINT NULL,"
    " state VARCHAR(32), removed TIMESTAMP NULL, name VARCHAR(255));\n"
    "INSERT INTO storage_pool VALUES (1, 'p1');\n"
    "INSERT INTO vm_instance VALUES (1, 'i-2-1-VM', 'Running'), (2, 'i-2-2-VM', 'Stopped');\n"
    "INSERT INTO volumes VALUES (1, 1, NULL, 'Ready', NULL, 'ROOT-1'), (2, NULL, NULL, 'Ready', NULL, 'DATA-2');\n"
)


def _example() -> tuple[str, str]:
    found = re.search(r"```toml\n# (V[^\n]+\.toml)\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert found, "docs/online-upgrades.md lost its operations file example"
    return found.group(1), found.group(2)


def _rows(db: Any, sql: str) -> list[tuple[Any, ...]]:
    conn: Any = db.connect()
    try:
        cur = conn.cursor()
        cur.execute(sql)
        return [tuple(r) for r in cur.fetchall()]
    finally:
        conn.close()


@pytest.mark.parametrize("server", ["mariadb", "postgres"])
def test_the_documented_cloudstack_example_runs_as_the_page_says(
    server: str, tmp_path: Path, fx: Callable[..., Ran], request: pytest.FixtureRequest
) -> None:
    db = request.getfixturevalue(server)
    name, text = _example()
    project = write_project(
        tmp_path / "sql",
        {
            "releases.toml": '[release."4.20.0.0"]\n[release."4.21.0.0"]\nfrom = "4.20.0.0"\n',
            "V4.20.0.0.1__base.sql": BASE,
            name: text,
        },
    )
    base = ("--url", db.url, "--locations", str(project))
    dialect = "mariadb" if server == "mariadb" else "postgresql"
    linted = fx(*base, "lint", "--dialect", dialect, "--output-type", "json")
    assert linted.code == 0 and linted.json()["findings"] == [], linted.out
    assert fx(*base, "migrate", "--to", "4.20.0.0").code == 0
    expand = fx(*base, "migrate", "--to", "4.21.0.0", "--phase", "expand")
    assert expand.code == 0, expand.err
    assert "waits for --phase contract" in expand.out or "Waiting for" in expand.out
    contract = fx(*base, "migrate", "--to", "4.21.0.0", "--phase", "contract")
    assert contract.code == 0, contract.err

    schema = "DATABASE()" if server == "mariadb" else "current_schema()"
    columns = dict(
        _rows(
            db,
            "SELECT column_name, is_nullable FROM information_schema.columns WHERE table_schema = "
            f"{schema} AND table_name = 'vm_instance'",
        )
    )
    assert columns.get("internal_name") == "NO" and "instance_name" not in columns
    assert _rows(db, "SELECT id, internal_name FROM vm_instance ORDER BY id") == [(1, "i-2-1-VM"), (2, "i-2-2-VM")]
    assert _rows(
        db,
        "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = "
        f"{schema} AND table_name = 'volumes' AND column_name = 'encrypt_format'",
    ) == [(1,)]
    assert _rows(
        db,
        "SELECT COUNT(*) FROM information_schema.table_constraints WHERE table_schema = "
        f"{schema} AND constraint_name = 'fk_volumes__pool_id'",
    ) == [(1,)]
    index = (
        "SELECT COUNT(DISTINCT index_name) FROM information_schema.statistics WHERE table_schema = DATABASE()"
        " AND index_name = 'i_volumes__state_removed'"
        if server == "mariadb"
        else "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'i_volumes__state_removed'"
    )
    assert _rows(db, index) == [(1,)]
