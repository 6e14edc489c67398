"""Eight `flywayx migrate` processes at once on one empty database: each migration runs once."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import databases
from tests.e2e import harness


@pytest.mark.parametrize("family", ["mariadb", "postgresql", "sqlite"])
def test_eight_runners_on_an_empty_database(family: str, tmp_path: Path) -> None:
    loc = harness.write_migrations(tmp_path, family, slow=0.02)
    with databases.scratch(family, tmp_path) as db:
        args = [*harness.FLYWAYX, "--url", db.url, "--locations", str(loc), "--lock-timeout", "60", "migrate"]
        procs = [
            subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=harness.env())
            for _ in range(8)
        ]
        results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
        for code, out, err in results:
            assert code == 0, err
            assert "Traceback" not in out + err
        history = harness.snapshot(db)["history"]
        scripts = [r[4] for r in history]
        assert (
            sorted(scripts)
            == sorted(set(scripts))
            == sorted(["V1__accounts.sql", "V2__hosts.sql", "V3__events.sql", "R__host_view.sql"])
        )
        assert all(r[6] for r in history)
        assert harness.snapshot(db)["rows"] == {"account": 2, "domain": 1, "host": 2, "event": 1}
        applied = sum("Successfully applied" in out for _, out, _ in results)
        up_to_date = sum("is up to date" in out for _, out, _ in results)
        assert applied >= 1 and applied + up_to_date == 8
