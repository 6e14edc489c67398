"""Render a release graph as text, Mermaid or Graphviz dot, marking where a database stands. Pure."""

from __future__ import annotations

from collections.abc import Collection

from flywayx.model.release import ReleaseGraph


def _edges(graph: ReleaseGraph) -> list[tuple[str, str, str]]:
    """(parent, child, kind) with kind ``line``, ``from`` or ``merge``, sorted for stable output."""
    out = []
    for r in graph.releases:
        for p in r.parents:
            kind = "merge" if p in r.merges else ("from" if p == r.branch_from else "line")
            out.append((p, r.name, kind))
    return sorted(out, key=lambda e: (e[1], e[0]))


def render_text(graph: ReleaseGraph, current: Collection[str] = (), path: Collection[str] = ()) -> str:
    """One block per line; ``*`` marks the database's releases, ``>`` releases on the planned path."""
    lines = []
    for line in graph.lines:
        lines.append(f"line {line}")
        for r in sorted((r for r in graph.releases if r.line == line), key=lambda r: r.version):
            mark = "*" if r.name in current else (">" if r.name in path else " ")
            extra = []
            if r.branch_from:
                extra.append(f"from {r.branch_from}")
            if r.merges:
                extra.append(f"merges {', '.join(r.merges)}")
            suffix = f"  ({'; '.join(extra)})" if extra else ""
            lines.append(f"  {mark} {r.name}{suffix}")
    if current:
        lines.append("")
        lines.append(f"* database is at: {', '.join(sorted(current))}")
    return "\n".join(lines)


def _id(name: str) -> str:
    return "r_" + name.replace(".", "_").replace(" ", "_").replace("-", "_")


def render_mermaid(graph: ReleaseGraph, current: Collection[str] = (), path: Collection[str] = ()) -> str:
    out = ["graph LR"]
    for r in sorted(graph.releases, key=lambda r: r.version):
        out.append(f'  {_id(r.name)}["{r.name}"]')
    arrows = {"line": "-->", "from": "-.->|from|", "merge": "==>|merges|"}
    for parent, child, kind in _edges(graph):
        out.append(f"  {_id(parent)} {arrows[kind]} {_id(child)}")
    out.append("  classDef current fill:#2e7d32,color:#fff;")
    out.append("  classDef path fill:#fff3c4;")
    for name in sorted(current):
        out.append(f"  class {_id(name)} current;")
    for name in sorted(set(path) - set(current)):
        out.append(f"  class {_id(name)} path;")
    return "\n".join(out)


def render_dot(graph: ReleaseGraph, current: Collection[str] = (), path: Collection[str] = ()) -> str:
    out = ["digraph releases {", "  rankdir=LR;", '  node [shape=box, style="rounded,filled", fillcolor=white];']
    for line in graph.lines:
        out.append(f'  subgraph "cluster_{line}" {{ label="line {line}";')
        for r in sorted((r for r in graph.releases if r.line == line), key=lambda r: r.version):
            fill = "#a5d6a7" if r.name in current else ("#fff3c4" if r.name in path else "white")
            out.append(f'    "{r.name}" [fillcolor="{fill}"];')
        out.append("  }")
    styles = {"line": "", "from": ' [style=dashed, label="from"]', "merge": ' [style=bold, label="merges"]'}
    for parent, child, kind in _edges(graph):
        out.append(f'  "{parent}" -> "{child}"{styles[kind]};')
    out.append("}")
    return "\n".join(out)
