"""The next migration's progress record written ahead, in the previous migration's COMMIT (MariaDB).

What it must keep (``flywayx/apply/ahead.py``): a DDL that opens a migration goes without a progress
write of its own (its implicit commit has nothing to flush); a ``running`` record of a live run is
not an interrupted run's for another runner, and is one as soon as its session ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from flywayx.config.urls import parse_url
from flywayx.db.connect import connect
from flywayx.db.own_tables import LIVE_RUN, OwnTables
from tests.conftest import CliResult
from tests.databases import ScratchDb


def _write(loc: Path, first: int, last: int) -> None:
    loc.mkdir(exist_ok=True)
    for i in range(first, last + 1):
        (loc / f"V{i}__t{i}.sql").write_text(
            f"CREATE TABLE t{i} (id INT PRIMARY KEY);\nINSERT INTO t{i} VALUES (1);\n", encoding="utf-8"
        )


def test_a_migrations_first_ddl_goes_without_a_progress_write(
    mariadb: ScratchDb, tmp_path: Path, cli_run: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    import pymysql.connections as pc

    packets: list[str] = []
    send = pc.Connection._execute_command

    def kept(self: Any, command: int, sql: Any) -> Any:
        packets.append(sql.decode("utf-8", "replace") if isinstance(sql, bytes) else str(sql))
        return send(self, command, sql)

    monkeypatch.setattr(pc.Connection, "_execute_command", kept)
    loc = tmp_path / "m"
    _write(loc, 1, 3)
    assert cli_run("--url", mariadb.url, "--locations", str(loc), "migrate").code == 0
    _write(loc, 4, 12)
    packets.clear()
    r = cli_run("--url", mariadb.url, "--locations", str(loc), "migrate")
    assert r.code == 0, r.err
    ddl = [p for p in packets if "CREATE TABLE t" in p]
    assert len(ddl) == 9
    # only the run's first migration writes its record with its DDL; the others' came with a COMMIT
    assert [("flywayx_progress" in p) for p in ddl] == [True] + [False] * 8
    assert mariadb.query("SELECT COUNT(*) FROM flywayx_progress") == [(0,)]
    assert mariadb.query("SELECT COUNT(*) FROM flyway_schema_history WHERE success = 1") == [(12,)]


def _session(db: ScratchDb) -> Any:
    return connect(parse_url(db.url), user=None, password=None)


def test_a_live_runs_record_is_not_an_interrupted_one_until_its_session_ends(
    mariadb: ScratchDb, tmp_path: Path, cli_run: Callable[..., CliResult]
) -> None:
    loc = tmp_path / "m"
    _write(loc, 1, 1)
    assert cli_run("--url", mariadb.url, "--locations", str(loc), "migrate").code == 0
    run_id = "00000000-0000-4000-8000-00000000abcd"
    owner = _session(mariadb)
    assert owner.hold_run(run_id)
    owner.execute(
        "INSERT INTO flywayx_progress (mkey, script, checksum, run_id, statements_done, statement_hash,"
        f" inflight_hash, total, status, updated_at) VALUES ('V:2', 'V2__t2.sql', 1, '{run_id}', 0, '', 'h',"
        " 2, 'running', 'now')"
    )
    with closing(_session(mariadb)) as other:
        own = OwnTables(other, mariadb.schema)
        count = f"SELECT {own.running_sql()}"
        assert other.query(count) == [(LIVE_RUN,)]  # another live run's: a runner leaves it the lock
        assert own.pending_progress() == []
        owner.close()  # the run's process is gone: its session, and the mark, with it
        deadline = time.monotonic() + 10  # the server ends the session (and frees its locks) a moment later
        while other.query(count) != [(1,)] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert other.query(count) == [(1,)]
        assert [p.key for p in own.pending_progress()] == ["V:2"]
    r = cli_run("--url", mariadb.url, "--locations", str(loc), "migrate")
    assert r.code != 0 and "interrupted" in r.err, r.err


def test_leaving_the_lock_to_a_live_run_that_never_comes_back_ends_at_lock_timeout(
    mariadb: ScratchDb, tmp_path: Path, cli_run: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A live run's session holds its mark and a record written ahead, but the run never comes back for
    the lock (a stopped process, a network the server has not noticed): another runner leaves it the
    lock only until lock_timeout, then fails with one error instead of waiting forever."""
    loc = tmp_path / "m"
    _write(loc, 1, 1)
    assert cli_run("--url", mariadb.url, "--locations", str(loc), "migrate").code == 0
    _write(loc, 2, 2)
    run_id = "00000000-0000-4000-8000-00000000dcba"
    with closing(_session(mariadb)) as owner:
        assert owner.hold_run(run_id)
        owner.execute(
            "INSERT INTO flywayx_progress (mkey, script, checksum, run_id, statements_done, statement_hash,"
            f" inflight_hash, total, status, updated_at) VALUES ('V:2', 'V2__t2.sql', 1, '{run_id}', 0, '',"
            " 'h', 2, 'running', 'now')"
        )
        monkeypatch.setenv("FLYWAY_LOCK_TIMEOUT", "2")
        started = time.monotonic()
        r = cli_run("--url", mariadb.url, "--locations", str(loc), "migrate")
        took = time.monotonic() - started
    assert r.code != 0, r.out
    assert "Traceback" not in r.err and "without taking the migration lock" in r.err, r.err
    assert took < 30, took
    assert mariadb.query("SELECT COUNT(*) FROM flyway_schema_history WHERE success = 1") == [(1,)]
