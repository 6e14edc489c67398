"""Read a ``SchemaFingerprint`` from a live database through a raw DBAPI connection.

MySQL/MariaDB are read from ``information_schema`` (``fingerprint_mysql``); PostgreSQL from
``pg_catalog`` (``fingerprint_pg``: its ``information_schema`` has no indexes and renders
expressions less precisely); SQLite from ``sqlite_master`` and pragmas (``fingerprint_sqlite``);
the helpers they share are in ``fingerprint_rows``. What servers vary on without the schema
differing is normalised: auto-increment counters and definers are never read, integer display
widths and MariaDB's quoting of defaults are folded to MySQL's form, ``utf8`` is spelled
``utf8mb3``, view and routine bodies lose layout and own-schema qualifiers. Reading never writes;
on PostgreSQL the session ``search_path`` is set to each schema while it is read and restored
afterwards (so that expressions render unqualified), which is the only session state touched.

This module holds the entry point, ``fingerprint()``; it imports the reader of the dialect asked for
only (a ``migrate`` fingerprints one kind of server).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flywayx.db.fingerprint_rows import Excluder
from flywayx.errors import UsageError
from flywayx.model.fingerprint import Schema, SchemaFingerprint

__all__ = ["DEFAULT_EXCLUDE", "fingerprint"]

DEFAULT_EXCLUDE = ("flyway_schema_history", "flywayx_*")
_FAMILY = {
    "mysql": "mysql",
    "mariadb": "mysql",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "sqlite": "sqlite",
}


def fingerprint(
    conn: Any, dialect: str, schemas: Sequence[str], *, exclude_tables: Sequence[str] = DEFAULT_EXCLUDE
) -> SchemaFingerprint:
    """Fingerprint ``schemas`` (MySQL databases, PostgreSQL schemas, SQLite ``main``/attached names).

    ``conn`` is a PyMySQL, psycopg 3 or sqlite3 connection; ``dialect`` one of mysql, mariadb,
    postgresql, sqlite. Tables whose name matches a pattern in ``exclude_tables`` (fnmatch,
    case-insensitive; by default the Flyway history table and flywayx's ``flywayx_*`` tables) are
    left out together with their triggers. An empty ``schemas`` means ``main`` on SQLite and is an
    error elsewhere.
    """
    family = _FAMILY.get(dialect.lower())
    if family is None:
        raise UsageError(f"cannot fingerprint dialect {dialect!r}", hint="use mysql, mariadb, postgresql or sqlite")
    names = list(schemas) or (["main"] if family == "sqlite" else [])
    if not names:
        raise UsageError("no schema to fingerprint", hint="name at least one schema")
    skip = Excluder(exclude_tables)
    reader = _reader(family)
    read = [reader(conn, s, skip) for s in names]
    return SchemaFingerprint(family, tuple(sorted(read, key=lambda s: s.name)))


def _reader(family: str) -> Callable[[Any, str, Excluder], Schema]:
    if family == "mysql":
        from flywayx.db.fingerprint_mysql import read_mysql

        return read_mysql
    if family == "postgresql":
        from flywayx.db.fingerprint_pg import read_pg

        return read_pg
    from flywayx.db.fingerprint_sqlite import read_sqlite

    return read_sqlite
