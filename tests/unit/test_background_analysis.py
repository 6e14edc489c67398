"""Footprints from the forked worker (service/analysis.py) are exactly the serial loop's."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from flywayx.model import Statement
from flywayx.service.analysis import Footprints, footprints_now
from flywayx.statements.splitter import split

Jobs = list[tuple[str, list[Statement]]]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the worker is forked on Linux only")


def _jobs(corpus: Path) -> Jobs:
    files = sorted(corpus.rglob("*.sql"))[:60]
    return [(p.name, split(p.read_text(encoding="utf-8", errors="replace"), "mariadb")) for p in files]


@pytest.fixture
def jobs(acs_corpus: Path) -> Jobs:
    found = _jobs(acs_corpus)
    assert sum(len(stmts) for _, stmts in found) >= 1000  # large enough for a worker
    return found


def _worker_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLYWAYX_ANALYSIS_WORKER", "1")
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1})


def test_the_worker_gives_the_serial_result(jobs: Jobs, monkeypatch: pytest.MonkeyPatch) -> None:
    _worker_allowed(monkeypatch)
    prints = Footprints(jobs, "mariadb", "10.11.6-MariaDB")
    assert prints._pid is not None  # it really forked
    try:
        assert prints.all() == footprints_now(jobs, "mariadb", "10.11.6-MariaDB")
        assert prints.of(jobs[3][0])() == prints.all()[jobs[3][0]]
    finally:
        prints.close()
    assert prints._pid is None  # reaped


def test_a_worker_that_dies_is_replaced_by_the_serial_loop(jobs: Jobs, monkeypatch: pytest.MonkeyPatch) -> None:
    _worker_allowed(monkeypatch)
    prints = Footprints(jobs, "mariadb", None)
    assert prints._pid is not None
    os.kill(prints._pid, signal.SIGKILL)
    assert prints.all() == footprints_now(jobs, "mariadb", None)
    prints.close()


def test_closing_early_stops_the_worker(jobs: Jobs, monkeypatch: pytest.MonkeyPatch) -> None:
    _worker_allowed(monkeypatch)
    prints = Footprints(jobs, "mariadb", None)
    pid = prints._pid
    assert pid is not None
    prints.close()  # the command ended before any footprint was needed
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped: no zombie left behind


def test_small_projects_and_the_switch_analyse_in_process(jobs: Jobs, monkeypatch: pytest.MonkeyPatch) -> None:
    _worker_allowed(monkeypatch)
    small = Footprints(jobs[:2], "mariadb", None)
    assert small._pid is None and small.all() == footprints_now(jobs[:2], "mariadb", None)
    monkeypatch.setenv("FLYWAYX_ANALYSIS_WORKER", "0")
    off = Footprints(jobs, "mariadb", None)
    assert off._pid is None


def _square_noting_pid(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


def test_spread_maps_in_order_over_forked_children(monkeypatch: pytest.MonkeyPatch) -> None:
    from flywayx.service.forks import spread

    _worker_allowed(monkeypatch)
    items = list(range(40))
    got = spread(_square_noting_pid, items, [1] * 40, min_weight=10)
    assert [v for v, _ in got] == [x * x for x in items]
    assert len({pid for _, pid in got}) == 2  # half of it ran in a child
    assert len({pid for _, pid in spread(_square_noting_pid, items, [1] * 40, min_weight=100)}) == 1


def test_a_failing_child_group_is_computed_here(monkeypatch: pytest.MonkeyPatch) -> None:
    from flywayx.service.forks import spread

    _worker_allowed(monkeypatch)
    parent = os.getpid()

    def fragile(x: int) -> int:
        if os.getpid() != parent:
            raise RuntimeError("a child that dies")
        return -x

    assert spread(fragile, list(range(10)), [5] * 10, min_weight=1) == [-x for x in range(10)]


def test_analysis_spread_over_cores_is_the_serial_analysis(acs_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Later runs of migrations are analysed in a child from a fresh context; where a guess read a
    column type the real context knows otherwise, it is analysed again: the result is the serial one."""
    from flywayx.service.analysis import analyse_tracked, guesses
    from flywayx.statements.analyze import make_context

    _worker_allowed(monkeypatch)
    files = sorted(acs_corpus.rglob("*.sql"))
    jobs = [(p.name, split(p.read_text(encoding="utf-8", errors="replace"), "mariadb")) for p in files]
    assert sum(len(s) for _, s in jobs) >= 4000  # enough to spread
    serial = footprints_now(jobs, "mariadb", "10.11.6-MariaDB")
    assert footprints_now(jobs, "mariadb", "10.11.6-MariaDB", over_cores=True) == serial
    guessed = guesses(jobs, "mariadb", "10.11.6-MariaDB", None)
    ctx = make_context("mariadb", "10.11.6-MariaDB")
    wrong = 0
    for script, stmts in jobs:  # both kinds of guess occur: the check above covered both paths
        exact = analyse_tracked(stmts, "mariadb", ctx)
        wrong += guessed[script].before != exact.before
    assert 0 < wrong < len(jobs) // 2


def test_a_forked_child_does_not_outlive_its_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker killed (or stopped early) takes its own children with it: nothing runs on alone."""
    import time

    from flywayx.service.forks import Forked

    _worker_allowed(monkeypatch)
    note = tmp_path / "grandchild"

    def grandchild() -> int:
        note.write_text(str(os.getpid()))
        time.sleep(30)
        return 0

    def child() -> int:
        inner = Forked(grandchild)
        return inner.result() or 0

    worker = Forked(child)
    for _ in range(200):
        if note.exists() and note.read_text():
            break
        time.sleep(0.05)
    pid = int(note.read_text())
    worker.close()  # stops the worker, as a command that ends early does
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
            break  # dead, waiting for init to reap it
        time.sleep(0.05)
    else:
        pytest.fail("the worker's child outlived it")


def test_a_child_finishes_its_writing_after_handing_its_result_over(tmp_path: Path) -> None:
    """``Forked(fn, then)``: the parent has the result and goes on (prints its answer) while the child
    runs ``then`` (writes the cache); the parent waits for it only when it exits."""
    import time

    from flywayx.service import forks

    go, note = tmp_path / "go", tmp_path / "written"

    def then() -> None:
        for _ in range(600):  # until the test says go (at most 30 s)
            if go.exists():
                break
            time.sleep(0.05)
        note.write_text("done")

    child = forks.Forked(lambda: 42, then)
    assert child.result() == 42
    started = time.monotonic()
    child.close()  # does not wait for ``then``
    assert time.monotonic() - started < 20 and not note.exists()
    go.touch()
    forks._reap_late()  # what the exit of the parent does
    assert note.read_text() == "done" and not forks._LATE
