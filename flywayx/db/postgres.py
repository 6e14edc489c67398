"""PostgreSQL through psycopg 3.

DDL is transactional, so ``begin()`` ... ``rollback()`` undoes a failed migration completely. The
history table is read with Flyway's ``/*NO LOAD BALANCE*/`` prefix. ``currentSchema`` in the URL
parameters sets the search path, as the JDBC driver does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from typing import Any

from flywayx.db.base import Capabilities, DbWarning
from flywayx.db.connect import AUTH_HINT, DbapiDatabase, StatementFailed, connection_failed
from flywayx.db.locks import pg_advisory_lock
from flywayx.db.postgres_history import PostgresHistoryTable
from flywayx.db.timeouts import LIBPQ_FLOOR, RAISE_CONNECT, Timeouts, Watchdog, libpq_connect
from flywayx.errors import ConnectionFailed
from flywayx.model import DatabaseUrl

CAPABILITIES = Capabilities(
    transactional_ddl=True,
    lock_kind="advisory",
    has_schemas=True,
    quote='"',
    statement_record=True,
    pipelines=True,
)

# What a pipeline (``run_batch`` inside a transaction) may carry: one command of these kinds, alone in its
# text (no ``;`` at all: a DO block or a function body holding one is sent alone, in the simple protocol,
# as psql sends it; so is a text holding two commands, which the extended protocol refuses). Never COPY,
# never a statement that ends or opens a transaction (the pipeline relies on staying inside one).
_PIPELINED = frozenset(
    {
        "ALTER", "ANALYZE", "CALL", "COMMENT", "CREATE", "DELETE", "DO", "DROP", "GRANT", "INSERT", "LOCK",
        "MERGE", "REFRESH", "RESET", "REVOKE", "SELECT", "SET", "TABLE", "TRUNCATE", "UPDATE", "VALUES", "WITH",
    }
)  # fmt: skip
_LEADING = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*(?:(?!/\*)[\s\S])*?\*/)*")  # not a nested comment
_HEAD = re.compile(r"[A-Za-z]+")
_ENCODING = re.compile(r"encoding|\bnames\b|\breset\s+all\b", re.IGNORECASE)


def pipelinable(sql: str) -> bool:
    """Whether ``sql`` may travel in a pipeline (see ``_PIPELINED``). Not a statement that may change the
    client encoding (``SET NAMES``, ``client_encoding``, ``RESET ALL``): the statements behind it in the
    pipeline were encoded before it ran."""
    if ";" in sql:
        return False
    head = _HEAD.match(sql, _LEADING.match(sql).end())  # type: ignore[union-attr]
    if head is None or head.group().upper() not in _PIPELINED:
        return False
    return _ENCODING.search(sql) is None


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
_DROP_RELATION = {
    "m": "MATERIALIZED VIEW",
    "v": "VIEW",
    "r": "TABLE",
    "p": "TABLE",
    "f": "FOREIGN TABLE",
    "S": "SEQUENCE",
}
_DROP_ROUTINE = {"p": "PROCEDURE", "a": "AGGREGATE"}


def _quoted(value: Any) -> str | None:
    """A parameter as a literal, exactly as psycopg's client-side binding writes it, for the types flywayx's
    own rows hold (None for another type). Strings: standard quoting; with a backslash the ``E''`` form,
    which reads the same whatever ``standard_conforming_strings`` says."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if value >= 0 else f" {value}"
    if isinstance(value, str):
        text = value.replace("'", "''")
        return f"'{text}'" if "\\" not in text else " E'" + text.replace("\\", "\\\\") + "'"
    return None


def open_postgres(
    url: DatabaseUrl, user: str | None, password: str | None, *, read_only: bool = False, limits: Timeouts | None = None
) -> PostgresDatabase:
    """Connect with psycopg; failures become ConnectionFailed naming host, port, database, reason.

    ``limits``: the connect limit is libpq's ``connect_timeout`` (whole seconds, at least 2: libpq's
    floor); the socket limit is a ``Watchdog`` around every statement (libpq has none)."""
    import psycopg

    limits = limits or Timeouts()
    params = dict(url.params)
    try:
        conn = psycopg.connect(
            host=url.unix_socket or url.host or "localhost",
            port=url.port or 5432,
            user=user or None,
            password=password or None,
            dbname=url.database or "postgres",
            autocommit=True,
            connect_timeout=libpq_connect(limits),
            application_name="flywayx",
        )
    except psycopg.Error as err:
        raise _failure(url, str(err), password, limits) from None
    db = PostgresDatabase(conn, [password or ""], limits=limits, where=(url, user, password))
    if params.get("currentSchema"):
        db.query("SELECT set_config('search_path', ?, false)", (params["currentSchema"],))
        db.capture_session()
    if read_only:
        db.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    return db


# 28P01 invalid_password and 28000 invalid_authorization_specification, as libpq words them
_AUTH_FAILED = ("password authentication failed", "28P01", "authentication failed for user")


def _failure(url: DatabaseUrl, text: str, password: str | None, limits: Timeouts | None = None) -> ConnectionFailed:
    """The ConnectionFailed for a connect that raised ``text``. libpq's "timeout expired" (the greeting,
    TLS or login did not come within ``connect_timeout``) is the connect limit: said by its name, as
    MySQL's and a statement's stall (socketTimeout) are."""
    reason = text.split("FATAL:", 1)[1] if "FATAL:" in text else text
    if "timeout expired" in reason:
        reason = (limits or Timeouts()).connect_stalled(LIBPQ_FLOOR)
        hint = f"check that the server runs and that host and port are right; {RAISE_CONNECT}"
    elif any(s in reason for s in _AUTH_FAILED) or ("role" in reason and "does not exist" in reason):
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

    def __init__(
        self,
        conn: Any,
        secrets: list[str],
        *,
        limits: Timeouts | None = None,
        where: tuple[DatabaseUrl, str | None, str | None] | None = None,
    ) -> None:
        super().__init__(conn, secrets)
        self._notices: list[tuple[str, int | None, str | None]] = []
        self._later: list[str] = []  # ``later``: sent with the COMMIT
        self._ahead: list[str] = []  # ``prefetch``: sent behind the next query
        self._release: list[str] = []  # the lock's release: sent before the next statement
        self._begin_pending = False  # ``begin``: BEGIN goes in front of the next statement
        self._mogrifier: Any = None  # a ClientCursor: binds parameters client-side (``_literal``)
        self._idle: Callable[[], object] | None = None  # ``idle``: run while the server works
        self._pid = 0
        self.where = where  # what a new connection needs
        if limits is not None:  # before the first query: a server silent from the start is bounded too
            self.limits = limits
            if limits.socket > 0:
                self.guard_socket()
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

    def column_names(self, schema: str, table: str) -> list[str]:
        """From the catalog itself: ``information_schema.columns`` is a view costing several ms a call
        (a first run asks it for each of flywayx's tables)."""
        rows = self.query(
            "SELECT CAST(attname AS TEXT) FROM pg_catalog.pg_attribute WHERE attrelid ="
            " to_regclass(quote_ident(?) || '.' || quote_ident(?)) AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            (schema, table),
        )
        return [str(r[0]) for r in rows]

    def table_columns(self, schema: str, tables: Sequence[str]) -> dict[str, list[str]]:
        """One ``pg_attribute`` query for every table (what ``column_names`` reads, by name)."""
        rows = self.query(
            "SELECT CAST(c.relname AS TEXT), CAST(a.attname AS TEXT) FROM pg_catalog.pg_attribute a"
            " JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            f" WHERE n.nspname = ? AND c.relname IN ({', '.join('?' * len(tables))})"
            " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum",
            (schema, *tables),
        )
        out: dict[str, list[str]] = {}
        for table, column in rows:
            out.setdefault(str(table), []).append(str(column))
        return out

    def invalid_indexes(self) -> frozenset[tuple[str, str]]:
        rows = self.query(
            "SELECT CAST(n.nspname AS TEXT), CAST(c.relname AS TEXT) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE NOT i.indisvalid"
        )
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

        return bool(self._conn.pgconn.transaction_status != TransactionStatus.IDLE)

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
        extensions = (
            "SELECT e.extname FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n"
            " ON n.oid = e.extnamespace WHERE n.nspname = ? ORDER BY 1"
        )
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

    def lock(
        self, schema: str, table: str, timeout: float, *, lazy_release: bool = False, probe: bool = False
    ) -> AbstractContextManager[None]:
        """Flyway's advisory lock; with a socket limit, a session that stays idle longer than
        ``limits.idle_expiry`` (cut off from us) is ended by the server, which frees the lock (both
        settings in one statement)."""
        if self.limits.idle_expiry:
            expiry = f"{self.limits.idle_expiry}s"
            self.query(
                "SELECT set_config('idle_session_timeout', ?, false),"
                " set_config('idle_in_transaction_session_timeout', ?, false)",
                (expiry, expiry),
            )
        return pg_advisory_lock(self.query, schema, table, timeout, self._release_later if lazy_release else None)

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
            with psycopg.connect(
                host=url.unix_socket or url.host or "localhost",
                port=url.port or 5432,
                user=user or None,
                password=password or None,
                dbname=url.database or "postgres",
                autocommit=True,
                connect_timeout=libpq_connect(self.limits),
                application_name="flywayx",
            ) as killer:
                killer.execute("SELECT pg_terminate_backend(%s)", (self._pid,))
        except Exception:  # unreachable: the session ends after limits.idle_expiry seconds idle
            return

    def restore_session(self, default_schema: str, *, ahead: bool = False) -> None:
        """Back to the original role; search path = default schema then the original path (Flyway's rule).
        One statement: the role is set back unconditionally (``SET ROLE`` to the role the session had),
        the schema's existence is asked by the same statement. ``ahead``: ``prefetch`` it only (it then
        travels with the lock's query and the next call, with nothing sent in between, sends nothing)."""
        path = self._search_path
        target = "?"
        params: tuple[str, ...] = (path,)
        if not (default_schema in ("", path) or path.startswith(default_schema + ",")):
            first = f"{self.quote(default_schema)},{path}" if path.strip() else self.quote(default_schema)
            target = "CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ?) THEN ? ELSE ? END"
            params = (default_schema, first, path)
        sql = self._literal(
            f"SELECT set_config('role', ?, false), set_config('search_path', {target}, false)", (self._role, *params)
        )
        if ahead:
            self.prefetch(sql)
        elif self._fetched.pop(sql, None) is None:
            self.query(sql)

    # --- bookkeeping sent with the COMMIT (``later``) ---------------------------------------------------
    def later(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        """Queue a statement of the open transaction (history and flywayx rows) to go with its COMMIT in
        one simple-protocol query, parameters bound client-side; a query of flywayx's own sends the
        queue first in its packet. A rollback discards it (it belonged to the transaction); the
        migration's own statements never travel with it (``execute`` sends the queue alone first)."""
        self._later.append(self._literal(sql, params))

    def _literal(self, sql: str, params: tuple[Any, ...]) -> str:
        """``sql`` with its ``?`` parameters bound client-side (``_quoted``; other types as psycopg binds them)."""
        if not params:
            return sql
        parts = sql.split("?")
        quoted = [_quoted(v) for v in params]
        if len(parts) == len(params) + 1 and None not in quoted:
            out = [parts[0]]
            for value, part in zip(quoted, parts[1:], strict=True):
                out += [value or "", part]
            return "".join(out)
        if self._mogrifier is None:
            import psycopg

            self._mogrifier = psycopg.ClientCursor(self._conn)
        return str(self._mogrifier.mogrify(self._native(sql), params))

    def prefetch(self, sql: str) -> None:
        """``sql`` (a read giving one result) goes behind the next query of flywayx's own (a ``SELECT``: the
        lock's) in its simple-protocol query; its rows answer ``query`` of exactly this text until anything
        else is sent (``Database.prefetch``)."""
        self._ahead.append(sql)

    def _release_later(self, sql: str, params: tuple[Any, ...]) -> None:
        """The lock's release goes first in the next statement's query (``_cursor``, ``_send_many``); unlike
        ``later``, a rollback keeps it (it is no part of a transaction)."""
        self._release.append(self._literal(sql, params))

    def _releasing(self) -> list[str]:
        """The queued release, taken when no transaction is open (inside an aborted one it would fail: it
        then waits for the statement after the ROLLBACK; closing the connection releases it too)."""
        if not self._release or self._server_in_transaction():
            return []
        taken, self._release = self._release, []
        return taken

    def _send_queued(self, last: str | None) -> list[Any]:
        """The queue, then ``last``, as one query; the rows of the last statement (when it has any)."""
        texts, self._later = [*self._later, *([last] if last else [])], []
        results = self._send_many(texts)
        return (results[-1] or []) if results else []

    def _send_many(self, texts: list[str]) -> list[list[Any] | None]:
        """The lock's release (when queued), then ``texts``, as one simple-protocol query; the rows of each
        of ``texts`` (None for a statement without rows). The server runs them as one implicit transaction
        (the advisory lock is the session's: a rollback does not undo taking or releasing it)."""
        released = self._releasing()
        if not released and not texts:
            return []
        begin = ["BEGIN"] if self._begin_pending and texts else []
        self._begin_pending = self._begin_pending and not begin
        joined = ";\n".join([*released, *begin, *texts])
        return self._simple(joined)[len(released) + len(begin) :]

    def _simple(self, joined: str) -> list[list[Any] | None]:
        """One simple-protocol query on the connection itself (psycopg's cursor costs ~3x the CPU here, at
        every step): each statement's rows (None without rows); the server's error as ``StatementFailed``."""
        import psycopg
        from psycopg import pq
        from psycopg.adapt import Transformer
        from psycopg.generators import fetch_many, send

        out: list[list[Any] | None] = []
        conn = self._conn
        with self._guard(joined):
            encoding = conn.info.encoding
            conn.pgconn.send_query(joined.encode(encoding))
            conn.wait(send(conn.pgconn))
            self._run_idle()
            results = conn.wait(fetch_many(conn.pgconn))
            loader = Transformer(conn)
            for result in results:
                if result.status == pq.ExecStatus.FATAL_ERROR:
                    raise psycopg.errors.error_from_result(result, encoding=encoding)
                if result.status == pq.ExecStatus.TUPLES_OK:
                    loader.set_pgresult(result)
                    out.append(loader.load_rows(0, result.ntuples, tuple))
                else:
                    out.append(None)
        return out

    def idle(self, task: Callable[[], object]) -> None:
        """``task`` runs once, after the next query of the connection's own (a pipeline, or flywayx's
        multi-statement query) is sent and before its results are read: flywayx's CPU beside the
        server's. Whatever it raises is dropped (who needs its result computes it again)."""
        self._idle = task

    def _run_idle(self) -> None:
        task, self._idle = self._idle, None
        if task is not None:
            with suppress(Exception):  # who needs the task's result meets the error again there
                task()

    @contextmanager
    def _guard(self, sql: str) -> Iterator[None]:
        """What ``_cursor`` does around a statement, without a cursor: the socket limit, a driver error as
        ``StatementFailed`` naming ``sql``; a prefetched read is kept only until something is sent."""
        import psycopg

        self._fetched.clear()
        try:
            with self._watchdog.guard() if self._watchdog is not None else nullcontext():
                yield
        except psycopg.Error as err:
            raise self._statement_failed(err, sql) from None

    def _with_ahead(self, text: str) -> list[Any]:
        """The ``later`` queue, the query ``text``, then what was ``prefetch``ed, in one query."""
        queued, self._later = self._later, []
        ahead: list[str] = []
        if text.lstrip()[:6].upper() == "SELECT":
            ahead, self._ahead = self._ahead, []
        results = self._send_many([*queued, text, *ahead])
        for sql, rows in zip(ahead, results[len(queued) + 1 :], strict=True):
            self._fetched[sql] = rows or []
        return results[len(queued)] or []

    @contextmanager
    def _cursor(self, sql: str) -> Iterator[Any]:
        released = self._releasing()
        if released:
            with super()._cursor(";\n".join(released)) as cur:
                cur.execute(";\n".join(released))
        if self._begin_pending:
            self._begin_pending = False
            with super()._cursor("BEGIN") as cur:
                cur.execute("BEGIN")
        with super()._cursor(sql) as cur:
            yield cur

    # --- the migration's statements in a pipeline -------------------------------------------------------
    def begin(self) -> None:
        """``BEGIN`` goes in front of the next statement: in a pipeline with the migration's statements,
        in the query of flywayx's own rows, or alone before anything else (``_cursor``)."""
        if self._in_tx and not self._begin_pending:
            super().begin()
            return
        self._begin_pending = self._in_tx = True

    def run_batch(
        self, statements: Sequence[str | tuple[str, tuple[Any, ...]]], *, warnings_from: int | None = None
    ) -> tuple[int, Exception | None]:
        """Inside a transaction (flywayx's BEGIN sent or queued, the server in it): each run of statements
        a pipeline may carry (``pipelinable``) goes in one round trip, each statement its own query of the
        extended protocol followed by its own Sync, so its result, its error and its notices are its own
        (a notice is read before the next statement's first message). After a failure the server skips
        nothing it was sent but fails it (the transaction is aborted): nothing after it takes effect.
        Other statements, and every statement outside a transaction, go one by one as before."""
        texts = [s if isinstance(s, str) else self._literal(*s) for s in statements]
        done = 0
        while done < len(texts):
            self._reopen_after_script_end()
            end = done
            if self._pipelining():
                while end < len(texts) and pipelinable(texts[end]):
                    end += 1
            if end > done:
                completed, failure = self._pipeline(texts[done:end], done, warnings_from)
            else:
                end = done + 1
                completed, failure = self._one(texts[done], done, warnings_from)
            done += completed
            if failure is not None:
                return done, failure
        return done, None

    def _reopen_after_script_end(self) -> None:
        """The migration's transaction was ended by the script's own ``COMMIT`` (``END``, ``ROLLBACK``):
        what follows runs in a new one, committed with the history row or rolled back on a failure, as
        Flyway's JDBC connection (autocommit off) opens one before the next statement."""
        from psycopg.pq import TransactionStatus

        if self._in_tx and not self._begin_pending and self._conn.info.transaction_status == TransactionStatus.IDLE:
            self._begin_pending = True

    def _pipelining(self) -> bool:
        """A transaction is open (or its BEGIN queued): a failed statement aborts what follows it."""
        from psycopg.pq import TransactionStatus

        if self._begin_pending:
            return True
        return self._in_tx and self._conn.info.transaction_status == TransactionStatus.INTRANS

    def _one(self, sql: str, index: int, warnings_from: int | None) -> tuple[int, Exception | None]:
        self._drain_notices()
        try:
            self.execute(sql)
        except StatementFailed as err:
            return 0, err
        finally:
            self._keep_warnings(index, self._drain_notices(), warnings_from)
        return 1, None

    def _keep_warnings(
        self, index: int, notices: list[tuple[str, int | None, str | None]], warnings_from: int | None
    ) -> None:
        if warnings_from is not None and index >= warnings_from:
            self._warnings.extend(DbWarning(index, *n) for n in notices)

    def _pipeline(self, texts: list[str], first: int, warnings_from: int | None) -> tuple[int, Exception | None]:
        """``texts`` (the queued BEGIN first) in pipeline mode, one round trip and one Sync; (completed,
        failure). Notices are read in order with the results, each statement's after its result; one the
        server raises while parsing the next statement would come before that statement's first message,
        so an empty query goes between two statements and what is read with it is the next one's."""
        import psycopg
        from psycopg import pq
        from psycopg.generators import fetch_many, send

        if self._later:
            self._send_queued(None)
        released = self._releasing()
        # (text, the statement whose notices are read with it, whether it is that statement)
        queries: list[tuple[str, int, bool]] = [("BEGIN", 0, False)] if self._begin_pending else []
        for k, text in enumerate(texts):
            queries += [("", k, False)] if k else []
            queries.append((text, k, True))
        self._begin_pending = False
        self._fetched.clear()
        conn, pg, encoding = self._conn, self._conn.pgconn, self._conn.info.encoding
        outcomes: list[list[Any]] = []
        notices: list[list[tuple[str, int | None, str | None]]] = [[] for _ in texts]

        def talk() -> Any:
            yield from send(pg)
            self._run_idle()
            for _, owner, _ in queries:
                outcomes.append((yield from fetch_many(pg)))
                notices[owner] += self._drain_notices()
            yield from fetch_many(pg)  # the Sync

        self._drain_notices()
        failure: Exception | None = None
        if released:
            self._simple(";\n".join(released))
        with self._watchdog.guard() if self._watchdog is not None else nullcontext():
            pg.enter_pipeline_mode()
            try:
                for text, _, _ in queries:
                    pg.send_query_params(text.encode(encoding), None)
                pg.pipeline_sync()
                conn.wait(talk())
            except psycopg.Error as err:  # the connection failed while this statement's results were awaited
                failure = self._statement_failed(err, texts[queries[min(len(outcomes), len(queries) - 1)][1]])
            finally:
                if pg.status == pq.ConnStatus.OK:
                    pg.exit_pipeline_mode()
        for k, found in enumerate(notices):
            self._keep_warnings(first + k, found, warnings_from)
        done = 0
        for (_, owner, own), results in zip(queries, outcomes, strict=False):
            bad = next((r for r in results if r.status == pq.ExecStatus.FATAL_ERROR), None)
            if failure is None and bad is not None:
                error = psycopg.errors.error_from_result(bad, encoding=encoding)
                failure = self._statement_failed(error, texts[owner])
            elif failure is None and own:
                done += 1
        return done, failure

    def execute(self, sql: str) -> int:
        if self._later:
            self._send_queued(None)
        return super().execute(sql)

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        if self._later:
            self._send_queued(None)
        return super().run(sql, params)

    def query_named(self, sql: str, params: tuple[Any, ...] = (), named: bool = True) -> list[Any]:
        if not named and self._fetched:
            kept = self._fetched.pop(self._literal(sql, params), None)
            if kept is not None:
                return list(kept)
        if not named and (self._later or self._ahead or self._release):
            return self._with_ahead(self._literal(sql, params))
        if self._later:
            self._send_queued(None)
        return super().query_named(sql, params, named)

    def commit(self) -> None:
        if self._later:
            self._in_tx = False
            self._send_queued("COMMIT")
            return
        if self._begin_pending:  # nothing was sent in the transaction: nothing to commit
            self._begin_pending = self._in_tx = False
            return
        super().commit()

    def rollback(self) -> None:
        self._later = []
        if self._begin_pending:
            self._begin_pending = self._in_tx = False
        super().rollback()

    @property
    def raw(self) -> Any:
        if self._later or self._release or self._begin_pending:
            self._send_queued(None)
        if self._begin_pending:
            with self._cursor("BEGIN"):  # sends the queued BEGIN: the script runs in the transaction
                pass
        return self._conn
