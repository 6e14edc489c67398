"""`migrate --to R --phase expand|contract` on real servers while the previous release keeps working.

An "old application" thread with its own connection runs release 1.0.0's queries (insert, read and
update ``accounts.legacy_code``) before, during and after ``--phase expand`` of 1.1.0 and must see
no error; after ``--phase contract`` release 1.1.0's queries work and the old ones no longer do.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.databases import ScratchDb, requires
from tests.online.conftest import Ran

SEED_ROWS = 100_000


@dataclass
class OldApp:
    """Release 1.0.0's data access, in a loop on its own connection (autocommit, like an app pool)."""

    connect: Callable[[], Any]
    ops: list[tuple[float, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        conn = self.connect()
        try:
            cur = conn.cursor()
            i = 10_000_000
            while not self.stop.is_set():
                i += 1
                t0 = time.monotonic()
                try:
                    cur.execute("INSERT INTO accounts (id, name, legacy_code) VALUES (%s, %s, %s)", (i, f"a{i}", "L1"))
                    cur.execute("SELECT id, name, legacy_code FROM accounts WHERE id = %s", (i,))
                    row = cur.fetchone()
                    if row is None or row[2] != "L1":
                        self.errors.append(f"read back {row!r} for id {i}")
                    cur.execute("UPDATE accounts SET legacy_code = %s WHERE id = %s", ("L2", i))
                except Exception as err:  # any failure is what the test looks for
                    self.errors.append(f"{type(err).__name__}: {err}")
                    return
                self.ops.append((t0, time.monotonic()))
        finally:
            conn.close()

    def wait_for(self, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.ops) < count and not self.errors and time.monotonic() < deadline:
            time.sleep(0.01)


def _seed(db: Any, dialect: str) -> None:
    conn: Any = db.connect()
    try:
        source = (
            f"SELECT seq, CONCAT('n', seq), 'L0' FROM seq_1_to_{SEED_ROWS}"
            if dialect == "mariadb"
            else f"SELECT g, 'n' || g, 'L0' FROM generate_series(1, {SEED_ROWS}) g"
        )
        conn.cursor().execute(f"INSERT INTO accounts (id, name, legacy_code) {source}")
    finally:
        conn.close()


def _applied(db: Any) -> list[str]:
    conn: Any = db.connect()
    try:
        cur = conn.cursor()
        cur.execute(
            "SELECT version FROM flyway_schema_history WHERE success = %s AND version IS NOT NULL"
            " ORDER BY installed_rank",
            (True,),
        )
        return [r[0] for r in cur.fetchall()]
    finally:
        conn.close()


@requires("server")
def test_old_release_keeps_working_through_expand_new_release_after_contract(
    database: ScratchDb, project: Path, fx: Callable[..., Ran]
) -> None:
    db = database
    dialect = database.dialect
    base = ("--url", db.url, "--locations", str(project))
    assert fx(*base, "migrate", "--to", "1.0.0").code == 0
    _seed(db, dialect)

    app = OldApp(db.connect)
    worker = threading.Thread(target=app.run, daemon=True)
    worker.start()
    app.wait_for(20)
    start = time.monotonic()
    expand = fx(*base, "migrate", "--to", "1.1.0", "--phase", "expand")
    end = time.monotonic()
    before = len(app.ops)
    app.wait_for(before + 20)
    app.stop.set()
    worker.join(30)

    assert expand.code == 0, expand.err
    assert app.errors == []
    assert any(start <= t0 <= end for t0, _ in app.ops), "the old application did not run during expand"
    assert len(app.ops) >= 40
    # expand took the additive steps, including 1.1.0.4 which commutes with the pending cleanup
    assert _applied(db) == ["1.0.0.1", "1.1.0.1", "1.1.0.4"]
    info = fx(*base, "info")
    assert "expanded to 1.1.0, contract pending" in info.out
    assert fx(*base, "info", "--output-type", "json").json()["phaseState"] == "expanded to 1.1.0, contract pending"
    remaining = fx(*base, "plan", "--to", "1.1.0", "--output-type", "json").json()
    assert [(s["version"], s["phase"]) for s in remaining["steps"]] == [("1.1.0.2", "data"), ("1.1.0.3", "contract")]

    contract = fx(*base, "migrate", "--to", "1.1.0", "--phase", "contract")
    assert contract.code == 0, contract.err
    assert _applied(db) == ["1.0.0.1", "1.1.0.1", "1.1.0.4", "1.1.0.2", "1.1.0.3"]
    assert fx(*base, "info", "--output-type", "json").json()["phaseState"] is None
    assert "up to date" in fx(*base, "migrate", "--to", "1.1.0").out
    _new_release_works(db, app)


def _new_release_works(db: Any, app: OldApp) -> None:
    conn: Any = db.connect()
    try:
        cur = conn.cursor()
        cur.execute("INSERT INTO accounts (id, name, email) VALUES (%s, %s, %s)", (-1, "new", "new@example.org"))
        cur.execute("SELECT name, email FROM accounts WHERE id = %s", (-1,))
        assert cur.fetchone() == ("new", "new@example.org")
        cur.execute("SELECT COUNT(*) FROM accounts WHERE email IS NULL")
        assert cur.fetchone()[0] == 0  # the backfill covered the rows the old release wrote during expand
        cur.execute("SELECT COUNT(*) FROM accounts")
        assert cur.fetchone()[0] == SEED_ROWS + len(app.ops) + 1  # and the row just inserted
        cur.execute("INSERT INTO audit_log (id, account_id, note) VALUES (%s, %s, %s)", (1, -1, "created"))
        with pytest.raises(Exception, match="legacy_code"):
            cur.execute("SELECT legacy_code FROM accounts WHERE id = %s", (-1,))
    finally:
        conn.close()
