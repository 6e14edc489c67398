"""MySQL/MariaDB restore: load into a scratch database, check it, swap it in with one RENAME TABLE.

For each backed-up database ``source`` going to ``target`` (``mysql_targets``):

1. ``<target>__fx_restore`` (a leftover of a killed restore is dropped first) receives the dump,
   fed to ``mariadb`` with its ``CREATE DATABASE``/``USE``/``ALTER DATABASE`` lines renamed; the
   target is not touched while the data loads, so a failure or a kill here leaves it as it was.
2. The scratch database must match the fingerprint saved with the backup (else it is dropped and
   the restore refused, target unchanged).
3. The swap: triggers are set aside (MySQL cannot move a table with triggers to another database),
   then ONE ``RENAME TABLE`` statement moves every table of the target to ``<target>__fx_previous``
   and every table of the scratch database into the target -- the atomic step. The target's old
   views, routines and events are dropped and the backup's created (views, triggers, routines,
   events, each with the ``sql_mode`` it was defined under), the database's default character set
   follows the backup's, and both side databases are dropped.

If the RENAME fails, the target's triggers are put back and nothing else changed. A process killed
between the RENAME and the end of step 3 (milliseconds of DDL) leaves ``<target>__fx_previous``
behind; the next restore refuses to start until an operator has looked at it (``occupied_mysql``).
The user needs CREATE and DROP on the two side databases.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flywayx.db import clients
from flywayx.db.clients import BackupFailed
from flywayx.db.fingerprint import fingerprint
from flywayx.errors import StateError, UsageError
from flywayx.model.config import DatabaseUrl
from flywayx.model.fingerprint import SchemaFingerprint, diff

SCRATCH, PREVIOUS = "__fx_restore", "__fx_previous"
_TABLE_TYPES = ("BASE TABLE", "SEQUENCE", "SYSTEM VERSIONED")
_REWRITTEN = (b"CREATE DATABASE", b"USE ", b"ALTER DATABASE")


def side(target: str, suffix: str) -> str:
    """The scratch or previous database beside ``target`` (within MySQL's 64-character limit)."""
    return target[: 64 - len(suffix)] + suffix


def mysql_targets(schemas: Sequence[str], url_database: str | None) -> dict[str, str]:
    """source -> target database: a one-database backup goes to the URL's database (default: its own
    name); a several-database backup goes back under the names it has."""
    if len(schemas) == 1:
        return {schemas[0]: url_database or schemas[0]}
    if url_database and url_database not in schemas:
        raise UsageError(f"the backup holds {len(schemas)} databases ({', '.join(schemas)}); each is restored "
                         f"under its own name, not into {url_database}",
                         hint="use a URL without a database (or naming one of them)")
    return {s: s for s in schemas}


def _rows(conn: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with closing(conn.cursor()) as cur:
        cur.execute(sql, tuple(params) or None)
        return [tuple(r) for r in cur.fetchall()] if cur.description else []


def _exists(conn: Any, database: str) -> bool:
    return bool(_rows(conn, "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (database,)))


def occupied_mysql(conn: Any, targets: Sequence[str]) -> list[str]:
    """Each target database that holds something, described. StateError when an earlier restore
    was killed during its swap (its ``__fx_previous`` database is still there)."""
    found = []
    for target in targets:
        previous = side(target, PREVIOUS)
        if _exists(conn, previous):
            raise StateError(f"an earlier restore into {target} was interrupted during its swap: the database as it "
                             f"was before that restore is in {previous}",
                             hint=f"check {target} and {previous}, keep what you need, then DROP DATABASE "
                                  f"{clients.mysql_ident(previous)} and run restore again")
        counts = _rows(conn, "SELECT (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s),"
                             " (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s),"
                             " (SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %s)",
                       (target,) * 3)[0]
        if any(counts):
            found.append(f"database {target} ({counts[0]} tables and views, {counts[1]} routines, "
                         f"{counts[2]} events)")
    return found


def restore_mysql(tools: list[str], url: DatabaseUrl, secret: str | None, dump: Path, targets: dict[str, str],
                  saved: SchemaFingerprint | None) -> None:
    """Steps 1-3 of the module docstring for every source -> target of ``targets``."""
    scratch = {source: side(target, SCRATCH) for source, target in targets.items()}
    with clients.connection(url, secret) as conn:
        for name in scratch.values():
            _rows(conn, f"DROP DATABASE IF EXISTS {clients.mysql_ident(name)}")  # a killed restore's leftover
    try:
        _load(tools[0], url, secret, dump, scratch)
        with clients.connection(url, secret) as conn:
            if saved is not None:
                loaded = fingerprint(conn, "mysql", list(scratch.values()))
                drift = diff(saved, loaded.renamed({s: src for src, s in scratch.items()}))
                if drift:
                    raise BackupFailed(f"the backup loaded into {', '.join(scratch.values())} differs from the "
                                       f"schema saved with it: {'; '.join(map(str, drift[:5]))}; the target is "
                                       "unchanged", hint="the dump or the server lost something: use another backup")
    except BaseException:
        with clients.connection(url, secret) as conn:
            for name in scratch.values():
                _rows(conn, f"DROP DATABASE IF EXISTS {clients.mysql_ident(name)}")
        raise
    with clients.connection(url, secret) as conn:
        for source, target in targets.items():
            _swap(conn, scratch[source], target)


def _load(client: str, url: DatabaseUrl, secret: str | None, dump: Path, scratch: dict[str, str]) -> None:
    """Feed the dump to ``mariadb`` with the source databases renamed to their scratch names."""
    renames = [(clients.mysql_ident(src).encode(), clients.mysql_ident(dst).encode()) for src, dst in scratch.items()]
    with clients.mysql_auth(secret) as auth:
        cmd = [client, *auth, *clients.mysql_args(url), "--binary-mode"]
        with tempfile.TemporaryFile() as errors:  # a file, not a pipe: the client never blocks on it
            proc = clients.spawn(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors)
            assert proc.stdin is not None
            try:
                with dump.open("rb") as fh, proc.stdin:
                    for line in fh:
                        stripped = line.lstrip()
                        if stripped.startswith(_REWRITTEN) or (stripped.startswith(b"/*!")
                                                               and b"ALTER DATABASE" in line):
                            for old, new in renames:
                                line = line.replace(old, new)
                        proc.stdin.write(line)
            except BrokenPipeError:
                pass  # the client stopped early: its exit code and stderr say why
            finally:
                proc.wait()
            errors.seek(0)
            err = errors.read()
    if proc.returncode != 0:
        raise clients.failed(cmd, proc.returncode, err, secret)


@dataclass
class _Objects:
    """A database's objects: tables by name; views, triggers, routines, events as CREATE statements
    each with the sql_mode (and time zone, for events) it needs."""

    tables: list[str] = field(default_factory=list)
    views: list[str] = field(default_factory=list)
    triggers: list[tuple[str, str, str]] = field(default_factory=list)  # (name, sql_mode, ddl)
    routines: list[tuple[str, str, str, str]] = field(default_factory=list)  # (type, name, sql_mode, ddl)
    events: list[tuple[str, str, str, str]] = field(default_factory=list)  # (name, sql_mode, time_zone, ddl)


def _objects(conn: Any, db: str) -> _Objects:
    out = _Objects()
    if not _exists(conn, db):
        return out
    _rows(conn, f"USE {clients.mysql_ident(db)}")  # SHOW CREATE then leaves names unqualified
    for name, kind in _rows(conn, "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES"
                                  " WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME", (db,)):
        if kind == "VIEW":
            out.views.append(str(_rows(conn, f"SHOW CREATE VIEW {clients.mysql_ident(name)}")[0][1]))
        elif kind in _TABLE_TYPES:
            out.tables.append(str(name))
    for (name,) in _rows(conn, "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %s"
                               " ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER",
                         (db,)):
        row = _rows(conn, f"SHOW CREATE TRIGGER {clients.mysql_ident(name)}")[0]
        out.triggers.append((str(name), str(row[1]), str(row[2])))
    for kind, name in _rows(conn, "SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES"
                                  " WHERE ROUTINE_SCHEMA = %s ORDER BY ROUTINE_TYPE, ROUTINE_NAME", (db,)):
        row = _rows(conn, f"SHOW CREATE {kind} {clients.mysql_ident(name)}")[0]
        if row[2] is None:
            raise BackupFailed(f"cannot read the definition of {kind.lower()} {db}.{name} (no privilege)")
        out.routines.append((str(kind), str(name), str(row[1]), str(row[2])))
    for (name,) in _rows(conn, "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %s"
                               " ORDER BY EVENT_NAME", (db,)):
        row = _rows(conn, f"SHOW CREATE EVENT {clients.mysql_ident(name)}")[0]
        out.events.append((str(name), str(row[1]), str(row[2]), str(row[3])))
    return out


@contextmanager
def _session(conn: Any) -> Iterator[None]:
    """Keep the session's sql_mode, time zone and FK checks as they were after the swap."""
    mode, zone = _rows(conn, "SELECT @@SESSION.sql_mode, @@SESSION.time_zone")[0]
    _rows(conn, "SET SESSION foreign_key_checks = 0")
    try:
        yield
    finally:
        _rows(conn, "SET SESSION sql_mode = %s, time_zone = %s, foreign_key_checks = 1", (mode, zone))


def _create(conn: Any, sql_mode: str, ddl: str, time_zone: str | None = None) -> None:
    _rows(conn, "SET SESSION sql_mode = %s", (sql_mode,))
    if time_zone is not None:
        _rows(conn, "SET SESSION time_zone = %s", (time_zone,))
    _rows(conn, ddl)  # no parameters: PyMySQL leaves % in the DDL alone


def _swap(conn: Any, scratch: str, target: str) -> None:
    """Step 3 of the module docstring for one database."""
    q = clients.mysql_ident
    new, old = _objects(conn, scratch), _objects(conn, target)
    charset, collation = _rows(conn, "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM"
                                     " information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (scratch,))[0]
    previous = side(target, PREVIOUS)
    with _session(conn):
        _rows(conn, f"CREATE DATABASE IF NOT EXISTS {q(target)} CHARACTER SET {charset} COLLATE {collation}")
        _rows(conn, f"CREATE DATABASE {q(previous)}")
        _rows(conn, f"USE {q(scratch)}")
        for name, _, _ in new.triggers:
            _rows(conn, f"DROP TRIGGER {q(name)}")
        _rows(conn, f"USE {q(target)}")
        for name, _, _ in old.triggers:
            _rows(conn, f"DROP TRIGGER {q(name)}")
        moves = [f"{q(target)}.{q(t)} TO {q(previous)}.{q(t)}" for t in old.tables]
        moves += [f"{q(scratch)}.{q(t)} TO {q(target)}.{q(t)}" for t in new.tables]
        try:
            if moves:
                _rows(conn, "RENAME TABLE " + ", ".join(moves))  # the one atomic step
        except Exception as err:
            for _, mode, ddl in old.triggers:
                _create(conn, mode, ddl)
            _rows(conn, f"DROP DATABASE {q(previous)}")
            _rows(conn, f"DROP DATABASE {q(scratch)}")
            raise BackupFailed(f"restore could not swap the backup into {target}: {err}; {target} is unchanged"
                               ) from err
        for view in _rows(conn, "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s", (target,)):
            _rows(conn, f"DROP VIEW {q(view[0])}")
        for kind, name, _, _ in old.routines:
            _rows(conn, f"DROP {kind} {q(name)}")
        for name, _, _, _ in old.events:
            _rows(conn, f"DROP EVENT {q(name)}")
        _rows(conn, f"ALTER DATABASE {q(target)} CHARACTER SET {charset} COLLATE {collation}")
        _create_views(conn, new.views)
        for _, mode, ddl in new.triggers:
            _create(conn, mode, ddl)
        for _, _, mode, ddl in new.routines:
            _create(conn, mode, ddl)
        for _, mode, zone, ddl in new.events:
            _create(conn, mode, ddl, zone)
        _rows(conn, f"DROP DATABASE {q(previous)}")
        _rows(conn, f"DROP DATABASE {q(scratch)}")


def _create_views(conn: Any, views: list[str]) -> None:
    """Create views in an order that works: a view over another view waits for it."""
    pending, last_error = list(views), None
    while pending:
        failed: list[str] = []
        for ddl in pending:
            try:
                _rows(conn, ddl)
            except Exception as err:
                failed.append(ddl)
                last_error = err
        if len(failed) == len(pending):
            raise BackupFailed(f"cannot recreate {len(failed)} view(s) after the swap: {last_error}")
        pending = failed


__all__ = ["PREVIOUS", "SCRATCH", "mysql_targets", "occupied_mysql", "restore_mysql", "side"]
