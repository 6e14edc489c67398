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


_LEGEND = {
    "*": "where the database is: the latest release of its line whose migrations are all applied",
    ">": "on the path: the plan runs migrations of this release",
    "@": "the target (--to)",
    "from": "(from X): the first release of a line branches from release X",
    "merges": "(merges X): the release includes maintenance release X",
}


def render_text(
    graph: ReleaseGraph, current: Collection[str] = (), path: Collection[str] = (), target: str | None = None
) -> str:
    """One block per line, each release marked (``*`` where the database is, ``@`` the target,
    ``>`` a release the plan takes migrations from), then a legend of every symbol shown."""
    lines, used = [], []
    for line in graph.lines:
        lines.append(f"line {line}")
        for r in sorted((r for r in graph.releases if r.line == line), key=lambda r: r.version):
            mark = "*" if r.name in current else ("@" if r.name == target else (">" if r.name in path else " "))
            extra = []
            if r.branch_from:
                extra.append(f"from {r.branch_from}")
            if r.merges:
                extra.append(f"merges {', '.join(r.merges)}")
            used += [mark] + [e.split()[0] for e in extra]
            suffix = f"  ({'; '.join(extra)})" if extra else ""
            target_note = "  <- target, already reached" if r.name == target and r.name in current else ""
            lines.append(f"  {mark} {r.name}{suffix}{target_note}")
    lines += _legend(used, current, target)
    return "\n".join(lines)


def _legend(used: Collection[str], current: Collection[str], target: str | None) -> list[str]:
    """Where the database is, the target, and what each symbol shown means."""
    out = [""]
    if current:
        out.append(f"database is at: {', '.join(sorted(current))}")
    if target is not None:
        out.append(f"target: {target}")
    entries = [
        f"  {symbol}  {text}" if len(symbol) == 1 else f"  {text}" for symbol, text in _LEGEND.items() if symbol in used
    ]
    if entries:
        out += ["legend:", *entries]
    return out if len(out) > 1 else []


def _id(name: str) -> str:
    return "r_" + name.replace(".", "_").replace(" ", "_").replace("-", "_")


def render_mermaid(
    graph: ReleaseGraph, current: Collection[str] = (), path: Collection[str] = (), target: str | None = None
) -> str:
    out = ["graph LR"]
    for r in sorted(graph.releases, key=lambda r: r.version):
        out.append(f'  {_id(r.name)}["{r.name}"]')
    arrows = {"line": "-->", "from": "-.->|from|", "merge": "==>|merges|"}
    for parent, child, kind in _edges(graph):
        out.append(f"  {_id(parent)} {arrows[kind]} {_id(child)}")
    out.append("  classDef current fill:#2e7d32,color:#fff;")
    out.append("  classDef path fill:#fff3c4;")
    out.append("  classDef target fill:#fff3c4,stroke:#e65100,stroke-width:3px;")
    for name in sorted(current):
        out.append(f"  class {_id(name)} current;")
    for name in sorted(set(path) - set(current) - {target}):
        out.append(f"  class {_id(name)} path;")
    if target is not None and target not in current:
        out.append(f"  class {_id(target)} target;")
    return "\n".join(out)


def render_dot(
    graph: ReleaseGraph, current: Collection[str] = (), path: Collection[str] = (), target: str | None = None
) -> str:
    out = ["digraph releases {", "  rankdir=LR;", '  node [shape=box, style="rounded,filled", fillcolor=white];']
    for line in graph.lines:
        out.append(f'  subgraph "cluster_{line}" {{ label="line {line}";')
        for r in sorted((r for r in graph.releases if r.line == line), key=lambda r: r.version):
            fill = "#a5d6a7" if r.name in current else ("#fff3c4" if r.name in path or r.name == target else "white")
            border = ", penwidth=3" if r.name == target else ""
            out.append(f'    "{r.name}" [fillcolor="{fill}"{border}];')
        out.append("  }")
    styles = {"line": "", "from": ' [style=dashed, label="from"]', "merge": ' [style=bold, label="merges"]'}
    for parent, child, kind in _edges(graph):
        out.append(f'  "{parent}" -> "{child}"{styles[kind]};')
    out.append("}")
    return "\n".join(out)
