"""A migration lock that holds across a Galera cluster (or a multi-primary Group Replication group).

``GET_LOCK`` is local to the node that grants it: two runners connected to two Galera nodes would
both "hold" Flyway's named lock. A row is not: a write to an InnoDB table is certified against every
node's concurrent writes before it commits, so of two runners inserting the same row on two nodes
exactly one commits and the other gets a deadlock error (1213) and waits again.

The lock is one row per history table in ``<schema>.flywayx_lock`` (created on first use)::

    lock_name     'Flyway-<H>', the name Flyway's GET_LOCK uses for the same history table
    holder        host:pid:token of the runner (a fresh token per process)
    node          the Galera node (wsrep_node_name) the holder is connected to
    acquired_at, heartbeat_at, expires_at     the holder node's UTC clock

- Taking it: ``INSERT`` the row; when a row is there and its ``expires_at`` has passed (its holder died
  with its node, or was killed), take it over with an ``UPDATE … WHERE holder = <dead holder>``; the
  certification makes two takeovers exclusive too. Reads use ``wsrep_sync_wait`` so a node that has not
  yet applied the latest write does not answer from stale data.
- Holding it: a heartbeat thread renews ``expires_at`` every ``ttl / 3`` seconds on the lock's own
  connection, so a long statement on the runner's connection never lets the lock lapse, while a
  killed runner's lock lapses ``ttl`` seconds after its last heartbeat.
- Releasing it: ``DELETE … WHERE holder = me``. A lock found taken over by another runner on release
  (the heartbeat was missed for longer than ``ttl``) is reported as a ``StateError``.

Under the row lock the runner also takes Flyway's local ``GET_LOCK`` on its own node, so Flyway runs on
that node still exclude it. ``ttl`` defaults to 30 s (``FLYWAYX_CLUSTER_LOCK_TTL``); the nodes' clocks
must agree to well within it (NTP). The caller supplies ``connect``: a function returning a fresh
autocommit PyMySQL connection to the same node.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flywayx.db.locks import mysql_lock_name
from flywayx.errors import LockTimeout, StateError

TABLE = "flywayx_lock"
DEFAULT_TTL = 30.0
POLL = 0.25
_DEADLOCK = (1213, 1205)  # certification failure / lock wait timeout: someone else won, try again

_PROCESS_TOKEN = uuid.uuid4().hex[:8]


def holder_identity() -> str:
    """``host:pid:token``: which runner holds the lock (the token tells a reused pid apart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{_PROCESS_TOKEN}"


def lock_ttl() -> float:
    """The lock's time to live without a heartbeat (``FLYWAYX_CLUSTER_LOCK_TTL`` seconds, default 30)."""
    try:
        value = float(os.environ.get("FLYWAYX_CLUSTER_LOCK_TTL", DEFAULT_TTL))
    except ValueError:
        return DEFAULT_TTL
    return value if value >= 1.0 else DEFAULT_TTL


def sql_string(text: str) -> str:
    """``text`` as a MySQL string literal that means the same whatever the sql_mode (NO_BACKSLASH_ESCAPES
    or not): quotes doubled; a backslash, which only one of the modes reads as an escape, written as
    CHAR(92 USING utf8mb4) in a CONCAT."""
    parts = text.split("\\")
    quoted = ["'" + p.replace("'", "''") + "'" for p in parts]
    return quoted[0] if len(quoted) == 1 else "CONCAT(" + ", CHAR(92 USING utf8mb4), ".join(quoted) + ")"


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class ClusterLock:
    """The row lock for ``schema.table``'s migrations, on its own connection (kept between holds)."""

    def __init__(
        self, connect: Callable[[], Any], schema: str, table: str, *, node: str | None = None, ttl: float | None = None
    ) -> None:
        self._connect = connect
        self.node = node
        self.schema = schema
        self.name = mysql_lock_name(schema, table)
        self.ttl = ttl if ttl is not None else lock_ttl()
        self.holder = holder_identity()
        self._conn: Any = None
        self._lost = False
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        self.table = f"{_q(schema)}.{_q(TABLE)}"

    # connection -----------------------------------------------------------------------------------

    def _sql(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[int, list[tuple[Any, ...]]]:
        if self._conn is None:
            self._conn = self._connect()
            self._run("SET SESSION wsrep_sync_wait = 15", optional=True)  # causal reads and writes
        return self._run(sql, params)

    def _run(self, sql: str, params: tuple[Any, ...] = (), optional: bool = False) -> tuple[int, list[tuple[Any, ...]]]:
        cur = self._conn.cursor()
        try:
            count = cur.execute(sql, params or None)
            return int(count or 0), list(cur.fetchall() or [])
        except Exception:
            if optional:
                return 0, []
            raise
        finally:
            cur.close()

    def close(self) -> None:
        """Drop the lock's connection (the lock, if still held, lapses after ``ttl``)."""
        self._halt_heartbeat()
        if self._conn is not None:
            with contextlib.suppress(Exception):  # already gone
                self._conn.close()
            self._conn = None

    # acquire / release ----------------------------------------------------------------------------

    def ensure_table(self) -> None:
        self._sql(
            f"CREATE TABLE IF NOT EXISTS {self.table} (\n"
            "    lock_name VARCHAR(100) NOT NULL PRIMARY KEY,\n"
            "    holder VARCHAR(255) NOT NULL,\n"
            "    node VARCHAR(100),\n"
            "    acquired_at DATETIME(6) NOT NULL,\n"
            "    heartbeat_at DATETIME(6) NOT NULL,\n"
            "    expires_at DATETIME(6) NOT NULL\n"
            ") ENGINE=InnoDB"
        )

    def try_acquire(self) -> bool:
        """One attempt: True when this runner now holds the lock."""
        import pymysql

        expires = f"UTC_TIMESTAMP(6) + INTERVAL {int(self.ttl * 1000)} * 1000 MICROSECOND"
        try:
            count, _ = self._sql(
                f"INSERT INTO {self.table} (lock_name, holder, node, acquired_at, heartbeat_at, expires_at) "
                f"VALUES (%s, %s, %s, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), {expires})",
                (self.name, self.holder, self.node),
            )
            return count == 1
        except pymysql.err.IntegrityError:
            pass  # a row is there: is it expired?
        except pymysql.err.OperationalError as err:
            if err.args and err.args[0] in _DEADLOCK:
                return False
            raise
        try:
            count, _ = self._sql(
                f"UPDATE {self.table} SET holder = %s, node = %s, acquired_at = UTC_TIMESTAMP(6), "
                f"heartbeat_at = UTC_TIMESTAMP(6), expires_at = {expires} "
                "WHERE lock_name = %s AND expires_at < UTC_TIMESTAMP(6)",
                (self.holder, self.node, self.name),
            )
        except pymysql.err.OperationalError as err:
            if err.args and err.args[0] in _DEADLOCK:
                return False
            raise
        return count == 1

    def describe_holder(self) -> str | None:
        try:
            _, rows = self._sql(
                f"SELECT holder, node, TIMESTAMPDIFF(SECOND, heartbeat_at, UTC_TIMESTAMP(6)), "
                f"TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), expires_at) FROM {self.table} "
                "WHERE lock_name = %s",
                (self.name,),
            )
        except Exception:  # best effort: the timeout is the error
            return None
        if not rows:
            return None
        holder, node, ago, left = rows[0]
        return (
            f"runner {holder} through node {node or '?'}, last heartbeat {ago} s ago, lapses in "
            f"{max(int(left), 0)} s unless renewed; DELETE FROM {self.table} WHERE lock_name = "
            f"{sql_string(self.name)} frees it by hand"
        )

    def require_free(self) -> None:
        """Read-only: LockTimeout when another runner holds the row (unexpired); nothing is created
        (no table yet means no runner has ever held it)."""
        try:
            _, rows = self._sql(
                f"SELECT 1 FROM {self.table} WHERE lock_name = %s AND expires_at >= UTC_TIMESTAMP(6)", (self.name,)
            )
        except Exception as err:
            if getattr(err, "args", (None,))[0] == 1146:  # ER_NO_SUCH_TABLE
                return
            raise
        if rows:
            raise LockTimeout(
                f"the cluster migration lock '{self.name}' is held by {self.describe_holder() or 'another runner'}",
                lock=self.name,
                timeout=0.0,
            )

    def heartbeat(self) -> bool:
        """Renew the lock; False when it is no longer this runner's."""
        count, _ = self._sql(
            f"UPDATE {self.table} SET heartbeat_at = UTC_TIMESTAMP(6), "
            f"expires_at = UTC_TIMESTAMP(6) + INTERVAL {int(self.ttl * 1000)} * 1000 MICROSECOND "
            "WHERE lock_name = %s AND holder = %s",
            (self.name, self.holder),
        )
        if count == 1:
            return True
        _, rows = self._sql(
            f"SELECT 1 FROM {self.table} WHERE lock_name = %s AND holder = %s", (self.name, self.holder)
        )
        return bool(rows)  # an UPDATE within the same microsecond changes nothing yet still holds

    def release(self) -> None:
        self._sql(f"DELETE FROM {self.table} WHERE lock_name = %s AND holder = %s", (self.name, self.holder))

    def _heartbeats(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                if not self.heartbeat():
                    self._lost = True
                    return
            except Exception:  # the node is gone: the runner's own connection fails too
                return

    def _halt_heartbeat(self) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join(timeout=self.ttl)
            self._beat = None

    @contextmanager
    def hold(
        self, timeout: float, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> Iterator[None]:
        """Hold the lock while the block runs; wait up to ``timeout`` s for it, then LockTimeout."""
        self.ensure_table()
        deadline = clock() + timeout
        while not self.try_acquire():
            if clock() >= deadline:
                raise LockTimeout(
                    f"Could not acquire the cluster migration lock '{self.name}' within {timeout:g} s; held by "
                    f"{self.describe_holder() or 'another runner'}",
                    hint="another runner is migrating this schema through another node: wait for it, or raise "
                    "lock_timeout; a killed runner's lock lapses by itself after its time to live",
                    lock=self.name,
                    timeout=timeout,
                )
            sleep(POLL)
        self._lost = False
        self._stop = threading.Event()
        self._beat = threading.Thread(target=self._heartbeats, name="flywayx-lock-heartbeat", daemon=True)
        self._beat.start()
        failed = False
        try:
            yield
        except BaseException:
            failed = True
            raise
        finally:
            self._halt_heartbeat()
            if not failed:
                self._finish()
            else:
                try:
                    self.release()
                except Exception:  # the node is gone; the lock lapses after its time to live
                    self.close()

    def _finish(self) -> None:
        if self._lost:
            raise StateError(
                f"the cluster migration lock '{self.name}' lapsed while this runner held it (no "
                f"heartbeat for {self.ttl:g} s) and another runner took it",
                hint="run `flywayx info` on a Synced node to see what each runner applied, then "
                "migrate again; raise FLYWAYX_CLUSTER_LOCK_TTL if the nodes are slow",
            )
        self.release()


__all__ = ["DEFAULT_TTL", "TABLE", "ClusterLock", "holder_identity", "lock_ttl"]
