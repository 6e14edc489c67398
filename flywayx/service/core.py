"""The session every command opens, and Flyway's info, validate and migrate.

A session gathers the connection, schemas, placeholders and scanned migrations once. The command
flows follow flyway-semantics.md §5; decisions live in ``plan/``, statements run in ``apply``.
baseline/repair/clean are in ``service/admin.py``; release lines in ``service/lines.py``; ``--resume``
and the guard against re-running a killed migration in ``service/resume.py``; creating the schemas and
the history table before the first migration in ``service/prepare.py``.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flywayx import apply
from flywayx.db.base import Database, HistoryTable
from flywayx.db.own_tables import OwnTables
from flywayx.errors import ConfigError, StateError, UsageError, ValidationError
from flywayx.model import Config, HistoryRow, Kind, Migration, MigrationType, Statement
from flywayx.model.info import State
from flywayx.model.patterns import IgnorePattern, parse_patterns
from flywayx.model.results import (
    TOOL_VERSION,
    AppliedItem,
    Header,
    InfoReport,
    InvalidMigration,
    MigrateReport,
    ValidateReport,
)
from flywayx.model.work import Work
from flywayx.plan.info import InfoOptions, InfoResult, compute_info
from flywayx.plan.mixed import check_mixed
from flywayx.plan.validate import ValidationIssue, validate_info
from flywayx.service.prepare import _prepare_history, _q, _schema_empty, announce
from flywayx.sources.checksum import read_migration_text
from flywayx.sources.placeholders import (
    builtin_placeholders,
    merge_placeholders,
    replace_placeholders,
    with_filename,
)
from flywayx.sources.scan import ScanResult, scan
from flywayx.sources.splitter import split

Reporter = apply.Reporter


@dataclass
class Session:
    """Everything a command needs, gathered once."""

    config: Config
    db: Database
    schemas: list[str]
    default_schema: str
    history: HistoryTable
    own: OwnTables
    found: ScanResult
    placeholders: dict[str, str]
    installed_by: str
    secrets: list[str] = field(default_factory=list)
    cleanups: list[Callable[[], None]] = field(default_factory=list)  # run when the session closes

    @property
    def dialect(self) -> str:
        return self.db.dialect

    def header(self) -> Header:
        return Header(self.db.database_name(), ", ".join(self.schemas), self.db.dialect)

    def rows(self) -> list[HistoryRow]:
        return self.history.rows() if self.history.exists() else []

    def info(self, *, target: str | None = None, out_of_order: bool | None = None,
             extra_rows: Sequence[HistoryRow] = ()) -> InfoResult:
        opts = InfoOptions(target=self.config.target if target is None else target,
                           out_of_order=self.config.out_of_order if out_of_order is None else out_of_order)
        return compute_info(self.found.migrations, [*self.rows(), *extra_rows], opts)


def _connect(config: Config) -> Database:
    from flywayx.db.connect import connect

    if config.url is None:
        raise UsageError("No database URL configured",
                         hint="pass --url (e.g. sqlite:///app.db, mysql://user@host/db) or set url in flyway.toml")
    return connect(config.url, user=config.user, password=config.password,
                   connect_retries=config.connect_retries,
                   connect_retries_interval=config.connect_retries_interval, init_sql=config.init_sql)


def _schemas(config: Config, db: Database) -> tuple[list[str], str]:
    schemas = list(config.schemas)
    default = config.default_schema or (schemas[0] if schemas else None) or db.current_schema()
    if not default:
        raise ConfigError("Unable to determine schema for the schema history table. Set a default schema for "
                          "the connection or specify one using the 'defaultSchema' property",
                          hint="put the database name in the URL or pass --schemas")
    if default not in schemas:
        schemas.insert(0, default)
    return schemas, default


@contextmanager
def session(config: Config) -> Iterator[Session]:
    """Connect, pick schemas, fill placeholders, scan locations; close on exit."""
    db = _connect(config)
    try:
        schemas, default = _schemas(config, db)
        installed_by = config.installed_by or db.current_user()
        builtins = builtin_placeholders(
            default_schema=default, user=db.current_user(), database=db.database_name(),
            timestamp=datetime.now(), working_directory=config.working_directory or os.getcwd(),
            table=config.table, environment=config.environment, separator=config.placeholder_separator)
        values = merge_placeholders(config.placeholder_map, builtins)
        found = scan(config, values)
        s = Session(config, db, schemas, default, db.history(default, config.table), OwnTables(db, default),
                    found, values, installed_by, [s for s in (config.password,) if s])
        try:
            yield s
        finally:
            for cleanup in s.cleanups:
                cleanup()
    finally:
        db.close()


# ---------------------------------------------------------------------------------------------------
# statements


def load_statements(m: Migration, config: Config, placeholders: dict[str, str], dialect: str) -> list[Statement]:
    """Read, replace placeholders (unless disabled) and split one SQL migration or callback."""
    text = read_migration_text(m.path, m.encoding, config.detect_encoding)
    replace = m.placeholder_replacement if m.placeholder_replacement is not None else config.placeholder_replacement
    if replace:
        filename = m.name.rebuilt_filename if m.name is not None else Path(m.path).name
        values = with_filename(placeholders, filename, config.placeholder_separator)
        text = replace_placeholders(text, values, config.placeholder_prefix, config.placeholder_suffix,
                                    config.placeholder_separator)
    statements = split(text, dialect, path=m.script)
    check_mixed(statements, config.mixed, m.script)
    return statements


def _work(s: Session, m: Migration, **extra: Any) -> Work:
    statements = None if m.is_python else load_statements(m, s.config, s.placeholders, s.dialect)
    return Work(m, statements, **extra)


def _callbacks(s: Session, report: Reporter) -> Callable[[str, Migration | None], None]:
    def fire(event: str, _m: Migration | None) -> None:
        if s.config.skip_default_callbacks:
            return
        for cb in s.found.callbacks.get(event, []):
            report("callback", {"event": event, "script": cb.script})
            for stmt in load_statements(cb, s.config, s.placeholders, s.dialect):
                s.db.execute(stmt.sql)
    return fire


def apply_options(s: Session, run_id: str | None, fire: Callable[[str, Migration | None], None]) -> apply.ApplyOptions:
    each = not s.config.skip_default_callbacks and any(
        s.found.callbacks.get(e) for e in ("beforeEachMigrateStatement", "afterEachMigrateStatement"))
    return apply.ApplyOptions(s.installed_by, s.default_schema, s.config.execute_in_transaction,
                              s.config.skip_executing_migrations, s.secrets, run_id, fire, each_statement=each)


# ---------------------------------------------------------------------------------------------------
# info / validate


def info(config: Config) -> InfoReport:
    from flywayx.service import resume  # resume imports this module

    with session(config) as s:
        _callbacks(s, apply._quiet)("beforeInfo", None)
        result = s.info(extra_rows=resume.interrupted_rows(s))  # a killed run's migration reads Failed
        current = result.current()
        empty = all(_schema_empty(s, name) for name in s.schemas)
        report = InfoReport(s.header(), list(result.migrations),
                            current.version.text if current and current.version else None, empty,
                            warnings=list(s.found.warnings),
                            undo={u.version.text: u.path for u in s.found.undo if u.version is not None})
        from flywayx.service import lines

        graph = lines.release_graph(s)
        if graph is not None:
            report.releases = lines.release_columns(s, graph)
            report.current_releases = lines.current(s, graph)
            report.phase_state = lines.phase_state(s)
        return report


def _patterns(config: Config, extra: Sequence[str] = ()) -> tuple[IgnorePattern, ...]:
    return parse_patterns([*config.ignore_migration_patterns, *extra]) if (config.ignore_migration_patterns or extra) \
        else ()


def _validation(s: Session, extra_patterns: Sequence[str] = ()) -> tuple[list[ValidationIssue], int]:
    if s.found.migrations and not s.db.schema_exists(s.default_schema) and "*:pending" not in extra_patterns:
        return [ValidationIssue("SCHEMA_DOES_NOT_EXIST", f"Schema {s.default_schema} doesn't exist yet",
                                None, "", "")], 0
    result = s.info()
    issues = validate_info(result, _patterns(s.config, extra_patterns))
    return issues, len([m for m in result.migrations if m.resolved is not None])


def validate(config: Config) -> ValidateReport:
    with session(config) as s:
        issues, count = _validation(s)
        warnings = [] if s.found.migrations else ["No migrations found. Are your locations set up correctly?"]
        invalid = [InvalidMigration(i.version, i.description, i.script, i.code, i.message) for i in issues]
        return ValidateReport(s.header(), invalid, count, warnings + list(s.found.warnings))


def validation_error(messages: Sequence[str]) -> ValidationError:
    body = "\n".join(messages)
    return ValidationError(f"Validate failed: Migrations have failed validation\n{body}",
                           hint="run `flywayx info` to see each migration's state; `flywayx repair` realigns "
                                "the history after an intended change", errors=list(messages))


# ---------------------------------------------------------------------------------------------------
# migrate


@dataclass(frozen=True)
class MigrateOptions:
    resume: bool = False
    dry_run: bool = False
    backup_dir: str | None = None
    to_release: str | None = None
    phase: str | None = None


def migrate(config: Config, options: MigrateOptions = MigrateOptions(),
            report: Reporter = apply._quiet) -> MigrateReport:
    """Flyway's migrate: validate, create schemas and history, apply pending migrations one by one."""
    from flywayx.service import resume  # resume imports this module

    started = time.monotonic()
    with session(config) as s:
        fire = _callbacks(s, report)
        if options.backup_dir is not None:
            _backup_first(s, options.backup_dir, report)
        if options.resume:
            resume.prepare_resume(s)
        else:
            with s.db.lock(s.default_schema, s.config.table, s.config.lock_timeout):
                resume.refuse_interrupted(s)
        if options.to_release is not None or options.phase in ("expand", "contract"):
            from flywayx.service import lines

            done = lines.migrate_to(s, options.to_release, options, options.phase, report)
            done.warnings.extend(_record_state(s, None))
            done.backup = _absolute(s.own.pending_backup)
            return done
        if config.validate_on_migrate:
            issues, _ = _validation(s, ["*:pending"])
            if issues:
                raise validation_error([i.message for i in issues])
        initial = _prepare_history(s)
        announce(s, report, initial)
        run_id = str(uuid.uuid4())
        s.own.start_run(run_id, from_release=None, to_release=None, phase=None, tool_version=TOOL_VERSION,
                        installed_by=s.installed_by)
        try:
            applied = _migrate_loop(s, fire, report, run_id, options)
        except Exception as err:
            _finish(s, run_id, "failed", str(err))
            raise
        _finish(s, run_id, "success", f"{len(applied)} applied")
        warnings = list(s.found.warnings) + _record_state(s, run_id)
        current = s.info().current()
        return MigrateReport(s.header(), initial, current.version.text if current and current.version else None,
                             applied, warnings, int((time.monotonic() - started) * 1000),
                             backup=_absolute(s.own.pending_backup))


def _absolute(path: str | None) -> str | None:
    return os.path.abspath(path) if path is not None else None


def _backup_first(s: Session, dest: str, report: Reporter) -> None:
    """migrate --backup: a checked dump before anything changes; any failure stops the migrate.
    Reports ``backup.done`` (where the dump went) or ``backup.skipped`` (nothing exists yet)."""
    from flywayx.service import safety

    taken = safety.backup_before_migrate(s, dest)
    s.own.pending_backup = str(taken.path) if taken is not None else None
    if taken is None:
        report("backup.skipped", {"dir": dest})
    else:
        report("backup.done", {"path": os.path.abspath(taken.path), "size": taken.size, "tool": taken.tool,
                               "schemas": list(taken.schemas)})


def _record_state(s: Session, run_id: str | None) -> list[str]:
    """Record the schema for `verify`; a failure here must not turn a successful migrate into an error."""
    from flywayx.errors import FlywayxError
    from flywayx.service import safety

    if not s.history.exists():
        return []
    try:
        safety.record_state(s, run_id)
    except FlywayxError as err:
        _finish_quietly(s)
        return [f"could not record the schema state for `flywayx verify`: {err.message}"]
    return []


def _finish_quietly(s: Session) -> None:
    try:
        s.db.rollback()
    except Exception:  # the connection may be gone; the warning says enough
        return


def _finish(s: Session, run_id: str, outcome: str, detail: str) -> None:
    try:
        s.db.rollback()
        s.own.finish_run(run_id, outcome, detail)
    except Exception:
        return


def _migrate_loop(s: Session, fire: Any, report: Reporter, run_id: str, options: MigrateOptions) -> list[AppliedItem]:
    from flywayx.service import resume

    fire("beforeMigrate", None)
    applied: list[AppliedItem] = []
    versioned_done = False
    opts = apply_options(s, run_id, fire)
    while True:
        with s.db.lock(s.default_schema, s.config.table, s.config.lock_timeout):
            result = s.info()
            _refuse_failed(s, result)
            if not options.resume:
                resume.refuse_interrupted(s)
            pending = result.pending()
            if not pending:
                break
            nxt = pending[0]
            assert nxt.resolved is not None
            if nxt.version is None and not versioned_done:
                fire("afterVersioned", None)
                fire("beforeRepeatables", None)
                versioned_done = True
            skip = resume.resume_skip(s, nxt.resolved) if options.resume else 0
            work = _work(s, nxt.resolved, out_of_order=_is_out_of_order(result, nxt.resolved), skip_statements=skip)
            done = apply.apply_one(s.db, s.history, s.own, work, opts, report)
            applied.append(AppliedItem(nxt.resolved, done.execution_time))
        if s.config.target.lower() == "next":
            break
    if not versioned_done:
        fire("afterVersioned", None)
    if applied:
        fire("afterMigrateApplied", None)
    fire("afterMigrate", None)
    s.db.commit()
    return applied


def _is_out_of_order(result: InfoResult, m: Migration) -> bool:
    current = result.current()
    return m.version is not None and current is not None and current.version is not None and m.version < current.version


def _refuse_failed(s: Session, result: InfoResult) -> None:
    failed = [m for m in result.failed() if not (m.state is State.FUTURE_FAILED and
                                                   any(p.state == "future" for p in _patterns(s.config)))]
    if not failed:
        return
    m = failed[0]
    what = f"migration to version {m.version}" if m.version is not None else f'repeatable migration ("{m.description}")'
    raise StateError(f"Schema {_q(s, s.default_schema)} contains a failed {what} !",
                     hint="fix the failed statement, then `flywayx migrate --resume` (MySQL/MariaDB) or "
                          "`flywayx repair` and migrate again")


__all__ = ["Kind", "MigrationType", "info", "migrate", "validate"]
