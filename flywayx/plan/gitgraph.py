"""The release graph as git sees it (pure): derived from tag ancestry and content ids, compared with
a declared ``releases.toml``, and the footprint conflicts that block freezing pending migrations.

Derivation. Each release tag is a release; the releases whose tagged commit is an ancestor of R's
are R's history, and the *nearest* of them (those no other one descends from) are R's parents.
In ``releases.toml`` terms: the previous release of R's line is implicit; a line's first release
takes ``from`` = the nearest release tag on its first-parent chain (the branch it grew on); every
other nearest parent not already in that base's history is a ``merges`` entry. A content id found
under two versions on different lines is a cherry-picked change: the later versions are written
``[equivalent]`` to the lowest one.

Comparison is by meaning, not by text: two files that give every release the same history agree
even if one writes ``from = "4.6.1"`` where the other writes ``from = "4.6.0"`` plus
``merges = ["4.6.1"]``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from flywayx.errors import Conflict
from flywayx.model.footprint import Footprint, shared_objects
from flywayx.model.release import Release, ReleaseGraph, line_key
from flywayx.model.version import Version


@dataclass(frozen=True)
class TaggedRelease:
    """A release tag and the migrations of its tree: version text -> content id (None: unknown)."""

    name: str
    commit: str
    migrations: Mapping[str, str | None] = field(default_factory=dict)

    @property
    def version(self) -> Version:
        return Version.parse(self.name)


@dataclass(frozen=True)
class DerivedRelease:
    name: str
    line: str
    branch_from: str | None = None
    merges: tuple[str, ...] = ()
    previous: str | None = None


@dataclass(frozen=True)
class Derived:
    """What git says: releases in version order, equivalences (version, same change), notes on
    anomalies found on the way (never fatal), and each release's full history (``history``)."""

    depth: int
    releases: tuple[DerivedRelease, ...]
    equivalents: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]
    history: Mapping[str, frozenset[str]]

    def graph(self) -> ReleaseGraph:
        """The same graph as ``parse_releases`` would build from ``render_toml(self)``."""
        out = []
        for r in self.releases:
            parents = tuple(dict.fromkeys(p for p in (r.previous, r.branch_from, *r.merges) if p))
            out.append(Release(r.name, Version.parse(r.name), r.line, parents, r.branch_from, r.merges))
        return ReleaseGraph(tuple(out), self.depth)


def _reach(tagged: Sequence[TaggedRelease], commits: Sequence[tuple[str, tuple[str, ...]]]) -> dict[str, int]:
    """Commit -> bit set of the releases (by index) tagged on it or on any of its ancestors."""
    own: dict[str, int] = {}
    for i, t in enumerate(tagged):
        own[t.commit] = own.get(t.commit, 0) | (1 << i)
    reach: dict[str, int] = {}
    for commit, parents in reversed(commits):  # parents before children
        bits = own.get(commit, 0)
        for p in parents:
            bits |= reach.get(p, 0)
        reach[commit] = bits
    return reach


def _names(bits: int, tagged: Sequence[TaggedRelease]) -> frozenset[str]:
    return frozenset(t.name for i, t in enumerate(tagged) if bits >> i & 1)


def _history(tagged: Sequence[TaggedRelease], reach: Mapping[str, int]) -> dict[str, frozenset[str]]:
    """Release -> releases its tagged commit descends from (same-commit tags of lower version count)."""
    out: dict[str, frozenset[str]] = {}
    for i, t in enumerate(tagged):
        bits = reach.get(t.commit, 0)
        same = {j for j, o in enumerate(tagged) if o.commit == t.commit and j >= i}
        out[t.name] = _names(bits & ~sum(1 << j for j in same), tagged)
    return out


def _nearest(names: frozenset[str], history: Mapping[str, frozenset[str]]) -> list[str]:
    return sorted((n for n in names if not any(n in history[o] for o in names if o != n)), key=Version.parse)


def _first_parent_tag(
    t: TaggedRelease, tagged: Sequence[TaggedRelease], parents: Mapping[str, tuple[str, ...]]
) -> str | None:
    """The highest release tagged on the first-parent chain below ``t`` (same commit: lower versions)."""
    at: dict[str, list[TaggedRelease]] = {}
    for o in tagged:
        at.setdefault(o.commit, []).append(o)
    lower = [o for o in at.get(t.commit, []) if o.version < t.version]
    if lower:
        return max(lower, key=lambda o: o.version).name
    commit = (parents.get(t.commit) or (None,))[0]
    while commit is not None:
        if commit in at:
            return max(at[commit], key=lambda o: o.version).name
        commit = (parents.get(commit) or (None,))[0]
    return None


def derive(tagged: Sequence[TaggedRelease], commits: Sequence[tuple[str, tuple[str, ...]]], depth: int = 2) -> Derived:
    """Derive the release graph from tags, commit ancestry (children first, as ``git rev-list
    --topo-order --parents`` prints it) and the content ids of each tag's migrations."""
    tagged = sorted(tagged, key=lambda t: t.version)
    history = _history(tagged, _reach(tagged, commits))
    parents = dict(commits)
    notes: list[str] = []
    previous: dict[str, str] = {}
    out: list[DerivedRelease] = []
    for t in tagged:
        line = line_key(t.version, depth)
        later = sorted((h for h in history[t.name] if Version.parse(h) > t.version), key=Version.parse)
        for h in later:
            notes.append(f"tag {t.name} descends from the higher release {h}; ignored as its parent")
        mine = history[t.name] - set(later)
        prev = previous.get(line)
        base = prev if prev is not None else _branch_point(t, tagged, parents, mine, history, line, depth)
        if prev is not None and prev not in mine:
            notes.append(f"tag {t.name} does not descend from {prev}, the previous release of line {line}")
        if base is None and out:
            notes.append(
                f"tag {t.name} is the first of line {line} but descends from no release tag; "
                "releases.toml needs its `from`"
            )
        covered = (history[base] | {base}) if base is not None else frozenset()
        merges = tuple(p for p in _nearest(mine, history) if p not in covered)
        out.append(DerivedRelease(t.name, line, base if prev is None else None, merges, prev))
        previous[line] = t.name
    equivalents = _equivalents(tagged, depth)
    return Derived(depth, tuple(out), equivalents, tuple(notes), history)


def _branch_point(
    t: TaggedRelease,
    tagged: Sequence[TaggedRelease],
    parents: Mapping[str, tuple[str, ...]],
    mine: frozenset[str],
    history: Mapping[str, frozenset[str]],
    line: str,
    depth: int,
) -> str | None:
    """The first-parent chain's nearest release of another line, else the highest nearest parent."""
    fp = _first_parent_tag(t, tagged, parents)
    if fp is not None and fp in mine and line_key(Version.parse(fp), depth) != line:
        return fp
    nearest = _nearest(mine, history)
    return nearest[-1] if nearest else None


def _equivalents(tagged: Sequence[TaggedRelease], depth: int) -> tuple[tuple[str, str], ...]:
    by_id: dict[str, set[str]] = {}
    for t in tagged:
        for version, cid in t.migrations.items():
            if cid is not None:
                by_id.setdefault(cid, set()).add(version)
    pairs: list[tuple[str, str]] = []
    for versions in by_id.values():
        ordered = sorted(versions, key=Version.parse)
        first = ordered[0]
        home = line_key(Version.parse(first), depth)
        pairs.extend((v, first) for v in ordered[1:] if line_key(Version.parse(v), depth) != home)
    return tuple(sorted(pairs, key=lambda p: Version.parse(p[0])))


# --- releases.toml text ---------------------------------------------------------------------------


def _quote(names: Sequence[str]) -> str:
    return "[" + ", ".join(f'"{n}"' for n in names) + "]"


def render_release_table(name: str, branch_from: str | None = None, merges: Sequence[str] = ()) -> str:
    """One ``[release."X"]`` table as ``parse_releases`` reads it."""
    lines = [f'[release."{name}"]']
    if branch_from is not None:
        lines.append(f'from = "{branch_from}"')
    if merges:
        lines.append(f"merges = {_quote(merges)}")
    return "\n".join(lines) + "\n"


def render_toml(derived: Derived, commutes: Mapping[str, Sequence[str]] | None = None, header: str = "") -> str:
    """``releases.toml`` text for a derived graph; ``commutes`` (declared by people, never derived)
    is carried over as given."""
    parts = [header] if header else []
    parts.append(f"[lines]\ndepth = {derived.depth}\n")
    parts += [render_release_table(r.name, r.branch_from, r.merges) for r in derived.releases]
    if derived.equivalents:
        parts.append("[equivalent]\n" + "".join(f'"{a}" = "{b}"\n' for a, b in derived.equivalents))
    if commutes:
        body = "".join(f'"{k}" = {_quote(v)}\n' for k, v in sorted(commutes.items(), key=lambda i: Version.parse(i[0])))
        parts.append("[commutes]\n" + body)
    return "\n".join(parts)


# --- check ----------------------------------------------------------------------------------------


def closures(graph: ReleaseGraph) -> dict[str, frozenset[str]]:
    """Release -> every release it includes (itself excluded), following previous/from/merges."""
    parents = {r.name: r.parents for r in graph.releases}
    out: dict[str, frozenset[str]] = {}
    for root in parents:
        seen: set[str] = set()
        stack = list(parents[root])
        while stack:
            n = stack.pop()
            if n not in seen and n in parents:
                seen.add(n)
                stack.extend(parents[n])
        out[root] = frozenset(seen - {root})
    return out


def _top(names: set[str], hist: Mapping[str, frozenset[str]]) -> list[str]:
    """The names no other one includes: the releases to mention (the rest come with them)."""
    return sorted((n for n in names if not any(n in hist.get(o, ()) for o in names if o != n)), key=Version.parse)


def compare(declared: ReleaseGraph, derived: Derived) -> list[str]:
    """Every difference between a declared graph and git's, one sentence each, in a stable order.

    Releases declared but not tagged and tagged but not declared; the line depth; for each release,
    the releases it includes by one account but not the other (a difference already reported for
    one of its parents is not repeated); equivalences present on one side only.
    """
    out: list[str] = []
    if declared.depth != derived.depth:
        out.append(f"[lines] depth is {declared.depth} in releases.toml but {derived.depth} was used for git")
    mine, git_hist = closures(declared), dict(derived.history)
    for name in sorted(set(mine) - set(git_hist), key=Version.parse):
        out.append(f"release {name} is declared but no tag names it")
    for name in sorted(set(git_hist) - set(mine), key=Version.parse):
        out.append(f"tag {name} is a release that releases.toml does not declare")
    both = sorted(set(mine) & set(git_hist), key=Version.parse)
    reported: dict[str, tuple[set[str], set[str]]] = {}
    for name in both:
        lost = {n for n in mine[name] - git_hist[name] if n in git_hist}
        extra = {n for n in git_hist[name] - mine[name] if n in mine}
        reported[name] = (lost, extra)
        parent_lost = set().union(*(reported.get(p, (set(), set()))[0] for p in mine[name]))
        parent_extra = set().union(*(reported.get(p, (set(), set()))[1] for p in git_hist[name]))
        for n in _top(lost - parent_lost, git_hist):
            out.append(
                f"releases.toml says {name} includes {n}, but tag {name} does not contain tag {n} "
                f"(merge {n} into the {declared_line(declared, name)} line, or drop it from releases.toml)"
            )
        for n in _top(extra - parent_extra, git_hist):
            out.append(
                f"tag {name} contains tag {n}, but releases.toml does not say {name} includes {n} "
                f'(add merges = ["{n}"] or the right `from` to [release."{name}"])'
            )
    out += _compare_equivalents(declared, derived)
    return out


def declared_line(graph: ReleaseGraph, name: str) -> str:
    r = graph.get(name)
    return r.line if r is not None else name


def _compare_equivalents(declared: ReleaseGraph, derived: Derived) -> list[str]:
    have = {frozenset((e.version.text, e.other.text)) for e in declared.equivalents}
    want = {frozenset(p): p for p in derived.equivalents}
    out = [
        f'[equivalent] "{a}" = "{b}" is missing: the two migrations have the same content id'
        for key, (a, b) in sorted(want.items(), key=lambda i: Version.parse(i[1][0]))
        if key not in have
    ]
    for e in declared.equivalents:
        if frozenset((e.version.text, e.other.text)) not in want:
            out.append(
                f'[equivalent] "{e.version.text}" = "{e.other.text}" is not a cherry-pick git can see '
                "(different content ids); keep it only if the rewrite is deliberate"
            )
    return out


def forgotten_fixes(derived: Derived, tagged: Sequence[TaggedRelease], graph: ReleaseGraph) -> list[str]:
    """Maintenance fixes a newer line never received, decided by ancestry and content alone.

    For each line, its newest release R: every release M of an older line that R's line grew from
    (a line of R's history) whose own migrations R neither descends from nor carries (by version
    or content id) is a forgotten fix -- a database at M cannot upgrade to any release of R's line.
    A release of the newer line that lacks M while a later one of its line has it is no problem,
    whatever the tag dates say (tags made by a script share a second; clocks disagree).

    ``graph`` (usually ``derived.graph()``) decides which release owns a migration. A fix is
    reported once: not again for a line grown from a newest release that already lacks it.
    """
    by_name = {t.name: t for t in tagged}
    newest = _newest_of_lines(derived.releases)
    lacking: dict[str, set[str]] = {}
    out: list[str] = []
    for r in sorted(newest, key=lambda r: (len(derived.history[r.name]), Version.parse(r.name))):
        hist = derived.history[r.name]
        grew_from = {x.line for x in derived.releases if x.name in hist}
        lacking[r.name] = set()
        for m in derived.releases:
            if m.name in hist or m.line not in grew_from or Version.parse(m.line) >= Version.parse(r.line):
                continue
            missing = _missing(by_name[m.name], by_name[r.name], graph)
            if missing:
                lacking[r.name].add(m.name)
                if not any(m.name in lacking.get(h, ()) for h in hist):
                    out.append(
                        f"release {r.name} lacks {', '.join(missing)} of {m.name}: neither merged nor "
                        f"cherry-picked into line {r.line}"
                    )
    return out


def _newest_of_lines(releases: Sequence[DerivedRelease]) -> list[DerivedRelease]:
    newest: dict[str, DerivedRelease] = {}
    for r in releases:
        if r.line not in newest or Version.parse(newest[r.line].name) < Version.parse(r.name):
            newest[r.line] = r
    return list(newest.values())


def _missing(m: TaggedRelease, r: TaggedRelease, graph: ReleaseGraph) -> list[str]:
    ids = {c for c in r.migrations.values() if c is not None}
    own = [v for v in m.migrations if graph.owner(Version.parse(v)) == m.name]
    return sorted((v for v in own if v not in r.migrations and m.migrations[v] not in ids), key=Version.parse)


# --- pending migrations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingChange:
    """A pending migration: its version, the commit that added it (None: not committed), footprint."""

    version: str
    commit: str | None
    footprint: Footprint


def parallel_conflicts(pending: Sequence[PendingChange], is_ancestor: Callable[[str, str], bool]) -> list[Conflict]:
    """Pairs of pending migrations added on parallel branches (neither adding commit an ancestor of
    the other) that touch the same objects: their authors never saw each other's change."""
    out: list[Conflict] = []
    ordered = sorted(pending, key=lambda p: Version.parse(p.version))
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if a.commit is None or b.commit is None or a.commit == b.commit:
                continue
            if is_ancestor(a.commit, b.commit) or is_ancestor(b.commit, a.commit):
                continue
            objects = shared_objects(a.footprint, b.footprint)
            if objects:
                out.append(Conflict(b.version, a.version, objects))
    return out


def cut_conflicts(pending: Sequence[tuple[str, Footprint]], merged: Sequence[tuple[str, Footprint]]) -> list[Conflict]:
    """Pending migrations that touch an object a merged maintenance migration also touches."""
    out: list[Conflict] = []
    for version, fp in sorted(pending, key=lambda p: Version.parse(p[0])):
        for other, ofp in sorted(merged, key=lambda p: Version.parse(p[0])):
            objects = shared_objects(fp, ofp)
            if objects:
                out.append(Conflict(version, other, objects))
    return out


def ancestry_order(
    pending: Sequence[tuple[str, str | None]], commits: Sequence[tuple[str, tuple[str, ...]]]
) -> list[str]:
    """Pending versions ordered so that a migration added by an ancestor of the commit that added
    another comes first (``pending``: version, adding commit or None when not committed;
    ``commits``: children first, as ``git rev-list --topo-order --parents`` prints them).

    Changes that git cannot order (parallel branches, uncommitted files, which come after every
    committed one) keep version order, i.e. the order of their stamps.
    """
    marks = sorted({c for _, c in pending if c is not None})
    tagged = [TaggedRelease(c, c) for c in marks]
    reach = _reach(tagged, commits)
    below = {c: reach.get(c, 0) & ~(1 << i) for i, c in enumerate(marks)}  # marks strictly below c
    index = {c: i for i, c in enumerate(marks)}

    def before(a: str | None, b: str | None) -> bool:
        if a is None or b is None or a == b:
            return a is not None and b is None
        return bool(below[b] >> index[a] & 1)

    todo = sorted(pending, key=lambda p: Version.parse(p[0]))
    out: list[str] = []
    while todo:
        nxt = next(p for p in todo if not any(before(o[1], p[1]) for o in todo if o is not p))
        todo.remove(nxt)
        out.append(nxt[0])
    return out
