"""The independent oracle: the real clients apply a migration folder, the real dump tools describe what a
database holds.

- ``client_apply`` runs every migration file, in Flyway's version order, through ``mariadb`` or
  ``psql -v ON_ERROR_STOP=1`` (what a user of the client would type);
- ``describe`` is ``mariadb-dump``/``pg_dump`` of schema and data (routines, triggers, events, views),
  without flywayx's and Flyway's tables and with the database's own name, dump dates, definers and
  row order normalised. flywayx's own fingerprint code (db/fingerprint*.py) is deliberately not used.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.databases import ScratchDb
from tests.e2e import harness

OWN_TABLES = (
    "flyway_schema_history",
    "flywayx_runs",
    "flywayx_applied",
    "flywayx_progress",
    "flywayx_schema_state",
    "flywayx_layout",
)


@dataclass(frozen=True)
class Where:
    host: str
    port: int
    user: str
    password: str
    database: str


def where(db: ScratchDb) -> Where:
    return Where(db.host, db.port, db.user, db.password, db.name)


def _env(w: Where) -> dict[str, str]:
    env = harness.env()
    if w.password:
        env["MYSQL_PWD"] = env["PGPASSWORD"] = w.password
    return env


def client(
    db: ScratchDb, sql_file: Path, *, comments: bool = False, search_path: str = "", single_transaction: bool = False
) -> subprocess.CompletedProcess[str]:
    """One file through the real client; the caller checks ``returncode``. ``comments``: ``mariadb
    --comments``, which sends comments to the server as Flyway's JDBC driver does (the client's default
    strips ``--`` comments, also inside a routine's body, so the server stores the routine without them).
    ``search_path``: psql's session search path (what Flyway sets for its ``schemas``). ``single_transaction``:
    ``psql --single-transaction``, the file in one transaction as Flyway runs a transactional migration."""
    w = where(db)
    env = _env(w)
    if search_path:
        env["PGOPTIONS"] = f"-c search_path={search_path}"
    if db.dialect == "mariadb":
        # the connection character set flywayx and Flyway's drivers use (this client's default is utf8mb3)
        args = [
            "mariadb",
            *(["--comments"] if comments else []),
            "--default-character-set=utf8mb4",
            "-h",
            w.host,
            "-P",
            str(w.port),
            "-u",
            w.user,
            w.database,
        ]
    else:
        args = [
            "psql",
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            *(["--single-transaction"] if single_transaction else []),
            "-h",
            w.host,
            "-p",
            str(w.port),
            "-U",
            w.user,
            "-d",
            w.database,
        ]
    with sql_file.open("rb") as stdin:
        return subprocess.run(args, stdin=stdin, capture_output=True, text=True, env=env, timeout=600, check=False)


def _version_key(path: Path) -> tuple[int, ...]:
    m = re.match(r"[VB]([\d._]+)__", path.name)
    return tuple(int(p) for p in re.split(r"[._]", m.group(1)) if p) if m else (1 << 30,)


def client_apply(db: ScratchDb, location: Path, *, comments: bool = False) -> None:
    """The ``beforeMigrate`` callbacks, the latest baseline migration (if any), every versioned migration
    above it in version order, the repeatables by name, the ``afterMigrate`` callbacks: what Flyway runs
    on a fresh database, one file at a time through the client."""
    versioned = sorted(location.glob("V*__*.sql"), key=_version_key)
    baselines = sorted(location.glob("B*__*.sql"), key=_version_key)
    if baselines:  # a fresh database starts from the latest baseline migration (Flyway's B prefix)
        newest = _version_key(baselines[-1])
        versioned = [baselines[-1], *(v for v in versioned if _version_key(v) > newest)]
    before = sorted([*location.glob("beforeMigrate.sql"), *location.glob("beforeMigrate__*.sql")])
    after = sorted([*location.glob("afterMigrate.sql"), *location.glob("afterMigrate__*.sql")])
    for path in [*before, *versioned, *sorted(location.glob("R__*.sql")), *after]:
        done = client(db, path, comments=comments)
        assert done.returncode == 0, f"the client failed on {path.name}: {done.stderr}"


def describe(db: ScratchDb, *, keys: bool = True, history: str = "flyway_schema_history") -> str:
    """Schema and data, as the dump tool writes them, normalised so two databases compare. Without
    ``keys`` the values of generated keys (each table's first column, sequence positions) are masked:
    a failed run that was rolled back has consumed some (AUTO_INCREMENT and sequences never go back).
    ``history``: the history table's name when it is not Flyway's default (left out like it)."""
    w = where(db)
    own = (*OWN_TABLES, history)
    if db.dialect == "mariadb":
        args = [
            "mariadb-dump",
            "-h",
            w.host,
            "-P",
            str(w.port),
            "-u",
            w.user,
            "--routines",
            "--events",
            "--triggers",
            "--skip-comments",
            "--skip-dump-date",
            "--skip-extended-insert",
            "--hex-blob",  # binary columns as text that compares (and decodes)
            "--order-by-primary",
            "--no-create-db",
            *(f"--ignore-table={w.database}.{t}" for t in own),
            w.database,
        ]
    else:
        args = [
            "pg_dump",
            "-h",
            w.host,
            "-p",
            str(w.port),
            "-U",
            w.user,
            "--no-owner",
            "--no-privileges",
            "--no-comments",
            *(f"--exclude-table=*.{t}" for t in own),
            w.database,
        ]
    out = subprocess.run(args, capture_output=True, text=True, env=_env(w), timeout=120, check=True).stdout
    if not keys:
        out = re.sub(r"(?m)^(INSERT INTO `[^`]+` VALUES \()-?\d+,", r"\1?,", out)
        out = re.sub(r"(?m)^\d+\t", "?\t", out)
        out = re.sub(r"(setval\('[^']+', )\d+", r"\1?", out)
    return _normalise(out, w.database, db.dialect)


def _normalise(dump: str, name: str, family: str) -> str:
    text = dump.replace(f"`{name}`", "`DB`").replace(f"'{name}'", "'DB'")
    text = re.sub(r"DEFINER=`[^`]*`@`[^`]*`", "DEFINER=?", text)
    text = re.sub(r" AUTO_INCREMENT=\d+", "", text)
    noise = ("--", "SET ", "SELECT pg_catalog.set_config(", "\\restrict ", "\\unrestrict ")  # psql's per-dump keys
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith(noise)]
    return "\n".join(_sort_rows(lines, family))


def _sort_rows(lines: list[str], family: str) -> list[str]:
    """Rows of a table in a stable order (tables without a key come back in insertion order, which a
    resumed run may change): INSERT lines on MariaDB, COPY blocks on PostgreSQL."""
    out: list[str] = []
    block: list[str] = []
    in_copy = False
    for ln in lines:
        row = ln.startswith("INSERT INTO ") if family == "mariadb" else in_copy and ln != "\\."
        if row:
            block.append(ln)
            continue
        out += sorted(block)
        block = []
        in_copy = family != "mariadb" and ln.startswith("COPY ")
        out.append(ln)
    return out + sorted(block)
