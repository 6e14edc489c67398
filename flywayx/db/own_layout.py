"""The layout of flywayx's own tables: one step per version, created or brought up to date in one step.

Sqitch versions its registry the same way. A release that needs a change appends a step to ``LAYOUT``
and never edits an earlier one; a database at any earlier version (recorded in ``flywayx_layout``, or
none: made before the layout was versioned), or with any subset of an earlier run's work, is brought
to the last step by ``upgrade``. A table missing altogether is created with every column of the
current layout at once (a first run: no table is created and then altered); a table that exists gets
only the columns it lacks.

Portable DDL (VARCHAR/INT only) so the same statements work on MySQL/MariaDB, PostgreSQL, SQLite;
timestamps are written by flywayx as UTC ISO text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flywayx.db.base import Database

RUNS = "flywayx_runs"
APPLIED = "flywayx_applied"
PROGRESS = "flywayx_progress"
STATE = "flywayx_schema_state"
LAYOUT_TABLE = "flywayx_layout"


@dataclass(frozen=True)
class Table:
    """A table of the layout: created when missing (``{big}``: the dialect's large text type)."""

    name: str
    columns: str


@dataclass(frozen=True)
class Column:
    """A column a later layout added: added to the table when missing."""

    table: str
    name: str
    type: str


@dataclass(frozen=True)
class Step:
    """One version of the layout: what it adds to the previous one. Each change is applied only when
    its table or column is missing, so any subset of an earlier run's work completes the step."""

    version: int
    description: str
    changes: tuple[Table | Column, ...]


LAYOUT: tuple[Step, ...] = (
    Step(
        1,
        "runs, applied migrations, statement progress",
        (
            Table(
                RUNS,
                "run_id VARCHAR(40) NOT NULL PRIMARY KEY, started_at VARCHAR(32) NOT NULL, finished_at VARCHAR(32),"
                " from_release VARCHAR(100), to_release VARCHAR(100), phase VARCHAR(20), installed_by VARCHAR(100),"
                " host VARCHAR(255), tool_version VARCHAR(40), outcome VARCHAR(20) NOT NULL,"
                " detail VARCHAR(2000), backup VARCHAR(1000)",
            ),
            Table(
                APPLIED,
                "seq INT NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL,"
                " script VARCHAR(1000) NOT NULL, content_id VARCHAR(64), release_name VARCHAR(100),"
                " line_name VARCHAR(100), phase VARCHAR(20), run_id VARCHAR(40), statements INT NOT NULL,"
                " statement_hash VARCHAR(64), success INT NOT NULL, applied_at VARCHAR(32) NOT NULL",
            ),
            Table(
                PROGRESS,
                "mkey VARCHAR(255) NOT NULL PRIMARY KEY, script VARCHAR(1000) NOT NULL, checksum INT,"
                " run_id VARCHAR(40), statements_done INT NOT NULL, statement_hash VARCHAR(64) NOT NULL,"
                " total INT NOT NULL, status VARCHAR(20) NOT NULL, updated_at VARCHAR(32) NOT NULL",
            ),
        ),
    ),
    Step(2, "the statement in flight when a run was killed", (Column(PROGRESS, "inflight_hash", "VARCHAR(64)"),)),
    Step(
        3,
        "the schema fingerprint recorded for verify",
        (
            Table(
                STATE,
                "seq INT NOT NULL PRIMARY KEY, run_id VARCHAR(40), recorded_at VARCHAR(32) NOT NULL,"
                " history_rank INT NOT NULL, history_digest VARCHAR(64) NOT NULL, digest VARCHAR(64) NOT NULL,"
                " fingerprint {big} NOT NULL",
            ),
        ),
    ),
    Step(
        4,
        "migrations recorded as applied without running, how and by what",
        (
            Column(APPLIED, "recorded_as", "VARCHAR(20)"),
            Column(APPLIED, "satisfied_by", "VARCHAR(255)"),
        ),
    ),
)
LAYOUT_VERSION = LAYOUT[-1].version
LAYOUT_DDL = Table(
    LAYOUT_TABLE,
    "version INT NOT NULL PRIMARY KEY, description VARCHAR(200) NOT NULL,"
    " applied_at VARCHAR(32) NOT NULL, tool_version VARCHAR(40)",
)
# the one column that outgrows VARCHAR: a fingerprint of a large schema (CloudStack: ~1 MB of JSON)
_BIG_TEXT = {"mysql": "LONGTEXT", "mariadb": "LONGTEXT"}


def columns(table: str) -> list[str]:
    """Every column the current layout gives ``table``."""
    cols: list[str] = []
    for step in LAYOUT:
        for change in step.changes:
            if isinstance(change, Table) and change.name == table:
                cols += [
                    c.strip().split()[0]
                    for c in change.columns.split(",")
                    if c.strip()[:1].isalpha() and not c.strip().upper().startswith(("PRIMARY", "CONSTRAINT"))
                ]
            elif isinstance(change, Column) and change.table == table:
                cols.append(change.name)
    return cols


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def upgrade(db: Database, schema: str, tool_version: str, have: dict[str, list[str]] | None = None) -> None:
    """Bring flywayx's tables in ``schema`` to the current layout (call under the migration lock):
    create each missing table whole, add each missing column, record each step not yet recorded, commit.
    Reads the columns of every table in one query (``Database.table_columns``), unless the caller
    just read them (``have``). The changes travel with the read of the layout's rows (``Database.later``:
    one packet where the server takes several statements, so a first run creates its tables in one
    round trip; SQLite runs each at once)."""
    tables = (LAYOUT_DDL, *(c for step in LAYOUT for c in step.changes if isinstance(c, Table)))
    if have is None:
        have = db.table_columns(schema, [t.name for t in tables])
    for table in tables:
        present = set(have.get(table.name, ()))
        later = [c for step in LAYOUT for c in step.changes if isinstance(c, Column) and c.table == table.name]
        if not present:
            body = ", ".join([table.columns, *(f"{c.name} {c.type}" for c in later)])
            big = _BIG_TEXT.get(db.dialect, "TEXT")
            db.later(f"CREATE TABLE IF NOT EXISTS {db.quote(schema, table.name)} ({body.format(big=big)})")
            continue
        for column in later:
            if column.name not in present:
                db.later(f"ALTER TABLE {db.quote(schema, table.name)} ADD COLUMN {column.name} {column.type}")
    layout = db.quote(schema, LAYOUT_TABLE)
    known = {int(r[0]) for r in db.query(f"SELECT version FROM {layout}")}  # sends the changes first
    missing = [step for step in LAYOUT if step.version not in known]
    if missing:  # one statement: every step not recorded
        db.query(
            f"INSERT INTO {layout} (version, description, applied_at, tool_version) VALUES "
            + ", ".join(["(?,?,?,?)"] * len(missing)),
            tuple(v for step in missing for v in (step.version, step.description, now(), tool_version)),
        )
    db.commit()


__all__ = [
    "APPLIED",
    "LAYOUT",
    "LAYOUT_DDL",
    "LAYOUT_TABLE",
    "LAYOUT_VERSION",
    "PROGRESS",
    "RUNS",
    "STATE",
    "Column",
    "Step",
    "Table",
    "columns",
    "now",
    "upgrade",
]
