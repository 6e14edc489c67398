"""A first `migrate` killed while it creates flywayx's own tables, at every step of the layout.

Root cause of the old flake (``test_random_kills_converge[mariadb-6]``: "flywayx_progress doesn't
exist"): a first run killed after ``flywayx_runs`` but before ``flywayx_progress`` left a subset, and
the next run read the progress table because *some* own table existed. The layout (db/own_tables.py)
is now created as one idempotent step whatever subset exists, and readers treat a missing table as
empty. This test kills for real, right after each request of that step completed on the server (the
proxy holds the reply back), each next run being killed one step further, on one database:
every run must get past the leftovers, and the last one must reach the clean run's state.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flywayx.db.own_tables import LAYOUT
from tests import databases
from tests.e2e import harness
from tests.faults.proxy import Proxy, kill_once_replied

FAMILIES = [pytest.param("mariadb", marks=pytest.mark.mariadb), pytest.param("postgresql", marks=pytest.mark.postgres)]


def _steps(q: str) -> list[str]:
    """Markers for the requests of the layout step, in the order ``OwnTables.ensure`` sends them: the
    one packet (one query on PostgreSQL) that creates every missing table, then the layout rows. A kill
    between two of its ``CREATE``s (MariaDB, killed while the server runs the packet) leaves a subset:
    ``tests/contract/test_own_tables.py`` drops each subset by hand, on every database."""
    return [f"{q}flywayx_applied{q} (seq INT", f"{q}flywayx_layout{q} (version, description"]


@pytest.mark.parametrize("family", FAMILIES)
def test_first_run_killed_at_each_step_of_the_own_tables(family: str, tmp_path: Path) -> None:
    loc = harness.write_migrations(tmp_path, family, slow=0)
    want, _ = harness.reference(family, tmp_path, loc, timed=False)
    with databases.scratch(family, tmp_path) as db:
        for marker in _steps("`" if family == "mariadb" else '"'):
            with Proxy(db.host, db.port) as proxy:
                proxy.hold_replies_after(marker.encode())
                kill_once_replied(proxy, db.url, loc)
        done = harness.run("--url", db.url, "--locations", str(loc), "migrate")
        assert done.code == 0, done.err
        assert harness.snapshot(db) == want
        layout = db.query("SELECT version FROM flywayx_layout ORDER BY version")
        assert [v for (v,) in layout] == [s.version for s in LAYOUT]
