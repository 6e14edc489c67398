"""The cluster lock's own connection is bounded like the runner's: a Galera node that stops answering
while a runner opens or uses that connection ends the run within the configured limit, with one
clear error, and the lock does not outlive it (its row lapses after the time to live, 3 s here); the
next runner through another node finishes the job.

The runner reaches node 1 through ``tests/faults/proxy.py``: either every connection opened after the
runner's cluster probe stalls from its first byte (TCP accepted, no greeting: the lock's connection is
the next one), or the node's answers to one of the lock's statements are held back (the node did it,
the runner never hears).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.cluster.conftest import Galera
from tests.cluster.test_lock import TTL, assert_converged, write_project
from tests.e2e import harness
from tests.faults.proxy import Proxy

pytestmark = pytest.mark.cluster
LIMIT = 2.0
SLACK = 6.0  # the runner's exit, the shared machine's load
COUNT = 3


@pytest.mark.parametrize("where", ["greeting", "acquire", "release"])
def test_a_stalled_node_ends_the_run_within_the_limit_and_the_lock_lapses(
    galera: Galera, galera_db: str, where: str, tmp_path: Path
) -> None:
    loc = write_project(tmp_path / "sql", COUNT)
    lock_table = f"`{galera_db}`.`flywayx_lock`".encode()
    with Proxy("127.0.0.1", galera.port(1)) as proxy:
        if where == "greeting":  # the runner's own statement, sent just before the lock's connection opens
            proxy.stall_new_after(b"SET SESSION wsrep_sync_wait = 1")
            limit = ["--connect-timeout", f"{LIMIT:g}"]
        else:
            proxy.hold_replies_after(
                b"INSERT INTO " + lock_table if where == "acquire" else b"DELETE FROM " + lock_table
            )
            limit = ["--socket-timeout", f"{LIMIT:g}"]
        url = galera.url(1, galera_db).replace(f":{galera.port(1)}/", f":{proxy.port}/")
        r = harness.run("--url", url, "--locations", str(loc), *limit, "migrate", extra_env=TTL, timeout=120)
        ended = time.monotonic()
        started = proxy.accepted[-1] if where == "greeting" else proxy.marked
        assert started is not None, r.text
        assert LIMIT * 0.9 <= ended - started <= LIMIT + SLACK, (ended - started, r.text)
    assert r.code == 1, r.text
    assert r.err.count("ERROR:") == 1 and "\nhint: " in r.err and "Traceback" not in r.err, r.err
    if where == "greeting":
        assert f"cluster lock's connection to 127.0.0.1:{proxy.port}: no answer within connectTimeout (2 s)" in r.err
        assert proxy.connections == 2, "the runner's connection, then the lock's"
    else:
        assert f"no answer from the server within socketTimeout ({LIMIT:g} s)" in r.err, r.err
    # the next runner, through another node, gets the lock once the stalled one's row lapsed, and converges
    args = ("--url", galera.url(2, galera_db), "--locations", str(loc), "--lock-timeout", "60", "migrate")
    p = harness.run(*args, extra_env=TTL, timeout=120)
    if p.code != 0 and "--resume" in p.err:
        p = harness.run(*args, "--resume", extra_env=TTL, timeout=120)
    assert p.code == 0, p.text
    assert_converged(galera, galera_db, COUNT)
