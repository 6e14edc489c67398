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

If the RENAME fails, the target's triggers are put back and nothing else changed.

A process killed during step 3 leaves ``<target>__fx_previous`` behind, and in it a journal (table
``__fx_restore_journal``, written before anything of the target changes) holding every statement
needed to go either way: the target's old triggers, and the backup's views, triggers, routines,
events and character set. The next ``restore`` into that database (``interrupted_mysql``) reads it:
killed before the RENAME, the old triggers are put back and the side databases dropped (the target
is as it was); killed after it, the swap is finished from the journal (every step may be repeated).
Either way nothing is lost: until the journal says done, the old tables are in ``__fx_previous`` and
the backup's are in the target or the scratch database. A ``__fx_previous`` without a journal holding
tables (a restore of an older flywayx) is refused for an operator to look at. The user needs CREATE
and DROP on the two side databases.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flywayx.db import clients, timeouts
from flywayx.db.clients import BackupFailed
from flywayx.db.fingerprint import fingerprint
from flywayx.errors import StateError, UsageError
from flywayx.model.config import DatabaseUrl
from flywayx.model.fingerprint import SchemaFingerprint, diff

SCRATCH, PREVIOUS = "__fx_restore", "__fx_previous"
JOURNAL = "__fx_restore_journal"
KILL_AT = "FLYWAYX_TEST_KILL_AT"  # test hook: SIGKILL this process at the named point of the swap
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
        raise UsageError(
            f"the backup holds {len(schemas)} databases ({', '.join(schemas)}); each is restored "
            f"under its own name, not into {url_database}",
            hint="use a URL without a database (or naming one of them)",
        )
    return {s: s for s in schemas}


def _rows(conn: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with closing(conn.cursor()) as cur:
        cur.execute(sql, tuple(params) or None)
        return [tuple(r) for r in cur.fetchall()] if cur.description else []


def _exists(conn: Any, database: str) -> bool:
    return bool(_rows(conn, "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (database,)))


def occupied_mysql(conn: Any, targets: Sequence[str]) -> list[str]:
    """Each target database that holds something, described. StateError when an earlier restore
    was killed during its swap and left no journal to finish it from (``interrupted_mysql`` first)."""
    found = []
    for target in targets:
        previous = side(target, PREVIOUS)
        if _exists(conn, previous):
            raise StateError(
                f"an earlier restore into {target} was interrupted during its swap: the database as it "
                f"was before that restore is in {previous}, and no journal says how far it got",
                hint=f"check {target} and {previous}, keep what you need, then DROP DATABASE "
                f"{clients.mysql_ident(previous)} and run restore again",
            )
        counts = _rows(
            conn,
            "SELECT (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s),"
            " (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s),"
            " (SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %s)",
            (target,) * 3,
        )[0]
        if any(counts):
            found.append(f"database {target} ({counts[0]} tables and views, {counts[1]} routines, {counts[2]} events)")
    return found


@dataclass(frozen=True)
class Interrupted:
    """A swap a killed restore left behind: where, which backup (sha256), and whether its RENAME ran."""

    target: str
    sha256: str
    swapped: bool

    def describe(self, dry_run: bool = False) -> str:
        """What was (``dry_run``: would be) done about it, for the user."""
        if self.swapped:
            did = "restore would finish it" if dry_run else "finished it"
            return (
                f"a restore into {self.target} was killed after its swap: {did} from its journal "
                f"(the backup with sha256 {self.sha256[:12]}... is in {self.target})"
            )
        did = "restore would roll it back" if dry_run else "rolled it back"
        return (
            f"a restore into {self.target} was killed before its swap: {did} from its journal "
            f"({self.target} is as it was before that restore)"
        )


def interrupted_mysql(
    url: DatabaseUrl,
    secret: str | None,
    targets: Sequence[str],
    *,
    dry_run: bool = False,
    limits: timeouts.Timeouts | None = None,
) -> list[Interrupted]:
    """Find the swaps killed restores left in ``targets`` (a ``__fx_previous`` database with a journal)
    and, unless ``dry_run``, finish each (killed after its RENAME) or roll it back (killed before).
    A ``__fx_previous`` without journal and without tables (killed before the journal was written) is
    dropped: nothing had changed yet. Anything else is left for ``occupied_mysql`` to refuse."""
    found = []
    with clients.connection(url, secret, limits=limits) as conn:
        for target in targets:
            previous = side(target, PREVIOUS)
            if not _exists(conn, previous):
                continue
            journal = _read_journal(conn, previous)
            if journal is None:
                if not _table_names(conn, previous) and not dry_run:
                    _rows(conn, f"DROP DATABASE {clients.mysql_ident(previous)}")
                continue
            swapped, split = _swapped(conn, target, journal)
            if split:  # a RENAME TABLE is atomic: half of it cannot be
                raise StateError(
                    f"an interrupted restore into {target} left its tables split between {target}, "
                    f"{side(target, SCRATCH)} and {previous}",
                    hint="check the three databases by hand",
                )
            if not dry_run:
                with _session(conn):
                    (_finish if swapped else _roll_back)(conn, target, journal)
            found.append(Interrupted(target, str(journal["sha256"]), swapped))
    return found


def _swapped(conn: Any, target: str, journal: dict[str, Any]) -> tuple[bool, bool]:
    """(whether the journal's RENAME ran, whether the tables are found split, which it cannot do).
    The old tables are in ``__fx_previous`` only after it; without old tables, the backup's have left
    the scratch database (which ``_roll_back`` drops only after the journal)."""
    old, new = set(journal["old_tables"]), set(journal["new_tables"])
    if old:
        there = old & _table_names(conn, side(target, PREVIOUS))
        return there == old, bool(there) and there != old
    left = new - _table_names(conn, side(target, SCRATCH))
    return left == new, bool(left) and left != new


def _table_names(conn: Any, db: str) -> set[str]:
    return {
        str(r[0])
        for r in _rows(
            conn,
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s"
            f" AND TABLE_TYPE IN ({', '.join(['%s'] * len(_TABLE_TYPES))})",
            (db, *_TABLE_TYPES),
        )
    }


def _read_journal(conn: Any, previous: str) -> dict[str, Any] | None:
    if JOURNAL in _table_names(conn, previous):
        rows = _rows(
            conn, f"SELECT body FROM {clients.mysql_ident(previous)}.{clients.mysql_ident(JOURNAL)} WHERE id = 1"
        )
        if rows:
            data: dict[str, Any] = json.loads(rows[0][0])
            return data
    return None


def _kill_at(point: str) -> None:
    """Test hook (``FLYWAYX_TEST_KILL_AT=<point>``): die here as a SIGKILL would kill us."""
    if os.environ.get(KILL_AT) == point:
        os.kill(os.getpid(), signal.SIGKILL)


def restore_mysql(
    tools: list[str],
    url: DatabaseUrl,
    secret: str | None,
    dump: Path,
    targets: dict[str, str],
    saved: SchemaFingerprint | None,
    sha256: str = "",
    limits: timeouts.Timeouts | None = None,
) -> None:
    """Steps 1-3 of the module docstring for every source -> target of ``targets``. ``limits``: the
    client's connect option, and its stall watchdog (``clients.run``); the target is unchanged when it fires."""
    scratch = {source: side(target, SCRATCH) for source, target in targets.items()}
    with clients.connection(url, secret, limits=limits) as conn:
        for name in scratch.values():
            _rows(conn, f"DROP DATABASE IF EXISTS {clients.mysql_ident(name)}")  # a killed restore's leftover
    try:
        _load(tools[0], url, secret, dump, scratch, limits)
        with clients.connection(url, secret, limits=limits) as conn:
            if saved is not None:
                loaded = fingerprint(conn, "mysql", list(scratch.values()))
                drift = diff(saved, loaded.renamed({s: src for src, s in scratch.items()}))
                if drift:
                    raise BackupFailed(
                        f"the backup loaded into {', '.join(scratch.values())} differs from the "
                        f"schema saved with it: {'; '.join(map(str, drift[:5]))}; the target is "
                        "unchanged",
                        hint="the dump or the server lost something: use another backup",
                    )
    except BaseException:
        _drop_scratch(url, secret, list(scratch.values()), limits)
        raise
    with clients.connection(url, secret, limits=limits) as conn:
        for source, target in targets.items():
            try:
                _swap(conn, scratch[source], target, sha256)
            except BackupFailed:
                raise
            except Exception as err:  # the socket limit, a lost connection: the server may go on without us
                if not _lost(err):
                    raise
                # end the session, so no statement of it still runs
                with contextlib.suppress(Exception), clients.connection(url, secret, limits=limits) as killer:
                    _rows(killer, f"KILL {int(conn.thread_id())}")
                raise BackupFailed(
                    f"restore stopped during the swap into {target}: {clients.first_lines(str(err))}; its "
                    f"journal is in {side(target, PREVIOUS)}",
                    hint="run the same restore again once the server answers: it finishes the swap, or "
                    "rolls it back, from the journal (nothing is lost meanwhile)",
                ) from None


def _lost(err: Exception) -> bool:
    """A PyMySQL error saying the connection is gone (2006, 2013: the socket limit, a cut; 0: already seen)."""
    code = err.args[0] if err.args and isinstance(err.args[0], int) else None
    return code in (0, 2006, 2013, 2055) or isinstance(err, OSError)


def _drop_scratch(url: DatabaseUrl, secret: str | None, names: list[str], limits: timeouts.Timeouts | None) -> None:
    """After a failed load: end the sessions still in the scratch databases (a stalled client's, whose
    server side may hold table locks), then drop them. Best effort: when the server cannot be reached
    either, the next restore drops them first; the target was never touched."""
    try:
        with clients.connection(url, secret, limits=limits) as conn:
            marks = ", ".join(["%s"] * len(names))
            for (session,) in _rows(
                conn,
                f"SELECT ID FROM information_schema.PROCESSLIST WHERE DB IN ({marks}) AND ID <> CONNECTION_ID()",
                tuple(names),
            ):
                with contextlib.suppress(Exception):
                    _rows(conn, f"KILL {int(session)}")
            for name in names:
                _rows(conn, f"DROP DATABASE IF EXISTS {clients.mysql_ident(name)}")
    except Exception:  # the load's own error is the one to report
        pass


def _load(
    client: str,
    url: DatabaseUrl,
    secret: str | None,
    dump: Path,
    scratch: dict[str, str],
    limits: timeouts.Timeouts | None = None,
) -> None:
    """Feed the dump to ``mariadb`` with the source databases renamed to their scratch names; a
    client that makes no progress (reads nothing, hears nothing) for the socket limit is ended."""
    renames = [(clients.mysql_ident(src).encode(), clients.mysql_ident(dst).encode()) for src, dst in scratch.items()]
    fed = [0]
    with clients.mysql_auth(secret) as auth:
        cmd = [client, *auth, *clients.mysql_args(url, limits), "--binary-mode"]
        with tempfile.TemporaryFile() as errors:  # a file, not a pipe: the client never blocks on it
            proc = clients.spawn(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors)
            assert proc.stdin is not None
            with clients.watch(proc, limits, lambda: fed[0]) as dog:
                try:
                    with dump.open("rb") as fh, proc.stdin:
                        for line in fh:
                            stripped = line.lstrip()
                            if stripped.startswith(_REWRITTEN) or (
                                stripped.startswith(b"/*!") and b"ALTER DATABASE" in line
                            ):
                                for old, new in renames:
                                    line = line.replace(old, new)
                            proc.stdin.write(line)
                            fed[0] += len(line)
                except BrokenPipeError:
                    pass  # the client stopped early: its exit code and stderr say why
                finally:
                    proc.wait()
            errors.seek(0)
            err = errors.read()
    if dog.fired:
        assert limits is not None
        ended = not dog.connecting and clients.end_mysql_sessions(url, secret, limits, dog.endpoints)
        raise clients.stalled(cmd, dog, limits, ended=ended)
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
    for name, kind in _rows(
        conn,
        "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME",
        (db,),
    ):
        if kind == "VIEW":
            out.views.append(str(_rows(conn, f"SHOW CREATE VIEW {clients.mysql_ident(name)}")[0][1]))
        elif kind in _TABLE_TYPES:
            out.tables.append(str(name))
    for (name,) in _rows(
        conn,
        "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = %s"
        " ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER",
        (db,),
    ):
        row = _rows(conn, f"SHOW CREATE TRIGGER {clients.mysql_ident(name)}")[0]
        out.triggers.append((str(name), str(row[1]), str(row[2])))
    for kind, name in _rows(
        conn,
        "SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES"
        " WHERE ROUTINE_SCHEMA = %s ORDER BY ROUTINE_TYPE, ROUTINE_NAME",
        (db,),
    ):
        row = _rows(conn, f"SHOW CREATE {kind} {clients.mysql_ident(name)}")[0]
        if row[2] is None:
            raise BackupFailed(f"cannot read the definition of {kind.lower()} {db}.{name} (no privilege)")
        out.routines.append((str(kind), str(name), str(row[1]), str(row[2])))
    for (name,) in _rows(
        conn, "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %s ORDER BY EVENT_NAME", (db,)
    ):
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


def _swap(conn: Any, scratch: str, target: str, sha256: str) -> None:
    """Step 3 of the module docstring for one database."""
    q = clients.mysql_ident
    new, old = _objects(conn, scratch), _objects(conn, target)
    charset, collation = _rows(
        conn,
        "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM"
        " information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
        (scratch,),
    )[0]
    previous = side(target, PREVIOUS)
    journal = {
        "sha256": sha256,
        "target": target,
        "charset": charset,
        "collation": collation,
        "old_tables": old.tables,
        "old_triggers": old.triggers,
        "old_routines": old.routines,
        "old_events": old.events,
        "new_tables": new.tables,
        "new_views": new.views,
        "new_triggers": new.triggers,
        "new_routines": new.routines,
        "new_events": new.events,
    }
    with _session(conn):
        _rows(conn, f"CREATE DATABASE IF NOT EXISTS {q(target)} CHARACTER SET {charset} COLLATE {collation}")
        _rows(conn, f"CREATE DATABASE {q(previous)}")
        _rows(
            conn,
            f"CREATE TABLE {q(previous)}.{q(JOURNAL)} (id INT PRIMARY KEY, body LONGTEXT NOT NULL)"
            " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
        )
        _rows(conn, f"INSERT INTO {q(previous)}.{q(JOURNAL)} VALUES (1, %s)", (json.dumps(journal),))
        _kill_at("restore-journal-written")
        _rows(conn, f"USE {q(scratch)}")
        for name, _, _ in new.triggers:
            _rows(conn, f"DROP TRIGGER {q(name)}")
        _rows(conn, f"USE {q(target)}")
        for name, _, _ in old.triggers:
            _rows(conn, f"DROP TRIGGER {q(name)}")
        _kill_at("restore-triggers-dropped")
        moves = [f"{q(target)}.{q(t)} TO {q(previous)}.{q(t)}" for t in old.tables]
        moves += [f"{q(scratch)}.{q(t)} TO {q(target)}.{q(t)}" for t in new.tables]
        try:
            if moves:
                _rows(conn, "RENAME TABLE " + ", ".join(moves))  # the one atomic step
        except Exception as err:
            if _lost(err):  # the RENAME may still run, or have run: the next restore reads which
                raise
            _roll_back(conn, target, journal)
            raise BackupFailed(
                f"restore could not swap the backup into {target}: {err}; {target} is unchanged"
            ) from err
        _kill_at("restore-swapped")
        _finish(conn, target, journal)


def _roll_back(conn: Any, target: str, journal: dict[str, Any]) -> None:
    """Undo a swap whose RENAME did not run: the target's triggers back, the side databases dropped."""
    q = clients.mysql_ident
    _rows(conn, f"USE {q(target)}")
    present = {
        str(r[0])
        for r in _rows(
            conn, "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = %s", (target,)
        )
    }
    for name, mode, ddl in journal["old_triggers"]:
        if name not in present:
            _create(conn, mode, ddl)
    _rows(conn, f"DROP DATABASE {q(side(target, PREVIOUS))}")  # the journal: the target is whole again
    _rows(conn, f"DROP DATABASE IF EXISTS {q(side(target, SCRATCH))}")  # else the next restore drops it


def _finish(conn: Any, target: str, journal: dict[str, Any]) -> None:
    """The rest of the swap after its RENAME, from the journal; every step may run again after a kill."""
    q = clients.mysql_ident
    _rows(conn, f"USE {q(target)}")
    for view in _rows(conn, "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s", (target,)):
        _rows(conn, f"DROP VIEW IF EXISTS {q(view[0])}")
    for kind, name, _, _ in [*journal["old_routines"], *journal["new_routines"]]:
        _rows(conn, f"DROP {kind} IF EXISTS {q(name)}")
    for name, _, _, _ in [*journal["old_events"], *journal["new_events"]]:
        _rows(conn, f"DROP EVENT IF EXISTS {q(name)}")
    for name, _, _ in journal["new_triggers"]:
        _rows(conn, f"DROP TRIGGER IF EXISTS {q(name)}")
    _kill_at("restore-finishing")
    _rows(conn, f"ALTER DATABASE {q(target)} CHARACTER SET {journal['charset']} COLLATE {journal['collation']}")
    _create_views(conn, journal["new_views"])
    for _, mode, ddl in journal["new_triggers"]:
        _create(conn, mode, ddl)
    for _, _, mode, ddl in journal["new_routines"]:
        _create(conn, mode, ddl)
    for _, mode, zone, ddl in journal["new_events"]:
        _create(conn, mode, ddl, zone)
    _rows(conn, f"DROP DATABASE IF EXISTS {q(side(target, SCRATCH))}")
    _rows(conn, f"DROP DATABASE {q(side(target, PREVIOUS))}")  # the journal goes last


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


__all__ = [
    "JOURNAL",
    "KILL_AT",
    "PREVIOUS",
    "SCRATCH",
    "Interrupted",
    "interrupted_mysql",
    "mysql_targets",
    "occupied_mysql",
    "restore_mysql",
    "side",
]
