"""A TCP proxy between flywayx and a real server that misbehaves on demand (pure Python, threads).

``Proxy(host, port)`` listens on 127.0.0.1 (``proxy.port``) and forwards each accepted connection
to the server, byte for byte, in both directions, until told otherwise:

- ``stall()``: every open connection stops forwarding in both directions, and keeps both sockets
  open: to the client the server is silent, to the server the client is (a broken network path,
  not a closed one). ``stall(new=True)``: connections opened later stall too (from their first
  byte, so even the handshake hangs).
- ``hold_replies_after(marker)``: once a client sends bytes containing ``marker``, those bytes go
  to the server and every reply from then on is held back: the server finished the statement, the
  client never hears it. ``replied`` is set when the server's first held reply arrived, ``marked``
  is when the marker passed. ``stall_new=True``: from then on every connection stalls, new ones
  too (the server is unreachable: not even a closed connection is passed on). ``stall_link=True``:
  the connection that sent the marker stalls in both directions, its client's close is not passed on
  either (that one path broke); the others and new ones carry on.
- ``hold_replies_at(n)``: the same as ``hold_replies_after``, at the ``n``-th chunk a client sends (1 is
  the first; ``sent`` counts them, so a clean run through the proxy tells how many a command sends).
- ``stall_new_after(marker)``: once a client sends bytes containing ``marker``, every connection
  opened from then on stalls from its first byte (a server that stopped accepting work: the TCP
  handshake completes, the greeting never comes); the open ones carry on. ``stalled_new`` is when.
- ``cut()``: close every connection at once (both sides see a reset/EOF).
- ``delay(seconds)``: each chunk waits that long before it is forwarded; ``delay(seconds, after=marker)``:
  from the moment a client sends bytes containing ``marker`` (``delayed`` counts the late chunks).
- ``resume()``: forward again, held bytes first.

``close()`` stops listening and closes everything (use it as a context manager).

``via(proxy, url)`` is ``url`` through the proxy; ``kill_once_replied`` runs ``flywayx migrate`` that way
and SIGKILLs it the moment the proxy holds the server's answer (the kill harness of tests/faults).
"""

from __future__ import annotations

import contextlib
import select
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit


class _Link:
    """One client connection and its server connection."""

    def __init__(self, client: socket.socket, server: socket.socket) -> None:
        self.client, self.server = client, server
        self.held: dict[str, list[bytes]] = {"up": [], "down": []}
        self.stalled = False
        self.hold_down = False
        self.closed = False

    def close(self) -> None:
        self.closed = True
        for s in (self.client, self.server):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


class Proxy:
    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._links: list[_Link] = []
        self._lock = threading.Lock()
        self._stall_new = False
        self._marker: bytes | None = None
        self._stall_new_on_marker = False
        self._stall_link_on_marker = False
        self._then: bytes | None = None
        self._delay = 0.0
        self._stall_new_after: bytes | None = None
        self._delay_after: tuple[bytes, float] | None = None
        self.delayed = 0  # chunks forwarded late
        self.sent = 0  # chunks the clients sent
        self._hold_at = 0
        self.delay_started: float | None = None  # when the delay began (time.monotonic)
        self._stop = threading.Event()
        self.replied = threading.Event()  # a reply arrived after the marker and was held back
        self.connections = 0
        self.accepted: list[float] = []  # when each connection came in (time.monotonic)
        self.marked: float | None = None  # when the marker passed (time.monotonic)
        self.stalled_new: float | None = None  # when ``stall_new_after``'s marker passed (time.monotonic)
        threading.Thread(target=self._accept, daemon=True).start()

    # control ---------------------------------------------------------------------------------
    def stall(self, new: bool = False) -> None:
        with self._lock:
            for link in self._links:
                link.stalled = True
            self._stall_new = new

    def hold_replies_after(
        self, marker: bytes, *, then: bytes | None = None, stall_new: bool = False, stall_link: bool = False
    ) -> None:
        """``then``: the marker arms, and the first later packet containing ``then`` triggers (e.g. the
        COMMIT after a given statement). ``stall_new``: from the moment it triggers, connections opened
        later stall too (the server is unreachable, not just this connection's path)."""
        self.replied.clear()
        self._marker, self._then = marker, then
        self._stall_new_on_marker = stall_new
        self._stall_link_on_marker = stall_link

    def hold_replies_at(self, n: int) -> None:
        """From the ``n``-th chunk any client sends (that chunk reaches the server), that connection's
        replies are held back."""
        self.replied.clear()
        self._hold_at = n

    def stall_new_after(self, marker: bytes) -> None:
        self._stall_new_after = marker

    def delay(self, seconds: float, *, after: bytes | None = None) -> None:
        if after is None:
            self._delay = seconds
        else:
            self._delay_after = (after, seconds)

    def cut(self) -> None:
        with self._lock:
            links, self._links = self._links, []
        for link in links:
            link.close()

    def resume(self) -> None:
        with self._lock:
            self._stall_new, self._marker = False, None
            for link in self._links:
                link.stalled = link.hold_down = False

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        self.cut()

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # forwarding ------------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            link = _Link(client, server)
            with self._lock:
                link.stalled = self._stall_new
                self._links.append(link)
                self.connections += 1
                self.accepted.append(time.monotonic())
            threading.Thread(target=self._pump, args=(link,), daemon=True).start()

    def _pump(self, link: _Link) -> None:
        """Both directions of one link, from one thread (select over the two sockets)."""
        ends = {link.client: ("up", link.server), link.server: ("down", link.client)}
        while not link.closed and not self._stop.is_set():
            try:
                ready, _, _ = select.select(list(ends), [], [], 0.05)
            except (OSError, ValueError):
                return
            self._flush(link)
            for sock in ready:
                way, other = ends[sock]
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    if not link.stalled:  # a real EOF passes through unless the path is "broken"
                        link.close()
                        return
                    ends.pop(sock, None)
                    continue
                self._forward(link, way, other, data)

    def _forward(self, link: _Link, way: str, other: socket.socket, data: bytes) -> None:
        held = link.stalled or (way == "down" and link.hold_down)
        if way == "up":
            with self._lock:  # one pump thread per connection
                self.sent += 1
                if self.sent == self._hold_at:
                    link.hold_down = True
                    self.marked = time.monotonic()
        if way == "up" and self._stall_new_after is not None and self._stall_new_after in data:
            with self._lock:
                self._stall_new, self._stall_new_after = True, None
                self.stalled_new = time.monotonic()
        if way == "up" and self._delay_after is not None and self._delay_after[0] in data:
            self._delay, self._delay_after = self._delay_after[1], None
            self.delay_started = time.monotonic()
        if way == "up" and self._marker is not None and self._marker in data and self._then is not None:
            self._marker, self._then = self._then, None  # armed: the next marker triggers
        elif way == "up" and self._marker is not None and self._marker in data:
            link.hold_down = True
            self.marked = time.monotonic()
            if self._stall_new_on_marker:  # the whole path breaks: this link, the others, new ones
                self.stall(new=True)
            if self._stall_link_on_marker:  # this link's path breaks: its client's close stays here too
                link.stalled = True
        if held:
            link.held[way].append(data)
            if way == "down" and link.hold_down:
                self.replied.set()
            return
        if self._delay:
            self.delayed += 1
            time.sleep(self._delay)
        try:
            other.sendall(data)
        except OSError:
            link.close()

    def _flush(self, link: _Link) -> None:
        """After ``resume``: what was held goes out first, in order."""
        if link.stalled:
            return
        for way, other in (("up", link.server), ("down", link.client)):
            if way == "down" and link.hold_down:
                continue
            while link.held[way]:
                try:
                    other.sendall(link.held[way].pop(0))
                except OSError:
                    link.close()
                    return


def via(proxy: Proxy, url: str) -> str:
    """``url`` with the proxy's address in place of the server's."""
    u = urlsplit(url)
    return url.replace(f"@{u.hostname}:{u.port}", f"@127.0.0.1:{proxy.port}")


def kill_once_replied(
    proxy: Proxy,
    url: str,
    loc: Path,
    *args: str,
    env: dict[str, str] | None = None,
    then: Callable[[], None] | None = None,
) -> None:
    """Run ``flywayx --url URL --locations LOC migrate ARGS`` through ``proxy`` (told what to hold with
    ``hold_replies_after`` first) and SIGKILL it once the server has answered: the server finished the
    statement, flywayx never heard it. ``then`` runs between the answer and the kill (to wait for more)."""
    from tests.e2e import harness

    command = [*harness.FLYWAYX, "--url", via(proxy, url), "--locations", str(loc), "migrate", *args]
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**harness.env(), **(env or {})}
    )
    try:
        if not proxy.replied.wait(60):
            raise AssertionError(f"the server never answered what the proxy waited for: {proc.communicate(timeout=1)}")
        if then is not None:
            then()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
