"""Fixtures for the ``cluster`` tests: the 3-node Galera cluster of ``galera.sh`` and the replication
setups of ``replicas.sh``, started (idempotently) on first use and left running for the next test.

Each test gets its own database name (``i20c_<hex>``) and drops it at the end. The nodes are reached
with the real ``mariadb`` client as the independent oracle (history on every node, data, wsrep state).
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REQUIRE = os.environ.get("FLYWAYX_REQUIRE_DBS") == "1"
GALERA_PORTS = (3311, 3312, 3313)


def _script(name: str, *args: str, timeout: float = 240) -> None:
    try:
        p = subprocess.run(
            ["bash", str(HERE / name), *args], capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        msg = f"{name} {' '.join(args)} did not finish in {timeout:g} s"
    else:
        if p.returncode == 0:
            return
        msg = f"{name} {' '.join(args)} failed: {(p.stderr or p.stdout).strip()[-800:]}"
    if REQUIRE:
        pytest.fail(msg)
    pytest.skip(msg)


def sql(port: int, statement: str, database: str | None = None) -> list[list[str]]:
    """Rows from the real ``mariadb`` client on 127.0.0.1:``port`` (tab-separated, no headers)."""
    args = ["mariadb", "-uroot", "-h127.0.0.1", f"-P{port}", "-N", "-B", "-e", statement]
    if database:
        args.insert(1, database)
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout
    return [line.split("\t") for line in out.splitlines()]


def psql(port: int, statement: str, database: str = "postgres") -> list[list[str]]:
    out = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "postgres",
            "-d",
            database,
            "-At",
            "-F",
            "\t",
            "-c",
            statement,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return [line.split("\t") for line in out.splitlines()]


@dataclass(frozen=True)
class Galera:
    """The running cluster: ``url(node, db)`` for node 1..3, ``sql`` on a node, and node control."""

    def port(self, node: int) -> int:
        return GALERA_PORTS[node - 1]

    def url(self, node: int, database: str) -> str:
        return f"mysql://root@127.0.0.1:{self.port(node)}/{database}"

    def sql(self, node: int, statement: str, database: str | None = None) -> list[list[str]]:
        return sql(self.port(node), statement, database)

    def kill(self, node: int) -> None:
        _script("galera.sh", "kill-node", str(node))

    def start(self, node: int) -> None:
        _script("galera.sh", "start-node", str(node), timeout=180)

    def state(self, node: int) -> str:
        return self.sql(
            node,
            "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
            "WHERE VARIABLE_NAME = 'WSREP_LOCAL_STATE_COMMENT'",
        )[0][0]


@pytest.fixture(autouse=True)
def one_cluster_test_at_a_time() -> Iterator[None]:
    """The tests share the servers and some desync or kill a node: under ``pytest -n`` they take turns
    (an ``flock`` across the workers), so no test sees another's fault."""
    import fcntl

    with open("/var/tmp/flywayx-cluster-tests.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture
def galera() -> Galera:
    """The cluster, started if down (another checkout's CI run may have stopped it; ``start`` is idempotent
    and costs a status check when every node is up)."""
    _script("galera.sh", "start")
    return Galera()


@pytest.fixture
def replicas() -> None:
    _script("replicas.sh", "start")


@pytest.fixture
def galera_db(galera: Galera) -> Iterator[str]:
    """A fresh database on the cluster (created on node 1, so on all three); dropped afterwards."""
    name = "i20c_" + uuid.uuid4().hex[:8]
    galera.sql(1, f"CREATE DATABASE `{name}`")
    yield name
    for node in (1, 2, 3):  # a test may leave a node down; drop through whichever is up
        try:
            galera.sql(node, f"DROP DATABASE IF EXISTS `{name}`")
            break
        except subprocess.CalledProcessError:
            continue
