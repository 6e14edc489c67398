"""Pure checks that list what is odd about a CloudStack corpus (acs-corpus.md §1.3, §3.2, §3.4)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from flywayx_cloudstack.checker import Node, Step, version_key
from flywayx_cloudstack.issues import Issue

_PAIR = re.compile(r"(\d+)to(\d+)")


def _digits(name: str) -> str | None:
    m = _PAIR.search(name.rsplit("/", 1)[-1])
    return f"{m.group(1)}to{m.group(2)}" if m else None


def out_of_order(path: list[tuple[Node, Step]]) -> list[Issue]:
    """Steps whose target is below a target already reached (the 4.4.4-after-4.5.0 artefact)."""
    issues: list[Issue] = []
    highest: str | None = None
    for node, step in path:
        if highest is not None and version_key(step.target) < version_key(highest):
            issues.append(
                Issue(
                    "out-of-order-step",
                    step.name,
                    f"node {node.version} runs {step.name} to {step.target} after {highest} "
                    "was reached; CloudStack records the version rows out of order",
                )
            )
        if highest is None or version_key(step.target) > version_key(highest):
            highest = step.target
    return issues


def repointed(nodes: Iterable[Node], steps: Mapping[str, Step]) -> list[Issue]:
    """Scripts whose name disagrees with the class, scripts shared by classes, alias nodes."""
    issues: list[Issue] = []
    users: dict[str, set[str]] = {}
    for node in nodes:
        step = steps.get(node.step)
        if step is None:
            continue
        for path in (*step.prepare, *step.cleanup):
            users.setdefault(path, set()).add(step.name)
        if step.version_range and version_key(node.version) != version_key(step.version_range[0]):
            issues.append(
                Issue(
                    "alias-node",
                    node.version,
                    f"node {node.version} runs {step.name} (range starts {step.version_range[0]})",
                    "info",
                )
            )
    seen: set[str] = set()
    for name in sorted({n.step for n in nodes if n.step in steps}):
        step = steps[name]
        for path in step.prepare:
            if _digits(path) not in (None, _digits(name)) and path not in seen:
                seen.add(path)
                issues.append(
                    Issue(
                        "repointed-script",
                        name,
                        f"{name} runs {path.rsplit('/', 1)[-1]}: name and step disagree",
                    )
                )
    for path, names in sorted(users.items()):
        if len(names) > 1:
            issues.append(
                Issue("shared-script", path.rsplit("/", 1)[-1], f"used by {', '.join(sorted(names))}", "info")
            )
    return issues


def file_usage(
    all_files: Iterable[str], registered: Mapping[str, Step], unregistered: Mapping[str, Step]
) -> list[Issue]:
    """Top-level scripts used only by unregistered classes (dead) or by no class (orphan)."""

    def used(steps: Mapping[str, Step]) -> set[str]:
        return {p for s in steps.values() for p in (*s.prepare, *s.cleanup, *s.java_scripts)}

    live, dead = used(registered), used(unregistered)
    issues: list[Issue] = []
    for path in sorted(all_files):
        if path in live:
            continue
        name = path.rsplit("/", 1)[-1]
        if path in dead:
            users = sorted(s.name for s in unregistered.values() if path in (*s.prepare, *s.cleanup, *s.java_scripts))
            issues.append(Issue("dead-file", name, f"used only by unregistered {', '.join(users)}"))
        else:
            issues.append(Issue("orphan-file", name, "no step class references it"))
    return issues


def _norm(statement: str) -> str:
    return re.sub(r"\s+", " ", statement).strip().lower()


def duplicated_sql(files: Mapping[str, tuple[str, ...]], minimum: int = 5) -> list[Issue]:
    """Pairs of files sharing at least ``minimum`` statements, or all of the smaller file."""
    norm = {f: {_norm(s) for s in stmts if s.strip()} for f, stmts in files.items()}
    names = sorted(norm)
    issues: list[Issue] = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            shared = len(norm[a] & norm[b])
            small = min(len(norm[a]), len(norm[b]))
            if shared and (shared >= minimum or shared == small):
                issues.append(
                    Issue(
                        "duplicated-sql",
                        f"{a} ~ {b}",
                        f"{shared} statements in common ({len(norm[a])} / {len(norm[b])})",
                        "info",
                    )
                )
    return issues
