"""Opening connections, and the DBAPI plumbing every dialect shares.

``connect`` is the one entry point: it picks the dialect module from the URL, retries as Flyway's
``connectRetries`` does, runs ``initSql`` and returns a ``Database``. Drivers are imported inside the
dialect functions only, so importing this module (``flywayx --version``) loads no driver.

Failures to connect become ``ConnectionFailed`` with one line naming host, port, database and the
server's reason; statement failures become ``StatementFailed``. Passwords never appear in either.

Transactions: the connection runs in the driver's autocommit mode and ``begin()`` opens an explicit
transaction that ``commit()``/``rollback()`` end. On PostgreSQL and SQLite that makes DDL part of
the transaction. On MySQL/MariaDB DDL still commits implicitly (the server does that); statements
outside ``begin()`` commit one by one, so a session never keeps a stale REPEATABLE READ snapshot of
the history table while it waits for the migration lock.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

from flywayx.db import timeouts
from flywayx.db.base import Capabilities, Database, DbWarning
from flywayx.db.cluster import ClusterInfo, probe
from flywayx.errors import ConnectionFailed, FlywayxError, UsageError
from flywayx.model import DatabaseUrl
from flywayx.model.redact import redact_text

_sleep = time.sleep  # replaced in tests


# MySQL/MariaDB client errors for a connection that died under a statement (server or node gone)
LOST_CONNECTION = frozenset({2006, 2013, 2055, 4031})
LOST_HINT = (
    "the connection to the server was lost (the server, or this Galera node, went down or was "
    "restarted): run `flywayx info` on a healthy server (another Synced node of a cluster), then "
    "`flywayx migrate` there; it says when `--resume` is needed for a migration left half done"
)


@functools.lru_cache(maxsize=4096)
def _quoted(q: str, names: tuple[str, ...]) -> str:
    """``names`` quoted with ``q`` and joined by dots (``quote``: the same few names are quoted for
    every statement of a run, so each once)."""
    return ".".join(q + n.replace(q, q + q) + q for n in names)


class StatementFailed(FlywayxError):
    """The server rejected a statement. ``details``: ``sql``, ``code`` (vendor), ``sql_state``.

    The apply layer catches this to record a failed migration; elsewhere it reaches the user as is.
    """

    error_code = "ERROR"


class DbapiDatabase:
    """What MySQL, PostgreSQL and SQLite connections share; subclasses add dialect knowledge."""

    dialect: str
    capabilities: Capabilities
    _format_params = True  # driver wants %s placeholders (PyMySQL, psycopg); sqlite3 takes ?

    def __init__(self, conn: Any, secrets: list[str]) -> None:
        self._conn = conn
        self._secrets = [s for s in secrets if s]
        self._in_tx = False
        self._warnings: list[DbWarning] = []
        self.limits = timeouts.Timeouts()  # set by the dialect's opener (db/timeouts.py)
        self._watchdog: timeouts.Watchdog | None = None  # the socket limit where the driver has none
        self._stall_handled = False
        self._cluster: ClusterInfo | None = None
        self._fetched: dict[str, list[Any]] = {}  # rows of ``prefetch``ed reads, until the next statement

    def creation_claimed(self, schema: str) -> bool | None:
        """No creation mark by default (``Database.creation_claimed``)."""
        return None

    def release_creation_claim(self, schema: str) -> None:
        return None

    def hold_run(self, run_id: str) -> bool:
        """No run marks by default (``Database.hold_run``)."""
        return False

    def live_run_sql(self, run_id_column: str) -> str | None:
        return None

    def cluster(self) -> ClusterInfo:
        """What kind of server this is (``flywayx.db.cluster``), probed once per connection."""
        if self._cluster is None:
            self._cluster = probe(self, self._where_text())
        return self._cluster

    def _where_text(self) -> str:
        return ""

    @property
    def raw(self) -> Any:
        return self._conn

    @contextmanager
    def reads(self) -> Iterator[Any]:
        """The driver connection for flywayx's own reads that go around this class (a schema fingerprint),
        bounded as its statements are: each cursor call within the socket limit (the watchdog, where the
        driver has none); a driver error is a StatementFailed (the stall's, the session ended, when the
        limit fired)."""
        try:
            yield self._conn if self._watchdog is None else timeouts.Bounded(self._conn, self._watchdog)
        except self._driver_errors() as err:
            raise self._statement_failed(err, "-- flywayx's reads of the schema") from None

    @property
    def in_transaction(self) -> bool:
        return self._in_tx

    def quote(self, *names: str) -> str:
        return _quoted(self.capabilities.quote, names)

    def execute(self, sql: str) -> int:
        """Run one statement (no parameters), consume every result set, return the first row count."""
        with self._cursor(sql) as cur:
            cur.execute(sql)
            count = cur.rowcount
            next_result = getattr(cur, "nextset", None)  # sqlite3 has none: one result at most
            while next_result is not None and next_result():
                pass
        return max(int(count), 0)

    def later(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        """Without multi-statement packets: run it now (``Database.later``)."""
        self.run(sql, params)

    def prefetch(self, sql: str) -> None:
        """Where a query cannot carry others: nothing; ``query`` sends ``sql`` when asked (``Database.prefetch``)."""

    def idle(self, task: Callable[[], object]) -> None:
        """Where a statement is sent and read in one call: the task is dropped (``Database.idle``)."""

    def run_batch(
        self, statements: Sequence[str | tuple[str, tuple[Any, ...]]], *, warnings_from: int | None = None
    ) -> tuple[int, Exception | None]:
        """One statement at a time (dialects without multi-statement packets); see ``Database.run_batch``."""
        for i, item in enumerate(statements):
            self._drain_notices()
            try:
                self.execute(item) if isinstance(item, str) else self.run(*item)
            except StatementFailed as err:
                return i, err
            finally:
                notices = self._drain_notices()
                if warnings_from is not None and i >= warnings_from:
                    self._warnings.extend(DbWarning(i, *n) for n in notices)
        return len(statements), None

    def _drain_notices(self) -> list[tuple[str, int | None, str | None]]:
        """Notices the server sent since the last call: (message, code, SQLSTATE). None by default."""
        return []

    def take_warnings(self) -> list[DbWarning]:
        taken, self._warnings = self._warnings, []
        return taken

    def copy_in(self, sql: str, data: str) -> int:
        raise StatementFailed(f"COPY ... FROM STDIN is not supported on {self.dialect}", sql=sql)

    def cancel(self) -> None:
        return None

    def column_names(self, schema: str, table: str) -> list[str]:
        rows = self.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND "
            "table_name = ? ORDER BY ordinal_position",
            (schema, table),
        )
        return [str(r[0]) for r in rows]

    def table_columns(self, schema: str, tables: Sequence[str]) -> dict[str, list[str]]:
        """One ``information_schema`` query for every table (a first run asks for each of flywayx's)."""
        rows = self.query(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = ? AND "
            f"table_name IN ({', '.join('?' * len(tables))}) ORDER BY table_name, ordinal_position",
            (schema, *tables),
        )
        out: dict[str, list[str]] = {}
        for table, column in rows:
            out.setdefault(str(table), []).append(str(column))
        return out

    def invalid_indexes(self) -> frozenset[tuple[str, str]]:
        return frozenset()

    def drop_invalid_index(self, schema: str, name: str) -> None:
        return None

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """A data-changing statement with ``?`` parameters; return the affected row count."""
        with self._cursor(sql) as cur:
            cur.execute(self._native(sql), params) if params else cur.execute(sql)
            return max(int(cur.rowcount), 0)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of a query. Parameters use ``?`` placeholders on every dialect."""
        return [tuple(r) for r in self.query_named(sql, params, named=False)]

    def query_named(self, sql: str, params: tuple[Any, ...] = (), named: bool = True) -> list[Any]:
        """Rows as dicts keyed by **lower-cased** column name (Flyway's lookup rule)."""
        text = self._native(sql) if params else sql
        with self._cursor(sql) as cur:
            cur.execute(text, params) if params else cur.execute(text)
            if cur.description is None:
                return []
            rows = cur.fetchall()
            if not named:
                return list(rows)
            cols = [d[0].lower() for d in cur.description]
            return [dict(zip(cols, r, strict=True)) for r in rows]

    def _native(self, sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s") if self._format_params else sql

    @contextmanager
    def _cursor(self, sql: str) -> Iterator[Any]:
        self._fetched.clear()  # a prefetched read answers only a query asked before anything else is sent
        try:
            cur = self._conn.cursor()
            try:
                with self._watchdog.guard() if self._watchdog is not None else nullcontext():
                    yield cur
            finally:
                cur.close()
        except self._driver_errors() as err:
            raise self._statement_failed(err, sql) from None

    def _timed_out(self, err: Exception) -> bool:
        """Whether ``err`` is the socket limit firing (the watchdog's, or the driver's own)."""
        return self._watchdog is not None and self._watchdog.fired

    def _end_stalled_session(self) -> None:
        """After the socket limit fired: end this session on the server from a new connection, so the
        migration lock it holds is freed now (never raises; the idle expiry frees it otherwise)."""

    def _stalled(self, sql: str, code: Any, state: str | None) -> StatementFailed:
        if not self._stall_handled:
            self._stall_handled = True
            self._end_stalled_session()
        return StatementFailed(
            self.limits.stalled(),
            "check the server and the network to it, then run the command again (a "
            "migrate says whether a migration was left half done and `--resume` is needed); raise "
            "socketTimeout if statements legitimately run longer",
            sql=sql,
            code=code,
            sql_state=state,
            timeout=self.limits.socket,
        )

    def _statement_failed(self, err: Exception, sql: str) -> StatementFailed:
        reason, code, state = self._describe(err)
        if self._timed_out(err) or self._stall_handled:
            return self._stalled(sql, code, state)
        reason = one_line(redact_text(reason, self._secrets))
        if not reason.strip():  # PyMySQL's InterfaceError(0, '') on a connection it already saw die
            reason, code = "the connection to the server is closed", 2013
        tags = (f"error {code}" if code else "", f"SQLSTATE {state}" if state else "")
        tag = ", ".join(x for x in tags if x)
        hint = LOST_HINT if code in LOST_CONNECTION or "server closed the connection" in reason else None
        return StatementFailed(f"{reason} ({tag})" if tag else reason, hint, sql=sql, code=code, sql_state=state)

    def _driver_errors(self) -> tuple[type[Exception], ...]:
        raise NotImplementedError

    def _describe(self, err: Exception) -> tuple[str, Any, str | None]:
        """(message, vendor code, SQLSTATE) of a driver error."""
        return str(err), None, None

    def begin(self) -> None:
        self.execute("BEGIN")
        self._in_tx = True

    def commit(self) -> None:
        """End the open transaction; without one, nothing happens (as in autocommit JDBC)."""
        if self._in_tx or self._server_in_transaction():
            self._in_tx = False
            self.execute("COMMIT")

    def commit_later(self) -> None:
        self.commit()

    def rollback(self) -> None:
        if self._in_tx or self._server_in_transaction():
            self._in_tx = False
            self.execute("ROLLBACK")

    def transaction_alive(self) -> bool:
        """Where only flywayx ends a transaction (PostgreSQL, SQLite), it is alive while ``begin()`` holds."""
        return self._in_tx

    def unlock_tables(self) -> None:
        """No ``LOCK TABLES`` outside MySQL/MariaDB: nothing to release."""

    def _server_in_transaction(self) -> bool:
        """Whether the session has a transaction open, e.g. from a script's own ``BEGIN``."""
        return True  # MySQL: COMMIT/ROLLBACK without a transaction is harmless, so always send

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A transaction around the block, or the caller's one if already open (no nesting)."""
        if self._in_tx:
            yield
            return
        self.begin()
        try:
            yield
        except BaseException:
            self.rollback()
            raise
        self.commit()

    def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.close()
        try:
            self._conn.close()
        except Exception:  # closing a dead connection is not an error worth reporting
            return


def one_line(text: str) -> str:
    """Collapse a driver's multi-line message to one line."""
    return re.sub(r"\s+", " ", text).strip()


def connect(
    url: DatabaseUrl,
    *,
    user: str | None,
    password: str | None,
    connect_retries: int = 0,
    connect_retries_interval: int = 120,
    init_sql: str | None = None,
    read_only: bool = False,
    connect_timeout: float | None = None,
    socket_timeout: float | None = None,
) -> Database:
    """Open ``url``; ``user``/``password`` override the URL's. Raise ConnectionFailed or UsageError.

    Retries ``connect_retries`` times, waiting 1 s, 2 s, 4 s... capped at ``connect_retries_interval``
    (Flyway's schedule). ``init_sql`` runs once on the new connection. ``read_only`` (``--dry-run``):
    the server refuses any write of this session (MySQL/MariaDB, PostgreSQL: read-only transactions;
    SQLite: the file opened read-only, and a file that does not exist is not created).
    ``connect_timeout``/``socket_timeout`` (seconds, or None: the URL's JDBC parameters, then the
    defaults) bound opening the session and each wait for an answer (``db/timeouts.py``).
    """
    opener = _opener(url.dialect)
    limits = timeouts.resolve(url.dialect, url.params, connect_timeout, socket_timeout)
    user = user if user is not None else url.user
    password = password if password is not None else url.password
    attempt = 0
    while True:
        try:
            db = opener(url, user, password, read_only=read_only, limits=limits)
            break
        except ConnectionFailed:
            if attempt >= connect_retries:
                raise
            _sleep(min(2**attempt, max(connect_retries_interval, 1)))
            attempt += 1
    if init_sql:
        try:
            db.execute(init_sql)
        except StatementFailed as err:
            db.close()
            raise ConnectionFailed(
                f"initSql failed: {err.message}", hint="check the init_sql setting", sql=init_sql
            ) from None
    result: Database = db
    return result


def _opener(dialect: str) -> Any:
    if dialect in ("mysql", "mariadb"):
        from flywayx.db import mysql

        return mysql.open_mysql
    if dialect == "postgresql":
        from flywayx.db import postgres

        return postgres.open_postgres
    if dialect == "sqlite":
        from flywayx.db import sqlite

        return sqlite.open_sqlite
    raise UsageError(
        f"Unsupported database type '{dialect}'", hint="flywayx supports MySQL, MariaDB, PostgreSQL and SQLite URLs"
    )


AUTH_HINT = (
    "the server is up but refused these credentials: check the user and the password "
    "(--user; FLYWAY_PASSWORD or --ask-password; or the URL)"
)


def connection_failed(
    url: DatabaseUrl, reason: str, hint: str, secrets: list[str | None], default_port: int | None = None
) -> ConnectionFailed:
    """The one-line ConnectionFailed for ``url``: where, then why; secrets redacted."""
    where = url.unix_socket or f"{url.host or 'localhost'}:{url.port or default_port}"
    text = one_line(redact_text(reason, [s for s in secrets if s]))
    return ConnectionFailed(
        f"Unable to connect to {url.dialect} at {where}, database '{url.database or ''}': {text}",
        hint=hint,
        url=url.redacted,
    )
