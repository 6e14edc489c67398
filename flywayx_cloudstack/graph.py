"""Rebuild CloudStack's release graph from the checker hierarchy, merge maintainers' overrides,
and render ``releases.toml``.

Lines have depth 2 (``4.5`` holds 4.5.0 … 4.5.3; ``4.9`` holds 4.9.0, 4.9.1.0 … 4.9.3.1), because
ACS changed from 3-part to 4-part versions inside the 4.9 line. For each release R a step
produces, the *sources* are the hierarchy nodes whose step targets R. If R's line already has an
earlier release among the sources, that is R's parent (implicit); otherwise R is the first release
of its line and ``from`` is its lowest source (4.6.0 from 4.5.3, 4.10.0.0 from 4.9.3.0). Any other
source is a release whose databases CloudStack upgrades straight to R, so R ``merges`` it (4.10.0.0
merges 4.9.3.1). Alias nodes with no step of their own (4.0.1, 4.16.1.1 …) become releases
without migrations on their line.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field

from flywayx_cloudstack.checker import Node, Step, version_key
from flywayx_cloudstack.issues import Issue

DEPTH = 2


@dataclass
class ReleaseSpec:
    """One release: its step (None for an alias), ``from`` and ``merges`` as written to TOML."""

    version: str
    step: Step | None = None
    node: str | None = None
    from_: str | None = None
    merges: list[str] = field(default_factory=list)
    note: str = ""


@dataclass
class Graph:
    releases: dict[str, ReleaseSpec]
    equivalent: dict[str, str] = field(default_factory=dict)
    commutes: dict[str, list[str]] = field(default_factory=dict)

    def ordered(self) -> list[ReleaseSpec]:
        return sorted(self.releases.values(), key=lambda r: version_key(r.version))


def line_of(version: str) -> tuple[int, ...]:
    return version_key(version)[:DEPTH]


def _line_predecessor(version: str, releases: list[str]) -> str | None:
    earlier = [r for r in releases if line_of(r) == line_of(version) and version_key(r) < version_key(version)]
    return max(earlier, key=version_key) if earlier else None


def _wire(spec: ReleaseSpec, sources: list[str], names: list[str], issues: list[Issue]) -> None:
    pred = _line_predecessor(spec.version, names)
    chosen = pred if pred in sources else min(sources, key=version_key)
    if chosen != pred:
        spec.from_ = chosen
        if pred is not None:
            issues.append(
                Issue(
                    "graph-branch-inside-line",
                    spec.version,
                    f"first step starts at {chosen}, not at line predecessor {pred}",
                )
            )
    rest = [s for s in sources if s != chosen]
    # keep only the newest of each line: a line's earlier releases are its ancestors anyway
    spec.merges = sorted(
        (
            s
            for s in rest
            if not any(line_of(o) == line_of(s) and version_key(o) > version_key(s) for o in rest)
            and not (line_of(s) == line_of(chosen) and version_key(s) < version_key(chosen))
        ),
        key=version_key,
    )


def build_graph(
    nodes: tuple[Node, ...], path: list[tuple[Node, Step]], steps: dict[str, Step], start: str
) -> tuple[Graph, list[Issue]]:
    """Releases from ``start`` on: one per node and per step target of ``path``."""
    begin = version_key(start)
    live = [n for n in nodes if version_key(n.version) >= begin and n.step in steps]
    releases = {start: ReleaseSpec(start, note="baseline")}
    for n in live:
        releases.setdefault(n.version, ReleaseSpec(n.version, note=f"alias node -> {n.step}"))
    for n, step in path:
        releases[step.target] = ReleaseSpec(step.target, step, n.version, note=f"{step.name} at node {n.version}")
    names = sorted(releases, key=version_key)
    issues: list[Issue] = []
    for spec in releases.values():
        if spec.step is None:
            continue
        sources = sorted({n.version for n in live if steps[n.step].target == spec.version}, key=version_key)
        _wire(spec, sources, names, issues)
    return Graph(releases), issues


def apply_overrides(graph: Graph, text: str, extra_steps: dict[str, Step]) -> list[Issue]:
    """Merge maintainers' overrides (releases.toml syntax) into ``graph``. A release the hierarchy
    lacks takes its migrations from an unregistered step class targeting it (``extra_steps``)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        return [Issue("overrides-syntax", "overrides", str(err), "error")]
    issues: list[Issue] = []
    for version, body in sorted(doc.get("release", {}).items(), key=lambda kv: version_key(kv[0])):
        spec = graph.releases.get(version)
        if spec is None:
            step = extra_steps.get(version)
            spec = graph.releases[version] = ReleaseSpec(version, step, note="from overrides")
            if step is not None:
                spec.note = f"{step.name} (unregistered; from overrides)"
        if "from" in body:
            spec.from_ = str(body["from"])
        spec.merges = sorted(set(spec.merges) | {str(m) for m in body.get("merges", [])}, key=version_key)
        for name in [spec.from_, *spec.merges]:
            if name is not None and name not in graph.releases and name not in doc.get("release", {}):
                issues.append(Issue("overrides-unknown-release", version, f"names unknown release {name}", "error"))
    graph.equivalent.update({str(k): str(v) for k, v in doc.get("equivalent", {}).items()})
    graph.commutes.update({str(k): [str(x) for x in v] for k, v in doc.get("commutes", {}).items()})
    return issues


def _q(items: list[str]) -> str:
    return "[" + ", ".join(f'"{x}"' for x in items) + "]"


def render_toml(graph: Graph, views_until: str | None = None) -> str:
    """``releases.toml`` text, releases in version order, deterministic. ``views_until``: the last
    release whose upgrade scripts create views (the deferral's note names what stopping later means)."""
    out = [
        "# Generated by `flywayx import acs` from DatabaseUpgradeChecker; overrides merged.",
        "[lines]",
        f"depth = {DEPTH}  # 4.5.x and 4.9.x(.y) are lines: ACS went 4-part inside 4.9",
        "",
    ]
    if graph.releases:
        own = max(graph.releases, key=version_key)
        out += [
            "[repeatables]",
            "# The R__ views are the source tree's. CloudStack re-creates its views only at the end of an",
            "# upgrade to its own version; an upgrade that stops at an earlier release (--to) defers them.",
            f'release = "{own}"',
        ]
        if views_until is not None and version_key(views_until) < version_key(own):
            out.append(
                f'note = "the upgrade scripts create views only up to {views_until}; later releases keep '
                f"theirs in views/, created at the end of an upgrade, so a database stopped after "
                f"{views_until} and before {own} may lack views or columns of the views/ of its own release "
                f'(this tree holds those of {own} only)"'
            )
        out.append("")
    for spec in graph.ordered():
        out.append(f'[release."{spec.version}"]' + (f"  # {spec.note}" if spec.note else ""))
        if spec.from_:
            out.append(f'from = "{spec.from_}"')
        if spec.merges:
            out.append(f"merges = {_q(spec.merges)}")
    if graph.equivalent:
        out += ["", "[equivalent]"]
        out += [f'"{k}" = "{v}"' for k, v in sorted(graph.equivalent.items(), key=lambda kv: version_key(kv[0]))]
    if graph.commutes:
        out += ["", "[commutes]"]
        out += [f'"{k}" = {_q(v)}' for k, v in sorted(graph.commutes.items())]
    return "\n".join(out) + "\n"
