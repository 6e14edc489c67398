"""Connect and socket timeouts for both drivers, as JDBC's ``connectTimeout``/``socketTimeout``.

Where the values come from, first found wins:

1. flywayx's keys ``connectTimeout`` / ``socketTimeout`` in **seconds** (``--connect-timeout``,
   ``FLYWAY_CONNECT_TIMEOUT``, ``flyway.connectTimeout`` …);
2. the URL's JDBC parameters, in the unit of the JDBC driver that reads them: MySQL/MariaDB
   Connector/J **milliseconds** (``jdbc:mysql://h/db?connectTimeout=5000&socketTimeout=30000``),
   PgJDBC **seconds** (``jdbc:postgresql://h/db?connectTimeout=5&socketTimeout=30``); Flyway's
   ``jdbcProperties.connectTimeout``/``socketTimeout`` are the same driver properties, folded into
   the URL's parameters by ``config.load`` (a parameter in the URL wins);
3. defaults: connect 10 s; socket 0, no limit (JDBC's default: a long ALTER may run for hours).

``connect`` bounds opening the session: TCP, TLS, the server's greeting and authentication.
``socket`` bounds each wait for the server's answer: no answer within it ends the statement with
an error naming the limit, and the connection is closed. The server may not see that (a broken
network path says nothing), so the session must not keep the migration lock: the driver then ends
the old session from a new connection when the server is reachable (MySQL ``KILL``, PostgreSQL
``pg_terminate_backend``), and, while a socket limit is set, every session holding the lock is told
to end itself after ``idle_expiry`` seconds idle (MySQL ``wait_timeout``, PostgreSQL
``idle_session_timeout``/``idle_in_transaction_session_timeout``), so the lock expires even when
the server cannot be reached.

``Watchdog`` is the socket limit for drivers without one of their own (psycopg): a daemon thread
shuts the socket down when a guarded call runs past the limit, which ends the driver's blocked read.
``Bounded(conn, dog)`` guards each cursor call of a connection handed to code that reads through it
(a schema fingerprint).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flywayx.errors import ConfigError

DEFAULT_CONNECT = 10.0


@dataclass(frozen=True)
class Timeouts:
    """Seconds; ``socket`` 0 means no limit."""

    connect: float = DEFAULT_CONNECT
    socket: float = 0.0

    @property
    def idle_expiry(self) -> int:
        """Seconds an idle session holding the lock lives on (0: the server's default). Twice the
        socket limit, and at least 10 s more: flywayx's own pauses between statements are far shorter."""
        return 0 if self.socket <= 0 else math.ceil(max(2 * self.socket, self.socket + 10))

    def connect_stalled(self, floor: float = 0.0) -> str:
        """The reason a connect ended when the connect limit fired. ``floor``: the driver's least wait
        (libpq's 2 s), said when it is longer than the limit asked for."""
        waited = f"; the driver waits {floor:g} s at least" if floor > self.connect else ""
        return f"no answer within connectTimeout ({self.connect:g} s{waited})"

    def stalled(self) -> str:
        """The reason a statement ended when the socket limit fired."""
        return (
            f"no answer from the server within socketTimeout ({self.socket:g} s); the connection was "
            "closed (the server, or the network path to it, stopped answering)"
        )


RAISE_CONNECT = "raise connectTimeout if connecting legitimately takes longer"
LIBPQ_FLOOR = 2.0  # libpq's connect_timeout: whole seconds, and 2 at least


def libpq_connect(limits: Timeouts) -> int:
    """The ``connect_timeout`` libpq is given for the connect limit."""
    return max(int(LIBPQ_FLOOR), math.ceil(limits.connect))


def resolve(
    dialect: str, params: tuple[tuple[str, str], ...], connect: float | None, socket_: float | None
) -> Timeouts:
    """The limits for a URL of ``dialect`` with JDBC ``params``, and flywayx's keys (seconds)."""
    unit = 0.001 if dialect in ("mysql", "mariadb") else 1.0
    given = dict(params)

    def pick(key: str, explicit: float | None, default: float) -> float:
        if explicit is not None:
            value, origin = float(explicit), key
        elif key in given:
            origin = f"URL parameter {key}"
            try:
                value = float(given[key]) * unit
            except ValueError:
                raise _bad(origin, given[key], unit) from None
        else:
            return default
        if value < 0 or math.isnan(value) or math.isinf(value):
            raise _bad(origin, str(value), unit)
        return value

    limits = Timeouts(pick("connectTimeout", connect, DEFAULT_CONNECT), pick("socketTimeout", socket_, 0.0))
    return Timeouts(limits.connect or DEFAULT_CONNECT, limits.socket)  # JDBC: 0 = the driver's default


def _bad(origin: str, value: str, unit: float) -> ConfigError:
    what = "milliseconds" if unit < 1 else "seconds"
    return ConfigError(
        f"Invalid {origin}: '{value}' is not a number of {what} >= 0",
        hint="e.g. connectTimeout=5 and socketTimeout=30 (seconds) in flyway.toml, or "
        f"?socketTimeout={30000 if unit < 1 else 30} in the URL ({what})",
    )


class Watchdog:
    """Shuts the socket down when a ``guard``-ed call lasts longer than ``limit`` seconds.

    ``fileno`` gives the socket to shut down (read when the limit fires). ``fired`` tells the caller
    that the error its driver raised was this. One thread per watchdog, started on first use."""

    def __init__(self, limit: float, fileno: Callable[[], int]) -> None:
        self.limit = limit
        self.fileno = fileno
        self.fired = False
        self._deadline: float | None = None
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    @contextmanager
    def guard(self) -> Iterator[None]:
        if self.limit <= 0:
            yield
            return
        with self._cond:
            self._deadline = time.monotonic() + self.limit
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="flywayx-socket-timeout", daemon=True)
                self._thread.start()
            self._cond.notify()
        try:
            yield
        finally:
            with self._cond:
                self._deadline = None

    def _watch(self) -> None:
        with self._cond:
            while True:
                if self._deadline is None:
                    self._cond.wait()
                    continue
                left = self._deadline - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                self._deadline = None
                self.fired = True
                _shutdown(self.fileno)

    def close(self) -> None:
        with self._cond:
            self._deadline = None


class Bounded:
    """A driver connection whose cursors wait for each answer within ``dog``'s limit (each call its own
    deadline: a long series of quick reads is not a stall)."""

    def __init__(self, conn: Any, dog: Watchdog) -> None:
        self._conn, self._dog = conn, dog

    def cursor(self) -> BoundedCursor:
        return BoundedCursor(self._conn.cursor(), self._dog)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class BoundedCursor:
    def __init__(self, cur: Any, dog: Watchdog) -> None:
        self._cur, self._dog = cur, dog

    def execute(self, *args: Any) -> Any:
        with self._dog.guard():
            return self._cur.execute(*args)

    def fetchall(self) -> Any:
        with self._dog.guard():
            return self._cur.fetchall()

    def fetchone(self) -> Any:
        with self._dog.guard():
            return self._cur.fetchone()

    def nextset(self) -> Any:  # PyMySQL reads the next result of a multi-statement query from the socket
        with self._dog.guard():
            return self._cur.nextset()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cur, name)


def _shutdown(fileno: Callable[[], int]) -> None:
    """Shut the socket down in both directions: a read blocked on it returns at once."""
    import socket  # only a stalled statement gets here: a command's start-up does not load it

    try:
        fd = os.dup(fileno())
    except (OSError, ValueError, TypeError):
        return
    try:
        sock = socket.socket(fileno=fd)
    except OSError:
        os.close(fd)
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.close()


__all__ = [
    "DEFAULT_CONNECT",
    "LIBPQ_FLOOR",
    "RAISE_CONNECT",
    "Bounded",
    "Timeouts",
    "Watchdog",
    "libpq_connect",
    "resolve",
]
