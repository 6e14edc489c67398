"""Six `flywayx migrate` processes at once: correct runs print nothing on stderr.

Every runner records the schema state for `verify` after it releases the migration lock, so runners
that finish together race for the next ``flywayx_schema_state.seq``; the loser used to print a
"could not record the schema state" warning. Each runner that changed the history (or found the last
record stale) records a state, `verify` then agrees with the schema, and stderr must stay empty.
``FLYWAYX_QUIET_RUNNERS_ROUNDS`` repeats the round (default 1).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests import databases
from tests.databases import ScratchDb
from tests.e2e import harness

ROUNDS = int(os.environ.get("FLYWAYX_QUIET_RUNNERS_ROUNDS", "1"))


def _state_rows(db: ScratchDb) -> list[tuple[object, ...]]:
    t = f"`{db.schema}`.flywayx_schema_state" if db.dialect == "mariadb" else "flywayx_schema_state"
    return db.query(f"SELECT seq, run_id FROM {t} ORDER BY seq")


@pytest.mark.parametrize("family", ["mariadb", "postgresql", "sqlite"])
def test_six_concurrent_runners_leave_stderr_clean(family: str, tmp_path: Path) -> None:
    loc = harness.write_migrations(tmp_path, family, slow=0.01)
    for _ in range(ROUNDS):
        with databases.scratch(family, tmp_path) as db:
            args = [*harness.FLYWAYX, "--url", db.url, "--locations", str(loc), "--lock-timeout", "60", "migrate"]
            procs = [
                subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=harness.env())
                for _ in range(6)
            ]
            results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
            for code, _out, err in results:
                assert code == 0, err
                assert err == "", err  # no warning of any kind from a correct run
            states = _state_rows(db)
            # a runner records a state unless the last record already belongs to the history it leaves
            # (one that applied nothing after another recorded): at least one, numbered in order, one a runner
            assert 1 <= len(states) <= 6 and [s[0] for s in states] == list(range(1, len(states) + 1)), states
            assert len({s[1] for s in states}) == len(states)
            verify = subprocess.run(
                [*harness.FLYWAYX, "--url", db.url, "verify"], capture_output=True, text=True, env=harness.env()
            )
            assert verify.returncode == 0, verify.stdout + verify.stderr  # the last record is this schema
            assert harness.snapshot(db)["rows"] == {"account": 2, "domain": 1, "host": 2, "event": 1}
