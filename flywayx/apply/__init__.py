"""Walk migrations onto a database: run statements, record history, report progress.

Decides nothing: what to run and in which order comes from ``plan/``.

- ``walk``: apply one migration and record it (history row, progress record, failure record).
- ``settle``: after a kill while a DDL statement was in flight, find out whether it completed.

The names other layers use are re-exported here, so ``from flywayx import apply`` then
``apply.apply_one(...)`` is the way in.
"""

from flywayx.apply.settle import IDEMPOTENT_ERRORS, settle_in_flight
from flywayx.apply.walk import (
    Applied,
    ApplyOptions,
    Reporter,
    apply_one,
    implicit_commit,
    prefix_digest,
    quiet,
)

__all__ = ["IDEMPOTENT_ERRORS", "Applied", "ApplyOptions", "Reporter", "apply_one", "implicit_commit",
           "prefix_digest", "quiet", "settle_in_flight"]
