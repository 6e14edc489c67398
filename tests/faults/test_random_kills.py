"""SIGKILL `flywayx migrate` (and `migrate --resume`) at random moments of random migrations full of
non-repeatable DDL, and right in a DDL statement's window; then recover as docs/operations.md says
until done: every trial must converge to the clean run's schema (fingerprint), history and data.

The trials are ``tests/faults/soak.py``'s: timed kills (random delays over the clean run's duration)
and aimed kills (through the proxy, the moment a DDL statement reached the server or once the server
completed it), about half each. The migration sets come from ``randmig.py``.

Default: a few trials per server (CI). ``FLYWAYX_SOAK_TRIALS=N`` runs N trials per server (a new
migration set every 10 trials); ``FLYWAYX_SOAK_SEED`` picks the seeds; ``FLYWAYX_SOAK_FAMILIES``
(``mariadb,postgresql``) the servers. ``bench/bench_soak.py`` runs the same trials as a table; the
figures are in docs/operations.md.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.faults import soak

TRIALS = int(os.environ.get("FLYWAYX_SOAK_TRIALS", "0"))
SEED = int(os.environ.get("FLYWAYX_SOAK_SEED", "1507"))
DEFAULT = {"mariadb": 4, "postgresql": 2}
FAMILIES = [
    pytest.param(f, marks=pytest.mark.mariadb if f == "mariadb" else pytest.mark.postgres)
    for f in os.environ.get("FLYWAYX_SOAK_FAMILIES", "mariadb,postgresql").split(",")
]


@pytest.mark.parametrize("family", FAMILIES)
def test_random_kills_converge_to_the_clean_run(family: str, tmp_path: Path) -> None:
    n = TRIALS or DEFAULT[family]
    results = soak.soak(family, tmp_path, n, SEED)
    failed = [t for t in results if not t.converged]
    if TRIALS:  # a soak: one line per trial (pytest -s shows them)
        for t in results:
            print(f"{family} seed {t.seed} {t.kind}: {'ok' if t.converged else 'FAILED'}: {'; '.join(t.steps)}")
    killed = sum(t.kills > 0 for t in results)
    report = (
        f"{family}: {n - len(failed)}/{n} converged, {killed} with a kill, "
        f"{sum(t.in_flight for t in results)} left a DDL statement in flight"
    )
    print(report)
    assert not failed, report + "\n" + "\n".join(f"seed {t.seed} {t.kind}: {t.steps}: {t.detail}" for t in failed)
    assert killed, "no trial was killed: the kill delays miss the run"
