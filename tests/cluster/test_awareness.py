"""Cluster awareness against real servers: ``info`` says what each server is, and ``migrate`` refuses,
before anything is written, a Galera node that is not Synced, an asynchronous replica, a read_only
server and a PostgreSQL standby — one ``ERROR:`` line with a ``hint:``, exit 1, no traceback."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from tests.cluster.conftest import Galera, psql, sql
from tests.e2e import harness

pytestmark = pytest.mark.cluster


def _project(tmp_path: Path) -> Path:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "V1__create.sql").write_text("CREATE TABLE item (id INT PRIMARY KEY, name VARCHAR(20));\n")
    (tmp_path / "V2__fill.sql").write_text("INSERT INTO item VALUES (1, 'one');\n")
    return tmp_path


def _refused(p: harness.Proc, *words: str) -> None:
    assert p.code == 1, p.text
    assert "Traceback" not in p.text
    lines = p.err.strip().splitlines()
    assert lines[0].startswith("ERROR: ") and lines[1].startswith("hint: "), p.err
    for word in words:
        assert word in lines[0], lines[0]


def test_info_shows_each_galera_node_as_the_server_reports_it(galera: Galera, galera_db: str, tmp_path: Path) -> None:
    loc = str(_project(tmp_path))
    for node in (1, 2, 3):
        size = galera.sql(node, "SHOW STATUS LIKE 'wsrep_cluster_size'")[0][1]
        p = harness.run("--url", galera.url(node, galera_db), "--locations", loc, "info")
        assert p.code == 0, p.text
        assert f"Server: Galera node node{node}: {galera.state(node)}, Primary component of {size} nodes" in p.out
        j = harness.run("--url", galera.url(node, galera_db), "--locations", loc, "--output-type", "json", "info")
        assert json.loads(j.out)["cluster"].startswith(f"Galera node node{node}: Synced")


def test_a_desynced_galera_node_is_refused_and_nothing_is_written(
    galera: Galera, galera_db: str, tmp_path: Path
) -> None:
    loc = str(_project(tmp_path))
    galera.sql(3, "SET GLOBAL wsrep_desync = ON")
    try:
        assert galera.state(3) != "Synced"
        for args in (("migrate",), ("migrate", "--dry-run"), ("baseline",)):
            _refused(harness.run("--url", galera.url(3, galera_db), "--locations", loc, *args), "node3", "not Synced")
    finally:
        galera.sql(3, "SET GLOBAL wsrep_desync = OFF")
    assert galera.sql(1, f"SHOW TABLES FROM `{galera_db}`") == []  # nothing created anywhere
    p = harness.run("--url", galera.url(3, galera_db), "--locations", loc, "migrate")
    assert p.code == 0, p.text
    for node in (1, 2, 3):
        assert galera.sql(node, "SELECT name FROM item", galera_db) == [["one"]]


@pytest.fixture
def replica_db(replicas: None) -> object:
    name = "i20r_" + uuid.uuid4().hex[:8]
    for port in (3321, 3323):  # the primary (so the replica has it too) and the standalone read-only server
        sql(port, f"CREATE DATABASE `{name}`")
    yield name
    for port in (3321, 3323):
        sql(port, f"DROP DATABASE IF EXISTS `{name}`")


def test_async_replica_and_read_only_server_are_refused_the_primary_migrates(replica_db: str, tmp_path: Path) -> None:
    loc = str(_project(tmp_path))
    source = sql(3322, "SHOW SLAVE STATUS")[0][1]  # Master_Host per the server
    _refused(
        harness.run("--url", f"mysql://root@127.0.0.1:3322/{replica_db}", "--locations", loc, "migrate"),
        "asynchronous replica",
        f"{source}:3321",
    )
    _refused(
        harness.run("--url", f"mysql://root@127.0.0.1:3323/{replica_db}", "--locations", loc, "migrate"),
        "read-only (read_only=ON)",
    )
    sql(3323, f"CREATE TABLE `{replica_db}`.keep (id INT PRIMARY KEY)")
    _refused(
        harness.run(
            "--url", f"mysql://root@127.0.0.1:3323/{replica_db}", "--locations", loc, "clean", "--clean-disabled=false"
        ),
        "read-only",
    )
    assert sql(3323, f"SHOW TABLES FROM `{replica_db}`") == [["keep"]]
    sql(3323, f"DROP TABLE `{replica_db}`.keep")
    assert sql(3323, f"SHOW TABLES FROM `{replica_db}`") == []
    info = harness.run("--url", f"mysql://root@127.0.0.1:3322/{replica_db}", "--locations", loc, "info")
    assert "Server: asynchronous replica of 127.0.0.1:3321" in info.out, info.text
    p = harness.run("--url", f"mysql://root@127.0.0.1:3321/{replica_db}", "--locations", loc, "migrate")
    assert p.code == 0, p.text
    history = f"SELECT installed_rank, version, script, checksum, success FROM `{replica_db}`.flyway_schema_history"
    sql(3321, "FLUSH TABLES")
    for _ in range(50):  # the replica applies the primary's binary log asynchronously
        if sql(
            3322,
            f"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{replica_db}' "
            "AND TABLE_NAME = 'flyway_schema_history'",
        ) == [["1"]] and sql(3322, history) == sql(3321, history):
            break
        time.sleep(0.2)
    assert sql(3322, history) == sql(3321, history)


def _backup(url: str, loc: str, where: Path) -> Path:
    p = harness.run("--url", url, "--locations", loc, "migrate", "--backup", str(where))
    assert p.code == 0, p.text
    return next(f for f in where.iterdir() if not f.name.endswith(".json"))


def test_restore_is_refused_on_a_replica_a_read_only_server_and_a_desynced_node(
    replica_db: str, galera: Galera, galera_db: str, tmp_path: Path
) -> None:
    """``restore`` writes as much as ``migrate``: the same servers refuse it, before anything is written."""
    loc = str(_project(tmp_path / "sql"))
    dump = _backup(f"mysql://root@127.0.0.1:3321/{replica_db}", loc, tmp_path / "bk")
    for port, words in ((3322, ("asynchronous replica", "refusing to restore")), (3323, ("read-only",))):
        _refused(
            harness.run("--url", f"mysql://root@127.0.0.1:{port}/{replica_db}", "restore", "--force", str(dump)), *words
        )
    assert sql(3323, f"SHOW TABLES FROM `{replica_db}`") == []
    assert sql(3323, f"SHOW DATABASES LIKE '{replica_db}\\_\\_fx%'") == []  # no scratch database either
    galera_dump = _backup(galera.url(1, galera_db), loc, tmp_path / "gbk")
    galera.sql(1, "DROP TABLE item", galera_db)
    galera.sql(3, "SET GLOBAL wsrep_desync = ON")
    try:
        _refused(
            harness.run("--url", galera.url(3, galera_db), "restore", "--force", str(galera_dump)),
            "node3",
            "not Synced",
        )
    finally:
        galera.sql(3, "SET GLOBAL wsrep_desync = OFF")
    assert "item" not in [r[0] for r in galera.sql(1, f"SHOW TABLES FROM `{galera_db}`")]  # not restored


def test_postgresql_standby_is_refused(replicas: None, tmp_path: Path) -> None:
    loc = str(_project(tmp_path))
    assert psql(5442, "SELECT pg_is_in_recovery()") == [["t"]]
    p = harness.run(
        "--url",
        "postgresql://postgres@127.0.0.1:5442/postgres",
        "--schemas",
        "i20_standby",
        "--locations",
        loc,
        "migrate",
    )
    _refused(p, "standby in recovery", "127.0.0.1:5442")
    info = harness.run("--url", "postgresql://postgres@127.0.0.1:5442/postgres", "--locations", loc, "info")
    assert "Server: PostgreSQL standby (in recovery)" in info.out, info.text
