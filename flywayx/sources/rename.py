"""``flywayx rename``: rewrite seed-style alias names (``V_4.1.0_A.sql``) to Flyway names.

``plan_renames`` is a pure decision over a file list (it only lists directories and checks which
targets exist); ``apply_renames`` performs a plan. A plan never overwrites: a target that exists,
two aliases that land on one name, or a target version that another migration in the same files
already has, are all reported together as one MigrationNameError before anything is renamed.
A per-script ``<alias>.conf`` moves with its script.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from flywayx.errors import FlywayxError, MigrationNameError
from flywayx.model.version import Version
from flywayx.sources.names import ALIAS_SUFFIXES, NamingConfig, parse_alias, parse_resource_name

Rename = tuple[Path, Path]
_Planned = tuple[Path, Path, Version]  # old path, new path, the version it stands for


def _files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The given files, plus every file under the given directories (hidden ones skipped)."""
    found: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                found.update(Path(dirpath, f) for f in filenames)
        elif path.is_file():
            found.add(path)
        else:
            raise MigrationNameError(f"No such file or directory: {path}", hint="check the path")
    return sorted(found)


def _existing_versions(files: Sequence[Path], naming: NamingConfig) -> dict[Version, list[Path]]:
    versions: dict[Version, list[Path]] = {}
    script_naming = naming.with_suffixes((*naming.suffixes, ".py"))
    for path in files:
        name = parse_resource_name(path.name, prefixes=script_naming)
        if name.valid and name.version is not None and name.prefix == naming.sql_prefix:
            versions.setdefault(name.version, []).append(path)
    return versions


def _alias_renames(
    files: Sequence[Path], releases: Sequence[Version], naming: NamingConfig, problems: list[str]
) -> list[_Planned]:
    planned = []
    for path in files:
        try:
            alias = parse_alias(path.name, releases, prefix=naming.sql_prefix, suffixes=ALIAS_SUFFIXES)
        except FlywayxError as err:
            problems.append(err.message)
            continue
        if alias is not None:
            planned.append((path, path.with_name(alias.flyway_filename(naming.sql_prefix)), alias.version))
    return planned


def _collisions(planned: Sequence[_Planned], versions: dict[Version, list[Path]]) -> list[str]:
    problems: list[str] = []
    targets: dict[Path, Path] = {}
    for old, new, version in planned:
        if new in targets:
            problems.append(f"{old} and {targets[new]} would both become {new.name}")
        targets[new] = old
        if new.exists():
            problems.append(f"{old} would overwrite {new}")
        others = [p for p in versions.get(version, []) if p != old]
        if others:
            problems.append(f"{old} would become version {version}, which {others[0]} already has")
    return problems


def plan_renames(
    paths: Iterable[str | os.PathLike[str]], releases: Sequence[Version], *, naming: NamingConfig | None = None
) -> list[Rename]:
    """(old, new) pairs, sorted by old path, that turn every alias name into its Flyway name.

    ``paths`` are files and/or directories; ``releases`` resolve compact versions (``V_410_B``).
    Raises MigrationNameError listing every unresolvable alias and every collision.
    """
    naming = naming or NamingConfig()
    files = _files(paths)
    problems: list[str] = []
    planned = _alias_renames(files, releases, naming, problems)
    problems += _collisions(planned, _existing_versions(files, naming))
    if problems:
        raise MigrationNameError(
            "Cannot rename: " + "; ".join(problems),
            hint="resolve these by hand (or declare the missing releases) and run rename again; nothing was renamed",
            problems=problems,
        )
    renames: list[Rename] = []
    for old, new, _ in planned:
        renames.append((old, new))
        conf_old, conf_new = Path(f"{old}.conf"), Path(f"{new}.conf")
        if conf_old.is_file():
            renames.append((conf_old, conf_new))
    return renames


def apply_renames(renames: Sequence[Rename]) -> list[Rename]:
    """Perform ``renames`` in order, never overwriting; returns what was done.

    Every target is checked first, so a plan that became stale (a target appeared since) renames
    nothing; an OS error midway raises with the list of renames already done in ``details``.
    """
    taken = [str(new) for _, new in renames if new.exists()]
    if taken:
        raise MigrationNameError(
            f"Cannot rename: {', '.join(taken)} already exist(s)",
            hint="plan again: the directory changed since the plan was made",
        )
    done: list[Rename] = []
    for old, new in renames:
        try:
            os.rename(old, new)
        except OSError as exc:
            raise MigrationNameError(
                f"Cannot rename {old} to {new}: {exc.strerror or exc}",
                hint="fix the permissions and run rename again (it resumes)",
                done=[(str(a), str(b)) for a, b in done],
            ) from exc
        done.append((old, new))
    return done
