"""Migration locks: Flyway's names and keys, and two real sessions contending for them.

What users trust: a second runner waits while the first migrates, then proceeds; it gives up after
``lock_timeout`` naming who holds the lock; and a runner that dies (connection closed or killed)
does not leave the lock behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flywayx.db.connect import connect
from flywayx.db.locks import PG_LOCK_MAGIC, java_string_hash, mysql_lock_name, pg_lock_key
from flywayx.errors import LockTimeout
from flywayx.model import DatabaseUrl
from tests.databases import ScratchDb

VECTORS = Path(
    os.environ.get("FLYWAYX_VECTORS", Path(__file__).resolve().parents[2] / "compat" / "flyway-vectors.json")
)
TABLE = "flyway_schema_history"


def _lock_vectors() -> dict[str, Any]:
    if not VECTORS.exists():
        pytest.skip(f"golden vectors not found at {VECTORS}")
    data: dict[str, Any] = json.loads(VECTORS.read_text())["lock_ids"]
    return data


# --- names and keys ------------------------------------------------------------------------------------


def test_mysql_lock_names_match_flyway_vectors() -> None:
    cases = _lock_vectors()["mysql"]
    assert cases
    for case in cases:
        assert mysql_lock_name(case["schema"], case["table"]) == case["lock_name"]
        assert case["lock_name"] == f"Flyway-{java_string_hash(case['table_to_string'])}"


def test_pg_lock_keys_match_flyway_vectors() -> None:
    vectors = _lock_vectors()
    assert vectors["postgresql_magic"] == PG_LOCK_MAGIC
    for case in vectors["postgresql"]:
        assert pg_lock_key(case["schema"], case["table"]) == case["advisory_lock_key"]
        assert case["advisory_lock_key"] == PG_LOCK_MAGIC + java_string_hash(case["table_to_string"])


@pytest.mark.parametrize(
    "text,expected",
    [
        ("", 0),
        ("a", 97),
        ("hello", 99162322),
        ("polygenelubricants", -2147483648),  # wraps exactly to Integer.MIN_VALUE
        ("\U0001f600", 55357 * 31 + 56832),  # hashed as its two UTF-16 surrogates
    ],
)
def test_java_string_hash(text: str, expected: int) -> None:
    assert java_string_hash(text) == expected


# --- helpers -------------------------------------------------------------------------------------------


@pytest.fixture
def url(database: ScratchDb) -> DatabaseUrl:
    u: DatabaseUrl = database.database_url()
    return u


@pytest.fixture
def pair(url: DatabaseUrl) -> Iterator[tuple[Any, Any, str | None]]:
    a = connect(url, user=None, password=None)
    b = connect(url, user=None, password=None)
    try:
        yield a, b, a.current_schema()
    finally:
        a.close()
        b.close()


def _acquire_in_thread(db: Any, schema: str, timeout: float) -> tuple[threading.Thread, dict[str, Any]]:
    """Start waiting for the lock in a thread; the dict gets ``acquired_at`` or ``error``."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            with db.lock(schema, TABLE, timeout):
                out["acquired_at"] = time.monotonic()
        except Exception as err:  # reported to the test through ``out``
            out["error"] = err

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


# --- behaviour on every dialect ------------------------------------------------------------------------


def test_second_runner_waits_then_proceeds(pair: tuple[Any, Any, str]) -> None:
    a, b, schema = pair
    with a.lock(schema, TABLE, 5):
        thread, out = _acquire_in_thread(b, schema, 10)
        time.sleep(0.6)
        assert out == {}, "the second runner must still be waiting"
        released = time.monotonic()
    thread.join(5)
    assert "error" not in out
    assert 0 <= out["acquired_at"] - released < 1.0


def test_timeout_raises_lock_timeout(pair: tuple[Any, Any, str]) -> None:
    a, b, schema = pair
    with a.lock(schema, TABLE, 5):
        started = time.monotonic()
        with pytest.raises(LockTimeout) as err, b.lock(schema, TABLE, 0.5):
            pass
        waited = time.monotonic() - started
    assert 0.45 <= waited < 3
    assert "0.5 s" in err.value.message and err.value.hint
    with b.lock(schema, TABLE, 1):  # free again once the holder left its block
        pass


def test_lock_is_reusable_and_released_on_error(pair: tuple[Any, Any, str]) -> None:
    a, b, schema = pair
    with pytest.raises(RuntimeError), a.lock(schema, TABLE, 1):
        raise RuntimeError("migration failed")
    with b.lock(schema, TABLE, 0.5):
        pass


# --- MariaDB: GET_LOCK ---------------------------------------------------------------------------------


@pytest.fixture
def maria_pair(mariadb: Any) -> Iterator[tuple[Any, Any, str]]:
    url = mariadb.database_url()
    a, b = connect(url, user=None, password=None), connect(url, user=None, password=None)
    try:
        yield a, b, mariadb.name
    finally:
        a.close()
        b.close()


def test_mariadb_lock_is_flyway_named_lock(maria_pair: tuple[Any, Any, str], mariadb: Any) -> None:
    a, _, schema = maria_pair
    name = mysql_lock_name(schema, TABLE)
    probe = mariadb.connect()
    try:
        with probe.cursor() as cur, a.lock(schema, TABLE, 1):
            cur.execute("SELECT IS_USED_LOCK(%s), IS_FREE_LOCK(%s)", (name, name))
            holder, free = cur.fetchone()
            assert (holder, free) == (a.query("SELECT CONNECTION_ID()")[0][0], 0)
        with probe.cursor() as cur:
            cur.execute("SELECT IS_FREE_LOCK(%s)", (name,))
            assert cur.fetchone() == (1,)
    finally:
        probe.close()


def test_mariadb_timeout_names_the_holder(maria_pair: tuple[Any, Any, str]) -> None:
    a, b, schema = maria_pair
    holder_id = a.query("SELECT CONNECTION_ID()")[0][0]
    with a.lock(schema, TABLE, 1), pytest.raises(LockTimeout) as err, b.lock(schema, TABLE, 0.3):
        pass
    assert f"connection {holder_id}" in err.value.message
    assert f"KILL {holder_id}" in err.value.message
    assert mysql_lock_name(schema, TABLE) in err.value.message


def test_mariadb_killed_holder_frees_the_lock(maria_pair: tuple[Any, Any, str], mariadb: Any) -> None:
    a, b, schema = maria_pair
    holder_id = a.query("SELECT CONNECTION_ID()")[0][0]
    with a.lock(schema, TABLE, 1):
        thread, out = _acquire_in_thread(b, schema, 10)
        time.sleep(0.3)
        assert out == {}
        killed = time.monotonic()
        killer = mariadb.connect()
        killer.cursor().execute(f"KILL {holder_id}")
        killer.close()
        thread.join(5)
        assert "error" not in out and out["acquired_at"] - killed < 1.5
    # leaving the block on a dead connection did not raise: the server freed the lock already


def test_mariadb_closed_holder_frees_the_lock(maria_pair: tuple[Any, Any, str]) -> None:
    a, b, schema = maria_pair
    with a.lock(schema, TABLE, 1):
        a.raw.close()  # the process dies without releasing
        started = time.monotonic()
        with b.lock(schema, TABLE, 5):
            assert time.monotonic() - started < 1.5


# --- PostgreSQL: advisory lock -------------------------------------------------------------------------


@pytest.fixture
def pg_pair(postgres: Any) -> Iterator[tuple[Any, Any, str]]:
    url = postgres.database_url()
    a, b = connect(url, user=None, password=None), connect(url, user=None, password=None)
    try:
        yield a, b, "public"
    finally:
        a.close()
        b.close()


def test_pg_lock_excludes_flyway_transactional_lock(pg_pair: tuple[Any, Any, str], postgres: Any) -> None:
    a, _, schema = pg_pair
    key = pg_lock_key(schema, TABLE)
    flyway = postgres.connect()  # what Flyway runs by default: pg_try_advisory_xact_lock in a transaction
    try:
        with a.lock(schema, TABLE, 1):
            assert flyway.execute("SELECT pg_try_advisory_xact_lock(%s)", (key,)).fetchone() == (False,)
        assert flyway.execute("SELECT pg_try_advisory_xact_lock(%s)", (key,)).fetchone() == (True,)
    finally:
        flyway.close()


def test_pg_timeout_names_the_holder(pg_pair: tuple[Any, Any, str]) -> None:
    a, b, schema = pg_pair
    pid = a.query("SELECT pg_backend_pid()")[0][0]
    with a.lock(schema, TABLE, 1), pytest.raises(LockTimeout) as err, b.lock(schema, TABLE, 1.5):
        pass
    assert f"backend pid {pid}" in err.value.message
    assert f"pg_terminate_backend({pid})" in err.value.message
    assert str(pg_lock_key(schema, TABLE)) in err.value.message


def test_pg_terminated_holder_frees_the_lock(pg_pair: tuple[Any, Any, str], postgres: Any) -> None:
    a, b, schema = pg_pair
    pid = a.query("SELECT pg_backend_pid()")[0][0]
    with a.lock(schema, TABLE, 1):
        thread, out = _acquire_in_thread(b, schema, 10)
        time.sleep(0.3)
        assert out == {}
        admin = postgres.connect()
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        admin.close()
        killed = time.monotonic()
        thread.join(5)
        assert "error" not in out and out["acquired_at"] - killed < 2.0  # polls back off to 1 s


def test_pg_closed_holder_frees_the_lock(pg_pair: tuple[Any, Any, str]) -> None:
    a, b, schema = pg_pair
    with a.lock(schema, TABLE, 1):
        a.raw.close()
        started = time.monotonic()
        with b.lock(schema, TABLE, 5):
            assert time.monotonic() - started < 1.5


# --- SQLite: lock file ---------------------------------------------------------------------------------

_HOLDER = """
import sys, time
from flywayx.db.locks import file_lock
with file_lock(sys.argv[1], 5):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_sqlite_killed_process_frees_the_lock_file(tmp_path: Path) -> None:
    path = str(tmp_path / "app.db")
    db = connect(DatabaseUrl("sqlite", database=path), user=None, password=None)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, path],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(LockTimeout, match="flywayx-lock"), db.lock("main", TABLE, 0.3):
            pass
        holder.kill()
        holder.wait(5)
        with db.lock("main", TABLE, 2):
            assert Path(path + ".flywayx-lock").exists()
    finally:
        holder.kill()
        db.close()


def test_sqlite_memory_database_needs_no_lock() -> None:
    db = connect(DatabaseUrl("sqlite", database=":memory:"), user=None, password=None)
    with db.lock("main", TABLE, 0), db.lock("main", TABLE, 0):
        pass
    db.close()


# --- createSchemas=false and a missing history schema -------------------------------------------------


@pytest.mark.parametrize(
    "command", [["migrate"], ["migrate", "--dry-run"], ["baseline"], ["baseline", "--release", "1"]]
)
def test_a_missing_history_schema_with_create_schemas_off_is_refused_before_any_lock(
    database: ScratchDb, tmp_path: Path, cli_run: Any, command: list[str]
) -> None:
    """``createSchemas=false`` and the schema meant to hold the history does not exist: one error naming
    the schema and the setting, before any lock (here held by another session the whole time: a run
    that asked for it would fail on the lock timeout instead) and with nothing created."""
    loc = tmp_path / "sql"
    loc.mkdir()
    (loc / "V1__a.sql").write_text("CREATE TABLE a (id INT);\n", encoding="utf-8")
    (loc / "releases.toml").write_text('[release."1"]\n', encoding="utf-8")
    missing = f"{database.schema}_missing" if database.dialect != "sqlite" else "elsewhere"
    holder = database.connect() if database.caps.server else None
    try:
        if holder is not None and database.dialect == "mariadb":
            holder.cursor().execute("SELECT GET_LOCK(%s, 0)", (mysql_lock_name(missing, TABLE),))
        elif holder is not None:
            holder.execute("SELECT pg_advisory_lock(%s)", (pg_lock_key(missing, TABLE),))
        r = cli_run(
            "--url", database.url, "--schemas", missing, "--locations", str(loc), "-createSchemas=false",
            "--lock-timeout", "30", *command,
        )  # fmt: skip
    finally:
        if holder is not None:
            holder.close()
    assert r.code == 1, r.out + r.err
    quoted = {"mariadb": f"`{missing}`"}.get(database.dialect, f'"{missing}"')
    assert r.err.splitlines()[0] == (
        f"ERROR: Schema {quoted} does not exist and createSchemas is false: the schema history table "
        f"{quoted.replace(missing, TABLE)} cannot be created in it, and flywayx creates no schema"
    ), r.err
    assert r.err.splitlines()[1].startswith("hint: create the schema") and len(r.err.splitlines()) == 2, r.err
    if database.dialect == "mariadb":
        found = database.query(f"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{missing}'")
        assert found == [(0,)], "nothing may be created"
    elif database.dialect == "postgresql":
        found = database.query(f"SELECT COUNT(*) FROM pg_namespace WHERE nspname = '{missing}'")
        assert found == [(0,)], "nothing may be created"
    else:
        assert database.tables() == [], "nothing may be created"
