"""Migrations known outside the working tree, by content id.

On ``main`` the file of a maintenance fix shipped on another branch (``V1.0.2.1__fix.sql`` of
release 1.0.2) is not there, yet ``releases.toml`` names it (``[equivalent] "1.1.2.1" = "1.0.2.1"``)
and databases at 1.0.2 have run it. Such a migration is known

- from git: the tree of the release tag of a declared release none of whose migrations is in the
  working tree (only those tags are read, so a project whose releases all have files here never
  runs git);
- from the database's history: an applied version (with its content id when flywayx recorded one).

``elsewhere`` returns what is known (``sources.releases.Elsewhere``): the planner then treats the
migration as the change its content id (or a declared equivalence) says it is, never as an
invalid file. Outside a git repository, without git or without tags, only the history counts.
"""

from __future__ import annotations

from collections.abc import Sequence

from flywayx.errors import StateError, ToolMissing, UsageError
from flywayx.model import Config, HistoryRow, Migration
from flywayx.model.plan import LineRecord
from flywayx.model.release import ReleaseGraph
from flywayx.model.version import Version
from flywayx.sources import gitrel
from flywayx.sources.releases import Elsewhere


def releases_without_files(graph: ReleaseGraph, migrations: Sequence[Migration]) -> list[str]:
    """Declared releases none of whose migrations is in the working tree."""
    here = {graph.owner(m.version) for m in migrations if m.version is not None}
    return [r.name for r in graph.releases if r.name not in here]


def from_git(config: Config, graph: ReleaseGraph, migrations: Sequence[Migration], dialect: str) -> Elsewhere:
    """Versions and content ids of the migrations that the release tags of file-less releases hold
    and the working tree does not; empty when git cannot tell (no repository, no git, no tags)."""
    wanted = set(releases_without_files(graph, migrations))
    if not wanted:
        return Elsewhere()
    from flywayx.service.gitflow import migrations_dir, tagged_trees

    try:
        where = migrations_dir(config)
        root = gitrel.repo_root(where)
        tags = [t for t in gitrel.release_tags(root) if t.release in wanted]
        tagged, _notes = tagged_trees(root, gitrel.relative_dir(root, where), tags, dialect)
    except (StateError, ToolMissing, UsageError):
        return Elsewhere()
    here = {m.version.text for m in migrations if m.version is not None}
    ids: dict[Version, str | None] = {}
    for t in tagged:
        for version, cid in t.migrations.items():
            if version not in here:
                ids.setdefault(Version.parse(version), cid)
    return Elsewhere(ids, frozenset(t.name for t in tagged))


def elsewhere(
    config: Config,
    graph: ReleaseGraph,
    migrations: Sequence[Migration],
    dialect: str,
    rows: Sequence[HistoryRow],
    records: Sequence[LineRecord] = (),
) -> Elsewhere:
    """Git's knowledge (``from_git``) plus the applied versions of file-less releases, with the
    content id flywayx recorded for them (else git's). An applied version of a release whose other
    files are here is not "elsewhere": its file was deleted, which validation reports."""
    git = from_git(config, graph, migrations, dialect)
    away = set(releases_without_files(graph, migrations))
    recorded = {r.version: r.content_id for r in records if r.content_id}
    ids = dict(git.content_ids)
    for row in rows:
        v = row.version
        if v is not None and not v.is_special and row.success and graph.owner(v) in away:
            ids[v] = recorded.get(v) or ids.get(v)
    return Elsewhere(ids, git.releases_seen)


def from_another_branch(graph: ReleaseGraph, version: Version, migrations: Sequence[Migration]) -> bool:
    """Whether ``version`` belongs to a declared release none of whose files is here."""
    return graph.owner(version) in set(releases_without_files(graph, migrations))


def with_known_ids(records: Sequence[LineRecord], known: Elsewhere) -> list[LineRecord]:
    """The per-line records, completed with the content id of applied versions whose file is not
    here and for which flywayx recorded none (a database migrated by plain migrate or by Flyway)."""
    out = [
        r
        if r.content_id or known.content_ids.get(r.version) is None
        else LineRecord(r.version, known.content_ids[r.version], r.release)
        for r in records
    ]
    have = {r.version for r in out}
    out += [LineRecord(v, cid) for v, cid in known.content_ids.items() if cid is not None and v not in have]
    return out
