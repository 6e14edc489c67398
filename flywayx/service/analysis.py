"""Content ids now, footprints in the background.

A plan needs every migration's content id before anything runs (identical content is one change).
Footprints (what a migration reads and writes, its phase) are needed up front only to check a
change that arrives out of order or to pick the expand phase; otherwise the first one is read when
the first history row is written. So on Linux, with two or more CPUs and a project of at least
``BACKGROUND_MIN_STATEMENTS`` statements, a forked worker analyses the migrations — in the same
order and with one shared context, exactly as the serial loop does — while this process plans and
applies; the first use of a footprint waits for the worker. For CloudStack's corpus (6,766
statements) that takes the analyser's ~0.5 s off the critical path of a migration.

The worker only computes and writes one pickled result to a pipe; it never touches the database
connection it inherits, and leaves with ``os._exit`` so nothing of the parent is flushed or closed
twice. If it fails, or the platform has no ``fork``, the footprints are computed here instead, so
the result never depends on whether the worker ran.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
from collections.abc import Callable, Sequence

from flywayx.model import Migration, Statement
from flywayx.model.footprint import Footprint
from flywayx.statements.analyze import analyze_migration, make_context

BACKGROUND_MIN_STATEMENTS = 1000

Jobs = Sequence[tuple[str, Sequence[Statement]]]  # (script, statements) in migration order


def footprints_now(jobs: Jobs, dialect: str, server_version: str | None) -> dict[str, Footprint]:
    """Each script's combined footprint, one analysis context carried through in order."""
    ctx = make_context(dialect, server_version)
    return {script: analyze_migration(stmts, dialect, context=ctx)[1] for script, stmts in jobs}


class Footprints:
    """Footprints by script, computed by a forked worker when that pays, else on first use."""

    def __init__(self, jobs: Jobs, dialect: str, server_version: str | None) -> None:
        self._args = (list(jobs), dialect, server_version)
        self._result: dict[str, Footprint] | None = None
        self._pid: int | None = None
        self._fd: int | None = None
        if _worth_a_worker(sum(len(stmts) for _, stmts in jobs)):
            self._start()

    def of(self, script: str) -> Callable[[], Footprint]:
        """A function giving ``script``'s footprint (for ``Change``), waiting for the worker if needed."""
        return lambda: self.all()[script]

    def all(self) -> dict[str, Footprint]:
        if self._result is None:
            self._result = self._collect() if self._fd is not None else None
            if self._result is None:
                self._result = footprints_now(*self._args)
        return self._result

    def close(self) -> None:
        """Reap the worker; one whose result was never asked for (the command ended early) is stopped."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            if self._pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self._pid, signal.SIGKILL)
        if self._pid is not None:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self._pid, 0)
            self._pid = None

    def _start(self) -> None:
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return
        if pid == 0:  # the worker: compute, write, leave without running any of the parent's cleanup
            code = 1
            try:
                os.close(read_end)
                data = pickle.dumps(footprints_now(*self._args), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write_end, "wb") as out:
                    out.write(data)
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        self._pid, self._fd = pid, read_end

    def _collect(self) -> dict[str, Footprint] | None:
        assert self._fd is not None
        chunks = []
        with os.fdopen(self._fd, "rb") as pipe:
            self._fd = None
            while chunk := pipe.read(1 << 20):
                chunks.append(chunk)
        self.close()
        try:
            result = pickle.loads(b"".join(chunks))
        except Exception:  # the worker died before writing everything: compute here
            return None
        return result if isinstance(result, dict) else None


def _worth_a_worker(statements: int) -> bool:
    if statements < BACKGROUND_MIN_STATEMENTS or not sys.platform.startswith("linux"):
        return False
    if os.environ.get("FLYWAYX_ANALYSIS_WORKER", "1") == "0":
        return False
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return cpus > 1


def jobs_of(migrations: Sequence[Migration], statements: dict[str, list[Statement] | None]) -> list[
        tuple[str, Sequence[Statement]]]:
    """The analysable migrations (SQL) with their statements, in migration order."""
    return [(m.script, stmts) for m in migrations if (stmts := statements.get(m.script)) is not None]
