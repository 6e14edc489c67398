"""Walk migrations onto a database: run statements, record history, report progress.

Decides nothing: what to run and in which order comes from ``plan/``.

- ``engine``: the one engine: runs a step source's steps one per lock, callbacks, run record, dry run.
- ``walk``: apply one migration and record it (history row, progress record, failure record).
- ``record``: record a migration whose change is already in the database, without running it.
- ``run``: the statement layer: every result of every statement, batches, the in-flight record.
- ``failure``: the error and the dialect's next step; ``interrupt``: SIGINT/SIGTERM.
- ``counters``: before ``--resume`` runs inserts again, set back the AUTO_INCREMENT they consumed.
- ``settle``: after a kill while a DDL statement was in flight, find out whether it completed.

The names other layers use are re-exported here, so ``from flywayx import apply`` then
``apply.apply_one(...)`` is the way in.
"""

from flywayx.apply.counters import plan_counters, restore_counters
from flywayx.apply.run import prefix_digest, server_of
from flywayx.apply.settle import IDEMPOTENT_ERRORS, Verdict, judge_in_flight, settle_in_flight
from flywayx.apply.walk import Applied, ApplyOptions, Reporter, apply_one, implicit_commit, quiet, session_replay

__all__ = [
    "IDEMPOTENT_ERRORS",
    "Applied",
    "ApplyOptions",
    "Reporter",
    "Verdict",
    "apply_one",
    "implicit_commit",
    "judge_in_flight",
    "plan_counters",
    "prefix_digest",
    "quiet",
    "restore_counters",
    "server_of",
    "session_replay",
    "settle_in_flight",
]
