"""flywayx's own tables beside ``flyway_schema_history`` (which stays Flyway's, byte for byte).

- ``flywayx_runs``: one row per run (from/to release, phase, who, host, tool version, outcome, backup).
- ``flywayx_applied``: one row per applied migration: content id, release, line, phase, statements;
  ``recorded_as`` says how a migration recorded without running is in the database (``adopted``,
  ``identical``, ``equivalent``, ``baseline``, ``renamed``; NULL when it ran) and ``satisfied_by`` by
  what (the release-lines history contract, docs/history-tables.md).
- ``flywayx_progress``: the in-flight migration on databases without transactional DDL: how many
  statements are applied and a running hash over them, so ``migrate --resume`` continues at the failed
  statement and refuses when the applied prefix was edited. ``inflight_hash`` (NULL when none) is the
  running hash through statement ``statements_done + 1`` while the server may be running that DDL
  statement: written just before it is sent, made durable by the DDL's own implicit commit.
- ``flywayx_schema_state``: the schema fingerprint recorded at the end of each successful migrate, with
  a digest of the history it belongs to; ``flywayx verify`` compares the live schema with the latest.
- ``flywayx_layout``: one row per version of this layout applied (``own_layout.LAYOUT``), so a later
  release can change these tables safely: ``ensure`` brings any earlier or partial layout up to date
  in one step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flywayx.db.base import Database
from flywayx.db.own_layout import (
    APPLIED,
    LAYOUT,
    LAYOUT_TABLE,
    LAYOUT_VERSION,
    PROGRESS,
    RUNS,
    STATE,
    Column,
    columns,
    now,
    upgrade,
)
from flywayx.errors import StateError

if TYPE_CHECKING:
    from flywayx.model.work import Work

LIVE_RUN = 1_000_000  # running_sql: what a live run's record counts (another runner waits for that run)
_STATE_ATTEMPTS = 8  # record_state: tries at the next free seq when runners finish together


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
    """Reads and writes flywayx's tables in ``schema`` on ``db``.

    Readers tolerate a partial or older layout (a missing table reads as empty); writers run after
    ``ensure``, which every command that writes calls under the migration lock."""

    def __init__(self, db: Database, schema: str) -> None:
        self.db = db
        self.schema = schema
        self.pending_backup: str | None = None  # set by migrate --backup; start_run records it
        self._present: dict[str, bool] = {}  # table or table.column -> found (probed once per session)
        self._complete = False  # ensure() has brought the layout to LAYOUT_VERSION in this session
        self.run_id: str | None = None  # the run this session is (start_run): its records are its own
        self._have: dict[str, list[str]] | None = None  # ensure: the tables' columns just read (one query)
        self._texts: dict[tuple[object, ...], str] = {}  # the SQL text of each step's writes, built once

    def _t(self, name: str) -> str:
        return self.db.quote(self.schema, name)

    def exists(self) -> bool:
        """Whether any of flywayx's tables is there (asked before every step of a migrate; a table once
        seen is remembered for the session: only ``clean`` drops them)."""
        names = (RUNS, APPLIED, PROGRESS, STATE)
        if self._complete or any(self._present.get(name) for name in names):
            return True
        if not self.db.table_columns(self.schema, names):  # one catalog query; a first run has none
            return False
        return any(self._has(name) for name in names)

    def ensure(self) -> None:
        """Create or upgrade flywayx's tables to the current layout as one idempotent step (call under
        the migration lock): whatever subset exists and whichever older layout it has, the missing
        tables and columns are added and every step is recorded in ``flywayx_layout``. Refuses a layout
        newer than this flywayx knows. Usually one query: the layout is current and complete."""
        if self._complete:
            return
        recorded, complete = self._current_layout()
        if recorded is not None and recorded > LAYOUT_VERSION:
            raise StateError(
                f"flywayx's tables in {self.schema} have layout version {recorded}, newer than this flywayx knows "
                f"({LAYOUT_VERSION})",
                hint="upgrade flywayx to the version that last migrated this database",
            )
        if not complete or recorded != LAYOUT_VERSION:
            self._upgrade()
        self._complete = True
        for name in (RUNS, APPLIED, PROGRESS, STATE, LAYOUT_TABLE):
            self._present[name] = True

    def layout_version(self) -> int | None:
        """The layout version recorded in ``flywayx_layout`` (None: not recorded)."""
        try:
            value = self.db.query(f"SELECT MAX(version) FROM {self._t(LAYOUT_TABLE)}")[0][0]
        except Exception:
            self.db.rollback()
            return None
        return int(value) if value is not None else None

    def _current_layout(self) -> tuple[int | None, bool]:
        """The recorded layout version, and whether every table and column of the current layout is
        there (one query when both hold)."""
        names = [RUNS, APPLIED, PROGRESS, STATE]
        probe = " AND ".join(f"t{i}.{c} IS NULL" for i, name in enumerate(names) for c in columns(name))
        tables = ", ".join(f"{self._t(name)} t{i}" for i, name in enumerate(names))
        try:
            row = self.db.query(
                f"SELECT (SELECT MAX(version) FROM {self._t(LAYOUT_TABLE)}),"
                f" (SELECT COUNT(*) FROM {tables} WHERE 1 = 0 AND {probe})"
            )[0]
        except Exception:
            self.db.rollback()
            have = self.db.table_columns(self.schema, [LAYOUT_TABLE, *names])
            self._have = have  # ``_upgrade`` creates what is missing from this reading
            return (self.layout_version() if LAYOUT_TABLE in have else None), False
        return (int(row[0]) if row[0] is not None else None), True

    def _upgrade(self) -> None:
        """Create what is missing, add what a table lacks, record the steps (``own_layout.upgrade``)."""
        from flywayx.model.results import TOOL_VERSION

        have, self._have = self._have, None
        upgrade(self.db, self.schema, TOOL_VERSION, have)
        for step in LAYOUT:
            for change in step.changes:
                if isinstance(change, Column):
                    self._present[f"{change.table}.{change.name}"] = True

    def _has(self, what: str) -> bool:
        """Whether a table (``name``) or a column (``table.column``) is there; a found one is remembered."""
        if self._present.get(what):
            return True
        table, _, column = what.partition(".")
        try:
            self.db.query(f"SELECT {column or 1} FROM {self._t(table)} WHERE 1 = 0")
        except Exception:
            self.db.rollback()
            return False
        self._present[what] = True
        return True

    # runs -----------------------------------------------------------------------------------------
    def start_run(
        self,
        run_id: str,
        *,
        from_release: str | None,
        to_release: str | None,
        phase: str | None,
        tool_version: str,
        installed_by: str,
        backup: str | None = None,
    ) -> None:
        self.run_id = run_id
        self._exec(
            f"INSERT INTO {self._t(RUNS)} (run_id, started_at, from_release, to_release, phase,"
            " installed_by, host, tool_version, outcome, backup) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                run_id,
                now(),
                from_release,
                to_release,
                phase,
                installed_by or _os_user(),
                _host(),
                tool_version,
                "running",
                backup or self.pending_backup,
            ),
        )
        self.db.commit()

    def finish_run(self, run_id: str, outcome: str, detail: str | None = None) -> None:
        self._exec(
            f"UPDATE {self._t(RUNS)} SET finished_at = ?, outcome = ?, detail = ? WHERE run_id = ?",
            (now(), outcome, (detail or "")[:2000], run_id),
        )
        self.db.commit()

    def runs(self) -> list[dict[str, Any]]:
        if not self._has(RUNS):
            return []
        cols = (
            "run_id",
            "started_at",
            "finished_at",
            "from_release",
            "to_release",
            "phase",
            "installed_by",
            "host",
            "tool_version",
            "outcome",
            "detail",
            "backup",
        )
        rows = self.db.query(f"SELECT {', '.join(cols)} FROM {self._t(RUNS)} ORDER BY started_at, run_id")
        return [dict(zip(cols, r, strict=True)) for r in rows]

    # applied --------------------------------------------------------------------------------------
    def record_applied(self, work: Work, run_id: str | None, statements: int, digest: str) -> None:
        """The ``flywayx_applied`` row, numbered by the server (the caller holds the migration lock), and
        the progress record's removal: both go with the next statement (``Database.later``: on
        MySQL/MariaDB in the packet of the migration's COMMIT)."""
        m = work.migration
        values = _applied_values(work, run_id, statements, digest, success=True)
        self.db.later(*self._numbered_insert(values))
        self.db.later(self._delete_progress(), (migration_key(m.version.text if m.version else None, m.description),))

    def _delete_progress(self) -> str:
        key = ("delete", self.schema)
        sql = self._texts.get(key)
        if sql is None:
            sql = self._texts[key] = f"DELETE FROM {self._t(PROGRESS)} WHERE mkey = ?"
        return sql

    def _numbered_insert(self, values: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
        """INSERT of a ``flywayx_applied`` row whose ``seq`` the server takes (highest + 1) in the same
        statement. MySQL refuses a subquery on the target table in VALUES, but reads it in INSERT … SELECT;
        elsewhere VALUES keeps the parameters typed by their columns."""
        key = ("applied", self.schema, len(values))
        sql = self._texts.get(key)
        if sql is None:
            table, marks = self._t(APPLIED), ", ".join("?" * len(values))
            if self.db.dialect in ("mysql", "mariadb"):
                sql = f"INSERT INTO {table} ({_APPLIED_COLUMNS}) SELECT COALESCE(MAX(seq), 0) + 1, {marks} FROM {table}"
            else:
                sql = (
                    f"INSERT INTO {table} ({_APPLIED_COLUMNS}) VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM {table}),"
                    f" {marks})"
                )
            self._texts[key] = sql
        return sql, values

    def record_failed(
        self, work: Work, run_id: str | None, statements: int, digest: str, *, tracked: bool = False
    ) -> None:
        """The failed run's row in flywayx_applied; with ``tracked`` the progress record is set to
        exactly ``statements`` applied (nothing in flight), else only its status changes."""
        self._insert_applied(work, run_id, statements, digest, success=False)
        if tracked:
            key = _key(work)
            if statements == 0 and not self.db.query(f"SELECT 1 FROM {self._t(PROGRESS)} WHERE mkey = ?", (key,)):
                # it failed before its first statement was sent (a beforeEachMigrate callback), so no
                # record was written with it: one is now, so --resume can start it at statement 1
                m = work.migration
                self._exec(
                    f"INSERT INTO {self._t(PROGRESS)} (mkey, script, checksum, run_id, statements_done,"
                    " statement_hash, total, status, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
                    (key, m.script[:1000], m.checksum, run_id, 0, digest, len(work.statements or ()), "failed", now()),
                )
            self.settle(key, statements, digest, "failed")
            return
        self._exec(
            f"UPDATE {self._t(PROGRESS)} SET status = ?, updated_at = ? WHERE mkey = ?", ("failed", now(), _key(work))
        )

    def _insert_applied(self, work: Work, run_id: str | None, statements: int, digest: str, *, success: bool) -> None:
        seq = (self.db.query(f"SELECT MAX(seq) FROM {self._t(APPLIED)}")[0][0] or 0) + 1
        values = _applied_values(work, run_id, statements, digest, success=success)
        self._exec(
            f"INSERT INTO {self._t(APPLIED)} ({_APPLIED_COLUMNS}) VALUES (?{', ?' * len(values)})", (seq, *values)
        )

    def applied(self) -> list[dict[str, Any]]:
        if not self._has(APPLIED):
            return []
        cols = (
            "seq",
            "version",
            "description",
            "script",
            "content_id",
            "release_name",
            "line_name",
            "phase",
            "run_id",
            "statements",
            "statement_hash",
            "success",
            "applied_at",
            "recorded_as",
            "satisfied_by",
        )
        have = [
            c if c not in ("recorded_as", "satisfied_by") or self._has(f"{APPLIED}.{c}") else "NULL" for c in cols
        ]  # read-only (--dry-run) on a table of an older layout
        rows = self.db.query(f"SELECT {', '.join(have)} FROM {self._t(APPLIED)} ORDER BY seq")
        return [dict(zip(cols, r, strict=True)) for r in rows]

    def without_content_id(self) -> list[tuple[int, str]]:
        """(seq, version) of the successful versioned rows an older flywayx wrote without a content id
        (only those rows are read: a migrate asks on every run)."""
        if not self._has(APPLIED):
            return []
        rows = self.db.query(
            f"SELECT seq, version FROM {self._t(APPLIED)} WHERE content_id IS NULL"
            " AND success = 1 AND version IS NOT NULL ORDER BY seq"
        )
        return [(int(r[0]), str(r[1])) for r in rows]

    def fill_content_id(self, seq: int, content_id: str) -> None:
        """Upgrade in place: a row written before content ids were recorded in every mode gets its id."""
        self._exec(f"UPDATE {self._t(APPLIED)} SET content_id = ? WHERE seq = ?", (content_id, seq))

    # progress -------------------------------------------------------------------------------------
    def start_progress(self, work: Work, run_id: str | None, done: int, digest: str) -> None:
        """Write the ``running`` record; the caller's transaction (or the next DDL) commits it. It goes
        with the migration's first statement (``Database.later``)."""
        self._queue_running(work, run_id, done, digest)

    def start_progress_ahead(self, work: Work, run_id: str, in_flight: str) -> None:
        """The ``running`` record of ``work``, with its first statement in flight, written ahead: in the
        packet (and the commit) of the previous migration's history row, so the first statement's own
        implicit commit has nothing to flush. Only under ``Database.hold_run``: while the run lives,
        the record is its own (``running_sql`` and ``pending_progress`` leave it out); once the run's
        session ends it is an interrupted run's, exactly as one written with the statement."""
        self._queue_running(work, run_id, 0, "", in_flight)

    def _queue_running(
        self, work: Work, run_id: str | None, done: int, digest: str, in_flight: str | None = None
    ) -> None:
        """Queue (``Database.later``) the replacement of ``work``'s record by a ``running`` one."""
        m = work.migration
        key = _key(work)
        flight = ("inflight_hash",) if in_flight is not None else ()
        columns = ("mkey", "script", "checksum", "run_id", "statements_done", "statement_hash", *flight)
        values = (key, m.script[:1000], m.checksum, run_id, done, digest, *((in_flight,) if flight else ()))
        columns += ("total", "status", "updated_at")
        values += (len(work.statements or ()), "running", now())
        text = ("running", self.schema, columns)
        insert = self._texts.get(text)
        if insert is None:
            insert = f"INSERT INTO {self._t(PROGRESS)} ({', '.join(columns)}) VALUES ({','.join('?' * len(values))})"
            self._texts[text] = insert
        self.db.later(self._delete_progress(), (key,))
        self.db.later(insert, values)

    def drop_ahead(self, work: Work, run_id: str) -> None:
        """Remove the record ``start_progress_ahead`` wrote when ``work`` is not run after all (the run
        chose another step, or stopped); with the next statement (``Database.later``)."""
        self.db.later(
            f"DELETE FROM {self._t(PROGRESS)} WHERE mkey = ? AND run_id = ? AND status = 'running'"
            " AND statements_done = 0",
            (_key(work), run_id),
        )

    def progress(self, work: Work, done: int, digest: str, in_flight: str | None = None) -> None:
        """``done`` statements applied; ``in_flight``: hash through the next one, about to be sent."""
        self._exec(*self.progress_statement(work, done, digest, in_flight))

    def progress_statement(
        self, work: Work, done: int, digest: str, in_flight: str | None = None
    ) -> tuple[str, tuple[Any, ...]]:
        """The UPDATE ``progress`` sends, as (sql with ``?``, params), to send in a batch before a DDL."""
        return (
            f"UPDATE {self._t(PROGRESS)} SET statements_done = ?, statement_hash = ?, inflight_hash = ?,"
            " updated_at = ? WHERE mkey = ?",
            (done, digest, in_flight, now(), _key(work)),
        )

    def settle(self, key: str, done: int, digest: str, status: str = "running") -> None:
        """Resume decided what the in-flight statement did: ``done`` statements are applied, none in flight."""
        self._exec(
            f"UPDATE {self._t(PROGRESS)} SET statements_done = ?, statement_hash = ?, inflight_hash = NULL,"
            " status = ?, updated_at = ? WHERE mkey = ?",
            (done, digest, status, now(), key),
        )

    def pending_progress(self) -> list[Progress]:
        """Recorded failed or interrupted migrations (none when the table is missing: none was recorded)."""
        if not self._has(PROGRESS):
            return []
        extra = ", inflight_hash" if self._has(f"{PROGRESS}.inflight_hash") else ", NULL"
        rows = self.db.query(
            f"SELECT mkey, script, checksum, statements_done, statement_hash, total, status{extra}"
            f" FROM {self._t(PROGRESS)}{self._not_live(' WHERE')} ORDER BY mkey"
        )
        return [Progress(r[0], r[1], r[2], int(r[3]), r[4], int(r[5]), r[6], r[7]) for r in rows]

    def running_sql(self) -> str:
        """A scalar SQL expression: how many ``running`` progress records there are (a run killed
        mid-migration leaves one), plus ``LIVE_RUN`` for each record another live run wrote ahead for
        its next step (``start_progress_ahead``; this run's own are not counted). The engine reads it
        with the history token, in the same query."""
        if not self._has(PROGRESS):
            return "0"
        key = ("running_sql", self.schema, self.run_id)
        known = self._texts.get(key)
        if known is None:
            known = self._texts[key] = self._running_sql()
        return known

    def _running_sql(self) -> str:
        live = self.db.live_run_sql("run_id")
        if not live:
            return f"(SELECT COUNT(*) FROM {self._t(PROGRESS)} WHERE status = 'running')"
        plain = self.run_id is not None and self.run_id.replace("-", "").isalnum()  # a UUID: a safe literal
        ours = f"run_id = '{self.run_id}'" if plain else "1 = 0"
        return (
            f"(SELECT COALESCE(SUM(CASE WHEN NOT ({live}) THEN 1 WHEN {ours} THEN 0 ELSE {LIVE_RUN} END), 0)"
            f" FROM {self._t(PROGRESS)} WHERE status = 'running')"
        )

    def _not_live(self, joiner: str) -> str:
        """The condition leaving out the ``running`` records of live runs (``Database.live_run_sql``): a
        record the engine wrote ahead for its next migration (``start_progress_ahead``) while its run
        goes on. Records of runs that end or are killed are kept; elsewhere nothing is left out."""
        live = self.db.live_run_sql("run_id")
        return f"{joiner} NOT (status = 'running' AND {live})" if live else ""

    def clear_progress(self, key: str) -> None:
        if not self._has(PROGRESS):
            return
        self._exec(f"DELETE FROM {self._t(PROGRESS)} WHERE mkey = ?", (key,))

    # recorded schema state -----------------------------------------------------------------------
    def record_state(self, run_id: str | None, history_rank: int, history_digest: str, digest: str, body: str) -> None:
        """Append the fingerprint (JSON ``body``) the schema has after ``run_id``; creates the table
        when a database migrated by an older flywayx lacks it."""
        if not self._has(STATE):
            self.ensure()
        # The state is recorded under the migration lock (``service.core``), so the next ``seq`` is this
        # runner's; should the INSERT still hit the primary key (a writer that does not take the lock),
        # it takes the next free number. Any other failure repeats too and is raised at the end.
        for attempt in range(_STATE_ATTEMPTS):
            seq = (self.db.query(f"SELECT MAX(seq) FROM {self._t(STATE)}")[0][0] or 0) + 1
            try:
                self._exec(
                    f"INSERT INTO {self._t(STATE)} (seq, run_id, recorded_at, history_rank, history_digest,"
                    " digest, fingerprint) VALUES (?,?,?,?,?,?,?)",
                    (seq, run_id, now(), history_rank, history_digest, digest, body),
                )
                return
            except Exception:
                self.db.rollback()
                if attempt == _STATE_ATTEMPTS - 1:
                    raise
                import random

                time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))

    def last_state(self, *, fingerprint: bool = True) -> dict[str, Any] | None:
        """The latest recorded state (keys as the columns), or None when none was recorded. Only that
        row is read; without ``fingerprint`` its (large) fingerprint column is not sent at all."""
        if not self._has(STATE):
            return None
        cols = (
            "seq",
            "run_id",
            "recorded_at",
            "history_rank",
            "history_digest",
            "digest",
            *(("fingerprint",) if fingerprint else ()),
        )
        rows = self.db.query(f"SELECT {', '.join(cols)} FROM {self._t(STATE)} ORDER BY seq DESC LIMIT 1")
        return dict(zip(cols, rows[0], strict=True)) if rows else None

    def _exec(self, sql: str, params: tuple[Any, ...]) -> None:
        self.db.query(sql, params)  # ``?`` placeholders on every dialect (Database.query's contract)


_APPLIED_COLUMNS = (
    "seq, version, description, script, content_id, release_name, line_name, phase, run_id,"
    " statements, statement_hash, success, applied_at, recorded_as, satisfied_by"
)


def _applied_values(work: Work, run_id: str | None, statements: int, digest: str, *, success: bool) -> tuple[Any, ...]:
    """A ``flywayx_applied`` row after its ``seq``."""
    m = work.migration
    return (
        m.version.text if m.version else None,
        m.description[:200],
        m.script[:1000],
        work.content_id,
        work.release,
        work.line,
        work.phase_name(),
        run_id,
        statements,
        digest,
        1 if success else 0,
        now(),
        work.recorded_as,
        (work.satisfied_by or "")[:255] or None,
    )


def _key(work: Work) -> str:
    m = work.migration
    return migration_key(m.version.text if m.version else None, m.description)


def _host() -> str:
    import socket  # imported by the writers only: info and validate read

    return socket.gethostname()


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return ""


__all__ = [
    "APPLIED",
    "LAYOUT",
    "LAYOUT_TABLE",
    "LAYOUT_VERSION",
    "LIVE_RUN",
    "PROGRESS",
    "RUNS",
    "STATE",
    "OwnTables",
    "Progress",
    "migration_key",
    "now",
]
