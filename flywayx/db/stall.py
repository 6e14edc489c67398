"""A stall watchdog for the external clients flywayx runs (``mariadb-dump``, ``pg_dump``, ``mariadb``).

flywayx bounds its own connections itself (``flywayx.db.timeouts``); a client process has its own,
which flywayx cannot reach. ``Stall(proc, limit, progress, first=...)`` watches one client from a
daemon thread and ends it (SIGTERM, then SIGKILL 2 s later) once it has made **no progress** for
``limit`` seconds (``socketTimeout``; 0: no limit once it has moved), or none at all within ``first``
seconds of its start (it is still connecting: the connect limit, for a client without a connect
timeout of its own such as ``mariadb-dump``). ``fired`` then tells the caller that the watchdog ended
the client, ``connecting`` that it ended it before its first progress, and ``endpoints`` the
client's TCP addresses as it saw them then (``(ip, port)``: how the server names its session).

Progress is any change in:

- the bytes the client's TCP connections have received from, or had acknowledged by, the server
  (Linux: the client's sockets are borrowed with ``pidfd_getfd`` and read with ``TCP_INFO``). This
  sees a slow dump that is still receiving rows even while it buffers them before writing;
- what the caller counts (``progress``): the size of the dump file, the bytes fed to the client.

A slow client that still moves bytes is never ended; a silent one is, ``limit`` seconds after its
last byte. ``limit`` 0 means no watchdog (JDBC's default: no socket limit).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType

_PIDFD_GETFD = 438  # the syscall number, the same on every Linux architecture (new syscalls are unified)
_TCP_INFO_LEN = 136  # up to tcpi_bytes_received (Linux 4.1+)
_ACKED_RECEIVED = 120  # offset of tcpi_bytes_acked, then tcpi_bytes_received (u64 each)
_KILL_AFTER = 2.0


class Stall:
    """Ends ``proc`` after ``limit`` seconds without progress, or ``first`` seconds without any (0: no
    such limit)."""

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        limit: float,
        progress: Callable[[], int] | None = None,
        *,
        first: float = 0.0,
    ) -> None:
        self.proc = proc
        self.limit = limit
        self.first = first
        self.progress = progress
        self.fired = False
        self.connecting = False
        self.endpoints: list[tuple[str, int]] = []
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Stall:
        if self.limit > 0 or self.first > 0:
            self._thread = threading.Thread(target=self._watch, name="flywayx-client-stall", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()

    def _watch(self) -> None:
        pidfd = _pidfd(self.proc.pid)
        try:
            step = min(0.5, *(x / 4 for x in (self.limit, self.first) if x > 0))
            last, seen, moved = self._sample(pidfd), time.monotonic(), False
            while not self._done.wait(step) and self.proc.poll() is None:
                now, sample = time.monotonic(), self._sample(pidfd)
                if sample != last:
                    # before its first progress only what it hears or counts is progress: the TCP
                    # handshake alone (the SYN counts as one byte acknowledged) is not an answer
                    heard = moved or sample[0] != last[0] or sample[2] != last[2]
                    last = sample
                    if heard:
                        seen, moved = now, True
                        if self.limit <= 0:
                            return  # connected, and no socket limit: nothing more to watch
                elif (moved and self.limit > 0 and now - seen > self.limit) or (
                    not moved and self.first > 0 and now - seen > self.first
                ):
                    self.fired, self.connecting = True, not moved
                    self.endpoints = _endpoints(self.proc.pid, pidfd)  # while its sockets are still open
                    self._end()
                    return
        finally:
            if pidfd is not None:
                os.close(pidfd)

    def _sample(self, pidfd: int | None) -> tuple[int, int, int]:
        """(what the caller counts, bytes acknowledged, bytes received)."""
        counted = 0
        if self.progress is not None:
            with contextlib.suppress(OSError, ValueError):
                counted = self.progress()
        return (counted, *_socket_bytes(self.proc.pid, pidfd))

    def _end(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.terminate()
        if not self._done.wait(_KILL_AFTER) and self.proc.poll() is None:
            with contextlib.suppress(OSError):
                self.proc.kill()


def _pidfd(pid: int) -> int | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return os.pidfd_open(pid)
    except (OSError, AttributeError):
        return None


def _sockets(pid: int, pidfd: int | None) -> Iterator[socket.socket]:
    """The sockets of ``pid``, each borrowed (``pidfd_getfd``) for the time of one iteration."""
    if pidfd is None:
        return
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for name in fds:
        try:
            if not os.readlink(f"/proc/{pid}/fd/{name}").startswith("socket:"):
                continue
        except OSError:
            continue
        fd = libc.syscall(_PIDFD_GETFD, pidfd, int(name), 0)
        if fd < 0:
            continue
        sock = socket.socket(fileno=fd)
        try:
            yield sock
        finally:
            sock.close()


def _socket_bytes(pid: int, pidfd: int | None) -> tuple[int, int]:
    """Bytes acknowledged and bytes received over the TCP sockets of ``pid`` (0 when unknown)."""
    total_acked = total_received = 0
    for sock in _sockets(pid, pidfd):
        try:
            info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO_LEN)
            if len(info) >= _TCP_INFO_LEN:
                acked, received = struct.unpack_from("QQ", info, _ACKED_RECEIVED)
                total_acked, total_received = total_acked + acked, total_received + received
        except OSError:
            pass  # not a TCP socket (a Unix socket: the caller's counters are the measure)
    return total_acked, total_received


def _endpoints(pid: int, pidfd: int | None) -> list[tuple[str, int]]:
    """The local (address, port) of each TCP connection of ``pid`` (IPv4-mapped IPv6 as IPv4)."""
    out = []
    for sock in _sockets(pid, pidfd):
        with contextlib.suppress(OSError):
            if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
                sock.getpeername()  # connected
                host, port = sock.getsockname()[:2]
                out.append((str(host).removeprefix("::ffff:"), int(port)))
    return out


__all__ = ["Stall"]
