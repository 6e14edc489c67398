"""Releases from git and the pending-migration workflow: one function per command, no printing.

- ``releases_from_git``: the release graph git implies, as ``releases.toml`` text (optionally written).
- ``releases_check``: every difference between the declared ``releases.toml`` and git, plus
  maintenance fixes a newer line forgot and pending migrations from parallel branches that clash.
- ``new_migration``: a pending migration of the current line (``flywayx.sources.pending``).
- ``release_cut``: freeze the pending migrations into a release, refusing footprint conflicts with
  the maintenance releases it merges.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flywayx import operations
from flywayx.errors import Conflict, FlywayxError, PlanError, StateError, ToolMissing, UsageError
from flywayx.model import Config
from flywayx.model.footprint import UNKNOWN_OBJECT, Footprint, Phase, combine
from flywayx.model.migration import Kind
from flywayx.model.release import ReleaseGraph, head_name, line_key
from flywayx.model.version import Version
from flywayx.plan import gitgraph
from flywayx.sources import gitrel, pending
from flywayx.sources.names import DEFAULT_NAMING, parse_resource_name
from flywayx.sources.releases import FILE_NAME, find_releases_file, parse_releases, raise_problems
from flywayx.sources.scan import location_path, scan
from flywayx.statements.analyze import analyze_migration
from flywayx.statements.content_id import content_id, content_id_of_python
from flywayx.statements.splitter import split

_NAMING = DEFAULT_NAMING.with_suffixes((".sql", ".py", operations.SUFFIX))  # the migrations scan finds
_HEADER = "# Derived from git tags by `flywayx releases from-git`; check it with `flywayx releases check`.\n"


def migrations_dir(config: Config) -> Path:
    """The first location's directory: where migrations and ``releases.toml`` live."""
    if not config.locations:
        raise UsageError("no migrations location", hint="pass --locations DIR")
    return Path(location_path(config.locations[0], config.working_directory))


def dialect_of(config: Config, dialect: str | None) -> str:
    if dialect:
        return dialect
    return config.url.dialect if config.url is not None else "mysql"


def _declared(config: Config) -> tuple[Path | None, ReleaseGraph | None, str]:
    path = find_releases_file(list(config.locations), config.releases_file)
    if path is None:
        return None, None, ""
    text = path.read_text(encoding="utf-8")
    graph, problems = parse_releases(text, str(path))
    raise_problems(problems, str(path))
    return path, graph, text


# --- reading git -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GitView:
    root: Path
    directory: str
    tagged: tuple[gitgraph.TaggedRelease, ...]
    commits: tuple[tuple[str, tuple[str, ...]], ...]
    derived: gitgraph.Derived
    notes: tuple[str, ...] = ()


def _file_id(filename: str, data: bytes, dialect: str) -> tuple[str | None, str | None]:
    """(version, content id) of a versioned migration file; (None, None) for anything else."""
    name = parse_resource_name(filename, prefixes=_NAMING)
    if not name.valid or name.kind is not Kind.VERSIONED or name.version is None:
        return None, None
    text = data.decode("utf-8", "replace")
    if name.suffix == ".py":
        return name.version.text, content_id_of_python(text)
    statements = split(text, dialect, path=filename)
    return name.version.text, (content_id(statements, dialect) if statements else None)


def tagged_trees(
    root: Path, directory: str, tags: Sequence[gitrel.Tag], dialect: str
) -> tuple[list[gitgraph.TaggedRelease], list[str]]:
    """Each tag's migrations (version -> content id), read in one pass over the blobs; notes name the
    files git holds that do not split (kept, without a content id)."""
    trees = {t.commit: gitrel.files_at(root, t.commit, directory) for t in tags}
    blobs = gitrel.read_blobs(root, (f.blob for files in trees.values() for f in files))
    ids: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    notes: list[str] = []
    out = []
    for t in tags:
        migrations: dict[str, str | None] = {}
        for f in trees[t.commit]:
            key = (f.filename, f.blob)
            if key not in ids:
                try:
                    ids[key] = _file_id(f.filename, blobs[f.blob], dialect)
                except FlywayxError as err:  # a file git holds that does not split: keep it, unidentified
                    notes.append(f"{f.path} at {t.name}: no content id ({err.message})")
                    ids[key] = (_version_of(f.filename), None)
            version, cid = ids[key]
            if version is not None:
                migrations[version] = cid
        out.append(gitgraph.TaggedRelease(t.release, t.commit, migrations))
    return out, notes


def read_git(
    config: Config,
    repo: str | None = None,
    tags: str | None = None,
    dialect: str | None = None,
    depth: int | None = None,
) -> GitView:
    """Tags, ancestry and tag trees of the repository holding the migrations, and git's graph."""
    where = migrations_dir(config)
    root = gitrel.repo_root(Path(repo) if repo else where)
    directory = gitrel.relative_dir(root, where)
    found = gitrel.release_tags(root, tags or gitrel.DEFAULT_TAG_PATTERN)
    commits = tuple(gitrel.history(root, [t.commit for t in found]))
    tagged, notes = tagged_trees(root, directory, found, dialect_of(config, dialect))
    if depth is None:
        _, graph, _ = _declared(config)
        depth = graph.depth if graph is not None else 2
    derived = gitgraph.derive(tagged, commits, depth)
    return GitView(root, directory, tuple(tagged), commits, derived, tuple(notes) + derived.notes)


# --- releases from-git / check ---------------------------------------------------------------------


@dataclass(frozen=True)
class FromGit:
    text: str
    written: Path | None
    notes: tuple[str, ...]


def releases_from_git(
    config: Config,
    repo: str | None = None,
    tags: str | None = None,
    dialect: str | None = None,
    depth: int | None = None,
    write: bool = False,
) -> FromGit:
    """``releases.toml`` as git says; ``[commutes]`` of an existing file is kept (git cannot know it)."""
    view = read_git(config, repo, tags, dialect, depth)
    path, graph, _ = _declared(config)
    commutes: dict[str, list[str]] = {}
    for r in graph.resolutions if graph is not None else ():
        commutes.setdefault(r.version.text, []).append(r.other.text)
    text = gitgraph.render_toml(view.derived, commutes, _HEADER)
    _, problems = parse_releases(text, "<derived releases.toml>")
    raise_problems(problems, "<derived releases.toml>")
    target = None
    if write:
        target = path or migrations_dir(config) / FILE_NAME
        target.write_text(text, encoding="utf-8")
    return FromGit(text, target, view.notes)


@dataclass(frozen=True)
class CheckReport:
    """``differences`` between releases.toml and git; ``forgotten`` maintenance fixes; ``conflicts``
    between pending migrations of parallel branches. Clean when all three are empty."""

    differences: tuple[str, ...]
    forgotten: tuple[str, ...]
    conflicts: tuple[str, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def clean(self) -> bool:
        return not (self.differences or self.forgotten or self.conflicts)


def releases_check(
    config: Config, repo: str | None = None, tags: str | None = None, dialect: str | None = None
) -> CheckReport:
    """Compare the declared releases.toml with git (see ``CheckReport``)."""
    path, graph, _ = _declared(config)
    if graph is None or path is None:
        raise StateError("No releases.toml to check", hint="write one with `flywayx releases from-git --write`")
    view = read_git(config, repo, tags, dialect, graph.depth)
    differences = gitgraph.compare(graph, view.derived)
    forgotten = gitgraph.forgotten_fixes(view.derived, view.tagged, view.derived.graph())
    conflicts = [
        f"pending {c.pending} and {c.applied} were written on parallel branches and both touch "
        f"{', '.join(c.objects)}: rebase one on the other and re-test it"
        for c in _parallel(config, view.root, graph, dialect_of(config, dialect))
    ]
    return CheckReport(tuple(differences), tuple(forgotten), tuple(conflicts), view.notes)


def _footprint(path: Path, dialect: str) -> Footprint:
    if path.suffix == ".py":
        return Footprint(Phase.UNKNOWN, writes=frozenset({UNKNOWN_OBJECT}))
    if operations.is_operations(str(path)):  # both parts: what the file does, declared
        compiled = operations.compiled(path.read_text(encoding="utf-8"), str(path), dialect)
        return combine([compiled.first.footprint, *([compiled.contract.footprint] if compiled.contract else [])])
    statements = split(path.read_text(encoding="utf-8"), dialect, path=str(path))
    return analyze_migration(statements, dialect)[1]


def _pending_files(config: Config, graph: ReleaseGraph) -> list[tuple[Path, Version, str]]:
    """(path, version, owning head) of every migration that belongs to an unreleased head."""
    out, seen = [], set()
    for m in scan(config, {}).migrations:
        if m.kind is Kind.VERSIONED and m.version is not None and m.path not in seen:
            seen.add(m.path)  # an operations file's contract part is the same file: renamed once
            owner = graph.owner(m.version)
            if owner is not None and graph.get(owner) is None:
                out.append((Path(m.path), m.version, owner))
    return sorted(out, key=lambda p: p[1])


def _parallel(config: Config, root: Path, graph: ReleaseGraph, dialect: str) -> list[Conflict]:
    items = []
    for path, version, _owner in _pending_files(config, graph):
        commit = gitrel.added_by(root, path.resolve().relative_to(root.resolve()).as_posix())
        items.append(gitgraph.PendingChange(version.text, commit, _footprint(path, dialect)))
    return gitgraph.parallel_conflicts(items, lambda a, b: gitrel.is_ancestor(root, a, b))


# --- new / release cut -----------------------------------------------------------------------------


def current_line(config: Config, repo: str | None = None, tags: str | None = None) -> str:
    """The line HEAD is on: that of the highest release tag HEAD contains; without git or tags,
    that of the highest release in releases.toml."""
    _, graph, _ = _declared(config)
    depth = graph.depth if graph is not None else 2
    try:
        root = gitrel.repo_root(Path(repo) if repo else migrations_dir(config))
        found = {t.commit: t for t in gitrel.release_tags(root, tags or gitrel.DEFAULT_TAG_PATTERN)}
        reachable = [found[c] for c, _ in gitrel.history(root, [gitrel.head(root)]) if c in found]
    except (StateError, UsageError):
        reachable = []
    if reachable:
        return line_key(Version.parse(max(reachable, key=lambda t: Version.parse(t.release)).release), depth)
    if graph is not None and graph.releases:
        return graph.releases[-1].line
    raise UsageError(
        "cannot tell which release line this is: no release tag and no releases.toml",
        hint="pass --line (e.g. --line 4.6)",
    )


def new_migration(
    config: Config,
    description: str,
    line: str | None = None,
    *,
    repo: str | None = None,
    python: bool = False,
    now: datetime | None = None,
    nonce: int | None = None,
    operation: str | None = None,
    args: Sequence[str] = (),
) -> Path:
    """Create a pending migration of ``line`` (default ``current_line``); return its path. With
    ``operation``: an operations file holding that operation, built from ``KEY=VALUE`` ``args``."""
    content = None
    if operation is not None:
        from flywayx.operations.template import operation_file

        content = operation_file(operation, args, description, f"new {operation}")
    chosen = line or current_line(config, repo)
    if Version.try_parse(chosen) is None:
        raise UsageError(f"--line {chosen!r} is not a version", hint="e.g. --line 4.6")
    when = now or datetime.now(UTC)
    draw = secrets.randbelow(1_000_000) if nonce is None else nonce
    suffix = ".toml" if operation is not None else ".py" if python else ".sql"
    return pending.create_pending(migrations_dir(config), chosen, description, when, draw, suffix, content)


@dataclass(frozen=True)
class CutReport:
    release: str
    branch_from: str | None
    merges: tuple[str, ...]
    renames: tuple[pending.Rename, ...]
    table: str
    dry_run: bool = False


def _cut_base(graph: ReleaseGraph, release: str, line: str, branch_from: str | None) -> tuple[str | None, bool]:
    """(base release, new line?) for cutting ``release`` from the pending head of ``line``."""
    v = Version.try_parse(release)
    if v is None or v.is_special:
        raise UsageError(f"release {release!r} is not a version", hint="e.g. flywayx release cut 4.6.1")
    if graph.get(release) is not None:
        raise UsageError(f"release {release} is already declared in releases.toml")
    own_line = line_key(v, graph.depth)
    last_here, last_mine = graph.last_of_line(line), graph.last_of_line(own_line)
    if own_line == line:
        if last_here is not None and v <= last_here.version:
            raise UsageError(f"release {release} does not come after {last_here.name}, the last release of {line}")
        return (last_here.name if last_here else None), False
    if last_mine is not None:
        raise UsageError(
            f"release {release} is on line {own_line}, which already has releases; "
            f"the pending migrations are on line {line}",
            hint="cut it on its own branch",
        )
    base = branch_from or (last_here.name if last_here else None)
    base_release = graph.get(base) if base else None
    if base_release is not None and v <= base_release.version:
        raise UsageError(
            f"release {release} would start line {own_line} before its branch point {base}",
            hint="a new line's first release must sort after the release it branches from",
        )
    return base, True


def release_cut(
    config: Config,
    release: str,
    *,
    merges: Sequence[str] = (),
    branch_from: str | None = None,
    line: str | None = None,
    dialect: str | None = None,
    dry_run: bool = False,
) -> CutReport:
    """Freeze the pending migrations of ``line`` into ``release`` (see the module docstring)."""
    path, graph, text = _declared(config)
    if graph is None:
        graph, text = ReleaseGraph((), 2), ""
    chosen = _pending_line(config, graph, line)
    base, new_line = _cut_base(graph, release, chosen, branch_from)
    for m in merges:
        if graph.get(m) is None:
            raise UsageError(f"--merges {m}: no such release in releases.toml")
    files = [(p, v) for p, v, owner in _pending_files(config, graph) if owner == head_name(chosen)]
    _refuse_conflicts(config, graph, [p for p, _ in files], base, merges, dialect_of(config, dialect))
    table = gitgraph.render_release_table(release, base if new_line else None, tuple(merges))
    _, problems = parse_releases(text + "\n" + table, str(path or FILE_NAME))
    raise_problems(problems, str(path or FILE_NAME))
    taken = [m.version for m in scan(config, {}).migrations if m.version is not None]
    renames = pending.freeze_names(
        [(p, v, _raw_desc(p), p.suffix) for p, v in _git_order(config, files)], release, taken
    )
    if not dry_run:
        pending.apply_renames(renames)
        pending.append_table(path or migrations_dir(config) / FILE_NAME, table, graph.depth)
    return CutReport(release, base if new_line else None, tuple(merges), tuple(renames), table, dry_run)


def _git_order(config: Config, files: Sequence[tuple[Path, Version]]) -> list[tuple[Path, Version]]:
    """The pending files in the order git gives them (``gitgraph.ancestry_order``); version order
    outside a git repository."""
    try:
        root = gitrel.repo_root(migrations_dir(config))
        added = {v.text: gitrel.added_by(root, p.resolve().relative_to(root.resolve()).as_posix()) for p, v in files}
        commits = gitrel.history(root, [c for c in added.values() if c is not None])
    except (StateError, ToolMissing, ValueError):
        return sorted(files, key=lambda f: f[1])
    by_version = {v.text: (p, v) for p, v in files}
    return [by_version[v] for v in gitgraph.ancestry_order(sorted(added.items()), commits)]


def _raw_desc(path: Path) -> str:
    """The description as written in the file name, without the suffix (``.sql``, ``.py``, ``.toml``)."""
    name = parse_resource_name(path.name, prefixes=_NAMING)
    return name.raw_description or ""


def _pending_line(config: Config, graph: ReleaseGraph, line: str | None) -> str:
    heads = sorted({owner for _, _, owner in _pending_files(config, graph)})
    if line is not None:
        return line
    if len(heads) == 1:
        return heads[0].removesuffix(".next")
    if not heads:
        raise StateError("nothing pending to freeze", hint='create one with flywayx new "what it does"')
    raise UsageError(f"pending migrations on several lines ({', '.join(heads)})", hint="pass --line")


def _refuse_conflicts(
    config: Config, graph: ReleaseGraph, files: Sequence[Path], base: str | None, merges: Sequence[str], dialect: str
) -> None:
    """PlanError when a pending migration touches what a merged maintenance migration touches."""
    if not merges:
        return
    hist = gitgraph.closures(graph)
    known = ({base} | hist.get(base, frozenset())) if base else set()
    incoming = set().union(*({m} | hist.get(m, frozenset()) for m in merges)) - known
    merged = [
        (m.version.text, _footprint(Path(m.path), dialect))
        for m in scan(config, {}).migrations
        if m.kind is Kind.VERSIONED and m.version is not None and graph.owner(m.version) in incoming
    ]
    mine = [(p.name, _footprint(p, dialect)) for p in files]
    conflicts = gitgraph.cut_conflicts([(_version_of(n), fp) for n, fp in mine], merged)
    if conflicts:
        lines = [f"{c.pending} and {c.applied} both touch {', '.join(c.objects)}" for c in conflicts]
        raise PlanError(
            "pending migrations conflict with merged maintenance releases:\n" + "\n".join(lines),
            hint="rewrite the pending migration on top of the maintenance fix, then cut again",
            conflicts=conflicts,
        )


def _version_of(filename: str) -> str:
    name = parse_resource_name(filename)
    return name.version.text if name.version is not None else filename
