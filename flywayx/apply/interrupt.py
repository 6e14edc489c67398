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


_state = _State()

NAMES: dict[int, str] = {int(signal.SIGINT): "SIGINT (Ctrl-C)", int(signal.SIGTERM): "SIGTERM"}


def handle(signum: int, _frame: object = None) -> None:
    """The signal handler: cancel the running statement, or raise where nothing is partly applied."""
    if _state.db is None or _state.signum is not None:
        _state.signum = None
        raise Interrupted(f"Interrupted by {name(signum)} while no migration was running: "
                          "nothing is partly applied", hint="run the command again", signum=signum)
    _state.signum = signum
    if _state.in_statement:
        _state.db.cancel()


def requested() -> int | None:
    """The signal received and not yet honoured, if any."""
    return _state.signum


def honoured() -> int | None:
    """Clear and return the pending signal (the runner has turned it into an error)."""
    signum, _state.signum = _state.signum, None
    return signum


def reset() -> None:
    """Forget a signal no migration was left to honour (the command is over)."""
    _state.signum = None


def name(signum: int) -> str:
    return NAMES.get(signum, f"signal {signum}")


@contextmanager
def migration(db: Database) -> Iterator[None]:
    """While a migration runs on ``db``: signals are honoured at statement boundaries."""
    previous = _state.db
    _state.db = db
    try:
        yield
    finally:
        _state.db, _state.in_statement = previous, False


@contextmanager
def statement() -> Iterator[None]:
    """While one of the migration's statements is on the server: a signal cancels it."""
    _state.in_statement = True
    try:
        yield
    finally:
        _state.in_statement = False
