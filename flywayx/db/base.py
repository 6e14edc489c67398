"""The one small Protocol every database speaks, with declared capabilities.

Dialect differences live behind this interface; callers never write ``if mysql:``. Implementations:
``flywayx.db.mysql`` (MySQL and MariaDB), ``flywayx.db.postgres``, ``flywayx.db.sqlite``; obtain
one with ``flywayx.db.connect.connect``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from flywayx.db.cluster import ClusterInfo
from flywayx.model import HistoryRow

# In a ``run_batch`` where ``capabilities.batches``: a statement whose rows are the warnings of the
# statement before it, which are then reported with their text (a batch otherwise keeps only the last
# statement's text; the others' warnings are known by count).
SHOW_WARNINGS = "SHOW WARNINGS /* of the statement before */"


@dataclass(frozen=True)
class Capabilities:
    """Declared, never probed at run time."""

    transactional_ddl: bool
    lock_kind: str  # "named" (GET_LOCK), "advisory" (pg), "file" (sqlite)
    has_schemas: bool
    quote: str  # identifier quote character
    batches: bool = False  # run_batch sends several statements in one round trip
    # inside a transaction, run_batch sends statements in one round trip each with its own result, error
    # and notices (PostgreSQL's pipeline mode): a migration's statements go there, not one by one
    pipelines: bool = False
    # a migration outside a transaction keeps flywayx_progress (statements done, the one in flight), so a
    # failure or a kill resumes with ``migrate --resume``: needs flywayx's tables and a catalog to ask
    statement_record: bool = False


@dataclass(frozen=True)
class DbWarning:
    """A warning or notice the server sent with one of a migration's statements.

    ``index``: the statement's position in the batch that produced it. ``code``/``state``: the
    server's error code and SQLSTATE when known (a MySQL warning inside a multi-statement batch other
    than its last statement is known only by count: the server keeps the last statement's list)."""

    index: int
    message: str
    code: int | None = None
    state: str | None = None

    @property
    def notice(self) -> bool:
        """A PostgreSQL notice (SQLSTATE 00000): information, not a warning (Flyway logs it at INFO)."""
        return self.state == "00000"

    def text(self) -> str:
        """Flyway's wording, ``DB: <message> (SQL State: <state> - Error Code: <code>)``, with what is known
        (MySQL's SHOW WARNINGS gives no SQLSTATE; a PostgreSQL notice has no code)."""
        tags = [f"SQL State: {self.state}"] if self.state and self.state != "00000" else []
        tags += [f"Error Code: {self.code}"] if self.code is not None else []
        return f"DB: {self.message}" + (f" ({' - '.join(tags)})" if tags else "")


class HistoryTable(Protocol):
    """The Flyway history table ``schema.table`` on one connection."""

    schema: str
    table: str

    def exists(self) -> bool: ...

    def create(self, baseline: HistoryRow | None = None) -> None:
        """Create with Flyway's exact DDL; with ``baseline`` the marker row is written too."""

    def rows(self, after_rank: int = -1) -> list[HistoryRow]:
        """All rows with installed_rank > after_rank, ordered by rank."""

    def insert(self, row: HistoryRow) -> None:
        """Insert a row; installed_on is left to the database default."""

    def insert_next(self, row: HistoryRow) -> None:
        """Insert ``row`` with the next rank, which the server takes in the same statement (the caller
        holds the migration lock); sent with the next statement (``Database.later``)."""

    def delete_failed(self, version: str | None, description: str | None) -> int:
        """Repair step 1: delete success=false rows of a version (or repeatable description)."""

    def update(self, installed_rank: int, description: str, type_: str, checksum: int | None) -> None:
        """Repair step 3: align one row with the local file."""

    def lock_rows(self) -> None:
        """MySQL: ``SELECT * FROM t FOR UPDATE`` before an insert; elsewhere a no-op."""

    def next_rank(self) -> int:
        """``lock_rows`` then the ``installed_rank`` the next row gets (highest + 1, or 1)."""

    def token(self, also: str = "0") -> tuple[int | None, int, int]:
        """A cheap token of the table's content in one query: (highest rank, number of failed rows, the
        value of the scalar SQL expression ``also``)."""

    def token_sql(self, also: str = "0") -> str:
        """The query ``token`` sends."""


class Database(Protocol):
    """An open connection with dialect knowledge. Not thread-safe; one per process."""

    dialect: str  # "mysql", "mariadb", "postgresql", "sqlite"
    capabilities: Capabilities

    @property
    def raw(self) -> Any:
        """The DBAPI connection, for Python migrations (``def migrate(conn)``)."""

    def reads(self) -> AbstractContextManager[Any]:
        """The DBAPI connection for flywayx's own reads around this interface (a schema fingerprint):
        each wait bounded by the socket limit, a driver error a ``StatementFailed``."""

    def quote(self, *names: str) -> str:
        """Quote and join identifiers: ``quote('db', 't')`` -> `` `db`.`t` `` on MySQL."""

    def server_version(self) -> str: ...

    def current_user(self) -> str:
        """For ``installed_by``: MySQL ``SUBSTRING_INDEX(USER(),'@',1)``, PG ``current_user``, SQLite ''."""

    def current_schema(self) -> str | None: ...

    def database_name(self) -> str:
        """Catalog name for ``${flyway:database}`` and JSON ``database``."""

    def schema_exists(self, schema: str) -> bool: ...

    def create_schema(self, schema: str) -> None: ...

    def creation_claimed(self, schema: str) -> bool | None:
        """Whether ``schema`` carries the mark ``create_schema`` leaves until its history exists (a
        flywayx runner created it and no runner has written the schema-creation row yet); None where
        the dialect leaves no mark (the run then knows only what it created itself)."""

    def release_creation_claim(self, schema: str) -> None:
        """Remove that mark, once the schema-creation row is written (no-op without marks)."""

    def schema_is_empty(self, schema: str) -> bool:
        """Flyway's emptiness rule per dialect (§5.3 step 3)."""

    def clean_schema(self, schema: str, drop: bool) -> None:
        """Drop every object (or the whole schema when ``drop``)."""

    def history(self, schema: str, table: str, tablespace: str | None = None) -> HistoryTable:
        """The history table ``schema.table``; ``tablespace`` is used only when creating it."""

    def lock(
        self, schema: str, table: str, timeout: float, *, lazy_release: bool = False, probe: bool = False
    ) -> AbstractContextManager[None]:
        """Flyway-compatible exclusive lock for migrating ``schema``; raise LockTimeout after timeout.
        ``lazy_release``: the release may go with the next statement (``later``), not on its own.
        ``probe`` (read-only commands asking whether a runner is at work): LockTimeout when another
        runner holds it, and nothing created or written on the way (no cluster lock table, no row)."""

    def hold_run(self, run_id: str) -> bool:
        """Mark this session as the live owner of run ``run_id`` until it ends (MySQL/MariaDB on a
        single server: a named lock, sent with the next statement), so that a progress record naming the
        run reads as a live run's, not a killed one's (``live_run_sql``). False where there is none."""

    def live_run_sql(self, run_id_column: str) -> str | None:
        """A SQL condition true when the run named in ``run_id_column`` is held by a live session
        (``hold_run``); None where runs are not marked."""

    def cluster(self) -> ClusterInfo:
        """Galera node, Group Replication member, replica, standby, read-only or single (probed once)."""

    def execute(self, sql: str) -> int:
        """Run one statement, consuming any result sets; return the affected row count."""

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]: ...

    def later(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        """A statement whose result nobody needs (``?`` parameters): where ``capabilities.batches``, sent
        in the packet of the next statement, before it; elsewhere now. A failure is raised by that
        next statement's call."""

    def prefetch(self, sql: str) -> None:
        """A read (or session setting) giving one result that flywayx will ``query`` soon: where it saves a
        round trip, sent behind the next query of flywayx's own (the migration lock's), in its packet,
        and its rows kept for a ``query`` of exactly this text asked before anything else is sent; an
        answer from before any other statement of this session is the answer the query would get
        (docs/decisions/round-trips.md). Elsewhere nothing: the query runs when asked."""

    def idle(self, task: Callable[[], object]) -> None:
        """Work for the time the server runs the next packet: where sending and reading are apart
        (MySQL/MariaDB), ``task`` runs once, after the next packet is sent and before its results are
        read, so flywayx's CPU and the server's overlap. Only work from files and memory, never this
        connection; whatever it raises is dropped (who needs its result computes it again). Elsewhere
        nothing: the task is dropped."""

    def run_batch(
        self, statements: Sequence[str | tuple[str, tuple[Any, ...]]], *, warnings_from: int | None = None
    ) -> tuple[int, Exception | None]:
        """Send ``statements`` (each ``sql`` or ``(sql, ?-params)``) in order, stopping at the first
        failure; where ``capabilities.batches`` in one round trip. Returns how many completed and the
        failure (a StatementFailed naming the failed statement) or None. Every result of every
        statement is read. Each statement but the last must produce exactly one result and have
        some code (not only comments); the last may return several (a CALL, EXECUTE, a compound
        statement). Warnings of the statements from index ``warnings_from`` on are kept for
        ``take_warnings``."""

    def take_warnings(self) -> list[DbWarning]:
        """The warnings kept by ``run_batch`` since the last call, in order; the list is emptied."""

    def copy_in(self, sql: str, data: str) -> int:
        """PostgreSQL ``COPY … FROM STDIN`` with its inline ``data`` (what psql sends); elsewhere a
        StatementFailed. Returns the rows copied."""

    def cancel(self) -> None:
        """Safe from a signal handler: ask the server to stop the statement this connection is running,
        which then fails with the server's "interrupted" error. Never raises."""

    def column_names(self, schema: str, table: str) -> list[str]:
        """The columns of ``schema.table`` in their order (empty when the table does not exist)."""

    def table_columns(self, schema: str, tables: Sequence[str]) -> dict[str, list[str]]:
        """The columns of each of ``tables`` in ``schema`` that exists, in their order, read in one query
        where the catalog allows (a missing table has no key)."""

    def invalid_indexes(self) -> frozenset[tuple[str, str]]:
        """(schema, index) of every index a failed ``CREATE INDEX CONCURRENTLY`` left invalid
        (PostgreSQL); empty where index builds are atomic."""

    def drop_invalid_index(self, schema: str, name: str) -> None:
        """Drop an index ``invalid_indexes`` named, without blocking writers (outside a transaction)."""

    def transaction_alive(self) -> bool:
        """Whether the server still holds the transaction ``begin()`` opened. MySQL/MariaDB end it
        themselves on a deadlock or a lock wait timeout (its uncommitted DML is then gone); elsewhere it
        ends only when flywayx ends it."""

    def unlock_tables(self) -> None:
        """Release the table locks a script took with ``LOCK TABLES`` (MySQL/MariaDB); elsewhere nothing."""

    def begin(self) -> None: ...

    def commit(self) -> None: ...

    def commit_later(self) -> None:
        """``COMMIT`` with the next statement (``later``) where ``capabilities.batches``; elsewhere now.
        For a caller that sends one straight away: until then the transaction stays open."""

    def rollback(self) -> None: ...

    def restore_session(self, default_schema: str, *, ahead: bool = False) -> None:
        """Before each migration: reset session state as Flyway does (search_path / USE db). ``ahead``:
        only ``prefetch`` the reset, so the next call (with nothing sent in between) costs no round trip."""

    def close(self) -> None: ...
