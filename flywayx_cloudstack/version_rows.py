"""The ``cloud.version`` rows an imported project writes, and the hierarchy it keeps for adoption.

CloudStack's management server reads the newest ``Complete`` row of ``cloud.version`` and upgrades
from the hierarchy node ``getPath`` starts at for it (acs-corpus.md §3.1-3.2). Every row flywayx
writes must leave CloudStack doing the right thing if flywayx stops right there: ``version_row_sql``
never writes a row older than a ``Complete`` one, and ``misread_rows`` names the releases whose row
would make CloudStack skip a step still to come. ``render_hierarchy`` keeps the checker's nodes in
the project so ``baseline --acs`` can place versions no release names (``adopt.adoption_start``).
Pure text generation.
"""

from __future__ import annotations

from collections.abc import Mapping

from flywayx_cloudstack.checker import Node, Step, start_node, version_key

HIERARCHY_FILE = "cloudstack-hierarchy.toml"  # the checker's nodes, for baseline --acs (adopt.py)


def _version_order(column: str) -> str:
    """SQL of a sortable text for a ``cloud.version`` value: its 4 numbers (3-part padded with 0, a
    ``-suffix`` cut, as ``CloudStackVersion.compareTo`` reads it), each 6 digits wide. No casts, so
    a strict ``sql_mode`` cannot turn an odd value into an error."""
    v = f"SUBSTRING_INDEX(TRIM({column}), '-', 1)"
    parts = [f"SUBSTRING_INDEX({v}, '.', 1)"]
    parts += [f"SUBSTRING_INDEX(SUBSTRING_INDEX({v}, '.', {k}), '.', -1)" for k in (2, 3)]
    parts.append(f"IF({v} LIKE '%.%.%.%', SUBSTRING_INDEX(SUBSTRING_INDEX({v}, '.', 4), '.', -1), '0')")
    return "CONCAT_WS('.', " + ", ".join(f"LPAD({p}, 6, '0')" for p in parts) + ")"


def version_row_sql(release: str) -> str:
    """Text of ``V<R>.4__cloudstack_version.sql``: the ``cloud.version`` row CloudStack writes per step.

    The management server takes the newest ``Complete`` row as the database's release and upgrades
    again when it is older than its code (acs-corpus.md §9); this step, last of its release, keeps
    that row in step with flywayx. It inserts only when the release has no row yet (an adopted
    database already holds the rows CloudStack wrote), so re-running it changes nothing, and only
    when no ``Complete`` row names a newer version: a release arriving late (4.19.2.0 after
    4.20.0.0) must not become the newest row, from which CloudStack would re-run steps already done.
    """
    key = ".".join(f"{p:06d}" for p in version_key(release))
    return (
        "-- Written by flywayx import acs. CloudStack's management server reads the newest 'Complete'\n"
        "-- row of cloud.version (VersionDaoImpl.getCurrentVersion); DatabaseUpgradeChecker writes one\n"
        "-- per step after its cleanup, as this does after the step's other migrations. A release that\n"
        "-- arrives after a newer one writes no row: CloudStack would upgrade again from it.\n"
        "INSERT INTO `cloud`.`version` (`version`, `updated`, `step`)\n"
        f"SELECT '{release}', now(), 'Complete' FROM DUAL\n"
        f"WHERE NOT EXISTS (SELECT 1 FROM `cloud`.`version` WHERE `version` = '{release}')\n"
        "AND NOT EXISTS (SELECT 1 FROM `cloud`.`version` AS newer WHERE newer.`step` = 'Complete'\n"
        f"    AND {_version_order('newer.`version`')} > '{key}');\n"
    )


def misread_rows(nodes: tuple[Node, ...], steps: Mapping[str, Step], path: list[tuple[Node, Step]]) -> dict[str, str]:
    """Releases whose ``cloud.version`` row would mislead CloudStack, with why.

    CloudStack upgrades a database at version V from ``start_node(V)`` and takes every step
    registered at a node not below it: the steps of lower nodes count as done. A step registered
    at a lower node whose target is newer than V (Upgrade442to450 at node 4.4.2, target 4.5.0,
    before 4.4.4) runs after V's step, so while V's row is the newest, CloudStack would skip it.
    Such a release writes no row; the row of that newer target follows soon after and is newer.
    """
    versions = [n.version for n in nodes if n.step in steps]
    on_path = [(n, s) for n, s in path]
    out: dict[str, str] = {}
    for _, step in on_path:
        start = start_node(versions, step.target)
        if start is None:
            continue
        skipped = [
            (n, s)
            for n, s in on_path
            if version_key(n.version) < version_key(start) and version_key(s.target) > version_key(step.target)
        ]
        if skipped:
            n, s = skipped[0]
            out[step.target] = (
                f"no cloud.version row: CloudStack reads a {step.target} database as starting at "
                f"node {start} and would skip {s.name} (node {n.version}, target {s.target}), "
                f"which runs after {step.name} on CloudStack's path"
            )
    return out


def render_hierarchy(nodes: tuple[Node, ...], steps: Mapping[str, Step]) -> str:
    """``cloudstack-hierarchy.toml``: every node of ``DatabaseUpgradeChecker`` in registration order
    and the tree's release, so ``baseline --acs`` can apply CloudStack's own rule to a ``cloud.version``
    that no release names (``checker.start_node``)."""
    latest = next((steps[n.step].target for n in reversed(nodes) if n.step in steps), None)
    lines = [
        "# Generated by `flywayx import acs`: DatabaseUpgradeChecker's hierarchy, in registration order.",
        "# `flywayx baseline --acs` starts where CloudStack's getPath starts for the database's version.",
        f'latest = "{latest or ""}"',
        "nodes = [",
    ]
    lines += [f'    ["{n.version}", "{n.step}"],' for n in nodes]
    return "\n".join([*lines, "]"]) + "\n"
