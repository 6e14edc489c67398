"""`migrate --phase expand` says what waits for the contract, and never blocks writers silently.

- A file mixing ADD and DROP is left for `--phase contract`, and the run says so (never "up to date").
- PostgreSQL: a `CREATE INDEX` alone in its migration is sent `CONCURRENTLY` (the dry run's SQL shows
  it, and the index is valid afterwards); a failing concurrent build leaves no invalid index behind
  (the server's own catalog is the oracle); one mixed into a transactional migration is refused with
  the fix, before anything is applied.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.databases import ScratchDb, requires
from tests.online.conftest import Ran, write_project

BASE = {
    "releases.toml": '[release."1.0.0"]\n[release."1.1.0"]\nfrom = "1.0.0"\n',
    "V1.0.0.1__items.sql": "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, old_code INT NULL);\n"
    "INSERT INTO items (id, name, old_code) VALUES (1, 'a', 7), (2, 'b', 5), (3, 'c', 1);\n",
}


def _rows(db: Any, sql: str) -> list[tuple[Any, ...]]:
    conn: Any = db.connect()
    try:
        cur = conn.cursor()
        cur.execute(sql)
        return list(cur.fetchall())
    finally:
        conn.close()


def _versions(db: Any) -> list[str]:
    return [
        r[0]
        for r in _rows(
            db, "SELECT version FROM flyway_schema_history WHERE version IS NOT NULL ORDER BY installed_rank"
        )
    ]


@requires("server")
def test_expand_of_a_mixed_file_says_what_waits_for_contract(
    database: ScratchDb, tmp_path: Path, fx: Callable[..., Ran]
) -> None:
    db = database
    project = write_project(
        tmp_path / "sql",
        {
            **BASE,
            "V1.1.0.1__swap.sql": "ALTER TABLE items ADD COLUMN code VARCHAR(10) NULL;\n"
            "ALTER TABLE items DROP COLUMN old_code;\n",
        },
    )
    base = ("--url", db.url, "--locations", str(project))
    assert fx(*base, "migrate", "--to", "1.0.0").code == 0

    expand = fx(*base, "migrate", "--to", "1.1.0", "--phase", "expand")
    assert expand.code == 0, expand.err
    assert "up to date" not in expand.out
    assert "1 migration waits for --phase contract" in expand.out
    assert "migrate --to 1.1.0 --phase contract" in expand.out
    assert "V1.1.0.1__swap.sql (contract): line 2: ALTER TABLE items DROP COLUMN old_code" in expand.out
    as_json = fx(*base, "migrate", "--to", "1.1.0", "--phase", "expand", "--output-type", "json").json()
    assert as_json["waitingForContract"] == [
        {
            "script": "V1.1.0.1__swap.sql",
            "version": "1.1.0.1",
            "phase": "contract",
            "why": "line 2: ALTER TABLE items DROP COLUMN old_code",
        }
    ]
    assert _versions(db) == ["1.0.0.1"]  # nothing of the mixed file ran
    planned = fx(*base, "plan", "--to", "1.1.0", "--phase", "expand")
    assert "Waiting for --phase contract (1):" in planned.out and "V1.1.0.1__swap.sql (contract)" in planned.out

    contract = fx(*base, "migrate", "--to", "1.1.0", "--phase", "contract")
    assert contract.code == 0, contract.err
    assert _versions(db) == ["1.0.0.1", "1.1.0.1"]
    assert "up to date" in fx(*base, "migrate", "--to", "1.1.0", "--phase", "expand").out


def _invalid_indexes(db: Any) -> list[tuple[Any, ...]]:
    return _rows(db, "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE NOT i.indisvalid")


def test_postgres_index_alone_in_its_migration_is_built_concurrently(
    postgres: Any, tmp_path: Path, fx: Callable[..., Ran]
) -> None:
    project = write_project(
        tmp_path / "sql", {**BASE, "V1.1.0.1__name_index.sql": "CREATE INDEX idx_items_name ON items (name);\n"}
    )
    base = ("--url", postgres.url, "--locations", str(project))
    assert fx(*base, "migrate", "--to", "1.0.0").code == 0
    dry = fx(*base, "migrate", "--to", "1.1.0", "--phase", "expand", "--dry-run", "--sql")
    assert dry.code == 0, dry.err
    assert "CREATE INDEX CONCURRENTLY idx_items_name ON items (name)" in dry.out
    planned = fx(*base, "plan", "--to", "1.1.0", "--phase", "expand", "--sql")
    assert "CREATE INDEX CONCURRENTLY idx_items_name ON items (name)" in planned.out

    ran = fx(*base, "migrate", "--to", "1.1.0", "--phase", "expand")
    assert ran.code == 0, ran.err
    assert _rows(
        postgres, "SELECT indexname FROM pg_indexes WHERE tablename = 'items' AND indexname = 'idx_items_name'"
    ) == [("idx_items_name",)]
    assert _invalid_indexes(postgres) == []
    assert _versions(postgres) == ["1.0.0.1", "1.1.0.1"]


def test_postgres_failed_concurrent_build_leaves_no_invalid_index(
    postgres: Any, tmp_path: Path, fx: Callable[..., Ran]
) -> None:
    # the expression fails on the row whose old_code is 5: PostgreSQL keeps the half-built index, invalid
    project = write_project(
        tmp_path / "sql",
        {**BASE, "V1.1.0.1__bad_index.sql": "CREATE INDEX idx_items_ratio ON items ((100 / (old_code - 5)));\n"},
    )
    base = ("--url", postgres.url, "--locations", str(project))
    assert fx(*base, "migrate", "--to", "1.0.0").code == 0

    ran = fx(*base, "migrate", "--to", "1.1.0", "--phase", "expand")
    assert ran.code != 0
    assert "division by zero" in ran.err
    assert "Dropped invalid index public.idx_items_ratio" in ran.err
    assert _invalid_indexes(postgres) == []
    assert _rows(postgres, "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'idx_items_ratio'") == [(0,)]


def test_postgres_index_inside_a_transactional_migration_is_refused_with_the_fix(
    postgres: Any, tmp_path: Path, fx: Callable[..., Ran]
) -> None:
    project = write_project(
        tmp_path / "sql",
        {
            **BASE,
            "V1.1.0.1__code.sql": "ALTER TABLE items ADD COLUMN code VARCHAR(10) NULL;\n"
            "CREATE INDEX idx_items_name ON items (name);\n",
        },
    )
    base = ("--url", postgres.url, "--locations", str(project))
    assert fx(*base, "migrate", "--to", "1.0.0").code == 0

    ran = fx(*base, "migrate", "--to", "1.1.0", "--phase", "expand")
    assert ran.code == 1
    first, hint = ran.err.strip().splitlines()[:2]
    assert first.startswith(
        "ERROR: --phase expand refuses DDL that blocks the running release's writes: "
        "V1.1.0.1__code.sql:2: builds an index on items without CONCURRENTLY"
    )
    assert "move the CREATE INDEX into a migration of its own" in hint
    assert "V1.1.0.1__code.sql.conf" in hint
    assert "Traceback" not in ran.err
    assert _versions(postgres) == ["1.0.0.1"]
    assert _rows(
        postgres, "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'code'"
    ) == [(0,)]
    # outside --phase expand (a maintenance window) the same migration runs as written
    assert fx(*base, "migrate", "--to", "1.1.0").code == 0
    assert _versions(postgres) == ["1.0.0.1", "1.1.0.1"]


def test_postgres_table_rewrite_is_refused_in_expand(postgres: Any, tmp_path: Path, fx: Callable[..., Ran]) -> None:
    project = write_project(
        tmp_path / "sql", {**BASE, "V1.1.0.1__serial.sql": "ALTER TABLE items ADD COLUMN seq BIGSERIAL;\n"}
    )
    base = ("--url", postgres.url, "--locations", str(project))
    assert fx(*base, "migrate", "--to", "1.0.0").code == 0
    ran = fx(*base, "migrate", "--to", "1.1.0", "--phase", "expand")
    assert ran.code == 1
    assert ran.err.startswith("ERROR: --phase expand refuses DDL that blocks")
    assert "rewrites table items" in ran.err
    assert _versions(postgres) == ["1.0.0.1"]
