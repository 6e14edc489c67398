"""Random release-line projects for the model test, and the model's own reading of a project on disk.

A project has 2–4 lines (``1.0`` … ``1.3``), 1–3 releases per line, each later line branching from
a release of an earlier one, releases merging maintenance releases of other lines, and migrations
of four kinds, each with one *effect* that the model can see in a database:

- ``table``: ``CREATE TABLE tab_N (id INT)`` — the table exists;
- ``fix``: ``ALTER TABLE tab_M ADD COLUMN col_N INT`` — the column exists with that type;
- ``row``: ``INSERT INTO tab_M (id) VALUES (N)`` — the row exists, once;
- an ``[equivalent]`` of a fix on another line: the same column added with other text
  (``ALTER TABLE tab_M ADD col_N INT``), declared equivalent;
- a cherry-pick: a fix copied byte for byte into another line under a new version (identical content);
- a conflicting fix: another line adds the same column name with another type, undeclared;

and, in half the projects, a repeatable migration (``R__model_view.sql``, a view: no effect the model counts,
but ``validate`` and ``info`` must account for it, e.g. after ``baseline --release``).

``read_project`` reads the files back (releases.toml with ``tomllib``, effects with regular
expressions), independently of flywayx's planner: releases, closures, and each migration's effect.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

Effect = tuple[str, ...]  # ("table", t) | ("column", t, c, type) | ("row", t, id)

_CREATE = re.compile(r"^CREATE TABLE (\w+) \(id INT\);$")
_ADD = re.compile(r"^ALTER TABLE (\w+) ADD (?:COLUMN )?(\w+) (INT|VARCHAR\(5\));$")
_INSERT = re.compile(r"^INSERT INTO (\w+) \(id\) VALUES \((\d+)\);$")
_NAME = re.compile(r"^V(\d+(?:\.\d+)*)__\w+\.sql$")


def effect_of(sql: str) -> Effect:
    """The effect of a migration's one statement (the forms the generator writes)."""
    text = sql.strip()
    if m := _CREATE.match(text):
        return ("table", m.group(1))
    if m := _ADD.match(text):
        return ("column", m.group(1), m.group(2), "VARCHAR" if m.group(3).startswith("VARCHAR") else "INT")
    if m := _INSERT.match(text):
        return ("row", m.group(1), m.group(2))
    raise AssertionError(f"not a model statement: {text!r}")


def vkey(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


@dataclass
class Release:
    name: str
    line: str
    parents: list[str] = field(default_factory=list)


@dataclass
class Model:
    """A project as the model reads it from disk."""

    releases: dict[str, Release]
    migrations: dict[str, Effect]  # version -> effect
    files: dict[str, str]  # version -> file name
    equivalents: list[tuple[str, str]]

    def owner(self, version: str) -> str | None:
        """The declared release that is the longest proper prefix; else the line's head."""
        parts = version.split(".")
        for n in range(len(parts) - 1, 0, -1):
            if ".".join(parts[:n]) in self.releases:
                return ".".join(parts[:n])
        line = ".".join(parts[:2])
        last = [r for r in self.releases.values() if r.line == line]
        return f"{line}.next" if last else None

    def closure(self, name: str) -> set[str]:
        out, todo = set(), [name]
        while todo:
            r = todo.pop()
            if r in out:
                continue
            out.add(r)
            if r.endswith(".next"):
                line = r.removesuffix(".next")
                todo += [max((x for x in self.releases.values() if x.line == line), key=lambda x: vkey(x.name)).name]
            elif r in self.releases:
                todo += self.releases[r].parents
        return out

    def closure_versions(self, name: str) -> list[str]:
        scope = self.closure(name)
        return sorted((v for v in self.migrations if self.owner(v) in scope), key=vkey)

    def pending_lines(self) -> list[str]:
        return sorted({self.owner(v) or "" for v in self.migrations if (self.owner(v) or "").endswith(".next")})


def read_project(loc: Path) -> Model:
    data = tomllib.loads((loc / "releases.toml").read_text(encoding="utf-8"))
    releases: dict[str, Release] = {}
    names = sorted(data.get("release", {}), key=vkey)
    for name in names:
        line = ".".join(name.split(".")[:2])
        table = data["release"][name]
        previous = [
            r for r in names if r.startswith(line + ".") and vkey(r) < vkey(name) and r.count(".") == name.count(".")
        ]
        parents = [max(previous, key=vkey)] if previous else []
        parents += [table["from"]] if "from" in table else []
        parents += list(table.get("merges", []))
        releases[name] = Release(name, line, parents)
    migrations, files = {}, {}
    for path in loc.glob("V*.sql"):
        m = _NAME.match(path.name)
        assert m, path.name
        migrations[m.group(1)] = effect_of(path.read_text(encoding="utf-8"))
        files[m.group(1)] = path.name
    equivalents = [(a, b) for a, b in data.get("equivalent", {}).items()]
    return Model(releases, migrations, files, equivalents)


# ------------------------------------------------------------------------------------------ generation


@dataclass
class Project:
    toml: str
    files: dict[str, str]  # file name -> SQL

    def write(self, loc: Path) -> None:
        loc.mkdir(parents=True, exist_ok=True)
        (loc / "releases.toml").write_text(self.toml, encoding="utf-8")
        for name, sql in self.files.items():
            (loc / name).write_text(sql, encoding="utf-8")


@st.composite
def projects(draw: st.DrawFn) -> Project:
    n_lines = draw(st.integers(2, 4))
    rels: list[tuple[str, str | None, list[str]]] = []  # name, from, merges
    for k in range(n_lines):
        count = draw(st.integers(1, 3))
        branch = None if k == 0 else draw(st.sampled_from([r[0] for r in rels]))
        for r in range(count):
            rels.append((f"1.{k}.{r}", branch if r == 0 else None, []))
    graph = _Graph(rels)
    for i, (name, _, merges) in enumerate(rels):  # a release may merge a maintenance release of another line
        if name.endswith(".0"):
            continue
        options = [o for o, _, _ in rels[:i] if _line(o) != _line(name) and o not in graph.closure(name)]
        if not options:
            continue
        if draw(st.booleans()):
            merges.append(draw(st.sampled_from(options)))
    files = _migrations(draw, rels, graph)
    if draw(st.booleans()):  # a repeatable migration (a view): belongs to no release, runs with every migrate
        files.sql["R__model_view.sql"] = "DROP VIEW IF EXISTS v_model;\nCREATE VIEW v_model AS SELECT 1 AS one;\n"
    return Project(_toml(rels, files.equivalents), files.sql)


def _line(name: str) -> str:
    return ".".join(name.split(".")[:2])


class _Graph:
    def __init__(self, rels: list[tuple[str, str | None, list[str]]]) -> None:
        self.rels = rels

    def parents(self, name: str) -> list[str]:
        line = _line(name)
        index = [r[0] for r in self.rels].index(name)
        prev = [r[0] for r in self.rels[:index] if _line(r[0]) == line]
        entry = self.rels[index]
        return prev[-1:] + ([entry[1]] if entry[1] else []) + entry[2]

    def closure(self, name: str) -> set[str]:
        out, todo = set(), [name]
        while todo:
            r = todo.pop()
            if r not in out:
                out.add(r)
                todo += self.parents(r)
        return out


@dataclass
class _Files:
    sql: dict[str, str] = field(default_factory=dict)
    equivalents: list[tuple[str, str]] = field(default_factory=list)


def _migrations(draw: st.DrawFn, rels: list[tuple[str, str | None, list[str]]], graph: _Graph) -> _Files:
    out = _Files()
    tables: dict[str, list[str]] = {}  # release -> tables it creates
    fixes: list[tuple[str, str, str, str]] = []  # release, version, table, column
    uid = iter(range(1, 10_000))
    for name, _, _ in rels:
        tables[name] = []
        ancestors = [t for r in graph.closure(name) - {name} for t in tables[r]]
        for i in range(1, draw(st.integers(1, 2)) + 1):
            version, n = f"{name}.{i}", next(uid)
            kind = draw(st.sampled_from(["table", "fix", "row"])) if ancestors else "table"
            if kind == "table":
                out.sql[f"V{version}__table_{n}.sql"] = f"CREATE TABLE tab_{n} (id INT);\n"
                tables[name].append(f"tab_{n}")
            elif kind == "fix":
                table = draw(st.sampled_from(sorted(ancestors)))
                out.sql[f"V{version}__fix_{n}.sql"] = f"ALTER TABLE {table} ADD COLUMN col_{n} INT;\n"
                fixes.append((name, version, table, f"col_{n}"))
            else:
                out.sql[f"V{version}__row_{n}.sql"] = (
                    f"INSERT INTO {draw(st.sampled_from(sorted(ancestors)))} (id) VALUES ({n});\n"
                )
    _related(draw, rels, graph, tables, fixes, out)
    return out


def _related(
    draw: st.DrawFn,
    rels: list[tuple[str, str | None, list[str]]],
    graph: _Graph,
    tables: dict[str, list[str]],
    fixes: list[tuple[str, str, str, str]],
    out: _Files,
) -> None:
    """Equivalents, cherry-picks and conflicting fixes: a fix seen again on a line that lacks it."""
    for release, version, table, column in fixes:
        homes = [
            r
            for r, _, _ in rels
            if release not in graph.closure(r) and r != release and any(table in tables[a] for a in graph.closure(r))
        ]
        if not homes or not draw(st.booleans()):
            continue
        home = draw(st.sampled_from(homes))
        used = {f.split("__")[0] for f in out.sql}
        slot = next(f"{home}.{n}" for n in range(9, 2, -1) if f"V{home}.{n}" not in used)
        kind = draw(st.sampled_from(["equivalent", "cherry-pick", "conflict"]))
        if kind == "conflict" and any(release in graph.closure(r) and home in graph.closure(r) for r, _, _ in rels):
            kind = "equivalent"  # no release ships both sides of a conflict
        if kind == "equivalent":
            out.sql[f"V{slot}__same_{column}.sql"] = f"ALTER TABLE {table} ADD {column} INT;\n"
            out.equivalents.append((slot, version) if vkey(slot) > vkey(version) else (version, slot))
        elif kind == "cherry-pick":
            out.sql[f"V{slot}__pick_{column}.sql"] = f"ALTER TABLE {table} ADD COLUMN {column} INT;\n"
        else:
            out.sql[f"V{slot}__other_{column}.sql"] = f"ALTER TABLE {table} ADD COLUMN {column} VARCHAR(5);\n"


def _toml(rels: list[tuple[str, str | None, list[str]]], equivalents: list[tuple[str, str]]) -> str:
    lines = ["[lines]", "depth = 2"]
    for name, branch, merges in rels:
        lines.append(f'[release."{name}"]')
        if branch:
            lines.append(f'from = "{branch}"')
        if merges:
            lines.append("merges = [" + ", ".join(f'"{m}"' for m in merges) + "]")
    if equivalents:
        lines.append("[equivalent]")
        lines += [f'"{a}" = "{b}"' for a, b in equivalents]
    return "\n".join(lines) + "\n"
