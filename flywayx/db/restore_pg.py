"""PostgreSQL restore: one transaction, checked before it commits.

``pg_restore --clean --if-exists -f -`` turns the custom-format dump into a script; flywayx sends it
over its own connection, in ONE transaction that begins with ``DROP SCHEMA … CASCADE; CREATE SCHEMA
…`` for each backed-up schema. The script is plain SQL except for two kinds of lines, which psql
would handle and which are handled here the same way:

- ``COPY … FROM stdin;`` after a ``TABLE DATA`` entry's header comment, followed by the rows up to
  the line ``\\.``: sent with the COPY protocol;
- ``\\restrict <key>`` / ``\\unrestrict <key>`` (pg_dump 15.14+: they stop a psql from running
  meta-commands smuggled into the data): nothing to do, since nothing here runs meta-commands.

Before the COMMIT, in that same transaction, the restored schemas are fingerprinted and compared
with the fingerprint saved with the backup: a difference (or any error, or a kill of flywayx, whose
connection the server then rolls back) leaves the database exactly as it was. SQL text is passed
on as bytes in the dump's own ``client_encoding`` (the script sets it; the server decodes it).
When the socket limit ends the load, the server may not have noticed (a broken network path): its
session, which holds every lock of the schemas being replaced, is ended with ``pg_terminate_backend``
from a new connection when the server can be reached.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from typing import Any

from flywayx.db import clients, timeouts
from flywayx.db.clients import BackupFailed
from flywayx.db.fingerprint import fingerprint
from flywayx.db.timeouts import Timeouts
from flywayx.model.config import DatabaseUrl
from flywayx.model.fingerprint import SchemaFingerprint, diff

_DATA_HEADER = b"-- Data for Name: "
_CHUNK = 1 << 20


def restore_pg(
    pg_restore: str,
    url: DatabaseUrl,
    secret: str | None,
    schemas: Sequence[str],
    path: Path,
    saved: SchemaFingerprint | None,
    limits: Timeouts | None = None,
) -> None:
    """Replace ``schemas`` of the URL's database with the dump at ``path`` (module docstring). With a
    socket limit, each wait for the server is bounded (a ``Watchdog`` shuts the socket down): a
    server that stops answering ends the restore with nothing changed."""
    limits = limits or timeouts.resolve(url.dialect, url.params, None, None)
    cmd = [pg_restore, "--clean", "--if-exists", "--file=-", str(path)]
    reset = " ".join(f"DROP SCHEMA IF EXISTS {i} CASCADE; CREATE SCHEMA {i};" for i in map(clients.pg_ident, schemas))
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: pg_restore never blocks on it
        source = clients.spawn(cmd, env=clients.pg_env(secret), stdout=subprocess.PIPE, stderr=errors)
        assert source.stdout is not None
        try:
            with clients.connection(url, secret, limits=limits) as conn:
                conn.autocommit = False
                backend = conn.info.backend_pid
                dog = timeouts.Watchdog(limits.socket, conn.fileno)
                try:
                    with closing(conn.cursor()) as cur:
                        _guarded(dog, cur.execute, reset.encode())
                        _send(_Guarded(cur, dog), source.stdout)
                        source.stdout.close()
                        if source.wait() != 0:
                            errors.seek(0)
                            raise clients.failed(cmd, source.returncode, errors.read(), secret)
                        _guarded(dog, cur.execute, b"RESET ALL")  # the settings the backup's fingerprint had
                    with dog.guard():
                        _check(conn, schemas, saved)
                        conn.commit()
                except BackupFailed:
                    _rollback(conn)
                    raise
                except Exception as err:
                    _rollback(conn)
                    if dog.fired:  # the server may not know: end the session, whose locks cover the schemas
                        ended = clients.end_pg_sessions(url, secret, limits, pid=backend)
                        raise BackupFailed(
                            f"restore stopped: {limits.stalled()}; nothing was changed (the server "
                            f"rolls the transaction back{', its session was ended' if ended else ''})",
                            hint="check the server and the network path to it, then restore "
                            "again; raise socketTimeout if the load legitimately waits "
                            "longer",
                        ) from None
                    errors.seek(0)
                    stderr = errors.read()
                    if source.poll() not in (None, 0):
                        raise clients.failed(cmd, source.returncode, stderr, secret) from err
                    raise BackupFailed(
                        f"restore failed: {clients.first_lines(clients.redact(str(err), secret))}; "
                        f"nothing was changed (the transaction was rolled back)"
                    ) from err
                finally:
                    dog.close()
        finally:
            if source.poll() is None:
                source.kill()
                source.wait()


def _guarded(dog: timeouts.Watchdog, call: Any, *args: Any) -> Any:
    with dog.guard():
        return call(*args)


class _Guarded:
    """A cursor whose waits for the server are each bounded by the watchdog (``execute``, and each
    write and the end of a COPY)."""

    def __init__(self, cur: Any, dog: timeouts.Watchdog) -> None:
        self.cur, self.dog = cur, dog

    def execute(self, query: bytes) -> None:
        _guarded(self.dog, self.cur.execute, query)

    @contextmanager
    def copy(self, statement: bytes) -> Iterator[Any]:
        with self.dog.guard():
            copy_cm = self.cur.copy(statement)
            copy = copy_cm.__enter__()
        try:
            yield _GuardedCopy(copy, self.dog)
        except BaseException as err:
            with self.dog.guard():
                copy_cm.__exit__(type(err), err, err.__traceback__)
            raise
        with self.dog.guard():
            copy_cm.__exit__(None, None, None)


class _GuardedCopy:
    def __init__(self, copy: Any, dog: timeouts.Watchdog) -> None:
        self.copy, self.dog = copy, dog

    def write(self, data: bytes) -> None:
        _guarded(self.dog, self.copy.write, data)


def _rollback(conn: Any) -> None:
    with suppress(Exception):  # the connection may be gone: the server rolls back on its own
        conn.rollback()


def _check(conn: Any, schemas: Sequence[str], saved: SchemaFingerprint | None) -> None:
    if saved is None:
        return  # an older backup without a saved fingerprint: the statements' success is all we have
    drift = diff(saved, fingerprint(conn, "postgresql", list(schemas)))
    if drift:
        shown = "; ".join(str(d) for d in drift[:10]) + (" ..." if len(drift) > 10 else "")
        raise BackupFailed(
            f"the restored schema differs from the backup: {shown}; nothing was changed (checked "
            "before the commit, the transaction was rolled back)",
            drift=[str(d) for d in drift],
            hint="the dump or the server lost something: use another backup",
        )


def _send(cur: Any, script: Iterable[bytes]) -> None:
    """Run pg_restore's script: SQL between COPY blocks in one simple query each, COPY rows by COPY."""
    sql: list[bytes] = []
    data_next = False  # a TABLE DATA header was read: its COPY comes after the comment lines
    lines = iter(script)
    for line in lines:
        bare = line.rstrip(b"\r\n")
        if bare.startswith((b"\\restrict ", b"\\unrestrict ")):
            continue
        if bare.startswith(_DATA_HEADER) and b"; Type: TABLE DATA;" in bare:
            data_next = True
        elif data_next and bare.startswith(b"COPY ") and bare.endswith(b" FROM stdin;"):
            if sql:
                cur.execute(b"".join(sql))
                sql = []
            with cur.copy(bare[:-1]) as copy:
                for chunk in _rows(lines):
                    copy.write(chunk)
            data_next = False
            continue
        elif bare and not bare.startswith(b"--"):
            data_next = False
        sql.append(line)
    if any(s.strip() and not s.startswith(b"--") for s in sql):
        cur.execute(b"".join(sql))


def _rows(lines: Iterator[bytes]) -> Iterator[bytes]:
    """COPY data up to the line ``\\.``, in chunks of about 1 MB."""
    buffer: list[bytes] = []
    size = 0
    for line in lines:
        if line.rstrip(b"\r\n") == b"\\.":
            break
        buffer.append(line)
        size += len(line)
        if size >= _CHUNK:
            yield b"".join(buffer)
            buffer, size = [], 0
    else:
        raise BackupFailed("the dump ends inside a table's data (no \\. line): it is truncated")
    if buffer:
        yield b"".join(buffer)


__all__ = ["restore_pg"]
