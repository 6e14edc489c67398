"""Where connect and socket limits come from: flywayx's keys (seconds) over the URL's JDBC parameters
in the unit of the JDBC driver that reads them (Connector/J milliseconds, PgJDBC seconds)."""

from __future__ import annotations

import socket
import time

import pytest

from flywayx.config.urls import parse_url
from flywayx.db.timeouts import DEFAULT_CONNECT, Timeouts, Watchdog, resolve
from flywayx.errors import ConfigError


def _limits(url: str, connect: float | None = None, sock: float | None = None) -> Timeouts:
    u = parse_url(url)
    return resolve(u.dialect, u.params, connect, sock)


@pytest.mark.parametrize(
    ("url", "want"),
    [
        ("jdbc:mysql://h:3306/db?connectTimeout=5000&socketTimeout=30000", Timeouts(5.0, 30.0)),
        ("jdbc:mariadb://h/db?socketTimeout=1500", Timeouts(DEFAULT_CONNECT, 1.5)),
        ("mysql://u@h/db", Timeouts(DEFAULT_CONNECT, 0.0)),
        ("jdbc:postgresql://h/db?connectTimeout=5&socketTimeout=30", Timeouts(5.0, 30.0)),
        ("postgresql://u@h/db?socketTimeout=2", Timeouts(DEFAULT_CONNECT, 2.0)),
        ("jdbc:mysql://h/db?connectTimeout=0", Timeouts(DEFAULT_CONNECT, 0.0)),  # JDBC: 0 is the default
    ],
)
def test_url_parameters_in_the_jdbc_drivers_units(url: str, want: Timeouts) -> None:
    assert _limits(url) == want


def test_flywayx_keys_are_seconds_and_win_over_the_url() -> None:
    assert _limits("jdbc:mysql://h/db?socketTimeout=30000", connect=3, sock=7) == Timeouts(3.0, 7.0)


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("jdbc:mysql://h/db?socketTimeout=soon", "URL parameter socketTimeout"),
        ("jdbc:postgresql://h/db?connectTimeout=-1", "URL parameter connectTimeout"),
    ],
)
def test_a_bad_value_is_refused_naming_it(url: str, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        _limits(url)


def test_idle_expiry_outlives_the_socket_limit() -> None:
    assert Timeouts(10, 0).idle_expiry == 0  # no socket limit: the server's own idle limit
    assert Timeouts(10, 2).idle_expiry == 12
    assert Timeouts(10, 60).idle_expiry == 120


def test_watchdog_ends_a_blocked_read_and_only_past_the_limit() -> None:
    a, b = socket.socketpair()
    dog = Watchdog(0.3, a.fileno)
    try:
        with dog.guard():
            b.sendall(b"x")
            assert a.recv(1) == b"x"  # an answer in time: nothing happens
        assert not dog.fired
        started = time.monotonic()
        with dog.guard():
            got = a.recv(1)  # the peer stays silent: the watchdog shuts the socket down
        assert got == b"" and dog.fired and 0.25 <= time.monotonic() - started < 3
    finally:
        dog.close()
        a.close()
        b.close()
