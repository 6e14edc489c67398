"""Backups with the databases' own clients, checked for completeness, and restore.

``backup`` writes, into ``dest_dir``, one dump file plus two files beside it:
``<dump>.manifest.json`` (tool, versions, schemas, size, sha256, start/finish, fingerprint digest)
and ``<dump>.fingerprint.json`` (the schema as ``flywayx.db.fingerprint`` read it). ``restore``
refuses a dump whose sha256 no longer matches its manifest, puts the schemas back, and compares
the restored schema with the saved fingerprint.

- MySQL/MariaDB: ``mariadb-dump`` (else ``mysqldump``) ``--single-transaction --routines --triggers
  --events --databases ...``; complete when the ``-- Dump completed`` trailer is present. Restore
  drops each database, then feeds the dump to ``mariadb`` (else ``mysql``); the dump's own
  ``CREATE DATABASE`` recreates it with its original character set.
- PostgreSQL: ``pg_dump -Fc`` of the URL's database (``-n`` per schema); complete when pg_dump
  exits 0 and ``pg_restore -l`` can list it. Restore drops and recreates each schema with ``psql``,
  then runs ``pg_restore --clean --if-exists --single-transaction``.
- SQLite: ``sqlite3.Connection.backup`` into a new file; complete when ``PRAGMA integrity_check``
  says ``ok``. Restore copies it back with the same API.

Passwords reach clients only through a private temporary option file (MySQL) or ``PGPASSWORD``,
never argv; every message built from a client's output is redacted.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flywayx.db.fingerprint import fingerprint
from flywayx.errors import ConnectionFailed, FlywayxError, ToolMissing, UsageError
from flywayx.model.config import DatabaseUrl
from flywayx.model.fingerprint import SchemaFingerprint, diff
from flywayx.model.redact import redact_text

_FAMILY = {"mysql": "mysql", "mariadb": "mysql", "postgresql": "postgresql", "postgres": "postgresql",
           "sqlite": "sqlite"}
_HINT = {"mysql": "install it: apt-get install mariadb-client (or mysql-client)",
         "postgresql": "install it: apt-get install postgresql-client"}
_EXT = {"mysql": ".sql", "postgresql": ".dump", "sqlite": ".sqlite"}
MANIFEST_FORMAT = 1
# (dialect, restoring?) -> the clients needed, each as alternatives in order of preference
_CLIENTS: dict[tuple[str, bool], list[tuple[str, ...]]] = {
    ("mysql", False): [("mariadb-dump", "mysqldump")],
    ("mysql", True): [("mariadb", "mysql")],
    ("postgresql", False): [("pg_dump",), ("pg_restore",)],
    ("postgresql", True): [("psql",), ("pg_restore",)],
}


class BackupFailed(FlywayxError):
    """A dump or restore did not complete, or its result failed a check."""

    error_code = "BACKUP_FAILED"


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
        data = {**asdict(self), "path": self.path.name, "schemas": list(self.schemas),
                "format": MANIFEST_FORMAT}
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
            raise BackupFailed(f"cannot read backup manifest {manifest}: {err}",
                               hint="restore needs the .manifest.json written beside the dump") from err


def backup(url: DatabaseUrl, password: str | None, schemas: Sequence[str], dest_dir: Path) -> BackupInfo:
    """Dump ``schemas`` of the database at ``url`` into a new file under ``dest_dir`` and check it.

    ``password`` overrides the URL's. ``schemas``: MySQL databases (default: the URL's database),
    PostgreSQL schemas of the URL's database (default: all user schemas), ignored for SQLite.
    Raises ToolMissing when the client is absent, BackupFailed when the dump is incomplete,
    ConnectionFailed when the database cannot be reached. Messages never contain the password.
    """
    family = _family(url)
    secret = password if password is not None else url.password
    tools = _tools(family)
    dest_dir.mkdir(parents=True, exist_ok=True)
    started = _now()
    with _connection(url, secret) as conn:
        names = _resolve_schemas(conn, family, url, schemas)
        fp = fingerprint(conn, family, names)
        server = _server_version(conn, family)
    path = _new_path(dest_dir, family, url, names)
    dump = {"mysql": _dump_mysql, "postgresql": _dump_pg, "sqlite": _dump_sqlite}[family]
    try:
        tool_version = dump(tools, url, secret, names, path)
    except BaseException:
        path.unlink(missing_ok=True)  # a dump that failed its check must not look like a backup
        raise
    size, digest = _file_digest(path)
    info = BackupInfo(path, family, Path(tools[0]).name if tools else "sqlite3.backup", tool_version, server,
                      tuple(names), size, digest, started, _now(), fp.digest, url.redacted)
    info.fingerprint_path.write_text(fp.to_json() + "\n", encoding="utf-8")
    info.manifest_path.write_text(info.to_json(), encoding="utf-8")
    return info


def client_tools(url: DatabaseUrl, *, restoring: bool = False) -> list[str]:
    """The clients a backup (or restore) of ``url`` needs, found on PATH; ToolMissing when absent."""
    return _tools(_family(url), restore=restoring)


def restore(backup_path: Path, url: DatabaseUrl, password: str | None, *, dry_run: bool = False) -> BackupInfo:
    """Put the backup at ``backup_path`` back into the database at ``url``, replacing its schemas.

    Checks the dump against its manifest first (sha256) and, afterwards, the restored schema
    against the saved fingerprint; either mismatch raises BackupFailed naming what differs.
    ``dry_run``: the checks before the restore only (clients, manifest, digest); nothing changes.
    """
    family = _family(url)
    tools = _tools(family, restore=True)
    info = BackupInfo.load(backup_path)
    if info.dialect != family:
        raise UsageError(f"backup {backup_path.name} is a {info.dialect} dump; the target is {family}")
    if _file_digest(backup_path)[1] != info.sha256:
        raise BackupFailed(f"backup {backup_path} does not match its manifest (sha256 differs)",
                           hint="the file was changed or truncated after the backup; use another backup")
    if dry_run:
        return info
    secret = password if password is not None else url.password
    load = {"mysql": _restore_mysql, "postgresql": _restore_pg, "sqlite": _restore_sqlite}[family]
    load(tools, url, secret, info.schemas, backup_path)
    _check_restored(info, url, secret)
    return info


# ---------------------------------------------------------------- shared plumbing


def _family(url: DatabaseUrl) -> str:
    family = _FAMILY.get(url.dialect.lower())
    if family is None:
        raise UsageError(f"backups are not supported for {url.dialect!r} databases")
    return family


def _tools(family: str, restore: bool = False) -> list[str]:
    """Absolute paths of the clients the operation needs, first found of each alternative."""
    wanted = _CLIENTS.get((family, restore), [])
    found = []
    for names in wanted:
        path = next((p for p in map(shutil.which, names) if p), None)
        if path is None:
            alt = f" (or {', '.join(names[1:])})" if len(names) > 1 else ""
            raise ToolMissing(f"{names[0]}{alt} not found on PATH", hint=_HINT[family], tool=names[0])
        found.append(path)
    return found


def _run(cmd: list[str], secret: str | None, *, env: dict[str, str] | None = None,
         stdin: Any = None, stdout: Any = None) -> str:
    """Run a client; return its stdout (when not redirected). Non-zero exit -> BackupFailed."""
    try:
        proc = subprocess.run(cmd, stdin=stdin, stdout=stdout if stdout is not None else subprocess.PIPE,
                              stderr=subprocess.PIPE, env={**os.environ, **(env or {})}, check=False)
    except OSError as err:
        raise ToolMissing(f"cannot run {Path(cmd[0]).name}: {err.strerror}", hint=None) from err
    if proc.returncode != 0:
        err_text = _redact(proc.stderr.decode("utf-8", "replace").strip(), secret)
        raise BackupFailed(f"{Path(cmd[0]).name} failed (exit {proc.returncode}): {_first_lines(err_text)}",
                           stderr=err_text)
    return proc.stdout.decode("utf-8", "replace") if stdout is None else ""


def _redact(text: str, secret: str | None) -> str:
    return redact_text(text, [secret, quote(secret, safe="")] if secret else [])


def _first_lines(text: str, n: int = 5) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return "; ".join(lines[:n]) + (" ..." if len(lines) > n else "") if lines else "(no error output)"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _file_digest(path: Path) -> tuple[int, str]:
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


@contextmanager
def _connection(url: DatabaseUrl, secret: str | None) -> Iterator[Any]:
    """A raw DBAPI connection for fingerprinting (autocommit; closed on exit)."""
    family = _family(url)
    try:
        if family == "mysql":
            import pymysql

            conn: Any = pymysql.connect(host=url.host or "localhost", port=url.port or 3306, user=url.user,
                                        password=(secret or "").encode("utf-8"), unix_socket=url.unix_socket,
                                        autocommit=True)  # UTF-8 bytes: PyMySQL would send latin-1
        elif family == "postgresql":
            import psycopg

            conn = psycopg.connect(host=url.host, port=url.port, user=url.user, password=secret,
                                   dbname=url.database, autocommit=True)
        else:
            conn = sqlite3.connect(_sqlite_path(url))
    except Exception as err:  # every driver's connection error becomes one typed error
        where = url.redacted or url.dialect
        raise ConnectionFailed(f"cannot connect to {where}: {_redact(str(err), secret)}") from err
    with closing(conn):
        yield conn


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
        cur.execute("SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                    "AND nspname <> 'information_schema' ORDER BY nspname")
        return [r[0] for r in cur.fetchall()]


def _server_version(conn: Any, family: str) -> str:
    if family == "sqlite":
        return sqlite3.sqlite_version
    with closing(conn.cursor()) as cur:
        cur.execute("SELECT VERSION()" if family == "mysql" else "SHOW server_version")
        return str(cur.fetchone()[0])


def _check_restored(info: BackupInfo, url: DatabaseUrl, secret: str | None) -> None:
    try:
        saved = SchemaFingerprint.from_json(info.fingerprint_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return  # older backups without a saved fingerprint: the client's exit code is all we have
    with _connection(url, secret) as conn:
        now = fingerprint(conn, info.dialect, info.schemas)
    drift = diff(saved, now)
    if drift:
        shown = "; ".join(str(d) for d in drift[:10]) + (" ..." if len(drift) > 10 else "")
        raise BackupFailed(f"restored schema differs from the backup: {shown}", drift=[str(d) for d in drift])


# ---------------------------------------------------------------- MySQL / MariaDB


@contextmanager
def _mysql_auth(secret: str | None) -> Iterator[list[str]]:
    """``--defaults-extra-file`` pointing at a 0600 temp file holding the password (MySQL clients
    read option files first, so this must be the first argument); nothing without a password."""
    if not secret:
        yield []
        return
    escaped = secret.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    fd, name = tempfile.mkstemp(prefix="flywayx-", suffix=".cnf")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f'[client]\npassword="{escaped}"\n')
        yield [f"--defaults-extra-file={name}"]
    finally:
        os.unlink(name)


def _mysql_args(url: DatabaseUrl) -> list[str]:
    args = [f"--host={url.host}"] if url.host else []
    args += [f"--port={url.port}"] if url.port else []
    args += [f"--user={url.user}"] if url.user else []
    args += [f"--socket={url.unix_socket}"] if url.unix_socket else []
    return [*args, "--default-character-set=utf8mb4"]


def _dump_mysql(tools: list[str], url: DatabaseUrl, secret: str | None, schemas: list[str],
                path: Path) -> str:
    opts = ["--single-transaction", "--routines", "--triggers", "--events", "--hex-blob", "--no-tablespaces"]
    with _mysql_auth(secret) as auth, path.open("wb") as out:
        _run([tools[0], *auth, *_mysql_args(url), *opts, "--databases", *schemas], secret, stdout=out)
    last = (_tail(path).rstrip().splitlines() or [""])[-1]
    if not last.startswith("-- Dump completed"):
        raise BackupFailed(f"{path.name} has no '-- Dump completed' trailer: the dump stopped early",
                           hint="check disk space and the server log, then run the backup again")
    return _run([tools[0], "--version"], secret).strip()


def _tail(path: Path, size: int = 4096) -> str:
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - size))
        return fh.read().decode("utf-8", "replace")


def _restore_mysql(tools: list[str], url: DatabaseUrl, secret: str | None, schemas: tuple[str, ...],
                   path: Path) -> None:
    drops = " ".join(f"DROP DATABASE IF EXISTS `{s.replace('`', '``')}`;" for s in schemas)
    with _mysql_auth(secret) as auth:
        _run([tools[0], *auth, *_mysql_args(url), "--execute", drops], secret)
        with path.open("rb") as dump:
            _run([tools[0], *auth, *_mysql_args(url)], secret, stdin=dump)


# ---------------------------------------------------------------- PostgreSQL


def _pg_args(url: DatabaseUrl) -> list[str]:
    """Connection options; ``--no-password`` so a missing password fails instead of prompting."""
    args = ["--no-password"]
    args += [f"--host={url.host or url.unix_socket}"] if url.host or url.unix_socket else []
    args += [f"--port={url.port}"] if url.port else []
    args += [f"--username={url.user}"] if url.user else []
    return args


def _pg_env(secret: str | None) -> dict[str, str]:
    return {"PGPASSWORD": secret} if secret else {}


def _pg_database(url: DatabaseUrl) -> str:
    if not url.database:
        raise UsageError("the PostgreSQL URL names no database", hint="add /<database> to the URL")
    return url.database


def _dump_pg(tools: list[str], url: DatabaseUrl, secret: str | None, schemas: list[str], path: Path) -> str:
    pg_dump, pg_restore = tools
    only = [f"--schema={_pg_pattern(s)}" for s in schemas]
    db = _pg_database(url)
    _run([pg_dump, "--format=custom", *_pg_args(url), f"--file={path}", *only, f"--dbname={db}"],
         secret, env=_pg_env(secret))
    listing = _run([pg_restore, "--list", str(path)], secret)
    if not any(ln and not ln.startswith(";") for ln in listing.splitlines()):
        raise BackupFailed(f"{path.name}: pg_restore lists no entries in the dump")
    return _run([pg_dump, "--version"], secret).strip()


def _pg_pattern(schema: str) -> str:
    """``schema`` as a pg_dump pattern matching exactly that name: double quotes make ``*``, ``?``,
    ``.`` and upper case literal; a double quote inside is doubled."""
    return '"' + schema.replace('"', '""') + '"'


def _restore_pg(tools: list[str], url: DatabaseUrl, secret: str | None, schemas: tuple[str, ...],
                path: Path) -> None:
    psql, pg_restore = tools
    ident = ['"' + s.replace('"', '""') + '"' for s in schemas]
    sql = " ".join(f"DROP SCHEMA IF EXISTS {i} CASCADE; CREATE SCHEMA {i};" for i in ident)
    db = _pg_database(url)
    _run([psql, "-X", "--quiet", "--set=ON_ERROR_STOP=1", *_pg_args(url), f"--dbname={db}",
          f"--command={sql}"], secret, env=_pg_env(secret))
    _run([pg_restore, "--clean", "--if-exists", "--single-transaction", *_pg_args(url), f"--dbname={db}",
          str(path)], secret, env=_pg_env(secret))


# ---------------------------------------------------------------- SQLite


def _sqlite_path(url: DatabaseUrl) -> str:
    if not url.database or url.database == ":memory:":
        raise UsageError("an in-memory SQLite database cannot be backed up or restored",
                         hint="use a file database")
    return url.database


def _sqlite_copy(src_path: str, dst_path: str) -> None:
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


def _dump_sqlite(tools: list[str], url: DatabaseUrl, secret: str | None, schemas: list[str],
                 path: Path) -> str:
    _sqlite_copy(_sqlite_path(url), str(path))
    return f"sqlite3 backup API {sqlite3.sqlite_version}"


def _restore_sqlite(tools: list[str], url: DatabaseUrl, secret: str | None, schemas: tuple[str, ...],
                    path: Path) -> None:
    _sqlite_copy(str(path), _sqlite_path(url))
