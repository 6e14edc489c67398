"""The model test (``machine.py``) on SQLite, and a smaller sample on MariaDB and PostgreSQL.

Default budget: about a minute on SQLite and half a minute for both servers on a 2-core machine.
``FLYWAYX_MODEL_EXAMPLES=N`` runs N examples per database (and longer command sequences) instead:
``FLYWAYX_MODEL_EXAMPLES=2000 pytest tests/model -k sqlite`` is the long campaign.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from .machine import STATS, ReleaseMachine

LONG = int(os.environ.get("FLYWAYX_MODEL_EXAMPLES", "0"))
# FLYWAYX_MODEL_SHRINK=0: report the first failure as found (faster while investigating a long run)
PHASES = [p for p in Phase if p is not Phase.shrink or os.environ.get("FLYWAYX_MODEL_SHRINK", "1") != "0"]


def _run(dialect: str, examples: int, steps: int, *, fixed: bool = False) -> None:
    """``fixed``: the same sample every run (derandomized), for the short server runs."""
    STATS.clear()
    machine = type(f"{dialect.title()}ReleaseMachine", (ReleaseMachine,), {"dialect": dialect})
    repeat: dict[str, Any] = {"derandomize": True, "database": None} if fixed and not LONG else {}
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=LONG or examples,
            stateful_step_count=steps * (2 if LONG else 1),
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
            print_blob=True,
            phases=PHASES,
            **repeat,
        ),
    )
    print(f"\nmodel on {dialect}:", ", ".join(f"{k}: {v}" for k, v in sorted(STATS.items())))


def test_model_on_sqlite() -> None:
    _run("sqlite", examples=10, steps=10)


@pytest.mark.mariadb
def test_model_on_mariadb(mariadb: object) -> None:  # the fixture checks the server is there
    _run("mariadb", examples=3, steps=8, fixed=True)


@pytest.mark.postgres
def test_model_on_postgresql(postgres: object) -> None:
    _run("postgresql", examples=3, steps=8, fixed=True)
