"""A second product as a flywayx plugin: projects kept by golang-migrate (github.com/golang-migrate/migrate).

``flywayx import golang-migrate SOURCE OUT`` turns its ``000002_add_email.up.sql`` files into Flyway's
``V2__add_email.sql`` (the ``.down.sql`` files have no Flyway equivalent and are left out), and
``flywayx baseline --golang-migrate`` adopts a database golang-migrate has migrated, at the version its
``schema_migrations`` table records. docs/plugins.md walks through it; tests/plugins/test_plugins.py
installs it through an entry point and runs both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import click

from flywayx.errors import StateError, UsageError
from flywayx.model.config import Config
from flywayx.model.results import BaselineReport
from flywayx.plugins import BaselineAdapter, Plugin

UP = re.compile(r"(\d+)_(\w+)\.up\.sql")
TABLE = "schema_migrations"


@click.command(name="golang-migrate")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
def import_golang_migrate(source: Path, out: Path) -> None:
    """Turn golang-migrate's NNN_name.up.sql files in SOURCE into Flyway migrations in OUT."""
    ups = [(m, p) for p in sorted(source.iterdir()) if (m := UP.fullmatch(p.name))]
    if not ups:
        raise UsageError(f"no NNN_name.up.sql file in {source}", hint="pass golang-migrate's migrations directory")
    out.mkdir(parents=True, exist_ok=True)
    for match, path in ups:
        (out / f"V{int(match[1])}__{match[2]}.sql").write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    click.echo(f"Wrote {len(ups)} migrations to {out}")


def importers() -> Sequence[click.Command]:
    return (import_golang_migrate,)


def adopt(config: Config, dry_run: bool) -> BaselineReport:
    """Flyway's baseline at the version golang-migrate recorded (refused while it is dirty)."""
    from flywayx import service
    from flywayx.service.kernel import session

    with session(config, read_only=True) as s:
        if not s.db.column_names(s.default_schema, TABLE):
            raise StateError(
                f"{TABLE} does not exist: golang-migrate has not migrated this database",
                hint="point --url at the database golang-migrate migrates",
            )
        rows = s.db.query(f"SELECT version, dirty FROM {s.db.quote(s.default_schema, TABLE)}")
    if not rows:
        raise StateError(f"{TABLE} is empty", hint="run golang-migrate's up first, or use plain `flywayx migrate`")
    version, dirty = rows[0]
    if dirty:
        raise StateError(
            f"golang-migrate left version {version} dirty (a migration failed half-way)",
            hint="fix the database and run `migrate force`, then baseline again",
        )
    return service.baseline(replace(config, baseline_version=str(version)), dry_run=dry_run)


plugin = Plugin(
    name="golang-migrate",
    importers=importers,
    baseline_adapters=(
        BaselineAdapter(
            "golang-migrate",
            help="golang-migrate: baseline at its schema_migrations version.",
            reads="reads the version from schema_migrations",
            adopt=adopt,
        ),
    ),
)
