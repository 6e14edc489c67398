"""Faults on a real Galera cluster: SIGKILL the ``mariadbd`` of the node a runner is migrating through, at a
random moment, then restart it.

Each trial: the runner exits with a one-line ``ERROR:`` (never a traceback, never success with work
missing); rerunning through another node converges (``migrate``, then ``migrate --resume`` when migrate
says a statement was left in flight); after the killed node has rejoined, every node has the same
history and every migration was applied exactly once (``tests/cluster/test_lock.assert_converged``).
Trials are bounded: ``FLYWAYX_CLUSTER_TRIALS`` (default 2), seeded by ``FLYWAYX_CLUSTER_SEED``."""

from __future__ import annotations

import os
import random
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.cluster.conftest import Galera
from tests.cluster.test_lock import TTL, assert_converged
from tests.e2e import harness

pytestmark = pytest.mark.cluster
TRIALS = int(os.environ.get("FLYWAYX_CLUSTER_TRIALS", "2"))
SEED = int(os.environ.get("FLYWAYX_CLUSTER_SEED", str(random.randrange(1 << 30))))
COUNT = 14


def _project(where: Path) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    (where / "V1__applied.sql").write_text("CREATE TABLE applied (v INT NOT NULL, node VARCHAR(40));\n")
    for v in range(2, COUNT + 1):  # a DDL, and a DML that takes a moment (the kill often lands inside it)
        (where / f"V{v}__step_{v}.sql").write_text(
            f"CREATE TABLE t{v} (id INT PRIMARY KEY, note VARCHAR(20));\n"
            f"INSERT INTO applied SELECT {v}, IF(SLEEP(0.15) = 0, @@wsrep_node_name, 'x');\n"
        )
    return where


def _converge(galera: Galera, node: int, db: str, loc: Path) -> harness.Proc:
    args = ("--url", galera.url(node, db), "--locations", str(loc), "migrate")
    p = harness.run(*args, extra_env=TTL, timeout=180)
    if p.code != 0 and "--resume" in p.err:
        p = harness.run(*args, "--resume", extra_env=TTL, timeout=180)
    return p


@pytest.mark.parametrize("trial", range(TRIALS))
def test_killing_the_runners_node_mid_migration_converges_on_another_node(
    galera: Galera, trial: int, tmp_path: Path
) -> None:
    rnd = random.Random(SEED + trial)
    victim = rnd.choice((1, 2, 3))
    other = victim % 3 + 1
    delay = rnd.uniform(0.4, 2.5)
    db = "i20f_" + uuid.uuid4().hex[:8]
    galera.sql(other, f"CREATE DATABASE `{db}`")
    loc = _project(tmp_path / "sql")
    try:
        runner = subprocess.Popen(
            [*harness.FLYWAYX, "--url", galera.url(victim, db), "--locations", str(loc), "migrate"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**harness.env(), **TTL},
        )
        time.sleep(delay)
        galera.kill(victim)
        out, err = runner.communicate(timeout=120)
        context = f"seed {SEED + trial}, node {victim} killed after {delay:.2f} s"
        assert "Traceback" not in out + err, context
        if runner.returncode != 0:  # one clear line (the run may also have finished before the kill)
            assert err.startswith("ERROR: ") and "\nhint: " in err, f"{context}: {err}"
        p = _converge(galera, other, db, loc)
        assert p.code == 0, f"{context}: {p.text}"
        galera.start(victim)
        assert galera.state(victim) == "Synced"
        assert_converged(galera, db, COUNT)
    finally:
        galera.start(victim)
        galera.sql(other, f"DROP DATABASE IF EXISTS `{db}`")
