"""Backups with the databases' own clients, checked for completeness.

``backup`` writes, into ``dest_dir``, one dump file plus two files beside it:
``<dump>.manifest.json`` (tool, versions, schemas, size, sha256, start/finish, fingerprint digest)
and ``<dump>.fingerprint.json`` (the schema as ``flywayx.db.fingerprint`` read it). All three are
mode 0600 and the directories flywayx creates for them 0700, whatever the umask: a backup holds
all the data. ``flywayx.db.restore`` puts a backup back.

- MySQL/MariaDB: ``mariadb-dump`` (else ``mysqldump``) ``--single-transaction --routines --triggers
  --events --databases ...``; complete when the ``-- Dump completed`` trailer is present.
- PostgreSQL: ``pg_dump -Fc`` of the URL's database (``-n`` per schema, as a quoted pattern);
  complete when pg_dump exits 0 and ``pg_restore -l`` can list it.
- SQLite: ``sqlite3.Connection.backup`` into a new file; complete when ``PRAGMA integrity_check``
  says ``ok``.

Passwords reach clients only through a private temporary option file (MySQL) or ``PGPASSWORD``,
never argv; every message built from a client's output is redacted (``flywayx.db.clients``).
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flywayx.db import clients, timeouts
from flywayx.db.clients import BackupFailed
from flywayx.db.fingerprint import fingerprint
from flywayx.errors import FlywayxError, UsageError
from flywayx.model.config import DatabaseUrl

_EXT = {"mysql": ".sql", "postgresql": ".dump", "sqlite": ".sqlite"}
MANIFEST_FORMAT = 1


@dataclass(frozen=True)
class BackupInfo:
    """What ``backup`` wrote; also the content of the manifest (``BackupInfo.load``)."""

    path: Path
    dialect: str
    tool: str
    tool_version: str
    server_version: str
    schemas: tuple[str, ...]
    size: int
    sha256: str
    started: str
    finished: str
    fingerprint_digest: str
    url: str = ""  # redacted

    @property
    def manifest_path(self) -> Path:
        return self.path.with_name(self.path.name + ".manifest.json")

    @property
    def fingerprint_path(self) -> Path:
        return self.path.with_name(self.path.name + ".fingerprint.json")

    def to_json(self) -> str:
        data = {**asdict(self), "path": self.path.name, "schemas": list(self.schemas), "format": MANIFEST_FORMAT}
        return json.dumps(data, sort_keys=True, indent=1) + "\n"

    @classmethod
    def load(cls, dump: Path) -> BackupInfo:
        """Read the manifest beside ``dump``; BackupFailed when it is absent or unreadable."""
        manifest = dump.with_name(dump.name + ".manifest.json")
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            data.pop("format", None)
            return cls(**{**data, "path": dump, "schemas": tuple(data["schemas"])})
        except (OSError, ValueError, TypeError, KeyError) as err:
            raise BackupFailed(
                f"cannot read backup manifest {manifest}: {err}",
                hint="restore needs the .manifest.json written beside the dump",
            ) from err


def backup(
    url: DatabaseUrl,
    password: str | None,
    schemas: Sequence[str],
    dest_dir: Path,
    limits: timeouts.Timeouts | None = None,
) -> BackupInfo:
    """Dump ``schemas`` of the database at ``url`` into a new file under ``dest_dir`` and check it.

    ``password`` overrides the URL's. ``schemas``: MySQL databases (default: the URL's database),
    PostgreSQL schemas of the URL's database (default: all user schemas), ignored for SQLite.
    Raises ToolMissing when the client is absent, BackupFailed when the dump is incomplete,
    ConnectionFailed when the database cannot be reached. Messages never contain the password.
    ``limits`` (default: the URL's JDBC parameters): the client gets the connect limit as its own
    option, and is ended when it makes no progress for the socket limit (BackupFailed; the file goes).
    """
    family = clients.family(url)
    limits = limits or timeouts.resolve(url.dialect, url.params, None, None)
    secret = password if password is not None else url.password
    tools = clients.tools(family)
    clients.private_dir(dest_dir)
    started = _now()
    with clients.connection(url, secret, limits=limits) as conn:
        # PostgreSQL's driver has no socket limit of its own: the watchdog is it (PyMySQL's is set)
        dog = timeouts.Watchdog(limits.socket if family == "postgresql" else 0.0, lambda: int(conn.fileno()))
        reads = timeouts.Bounded(conn, dog)  # each answer within the limit (not all of them together)
        try:
            names = _resolve_schemas(reads, family, url, schemas)
            fp = fingerprint(reads, family, names)
            server = _server_version(reads, family)
        except FlywayxError:
            raise
        except Exception as err:  # the driver's: a lost connection, the socket limit
            raise BackupFailed(
                f"cannot read the schemas to back up: {clients.first_lines(clients.redact(str(err), secret))}"
                + (f" (socketTimeout is {limits.socket:g} s)" if limits.socket else ""),
                hint="check the server and the network path to it, then run again",
            ) from err
        finally:
            dog.close()
    path = _new_path(dest_dir, family, url, names)
    path.touch(mode=0o600, exist_ok=False)  # mode 0600 before a byte is written; the clients keep it
    path.chmod(0o600)
    dump = {"mysql": _dump_mysql, "postgresql": _dump_pg, "sqlite": _dump_sqlite}[family]
    try:
        tool_version = dump(tools, url, secret, names, path, limits)
    except BaseException:
        path.unlink(missing_ok=True)  # a dump that failed its check must not look like a backup
        raise
    size, digest = file_digest(path)
    info = BackupInfo(
        path,
        family,
        Path(tools[0]).name if tools else "sqlite3.backup",
        tool_version,
        server,
        tuple(names),
        size,
        digest,
        started,
        _now(),
        fp.digest,
        url.redacted,
    )
    clients.write_private(info.fingerprint_path, fp.to_json() + "\n")
    clients.write_private(info.manifest_path, info.to_json())
    return info


def client_tools(url: DatabaseUrl, *, restoring: bool = False) -> list[str]:
    """The clients a backup (or restore) of ``url`` needs, found on PATH; ToolMissing when absent."""
    return clients.tools(clients.family(url), restore=restoring)


# ---------------------------------------------------------------- shared plumbing


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def file_digest(path: Path) -> tuple[int, str]:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return path.stat().st_size, h.hexdigest()


def _new_path(dest: Path, family: str, url: DatabaseUrl, schemas: Sequence[str]) -> Path:
    """``<database or schemas>-<UTC time><ext>``, never overwriting an existing file."""
    base = Path(url.database or "db").stem if family == "sqlite" else "+".join(schemas) or (url.database or "db")
    if family == "postgresql" and url.database:
        base = url.database + ("-" + base if schemas else "")
    base = re.sub(r"[^A-Za-z0-9._+-]", "_", base).lstrip(".")[:100] or "db"  # names may hold / or quotes
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path, n = dest / f"{base}-{stamp}{_EXT[family]}", 1
    while path.exists():
        n += 1
        path = dest / f"{base}-{stamp}-{n}{_EXT[family]}"
    return path


def _resolve_schemas(conn: Any, family: str, url: DatabaseUrl, schemas: Sequence[str]) -> list[str]:
    if schemas:
        return sorted(set(schemas))
    if family == "sqlite":
        return ["main"]
    if family == "mysql":
        if not url.database:
            raise UsageError("no schema to back up", hint="name the schemas or put a database in the URL")
        return [url.database]
    with closing(conn.cursor()) as cur:
        cur.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
            "AND nspname <> 'information_schema' ORDER BY nspname"
        )
        return [r[0] for r in cur.fetchall()]


def _server_version(conn: Any, family: str) -> str:
    if family == "sqlite":
        return sqlite3.sqlite_version
    with closing(conn.cursor()) as cur:
        cur.execute("SELECT VERSION()" if family == "mysql" else "SHOW server_version")
        return str(cur.fetchone()[0])


# ---------------------------------------------------------------- MySQL / MariaDB


def _dump_mysql(
    tools: list[str], url: DatabaseUrl, secret: str | None, schemas: list[str], path: Path, limits: timeouts.Timeouts
) -> str:
    opts = ["--single-transaction", "--routines", "--triggers", "--events", "--hex-blob", "--no-tablespaces"]
    # mariadb-dump/mysqldump take no --connect-timeout, not even from an option file: the stall watchdog
    # ends one that has not connected within the connect limit
    cmd = [tools[0], *clients.mysql_args(url), *opts, "--databases", *schemas]
    with clients.mysql_auth(secret) as auth, path.open("r+b") as out:
        clients.run(
            [cmd[0], *auth, *cmd[1:]],
            secret,
            stdout=out,
            limits=limits,
            progress=clients.output_size(path),
            own_connect=False,
            ends=lambda dog: clients.end_mysql_sessions(url, secret, limits, dog.endpoints),
        )
    last = (_tail(path).rstrip().splitlines() or [""])[-1]
    if not last.startswith("-- Dump completed"):
        raise BackupFailed(
            f"{path.name} has no '-- Dump completed' trailer: the dump stopped early",
            hint="check disk space and the server log, then run the backup again",
        )
    return clients.run([tools[0], "--version"], secret).strip()


def _tail(path: Path, size: int = 4096) -> str:
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - size))
        return fh.read().decode("utf-8", "replace")


# ---------------------------------------------------------------- PostgreSQL


def _dump_pg(
    tools: list[str], url: DatabaseUrl, secret: str | None, schemas: list[str], path: Path, limits: timeouts.Timeouts
) -> str:
    pg_dump, pg_restore = tools
    only = [f"--schema={_pg_pattern(s)}" for s in schemas]
    db = clients.pg_database(url)
    name = clients.app_name("pg_dump")  # its session, should the watchdog end it, is found by this name
    clients.run(
        [pg_dump, "--format=custom", *clients.pg_args(url), f"--file={path}", *only, f"--dbname={db}"],
        secret,
        env={**clients.pg_env(secret, limits), "PGAPPNAME": name},
        limits=limits,
        progress=clients.output_size(path),
        ends=lambda dog: clients.end_pg_sessions(url, secret, limits, app_name=name),
    )
    listing = clients.run([pg_restore, "--list", str(path)], secret)
    if not any(ln and not ln.startswith(";") for ln in listing.splitlines()):
        raise BackupFailed(f"{path.name}: pg_restore lists no entries in the dump")
    return clients.run([pg_dump, "--version"], secret).strip()


def _pg_pattern(schema: str) -> str:
    """``schema`` as a pg_dump pattern matching exactly that name: double quotes make ``*``, ``?``,
    ``.`` and upper case literal; a double quote inside is doubled."""
    return '"' + schema.replace('"', '""') + '"'


# ---------------------------------------------------------------- SQLite


def sqlite_copy(src_path: str, dst_path: str) -> None:
    """Copy with the online backup API, then require ``integrity_check`` = ok on the copy."""
    try:
        source = Path(src_path).resolve().as_uri() + "?mode=ro"
        with closing(sqlite3.connect(source, uri=True)) as src, closing(sqlite3.connect(dst_path)) as dst:
            src.backup(dst)
            result = [r[0] for r in dst.execute("PRAGMA integrity_check")]
    except sqlite3.Error as err:
        raise BackupFailed(f"SQLite copy {src_path} -> {dst_path} failed: {err}") from err
    if result != ["ok"]:
        raise BackupFailed(f"SQLite integrity check of {dst_path} failed: {'; '.join(map(str, result[:5]))}")


def _dump_sqlite(
    tools: list[str], url: DatabaseUrl, secret: str | None, schemas: list[str], path: Path, limits: timeouts.Timeouts
) -> str:
    sqlite_copy(clients.sqlite_path(url), str(path))
    return f"sqlite3 backup API {sqlite3.sqlite_version}"


__all__ = ["BackupFailed", "BackupInfo", "backup", "client_tools", "file_digest", "sqlite_copy"]
