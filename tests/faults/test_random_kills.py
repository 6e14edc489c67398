"""SIGKILL `flywayx migrate` (and `migrate --resume`) at random moments of random migrations full of
non-repeatable DDL, then recover as docs/operations.md says until done: every trial must converge to
the clean run's schema (fingerprint), history and data.

A trial: a fresh database; one to three rounds of "start the command the database asks for (plain
migrate, or --resume once migrate says so), SIGKILL it after a random delay"; then migrate / migrate
--resume without kills until migrate succeeds. The migration set is generated from a seed
(``randmig.py``); the kill delays spread over the clean run's duration, measured warm (a cold first
start, e.g. on a fresh clone, must not push every kill past the end of the run).

Default: a few trials per server (CI). ``FLYWAYX_SOAK_TRIALS=N`` runs N trials per server (a new
migration set every 10 trials); ``FLYWAYX_SOAK_SEED`` picks the seeds; ``FLYWAYX_SOAK_FAMILIES``
(``mariadb,postgresql``) the servers. The figures are in docs/operations.md.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests import databases
from tests.databases import ScratchDb
from tests.e2e import harness
from tests.faults.randmig import generate

TRIALS = int(os.environ.get("FLYWAYX_SOAK_TRIALS", "0"))
SEED = int(os.environ.get("FLYWAYX_SOAK_SEED", "1507"))
DEFAULT = {"mariadb": 4, "postgresql": 2}
PER_SET = 10
FAMILIES = [
    pytest.param(f, marks=pytest.mark.mariadb if f == "mariadb" else pytest.mark.postgres)
    for f in os.environ.get("FLYWAYX_SOAK_FAMILIES", "mariadb,postgresql").split(",")
]


def state(db: ScratchDb) -> dict[str, Any]:
    """Fingerprint, history without times, and every row of every table of the migrations."""
    snap = harness.snapshot(db)
    if db.dialect == "mariadb":
        names = db.query(
            f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{db.schema}'"
            " AND table_type = 'BASE TABLE' AND table_name NOT LIKE 'flyway%' ORDER BY 1"
        )
    else:
        names = db.query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'flyway%' ORDER BY 1"
        )
    rows = {n: sorted(map(repr, db.query(f"SELECT * FROM {n}"))) for (n,) in names}
    return {"fingerprint": snap["fingerprint"], "history": snap["history"], "rows": rows}


@dataclass
class Trial:
    seed: int
    steps: list[str] = field(default_factory=list)
    converged: bool = False
    detail: str = ""


def _run_killed(db: ScratchDb, loc: Path, resume: bool, delay: float) -> tuple[int | None, str]:
    """Start the command; SIGKILL it after ``delay`` s. (None, '') when killed, else (code, stderr)."""
    args = [
        *harness.FLYWAYX,
        "--url",
        db.url,
        "--locations",
        str(loc),
        "--lock-timeout",
        "60",
        "migrate",
        *(["--resume"] if resume else []),
    ]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=harness.env(), text=True)
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        return None, ""
    return proc.returncode, proc.communicate()[1]


def _recover(db: ScratchDb, loc: Path, t: Trial) -> None:
    for _ in range(4):
        r = harness.run("--url", db.url, "--locations", str(loc), "--lock-timeout", "60", "migrate")
        t.steps.append(f"migrate -> {r.code}")
        if r.code == 0:
            t.converged = True
            return
        if "--resume" not in r.err:
            t.detail = r.err.strip()
            return
        r = harness.run("--url", db.url, "--locations", str(loc), "--lock-timeout", "60", "migrate", "--resume")
        t.steps.append(f"--resume -> {r.code}")
        if r.code != 0:
            t.detail = r.err.strip()
            return
    t.detail = "no convergence after 4 rounds"


def trial(db: ScratchDb, loc: Path, rng: random.Random, took: float, seed: int) -> Trial:
    t = Trial(seed)
    resume = False
    for _ in range(rng.randint(1, 3)):
        delay = rng.uniform(0.05, took)
        code, err = _run_killed(db, loc, resume, delay)
        t.steps.append(
            f"{'--resume' if resume else 'migrate'} killed at {delay:.2f}s"
            if code is None
            else f"{'--resume' if resume else 'migrate'} -> {code}"
        )
        if code == 0:
            break
        resume = (code == 1 and "--resume" in err and "Nothing to resume" not in err) or (code is None and resume)
        if code == 1 and "Nothing to resume" in err:
            continue
        if code is not None and not resume:
            t.detail = err.strip()
            return t
    _recover(db, loc, t)
    return t


def _reference(family: str, tmp: Path, loc: Path) -> tuple[dict[str, Any], float]:
    """The clean run's state, and its duration measured on a second, warm run."""
    took = 0.0
    for _ in range(2):
        with databases.scratch(family, tmp) as ref:
            started = time.monotonic()
            r = harness.run("--url", ref.url, "--locations", str(loc), "migrate")
            took = time.monotonic() - started
            assert r.code == 0, r.err
            want = state(ref)
    return want, took


def _write(tmp: Path, seed: int, family: str) -> Path:
    loc = tmp / f"sql{seed}"
    loc.mkdir()
    for name, text in generate(seed, family).items():
        (loc / name).write_text(text)
    return loc


@pytest.mark.parametrize("family", FAMILIES)
def test_random_kills_converge_to_the_clean_run(family: str, tmp_path: Path) -> None:
    n = TRIALS or DEFAULT[family]
    rng = random.Random(SEED)
    failed: list[Trial] = []
    killed = 0
    for first in range(0, n, PER_SET):
        seed = SEED + first
        loc = _write(tmp_path, seed, family)
        want, took = _reference(family, tmp_path, loc)
        for _ in range(min(PER_SET, n - first)):
            with databases.scratch(family, tmp_path) as db:
                t = trial(db, loc, rng, took, seed)
                killed += any("killed" in s for s in t.steps)
                if t.converged and state(db) != want:
                    t.converged, t.detail = False, "state differs from the clean run"
                if not t.converged:
                    failed.append(t)
                if TRIALS:  # a soak: one line per trial (pytest -s shows them)
                    print(f"{family} seed {seed}: {'ok' if t.converged else 'FAILED'}: {'; '.join(t.steps)}")
    report = f"{family}: {n - len(failed)}/{n} converged, {killed} with a kill"
    print(report)
    assert not failed, report + "\n" + "\n".join(f"seed {t.seed}: {t.steps}: {t.detail}" for t in failed)
    assert killed, "no trial was killed: the kill delays miss the run"
