"""The session kernel every command shares: connection, schemas, placeholders, scanned migrations.

``session(config)`` gathers all of it once and closes the connection on exit. The helpers here are
what the command modules (``core``, ``admin``, ``lines``, ``steps``, ``resume``, ``prepare``, …) build
on: reading one migration's statements, the callback dispatcher, the options the engine applies
with, the ignore patterns. This module imports no other ``flywayx.service`` module (an
import-linter contract keeps it at the bottom of ``service/``), so nothing here can close a cycle.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flywayx.db.own_tables import OwnTables
from flywayx.errors import CallbackFailed, ConfigError, FlywayxError, UsageError
from flywayx.model import Config, HistoryRow, Migration, Statement
from flywayx.model.later import Later
from flywayx.model.patterns import IgnorePattern, parse_patterns
from flywayx.model.redact import redact_text
from flywayx.model.results import Header
from flywayx.plan.info import InfoOptions, InfoResult, compute_info
from flywayx.plugins import session_init_sql
from flywayx.sources.analysis_cache import AnalysisCache, open_cache
from flywayx.sources.checksum import read_migration_text
from flywayx.sources.file_index import open_index
from flywayx.sources.placeholders import (
    builtin_placeholders,
    merge_placeholders,
    replace_placeholders,
    with_filename,
)

if TYPE_CHECKING:  # what only migrate's path runs is imported there: info and validate load none of it
    # the scan is imported where it runs: a remembered answer (``answers``) needs none
    from flywayx.apply import ApplyOptions
    from flywayx.db.base import Database, HistoryTable
    from flywayx.model.work import Work
    from flywayx.sources.scan import ScanResult

Reporter = Callable[[str, dict[str, Any]], None]  # flywayx.apply.Reporter: (event, data) -> None
Fire = Callable[[str, Migration | None], None]


@dataclass
class Session:
    """Everything a command needs, gathered once."""

    config: Config
    db: Database
    schemas: list[str]
    default_schema: str
    history: HistoryTable
    own: OwnTables
    scanner: Callable[[], ScanResult]  # the scan of the locations, run once, on first use of ``found``
    placeholders: dict[str, str]
    installed_by: str
    secrets: list[str] = field(default_factory=list)
    cleanups: list[Callable[[], None]] = field(default_factory=list)  # run when the session closes
    cache: AnalysisCache | None = None  # the analysis cache (``--cache-dir``), None with ``--no-cache``
    statements: Later[tuple[str, list[Statement]]] = field(default_factory=Later)  # script -> (path, split)
    read_only: bool = False  # the connection refuses writes (``--dry-run``): the command writes nothing
    # why this run's answer must not be remembered (``service/answers.py``): it read something its key
    # does not cover (git's release tags)
    volatile: list[str] = field(default_factory=list)
    _found: ScanResult | None = field(default=None, repr=False)

    @property
    def found(self) -> ScanResult:
        """The migrations and callbacks in the locations (scanned when first asked for)."""
        if self._found is None:
            self._found = self.scanner()
        return self._found

    @property
    def dialect(self) -> str:
        return self.db.dialect

    def header(self) -> Header:
        return Header(self.db.database_name(), ", ".join(self.schemas), self.db.dialect)

    def rows(self) -> list[HistoryRow]:
        return self.history.rows() if self.history.exists() else []

    def info(
        self,
        *,
        target: str | None = None,
        out_of_order: bool | None = None,
        rows: Sequence[HistoryRow] | None = None,
        extra_rows: Sequence[HistoryRow] = (),
    ) -> InfoResult:
        """Flyway's info over ``rows`` (default: the history as it is now) plus ``extra_rows``."""
        opts = InfoOptions(
            target=self.config.target if target is None else target,
            out_of_order=self.config.out_of_order if out_of_order is None else out_of_order,
        )
        return compute_info(self.found.migrations, [*(self.rows() if rows is None else rows), *extra_rows], opts)

    def lock(self) -> AbstractContextManager[None]:
        """The migration lock of this schema's history table (Flyway-compatible; cluster-wide on Galera).
        Every command that writes takes it first, so a server that must not be written through (a
        replica, a read-only server, a Galera node not Synced: ``require_writable``) is refused here."""
        self.require_writable()
        return self.db.lock(self.default_schema, self.config.table, self.config.lock_timeout)

    def step_lock(self) -> AbstractContextManager[None]:
        """The lock the migrate loop takes around each step: released with the next statement
        (``Database.lock``'s ``lazy_release``), so a step costs no round trip of its own for it."""
        self.require_writable()
        return self.db.lock(self.default_schema, self.config.table, self.config.lock_timeout, lazy_release=True)

    def require_writable(self) -> None:
        """Raise the one-line refusal when this server may not be migrated (``flywayx.db.cluster``)."""
        refusal = self.db.cluster().refusal()
        if refusal is not None:
            raise refusal

    def quoted(self, name: str) -> str:
        return self.db.quote(name)

    def schema_empty(self, name: str) -> bool:
        return not self.db.schema_exists(name) or self.db.schema_is_empty(name)


def _connect(config: Config, read_only: bool = False) -> Database:
    from flywayx.db.connect import connect

    if config.url is None:
        raise UsageError(
            "No database URL configured",
            hint="pass --url (e.g. sqlite:///app.db, mysql://user@host/db) or set url in flyway.toml",
        )
    return connect(
        config.url,
        user=config.user,
        password=config.password,
        connect_retries=config.connect_retries,
        connect_retries_interval=config.connect_retries_interval,
        init_sql=session_init_sql(config.init_sql, os.environ),
        read_only=read_only,
        connect_timeout=config.connect_timeout,
        socket_timeout=config.socket_timeout,
    )


def _schemas(config: Config, db: Database) -> tuple[list[str], str]:
    schemas = list(config.schemas)
    default = config.default_schema or (schemas[0] if schemas else None) or db.current_schema()
    if not default:
        raise ConfigError(
            "Unable to determine schema for the schema history table. Set a default schema for "
            "the connection or specify one using the 'defaultSchema' property",
            hint="put the database name in the URL or pass --schemas",
        )
    if default not in schemas:
        schemas.insert(0, default)
    return schemas, default


@contextmanager
def session(config: Config, *, read_only: bool = False, scan_later: bool = False) -> Iterator[Session]:
    """Connect, pick schemas, fill placeholders, scan locations; close on exit. ``read_only``: the
    connection refuses writes (``--dry-run``; ``flywayx.db.connect.connect``). ``scan_later``: the
    locations are scanned when ``Session.found`` is first used (``service/answers.py`` answers
    from its memo without a scan), not before the session starts."""
    db = _connect(config, read_only)
    try:
        schemas, default = _schemas(config, db)
        installed_by = config.installed_by or db.current_user()
        builtins = builtin_placeholders(
            default_schema=default,
            user=db.current_user(),
            database=db.database_name(),
            timestamp=datetime.now(),
            working_directory=config.working_directory or os.getcwd(),
            table=config.table,
            environment=config.environment,
            separator=config.placeholder_separator,
        )
        values = merge_placeholders(config.placeholder_map, builtins)
        cache = open_cache(config.cache_dir, config.cache, os.environ)

        def scanner() -> ScanResult:
            from flywayx.sources.scan import scan

            index = open_index(cache.root.parent, config.locations, config.placeholder_prefix) if cache else None
            found = scan(config, values, index=index)
            if index is not None:
                index.save([m.path for m in (*found.migrations, *found.undo)])
            return found

        found = None if scan_later else scanner()
        history = db.history(default, config.table, config.tablespace)
        s = Session(
            config,
            db,
            schemas,
            default,
            history,
            OwnTables(db, default),
            scanner,
            values,
            installed_by,
            [s for s in (config.password,) if s],
            cache=cache,
            read_only=read_only,
            _found=found,
        )
        if cache is not None:
            s.cleanups.append(cache.close)  # touches what the run used (a forked worker writes its own)
        try:
            yield s
        finally:
            for cleanup in s.cleanups:
                cleanup()
    finally:
        db.close()


def file_text(s: Session, m: Migration) -> str:
    """The text of ``m``'s file, read once per run: the scan keeps what it read, and a file it did not
    read (unchanged since an earlier scan, ``sources/file_index.py``) is read here and kept."""
    text = s.found.texts.get(m.path)
    if text is None:
        text = s.found.texts[m.path] = read_migration_text(m.path, m.encoding, s.config.detect_encoding)
    return text


def sql_text(m: Migration, config: Config, placeholders: dict[str, str], text: str | None = None) -> str:
    """The text of a SQL migration or callback as it is split: read (unless ``text``, the file's text,
    is given), placeholders replaced unless disabled."""
    if text is None:
        text = read_migration_text(m.path, m.encoding, config.detect_encoding)
    replace = m.placeholder_replacement if m.placeholder_replacement is not None else config.placeholder_replacement
    prefix, suffix = config.placeholder_prefix, config.placeholder_suffix
    if replace and not (prefix and suffix and prefix not in text):  # without the prefix nothing changes
        filename = m.name.rebuilt_filename if m.name is not None else Path(m.path).name
        values = with_filename(placeholders, filename, config.placeholder_separator)
        text = replace_placeholders(
            text, values, config.placeholder_prefix, config.placeholder_suffix, config.placeholder_separator
        )
    return text


def load_statements(
    m: Migration, config: Config, placeholders: dict[str, str], dialect: str, text: str | None = None
) -> list[Statement]:
    """Read, replace placeholders (unless disabled) and split one SQL migration or callback; compile
    an operations file's part (``flywayx.operations``: no placeholders, the SQL is generated).
    ``text``: the file's text when the caller has it already (``ScanResult.texts``)."""
    from flywayx import operations
    from flywayx.plan.mixed import check_mixed
    from flywayx.statements.splitter import split

    if operations.is_operations(m.path):
        text = read_migration_text(m.path, m.encoding, config.detect_encoding) if text is None else text
        return operations.statements(text, m.path, m.script, dialect)
    statements = split(sql_text(m, config, placeholders, text), dialect, path=m.script)
    check_mixed(statements, config.mixed, m.script)
    return statements


def statements_of(s: Session, m: Migration) -> list[Statement] | None:
    """The statements ``m`` sends; None for a Python migration. Split once per run: what the analysis
    (``lines.analyse``) split already is taken from ``Session.statements``."""
    if m.is_python:
        return None
    known = s.statements.get(m.script)
    if known is not None and known[0] == m.path:
        return known[1]
    stmts = load_statements(m, s.config, s.placeholders, s.dialect, s.found.texts.get(m.path))
    s.statements[m.script] = (m.path, stmts)
    return stmts


def work_for(s: Session, m: Migration, **extra: Any) -> Work:
    """``m`` ready to apply: its statements loaded, ``extra`` as ``Work`` fields."""
    from flywayx.model.work import Work

    return Work(m, statements_of(s, m), **extra)


def callbacks(s: Session, report: Reporter) -> Fire:
    """The dispatcher of SQL callbacks (``beforeMigrate.sql`` …): runs every script of an event. A
    statement the server rejects raises ``CallbackFailed`` naming the script, so that a failure in
    ``beforeEachMigrate.sql`` is not reported as one of the migration's own statements."""

    def fire(event: str, _m: Migration | None) -> None:
        if s.config.skip_default_callbacks:
            return
        for cb in s.found.callbacks.get(event, []):
            report("callback", {"event": event, "script": cb.script})
            for stmt in load_statements(cb, s.config, s.placeholders, s.dialect):
                try:
                    s.db.execute(stmt.sql)
                except FlywayxError as err:
                    reason = redact_text((str(err).strip().splitlines() or [type(err).__name__])[0], s.secrets)
                    raise CallbackFailed(
                        f"Callback {cb.script} ({event}) failed at line {stmt.line}: {reason}",
                        hint=f"fix {cb.script}, then run the command again",
                        event=event,
                        callback=cb.script,
                        line=stmt.line,
                    ) from err

    return fire


def apply_options(s: Session, run_id: str | None, fire: Fire) -> ApplyOptions:
    from flywayx import apply

    each = not s.config.skip_default_callbacks and any(
        s.found.callbacks.get(e) for e in ("beforeEachMigrateStatement", "afterEachMigrateStatement")
    )
    return apply.ApplyOptions(
        s.installed_by,
        s.default_schema,
        s.config.execute_in_transaction,
        s.config.skip_executing_migrations,
        s.secrets,
        run_id,
        fire,
        each_statement=each,
    )


def ignore_patterns(config: Config, extra: Sequence[str] = ()) -> tuple[IgnorePattern, ...]:
    """``ignoreMigrationPatterns`` plus ``extra`` (e.g. ``*:pending`` for migrate's validation)."""
    return (
        parse_patterns([*config.ignore_migration_patterns, *extra])
        if (config.ignore_migration_patterns or extra)
        else ()
    )


__all__ = [
    "Fire",
    "Reporter",
    "Session",
    "apply_options",
    "callbacks",
    "ignore_patterns",
    "load_statements",
    "session",
    "sql_text",
    "statements_of",
    "work_for",
]
