"""Kill trials over random migrations heavy in non-repeatable DDL (``randmig``): a few in
``test_random_kills.py``, many in ``bench/bench_soak.py``.

A trial starts on a fresh database and ends as docs/operations.md tells an operator to recover
(``migrate``; ``migrate --resume`` when migrate says so, until migrate succeeds); then the schema
fingerprint, the history (without times) and every row must be the clean run's. Two kinds:

- **timed**: one to three rounds of "start the command the database asks for, SIGKILL it after a
  random delay" (the delays spread over the clean run's duration, measured warm);
- **aimed**: the run goes through ``tests/faults/proxy.py`` and is killed in the window of one DDL
  statement picked at random: the moment the packet carrying it reached the server (``sent``: the
  server may still be running it), or once the server has completed it and its answer is held back
  (``done``: the server has the change, flywayx never heard). Timed kills rarely land there (a DDL on
  a small table takes milliseconds; the process start takes a second), yet that window is what
  ``--resume`` must settle from the catalog. One to three such kills, each at a later DDL statement,
  each run being the one the database asks for (``migrate``, then ``--resume`` once it refuses).

``in_flight`` counts the refusals that named a statement left in flight ("statement N was running on
the server and may have completed"): the cases the catalog decides.
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests import databases
from tests.databases import ScratchDb
from tests.e2e import harness
from tests.faults.proxy import Proxy, via
from tests.faults.randmig import generate

IN_FLIGHT = "was running on the server and may have completed"
LOCK = ["--lock-timeout", "60"]


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
    kind: str = "timed"
    steps: list[str] = field(default_factory=list)
    converged: bool = False
    detail: str = ""
    kills: int = 0  # SIGKILLs that landed (the run had not ended)
    in_flight: int = 0  # refusals naming a statement left in flight (the catalog decides it)

    @property
    def resumed(self) -> bool:
        return any(s.startswith("--resume ->") for s in self.steps)


def write(tmp: Path, seed: int, family: str) -> Path:
    """The migration set of ``seed`` in a folder of its own; returns the location."""
    loc = tmp / f"sql{seed}"
    loc.mkdir()
    for name, text in generate(seed, family).items():
        (loc / name).write_text(text)
    return loc


def reference(family: str, tmp: Path, loc: Path) -> tuple[dict[str, Any], float]:
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


def ddl_statements(loc: Path) -> list[str]:
    """The set's DDL statements in the order a clean run sends them (every name in them is fresh, so each
    text is sent once: a marker the proxy can wait for)."""
    out = []
    for path in sorted(loc.glob("V*.sql"), key=lambda p: int(p.name[1:].split("__")[0])):
        for line in path.read_text().splitlines():
            sql = line.rstrip(";").strip()
            if sql and not sql.startswith(("INSERT", "UPDATE", "DELETE")):
                out.append(sql)
    return out


def _command(db_url: str, loc: Path, resume: bool) -> list[str]:
    return [*harness.FLYWAYX, "--url", db_url, "--locations", str(loc), *LOCK, "migrate"] + (
        ["--resume"] if resume else []
    )


def _run_killed(db: ScratchDb, loc: Path, resume: bool, delay: float) -> tuple[int | None, str]:
    """Start the command; SIGKILL it after ``delay`` s. (None, '') when killed, else (code, stderr)."""
    proc = subprocess.Popen(
        _command(db.url, loc, resume), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=harness.env(), text=True
    )
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        return None, ""
    return proc.returncode, proc.communicate()[1]


def _recover(db: ScratchDb, loc: Path, t: Trial) -> None:
    for _ in range(4):
        r = harness.run("--url", db.url, "--locations", str(loc), *LOCK, "migrate")
        t.steps.append(f"migrate -> {r.code}")
        t.in_flight += IN_FLIGHT in r.err
        if r.code == 0:
            t.converged = True
            return
        if "--resume" not in r.err:
            t.detail = r.err.strip()
            return
        r = harness.run("--url", db.url, "--locations", str(loc), *LOCK, "migrate", "--resume")
        t.steps.append(f"--resume -> {r.code}")
        if r.code != 0:
            t.detail = r.err.strip()
            return
    t.detail = "no convergence after 4 rounds"


def timed(db: ScratchDb, loc: Path, rng: random.Random, took: float, seed: int) -> Trial:
    """Kills after random delays, then recovery (see the module doc)."""
    t = Trial(seed)
    resume = False
    for _ in range(rng.randint(1, 3)):
        delay = rng.uniform(0.05, took)
        code, err = _run_killed(db, loc, resume, delay)
        name = "--resume" if resume else "migrate"
        t.steps.append(f"{name} killed at {delay:.2f}s" if code is None else f"{name} -> {code}")
        t.kills += code is None
        t.in_flight += IN_FLIGHT in err
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


def _busy(db: ScratchDb) -> bool:
    """Whether a session of ``db`` (not the one asking) is running a statement."""
    if db.dialect == "mariadb":
        sql = (
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID()"
            f" AND DB = '{db.schema}' AND COMMAND = 'Query'"
        )
    else:
        sql = (
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND state = 'active'"
        )
    return bool(db.query(sql)[0][0])


def kill_at(
    db: ScratchDb, loc: Path, statement: str, mode: str, resume: bool, timeout: float = 120
) -> tuple[int | None, str]:
    """Run the command through the proxy; SIGKILL it in ``statement``'s window (``mode``: ``sent`` or
    ``done``, see the module doc). (None, '') when killed there, else (code, stderr) of a run that
    ended before sending it."""
    with Proxy(db.host, db.port) as proxy:
        proxy.hold_replies_after(statement.encode())
        proc = subprocess.Popen(
            _command(via(proxy, db.url), loc, resume),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=harness.env(),
            text=True,
        )
        deadline = time.monotonic() + timeout
        try:
            while proxy.marked is None and proc.poll() is None:
                assert time.monotonic() < deadline, f"{statement} was never sent"
                time.sleep(0.001)
            if mode == "done" and proxy.marked is not None:  # the server answered, and finished all it got
                while not proxy.replied.wait(0.01) or _busy(db):
                    assert time.monotonic() < deadline, f"the server never finished {statement}"
        finally:
            killed = proc.poll() is None
            if killed:
                proc.send_signal(signal.SIGKILL)
            err = proc.communicate()[1]
        return (None, "") if killed else (proc.returncode, err)


def aimed(db: ScratchDb, loc: Path, rng: random.Random, seed: int) -> Trial:
    """Kills in DDL windows, each at a later statement, then recovery (see the module doc). Each run is
    the command the database asks for: plain ``migrate`` first; once it refuses, ``--resume``."""
    t = Trial(seed, "aimed")
    ddl, resume, after, wanted = ddl_statements(loc), False, 0, rng.randint(1, 3)
    for _ in range(2 * wanted + 1):
        if t.kills >= wanted or after >= len(ddl):
            break
        k = rng.randrange(after, len(ddl))
        mode = rng.choice(("sent", "done"))
        code, err = kill_at(db, loc, ddl[k], mode, resume)
        name = "--resume" if resume else "migrate"
        if code is None:
            t.steps.append(f"{name} killed {mode} statement {k + 1} ({ddl[k][:40]})")
            t.kills, after, resume = t.kills + 1, k + 1, False
            continue
        t.steps.append(f"{name} -> {code}")  # it ended before the statement: it refused, or finished
        t.in_flight += IN_FLIGHT in err
        if code == 0:
            break
        if "--resume" not in err or resume:
            t.detail = err.strip()
            return t
        resume = True
    _recover(db, loc, t)
    return t


def soak(
    family: str,
    tmp: Path,
    n: int,
    seed: int,
    aimed_share: float = 0.5,
    per_set: int = 10,
    done: Callable[[Trial], None] | None = None,
) -> list[Trial]:
    """``n`` trials on ``family``, a new migration set (seed ``seed + i``) every ``per_set`` trials; about
    ``aimed_share`` of them aimed, spread evenly (with 0.5, every second one: a short run has both kinds).
    ``done`` is called with each trial as it ends (a long soak reports as it goes)."""
    rng = random.Random(seed)
    out: list[Trial] = []
    for first in range(0, n, per_set):
        loc = write(tmp, seed + first, family)
        want, took = reference(family, tmp, loc)
        for i in range(first, min(first + per_set, n)):
            with databases.scratch(family, tmp) as db:
                if int((i + 1) * aimed_share) > int(i * aimed_share):
                    t = aimed(db, loc, rng, seed + first)
                else:
                    t = timed(db, loc, rng, took, seed + first)
                if t.converged and state(db) != want:
                    t.converged, t.detail = False, "state differs from the clean run"
            out.append(t)
            if done is not None:
                done(t)
    return out
