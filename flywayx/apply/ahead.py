"""The next migration's progress record, written ahead in the previous migration's commit (MySQL/MariaDB).

A tracked migration whose first statement commits implicitly (DDL) needs its progress record durable
before that statement runs, naming it as in flight, or a kill during it could not be resumed at it.
Sent with the statement, the record is committed by the statement's own implicit commit: one more
redo-log flush per migration than the client pays. Written instead in the packet of the previous
migration's history row, it shares that migration's COMMIT, and the statement goes alone.

It is only safe where another runner can tell the record of a live run from a killed one's: the run
marks its session (``Database.hold_run``), and a ``running`` record of a held run is left out of the
engine's token and of ``pending_progress``. The run's session sends migration statements only under
the migration lock, so a runner holding that lock and seeing a held run's record knows its statement
is not running; when the session ends (the process was killed), the record is an interrupted run's,
resumed like one written with its statement. What widens: a kill between the previous COMMIT and the
first statement now leaves a record of a statement never sent, which ``migrate --resume`` judges
(``apply.settle``) as not done and runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from flywayx.apply.run import prefix_digest, server_of
from flywayx.db.base import Database
from flywayx.db.own_tables import OwnTables
from flywayx.model.work import Work
from flywayx.statements.classify import classify


@dataclass
class Lookahead:
    """The record written ahead for the run ``run_id`` (``held``: ``Database.hold_run`` said yes)."""

    db: Database
    own: OwnTables
    run_id: str
    held: bool
    work: Work | None = None  # whose record is written ahead and not yet taken by its step

    def write(self, work: Work | None) -> bool:
        """Queue ``work``'s record (``Database.later``: with the commit about to be sent) when it pays
        and is safe; True when written."""
        if not self.held or work is None or not self._worth(work):
            return False
        assert work.statements
        self.own.start_progress_ahead(work, self.run_id, prefix_digest(work.written or work.statements, 1))
        self.work = work
        return True

    def take(self, work: Work) -> bool:
        """The step about to run is ``work``: True when its record was written ahead (it is now the
        step's); any other record written ahead is removed with the next statement."""
        if self.work is None:
            return False
        if self.work is work:
            self.work = None
            return True
        self.drop()
        return False

    def drop(self) -> None:
        """The run goes no further: the record written ahead (if any) goes with the next statement."""
        if self.work is not None:
            self.own.drop_ahead(self.work, self.run_id)
            self.work = None

    def _worth(self, work: Work) -> bool:
        """A migration run statement by statement from its first (no resume, no replay), whose first
        statement commits and returns one result (not a CALL, a LOCK TABLES or a COPY)."""
        if work.recorded_as is not None or not work.statements or work.skip_statements:
            return False
        if work.migration.is_python or self.db.capabilities.transactional_ddl:
            return False
        c = classify(work.statements[0].sql, server_of(self.db))
        return c.commits and not c.many_results and not c.empty and not c.opens and c.lock is None


__all__ = ["Lookahead"]
