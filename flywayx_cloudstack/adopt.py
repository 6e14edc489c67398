"""Pick an existing CloudStack database's release from its ``cloud.version`` rows (pure).

CloudStack's rule (``VersionDaoImpl.getCurrentVersion``, acs-corpus.md §3.1): the current version
is the ``version`` of the row with the highest ``id`` whose ``step`` is ``Complete``. A table with
rows but none ``Complete`` means an upgrade was never completed. flywayx also refuses when the
newest row is an unfinished ``Upgrade`` step, because CloudStack would re-run that step (and its
insert would collide with the unique ``version``); the operator must finish or repair it first.
The caller reads the rows; this module never touches a database.

``adoption_start`` then picks the release to adopt for that version, as ``DatabaseUpgradeChecker``
would pick its start: a release ``releases.toml`` names is taken as is; any other version starts at
the hierarchy node ``getPath`` starts from (``checker.start_node``: the equal node, else the last
node below — a release without database changes such as 4.20.2.0 falls back to 4.20.1.0, and
``4.9.0.0``, which ``CloudStackVersion.equals`` does not match with the node ``4.9.0``, to 4.8.2.0).
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from flywayx.errors import StateError
from flywayx_cloudstack.checker import start_node, version_key, version_parts


@dataclass(frozen=True)
class VersionRow:
    """One row of ``cloud.version``."""

    id: int
    version: str
    updated: datetime | None
    step: str


def current_release(rows: Iterable[VersionRow]) -> str:
    """The release to adopt, or StateError naming the incomplete step."""
    ordered = sorted(rows, key=lambda r: r.id)
    if not ordered:
        raise StateError(
            "cloud.version is empty: this is not an installed CloudStack database",
            hint="install with the baseline (flywayx migrate) instead of adopting",
        )
    complete = [r for r in ordered if r.step.strip().lower() == "complete"]
    newest = ordered[-1]
    if newest.step.strip().lower() != "complete":
        done = f"; the last completed release is {complete[-1].version}" if complete else ""
        raise StateError(
            f"CloudStack's upgrade to {newest.version} (cloud.version id {newest.id}, step "
            f"{newest.step!r}) was not completed{done}",
            hint="finish the upgrade with CloudStack, or restore the backup taken before it",
            version=newest.version,
            row_id=newest.id,
        )
    return complete[-1].version.strip().split("-")[0]


@dataclass(frozen=True)
class Hierarchy:
    """``cloudstack-hierarchy.toml`` as the importer writes it: node versions in registration order
    and the tree's own release."""

    nodes: tuple[str, ...]
    latest: str


def read_hierarchy(text: str) -> Hierarchy:
    """Parse ``cloudstack-hierarchy.toml``; ValueError when it is not the importer's shape."""
    doc = tomllib.loads(text)
    nodes, latest = doc.get("nodes"), doc.get("latest")
    if not isinstance(nodes, list) or not all(isinstance(n, list) and n and isinstance(n[0], str) for n in nodes):
        raise ValueError("nodes must be a list of [version, step class]")
    if not isinstance(latest, str):
        raise ValueError("latest must be a version string")
    return Hierarchy(tuple(n[0] for n in nodes), latest)


def adoption_start(db_version: str, releases: Collection[str], hierarchy: Hierarchy | None) -> tuple[str, str]:
    """(release to adopt, why, empty when it is ``db_version`` itself); StateError when CloudStack's
    code of this tree would not upgrade that database either."""
    if db_version in releases:
        return db_version, ""
    if version_parts(db_version) is None:
        raise StateError(
            f"cloud.version names {db_version!r}, which is not a CloudStack version",
            hint="CloudStack versions have 3 or 4 numbers (4.9.0, 4.20.1.0); fix the row or restore a backup",
        )
    if hierarchy is None:
        raise StateError(
            f"CloudStack release {db_version} (from cloud.version) is not in releases.toml",
            hint="re-import the CloudStack tree with this flywayx (flywayx import acs): it also writes "
            "cloudstack-hierarchy.toml, from which versions without a release are placed",
        )
    latest = hierarchy.latest
    if version_key(db_version) > version_key(latest):
        raise StateError(
            f"cloud.version says {db_version}, newer than this import's release {latest}: CloudStack "
            f"{latest} refuses such a database too",
            hint="import the CloudStack tree of that release or a newer one",
        )
    if version_key(db_version) == version_key(latest):
        return latest, (
            f"cloud.version says {db_version}; CloudStack compares it equal to {latest}, its latest "
            "version, and upgrades nothing"
        )
    node = start_node(list(hierarchy.nodes), db_version)
    if node is None or node not in releases:
        raise StateError(
            f"CloudStack upgrades a {db_version} database from {node or 'nothing'}, which is before "
            "this import's first release",
            hint="upgrade it with CloudStack to a release the import holds first (4.0.0 or later)",
        )
    same = next((n for n in hierarchy.nodes if version_key(n) == version_key(db_version)), None)
    if same is not None:
        why = (
            f"cloud.version says {db_version}; DatabaseUpgradeChecker's node is {same}, which "
            f"CloudStackVersion.equals does not match (it does not pad), so CloudStack upgrades it from "
            f"{node}, the last node below, and re-runs the steps from there: adopting release {node}"
        )
    else:
        why = (
            f"cloud.version says {db_version}, which has no node in DatabaseUpgradeChecker's hierarchy "
            f"(a release without database changes); CloudStack upgrades it from {node}, the closest lower "
            f"version it knows: adopting release {node}"
        )
    return node, why
