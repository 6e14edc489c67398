"""PostgreSQL through psycopg 3.

DDL is transactional, so ``begin()`` ... ``rollback()`` undoes a failed migration completely. The
history table is read with Flyway's ``/*NO LOAD BALANCE*/`` prefix. ``currentSchema`` in the URL
parameters sets the search path, as the JDBC driver does.
"""

from __future__ import annotations

import math
from contextlib import AbstractContextManager
from typing import Any

from flywayx.db.base import Capabilities
from flywayx.db.connect import AUTH_HINT, DbapiDatabase, connection_failed
from flywayx.db.history import SqlHistoryTable
from flywayx.db.locks import pg_advisory_lock
from flywayx.db.timeouts import Timeouts, Watchdog
from flywayx.errors import ConnectionFailed
from flywayx.model import DatabaseUrl, HistoryRow

CAPABILITIES = Capabilities(transactional_ddl=True, lock_kind="advisory", has_schemas=True, quote='"',
                            statement_record=True)

_NOT_EXTENSION = "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.objid = {oid} AND d.deptype = 'e')"
_RELATIONS = (
    "SELECT c.relname, c.relkind FROM pg_catalog.pg_class c"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ?"
    " AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND NOT c.relispartition AND "
    + _NOT_EXTENSION.format(oid="c.oid")
)
_ROUTINES = (
    "SELECT p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid), p.prokind"
    " FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
    " WHERE n.nspname = ? AND " + _NOT_EXTENSION.format(oid="p.oid")
)
# User types: not array types, not the row types of tables/views (typcategory A and C), not extensions'.
_TYPES = (
    "SELECT t.typname, t.typtype FROM pg_catalog.pg_type t"
    " JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = ?"
    " AND t.typcategory NOT IN ('A', 'C') AND " + _NOT_EXTENSION.format(oid="t.oid")
)
_COMPOSITES = (
    "SELECT c.relname, 'c' FROM pg_catalog.pg_class c"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind = 'c'"
    " AND " + _NOT_EXTENSION.format(oid="c.oid")
)
_DROP_RELATION = {"m": "MATERIALIZED VIEW", "v": "VIEW", "r": "TABLE", "p": "TABLE", "f": "FOREIGN TABLE",
                  "S": "SEQUENCE"}
_DROP_ROUTINE = {"p": "PROCEDURE", "a": "AGGREGATE"}


def open_postgres(url: DatabaseUrl, user: str | None, password: str | None, *, read_only: bool = False,
                  limits: Timeouts | None = None) -> PostgresDatabase:
    """Connect with psycopg; failures become ConnectionFailed naming host, port, database, reason.

    ``limits``: the connect limit is libpq's ``connect_timeout`` (whole seconds, at least 2: libpq's
    floor); the socket limit is a ``Watchdog`` around every statement (libpq has none)."""
    import psycopg

    limits = limits or Timeouts()
    params = dict(url.params)
    try:
        conn = psycopg.connect(
            host=url.unix_socket or url.host or "localhost", port=url.port or 5432, user=user or None,
            password=password or None, dbname=url.database or "postgres", autocommit=True,
            connect_timeout=max(2, math.ceil(limits.connect)), application_name="flywayx",
        )
    except psycopg.Error as err:
        raise _failure(url, str(err), password) from None
    db = PostgresDatabase(conn, [password or ""])
    db.limits, db.where = limits, (url, user, password)
    if limits.socket > 0:
        db.guard_socket()
    if params.get("currentSchema"):
        db.query("SELECT set_config('search_path', ?, false)", (params["currentSchema"],))
        db.capture_session()
    if read_only:
        db.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    return db


# 28P01 invalid_password and 28000 invalid_authorization_specification, as libpq words them
_AUTH_FAILED = ("password authentication failed", "28P01", "authentication failed for user")


def _failure(url: DatabaseUrl, text: str, password: str | None) -> ConnectionFailed:
    reason = text.split("FATAL:", 1)[1] if "FATAL:" in text else text
    if any(s in reason for s in _AUTH_FAILED) or ("role" in reason and "does not exist" in reason):
        hint = AUTH_HINT
    elif "no password supplied" in reason:
        hint = "the server asks for a password: set FLYWAY_PASSWORD, pass --ask-password, or put it in flyway.toml"
    elif "pg_hba.conf" in reason:
        hint = "the server's pg_hba.conf does not let this user connect from this host to this database"
    elif "database" in reason and "does not exist" in reason:
        hint = "create the database first, or fix the database name in the URL"
    elif "could not translate host name" in reason:
        hint = "check the host name in the URL"
    else:
        hint = "check that the server runs and that host and port are right"
    return connection_failed(url, reason, hint, [password], default_port=5432)


class PostgresDatabase(DbapiDatabase):
    """A PostgreSQL session; role and search path captured at connect are restored before migrations."""

    dialect = "postgresql"
    capabilities = CAPABILITIES

    def __init__(self, conn: Any, secrets: list[str]) -> None:
        super().__init__(conn, secrets)
        self._notices: list[tuple[str, int | None, str | None]] = []
        self._later: list[str] = []  # ``later``: sent with the COMMIT
        self._pid = 0
        self.where: tuple[DatabaseUrl, str | None, str | None] | None = None  # what a new connection needs
        conn.add_notice_handler(self._notice)
        self.capture_session()

    def _notice(self, diag: Any) -> None:
        self._notices.append((str(diag.message_primary or ""), None, diag.sqlstate))

    def _drain_notices(self) -> list[tuple[str, int | None, str | None]]:
        taken, self._notices = self._notices, []
        return taken

    def copy_in(self, sql: str, data: str) -> int:
        """``COPY … FROM STDIN`` fed with ``data`` (the lines up to ``\\.``), as psql and Flyway do."""
        with self._cursor(sql) as cur:
            with cur.copy(sql) as copy:
                copy.write(data)
            return max(int(cur.rowcount), 0)

    def cancel(self) -> None:
        """PostgreSQL's cancel request (a separate socket; safe from a signal handler)."""
        try:
            self._conn.cancel()
        except Exception:  # the statement then runs to its end; the interrupt is still honoured after it
            return

    def _where_text(self) -> str:
        try:
            return f"{self._conn.info.host}:{self._conn.info.port}"
        except Exception:  # a connection without the info attribute: messages then omit where
            return ""

    def invalid_indexes(self) -> frozenset[tuple[str, str]]:
        rows = self.query("SELECT CAST(n.nspname AS TEXT), CAST(c.relname AS TEXT) FROM pg_index i"
                          " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                          " WHERE NOT i.indisvalid")
        return frozenset((str(a), str(b)) for a, b in rows)

    def drop_invalid_index(self, schema: str, name: str) -> None:
        self.rollback()  # DROP INDEX CONCURRENTLY refuses to run inside a transaction block
        self.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {self.quote(schema, name)}")

    def capture_session(self) -> None:
        """Remember the role and search path that ``restore_session`` returns to."""
        role, path = self.query("SELECT CAST(current_user AS TEXT), current_setting('search_path')")[0]
        self._role, self._search_path = str(role), str(path)

    def _driver_errors(self) -> tuple[type[Exception], ...]:
        import psycopg

        return (psycopg.Error,)

    def _describe(self, err: Exception) -> tuple[str, Any, str | None]:
        diag = getattr(err, "diag", None)
        primary = getattr(diag, "message_primary", None) if diag is not None else None
        return primary or str(err), None, getattr(err, "sqlstate", None)

    def _server_in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return bool(self._conn.info.transaction_status != TransactionStatus.IDLE)

    def server_version(self) -> str:
        return str(self.query("SHOW server_version")[0][0])

    def current_user(self) -> str:
        return str(self.query("SELECT CAST(current_user AS TEXT)")[0][0])

    def current_schema(self) -> str | None:
        value = self.query("SELECT current_schema()")[0][0]
        return str(value) if value is not None else None

    def database_name(self) -> str:
        return str(self.query("SELECT current_database()")[0][0])

    def schema_exists(self, schema: str) -> bool:
        return bool(self.query("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ?", (schema,)))

    def create_schema(self, schema: str) -> None:
        self.execute(f"CREATE SCHEMA {self.quote(schema)}")

    def schema_is_empty(self, schema: str) -> bool:
        """No relations, types or functions except those an extension owns."""
        union = " UNION ALL ".join(f"SELECT 1 FROM ({q}) x" for q in (_RELATIONS, _ROUTINES, _TYPES))
        return not self.query(f"SELECT 1 FROM ({union}) found LIMIT 1", (schema,) * 3)

    def clean_schema(self, schema: str, drop: bool) -> None:
        """``DROP SCHEMA ... CASCADE`` when ``drop``; else drop every non-extension object in it.

        Emptying keeps the schema itself, so its owner and grants survive, as in Flyway.
        """
        if drop:
            self.execute(f"DROP SCHEMA {self.quote(schema)} CASCADE")
            return
        extensions = ("SELECT e.extname FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n"
                      " ON n.oid = e.extnamespace WHERE n.nspname = ? ORDER BY 1")
        for (name,) in self.query(extensions, (schema,)):
            self.execute(f"DROP EXTENSION IF EXISTS {self.quote(name)} CASCADE")
        for kind in ("m", "v", "r", "p", "f", "S"):
            for name, _ in self.query(_RELATIONS + " AND c.relkind = ? ORDER BY 1", (schema, kind)):
                self.execute(f"DROP {_DROP_RELATION[kind]} IF EXISTS {self.quote(schema, name)} CASCADE")
        for name, args, kind in self.query(_ROUTINES + " ORDER BY 1, 2", (schema,)):
            what = _DROP_ROUTINE.get(kind, "FUNCTION")
            self.execute(f"DROP {what} IF EXISTS {self.quote(schema, name)}({args}) CASCADE")
        for name, kind in self.query(_TYPES + " ORDER BY 1", (schema,)) + self.query(_COMPOSITES, (schema,)):
            what = "DOMAIN" if kind == "d" else "TYPE"
            self.execute(f"DROP {what} IF EXISTS {self.quote(schema, name)} CASCADE")

    def history(self, schema: str, table: str, tablespace: str | None = None) -> PostgresHistoryTable:
        return PostgresHistoryTable(self, schema, table, tablespace)

    def lock(self, schema: str, table: str, timeout: float, *, lazy_release: bool = False, probe: bool = False
             ) -> AbstractContextManager[None]:
        """Flyway's advisory lock; with a socket limit, a session that stays idle longer than
        ``limits.idle_expiry`` (cut off from us) is ended by the server, which frees the lock (both
        settings in one statement)."""
        if self.limits.idle_expiry:
            expiry = f"{self.limits.idle_expiry}s"
            self.query("SELECT set_config('idle_session_timeout', ?, false),"
                       " set_config('idle_in_transaction_session_timeout', ?, false)", (expiry, expiry))
        return pg_advisory_lock(self.query, schema, table, timeout)

    def guard_socket(self) -> None:
        """The socket limit: each statement is watched; one running past it gets its socket shut down."""
        self._pid = int(self._conn.info.backend_pid)
        self._watchdog = Watchdog(self.limits.socket, lambda: int(self._conn.pgconn.socket))

    def _end_stalled_session(self) -> None:
        """``pg_terminate_backend`` of this session from a new connection; best effort."""
        import psycopg

        if self.where is None:
            return
        url, user, password = self.where
        try:
            with psycopg.connect(host=url.unix_socket or url.host or "localhost", port=url.port or 5432,
                                 user=user or None, password=password or None, dbname=url.database or "postgres",
                                 autocommit=True, connect_timeout=max(2, math.ceil(self.limits.connect)),
                                 application_name="flywayx") as killer:
                killer.execute("SELECT pg_terminate_backend(%s)", (self._pid,))
        except Exception:  # unreachable: the session ends after limits.idle_expiry seconds idle
            return

    def restore_session(self, default_schema: str) -> None:
        """Back to the original role; search path = default schema then the original path (Flyway's rule).
        One statement: the role is set back unconditionally (``SET ROLE`` to the role the session had),
        the schema's existence is asked by the same statement."""
        path = self._search_path
        target = "?"
        params: tuple[str, ...] = (path,)
        if not (default_schema in ("", path) or path.startswith(default_schema + ",")):
            ahead = f"{self.quote(default_schema)},{path}" if path.strip() else self.quote(default_schema)
            target = "CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ?) THEN ? ELSE ? END"
            params = (default_schema, ahead, path)
        self.query(f"SELECT set_config('role', ?, false), set_config('search_path', {target}, false)",
                   (self._role, *params))

    # --- bookkeeping sent with the COMMIT (``later``) ---------------------------------------------------
    def later(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        """Queue a statement of the open transaction (history and flywayx rows) to go with its COMMIT in
        one simple-protocol query, parameters bound client-side; a query of flywayx's own sends the
        queue first in its packet. A rollback discards it (it belonged to the transaction); the
        migration's own statements never travel with it (``execute`` sends the queue alone first)."""
        self._later.append(self._literal(sql, params))

    def _literal(self, sql: str, params: tuple[Any, ...]) -> str:
        if not params:
            return sql
        import psycopg

        return psycopg.ClientCursor(self._conn).mogrify(self._native(sql), params)

    def _send_queued(self, last: str | None) -> list[Any]:
        """The queue, then ``last``, as one query; the rows of the last statement (when it has any)."""
        texts, self._later = [*self._later, *([last] if last else [])], []
        if not texts:
            return []
        joined = ";\n".join(texts)
        with self._cursor(joined) as cur:
            cur.execute(joined)
            while cur.nextset():
                pass
            return list(cur.fetchall()) if cur.description is not None else []

    def execute(self, sql: str) -> int:
        if self._later:
            self._send_queued(None)
        return super().execute(sql)

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        if self._later:
            self._send_queued(None)
        return super().run(sql, params)

    def query_named(self, sql: str, params: tuple[Any, ...] = (), named: bool = True) -> list[Any]:
        if not self._later or named:
            if self._later:
                self._send_queued(None)
            return super().query_named(sql, params, named)
        return [tuple(r) for r in self._send_queued(self._literal(sql, params))]

    def commit(self) -> None:
        if self._later:
            self._in_tx = False
            self._send_queued("COMMIT")
            return
        super().commit()

    def rollback(self) -> None:
        self._later = []
        super().rollback()

    @property
    def raw(self) -> Any:
        if self._later:
            self._send_queued(None)
        return self._conn


class PostgresHistoryTable(SqlHistoryTable):
    """Flyway's PostgreSQL history table: table, [baseline insert], primary key, index."""

    def exists(self) -> bool:
        return bool(self.db.query(
            "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p')", (self.schema, self.table)))

    def create_script(self, baseline: HistoryRow | None) -> list[tuple[str, tuple[Any, ...]]]:
        space = self.db.quote(self.tablespace) if self.tablespace else ""
        ts = f" TABLESPACE {space}" if space else ""
        index_ts = f" USING INDEX TABLESPACE {space}" if space else ""
        ddl = (
            f"CREATE TABLE {self.qualified} (\n"
            '    "installed_rank" INT NOT NULL,\n'
            '    "version" VARCHAR(50),\n'
            '    "description" VARCHAR(200) NOT NULL,\n'
            '    "type" VARCHAR(20) NOT NULL,\n'
            '    "script" VARCHAR(1000) NOT NULL,\n'
            '    "checksum" INTEGER,\n'
            '    "installed_by" VARCHAR(100) NOT NULL,\n'
            '    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),\n'
            '    "execution_time" INTEGER NOT NULL,\n'
            '    "success" BOOLEAN NOT NULL\n'
            f"){ts}"
        )
        pk = (f"ALTER TABLE {self.qualified} ADD CONSTRAINT {self.db.quote(self.table + '_pk')}"
              f' PRIMARY KEY ("installed_rank"){index_ts}')
        index = f"CREATE INDEX {self.db.quote(self.table + '_s_idx')} ON {self.qualified} (\"success\"){ts}"
        return [(ddl, ()), *self.baseline_insert(baseline), (pk, ()), (index, ())]

    def _read_prefix(self) -> str:
        return "/*NO LOAD BALANCE*/\n"

    @property
    def false_literal(self) -> str:
        return "false"

    def bool_value(self, value: bool) -> Any:
        return value
