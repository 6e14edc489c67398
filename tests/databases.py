"""The database under test: one type (``ScratchDb``), one factory (``scratch``), capabilities per dialect.

Every test that needs a database gets a ``ScratchDb`` (alembic's ``tests/requirements.py`` and Sqitch's shared
engine suite are the models): a fresh, uniquely named database on SQLite (a file), MariaDB/MySQL or
PostgreSQL, dropped afterwards. The fixtures of tests/conftest.py hand it out:

- ``database``: parametrized over ``DIALECTS`` (ids ``sqlite``, ``mariadb``, ``postgres``); narrow it with
  ``@pytest.mark.parametrize("database", ["mariadb"], indirect=True)`` or with a capability;
- ``mariadb``, ``postgres``: one server's scratch database (the same type);
- ``scratch(dialect, folder)``: a context manager for tests and harnesses that need several (tests/e2e,
  tests/faults, bench/).

What a dialect can do is declared once, in ``CAPABILITIES``. A test that needs a capability says so with
``@requires("transactional_ddl")`` (several names: all needed); the database fixtures skip the dialects
that lack one, with the reason. A server that is not reachable skips the test, or fails it when
``FLYWAYX_REQUIRE_DBS=1`` (CI); so does a missing client program (``INSTALLED`` capabilities). Markers
(``db``, ``mariadb``, ``postgres``) follow from the fixtures and the ``database`` parameter (tests/markers.py);
creating a server database checks that the running test carries its marker (``markers.require_marker``).

This module imports pytest only inside a test (bench/ uses ``scratch`` outside pytest).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tests import markers

if TYPE_CHECKING:
    import pytest

MARIADB_URL = os.environ.get("FLYWAYX_TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306/")
POSTGRES_URL = os.environ.get("FLYWAYX_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE = os.environ.get("FLYWAYX_REQUIRE_DBS") == "1"

DIALECTS = ("sqlite", "mariadb", "postgres")  # fixture ids and marker names
# the dialect names flywayx itself uses (DatabaseUrl.dialect, fingerprint); the ids above map onto them
FAMILY = {
    "sqlite": "sqlite",
    "mariadb": "mariadb",
    "mysql": "mariadb",
    "postgres": "postgresql",
    "postgresql": "postgresql",
}


def _on_path(*programs: str) -> bool:
    return any(shutil.which(p) for p in programs)


@dataclass(frozen=True)
class Capabilities:
    """What a dialect can do, as the tests rely on it (flywayx's own view is ``flywayx.db.base.Capabilities``)."""

    server: bool  # a client/server database: users, hosts, a schema that can be dropped and created
    transactional_ddl: bool  # a failed migration leaves no trace: its DDL rolls back with its history row
    column_placement: bool  # ALTER TABLE ... ADD COLUMN ... AFTER c
    concurrently: bool  # CREATE INDEX CONCURRENTLY, outside a transaction
    online_ddl: bool  # ALGORITHM=INSTANT/INPLACE, LOCK=NONE
    backup_client: bool  # the program `flywayx backup` runs is installed (checked when the module loads)
    cluster: bool = False  # a Galera cluster: only tests/cluster/conftest.py starts one (galera.sh)

    def lacks(self, names: tuple[str, ...]) -> list[str]:
        unknown = [n for n in names if n not in CAPABILITY_NAMES]
        if unknown:
            raise ValueError(f"unknown capabilities {unknown}; declared: {sorted(CAPABILITY_NAMES)}")
        return [n for n in names if not getattr(self, n)]


CAPABILITY_NAMES = frozenset(Capabilities.__dataclass_fields__)
INSTALLED = frozenset({"backup_client"})  # capabilities that depend on installed programs, not on the dialect
CAPABILITIES = {
    "sqlite": Capabilities(
        server=False,
        transactional_ddl=True,
        column_placement=False,
        concurrently=False,
        online_ddl=False,
        backup_client=True,
    ),  # the file is copied, no program needed
    "mariadb": Capabilities(
        server=True,
        transactional_ddl=False,
        column_placement=True,
        concurrently=False,
        online_ddl=True,
        backup_client=_on_path("mariadb-dump", "mysqldump"),
    ),
    "postgresql": Capabilities(
        server=True,
        transactional_ddl=True,
        column_placement=False,
        concurrently=True,
        online_ddl=False,
        backup_client=_on_path("pg_dump") and _on_path("pg_restore"),
    ),
}


def requires(*names: str) -> pytest.MarkDecorator:
    """Mark a test as needing capabilities: the ``database`` fixture skips the dialects that lack one."""
    import pytest

    unknown = set(names) - CAPABILITY_NAMES
    if unknown:
        raise ValueError(f"unknown capabilities {sorted(unknown)}; declared: {sorted(CAPABILITY_NAMES)}")
    return pytest.mark.requires(*names)


@dataclass(frozen=True)
class ScratchDb:
    """A fresh database: ``url`` for flywayx, ``dialect`` (sqlite, mariadb, postgresql) and ``schema`` (where
    its tables are: main, the database's name, public), the server's address, and raw access (``connect``,
    ``query``, ``execute``) that does not go through flywayx, so assertions read what a user would."""

    dialect: str
    url: str
    name: str
    schema: str
    host: str = ""
    port: int = 0
    user: str = ""
    password: str = ""
    path: Path | None = None  # the file of a SQLite database
    caps: Capabilities = field(default=CAPABILITIES["sqlite"], repr=False)

    def connect_params(self, database: str | None = None) -> dict[str, Any]:
        """The keyword arguments of the server's driver (``pymysql.connect``, ``psycopg.connect``) for this
        database, or for ``database``."""
        name = "database" if self.dialect == "mariadb" else "dbname"
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            name: database or self.name,
        }

    def connect(self, database: str | None = None) -> Any:
        """A new driver connection (autocommit on the servers) to this database, or to ``database``."""
        if self.dialect == "sqlite":
            return sqlite3.connect(self.path or ":memory:")
        if self.dialect == "mariadb":
            import pymysql

            return pymysql.connect(**self.connect_params(database), autocommit=True)
        import psycopg

        return psycopg.connect(**self.connect_params(database), autocommit=True)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """The rows of one statement on a new connection (none for a statement without a result)."""
        with closing(self.connect()) as conn:
            cur = conn.cursor()
            cur.execute(sql)
            rows = [tuple(r) for r in cur.fetchall()] if cur.description else []
            if self.dialect == "sqlite":
                conn.commit()
            return rows

    def execute(self, sql: str) -> None:
        """Run ``sql``: on SQLite a script of several statements, on a server one statement."""
        if self.dialect != "sqlite":
            self.query(sql)
            return
        with closing(self.connect()) as conn:
            conn.executescript(sql)
            conn.commit()

    def qualified(self, table: str) -> str:
        """``table`` as a statement on a new connection names it (MariaDB's connection has no default schema
        when the test connects elsewhere, so it is qualified there)."""
        return f"`{self.schema}`.{table}" if self.dialect == "mariadb" else table

    def database_url(self) -> Any:
        """The URL as flywayx's parsed ``DatabaseUrl``."""
        from flywayx.model import DatabaseUrl

        if self.dialect == "sqlite":
            return DatabaseUrl("sqlite", database=str(self.path))
        return DatabaseUrl(
            "mysql" if self.dialect == "mariadb" else "postgresql",
            host=self.host,
            port=self.port,
            database=self.name,
            user=self.user,
            password=self.password or None,
        )

    def open(self) -> Any:
        """flywayx's own ``Database`` on this database (the caller closes it)."""
        from flywayx.db.connect import connect

        return connect(self.database_url(), user=None, password=None)

    def tables(self) -> list[str]:
        """The base tables, sorted (flywayx's own tables and Flyway's history included)."""
        if self.dialect == "sqlite":
            if self.path is not None and not self.path.exists():
                return []
            rows = self.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        else:
            rows = self.query(
                "SELECT table_name FROM information_schema.tables "
                f"WHERE table_schema = '{self.schema}' AND table_type = 'BASE TABLE'"
            )
        return sorted(str(r[0]) for r in rows)

    def fingerprint(self) -> Any:
        """The schema fingerprint (``flywayx.db.fingerprint``) of this database's schema."""
        from flywayx.db.fingerprint import fingerprint

        with closing(self.connect()) as conn:
            return fingerprint(conn, self.dialect, [] if self.dialect == "sqlite" else [self.schema])


def _unavailable(what: str, err: Exception) -> None:
    msg = f"{what} not reachable ({type(err).__name__}: {err}); set the URL variable or start the server"
    if not markers.CURRENT:  # outside pytest (bench/): an error
        raise RuntimeError(msg) from err
    import pytest

    if REQUIRE:
        pytest.fail(msg)
    pytest.skip(msg)


def _parts(url: str, port: int, user: str) -> tuple[str, int, str, str]:
    u = urlsplit(url)
    found = u.username or user
    return u.hostname or "127.0.0.1", u.port or port, user if found == "root" else found, u.password or ""


def server_address(dialect: str) -> tuple[str, int]:
    """Host and port of the test server of ``dialect`` (mariadb, postgres), for URLs a test writes itself."""
    if FAMILY[dialect] == "mariadb":
        return _parts(MARIADB_URL, 3306, "root")[:2]
    return _parts(POSTGRES_URL, 5432, "postgres")[:2]


def _admin(dialect: str) -> Any:
    """A connection to the server with which scratch databases are created and dropped."""
    try:
        if dialect == "mariadb":
            import pymysql

            host, port, user, pw = _parts(MARIADB_URL, 3306, "root")
            return pymysql.connect(host=host, port=port, user=user, password=pw, autocommit=True)
        import psycopg

        host, port, user, pw = _parts(POSTGRES_URL, 5432, "postgres")
        return psycopg.connect(
            host=host,
            port=port,
            user=user,
            password=pw,
            autocommit=True,
            dbname=urlsplit(POSTGRES_URL).path.lstrip("/") or "postgres",
        )
    except Exception as err:
        _unavailable("MariaDB" if dialect == "mariadb" else "PostgreSQL", err)
        raise


def create(dialect: str, folder: Path, prefix: str = "fx_") -> ScratchDb:
    """A new scratch database of ``dialect`` (sqlite, mariadb/mysql, postgres/postgresql); ``drop`` it after.
    ``FLYWAYX_TEST_DB_PREFIX`` goes in front of its name (whose databases these are, on a shared server)."""
    family = FAMILY[dialect]
    name = os.environ.get("FLYWAYX_TEST_DB_PREFIX", "") + prefix + uuid.uuid4().hex[:10]
    caps = CAPABILITIES[family]
    if family == "sqlite":
        path = folder / f"{name}.db"
        return ScratchDb(family, f"sqlite:///{path}", name, "main", path=path, caps=caps)
    markers.require_marker(family)
    if family == "mariadb":
        host, port, user, pw = _parts(MARIADB_URL, 3306, "root")
        with closing(_admin(family)) as admin:
            admin.cursor().execute(f"CREATE DATABASE `{name}`")
        auth = f"{user}:{pw}@" if pw else f"{user}@"
        return ScratchDb(family, f"mysql://{auth}{host}:{port}/{name}", name, name, host, port, user, pw, caps=caps)
    host, port, user, pw = _parts(POSTGRES_URL, 5432, "postgres")
    with closing(_admin(family)) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    auth = f"{user}:{pw}@" if pw else f"{user}@"
    return ScratchDb(
        family, f"postgresql://{auth}{host}:{port}/{name}", name, "public", host, port, user, pw, caps=caps
    )


def drop(db: ScratchDb) -> None:
    """Remove what ``create`` made (a SQLite file with its journal, or the server database)."""
    if db.dialect == "sqlite":
        if db.path is not None:
            for p in db.path.parent.glob(db.path.name + "*"):
                p.unlink()
        return
    with closing(_admin(db.dialect)) as admin:
        if db.dialect == "mariadb":
            admin.cursor().execute(f"DROP DATABASE IF EXISTS `{db.name}`")
        else:
            admin.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')


@contextmanager
def scratch(dialect: str, folder: Path, prefix: str = "fx_") -> Iterator[ScratchDb]:
    """``create`` a scratch database, yield it, ``drop`` it."""
    db = create(dialect, folder, prefix)
    try:
        yield db
    finally:
        drop(db)
