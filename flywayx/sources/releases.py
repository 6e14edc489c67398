"""Read and validate ``releases.toml``.

``parse_releases`` turns text into a ``ReleaseGraph`` plus every problem found (never stopping at
the first); ``check_migrations`` adds the problems that need the resolved migrations (migrations
that belong nowhere, equivalences naming missing versions); ``load_releases`` reads a file, runs
both and raises one ``ReleaseConfigError`` carrying ``details['problems']``.

Format::

    [lines]
    depth = 2                     # release 4.5.3 is on line 4.5
    column_order = "any"          # default "exact": see plan/interleave.py (order:t)
    [release."4.6.0"]
    from = "4.5.2"                # branch point of a line's first release
    [release."4.6.1"]
    merges = ["4.5.3"]            # maintenance releases whose changes 4.6.1 includes
    [equivalent]
    "4.6.1.1" = "4.5.3.1"         # migration version -> the same change on another line
    [commutes]
    "4.5.3.2" = ["4.6.0.1"]       # declared resolution: 4.5.3.2 may run after 4.6.0.1

``tomllib`` gives no positions, so line numbers come from scanning the text for table headers and
keys (``_locate``); a problem whose key cannot be found points at the enclosing table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flywayx.errors import ConfigError
from flywayx.model.migration import Kind, Migration
from flywayx.model.release import (
    Equivalence,
    Release,
    ReleaseGraph,
    ReleaseProblem,
    Resolution,
    line_key,
)
from flywayx.model.version import Version
from flywayx.sources.release_file import FILE_NAME, find_releases_file
from flywayx.sources.release_problems import independent, load_toml, raise_problems

__all__ = [
    "FILE_NAME",
    "Elsewhere",
    "check_migrations",
    "find_releases_file",
    "known_elsewhere",
    "load_releases",
    "parse_releases",
    "raise_problems",
]

_TOP_KEYS = {"lines", "release", "equivalent", "commutes", "repeatables"}
_RELEASE_KEYS = {"from", "merges"}
_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$")
_ATOM = r"""(?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)"""
_KEY = re.compile(rf"^\s*({_ATOM}(?:\s*\.\s*{_ATOM})*)\s*=")
_PART = re.compile(rf"\s*({_ATOM})\s*(?:\.|$)")


class _Collector:
    """Problems of one file, each located by a TOML key path."""

    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.lines = _locate(text)
        self.problems: list[ReleaseProblem] = []

    def line(self, *path: str) -> int | None:
        for n in range(len(path), 0, -1):
            if path[:n] in self.lines:
                return self.lines[path[:n]]
        return None

    def add(self, message: str, *path: str) -> None:
        self.problems.append(ReleaseProblem(self.file, self.line(*path), message))


def _split_key(text: str) -> tuple[str, ...]:
    parts: list[str] = []
    for m in _PART.finditer(text):
        raw = m.group(1)
        parts.append(raw[1:-1] if raw[0] in "\"'" else raw)
    return tuple(parts)


def _locate(text: str) -> dict[tuple[str, ...], int]:
    """Key path -> 1-based line of its first appearance (table headers and ``key =`` lines)."""
    found: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header and not line.lstrip().startswith("[["):
            table = _split_key(header.group(1))
            found.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            found.setdefault(table + _split_key(key.group(1)), number)
    return found


def _version(value: object, c: _Collector, what: str, *path: str) -> Version | None:
    if not isinstance(value, str):
        c.add(f"{what} must be a string, got {value!r}", *path)
        return None
    v = Version.try_parse(value)
    if v is None or v.is_special:
        c.add(f"{what} {value!r} is not a version (digits separated by dots)", *path)
        return None
    return v


def _read_column_order(doc: Mapping[str, Any], c: _Collector) -> str:
    """``[lines] column_order = "exact" | "any"`` (default exact)."""
    lines = doc.get("lines", {})
    value = lines.get("column_order", "exact") if isinstance(lines, dict) else "exact"
    if value not in ("exact", "any"):
        c.add(f'[lines] column_order must be "exact" or "any", got {value!r}', "lines", "column_order")
        return "exact"
    return str(value)


def _read_repeatables(doc: Mapping[str, Any], names: set[str], c: _Collector) -> tuple[str | None, str]:
    """``[repeatables] release = "R"``: the repeatable migrations are written for release R's schema;
    ``note``: what an operator should know about stopping before R (said where they are deferred)."""
    table = doc.get("repeatables", {})
    if not isinstance(table, dict):
        c.add("[repeatables] must be a table", "repeatables")
        return None, ""
    for key in sorted(set(table) - {"release", "note"}):
        c.add(f"unknown key {key!r} in [repeatables] (known: release, note)", "repeatables", key)
    note = table.get("note", "")
    if not isinstance(note, str):
        c.add("[repeatables] note must be a string", "repeatables", "note")
        note = ""
    release = table.get("release")
    if release is not None and release not in names:
        c.add(f"[repeatables] release {release!r} is not a declared release", "repeatables", "release")
        return None, note
    return (release if isinstance(release, str) else None), note


def _read_depth(doc: Mapping[str, Any], c: _Collector) -> int:
    lines = doc.get("lines", {})
    if not isinstance(lines, dict):
        c.add("[lines] must be a table", "lines")
        return 2
    for key in sorted(set(lines) - {"depth", "ordering", "column_order"}):
        c.add(f"unknown key {key!r} in [lines] (known: column_order, depth, ordering)", "lines", key)
    depth = lines.get("depth", 2)
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
        c.add(f"[lines] depth must be a positive integer, got {depth!r}", "lines", "depth")
        return 2
    return depth


def _read_ordering(doc: Mapping[str, Any], c: _Collector) -> tuple[tuple[str, str], ...]:
    """``[lines.ordering]``: line key -> ``strict`` or ``interleave`` (the per-line ordering policy)."""
    lines = doc.get("lines", {})
    table = lines.get("ordering", {}) if isinstance(lines, dict) else {}
    if not isinstance(table, dict):
        c.add('[lines.ordering] must be a table of line = "strict" | "interleave"', "lines", "ordering")
        return ()
    out = []
    for line, value in sorted(table.items()):
        if value not in ("strict", "interleave"):
            c.add(
                f'ordering of line {line!r} must be "strict" or "interleave", got {value!r}', "lines", "ordering", line
            )
            continue
        out.append((line, value))
    return tuple(out)


def _names(value: object, c: _Collector, *path: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    c.add(f"{path[-1]} must be a release name or a list of them, got {value!r}", *path)
    return ()


def _read_release_tables(doc: Mapping[str, Any], c: _Collector) -> dict[str, dict[str, Any]]:
    table = doc.get("release", {})
    if not isinstance(table, dict):
        c.add('release must be a table of [release."X"] tables', "release")
        return {}
    out: dict[str, dict[str, Any]] = {}
    for name, body in table.items():
        if not isinstance(body, dict):
            c.add(f'[release."{name}"] must be a table', "release", name)
            continue
        for key in sorted(set(body) - _RELEASE_KEYS):
            c.add(f'unknown key {key!r} in [release."{name}"] (known: from, merges)', "release", name, key)
        out[name] = body
    return out


def _declared_versions(tables: Mapping[str, Any], c: _Collector) -> dict[str, Version]:
    versions: dict[str, Version] = {}
    seen: dict[Version, str] = {}
    for name in tables:
        v = _version(name, c, "release name", "release", name)
        if v is None:
            continue
        if v in seen:
            c.add(f"release {name!r} is the same version as release {seen[v]!r}", "release", name)
            continue
        seen[v] = name
        versions[name] = v
    return versions


def _build_releases(
    tables: Mapping[str, dict[str, Any]], versions: Mapping[str, Version], depth: int, c: _Collector
) -> tuple[Release, ...]:
    ordered = sorted(versions, key=lambda n: versions[n])
    previous: dict[str, str] = {}
    out: list[Release] = []
    for index, name in enumerate(ordered):
        body, line = tables[name], line_key(versions[name], depth)
        branch = _names(body["from"], c, "release", name, "from") if "from" in body else ()
        merges = _names(body.get("merges", []), c, "release", name, "merges")
        for ref, key in [(b, "from") for b in branch] + [(m, "merges") for m in merges]:
            if ref == name:
                why = (
                    f'merges itself (remove "{name}" from its merges)'
                    if key == "merges"
                    else "branches from itself (its `from` must name an earlier release)"
                )
                c.add(f'release "{name}" {why}', "release", name, key)
            elif ref not in versions and ref not in tables:  # a declared but invalid name is reported once
                c.add(f'release "{name}" {key} unknown release "{ref}"', "release", name, key)
        if len(branch) > 1:
            c.add(f'release "{name}": from names one branch point, got {len(branch)}', "release", name, "from")
        if line not in previous and not branch and index > 0:
            c.add(f'release "{name}" is the first of line {line} but has no `from` (its branch point)', "release", name)
        inline = (previous[line],) if line in previous else ()
        known = tuple(dict.fromkeys(p for p in inline + branch[:1] + merges if p in versions and p != name))
        out.append(
            Release(
                name,
                versions[name],
                line,
                known,
                branch[0] if branch else None,
                merges,
                source_line=c.line("release", name),
            )
        )
        previous[line] = name
    return tuple(out)


def _find_cycles(releases: Sequence[Release]) -> list[list[str]]:
    """Each cycle once, as the release names along it (iterative DFS, deterministic order)."""
    parents = {r.name: r.parents for r in releases}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []
    for root in sorted(parents):
        if root in state:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = []
        while stack:
            node, i = stack.pop()
            if i == 0:
                state[node], path = 1, [*path, node]
            kids = parents[node]
            if i < len(kids):
                stack.append((node, i + 1))
                kid = kids[i]
                if state.get(kid) == 1:
                    cycles.append(path[path.index(kid) :])
                elif kid not in state:
                    stack.append((kid, 0))
            else:
                state[node] = 2
                path = path[:-1]
    return cycles


def _read_pairs(doc: Mapping[str, Any], table: str, c: _Collector) -> list[tuple[Version, Version, int | None]]:
    body = doc.get(table, {})
    if not isinstance(body, dict):
        c.add(f"[{table}] must be a table", table)
        return []
    pairs: list[tuple[Version, Version, int | None]] = []
    for key, value in body.items():
        left = _version(key, c, f"[{table}] key", table, key)
        values = value if table == "commutes" and isinstance(value, list) else [value]
        for item in values:
            right = _version(item, c, f"[{table}] value", table, key)
            if left is not None and right is not None:
                if left == right:
                    c.add(f"[{table}] {key!r} names itself", table, key)
                else:
                    pairs.append((left, right, c.line(table, key)))
    return pairs


def parse_releases(text: str, file: str = FILE_NAME) -> tuple[ReleaseGraph, list[ReleaseProblem]]:
    """Parse ``releases.toml`` text; return the graph and every structural problem found.

    Checks: TOML syntax, nesting deeper than ``MAX_NESTING`` (one problem, never a RecursionError),
    unknown keys, release names that are not versions or duplicate another, ``from``/``merges``
    naming unknown releases or the release itself, a line's first release without ``from`` (except
    the project's first release), cycles (each named by its releases), malformed
    ``[equivalent]``/``[commutes]`` entries. Time and memory are linear in the size of the file.
    """
    c = _Collector(file, text)
    doc, stopped = load_toml(text, file)
    if doc is None:
        return ReleaseGraph((), source=file), stopped
    for key in sorted(set(doc) - _TOP_KEYS):
        c.add(f"unknown table {key!r} (known: {', '.join(sorted(_TOP_KEYS))})", key)
    depth = _read_depth(doc, c)
    tables = _read_release_tables(doc, c)
    releases = _build_releases(tables, _declared_versions(tables, c), depth, c)
    for cycle in _find_cycles(releases):
        path = " -> ".join([*cycle, cycle[0]])
        c.add(f"release graph has a cycle: {path} (via previous, from, merges)", "release", cycle[0])
    ordering = _read_ordering(doc, c)
    known_lines = {r.line for r in releases}
    for line, _ in ordering:
        if line not in known_lines:
            c.add(f"[lines.ordering] names line {line!r}, which has no release", "lines", "ordering", line)
    repeatables = _read_repeatables(doc, {r.name for r in releases}, c)
    graph = ReleaseGraph(
        releases,
        depth,
        tuple(Equivalence(a, b, n) for a, b, n in _read_pairs(doc, "equivalent", c)),
        tuple(Resolution(a, b, n) for a, b, n in _read_pairs(doc, "commutes", c)),
        source=file,
        ordering=ordering,
        column_order=_read_column_order(doc, c),
        repeatables_with=repeatables[0],
        repeatables_note=repeatables[1],
    )
    return graph, c.problems


@dataclass(frozen=True)
class Elsewhere:
    """Migrations known outside the working tree: on another branch (the tagged trees of git's
    release tags) or in the database's history. ``content_ids`` maps each such version to its
    content id (None: unknown); ``releases_seen`` are the releases whose tagged tree git showed,
    so a version of one of them that git does not list does not exist."""

    content_ids: Mapping[Version, str | None] = field(default_factory=dict)
    releases_seen: frozenset[str] = frozenset()


def check_migrations(
    graph: ReleaseGraph, migrations: Sequence[Migration], elsewhere: Elsewhere | None = None
) -> list[ReleaseProblem]:
    """Problems between the graph and the resolved migrations, sorted by file then line.

    A versioned migration must belong to a release (see ``ReleaseGraph.owner``); every version named
    by ``[equivalent]`` or ``[commutes]`` must be a resolved migration or a migration known
    elsewhere (``known_elsewhere``): a fix cherry-picked from a maintenance branch names a file
    that only that branch holds.
    """
    file = graph.source or FILE_NAME
    problems: list[ReleaseProblem] = []
    versions = {m.version for m in migrations if m.version is not None and m.kind is not Kind.CALLBACK}
    local_owners = {graph.owner(v) for v in versions}
    for m in migrations:
        if m.version is None or m.kind not in (Kind.VERSIONED, Kind.BASELINE):
            continue
        if graph.owner(m.version, inclusive=m.kind is Kind.BASELINE) is None:
            line = line_key(m.version, graph.depth)
            problems.append(
                ReleaseProblem(
                    m.path or m.script,
                    None,
                    (
                        f"migration {m.version.text} belongs to no release: no declared release is a proper prefix "
                        f"of it and it does not sort after the last release of line {line}; declare its release"
                    ),
                )
            )
    pairs = [("equivalent", e.version, e.other, e.source_line) for e in graph.equivalents]
    pairs += [("commutes", r.version, r.other, r.source_line) for r in graph.resolutions]
    for table, left, right, line_no in pairs:
        missing = [
            v.text
            for v in (left, right)
            if v not in versions and not known_elsewhere(graph, v, local_owners, elsewhere)
        ]
        if missing:
            problems.append(
                ReleaseProblem(
                    file,
                    line_no,
                    (f"[{table}] {left.text} = {right.text}: no migration with version {' or '.join(missing)}"),
                )
            )
    return sorted(problems, key=lambda p: (p.file, p.line or 0, p.message))


def known_elsewhere(
    graph: ReleaseGraph, version: Version, local_owners: Collection[str | None], elsewhere: Elsewhere | None
) -> bool:
    """Whether a version that has no file here is a migration all the same: git or the history
    knows it; or it belongs to a declared release none of whose migrations is here (a release of
    another branch) and git, when it could read that release's tag, did not say otherwise."""
    if elsewhere is not None and version in elsewhere.content_ids:
        return True
    owner = graph.owner(version)
    if owner is None or graph.get(owner) is None:  # nowhere, or the unreleased head of a line: a typo
        return False
    if elsewhere is not None and owner in elsewhere.releases_seen:
        return False  # git shows that release's tree and the version is not in it
    return owner not in local_owners


def load_releases(
    path: Path, migrations: Sequence[Migration] = (), elsewhere: Callable[[ReleaseGraph], Elsewhere] | None = None
) -> ReleaseGraph:
    """Read, parse and validate a releases file against the migrations (and, through ``elsewhere``,
    the migrations known outside the working tree); raise ReleaseConfigError carrying every problem
    at once, none a consequence of another (``_independent``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        hint = (
            "this user cannot read the file or a folder above it: fix the permissions (chmod/chown)"
            if isinstance(err, PermissionError)
            else "releases.toml must be a readable UTF-8 text file"
        )
        raise ConfigError(
            f"cannot read {path}: {err.strerror if isinstance(err, OSError) else err}", hint=hint, file=str(path)
        ) from None
    graph, problems = parse_releases(text, str(path))
    known = elsewhere(graph) if elsewhere is not None and not problems else None
    raise_problems(problems + independent(problems, check_migrations(graph, migrations, known)), str(path))
    return graph
