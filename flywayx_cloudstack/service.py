"""CloudStack (ACS) commands: ``import acs`` and ``baseline --acs`` (adoption of a live database).

Adoption reads ``cloud.version`` (CloudStack's rule: the newest ``Complete`` row, see
``flywayx_cloudstack.adopt``) and is ``baseline --release R`` at that release (``service/adopt.py``):
every migration of R's closure is recorded as applied, so ``migrate --to R'`` continues with exactly
the steps CloudStack would run from there, including releases of other lines that the adopted
release never merged (for instance 4.19.2.0 on a 4.20.0.0 database), and Flyway reads the history
the same way. Databases adopted before this (a ``BASELINE`` row at R's version) are upgraded in place
by the next migrate (``plan/ledger.py``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flywayx.db.base import Database
from flywayx.errors import ImportProblem, StateError, UsageError
from flywayx.model import Config
from flywayx.model.results import BaselineReport
from flywayx_cloudstack.adopt import Hierarchy, VersionRow, adoption_start, current_release, read_hierarchy
from flywayx_cloudstack.project import CLOUDSTACK_OVERRIDES, import_acs
from flywayx_cloudstack.report import ImportReport
from flywayx_cloudstack.version_rows import HIERARCHY_FILE

VERSION_TABLE = "version"


def overrides_file(value: str | None) -> Path | None:
    """``--overrides``: a file, or ``cloudstack`` for the overrides of Apache CloudStack shipped with flywayx."""
    if value is None:
        return None
    if value == "cloudstack":
        return CLOUDSTACK_OVERRIDES
    path = Path(value)
    if not path.is_file():
        raise UsageError(
            f"overrides file not found: {value}",
            hint="pass a releases.toml-style file, or `cloudstack` for the overrides shipped with flywayx",
        )
    return path


def import_project(source: Path, out: Path, overrides: Path | None = None) -> ImportReport:
    """Import the CloudStack tree ``source`` into the new flywayx project ``out`` (see docs/acs-import.md)."""
    return import_acs(source, out, overrides=overrides)


PORT_PROBLEMS = ("java-stub", "java-effects-undeclared", "java-effects-unreadable")


def require_ports(report: ImportReport) -> None:
    """ImportProblem naming every step whose Java has no Python port (and the stub written for it),
    or whose port does not declare ``SCHEMA_EFFECTS``; nothing when every port is there."""
    missing = [i for i in report.issues if i.code in PORT_PROBLEMS]
    if missing:
        first = missing[0]
        more = f" (and {len(missing) - 1} more, see import-report.md)" if len(missing) > 1 else ""
        raise ImportProblem(
            f"{first.subject}: {first.message}{more}",
            hint="port each step's performDataMigration to java_equiv/ and declare its SCHEMA_EFFECTS "
            "(docs/acs-java-steps.md, 'Writing a port'), then import again",
            missing=[f"{i.subject}: {i.message}" for i in missing],
        )


def _parse_updated(value: object) -> datetime | None:
    return value if isinstance(value, datetime) else None


def read_version_rows(db: Database, schema: str) -> list[VersionRow]:
    """Rows of ``<schema>.version``; StateError when the table is absent (not a CloudStack database)
    or the server is not MySQL/MariaDB (CloudStack runs on no other)."""
    if db.dialect not in ("mysql", "mariadb"):
        raise StateError(
            f"a {db.dialect} database is not a CloudStack database: CloudStack keeps its tables in MySQL or MariaDB",
            hint="point --url at the management server's database (mysql://USER@HOST/cloud)",
        )
    present = db.query(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        (schema, VERSION_TABLE),
    )
    if not present or not int(present[0][0]):
        raise StateError(
            f"{schema}.{VERSION_TABLE} does not exist: this is not a CloudStack database",
            hint="point --url/--schemas at the CloudStack database (schema cloud), "
            "or install from scratch with `flywayx migrate --to <release>`",
        )
    table = f"{db.quote(schema)}.{db.quote(VERSION_TABLE)}"
    found = db.query(f"SELECT id, version, updated, step FROM {table}")
    return [VersionRow(int(r[0]), str(r[1]), _parse_updated(r[2]), str(r[3] or "")) for r in found]


def _hierarchy(graph_source: str | None) -> Hierarchy | None:
    """``cloudstack-hierarchy.toml`` beside ``releases.toml``; None for an older import without it."""
    if graph_source is None:
        return None
    path = Path(graph_source).with_name(HIERARCHY_FILE)
    try:
        return read_hierarchy(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ValueError) as err:  # tomllib's error is a ValueError
        raise StateError(
            f"cannot read {path}: {err}", hint="re-import the CloudStack tree (flywayx import acs)"
        ) from None


def adoption_release(config: Config) -> tuple[str, str, str]:
    """(release to adopt, the version ``cloud.version`` holds, why they differ or ""); refuses
    unfinished upgrades and versions CloudStack's code of this tree would not upgrade."""
    from flywayx.service.kernel import session
    from flywayx.service.lines import require_graph

    with session(config) as s:
        version = current_release(read_version_rows(s.db, s.default_schema))
        graph = require_graph(s)
        names = {r.name for r in graph.releases}
        release, why = adoption_start(version, names, _hierarchy(graph.source))
        return release, version, why


def baseline_acs(config: Config, *, dry_run: bool = False) -> BaselineReport:
    """``flywayx baseline --acs``: ``baseline --release R`` at the release CloudStack would upgrade
    the database from (the one ``cloud.version`` names, or the node ``getPath`` falls back to)."""
    from flywayx.service.adopt import baseline_release

    release, _, why = adoption_release(config)
    note = f" (CloudStack release {release}, from cloud.version)" if not why else f" ({why})"
    return baseline_release(config, release, dry_run=dry_run, note=note)
