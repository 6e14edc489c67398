"""flywayx's own tables beside ``flyway_schema_history`` (which stays Flyway's, byte for byte).

- ``flywayx_runs``: one row per run (from/to release, phase, who, host, tool version, outcome, backup).
- ``flywayx_applied``: one row per applied migration: content id, release, line, phase, statements;
  ``recorded_as`` says how a migration recorded without running is in the database (``adopted``,
  ``identical``, ``equivalent``, ``baseline``, ``renamed``; NULL when it ran) and ``satisfied_by`` by
  what (docs/history-tables.md, the contract).
- ``flywayx_progress``: the in-flight migration on databases without transactional DDL: how many
  statements are applied and a running hash over them, so ``migrate --resume`` continues at the failed
  statement and refuses when the applied prefix was edited. ``inflight_hash`` (NULL when none) is the
  running hash through statement ``statements_done + 1`` while the server may be running that DDL
  statement: written just before it is sent, made durable by the DDL's own implicit commit.
- ``flywayx_schema_state``: the schema fingerprint recorded at the end of each successful migrate, with
  a digest of the history it belongs to; ``flywayx verify`` compares the live schema with the latest.

Portable DDL (VARCHAR/INT only) so the same statements work on MySQL/MariaDB, PostgreSQL, SQLite;
timestamps are written by flywayx as UTC ISO text.
"""

from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flywayx.db.base import Database
from flywayx.model.work import Work

RUNS = "flywayx_runs"
APPLIED = "flywayx_applied"
PROGRESS = "flywayx_progress"
STATE = "flywayx_schema_state"

_DDL = {
    RUNS: ("run_id VARCHAR(40) NOT NULL PRIMARY KEY, started_at VARCHAR(32) NOT NULL, finished_at VARCHAR(32),"
           " from_release VARCHAR(100), to_release VARCHAR(100), phase VARCHAR(20), installed_by VARCHAR(100),"
           " host VARCHAR(255), tool_version VARCHAR(40), outcome VARCHAR(20) NOT NULL, detail VARCHAR(2000),"
           " backup VARCHAR(1000)"),
    APPLIED: ("seq INT NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL,"
              " script VARCHAR(1000) NOT NULL, content_id VARCHAR(64), release_name VARCHAR(100),"
              " line_name VARCHAR(100), phase VARCHAR(20), run_id VARCHAR(40), statements INT NOT NULL,"
              " statement_hash VARCHAR(64), success INT NOT NULL, applied_at VARCHAR(32) NOT NULL,"
              " recorded_as VARCHAR(20), satisfied_by VARCHAR(255)"),
    PROGRESS: ("mkey VARCHAR(255) NOT NULL PRIMARY KEY, script VARCHAR(1000) NOT NULL, checksum INT,"
               " run_id VARCHAR(40), statements_done INT NOT NULL, statement_hash VARCHAR(64) NOT NULL,"
               " total INT NOT NULL, status VARCHAR(20) NOT NULL, updated_at VARCHAR(32) NOT NULL,"
               " inflight_hash VARCHAR(64)"),
    STATE: ("seq INT NOT NULL PRIMARY KEY, run_id VARCHAR(40), recorded_at VARCHAR(32) NOT NULL,"
            " history_rank INT NOT NULL, history_digest VARCHAR(64) NOT NULL, digest VARCHAR(64) NOT NULL,"
            " fingerprint {big} NOT NULL"),
}
# columns added after a table's first version: (table, column, type), added by ``ensure``
_ADDED = ((PROGRESS, "inflight_hash", "VARCHAR(64)"), (APPLIED, "recorded_as", "VARCHAR(20)"),
          (APPLIED, "satisfied_by", "VARCHAR(255)"))
# the one column that outgrows VARCHAR: a fingerprint of a large schema (CloudStack: ~1 MB of JSON)
_BIG_TEXT = {"mysql": "LONGTEXT", "mariadb": "LONGTEXT"}


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Progress:
    """The recorded state of an interrupted migration."""

    key: str
    script: str
    checksum: int | None
    statements_done: int
    statement_hash: str
    total: int
    status: str
    in_flight: str | None = None  # running hash through statement statements_done + 1, if it was in flight


def migration_key(version: str | None, description: str) -> str:
    return f"V:{version}" if version is not None else f"R:{description}"[:255]


class OwnTables:
    """Reads and writes flywayx's tables in ``schema`` on ``db``."""

    def __init__(self, db: Database, schema: str) -> None:
        self.db = db
        self.schema = schema
        self.pending_backup: str | None = None  # set by migrate --backup; start_run records it
        self._columns: dict[tuple[str, str], bool] = {}  # (table, column) -> present, once probed
        self._seen = False  # the tables were found (exists)

    def _t(self, name: str) -> str:
        return self.db.quote(self.schema, name)

    def exists(self) -> bool:
        """Whether flywayx's tables are there; once seen, remembered for the session (asked before
        every step of a migrate; only ``clean`` drops them)."""
        if self._seen:
            return True
        try:
            self.db.query(f"SELECT COUNT(*) FROM {self._t(RUNS)}")
        except Exception:
            self.db.rollback()
            return False
        self._seen = True
        return True

    def ensure(self) -> None:
        """Create any missing table (idempotent; call under the migration lock)."""
        for name, cols in _DDL.items():
            if not self._table_exists(name):
                big = _BIG_TEXT.get(self.db.dialect, "TEXT")
                self.db.execute(f"CREATE TABLE {self._t(name)} ({cols.format(big=big)})")
        for table, column, kind in _ADDED:  # a table made by an older flywayx
            if not self._has_column(table, column):
                self.db.execute(f"ALTER TABLE {self._t(table)} ADD COLUMN {column} {kind}")
                self._columns[(table, column)] = True
        self.db.commit()

    def _has_column(self, table: str, column: str) -> bool:
        if (table, column) not in self._columns:
            try:
                self.db.query(f"SELECT {column} FROM {self._t(table)} WHERE 1 = 0")
                self._columns[(table, column)] = True
            except Exception:
                self.db.rollback()
                self._columns[(table, column)] = False
        return self._columns[(table, column)]

    def _table_exists(self, name: str) -> bool:
        try:
            self.db.query(f"SELECT 1 FROM {self._t(name)} WHERE 1 = 0")
            return True
        except Exception:
            self.db.rollback()
            return False

    # runs -----------------------------------------------------------------------------------------
    def start_run(self, run_id: str, *, from_release: str | None, to_release: str | None, phase: str | None,
                  tool_version: str, installed_by: str, backup: str | None = None) -> None:
        self._exec(f"INSERT INTO {self._t(RUNS)} (run_id, started_at, from_release, to_release, phase,"
                   " installed_by, host, tool_version, outcome, backup) VALUES (?,?,?,?,?,?,?,?,?,?)",
                   (run_id, now(), from_release, to_release, phase, installed_by or _os_user(),
                    socket.gethostname(), tool_version, "running", backup or self.pending_backup))
        self.db.commit()

    def finish_run(self, run_id: str, outcome: str, detail: str | None = None) -> None:
        self._exec(f"UPDATE {self._t(RUNS)} SET finished_at = ?, outcome = ?, detail = ? WHERE run_id = ?",
                   (now(), outcome, (detail or "")[:2000], run_id))
        self.db.commit()

    def runs(self) -> list[dict[str, Any]]:
        cols = ("run_id", "started_at", "finished_at", "from_release", "to_release", "phase", "installed_by",
                "host", "tool_version", "outcome", "detail", "backup")
        rows = self.db.query(f"SELECT {', '.join(cols)} FROM {self._t(RUNS)} ORDER BY started_at, run_id")
        return [dict(zip(cols, r, strict=True)) for r in rows]

    # applied --------------------------------------------------------------------------------------
    def record_applied(self, work: Work, run_id: str | None, statements: int, digest: str) -> None:
        m = work.migration
        delete = (f"DELETE FROM {self._t(PROGRESS)} WHERE mkey = ?",
                  (migration_key(m.version.text if m.version else None, m.description),))
        if not self.db.capabilities.batches:
            self._insert_applied(work, run_id, statements, digest, success=True)
            self._exec(*delete)
            return
        # one round trip: the server numbers the row (we hold the migration lock) and drops the progress record
        values = _applied_values(work, run_id, statements, digest, success=True)
        insert = (f"INSERT INTO {self._t(APPLIED)} ({_APPLIED_COLUMNS}) SELECT COALESCE(MAX(seq), 0) + 1, "
                  f"{', '.join('?' * len(values))} FROM {self._t(APPLIED)}")
        _, failure = self.db.run_batch([(insert, values), delete])
        if failure is not None:
            raise failure

    def record_failed(self, work: Work, run_id: str | None, statements: int, digest: str,
                      *, tracked: bool = False) -> None:
        """The failed run's row in flywayx_applied; with ``tracked`` the progress record is set to
        exactly ``statements`` applied (nothing in flight), else only its status changes."""
        self._insert_applied(work, run_id, statements, digest, success=False)
        if tracked:
            self.settle(_key(work), statements, digest, "failed")
            return
        self._exec(f"UPDATE {self._t(PROGRESS)} SET status = ?, updated_at = ? WHERE mkey = ?",
                   ("failed", now(), _key(work)))

    def _insert_applied(self, work: Work, run_id: str | None, statements: int, digest: str, *, success: bool) -> None:
        seq = (self.db.query(f"SELECT MAX(seq) FROM {self._t(APPLIED)}")[0][0] or 0) + 1
        values = _applied_values(work, run_id, statements, digest, success=success)
        self._exec(f"INSERT INTO {self._t(APPLIED)} ({_APPLIED_COLUMNS}) VALUES (?{', ?' * len(values)})",
                   (seq, *values))

    def applied(self) -> list[dict[str, Any]]:
        cols = ("seq", "version", "description", "script", "content_id", "release_name", "line_name", "phase",
                "run_id", "statements", "statement_hash", "success", "applied_at", "recorded_as", "satisfied_by")
        have = [c if c not in ("recorded_as", "satisfied_by") or self._has_column(APPLIED, c) else "NULL"
                for c in cols]  # read-only (--dry-run) on a table an older flywayx made
        rows = self.db.query(f"SELECT {', '.join(have)} FROM {self._t(APPLIED)} ORDER BY seq")
        return [dict(zip(cols, r, strict=True)) for r in rows]

    def fill_content_id(self, seq: int, content_id: str) -> None:
        """Upgrade in place: a row written before content ids were recorded in every mode gets its id."""
        self._exec(f"UPDATE {self._t(APPLIED)} SET content_id = ? WHERE seq = ?", (content_id, seq))

    # progress -------------------------------------------------------------------------------------
    def start_progress(self, work: Work, run_id: str | None, done: int, digest: str) -> None:
        """Write the ``running`` record; the caller's transaction (or the next DDL) commits it."""
        m = work.migration
        key = _key(work)
        _, failure = self.db.run_batch([
            (f"DELETE FROM {self._t(PROGRESS)} WHERE mkey = ?", (key,)),
            (f"INSERT INTO {self._t(PROGRESS)} (mkey, script, checksum, run_id, statements_done,"
             " statement_hash, total, status, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
             (key, m.script[:1000], m.checksum, run_id, done, digest, len(work.statements or ()), "running", now())),
        ])
        if failure is not None:
            raise failure

    def progress(self, work: Work, done: int, digest: str, in_flight: str | None = None) -> None:
        """``done`` statements applied; ``in_flight``: hash through the next one, about to be sent."""
        self._exec(*self.progress_statement(work, done, digest, in_flight))

    def progress_statement(self, work: Work, done: int, digest: str,
                           in_flight: str | None = None) -> tuple[str, tuple[Any, ...]]:
        """The UPDATE ``progress`` sends, as (sql with ``?``, params), to send in a batch before a DDL."""
        return (f"UPDATE {self._t(PROGRESS)} SET statements_done = ?, statement_hash = ?, inflight_hash = ?,"
                " updated_at = ? WHERE mkey = ?", (done, digest, in_flight, now(), _key(work)))

    def settle(self, key: str, done: int, digest: str, status: str = "running") -> None:
        """Resume decided what the in-flight statement did: ``done`` statements are applied, none in flight."""
        self._exec(f"UPDATE {self._t(PROGRESS)} SET statements_done = ?, statement_hash = ?, inflight_hash = NULL,"
                   " status = ?, updated_at = ? WHERE mkey = ?", (done, digest, status, now(), key))

    def pending_progress(self) -> list[Progress]:
        extra = ", inflight_hash" if self._has_column(PROGRESS, "inflight_hash") else ", NULL"
        rows = self.db.query(f"SELECT mkey, script, checksum, statements_done, statement_hash, total, status{extra}"
                             f" FROM {self._t(PROGRESS)} ORDER BY mkey")
        return [Progress(r[0], r[1], r[2], int(r[3]), r[4], int(r[5]), r[6], r[7]) for r in rows]

    def clear_progress(self, key: str) -> None:
        self._exec(f"DELETE FROM {self._t(PROGRESS)} WHERE mkey = ?", (key,))

    # recorded schema state -----------------------------------------------------------------------
    def record_state(self, run_id: str | None, history_rank: int, history_digest: str, digest: str,
                     body: str) -> None:
        """Append the fingerprint (JSON ``body``) the schema has after ``run_id``; creates the table
        when a database migrated by an older flywayx lacks it."""
        if not self._table_exists(STATE):
            self.ensure()
        seq = (self.db.query(f"SELECT MAX(seq) FROM {self._t(STATE)}")[0][0] or 0) + 1
        self._exec(f"INSERT INTO {self._t(STATE)} (seq, run_id, recorded_at, history_rank, history_digest,"
                   " digest, fingerprint) VALUES (?,?,?,?,?,?,?)",
                   (seq, run_id, now(), history_rank, history_digest, digest, body))

    def last_state(self) -> dict[str, Any] | None:
        """The latest recorded state (keys as the columns), or None when none was recorded."""
        if not self._table_exists(STATE):
            return None
        cols = ("seq", "run_id", "recorded_at", "history_rank", "history_digest", "digest", "fingerprint")
        rows = self.db.query(f"SELECT {', '.join(cols)} FROM {self._t(STATE)} ORDER BY seq DESC")
        return dict(zip(cols, rows[0], strict=True)) if rows else None

    def _exec(self, sql: str, params: tuple[Any, ...]) -> None:
        self.db.query(sql, params)  # ``?`` placeholders on every dialect (Database.query's contract)


_APPLIED_COLUMNS = ("seq, version, description, script, content_id, release_name, line_name, phase, run_id,"
                    " statements, statement_hash, success, applied_at, recorded_as, satisfied_by")


def _applied_values(work: Work, run_id: str | None, statements: int, digest: str, *,
                    success: bool) -> tuple[Any, ...]:
    """A ``flywayx_applied`` row after its ``seq``."""
    m = work.migration
    return (m.version.text if m.version else None, m.description[:200], m.script[:1000], work.content_id,
            work.release, work.line, work.phase_name(), run_id, statements, digest, 1 if success else 0, now(),
            work.recorded_as, (work.satisfied_by or "")[:255] or None)


def _key(work: Work) -> str:
    m = work.migration
    return migration_key(m.version.text if m.version else None, m.description)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return ""
