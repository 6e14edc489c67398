"""The cluster-wide migration lock on a real 3-node Galera cluster.

Runners started at once through different nodes: every migration runs exactly once (each inserts its
version into ``applied``; a second run would duplicate it or fail), every runner exits 0 and the history
is identical on all three nodes. A runner killed while it holds the lock does not block the others: its
row lapses after the lock's time to live (3 s here) and the next runner goes on (``--resume`` for the
statement it left in flight)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.cluster.conftest import Galera
from tests.e2e import harness

pytestmark = pytest.mark.cluster
TTL = {"FLYWAYX_CLUSTER_LOCK_TTL": "3"}
HISTORY = (
    "SELECT installed_rank, version, description, type, script, checksum, success FROM flyway_schema_history "
    "ORDER BY installed_rank"
)


def write_project(where: Path, count: int, body: str = "") -> Path:
    where.mkdir(parents=True, exist_ok=True)
    (where / "V1__applied.sql").write_text("CREATE TABLE applied (v INT NOT NULL, node VARCHAR(40));\n")
    for v in range(2, count + 1):
        (where / f"V{v}__step_{v}.sql").write_text(
            f"INSERT INTO applied VALUES ({v}, @@wsrep_node_name);\n{body}CREATE TABLE t{v} (id INT PRIMARY KEY);\n"
        )
    return where


def assert_converged(galera: Galera, db: str, count: int, nodes: tuple[int, ...] = (1, 2, 3)) -> None:
    """Each migration applied once; the same history on every node (read through each node itself)."""
    reference = None
    for node in nodes:
        rows = galera.sql(node, "SELECT v, COUNT(*) FROM applied GROUP BY v ORDER BY v", db)
        assert rows == [[str(v), "1"] for v in range(2, count + 1)], f"node {node}: {rows}"
        history = galera.sql(node, HISTORY, db)
        assert [r[1] for r in history] == [str(v) for v in range(1, count + 1)]
        assert all(r[6] == "1" for r in history)
        reference = reference or history
        assert history == reference, f"node {node} has another history"


def _spawn(url: str, loc: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*harness.FLYWAYX, "--url", url, "--locations", str(loc), "migrate", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**harness.env(), **TTL},
    )


def test_runners_on_three_nodes_at_once_apply_each_migration_once(
    galera: Galera, galera_db: str, tmp_path: Path
) -> None:
    count = 25
    loc = write_project(tmp_path / "sql", count)
    runners = [_spawn(galera.url(node, galera_db), loc) for node in (1, 2, 3, 1, 2, 3)]
    outputs = [(r.wait(timeout=240), *r.communicate()) for r in runners]
    for code, out, err in outputs:
        assert code == 0, out + err
        assert "Traceback" not in err
    assert_converged(galera, galera_db, count)
    # the lock row is gone once every runner released it; the table stays out of Flyway's way
    assert galera.sql(2, "SELECT COUNT(*) FROM flywayx_lock", galera_db) == [["0"]]


def test_a_killed_holder_does_not_block_the_others(galera: Galera, galera_db: str, tmp_path: Path) -> None:
    count = 4
    loc = write_project(tmp_path / "sql", count, body="DO SLEEP(4);\n")
    holder = _spawn(galera.url(1, galera_db), loc)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until it is inside a migration, holding the lock
        rows = galera.sql(
            2,
            f"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME = 't2' AND TABLE_SCHEMA = '{galera_db}'",
        )
        if galera.sql(
            2,
            f"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{galera_db}' "
            "AND TABLE_NAME = 'applied'",
        ) == [["1"]] and rows == [["0"]]:
            held = galera.sql(2, "SELECT holder, node FROM flywayx_lock", galera_db)
            if held:
                break
        time.sleep(0.1)
    else:
        pytest.fail("the first runner never took the lock")
    assert held[0][1] == "node1" and held[0][0].split(":")[1] == str(holder.pid)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    started = time.monotonic()
    p = harness.run("--url", galera.url(2, galera_db), "--locations", str(loc), "migrate", extra_env=TTL)
    waited = time.monotonic() - started
    assert waited < 30, f"the second runner waited {waited:.0f} s"  # lock_timeout is 600 s: it did not time out
    if p.code != 0:  # the killed runner left a migration half done: migrate says so and --resume finishes it
        assert "--resume" in p.err and "Traceback" not in p.text, p.text
        p = harness.run(
            "--url", galera.url(2, galera_db), "--locations", str(loc), "migrate", "--resume", extra_env=TTL
        )
    assert p.code == 0, p.text
    assert_converged(galera, galera_db, count)


def test_info_after_a_killed_runner_writes_nothing(galera: Galera, galera_db: str, tmp_path: Path) -> None:
    """``info`` asks whether a runner is still at work (to show a killed run's migration as Failed); on a
    cluster that question must not create the lock table, nor take over or delete a lapsed row."""
    loc = tmp_path / "sql"
    loc.mkdir()
    (loc / "V1__a.sql").write_text("CREATE TABLE a (id INT);\n")
    (loc / "V2__b.sql").write_text("CREATE TABLE k (id INT);\nDO SLEEP(8);\nCREATE TABLE t2 (id INT);\n")
    holder = _spawn(galera.url(1, galera_db), loc)
    deadline = time.monotonic() + 30
    while galera.sql(
        2, f"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{galera_db}' AND TABLE_NAME = 'k'"
    ) != [["1"]]:
        assert time.monotonic() < deadline, "the runner never reached V2"
        time.sleep(0.1)
    time.sleep(0.5)  # inside V2's DO SLEEP: the progress record says statement 1 is done
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    time.sleep(float(TTL["FLYWAYX_CLUSTER_LOCK_TTL"]) + 1)  # the dead runner's row has lapsed
    row = galera.sql(2, "SELECT * FROM flywayx_lock", galera_db)
    assert len(row) == 1
    info = harness.run("--url", galera.url(2, galera_db), "--locations", str(loc), "info", extra_env=TTL)
    assert info.code == 0, info.text
    assert "Failed" in info.out, info.out  # the killed run's migration, no longer pending
    assert galera.sql(2, "SELECT * FROM flywayx_lock", galera_db) == row  # neither taken over nor deleted
    galera.sql(2, "DROP TABLE flywayx_lock", galera_db)
    info = harness.run("--url", galera.url(3, galera_db), "--locations", str(loc), "info", extra_env=TTL)
    assert info.code == 0, info.text
    assert galera.sql(1, f"SHOW TABLES FROM `{galera_db}` LIKE 'flywayx_lock'") == []  # not created


def test_first_runs_through_three_nodes_on_a_missing_database_create_it_once(galera: Galera, tmp_path: Path) -> None:
    """The database does not exist yet: the runners race to create it. Each migration once, every runner
    exits 0, and exactly one ``<< Flyway Schema Creation >>`` row at rank 0 (written by whichever runner
    first holds the cluster lock and finds the creation mark, not necessarily the one whose CREATE won)."""
    import uuid

    count = 6
    name = "i20c_" + uuid.uuid4().hex[:8]
    loc = write_project(tmp_path / "sql", count)
    try:
        runners = [_spawn(galera.url(node, ""), loc, f"-schemas={name}") for node in (1, 2, 3, 1, 2, 3)]
        outputs = [(r.wait(timeout=240), *r.communicate()) for r in runners]
        for code, out, err in outputs:
            assert code == 0, out + err
        history = galera.sql(
            2, "SELECT installed_rank, version, type FROM flyway_schema_history ORDER BY installed_rank", name
        )
        assert history[0] == ["0", "NULL", "SCHEMA"], history
        assert [r[1] for r in history[1:]] == [str(v) for v in range(1, count + 1)], history
        assert galera.sql(
            3, f"SELECT SCHEMA_COMMENT FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{name}'"
        ) == [[""]]  # the creation mark is gone once the row is written
        for node in (1, 2, 3):
            rows = galera.sql(node, "SELECT v, COUNT(*) FROM applied GROUP BY v ORDER BY v", name)
            assert rows == [[str(v), "1"] for v in range(2, count + 1)], f"node {node}: {rows}"
    finally:
        galera.sql(1, f"DROP DATABASE IF EXISTS `{name}`")
