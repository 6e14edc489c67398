"""What backup and restore share: the database clients, private files, and raw connections.

- ``family(url)``: ``mysql``, ``postgresql`` or ``sqlite`` (UsageError for other dialects).
- ``tools(family, restore=...)``: absolute paths of the clients an operation needs, found on PATH
  (ToolMissing with an install hint otherwise).
- ``run(cmd, secret, ...)``: one client process; a non-zero exit is BackupFailed with the client's
  first error lines, the password redacted. With ``limits``, a client that makes no progress for
  ``socketTimeout`` is ended by a ``flywayx.db.stall.Stall`` watchdog (``watch``; ``stalled`` is the
  error), and ``mysql_args``/``pg_env`` pass the connect limit as the client's own option; a client
  without one (``mariadb-dump``) is ended by the watchdog when it has not connected within it.
  ``spawn`` starts one for a pipeline.
- ``end_mysql_sessions``/``end_pg_sessions``: after the watchdog ended a client, its session on the
  server (which a broken network path never told) is ended from a new connection: MySQL/MariaDB ``KILL``
  of the session whose client address is the ended client's (``Stall.endpoints``), PostgreSQL
  ``pg_terminate_backend`` of the sessions named by the client's ``PGAPPNAME`` (``app_name``) or of a
  known backend. Such a session may hold locks (``pg_dump`` holds one on every table it dumps) or an
  open transaction until the server's own timeouts end it, hours later. Every client
  is started so that it dies with flywayx (Linux ``PR_SET_PDEATHSIG``): a killed backup or restore
  leaves no client behind to finish, half-way, what flywayx no longer supervises.
- ``mysql_auth(secret)``: the password in a 0600 option file, never argv; ``pg_env``: ``PGPASSWORD``.
- ``private_file(path)``: a new file, mode 0600, and ``private_dir(path)``: the directories
  created mode 0700, whatever the umask (backups hold all the data).
- ``connection(url, secret, database=...)``: a raw DBAPI connection (autocommit), passwords as UTF-8.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from flywayx.db import timeouts
from flywayx.db.stall import Stall
from flywayx.errors import ConnectionFailed, FlywayxError, ToolMissing, UsageError
from flywayx.model.config import DatabaseUrl
from flywayx.model.redact import redact_text

_FAMILY = {
    "mysql": "mysql",
    "mariadb": "mysql",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "sqlite": "sqlite",
}
_HINT = {
    "mysql": "install it: apt-get install mariadb-client (or mysql-client)",
    "postgresql": "install it: apt-get install postgresql-client",
}
# (dialect, restoring?) -> the clients needed, each as alternatives in order of preference
_CLIENTS: dict[tuple[str, bool], list[tuple[str, ...]]] = {
    ("mysql", False): [("mariadb-dump", "mysqldump")],
    ("mysql", True): [("mariadb", "mysql")],
    ("postgresql", False): [("pg_dump",), ("pg_restore",)],
    ("postgresql", True): [("pg_restore",)],
}


class BackupFailed(FlywayxError):
    """A dump or restore did not complete, or its result failed a check."""

    error_code = "BACKUP_FAILED"


def family(url: DatabaseUrl) -> str:
    found = _FAMILY.get(url.dialect.lower())
    if found is None:
        raise UsageError(f"backups are not supported for {url.dialect!r} databases")
    return found


def tools(family_name: str, restore: bool = False) -> list[str]:
    """Absolute paths of the clients the operation needs, first found of each alternative."""
    found = []
    for names in _CLIENTS.get((family_name, restore), []):
        path = next((p for p in map(shutil.which, names) if p), None)
        if path is None:
            alt = f" (or {', '.join(names[1:])})" if len(names) > 1 else ""
            raise ToolMissing(f"{names[0]}{alt} not found on PATH", hint=_HINT[family_name], tool=names[0])
        found.append(path)
    return found


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to SIGKILL this child when flywayx dies (no-op elsewhere)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG


def spawn(
    cmd: list[str],
    *,
    env: dict[str, str] | None = None,
    stdin: Any = None,
    stdout: Any = None,
    stderr: Any = subprocess.PIPE,
) -> subprocess.Popen[bytes]:
    """Start a client (stderr piped) that dies with flywayx; ToolMissing when it cannot start."""
    try:
        return subprocess.Popen(
            cmd,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            env={**os.environ, **(env or {})},
            preexec_fn=_die_with_parent,
        )
    except OSError as err:
        raise ToolMissing(f"cannot run {Path(cmd[0]).name}: {err.strerror}", hint=None) from err


def failed(cmd: list[str], code: int, stderr: bytes, secret: str | None) -> BackupFailed:
    err_text = redact(stderr.decode("utf-8", "replace").strip(), secret)
    name = Path(cmd[0]).name
    hint = f"that is {name}'s own message: fix what it names (server, network, rights, disk), then run again"
    if "timeout expired" in err_text:  # libpq's connect limit (PGCONNECT_TIMEOUT, from connectTimeout)
        hint = (
            f"{name} got no answer within connectTimeout: check that the server runs and that host and port "
            f"are right; {timeouts.RAISE_CONNECT}"
        )
    return BackupFailed(
        f"{name} failed (exit {code}): {first_lines(err_text)}",
        hint=hint,
        stderr=err_text,
    )


def run(
    cmd: list[str],
    secret: str | None,
    *,
    env: dict[str, str] | None = None,
    stdin: Any = None,
    stdout: Any = None,
    limits: timeouts.Timeouts | None = None,
    progress: Callable[[], int] | None = None,
    own_connect: bool = True,
    ends: Callable[[Stall], bool] | None = None,
) -> str:
    """Run a client; return its stdout (when not redirected). Non-zero exit -> BackupFailed. With
    ``limits`` (a client that talks to the server), a ``Stall`` watchdog ends it after ``limits.socket``
    seconds without progress (``progress``: what else counts, e.g. the dump file's size), or, when it
    has no connect timeout of its own (``own_connect`` False), after ``limits.connect`` seconds without
    connecting; ``ends`` then ends its session on the server (True when it found one)."""
    proc = spawn(cmd, env=env, stdin=stdin, stdout=stdout if stdout is not None else subprocess.PIPE)
    with watch(proc, limits, progress, own_connect=own_connect) as dog:
        out, err = proc.communicate()
    if dog.fired:
        assert limits is not None
        raise stalled(cmd, dog, limits, ended=ends is not None and not dog.connecting and ends(dog))
    if proc.returncode != 0:
        raise failed(cmd, proc.returncode, err, secret)
    return out.decode("utf-8", "replace") if stdout is None else ""


def watch(
    proc: subprocess.Popen[bytes],
    limits: timeouts.Timeouts | None,
    progress: Callable[[], int] | None = None,
    *,
    own_connect: bool = True,
) -> Stall:
    """The stall watchdog for a client; use it as a context manager. Without limits it watches nothing.
    A client with a connect timeout of its own (``own_connect``) gets it first: the watchdog then allows
    the connect and the socket limit before the first progress, and watches nothing without a socket limit."""
    if limits is None:
        return Stall(proc, 0.0, progress)
    if own_connect:
        return Stall(proc, limits.socket, progress, first=limits.socket + limits.connect if limits.socket else 0.0)
    return Stall(proc, limits.socket, progress, first=limits.connect)


def stalled(cmd: list[str], dog: Stall, limits: timeouts.Timeouts, *, ended: bool = False) -> BackupFailed:
    """A client ended by its stall watchdog: one line naming it, the limit and what to do."""
    name = Path(cmd[0]).name
    if dog.connecting:
        return BackupFailed(
            f"{name} could not connect within connectTimeout ({limits.connect:g} s) and was ended (the server, "
            "or the network path to it, does not answer)",
            hint="check that the server is up and reachable from here, then run again; raise connectTimeout "
            "if connecting legitimately takes longer",
        )
    session = "; its session on the server was ended too" if ended else ""
    return BackupFailed(
        f"{name} made no progress for socketTimeout ({limits.socket:g} s) and was ended (the server, or the "
        f"network path to it, stopped answering){session}",
        hint="check the server and the network path to it, then run again; raise socketTimeout if the "
        "server legitimately pauses longer",
    )


def end_mysql_sessions(
    url: DatabaseUrl, secret: str | None, limits: timeouts.Timeouts | None, endpoints: Sequence[tuple[str, int]]
) -> bool:
    """KILL the sessions whose client address (PROCESSLIST ``HOST``, ``ip:port``) is one of ``endpoints``
    (and whose user is the URL's); True when one was found. Best effort: False when the server cannot be
    reached, or sees another address (a proxy or NAT between): then its own timeouts end the session."""
    if not endpoints:
        return False
    try:
        with connection(url, secret, limits=limits) as conn, closing(conn.cursor()) as cur:
            cur.execute("SELECT ID, HOST, USER FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID()")
            found = [
                int(sid)
                for sid, host, user in cur.fetchall()
                if (not url.user or user == url.user) and _is_endpoint(str(host or ""), endpoints)
            ]
            for sid in found:
                with contextlib.suppress(Exception):  # it may have ended meanwhile
                    cur.execute(f"KILL {sid}")
            return bool(found)
    except Exception:  # the client's own error is the one to report
        return False


def _is_endpoint(host: str, endpoints: Sequence[tuple[str, int]]) -> bool:
    """``host`` (``ip:port``, ``name:port``, ``[v6]:port``) names one of ``endpoints``."""
    name, _, port_text = host.rpartition(":")
    if not port_text.isdigit():
        return False  # a Unix socket ("localhost"): its client's end closes with the client
    name, port = name.strip("[]"), int(port_text)
    ips = {ip for ip, p in endpoints if p == port}
    if not ips or name in ips:
        return bool(ips)
    try:  # the server resolved the client's address to a name
        resolved = {str(a[4][0]).removeprefix("::ffff:") for a in socket.getaddrinfo(name, port)}
    except OSError:
        return False
    return bool(resolved & ips)


def end_pg_sessions(
    url: DatabaseUrl, secret: str | None, limits: timeouts.Timeouts | None, *, app_name: str = "", pid: int = 0
) -> bool:
    """``pg_terminate_backend`` of the sessions named ``app_name`` (a client's ``PGAPPNAME``), or of the
    backend ``pid``; True when one was found. Best effort, as ``end_mysql_sessions``."""
    limits = limits or timeouts.resolve(url.dialect, url.params, None, None)
    try:
        with connection(url, secret, limits=limits) as conn, closing(conn.cursor()) as cur:
            dog = timeouts.Watchdog(limits.socket, conn.fileno)
            with dog.guard():
                if app_name:
                    cur.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = %s AND pid <> pg_backend_pid()",
                        (app_name,),
                    )
                else:
                    cur.execute("SELECT pg_terminate_backend(%s)", (pid,))
                return any(row[0] for row in cur.fetchall())
    except Exception:  # the client's own error is the one to report
        return False


def app_name(client: str) -> str:
    """A name no other session has, for a client's ``PGAPPNAME`` (``end_pg_sessions`` finds it by it)."""
    return f"flywayx-{client}-{secrets.token_hex(6)}"


def output_size(path: Path) -> Callable[[], int]:
    """Progress of a client writing ``path``: its size."""
    return lambda: path.stat().st_size


def redact(text: str, secret: str | None) -> str:
    return redact_text(text, [secret, quote(secret, safe="")] if secret else [])


def first_lines(text: str, n: int = 5) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return "; ".join(lines[:n]) + (" ..." if len(lines) > n else "") if lines else "(no error output)"


# ---------------------------------------------------------------- private files


def private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) with mode 0700; an existing directory is left as it is."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for created in missing:
        os.chmod(created, 0o700)  # mkdir's mode is filtered by the umask; chmod is not


def private_file(path: Path) -> IO[bytes]:
    """A new file (never an existing one) open for writing, mode 0600 whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "wb")


def write_private(path: Path, text: str) -> None:
    with private_file(path) as fh:
        fh.write(text.encode("utf-8"))


# ---------------------------------------------------------------- connections and client options


@contextmanager
def connection(
    url: DatabaseUrl, secret: str | None, *, database: str | None = None, limits: timeouts.Timeouts | None = None
) -> Iterator[Any]:
    """A raw DBAPI connection (autocommit; closed on exit). MySQL: no default database unless
    ``database``; PostgreSQL: the URL's database. ``limits`` (default: the URL's JDBC parameters, else
    10 s to connect): opening the session is bounded by the connect limit; on MySQL each answer by the
    socket limit (PostgreSQL: the caller guards its waits with a ``timeouts.Watchdog``)."""
    kind = family(url)
    limits = limits or timeouts.resolve(url.dialect, url.params, None, None)
    try:
        if kind == "mysql":
            import pymysql

            conn: Any = pymysql.connect(
                host=url.host or "localhost",
                port=url.port or 3306,
                user=url.user,
                password=(secret or "").encode("utf-8"),  # PyMySQL would send latin-1
                unix_socket=url.unix_socket,
                database=database,
                charset="utf8mb4",
                autocommit=True,
                connect_timeout=limits.connect,  # PyMySQL: the TCP connect only
                read_timeout=limits.connect,  # the greeting and the login: a silent server ends here too
                write_timeout=limits.connect,
            )
            conn._read_timeout = conn._write_timeout = limits.socket or None  # from now on the socket limit
        elif kind == "postgresql":
            import psycopg

            conn = psycopg.connect(
                host=url.host,
                port=url.port,
                user=url.user,
                password=secret,
                dbname=url.database,
                autocommit=True,
                connect_timeout=timeouts.libpq_connect(limits),
            )
        else:
            conn = sqlite3.connect(sqlite_path(url))
    except Exception as err:  # every driver's connection error becomes one typed error
        raise _connect_failed(url, err, secret, limits) from err
    with closing(conn):
        yield conn


@contextmanager
def mysql_auth(secret: str | None) -> Iterator[list[str]]:
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


def mysql_args(url: DatabaseUrl, limits: timeouts.Timeouts | None = None) -> list[str]:
    """Connection options; with ``limits``, ``--connect-timeout`` from the connect limit (whole seconds,
    at least 1): only for the ``mariadb``/``mysql`` client, the dump tools do not know the option."""
    args = [f"--connect-timeout={max(1, math.ceil(limits.connect))}"] if limits is not None else []
    args += [f"--host={url.host}"] if url.host else []
    args += [f"--port={url.port}"] if url.port else []
    args += [f"--user={url.user}"] if url.user else []
    args += [f"--socket={url.unix_socket}"] if url.unix_socket else []
    return [*args, "--default-character-set=utf8mb4"]


def mysql_ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def pg_args(url: DatabaseUrl) -> list[str]:
    """Connection options; ``--no-password`` so a missing password fails instead of prompting."""
    args = ["--no-password"]
    args += [f"--host={url.host or url.unix_socket}"] if url.host or url.unix_socket else []
    args += [f"--port={url.port}"] if url.port else []
    args += [f"--username={url.user}"] if url.user else []
    return args


def pg_env(secret: str | None, limits: timeouts.Timeouts | None = None) -> dict[str, str]:
    """``PGPASSWORD``, and ``PGCONNECT_TIMEOUT`` from the connect limit (libpq: whole seconds, at least 2)."""
    env = {"PGPASSWORD": secret} if secret else {}
    return {**env, "PGCONNECT_TIMEOUT": str(timeouts.libpq_connect(limits))} if limits is not None else env


def pg_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def pg_database(url: DatabaseUrl) -> str:
    if not url.database:
        raise UsageError("the PostgreSQL URL names no database", hint="add /<database> to the URL")
    return url.database


def sqlite_path(url: DatabaseUrl) -> str:
    if not url.database or url.database == ":memory:":
        raise UsageError("an in-memory SQLite database cannot be backed up or restored", hint="use a file database")
    return url.database


def _connect_failed(
    url: DatabaseUrl, err: Exception, secret: str | None, limits: timeouts.Timeouts
) -> ConnectionFailed:
    """One line for a raw connection that could not open: the connect limit by its name when it fired
    (PyMySQL's "timed out", libpq's "timeout expired"), else the driver's first line."""
    where, text = url.redacted or url.dialect, redact(str(err), secret)
    if "timed out" in text or "timeout expired" in text:
        floor = timeouts.LIBPQ_FLOOR if family(url) == "postgresql" else 0.0
        return ConnectionFailed(
            f"cannot connect to {where}: {limits.connect_stalled(floor)}",
            hint=f"check that the server runs and that host and port are right; {timeouts.RAISE_CONNECT}",
        )
    return ConnectionFailed(f"cannot connect to {where}: {first_lines(text)}")
