"""The ``DatabaseUpgradeChecker`` hierarchy and CloudStack's path rule, as pure functions.

``parse_hierarchy`` reads the ordered ``.next("<version>", new <Class>())`` registrations.
``resolve_step`` fills in what a class inherits (superclass chain, then the interface default).
``upgrade_path`` re-implements ``DatabaseVersionHierarchy.getPath`` (acs-corpus.md §3.2): start at
the latest node not above ``start``, take every node below the target in list order, and drop a
step whose target was already produced.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from flywayx_cloudstack.issues import Issue
from flywayx_cloudstack.java import DefaultRule, Scripts, StepClass, strip_comments

_NEXT = re.compile(r'\.next\(\s*"([^"]+)"\s*,\s*new\s+(\w+)\s*\(\s*\)\s*\)')
_BASES = frozenset({"DbUpgradeAbstractImpl", "LegacyDbUpgrade", "Object"})


@dataclass(frozen=True)
class Node:
    """One registration: at database version ``version``, run step class ``step``."""

    version: str
    step: str


@dataclass(frozen=True)
class Step:
    """A step class with everything inherited resolved. ``migration_owner`` names the class whose
    ``performDataMigration`` runs (None when it is empty everywhere in the chain)."""

    name: str
    version_range: tuple[str, ...]
    target: str
    prepare: tuple[str, ...]
    cleanup: tuple[str, ...]
    migration_owner: str | None
    migration_calls: tuple[str, ...]
    java_scripts: tuple[str, ...]
    system_vm_template: bool
    refresh_pool: bool
    prepare_by_default: bool = False
    cleanup_by_default: bool = False


def version_key(version: str) -> tuple[int, ...]:
    """``CloudStackVersion`` order: numeric parts, a ``-suffix`` ignored, 3 parts padded to 4."""
    nums = [int(p) for p in re.split(r"[.]", version.split("-")[0]) if p.isdigit()]
    return tuple(nums + [0] * (4 - len(nums)))


def parse_hierarchy(text: str) -> tuple[tuple[Node, ...], list[Issue]]:
    """Registrations in list order; an issue when none is found."""
    nodes = tuple(Node(v, c) for v, c in _NEXT.findall(strip_comments(text)))
    issues = (
        []
        if nodes
        else [
            Issue(
                "checker-empty",
                "DatabaseUpgradeChecker",
                "no .next(version, step) registrations found",
                "error",
            )
        ]
    )
    return nodes, issues


def _chain(classes: Mapping[str, StepClass], name: str) -> list[StepClass]:
    chain: list[StepClass] = []
    cur: str | None = name
    while cur is not None and cur in classes and cur not in {c.name for c in chain}:
        chain.append(classes[cur])
        cur = classes[cur].superclass
    return chain


def _first(chain: list[StepClass], attr: str) -> object:
    for cls in chain:
        value = getattr(cls, attr)
        if value is not None and value != Scripts("inherit"):
            return value
    return None


def _scripts(
    sc: object,
    rule: DefaultRule,
    template: str | None,
    rng: tuple[str, ...],
    subject: str,
    issues: list[Issue],
) -> tuple[tuple[str, ...], bool]:
    if isinstance(sc, Scripts) and sc.mode == "explicit":
        return sc.paths, False
    if isinstance(sc, Scripts) and sc.mode == "none":
        return (), False
    path = rule.apply(template, rng)
    if path is None:
        issues.append(Issue("java-no-script-rule", subject, "no getter and no interface default", "error"))
        return (), False
    return (path,), True


def resolve_step(classes: Mapping[str, StepClass], name: str, rule: DefaultRule) -> tuple[Step | None, list[Issue]]:
    """Resolve ``name`` through its superclass chain; None (with an error) if it cannot be."""
    chain = _chain(classes, name)
    if not chain:
        return None, [Issue("java-missing-class", name, "class registered but no source found", "error")]
    rng, target = _first(chain, "version_range"), _first(chain, "target")
    if not isinstance(rng, tuple) or not isinstance(target, str):
        return None, [Issue("java-no-version", name, "no version range or target version", "error")]
    issues: list[Issue] = []
    prep, prep_def = _scripts(_first(chain, "prepare"), rule, rule.prepare, rng, name, issues)
    clean, clean_def = _scripts(_first(chain, "cleanup"), rule, rule.cleanup, rng, name, issues)
    owner = next((c for c in chain if c.migration_calls is not None), None)
    ifaces = {i for c in chain for i in c.interfaces}
    refresh = _first(chain, "refresh_pool")
    step = Step(
        name=name,
        version_range=rng,
        target=target,
        prepare=prep,
        cleanup=clean,
        migration_owner=owner.name if owner and owner.migration_calls else None,
        migration_calls=owner.migration_calls or () if owner else (),
        java_scripts=tuple(dict.fromkeys(p for c in chain for p in c.java_scripts)),
        system_vm_template="DbUpgradeSystemVmTemplate" in ifaces,
        refresh_pool=refresh is True,
        prepare_by_default=prep_def,
        cleanup_by_default=clean_def,
    )
    return step, issues


def version_parts(version: str) -> tuple[int, ...] | None:
    """``CloudStackVersion.parse``: 3 or 4 numeric parts after a ``-suffix`` is cut; None otherwise.
    Unpadded, because ``CloudStackVersion.equals`` compares them unpadded (4.9.0.0 is not 4.9.0)."""
    text = version.strip().split("-")[0]
    if not re.fullmatch(r"\d+\.\d+\.\d+(\.\d+)?", text):
        return None
    return tuple(int(p) for p in text.split("."))


def start_node(versions: list[str], db_version: str) -> str | None:
    """The hierarchy node CloudStack's ``getPath`` starts from for ``db_version``: the node equal to
    it (``contains``, unpadded equality), else the last registered node strictly below it
    (``getRecentVersion``, padded comparison); None when no node is below it."""
    wanted = version_parts(db_version)
    if wanted is None:
        return None
    if any(version_parts(v) == wanted for v in versions):
        return next(v for v in versions if version_parts(v) == wanted)
    below = [v for v in versions if version_key(v) < version_key(db_version)]
    return below[-1] if below else None


def upgrade_path(
    nodes: tuple[Node, ...], steps: Mapping[str, Step], start: str, to: str | None = None
) -> list[tuple[Node, Step]]:
    """The steps CloudStack runs from database version ``start`` (``getPath``); ``to`` defaults
    to the last node's target. A version that is no node starts at ``start_node``'s."""
    known = [n for n in nodes if n.step in steps]
    if not known:
        return []
    end = version_key(to or steps[known[-1].step].target)
    if version_key(start) >= min(end, version_key(steps[known[-1].step].target)):
        return []  # at or past the target (or the latest version): CloudStack upgrades nothing
    node = start_node([n.version for n in known], start)
    begin = version_key(node if node is not None else start)
    path: list[tuple[Node, Step]] = []
    produced: set[tuple[int, ...]] = set()
    for n in known:
        step = steps[n.step]
        if begin <= version_key(n.version) < end and version_key(step.target) not in produced:
            produced.add(version_key(step.target))
            path.append((n, step))
    return path
