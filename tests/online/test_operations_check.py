"""``add_check`` with ``enforce = "trigger"`` on MariaDB: the table is not copied, yet a write that
breaks the rule fails as a CHECK would (error 4025), and rows that already break it stop the
contract step with a message — which runs again once the rows are fixed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.online.conftest import Ran, write_project

PROJECT = {
    "releases.toml": '[release."1.0.0"]\n[release."1.1.0"]\nfrom = "1.0.0"\n',
    "V1.0.0.1__items.sql": "CREATE TABLE items (id INT PRIMARY KEY, qty INT NULL, status VARCHAR(10) NULL,"
    " `order` INT NULL);\n"
    "INSERT INTO items VALUES (1, 5, 'open', 1), (2, -3, 'open', 1), (3, NULL, 'shut', NULL);\n",
    # a reserved word in backquotes, and a literal that is also a column's name (left alone)
    "V1.1.0.1__checks.toml": '[[operations]]\nop = "add_check"\ntable = "items"\nname = "ck_items_qty"\n'
    "expression = \"qty >= 0 AND status IN ('open', 'shut', 'qty') AND "
    '(`order` IS NULL OR `order` > 0)"\nenforce = "trigger"\n',
}


def _run(db: Any, sql: str) -> int | None:
    """None when the statement runs, else the server's error number."""
    conn: Any = db.connect()
    try:
        conn.cursor().execute(sql)
        return None
    except Exception as err:
        return int(err.args[0])
    finally:
        conn.close()


@pytest.mark.mariadb
def test_a_check_kept_by_triggers_rejects_bad_writes_and_waits_for_bad_rows_to_be_fixed(
    mariadb: Any, tmp_path: Path, fx: Callable[..., Ran]
) -> None:
    base = ("--url", mariadb.url, "--locations", str(write_project(tmp_path / "sql", PROJECT)))
    assert fx(*base, "migrate", "--to", "1.1.0", "--phase", "expand").code == 0

    first = fx(*base, "migrate", "--to", "1.1.0", "--phase", "contract")
    assert first.code == 1
    assert "rows of items violate ck_items_qty: fix them, then run the contract step again" in first.err
    assert first.err.count("\n") <= 3, first.err
    assert _run(mariadb, "UPDATE items SET qty = 0 WHERE id = 2") is None
    fx(*base, "repair")
    again = fx(*base, "migrate", "--to", "1.1.0", "--phase", "contract")
    assert again.code == 0, again.err

    assert _run(mariadb, "INSERT INTO items VALUES (4, -1, 'open', 1)") == 4025
    assert _run(mariadb, "INSERT INTO items VALUES (4, 1, 'gone', 1)") == 4025
    assert _run(mariadb, "INSERT INTO items VALUES (4, 1, 'open', 0)") == 4025
    assert _run(mariadb, "UPDATE items SET qty = -9 WHERE id = 1") == 4025
    assert _run(mariadb, "INSERT INTO items VALUES (4, NULL, 'qty', NULL)") is None  # NULL passes, as in a CHECK
    assert _run(mariadb, "UPDATE items SET qty = 7 WHERE id = 3") is None
