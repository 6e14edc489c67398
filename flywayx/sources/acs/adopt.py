"""Pick an existing CloudStack database's release from its ``cloud.version`` rows (pure).

CloudStack's rule (``VersionDaoImpl.getCurrentVersion``, acs-corpus.md §3.1): the current version
is the ``version`` of the row with the highest ``id`` whose ``step`` is ``Complete``. A table with
rows but none ``Complete`` means an upgrade was never completed. flywayx also refuses when the
newest row is an unfinished ``Upgrade`` step, because CloudStack would re-run that step (and its
insert would collide with the unique ``version``); the operator must finish or repair it first.
The caller reads the rows; this module never touches a database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flywayx.errors import StateError


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
