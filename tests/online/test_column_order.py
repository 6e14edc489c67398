"""Interleaved ADD COLUMNs on one table end up column-exact (MySQL/MariaDB) or are refused (PostgreSQL).

The hold-out scenario: maintenance release 2.4.1 adds ``customer.loyalty``, the newer line's 2.5.0
adds ``customer.segment``. A database upgraded 2.4.0 -> 2.5.0 -> 2.5.1 (which merges 2.4.1) runs the
maintenance fix late. On MariaDB the table must equal a fresh install of 2.5.1 (the server's own
``SHOW CREATE TABLE`` of both is the oracle); on PostgreSQL, which cannot place a column, the plan
is refused naming the table's column order, unless releases.toml declares the pair ``[commutes]``
or the whole project's column order irrelevant (``[lines] column_order = "any"``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.online.conftest import Ran, write_project

RELEASES = (
    '[release."2.4.0"]\n[release."2.4.1"]\n[release."2.5.0"]\nfrom = "2.4.0"\n[release."2.5.1"]\nmerges = ["2.4.1"]\n'
)
FILES = {
    "V2.4.0.1__customer.sql": "CREATE TABLE customer (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL);\n",
    "V2.4.1.1__loyalty.sql": "ALTER TABLE customer ADD COLUMN loyalty INT NULL;\n",
    "V2.5.0.1__segment.sql": "ALTER TABLE customer ADD COLUMN segment VARCHAR(20) NULL;\n",
    "V2.5.1.1__note.sql": "ALTER TABLE customer ADD COLUMN note VARCHAR(40) NULL;\n",
}


def _one(db: Any, sql: str, database: str | None = None) -> Any:
    conn: Any = db.connect(database) if database else db.connect()
    try:
        cur = conn.cursor()
        cur.execute(sql)
        return cur.fetchall()
    finally:
        conn.close()


def test_mariadb_late_column_takes_its_fresh_install_place(
    mariadb: Any, tmp_path: Path, fx: Callable[..., Ran]
) -> None:
    project = write_project(tmp_path / "sql", {"releases.toml": RELEASES, **FILES})
    base = ("--url", mariadb.url, "--locations", str(project))
    assert fx(*base, "migrate", "--to", "2.5.0").code == 0
    plan = fx(*base, "plan", "--to", "2.5.1", "--output-type", "json").json()
    assert [(s["version"], s["out_of_order"]) for s in plan["steps"]] == [("2.4.1.1", True), ("2.5.1.1", False)]
    dry = fx(*base, "migrate", "--to", "2.5.1", "--dry-run", "--sql")
    assert "ALTER TABLE customer ADD COLUMN loyalty INT NULL AFTER `name`" in dry.out
    upgraded = fx(*base, "migrate", "--to", "2.5.1")
    assert upgraded.code == 0, upgraded.err

    fresh = f"{mariadb.name}_fresh"
    _one(mariadb, f"CREATE DATABASE {fresh}")
    try:
        url = mariadb.url.rsplit("/", 1)[0] + f"/{fresh}"
        assert fx("--url", url, "--locations", str(project), "migrate", "--to", "2.5.1").code == 0
        want = _one(mariadb, "SHOW CREATE TABLE customer", fresh)[0][1]
        got = _one(mariadb, "SHOW CREATE TABLE customer")[0][1]
    finally:
        _one(mariadb, f"DROP DATABASE {fresh}")
    assert got == want
    assert "`name` varchar(50) NOT NULL,\n  `loyalty` int(11) DEFAULT NULL,\n  `segment`" in got


def test_postgres_refuses_the_swap_unless_declared(postgres: Any, tmp_path: Path, fx: Callable[..., Ran]) -> None:
    project = write_project(tmp_path / "sql", {"releases.toml": RELEASES, **FILES})
    base = ("--url", postgres.url, "--locations", str(project))
    assert fx(*base, "migrate", "--to", "2.5.0").code == 0
    refused = fx(*base, "migrate", "--to", "2.5.1")
    assert refused.code == 1
    assert "2.4.1.1 would run after applied 2.5.0.1 but both touch order:customer" in refused.err
    assert [
        r[0]
        for r in _one(
            postgres,
            "SELECT column_name FROM information_schema.columns WHERE table_name ="
            " 'customer' ORDER BY ordinal_position",
        )
    ] == ["id", "name", "segment"]

    (project / "releases.toml").write_text(RELEASES + '[commutes]\n"2.4.1.1" = ["2.5.0.1"]\n', encoding="utf-8")
    assert fx(*base, "plan", "--to", "2.5.1").code == 0  # the pair is declared
    (project / "releases.toml").write_text('[lines]\ncolumn_order = "any"\n' + RELEASES, encoding="utf-8")
    ran = fx(*base, "migrate", "--to", "2.5.1")  # or: the project does not care about column order
    assert ran.code == 0, ran.err
    assert [
        r[0]
        for r in _one(
            postgres,
            "SELECT column_name FROM information_schema.columns WHERE table_name ="
            " 'customer' ORDER BY ordinal_position",
        )
    ] == ["id", "name", "segment", "loyalty", "note"]


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"])
def test_operations_add_column_declares_the_column_order_on_postgres_only(dialect: str) -> None:
    from flywayx.operations import compiled

    text = '[[operations]]\nop = "add_column"\ntable = "customer"\ncolumn = { name = "loyalty", type = "INT" }\n'
    writes = compiled(text, "V2.4.1.1__loyalty.toml", dialect).first.footprint.writes
    assert ("order:customer" in writes) == (dialect == "postgresql")


def test_operations_file_history_rows_carry_flyways_checksum_of_the_file(
    mariadb: Any, tmp_path: Path, fx: Callable[..., Ran]
) -> None:
    import zlib

    text = (
        '# rename\r\n[[operations]]\nop = "rename_column"\ntable = "customer"\nfrom = "name"\nto = "full_name"\n'
        'type = "VARCHAR(50)"\n'
    )
    project = write_project(
        tmp_path / "sql", {"V1__customer.sql": FILES["V2.4.0.1__customer.sql"], "V2__rename.toml": text}
    )
    base = ("--url", mariadb.url, "--locations", str(project))
    assert fx(*base, "migrate").code == 0
    crc = 0
    for line in text.splitlines():  # Flyway: CRC32 fed line by line, without the line breaks
        crc = zlib.crc32(line.encode("utf-8"), crc)
    signed = crc - (1 << 32) if crc >= 1 << 31 else crc
    rows = _one(mariadb, "SELECT version, script, type, checksum FROM flyway_schema_history ORDER BY installed_rank")
    assert rows[1:] == (
        ("2", "V2__rename.toml", "SCRIPT", signed),
        ("2.1", "V2__rename.toml#contract", "SCRIPT", signed),
    )
    assert [
        r[0]
        for r in _one(
            mariadb,
            "SELECT column_name FROM information_schema.columns WHERE table_schema = "
            "DATABASE() AND table_name = 'customer' ORDER BY ordinal_position",
        )
    ] == ["id", "full_name"]
    (project / "V2__rename.toml").write_text(text.replace("VARCHAR(50)", "VARCHAR(60)"), encoding="utf-8")
    changed = fx(*base, "validate")
    assert changed.code == 1 and "checksum mismatch" in changed.err.lower()


def _columns(db: Any, table: str = "customer") -> list[str]:
    return [
        r[0]
        for r in _one(
            db,
            "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name ="
            f" '{table}' ORDER BY ordinal_position",
        )
    ]


@pytest.mark.parametrize("how", ["--to", "plain", "--to, resumed --to"])
@pytest.mark.parametrize("fails_at", [1, 2])
def test_mariadb_resume_of_a_late_step_places_its_columns_as_the_run_did(
    mariadb: Any, tmp_path: Path, fx: Callable[..., Ran], how: str, fails_at: int
) -> None:
    """A late step fails part-way (after one placed ADD COLUMN, or before any); the failed statement is
    fixed and ``migrate --resume`` finishes it: the applied part is recognised as the file's, and the
    remaining ADD COLUMNs go where the failed run would have put them (a fresh install's order)."""
    late = ["ALTER TABLE customer ADD COLUMN loyalty INT NULL;", "ALTER TABLE customer ADD COLUMN tier INT NULL;"]
    broken = [*late]
    broken.insert(fails_at - 1, "INSERT INTO no_such_table VALUES (1);")
    fixed = [*late]
    fixed.insert(fails_at - 1, "UPDATE customer SET name = name;")
    files = {**FILES, "V2.4.1.1__loyalty.sql": "\n".join(broken) + "\n"}
    project = write_project(tmp_path / "sql", {"releases.toml": RELEASES, **files})
    base = ("--url", mariadb.url, "--locations", str(project))
    assert fx(*base, "migrate", "--to", "2.5.0").code == 0
    failed = fx(*base, "migrate", *(["--to", "2.5.1"] if how.startswith("--to") else []))
    assert failed.code != 0 and "no_such_table" in failed.err, failed.err
    assert _columns(mariadb) == ["id", "name", *(["loyalty"] if fails_at == 2 else []), "segment"]

    (project / "V2.4.1.1__loyalty.sql").write_text("\n".join(fixed) + "\n", encoding="utf-8")
    if how.endswith("resumed --to"):  # a plan that does not start with the failed migration is refused
        early = fx(*base, "migrate", "--resume", "--to", "2.5.0")
        assert early.code == 1 and "this plan does not start with V2.4.1.1__loyalty.sql" in early.err, early.err
    resumed = fx(*base, "migrate", "--resume", *(["--to", "2.5.1"] if how.endswith("resumed --to") else []))
    assert resumed.code == 0, resumed.err
    assert _columns(mariadb) == ["id", "name", "loyalty", "tier", "segment", "note"]
    rows = _one(mariadb, "SELECT version, success FROM flyway_schema_history ORDER BY installed_rank")
    assert [r for r in rows if r[0] is not None][-2:] == [("2.4.1.1", 1), ("2.5.1.1", 1)]
