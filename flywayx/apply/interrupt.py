"""SIGINT (Ctrl-C) and SIGTERM while migrations run.

The CLI installs ``handle`` for both signals. While a migration's statement runs, the handler asks
the server to cancel it (``Database.cancel``): the statement fails with the server's "interrupted"
error, the runner records that failure exactly as any other (Flyway's ``success=0`` row where
statements stay applied, the progress record naming the statement) and reports it as interrupted.
Between statements the runner stops at the next boundary (``check``). Outside a migration the
handler raises ``Interrupted`` at once: nothing is partly applied there. A second signal while the
first is being honoured raises at once too.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flywayx.db.base import Database
from flywayx.errors import Interrupted


@dataclass
class _State:
    db: Database | None = None  # the connection a migration runs on (None: no migration runs)
    in_statement: bool = False  # one of the migration's statements is on the server
    signum: int | None = None  # the signal received, until the runner has honoured it


# One state per thread: ``migrate --fleet`` runs several targets at once, each on its own thread and
# connection. The handler (always on the main thread) acts on every thread's migration.
_states: dict[int, _State] = {}
_stop: list[int] = []  # a signal that came while no migration ran: every thread stops at its next boundary


def _mine() -> _State:
    return _states.setdefault(threading.get_ident(), _State())


NAMES: dict[int, str] = {int(signal.SIGINT): "SIGINT (Ctrl-C)", int(signal.SIGTERM): "SIGTERM"}


def handle(signum: int, _frame: object = None) -> None:
    """The signal handler: cancel the running statements, or raise where nothing is partly applied."""
    active = [s for s in list(_states.values()) if s.db is not None]
    if not active or any(s.signum is not None for s in active):
        for s in active:
            s.signum = None
        _stop[:] = [signum]
        raise Interrupted(
            f"Interrupted by {name(signum)} while no migration was running: nothing is partly applied",
            hint="run the command again",
            signum=signum,
        )
    for s in active:
        s.signum = signum
        if s.in_statement and s.db is not None:
            s.db.cancel()


def requested() -> int | None:
    """The signal received and not yet honoured by this thread (or one that stops every thread), if any."""
    mine = _mine()
    return mine.signum if mine.signum is not None else stopping()


def honoured() -> int | None:
    """Clear and return the pending signal (the runner has turned it into an error)."""
    mine = _mine()
    signum, mine.signum = mine.signum, None
    return signum if signum is not None else stopping()


def stopping() -> int | None:
    """A signal that asked every run to stop (``--fleet`` starts no further target)."""
    return _stop[0] if _stop else None


def reset() -> None:
    """Forget a signal no migration was left to honour (the command is over)."""
    for s in _states.values():
        s.signum = None
    _stop.clear()


def name(signum: int) -> str:
    return NAMES.get(signum, f"signal {signum}")


@contextmanager
def migration(db: Database) -> Iterator[None]:
    """While a migration runs on ``db``: signals are honoured at statement boundaries."""
    mine = _mine()
    previous = mine.db
    mine.db = db
    try:
        yield
    finally:
        mine.db, mine.in_statement = previous, False


@contextmanager
def statement() -> Iterator[None]:
    """While one of the migration's statements is on the server: a signal cancels it."""
    mine = _mine()
    mine.in_statement = True
    try:
        yield
    finally:
        mine.in_statement = False
