"""Record a migration as applied without running it (the history contract, ``plan/ledger.py``).

The row is the one Flyway Teams' ``skipExecutingMigrations`` writes: the migration's own version,
description, type, script and checksum, ``success`` true, no execution time — a row Flyway's own
rules read as applied. flywayx's ``flywayx_applied`` row says how it is in the database and by what
(``Work.recorded_as``/``satisfied_by``). A rename first retires the old version's row with Flyway's
``DELETE`` row (what ``repair`` writes for a missing migration). Everything commits together.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from flywayx.apply.walk import Applied, ApplyOptions, Reporter
from flywayx.db.base import Database, HistoryTable
from flywayx.db.own_tables import OwnTables
from flywayx.model import HistoryRow
from flywayx.model.abbrev import abbreviate_description, abbreviate_script
from flywayx.model.work import Work


def record_satisfied(
    db: Database,
    history: HistoryTable,
    own: OwnTables,
    work: Work,
    opts: ApplyOptions,
    report: Reporter,
    retire: HistoryRow | None = None,
) -> Applied:
    """Write ``work``'s history row (and flywayx's record) without running it; ``retire``: the row of
    the version it was renamed from, deleted first."""
    m = work.migration
    started = time.monotonic()
    db.begin()
    rows: list[HistoryRow] = []
    try:
        if retire is not None:
            rows.append(
                HistoryRow(
                    history.next_rank(),
                    retire.version,
                    abbreviate_description(retire.description),
                    "DELETE",
                    abbreviate_script(retire.script),
                    retire.checksum,
                    opts.installed_by,
                    0,
                    True,
                )
            )
            history.insert(rows[-1])
        rows.append(
            HistoryRow(
                history.next_rank(),
                m.version,
                abbreviate_description(m.description),
                m.type.value,
                abbreviate_script(m.script),
                m.checksum,
                opts.installed_by,
                0,
                True,
            )
        )
        history.insert(rows[-1])
        own.record_applied(work, opts.run_id, 0, "")
        db.commit()
    except BaseException:
        db.rollback()
        raise
    report(
        "migration.recorded",
        {
            "migration": m,
            "how": work.recorded_as,
            "by": work.satisfied_by,
            "ms": int((time.monotonic() - started) * 1000),
        },
    )
    return Applied(m, 0, 0, tuple(rows))


def record_all(db: Database, history: HistoryTable, own: OwnTables, works: Sequence[Work], opts: ApplyOptions) -> None:
    """Record every one of ``works`` as applied without running it, in one transaction (an adoption
    is all or nothing)."""
    db.begin()
    try:
        rank = history.next_rank()
        for i, work in enumerate(works):
            m = work.migration
            history.insert(
                HistoryRow(
                    rank + i, m.version, m.description, m.type.value, m.script, m.checksum, opts.installed_by, 0, True
                )
            )
            own.record_applied(work, opts.run_id, 0, "")
        db.commit()
    except BaseException:
        db.rollback()
        raise


__all__ = ["record_all", "record_satisfied"]
