"""MySQL and MariaDB through PyMySQL.

A ``mysql`` URL that reaches a MariaDB server is MariaDB (``SELECT VERSION()`` says so), as in
Flyway. The two differ here only in the history table's constraint name (MariaDB leaves it empty)
and in sequences, which only MariaDB has. The schema is the database (``USE db``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from flywayx.db import mysql_driver
from flywayx.db.base import Capabilities, DbWarning
from flywayx.db.cluster import ClusterInfo
from flywayx.db.cluster_lock import TABLE as CLUSTER_LOCK_TABLE
from flywayx.db.cluster_lock import ClusterLock
from flywayx.db.connect import AUTH_HINT, DbapiDatabase, StatementFailed, connection_failed
from flywayx.db.locks import MYSQL_GET_LOCK_WAIT, mysql_named_lock
from flywayx.db.mysql_history import MySQLHistoryTable
from flywayx.db.mysql_packet import Sent, send
from flywayx.db.mysql_session import kill, probe_user_variables, reset_statements
from flywayx.db.timeouts import RAISE_CONNECT, Timeouts
from flywayx.errors import ConnectionFailed
from flywayx.model import DatabaseUrl

CAPABILITIES = Capabilities(
    transactional_ddl=False, lock_kind="named", has_schemas=True, quote="`", batches=True, statement_record=True
)

_HINTS = {
    1045: AUTH_HINT,  # ER_ACCESS_DENIED_ERROR: wrong password (or user)
    1698: AUTH_HINT,  # ER_ACCESS_DENIED_NO_PASSWORD_ERROR (MariaDB): no such user, or it needs another auth
    1044: "grant the user access to this database, or use another user",
    1049: "create the database first, or fix the database name in the URL",
}
_UNREACHABLE = "check that the server runs and that host and port are right"
_CREATION_CLAIM = "flywayx: created by migrate, schema history pending"  # see create_schema
_RUN_LOCK = "flywayx-run:"  # + the run's id (36 characters): a live run's mark (hold_run)


def open_mysql(
    url: DatabaseUrl, user: str | None, password: str | None, *, read_only: bool = False, limits: Timeouts | None = None
) -> MySQLDatabase:
    """Connect with PyMySQL; failures become ConnectionFailed naming host, port, database, reason.

    ``limits``: the connect limit bounds the TCP connect and every read of the handshake; the socket
    limit is PyMySQL's read and write timeout from then on (db/timeouts.py)."""
    limits = limits or Timeouts()
    pymysql = mysql_driver.pymysql()  # without cryptography until a password exchange needs it
    from pymysql.constants import CLIENT

    # PyMySQL encodes a str password as latin-1 (a non-latin-1 one fails, an accented one is sent as
    # the wrong bytes); servers hash the UTF-8 text a user was created with, so send UTF-8 bytes.
    where = {
        "host": url.host or "localhost",
        "port": url.port or 3306,
        "user": user or "",
        "password": (password or "").encode("utf-8"),
        "unix_socket": url.unix_socket,
    }
    try:
        bound = min(max(limits.connect, 0.001), 31536000.0)
        conn = mysql_driver.connect(
            **where,
            database=url.database or None,
            charset="utf8mb4",
            autocommit=True,
            connect_timeout=bound,
            read_timeout=bound,
            write_timeout=bound,  # the handshake reads: a silent server ends here too
            client_flag=CLIENT.MULTI_STATEMENTS,  # run_batch: a run of DML in one round trip
        )
    except pymysql.MySQLError as err:
        raise _failure(url, err, password, limits) from None
    # from now on the socket limit (PyMySQL reads these before every socket operation; None: no limit)
    conn._read_timeout = conn._write_timeout = limits.socket or None
    db = MySQLDatabase(conn, [password or ""], limits=limits, where=where)
    if read_only:
        db.execute("SET SESSION TRANSACTION READ ONLY")
    return db


def _failure(url: DatabaseUrl, err: Exception, password: str | None, limits: Timeouts) -> ConnectionFailed:
    """The ConnectionFailed for a connect that raised ``err``. The connect limit bounds the TCP connect and
    every read of the handshake (greeting, login), so PyMySQL's "(timed out)" there, error 2003 or 2013,
    is that limit: said by its name, as a statement's stall names socketTimeout."""
    code = err.args[0] if err.args and isinstance(err.args[0], int) else None
    reason = str(err.args[1]) if len(err.args) > 1 else str(err)
    hint = _HINTS.get(code or 0, _UNREACHABLE)
    if "timed out" in reason:
        reason = f"{limits.connect_stalled()} (error {code})"
        hint = f"{_UNREACHABLE}; {RAISE_CONNECT}"
    elif "Name or service not known" in reason or "nodename nor servname" in reason:
        reason, hint = f"unknown host '{url.host}' ({reason})", "check the host name in the URL"
    elif "Connection refused" in reason:
        reason = f"connection refused ({reason})"
    return connection_failed(url, reason, hint, [password], default_port=3306)


class MySQLDatabase(DbapiDatabase):
    """A MySQL or MariaDB session. Session settings captured at connect are restored before migrations."""

    capabilities = CAPABILITIES

    def __init__(
        self, conn: Any, secrets: list[str], *, limits: Timeouts | None = None, where: dict[str, Any] | None = None
    ) -> None:
        super().__init__(conn, secrets)
        # host, port, user, password, unix_socket: cancel() and a stalled session's KILL connect again
        self.where: dict[str, Any] = where or {}
        if limits is not None:  # before the first query: a server silent from the start is bounded too
            self.limits = limits
        self._later: list[str] = []  # sent with the next statement (``later``)
        self._ahead: list[str] = []  # sent behind the next query (``prefetch``)
        self._idle: list[Callable[[], object]] = []  # run while the server works on the next packet (``idle``)
        version, fk, safe, user = self.query(
            "SELECT VERSION(), @@foreign_key_checks, @@sql_safe_updates, SUBSTRING_INDEX(USER(),'@',1)"
        )[0]  # one round trip: what every command asks of a new session
        self._version, self._user = str(version), str(user)
        self.dialect = "mariadb" if "mariadb" in self._version.lower() else "mysql"
        self._original = (int(fk), int(safe))
        self._user_vars_sql: str | bool | None = False  # False: not probed yet; None: not available
        self._row_locks: dict[tuple[str, str], ClusterLock] = {}
        self._comments: bool | None = None  # schema comments (MariaDB 10.5+), probed once

    def _driver_errors(self) -> tuple[type[Exception], ...]:
        import pymysql

        return (pymysql.MySQLError,)

    def _describe(self, err: Exception) -> tuple[str, Any, str | None]:
        if len(err.args) >= 2 and isinstance(err.args[0], int):
            return str(err.args[1]), err.args[0], None
        return str(err), None, None

    def server_version(self) -> str:
        return self._version

    def run_batch(
        self, statements: Sequence[str | tuple[str, tuple[Any, ...]]], *, warnings_from: int | None = None
    ) -> tuple[int, Exception | None]:
        """One multi-statement packet; the server stops at the first error, so the results read before
        it say how many statements completed: each statement but the last gives one result, the last
        (a CALL, say) any number. ``\\n;\\n`` joins them: a statement's trailing ``--`` comment ends
        at the newline. For the CloudStack corpus this saves a round trip on each of ~4,800 DML
        statements. Warnings: the server keeps the text of the last statement's only (SHOW WARNINGS,
        one more round trip when there are some); earlier statements' are known by count, unless the
        next text is ``mysql_packet.SHOW_WARNINGS`` (then theirs come from its rows). Statements
        queued with ``later`` go first in the same packet; a failure of one of them is raised."""
        texts = [s if isinstance(s, str) else self._inline(*s) for s in statements]
        sent = self._packet(texts)
        if sent.failure is not None and sent.failed_later:
            raise sent.failure
        if warnings_from is not None:
            counts = {i: n for i, n in sent.warnings.items() if i >= warnings_from and i + 1 not in sent.shown}
            for index in sorted(i - 1 for i in sent.shown if i - 1 >= warnings_from):
                for _level, code, message in sent.shown[index + 1]:
                    self._warnings.append(DbWarning(index, str(message), int(code)))
            self._keep_warnings({i: n for i, n in counts.items() if i not in sent.shown}, len(texts) - 1)
        return sent.completed, sent.failure

    def later(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        """Queue ``sql`` (``?`` parameters) to go in the packet of the next statement sent: bookkeeping
        that needs no answer (BEGIN, the progress, history and flywayx rows of a migration, the
        release of the migration lock) costs no round trip of its own. The server runs the queue
        first, in order; nothing is reordered, only sent later (docs/decisions/round-trips.md)."""
        self._later.append(self._inline(sql, params) if params else sql)

    def begin(self) -> None:
        """``BEGIN`` goes with the next statement (``later``)."""
        self.later("BEGIN")
        self._in_tx = True

    def commit_later(self) -> None:
        """``COMMIT`` goes with the next statement (``later``)."""
        self.later("COMMIT")
        self._in_tx = False

    def execute(self, sql: str) -> int:
        if not self._later and not self._idle:
            return super().execute(sql)
        sent = self._packet([sql])
        if sent.failure is not None:
            raise sent.failure
        return sent.rowcount

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        return self.execute(self._inline(sql, params)) if self._later or self._idle else super().run(sql, params)

    def prefetch(self, sql: str) -> None:
        """``sql`` (a read, or a session setting, giving one result) goes behind the next query of
        flywayx's own (a ``SELECT``: the lock's), in its packet; its rows answer ``query`` of exactly this
        text until anything else is sent (``Database.prefetch``)."""
        self._ahead.append(sql)

    def idle(self, task: Callable[[], object]) -> None:
        """``task`` runs once, after the next packet is sent, before its results are read (``Database.idle``)."""
        self._idle.append(task)

    def query_named(self, sql: str, params: tuple[Any, ...] = (), named: bool = True) -> list[Any]:
        text = self._inline(sql, params) if params else sql
        kept = None if named else self._fetched.pop(text, None)
        if kept is not None:
            return list(kept)
        if not self._later and not self._ahead and not self._idle:
            return super().query_named(sql, params, named)
        sent = self._packet([text], rows=True)
        if sent.failure is not None:
            raise sent.failure
        if not named or sent.columns is None:
            return list(sent.rows)
        return [dict(zip(sent.columns, r, strict=True)) for r in sent.rows]

    @property
    def raw(self) -> Any:
        """The connection, once the queued statements are sent (a Python migration or a fingerprint
        reads it directly)."""
        if self._later:
            sent = self._packet([])
            if sent.failure is not None:
                raise sent.failure
        return self._conn

    def _packet(self, texts: list[str], *, rows: bool = False) -> Sent:
        """The queued statements, then ``texts``, in one packet (``flywayx.db.mysql_packet``)."""
        queued, self._later = self._later, []
        ahead: list[str] = []
        if rows and len(texts) == 1 and texts[0].lstrip()[:6].upper() == "SELECT":
            ahead, self._ahead = self._ahead, []
        self._fetched.clear()
        idle, self._idle = self._idle, []
        sent = send(self._conn, queued, texts, rows=rows, failed=self._statement_failed, after=ahead, idle=idle)
        if sent.failure is None:
            for sql, got in zip(ahead, sent.after, strict=True):
                if got is None:
                    break  # it failed: whoever wants it asks again and sees the error
                self._fetched[sql] = got
        return sent

    def _keep_warnings(self, counts: dict[int, int], last: int) -> None:
        for index, count in sorted(counts.items()):
            if index != last:
                self._warnings.append(
                    DbWarning(
                        index,
                        f"{count} warning(s), text not available: the statement ran inside a multi-statement batch",
                    )
                )
                continue
            for _level, code, message in self.query("SHOW WARNINGS"):
                self._warnings.append(DbWarning(index, str(message), int(code)))

    def _lock_wait(self) -> float:
        """Seconds one GET_LOCK may wait on the server: half the socket limit when there is one."""
        return min(MYSQL_GET_LOCK_WAIT, self.limits.socket / 2) if self.limits.socket > 0 else MYSQL_GET_LOCK_WAIT

    def _timed_out(self, err: Exception) -> bool:
        """PyMySQL's read/write timeout: ``(2013, 'Lost connection to MySQL server during query (timed out)')``."""
        return self.limits.socket > 0 and "timed out" in str(err)

    def _end_stalled_session(self) -> None:
        """``KILL`` this session from a new connection (the server then frees its locks); best effort."""
        kill(self.where, self._conn.thread_id(), query_only=False, timeout=min(self.limits.connect, 10.0))

    def cancel(self) -> None:
        """``KILL QUERY`` from a second connection (safe in a signal handler: the blocked read resumes
        and receives the server's error 1317)."""
        kill(self.where, self._conn.thread_id(), query_only=True, timeout=5)

    def _inline(self, sql: str, params: tuple[Any, ...]) -> str:
        """``sql`` with its ``?`` parameters as escaped literals (the driver's own escaping)."""
        return self._native(sql) % tuple(map(self._literal, params))

    def _literal(self, value: Any) -> str:
        """The driver's escaping of ``value`` (``Connection.escape``), its two plainest cases without
        the driver's type dispatch: an integer's digits and NULL."""
        kind = type(value)
        if kind is int:
            return str(value)
        if value is None:
            return "NULL"
        return str(self._conn.escape(value))

    def transaction_alive(self) -> bool:
        """MariaDB's ``@@in_transaction``; MySQL has none: an InnoDB transaction of this connection."""
        try:
            return bool(self.query("SELECT @@in_transaction")[0][0])
        except Exception:
            rows = self.query(
                "SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = CONNECTION_ID()"
            )
            return bool(rows[0][0])

    def unlock_tables(self) -> None:
        self.execute("UNLOCK TABLES")

    def current_user(self) -> str:
        """The user name of ``USER()``, read with the session (it is the session's for its life)."""
        return self._user

    def current_schema(self) -> str | None:
        value = self.query("SELECT DATABASE()")[0][0]
        return str(value) if value is not None else None

    def database_name(self) -> str:
        return self.current_schema() or ""

    def schema_exists(self, schema: str) -> bool:
        return bool(self.query("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", (schema,)))

    def create_schema(self, schema: str) -> None:
        """``CREATE SCHEMA``, marked (MariaDB: the schema's comment, set by the same atomic statement)
        as created by flywayx with its history still to come. Runners racing on a new schema -- on
        two Galera nodes, or one server -- then agree under the migration lock on who writes Flyway's
        schema-creation row: whoever first finds the mark and no history (``creation_claimed``), not
        the one whose CREATE won, which may get the lock last. ``IF NOT EXISTS``: losing that race is
        no error. MySQL has no schema comments: the plain statement, and no mark."""
        if self._schema_comments():
            self.execute(f"CREATE SCHEMA IF NOT EXISTS {self.quote(schema)} COMMENT '{_CREATION_CLAIM}'")
        else:
            self.execute(f"CREATE SCHEMA IF NOT EXISTS {self.quote(schema)}")

    def _schema_comments(self) -> bool:
        if self._comments is None:
            try:
                self.query("SELECT SCHEMA_COMMENT FROM information_schema.SCHEMATA LIMIT 0")
                self._comments = True
            except StatementFailed:  # MySQL: no SCHEMA_COMMENT column, no COMMENT clause
                self._comments = False
        return self._comments

    def creation_claimed(self, schema: str) -> bool | None:
        if not self._schema_comments():
            return None
        rows = self.query("SELECT SCHEMA_COMMENT FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", (schema,))
        return bool(rows) and rows[0][0] == _CREATION_CLAIM

    def release_creation_claim(self, schema: str) -> None:
        if self.creation_claimed(schema):
            self.execute(f"ALTER SCHEMA {self.quote(schema)} COMMENT ''")

    def schema_is_empty(self, schema: str) -> bool:
        """No tables, views, constraints, triggers, routines or events (Flyway's ``MySQLSchema#doEmpty``)."""
        probes = (
            ("TABLES", "TABLE_SCHEMA"),
            ("TABLE_CONSTRAINTS", "TABLE_SCHEMA"),
            ("TRIGGERS", "EVENT_OBJECT_SCHEMA"),
            ("ROUTINES", "ROUTINE_SCHEMA"),
            ("EVENTS", "EVENT_SCHEMA"),
        )
        # the cluster lock's table alone does not make a schema non-empty (it is created before the history)
        union = " UNION ALL ".join(
            f"SELECT 1 FROM information_schema.{view} WHERE {col} = ?"
            + (f" AND TABLE_NAME <> '{CLUSTER_LOCK_TABLE}'" if view in ("TABLES", "TABLE_CONSTRAINTS") else "")
            for view, col in probes
        )
        return not self.query(f"SELECT 1 FROM ({union}) found LIMIT 1", (schema,) * len(probes))

    def clean_schema(self, schema: str, drop: bool) -> None:
        """Drop the database, or empty it in Flyway's order: events, routines, views, tables, sequences."""
        if drop:
            self.execute(f"DROP DATABASE {self.quote(schema)}")
            return
        for (name,) in self.query(
            "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY EVENT_NAME", (schema,)
        ):
            self.execute(f"DROP EVENT {self.quote(schema, name)}")
        for name, kind in self.query(
            "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES"
            " WHERE ROUTINE_SCHEMA = ? ORDER BY ROUTINE_NAME",
            (schema,),
        ):
            self.execute(f"DROP {kind} {self.quote(schema, name)}")
        for name in self._tables(schema, "VIEW"):
            self.execute(f"DROP VIEW {self.quote(schema, name)}")
        self._drop_tables(schema)
        for name in self._tables(schema, "SEQUENCE"):
            self.execute(f"DROP SEQUENCE {self.quote(schema, name)}")

    def _drop_tables(self, schema: str) -> None:
        # Foreign keys between tables would otherwise dictate a drop order.
        self.execute("SET foreign_key_checks = 0")
        try:
            for name in self._tables(schema, "BASE TABLE", "SYSTEM VERSIONED"):
                self.execute(f"DROP TABLE {self.quote(schema, name)}")
        finally:
            self.execute(f"SET foreign_key_checks = {self._original[0]}")

    def _tables(self, schema: str, *types: str) -> list[str]:
        marks = ", ".join("?" * len(types))
        rows = self.query(
            f"SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?"
            f" AND TABLE_TYPE IN ({marks}) ORDER BY TABLE_NAME",
            (schema, *types),
        )
        return [str(r[0]) for r in rows]

    def ctas_allowed(self) -> bool:
        """False where ``CREATE TABLE ... AS SELECT`` is refused: MySQL with ``enforce_gtid_consistency``
        or Percona XtraDB Cluster's strict mode. Flyway then writes the baseline with an INSERT."""
        refusals = (("enforce_gtid_consistency", ("ON", "1")), ("pxc_strict_mode", ("ENFORCING",)))
        for variable, refusing in refusals:
            try:
                value = self.query(f"SELECT @@{variable}")[0][0]
            except StatementFailed:  # the variable does not exist on this server
                continue
            if str(value).upper() in refusing:
                return False
        return True

    def history(self, schema: str, table: str, tablespace: str | None = None) -> MySQLHistoryTable:
        return MySQLHistoryTable(self, schema, table, tablespace)

    def lock(
        self, schema: str, table: str, timeout: float, *, lazy_release: bool = False, probe: bool = False
    ) -> AbstractContextManager[None]:
        """Flyway's ``GET_LOCK``; on a Galera node or Group Replication member, under the cluster-wide row
        lock of ``flywayx.db.cluster_lock``. The row lives in the schema: every writing command creates a
        missing schema first (``create_schema``: one cluster-wide statement, marked so that the runner
        first holding this lock writes the schema-creation row), so only a run that does not create it
        (``createSchemas=false``, which then fails for want of it) gets the node's ``GET_LOCK`` alone.
        ``lazy_release`` (a single server only): the release goes with the next statement (``later``).
        ``probe``: see ``Database.lock``."""
        if self.limits.idle_expiry:  # a session cut off from us must not keep the lock (db/timeouts.py)
            self.later(f"SET SESSION wait_timeout = {self.limits.idle_expiry:d}")  # in GET_LOCK's packet
        if not self.cluster().clustered or not self.schema_exists(schema):
            return mysql_named_lock(
                self.query,
                schema,
                table,
                timeout,
                self.later if lazy_release and not self.cluster().clustered else None,
                max_wait=self._lock_wait(),
            )
        if probe:  # read-only: a live row of another runner, or the node's GET_LOCK, says it is taken
            self._cluster_row(schema, table).require_free()
            return mysql_named_lock(self.query, schema, table, timeout, max_wait=self._lock_wait())
        return self._cluster_lock(schema, table, timeout)

    def hold_run(self, run_id: str) -> bool:
        """``GET_LOCK('flywayx-run:<run_id>', 0)`` with the next statement: the server frees it when this
        session ends, so while another runner holds the migration lock, a progress record naming a held
        run is one whose statement is not running (its owner sends statements only under the migration
        lock). Named locks are per node: not on a cluster."""
        if self.cluster().clustered:
            return False
        self.later(f"DO GET_LOCK({self._conn.escape(_RUN_LOCK + run_id)}, 0)")
        return True

    def live_run_sql(self, run_id_column: str) -> str | None:
        if self.cluster().clustered:
            return None
        return f"IS_USED_LOCK(CONCAT('{_RUN_LOCK}', {run_id_column})) IS NOT NULL"

    def _cluster_row(self, schema: str, table: str) -> ClusterLock:
        key = (schema, table)
        if key not in self._row_locks:
            self._row_locks[key] = ClusterLock(self._lock_connection, schema, table, node=self.cluster().node)
        return self._row_locks[key]

    @contextmanager
    def _cluster_lock(self, schema: str, table: str, timeout: float) -> Iterator[None]:
        import pymysql

        try:
            with (
                self._cluster_row(schema, table).hold(timeout),
                mysql_named_lock(self.query, schema, table, timeout, max_wait=self._lock_wait()),
            ):
                yield
        except pymysql.MySQLError as err:  # the lock's own connection (the runner's are translated already)
            raise self._lock_failed(err) from None

    def _lock_connection(self) -> Any:
        """The cluster lock's own connection to this node, bounded as the runner's (``open_mysql``): the
        connect limit covers the TCP connect and the greeting, the socket limit every later wait."""
        import pymysql

        bound = min(max(self.limits.connect, 0.001), 31536000.0)
        try:
            conn = pymysql.connect(
                **self.where,
                charset="utf8mb4",
                autocommit=True,
                connect_timeout=bound,
                read_timeout=bound,
                write_timeout=bound,
            )
        except pymysql.MySQLError as err:
            reason = str(err.args[1]) if len(err.args) > 1 else str(err)
            if "timed out" in reason:
                reason = self.limits.connect_stalled()
            raise ConnectionFailed(
                f"Unable to open the cluster lock's connection to {self._where_text()}: {reason}",
                hint=f"{_UNREACHABLE}; {RAISE_CONNECT}",
            ) from None
        conn._read_timeout = conn._write_timeout = self.limits.socket or None
        return conn

    def _lock_failed(self, err: Exception) -> ConnectionFailed:
        """A statement of the cluster lock's connection failed: the socket limit, or a lost node."""
        reason, code, _ = self._describe(err)
        if self.limits.socket > 0 and "timed out" in reason:
            reason = self.limits.stalled()
        elif code:
            reason = f"{reason} (error {code})"
        return ConnectionFailed(
            f"The cluster migration lock's connection to {self._where_text()} failed: {reason}",
            hint="check the node and the network path to it, then run the command again (a killed "
            "runner's lock lapses by itself after its time to live)",
        )

    def cluster(self) -> ClusterInfo:
        """The probe of ``DbapiDatabase.cluster``; on Galera this connection's reads then wait for the
        node to apply what the cluster committed before them (``wsrep_sync_wait``), so a runner that
        takes the lock after another sees that runner's history rows."""
        fresh = self._cluster is None
        info = super().cluster()
        if fresh and info.kind == "galera":
            self.execute("SET SESSION wsrep_sync_wait = 1")
        return info

    def _where_text(self) -> str:
        if self.where.get("unix_socket"):
            return str(self.where["unix_socket"])
        return f"{self.where.get('host', '')}:{self.where.get('port', '')}"

    def close(self) -> None:
        for lock in self._row_locks.values():
            lock.close()
        self._row_locks.clear()
        super().close()

    def restore_session(self, default_schema: str, *, ahead: bool = False) -> None:
        """Reset ``foreign_key_checks``/``sql_safe_updates``, ``USE`` the schema and read the user
        variables set, whose reset goes with the next statement (``mysql_session``): one packet, or
        none when an earlier call with ``ahead`` sent it behind the lock's query (``prefetch``)."""
        if self._user_vars_sql is False:
            self._user_vars_sql = probe_user_variables(self.query)
        names_sql = self._user_vars_sql if isinstance(self._user_vars_sql, str) else None
        batch = reset_statements(self._original, self.quote(default_schema) if default_schema else None, names_sql)
        if ahead:
            for sql in batch:
                self.prefetch(sql)
            return
        if all(sql in self._fetched for sql in batch):
            rows = [self._fetched.pop(sql) for sql in batch][-1]
        else:
            rows = self._reset(batch, names_sql)
        names = [str(r[0]) for r in rows] if names_sql else []
        if names:
            self.later("SET " + ", ".join(f"@{self.quote(n)} = NULL" for n in names))

    def _reset(self, batch: list[str], names_sql: str | None) -> list[tuple[Any, ...]]:
        sent = self._packet(batch, rows=True)
        if sent.failure is not None:
            if sent.failed_later or not (sent.completed == 1 and getattr(sent.failure, "code", None) == 1049):
                raise sent.failure  # 1049: a migration dropped the schema; there is nothing to USE
            return self.query(names_sql) if names_sql else []
        return sent.rows
