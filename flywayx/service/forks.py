"""Work spread over forked processes: one computation in a child, or a list mapped over the cores.

``Forked(fn)`` runs ``fn()`` in a forked child that writes its pickled result to a pipe and leaves
with ``os._exit`` (nothing of the parent is flushed or closed twice; it never touches an inherited
connection). ``result()`` waits for it; None when the child failed, so the caller computes the value
itself and the answer never depends on whether a child ran. ``Forked(fn, then)`` runs ``then()`` in the
child after the result is written (the analysis cache's writes: the parent goes on meanwhile, and
waits for it in ``close``). ``spread(fn, items, weights)`` maps ``fn``
over ``items`` in one child per extra core, in contiguous groups of about equal weight, this process
doing the last group, and returns the results in order; ``spread_groups`` hands each group whole to
its function. Only on Linux with two or more usable CPUs,
and never when ``FLYWAYX_ANALYSIS_WORKER=0``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

__all__ = ["Forked", "cpus_for_workers", "spread", "spread_groups"]


def cpus_for_workers() -> int:
    """How many processes may compute at once (1: no worker)."""
    if not sys.platform.startswith("linux") or os.environ.get("FLYWAYX_ANALYSIS_WORKER", "1") == "0":
        return 1
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Forked(Generic[T]):
    """``fn()`` computed in a forked child (see the module docstring); ``pid`` None when none runs."""

    def __init__(self, fn: Callable[[], T], then: Callable[[], object] | None = None) -> None:
        self.pid: int | None = None
        self._fd: int | None = None
        self._then = then is not None
        self._delivered = False  # its result was read whole: only its ``then`` may still run
        _reap_finished()
        read_end, write_end = os.pipe()
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return
        if pid == 0:  # the child: compute, write, leave without running any of the parent's cleanup
            code = 1
            try:
                _die_with_parent(parent)
                os.close(read_end)
                data = pickle.dumps(fn(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write_end, "wb") as out:
                    out.write(data)
                code = 0
                if then is not None:
                    then()
            finally:
                os._exit(code)
        os.close(write_end)
        self.pid, self._fd = pid, read_end

    def result(self) -> T | None:
        """The child's value, waiting for it (not for its ``then``: ``close`` does); None when it failed
        or none was started."""
        if self._fd is None:
            return None
        chunks = []
        with os.fdopen(self._fd, "rb") as pipe:
            self._fd = None
            while chunk := pipe.read(1 << 20):
                chunks.append(chunk)
        if not self._then:
            self.close()
        try:
            value: T = pickle.loads(b"".join(chunks))
        except Exception:  # the child died before writing everything
            return None
        self._delivered = True
        return value

    def close(self) -> None:
        """Reap the child; one whose result was never asked for is stopped. One that handed its result
        over and is running its ``then`` (writing the analysis cache) is left to finish while this
        process prints its answer: it is reaped later, at the latest when this process exits."""
        if self._delivered and self._then and self.pid is not None:
            _LATE.append(self.pid)
            self.pid = None
            return
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            if self.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
        if self.pid is not None:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = None


_LATE: list[int] = []  # children finishing their ``then`` after handing their result over


def _reap_finished() -> None:
    """Reap the late children that have ended (a long-lived caller does not gather zombies)."""
    for pid in list(_LATE):
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == 0:
                continue
        _LATE.remove(pid)


@atexit.register
def _reap_late() -> None:
    """At exit, after the answer is out: wait for the late children (they die with this process, so
    leaving without waiting would lose what they write)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    while _LATE:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(_LATE.pop(), 0)


def _die_with_parent(parent: int) -> None:
    """Linux: this process is killed when the one that forked it ends, so a child whose parent was
    killed (or stopped it early, ``close``) never runs on alone: a worker's own children included."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent ended before the line above: leave now
        os._exit(1)


def _groups(weights: Sequence[int], n: int) -> list[range]:
    """``n`` contiguous index ranges of about equal total weight (some may be empty)."""
    total = sum(weights) or 1
    bounds, acc, k = [0], 0, 1
    for i, w in enumerate(weights):
        acc += w
        while k < n and acc >= total * k / n:
            bounds.append(i + 1)
            k += 1
    bounds += [len(weights)] * (n + 1 - len(bounds))
    return [range(bounds[j], bounds[j + 1]) for j in range(n)]


def spread(fn: Callable[[T], R], items: Sequence[T], weights: Sequence[int], min_weight: int) -> list[R]:
    """``[fn(x) for x in items]``, spread over the usable cores when the total weight is at least
    ``min_weight``; a group whose child fails is computed here."""
    return spread_groups(lambda group: [fn(x) for x in group], items, weights, min_weight)


def spread_groups(
    fn: Callable[[Sequence[T]], list[R]],
    items: Sequence[T],
    weights: Sequence[int],
    min_weight: int,
    then: Callable[[], object] | None = None,
) -> list[R]:
    """``fn`` over contiguous groups of ``items`` (one group per usable core, about equal weight; one
    group when the total weight is below ``min_weight``), each giving one result per item, joined in
    order. ``fn`` sees each group whole, so it may carry state from one item to the next. ``then``: run
    in each child after it has handed its results over (``Forked``), e.g. writing what it cached."""
    cpus = cpus_for_workers()
    if cpus < 2 or sum(weights) < min_weight or len(items) < 2:
        return fn(items)
    groups = [items[g.start : g.stop] for g in _groups(weights, min(cpus, len(items)))]

    def group(g: Sequence[T]) -> Callable[[], list[R]]:
        return lambda: fn(g)

    children = [Forked(group(g), then) for g in groups[:-1]]
    try:
        out: list[R] = fn(groups[-1])
        done: list[R] = []
        for g, child in zip(groups[:-1], children, strict=True):
            got = child.result()
            done += got if got is not None and len(got) == len(g) else fn(g)
        return done + out
    finally:
        for child in children:
            child.close()
