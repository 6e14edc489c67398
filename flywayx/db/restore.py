"""Restore a backup taken by ``flywayx.db.backup``: into the database the URL names, atomically.

``restore(path, url, password, force=..., dry_run=...)`` checks the dump against its manifest
(sha256, dialect), works out the target, refuses a target that holds anything unless ``force``,
then puts the backup back so that, whatever happens to the process, the target is either what it
was or the whole backup -- never half of each:

- MySQL/MariaDB (``flywayx.db.restore_mysql``): the dump is loaded with ``mariadb`` into a scratch
  database ``<target>__fx_restore``, checked against the fingerprint saved with the backup, then
  swapped in: one ``RENAME TABLE`` moves every table of the target out to ``<target>__fx_previous``
  and every table of the scratch database in (a single atomic statement); the views, triggers,
  routines and events follow, then both side databases are dropped.
- PostgreSQL (``flywayx.db.restore_pg``): ``pg_restore`` turns the dump into SQL that flywayx runs
  over its own connection in one transaction, after ``DROP SCHEMA ... CASCADE; CREATE SCHEMA ...``
  for each schema, and checks against the saved fingerprint *before* the commit: a failure, a
  difference or a kill rolls everything back.
- SQLite: the dump's integrity is checked, then the backup API copies it over the target in one
  write transaction (SQLite's journal makes the copy atomic).

Target: MySQL -- the URL's database (a one-database backup may go under any name; the manifest's
name is the default when the URL names none); PostgreSQL -- the backed-up schemas in the URL's
database; SQLite -- the URL's file. The clients die with flywayx, so a killed restore leaves no
client running to finish it unsupervised. Afterwards the restored schema is compared with the
saved fingerprint (BackupFailed naming the drift).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flywayx.db import clients
from flywayx.db.backup import BackupInfo, file_digest, sqlite_copy
from flywayx.db.clients import BackupFailed
from flywayx.db.fingerprint import fingerprint
from flywayx.db.restore_mysql import Interrupted, interrupted_mysql, mysql_targets, occupied_mysql, restore_mysql
from flywayx.db.restore_pg import restore_pg
from flywayx.db.timeouts import Bounded, Timeouts, Watchdog, resolve
from flywayx.errors import FlywayxError, StateError, UsageError
from flywayx.model.config import DatabaseUrl
from flywayx.model.fingerprint import SchemaFingerprint, diff


@dataclass(frozen=True)
class Restored:
    """What a restore did (or, dry, would do): the backup and where it went (source -> target), and
    the swaps of killed restores it finished or rolled back first (MySQL/MariaDB)."""

    info: BackupInfo
    targets: dict[str, str]
    recovered: tuple[Interrupted, ...] = ()


def restore(
    backup_path: Path,
    url: DatabaseUrl,
    password: str | None,
    *,
    force: bool = False,
    dry_run: bool = False,
    limits: Timeouts | None = None,
) -> Restored:
    """Put the backup at ``backup_path`` into the database at ``url`` (see the module docstring).

    Raises ToolMissing (client absent), BackupFailed (dump changed, a client failed, restored schema
    differs), UsageError (dialect mismatch, no target), StateError (target not empty without
    ``force``; an earlier restore interrupted during its swap). ``dry_run``: every check up to the
    first change, nothing changed. ``limits``: the connect and socket limits (PostgreSQL's load is
    bounded by them; default: the URL's JDBC parameters). A server that stops answering ends it with
    BackupFailed, the target as it was (or its swap journaled, for the next restore to finish).
    """
    family = clients.family(url)
    tools = clients.tools(family, restore=True)
    info = BackupInfo.load(backup_path)
    if info.dialect != family:
        raise UsageError(f"backup {backup_path.name} is a {info.dialect} dump; the target is {family}")
    if file_digest(backup_path)[1] != info.sha256:
        raise BackupFailed(
            f"backup {backup_path} does not match its manifest (sha256 differs)",
            hint="the file was changed or truncated after the backup; use another backup",
        )
    secret = password if password is not None else url.password
    targets = _targets(info, url)
    limits = limits or resolve(url.dialect, url.params, None, None)
    try:
        return _restore(info, tools, family, url, secret, targets, force=force, dry_run=dry_run, limits=limits)
    except FlywayxError:
        raise
    except Exception as err:  # a driver's: the socket limit fired (PyMySQL's own), or the connection broke
        reason = clients.first_lines(clients.redact(str(err), secret))
        raise _stopped(limits.stalled() if limits.socket > 0 and "timed out" in reason else reason) from None


def _stopped(reason: str) -> BackupFailed:
    return BackupFailed(
        f"restore stopped: {reason}",
        hint="check the server and the network path to it, then run the same restore again: the target is "
        "as it was, or a swap under way is finished or rolled back from its journal; raise socketTimeout "
        "if the server legitimately pauses longer",
    )


def _restore(
    info: BackupInfo,
    tools: list[str],
    family: str,
    url: DatabaseUrl,
    secret: str | None,
    targets: dict[str, str],
    *,
    force: bool,
    dry_run: bool,
    limits: Timeouts,
) -> Restored:
    backup_path = info.path
    recovered: tuple[Interrupted, ...] = ()
    if family == "mysql":  # a killed restore's swap: finished or rolled back from its journal first
        recovered = tuple(interrupted_mysql(url, secret, list(targets.values()), dry_run=dry_run, limits=limits))
        if (
            recovered
            and not dry_run
            and all(r.swapped and r.sha256 == info.sha256 for r in recovered)
            and len(recovered) == len(targets)
        ):
            _check_restored(info, url, secret, targets, limits)  # that restore was of this very backup: done
            return Restored(info, targets, recovered)
    occupied = [] if dry_run and recovered else _occupied(family, url, secret, targets, limits)
    if occupied and not force:
        raise StateError(
            f"restore would replace {'; '.join(occupied)}",
            hint="pass --force to replace it with the backup (or name an empty database in the URL)",
        )
    if dry_run:
        return Restored(info, targets, recovered)
    if family == "mysql":
        restore_mysql(tools, url, secret, backup_path, targets, _saved(info), info.sha256, limits)
    elif family == "postgresql":
        restore_pg(tools[0], url, secret, info.schemas, backup_path, _saved(info), limits)
    else:
        _restore_sqlite(backup_path, url)
    _check_restored(info, url, secret, targets, limits)
    return Restored(info, targets, recovered)


def _targets(info: BackupInfo, url: DatabaseUrl) -> dict[str, str]:
    if info.dialect == "mysql":
        return mysql_targets(info.schemas, url.database)
    if info.dialect == "postgresql":
        database = clients.pg_database(url)
        return {s: f"{database}.{s}" for s in info.schemas}
    return {"main": clients.sqlite_path(url)}


def _occupied(
    family: str, url: DatabaseUrl, secret: str | None, targets: dict[str, str], limits: Timeouts | None
) -> list[str]:
    """Each target that holds something, described ("database app (3 tables, 1 view)")."""
    if family == "mysql":
        with clients.connection(url, secret, limits=limits) as conn:
            return occupied_mysql(conn, list(targets.values()))
    if family == "postgresql":
        with (
            clients.connection(url, secret, limits=limits) as conn,
            _guarded(conn, limits) as reads,
            closing(reads.cursor()) as cur,
        ):
            found = []
            for schema in targets:
                cur.execute(
                    "SELECT (SELECT COUNT(*) FROM pg_class c WHERE c.relnamespace = n.oid),"
                    " (SELECT COUNT(*) FROM pg_proc p WHERE p.pronamespace = n.oid)"
                    " FROM pg_namespace n WHERE n.nspname = %s",
                    (schema,),
                )
                row = cur.fetchone()
                if row and (row[0] or row[1]):
                    found.append(f"schema {schema} of database {url.database} ({row[0]} relations, {row[1]} routines)")
            return found
    path = Path(clients.sqlite_path(url))
    if not path.exists() or path.stat().st_size == 0:
        return []
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
        count = conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
    return [f"SQLite database {path} ({count} objects)"] if count else []


def _saved(info: BackupInfo) -> SchemaFingerprint | None:
    try:
        return SchemaFingerprint.from_json(info.fingerprint_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None  # older backups without a saved fingerprint: the client's exit code is all we have


def _check_restored(
    info: BackupInfo, url: DatabaseUrl, secret: str | None, targets: dict[str, str], limits: Timeouts | None
) -> None:
    saved = _saved(info)
    if saved is None:
        return
    names = list(targets.values()) if info.dialect == "mysql" else list(info.schemas)
    with clients.connection(url, secret, limits=limits) as conn, _guarded(conn, limits) as reads:
        now = fingerprint(reads, info.dialect, names)
    if info.dialect == "mysql":
        now = now.renamed({t: s for s, t in targets.items()})
    drift = diff(saved, now)
    if drift:
        shown = "; ".join(str(d) for d in drift[:10]) + (" ..." if len(drift) > 10 else "")
        raise BackupFailed(f"restored schema differs from the backup: {shown}", drift=[str(d) for d in drift])


@contextmanager
def _guarded(conn: Any, limits: Timeouts | None) -> Iterator[Any]:
    """``conn`` with the socket limit on each of its waits (psycopg has none; PyMySQL's is set)."""
    if limits is None or not limits.socket or isinstance(conn, sqlite3.Connection) or not hasattr(conn, "pgconn"):
        yield conn
        return
    dog = Watchdog(limits.socket, conn.fileno)
    try:
        yield Bounded(conn, dog)  # each answer within the limit
    except FlywayxError:
        raise
    except Exception:
        if dog.fired:
            raise _stopped(limits.stalled()) from None
        raise
    finally:
        dog.close()


# ---------------------------------------------------------------- SQLite


def _restore_sqlite(path: Path, url: DatabaseUrl) -> None:
    """Check the dump, then copy it over the target in one write transaction."""
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as dump:
        result = [r[0] for r in dump.execute("PRAGMA integrity_check")]
    if result != ["ok"]:
        raise BackupFailed(f"SQLite integrity check of {path} failed: {'; '.join(map(str, result[:5]))}")
    sqlite_copy(str(path), clients.sqlite_path(url))


__all__ = ["Restored", "restore"]
