"""Flyway-compatible migration locks: MySQL/MariaDB named locks, PostgreSQL advisory locks, SQLite files.

The lock names and keys are Flyway's (flyway-semantics.md §9.4), so a flywayx run and a Flyway run
on the same database exclude each other:

- MySQL/MariaDB: ``GET_LOCK('Flyway-<H>', 10)`` where ``H`` is Java's ``String.hashCode`` (signed
  32-bit) of the quoted table name `` `db`.`flyway_schema_history` ``; ``RELEASE_LOCK`` afterwards.
- PostgreSQL: the session-level advisory lock ``0x466C79776179 + H('"schema"."table"')``. Flyway's
  default is the transaction-level variant of the same key; the two conflict with each other, so
  they still exclude. A session lock is released by the server when the connection dies, which is
  what makes a killed runner harmless (issue 6).
- SQLite has no server lock; flywayx takes an exclusive ``flock`` on ``<database file>.flywayx-lock``
  beside the database. The kernel drops it when the holding process exits. The file is left in
  place on purpose: deleting it would let a third process lock a different inode.

Every lock is a context manager that waits (polling) up to ``timeout`` seconds, then raises
``LockTimeout`` naming the holder when the server can tell. This module imports no driver: it talks
to the database through a ``query`` callable taking ``?`` placeholders.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flywayx.errors import LockTimeout

Query = Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]

PG_LOCK_MAGIC = 0x466C79776179  # the bytes of "Flyway", Flyway's advisory-lock base
MYSQL_GET_LOCK_WAIT = 10  # seconds GET_LOCK itself waits per call, as Flyway asks
RETRY_INTERVAL = 0.1
PG_MAX_INTERVAL = 1.0

# Tests shorten waits by replacing these; production code never does.
_sleep = time.sleep
_clock = time.monotonic


def java_string_hash(text: str) -> int:
    """Java's ``String.hashCode()``: ``s[0]*31^(n-1) + ... + s[n-1]`` over UTF-16 units, signed 32-bit."""
    h = 0
    data = text.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h >= (1 << 31) else h


def mysql_lock_name(schema: str, table: str) -> str:
    """Flyway's named lock for `` `schema`.`table` ``, e.g. ``Flyway--1513956136``."""
    quoted = "`" + schema.replace("`", "``") + "`.`" + table.replace("`", "``") + "`"
    return f"Flyway-{java_string_hash(quoted)}"


def pg_lock_key(schema: str, table: str) -> int:
    """Flyway's advisory lock key for ``"schema"."table"`` (fits a PostgreSQL bigint)."""
    quoted = '"' + schema.replace('"', '""') + '"."' + table.replace('"', '""') + '"'
    return PG_LOCK_MAGIC + java_string_hash(quoted)


def _timeout_error(what: str, timeout: float, holder: str | None) -> LockTimeout:
    held = f"; held by {holder}" if holder else ""
    return LockTimeout(
        f"Could not acquire the migration lock {what} within {timeout:g} s{held}",
        hint="another flywayx or Flyway run is migrating this schema: wait for it, or raise lock_timeout; "
        "if its process is gone the server frees the lock when the connection closes",
        lock=what,
        holder=holder,
        timeout=timeout,
    )


@contextmanager
def mysql_named_lock(
    query: Query,
    schema: str,
    table: str,
    timeout: float,
    release_later: Callable[[str, tuple[Any, ...]], None] | None = None,
    max_wait: float = MYSQL_GET_LOCK_WAIT,
) -> Iterator[None]:
    """Hold Flyway's ``GET_LOCK`` for ``schema.table`` on this connection while the block runs.
    ``release_later``: queue the release to go with the connection's next statement (``Database.later``;
    the migrate loop's next ``GET_LOCK``: waiting runners still get the lock in between).
    ``max_wait``: the longest one ``GET_LOCK`` call waits on the server; below the connection's
    socket limit, so waiting for a busy lock is never taken for a server that stopped answering."""
    name = mysql_lock_name(schema, table)
    deadline = _clock() + timeout
    while True:
        wait = max(0.0, min(max_wait, deadline - _clock()))
        got = query("SELECT GET_LOCK(?, ?)", (name, wait))[0][0]
        if got == 1:
            break
        if _clock() >= deadline:
            raise _timeout_error(f"'{name}'", timeout, _mysql_holder(query, name))
        _sleep(RETRY_INTERVAL)
    try:
        yield
    finally:
        if release_later is not None:
            release_later("DO RELEASE_LOCK(?)", (name,))
        else:
            _release(query, "SELECT RELEASE_LOCK(?)", (name,))


def _mysql_holder(query: Query, name: str) -> str | None:
    """Who holds ``name``: connection id, user, host and what it is doing, when visible."""
    try:
        conn_id = query("SELECT IS_USED_LOCK(?)", (name,))[0][0]
        if conn_id is None:
            return None
        rows = query("SELECT USER, HOST, COMMAND, TIME FROM information_schema.PROCESSLIST WHERE ID = ?", (conn_id,))
    except Exception:  # naming the holder is best effort; the timeout is the error
        return None
    if not rows:
        return f"connection {conn_id}"
    user, host, command, secs = rows[0]
    return f"connection {conn_id} ({user}@{host}, {command} for {secs} s); KILL {conn_id} ends it"


@contextmanager
def pg_advisory_lock(
    query: Query,
    schema: str,
    table: str,
    timeout: float,
    release_later: Callable[[str, tuple[Any, ...]], None] | None = None,
) -> Iterator[None]:
    """Hold Flyway's advisory key for ``schema.table`` as a session lock while the block runs.

    Polls ``pg_try_advisory_lock`` every 100 ms, backing off to 1 s, until ``timeout``.
    ``release_later``: queue the release to go with the connection's next statement (the migrate loop's
    next lock query), as ``mysql_named_lock`` does.
    """
    key = pg_lock_key(schema, table)
    deadline = _clock() + timeout
    interval = RETRY_INTERVAL
    while not query("SELECT pg_try_advisory_lock(?)", (key,))[0][0]:
        if _clock() >= deadline:
            raise _timeout_error(f"advisory lock {key}", timeout, _pg_holder(query, key))
        _sleep(min(interval, max(0.0, deadline - _clock())))
        interval = min(interval * 2, PG_MAX_INTERVAL)
    try:
        yield
    finally:
        if release_later is not None:
            release_later("SELECT pg_advisory_unlock(?)", (key,))
        else:
            _release(query, "SELECT pg_advisory_unlock(?)", (key,))


def _pg_holder(query: Query, key: int) -> str | None:
    sql = (
        "SELECT a.pid, a.usename, a.application_name, a.client_addr, a.state FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
        "AND l.classid = ? AND l.objid = ? AND l.objsubid = 1"
    )
    try:
        rows = query(sql, (key >> 32, key & 0xFFFFFFFF))
    except Exception:  # best effort, see _mysql_holder
        return None
    if not rows:
        return None
    pid, user, app, addr, state = rows[0]
    return (
        f"backend pid {pid} ({user}@{addr or 'local'}, application '{app}', {state}); "
        f"SELECT pg_terminate_backend({pid}) ends it"
    )


def _release(query: Query, sql: str, params: tuple[Any, ...]) -> None:
    # If the connection is gone the server has already freed the lock, so a failed release must not
    # hide the error that ended the block.
    try:
        query(sql, params)
    except Exception:
        return


@contextmanager
def file_lock(db_path: str, timeout: float) -> Iterator[None]:
    """Exclusive ``flock`` on ``<db_path>.flywayx-lock``; a no-op for ``:memory:`` databases."""
    if db_path in ("", ":memory:") or db_path.startswith("file::memory:"):
        yield
        return
    import fcntl

    path = db_path + ".flywayx-lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _flock_wait(fd, path, timeout, fcntl)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _flock_wait(fd: int, path: str, timeout: float, fcntl: Any) -> None:
    deadline = _clock() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if _clock() >= deadline:
                raise _timeout_error(f"file {path}", timeout, None) from None
            _sleep(RETRY_INTERVAL)
