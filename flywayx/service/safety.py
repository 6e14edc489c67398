"""Never lose a database: backups before migrate, restore, and ``verify`` (live schema vs. history).

- ``backup_before_migrate(s, dest)``: a checked dump (``flywayx.db.backup``) of the session's existing
  schemas, taken before migrate changes anything; its path is recorded in ``flywayx_runs.backup``.
- ``record_state(s, run_id, rows)``: at the end of a successful migrate that changed the history (or
  finds the last record belonging to another history), the schema fingerprint and a digest of the
  history it belongs to are stored in ``flywayx_schema_state`` (``own_tables``). A migrate that
  applied nothing to a history already recorded takes no fingerprint: the record stays the schema
  the history produced, so ``verify`` still reports changes made by hand since.
- ``verify(config)``: compares the live schema with the last recorded state and lists every drift
  (objects added, missing, changed by hand). A record whose history digest differs from today's
  history is reported as stale: migrations ran without flywayx recording a state (plain Flyway).
- ``restore(config, path)``: puts a backup back (``flywayx.db.restore``), atomically, into the database
  the URL names, so the user can retry.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flywayx.errors import StateError, UsageError
from flywayx.model import Config, HistoryRow
from flywayx.model.results import Header
from flywayx.service.kernel import Session, session

# A migrate with nothing to do only compares history digests (``record_state``): the dump and restore
# clients and the fingerprint readers are imported by the functions that use them.
if TYPE_CHECKING:
    from flywayx.db.backup import BackupInfo
    from flywayx.model.config import DatabaseUrl
    from flywayx.model.fingerprint import Drift, SchemaFingerprint


def _url(config: Config) -> DatabaseUrl:
    """The configured URL with a separately configured user folded in (clients need one URL)."""
    if config.url is None:
        raise UsageError("No database URL configured", hint="pass --url or set url in flyway.toml")
    if config.user and not config.url.user:
        return dataclasses.replace(config.url, user=config.user)
    return config.url


# ---------------------------------------------------------------------------------------------------
# backup before migrate / restore


def backup_before_migrate(s: Session, dest: str) -> BackupInfo | None:
    """Dump the session's schemas that exist into ``dest``; None when none exists yet (nothing to lose).

    Raises ToolMissing (client not installed), BackupFailed (incomplete dump) or ConnectionFailed;
    migrate must stop on any of them before it changes the database.
    """
    from flywayx.db import timeouts
    from flywayx.db.backup import backup as take_backup

    existing = [n for n in s.schemas if s.db.schema_exists(n)]
    s.db.rollback()  # end the read transaction: the dump runs on its own connection
    if not existing:
        return None
    names = [] if s.dialect == "sqlite" else existing
    url = _url(s.config)
    limits = timeouts.resolve(url.dialect, url.params, s.config.connect_timeout, s.config.socket_timeout)
    with _kept_alive(s, limits.idle_expiry / 3):
        return take_backup(url, s.config.password, names, Path(dest), limits)


@contextmanager
def _kept_alive(s: Session, every: float) -> Iterator[None]:
    """While the dump runs (minutes, maybe), the session holding the migration lock sits idle; with a
    socket limit the server ends it after ``Timeouts.idle_expiry`` (db/timeouts.py). A trivial query
    every ``every`` seconds (0: none) keeps it alive; the caller does not touch the session meanwhile."""
    if every <= 0:
        yield
        return
    done = threading.Event()

    def ping() -> None:
        while not done.wait(every):
            try:
                s.db.query("SELECT 1")
                s.db.rollback()
            except Exception:  # the session is gone: migrate's next statement says so
                return

    thread = threading.Thread(target=ping, name="flywayx-backup-keepalive", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def backup_preview(s: Session) -> list[str]:
    """``migrate --backup --dry-run``: the schemas the backup would dump, after checking that the
    client is installed (ToolMissing otherwise, as the real run would fail)."""
    from flywayx.db.backup import client_tools

    client_tools(_url(s.config))
    existing = [n for n in s.schemas if s.db.schema_exists(n)]
    return [] if s.dialect == "sqlite" else existing


@dataclass(frozen=True)
class RestoreReport:
    path: str
    dialect: str
    schemas: tuple[str, ...]
    taken: str
    dry_run: bool = False
    targets: tuple[str, ...] = ()  # where each of ``schemas`` went (MySQL database, PostgreSQL db.schema, file)
    recovered: tuple[str, ...] = ()  # killed restores' swaps finished or rolled back first (what was done)

    def to_json(self) -> dict[str, Any]:
        out = {
            "operation": "restore",
            "backup": self.path,
            "dialect": self.dialect,
            "schemas": list(self.schemas),
            "targets": list(self.targets),
            "backupTaken": self.taken,
            "recovered": list(self.recovered),
            "success": True,
        }
        return {**out, "dryRun": True} if self.dry_run else out


def restore(config: Config, backup_path: str, *, force: bool = False, dry_run: bool = False) -> RestoreReport:
    """Put the dump at ``backup_path`` into the database the URL names, atomically, then check it.

    The manifest's database is only the default (MySQL: when the URL names none). Refuses a dump that
    no longer matches its manifest, and a target that holds anything unless ``force``; raises
    BackupFailed when the restored schema differs from the fingerprint saved with the backup.
    ``dry_run``: every check before the restore (file, manifest, digest, dialect, clients, target),
    and nothing replaced.
    """
    from flywayx.db import timeouts
    from flywayx.db.backup import BackupInfo
    from flywayx.db.restore import restore as put_back

    path = Path(backup_path)
    if not path.is_file():
        raise UsageError(
            f"backup file {backup_path} not found",
            hint="pass the dump file written by `migrate --backup DIR` (not its manifest)",
        )
    BackupInfo.load(path)
    if not dry_run:
        _require_writable(config)
    url = _url(config)
    limits = timeouts.resolve(url.dialect, url.params, config.connect_timeout, config.socket_timeout)
    done = put_back(path, url, config.password, force=force, dry_run=dry_run, limits=limits)
    info = done.info
    recovered = tuple(r.describe(dry_run) for r in done.recovered)
    return RestoreReport(
        str(path),
        info.dialect,
        info.schemas,
        info.finished,
        dry_run,
        tuple(done.targets[s] for s in info.schemas if s in done.targets),
        recovered,
    )


def _require_writable(config: Config) -> None:
    """Refuse a restore through a server that must not be written, exactly as ``migrate`` refuses it
    (a replica, a standby, a read-only server, a Galera node not Synced: ``ClusterInfo.refusal``)."""
    url = _url(config)
    if url.dialect == "sqlite":
        return
    from flywayx.db.connect import connect

    mysql = url.dialect in ("mysql", "mariadb")
    probe_url = dataclasses.replace(url, database=None) if mysql else url  # the target may not exist
    db = connect(
        probe_url,
        user=config.user,
        password=config.password,
        read_only=True,
        connect_timeout=config.connect_timeout,
        socket_timeout=config.socket_timeout,
    )
    try:
        refusal = db.cluster().refusal()
    finally:
        db.close()
    if refusal is not None:
        message = refusal.message.replace("refusing to migrate through it", "refusing to restore through it")
        raise StateError(message.replace("refusing to migrate it", "refusing to restore into it"), hint=refusal.hint)


# ---------------------------------------------------------------------------------------------------
# recorded state and verify


def history_digest(rows: list[HistoryRow]) -> str:
    """A digest of what the history says was applied (rank, version, script, checksum, success)."""
    h = hashlib.sha256()
    for r in rows:
        h.update(
            f"{r.installed_rank}|{r.version.text if r.version else ''}|{r.script}|{r.checksum}|"
            f"{int(r.success)}\n".encode()
        )
    return h.hexdigest()


def live_fingerprint(s: Session) -> SchemaFingerprint:
    """The live schema of the session's schemas, without Flyway's and flywayx's own tables."""
    from flywayx.db.fingerprint import fingerprint

    names = ["main"] if s.dialect == "sqlite" else [n for n in s.schemas if s.db.schema_exists(n)]
    try:
        with s.db.reads() as conn:  # bounded by the socket limit as every statement is
            return fingerprint(conn, s.dialect, names, exclude_tables=(s.config.table, "flywayx_*"))
    finally:
        s.db.rollback()  # fingerprinting only reads; leave no transaction open


def record_state(s: Session, run_id: str | None, rows: list[HistoryRow], *, changed: bool = True) -> bool:
    """Store the live fingerprint with the digest of ``rows``, the history it belongs to (end of
    migrate; the caller knows the history, nothing is read back). ``changed`` False (nothing was
    applied): only when the last record belongs to another history. True when a state was recorded."""
    digest = history_digest(rows)
    if not changed:
        last = s.own.last_state(fingerprint=False)
        if last is not None and last["history_digest"] == digest:
            return False
    body = live_fingerprint(s).to_json(indent=None)  # the digest is the sha256 of this very text
    s.own.record_state(
        run_id, rows[-1].installed_rank if rows else 0, digest, hashlib.sha256(body.encode("utf-8")).hexdigest(), body
    )
    s.db.commit()
    return True


@dataclass
class VerifyReport:
    """``drifts`` empty means the live schema is what the history says it should be."""

    header: Header
    recorded_run: str | None
    recorded_at: str
    expected_digest: str
    actual_digest: str
    drifts: list[Drift]
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.drifts

    def to_json(self) -> dict[str, Any]:
        return {
            "operation": "verify",
            "success": self.ok,
            "database": self.header.database,
            "schemaName": self.header.schema_name,
            "recordedRun": self.recorded_run,
            "recordedAt": self.recorded_at,
            "expectedDigest": self.expected_digest,
            "actualDigest": self.actual_digest,
            "warnings": self.warnings,
            "drift": [
                {
                    "path": d.path,
                    "kind": d.kind,
                    "attribute": d.attribute,
                    "expected": d.expected,
                    "actual": d.actual,
                    "text": str(d),
                }
                for d in self.drifts
            ],
        }


def verify(config: Config) -> VerifyReport:
    """Compare the live schema with the state recorded by the last successful migrate."""
    from flywayx.model.fingerprint import SchemaFingerprint, diff

    with session(config) as s:
        state = s.own.last_state() if s.history.exists() and s.own.exists() else None
        if state is None:
            raise StateError(
                "Nothing to verify against: no schema state has been recorded here",
                hint="flywayx records the schema at the end of each `flywayx migrate`; run it first",
            )
        expected = SchemaFingerprint.from_json(state["fingerprint"])
        actual = live_fingerprint(s)
        warnings = []
        if state["history_digest"] != history_digest(s.rows()):
            warnings.append(
                "the schema history changed since the state was recorded (migrations applied "
                "outside flywayx?); drift below may be those migrations — run `flywayx migrate` "
                "to record a new state"
            )
        return VerifyReport(
            s.header(),
            state["run_id"],
            state["recorded_at"],
            expected.digest,
            actual.digest,
            diff(expected, actual),
            warnings,
        )


__all__ = [
    "RestoreReport",
    "VerifyReport",
    "backup_before_migrate",
    "backup_preview",
    "history_digest",
    "live_fingerprint",
    "record_state",
    "restore",
    "verify",
]
