"""The worked example's world, shared by its test and the docs test of docs/plugins.md.

``install`` "installs" a plugin by writing its distribution's metadata (``*.dist-info`` with
``entry_points.txt``) into a directory meant for ``PYTHONPATH``, which is what ``importlib.metadata``
reads for a package pip installed. ``golang_migrate_project`` writes what golang-migrate leaves behind:
its ``NNNNNN_name.up.sql``/``.down.sql`` files and an SQLite database it migrated to version 1.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

EXAMPLE = "tests.plugins.example:plugin"


def install(tmp_path: Path, **entries: str) -> Path:
    """A site directory holding one distribution whose ``flywayx.plugins`` entry points are ``entries``."""
    info = tmp_path / "site" / "flywayx_test_plugins-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: flywayx-test-plugins\nVersion: 0.1\n")
    lines = "".join(f"{name} = {value}\n" for name, value in entries.items())
    (info / "entry_points.txt").write_text(f"[flywayx.plugins]\n{lines}")
    return info.parent


def golang_migrate_project(source: Path, database: Path) -> None:
    """Two golang-migrate migrations in ``source``; ``database`` migrated by golang-migrate to version 1."""
    source.mkdir(parents=True)
    (source / "000001_create_users.up.sql").write_text("CREATE TABLE users (id INTEGER PRIMARY KEY);\n")
    (source / "000001_create_users.down.sql").write_text("DROP TABLE users;\n")
    (source / "000002_add_email.up.sql").write_text("ALTER TABLE users ADD COLUMN email TEXT;\n")
    with sqlite3.connect(database) as db:
        db.executescript(
            "CREATE TABLE users (id INTEGER PRIMARY KEY);"
            "CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT NULL);"
            "INSERT INTO schema_migrations VALUES (1, 0);"
        )
    db.close()
