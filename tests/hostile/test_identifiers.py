"""Names from configuration (schemas, history table, tablespace) are quoted with the dialect's rules.

Each name carries the dialect's quote character and a statement that would drop a canary table if
it were pasted into SQL as-is. Every command that touches the database runs through the console
script with those names; the canary must survive, and the objects must exist under exactly the
configured names (the catalog is the oracle). A tablespace that does not exist is the server's
one-line error naming it, not a second statement.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests import databases
from tests.databases import ScratchDb
from tests.e2e import harness

MARIA_DROP = "; DROP TABLE {canary}; -- x"


def _project(root: Path) -> Path:
    loc = root / "sql"
    loc.mkdir()
    (loc / "V1__base.sql").write_text("CREATE TABLE base (id INT PRIMARY KEY);\nINSERT INTO base VALUES (1);\n")
    return loc


def _ok(proc: harness.Proc) -> harness.Proc:
    assert proc.code == 0, proc.text
    assert "Traceback" not in proc.text
    return proc


@pytest.fixture
def maria_names() -> Iterator[tuple[ScratchDb, str, str]]:
    """A scratch MariaDB database holding the canary, and a hostile schema name (dropped afterwards)."""
    with databases.scratch("mariadb", Path("/nonexistent")) as db:
        db.query("CREATE TABLE canary (id INT)")
        canary = f"`{db.schema}`.canary"
        schema = f"fx15b_{db.schema[-6:]}`{MARIA_DROP.format(canary=canary)}\"'"
        try:
            yield db, schema, canary
        finally:
            db.query("DROP DATABASE IF EXISTS `" + schema.replace("`", "``") + "`")


def _maria_tables(db: ScratchDb, schema: str) -> set[str]:
    literal = "'" + schema.replace("\\", "\\\\").replace("'", "''") + "'"
    return {r[0] for r in db.query(f"SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = {literal}")}


@pytest.mark.mariadb
def test_mariadb_hostile_schema_table_and_tablespace(maria_names: tuple[ScratchDb, str, str], tmp_path: Path) -> None:
    db, schema, canary = maria_names
    loc = _project(tmp_path)
    table = f"hist`{MARIA_DROP.format(canary=canary)}"
    space = f'ts"{MARIA_DROP.format(canary=canary)}`x'  # MariaDB accepts and ignores TABLESPACE
    server = db.url.rsplit("/", 1)[0] + "/"
    args = ["--url", server, f"-schemas={schema}", f"-table={table}", f"-tablespace={space}", "--locations", str(loc)]
    _ok(harness.run(*args, "migrate"))
    for command in ("info", "validate", "verify", "repair", "migrate"):
        _ok(harness.run(*args, command))
    assert _maria_tables(db, schema) >= {table, "base"}
    assert db.query("SELECT COUNT(*) FROM canary") == [(0,)]  # still there
    _ok(harness.run(*args, "migrate", "--backup", str(tmp_path / "bk")))  # mariadb-dump --databases <name>
    dump = next(p for p in (tmp_path / "bk").iterdir() if p.suffix == ".sql")
    assert "/" not in dump.name[:-4] and "`" not in dump.name and '"' not in dump.name
    _ok(harness.run(*args, "restore", "--force", str(dump)))  # scratch <name>__fx_restore, then the swap
    assert _maria_tables(db, schema) >= {table, "base"}
    assert db.query("SELECT COUNT(*) FROM canary") == [(0,)]
    _ok(harness.run(*args, "-cleanDisabled=false", "clean"))
    assert db.query("SELECT COUNT(*) FROM canary") == [(0,)]


@pytest.fixture
def pg_db(tmp_path: Path) -> Iterator[ScratchDb]:
    with databases.scratch("postgresql", tmp_path) as db:
        db.query("CREATE TABLE public.canary (id INT)")
        yield db


def _pg_tables(db: ScratchDb, schema: str) -> set[str]:
    conn: Any = db.connect()
    with closing(conn):
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)).fetchall()
    return {r[0] for r in rows}


@pytest.mark.postgres
def test_postgres_hostile_schema_table_and_tablespace(pg_db: ScratchDb, tmp_path: Path) -> None:
    loc = _project(tmp_path)
    drop = "; DROP TABLE public.canary; -- x"
    schema, table = f"app\"{drop}'", f'hist"{drop}'
    args = ["--url", pg_db.url, f"-schemas={schema}", f"-table={table}", "--locations", str(loc)]
    bad = harness.run(*args, f'-tablespace=pg_default"{drop}', "migrate")
    assert bad.code == 1 and "Traceback" not in bad.text
    assert bad.err.startswith("ERROR: ") and "does not exist" in bad.err and "pg_default" in bad.err, bad.err
    assert _pg_tables(pg_db, "public") == {"canary"}
    assert table not in _pg_tables(pg_db, schema)
    _ok(harness.run(*args, "-tablespace=pg_default", "migrate"))  # a real tablespace, quoted
    for command in ("info", "validate", "verify", "repair", "migrate"):
        _ok(harness.run(*args, command))
    assert _pg_tables(pg_db, schema) >= {table, "base"}
    _ok(harness.run(*args, "migrate", "--backup", str(tmp_path / "bk")))  # pg_dump --schema="<quoted>"
    dump = next(p for p in (tmp_path / "bk").iterdir() if p.suffix == ".dump")
    _ok(harness.run(*args, "restore", "--force", str(dump)))
    assert _pg_tables(pg_db, schema) >= {table, "base"}
    assert _pg_tables(pg_db, "public") == {"canary"}
    _ok(harness.run(*args, "-cleanDisabled=false", "clean"))
    assert _pg_tables(pg_db, "public") == {"canary"}
