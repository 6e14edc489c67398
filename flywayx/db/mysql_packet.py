"""One multi-statement packet on a PyMySQL connection (``CLIENT.MULTI_STATEMENTS``), every result read.

``send(conn, queued, texts)`` sends the statements ``MySQLDatabase.later`` queued, then ``texts``, joined
by ``\\n;\\n`` (a statement's trailing ``--`` comment ends at the newline), and reads every result: the
server stops at the first error, so the results read before it say which statement failed. Each
statement but the last gives one result; the last (a CALL) may give several. Counts and warning indexes
in the returned ``Sent`` are of ``texts`` only; ``failed_later`` says a queued statement failed.

A text equal to ``SHOW_WARNINGS`` keeps its rows in ``Sent.shown``: the text of the
warnings of the statement before it, which the server otherwise keeps for the last statement only.

``idle``: work run after the packet is sent and before its results are read (``Database.idle``).

``after``: reads sent behind ``texts`` in the same packet (``MySQLDatabase.prefetch``), each giving one
result; their rows are returned in ``Sent.after`` (None for one that failed or was not reached). Their
failure is not the packet's: ``texts`` completed, and whoever wanted the rows asks again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flywayx.db.base import SHOW_WARNINGS
from flywayx.db.mysql_wire import Result, read_result, send_query
from flywayx.errors import FlywayxError


@dataclass
class Sent:
    """What one packet did: statements of ``texts`` that completed, the failure (and whether it was a
    queued statement's), the last statement's row count, rows and columns, warning counts by index."""

    completed: int = 0
    failure: FlywayxError | None = None
    failed_later: bool = False
    rowcount: int = 0
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    columns: list[str] | None = None
    warnings: dict[int, int] = field(default_factory=dict)
    after: list[list[tuple[Any, ...]] | None] = field(default_factory=list)
    shown: dict[int, list[tuple[Any, ...]]] = field(default_factory=dict)  # SHOW_WARNINGS rows, by index


def send(
    conn: Any,
    queued: list[str],
    texts: list[str],
    *,
    rows: bool,
    failed: Callable[[Exception, str], FlywayxError],
    after: Sequence[str] = (),
    idle: Sequence[Callable[[], object]] = (),
) -> Sent:
    """Send ``queued``, ``texts``, then ``after`` in one packet (see the module doc); ``rows``: keep the
    last text's rows. ``failed`` turns a driver error and the statement's text into the error to report.
    ``after`` is only sent behind a last text that gives one result (not a CALL)."""
    import pymysql

    allof = [*queued, *texts]
    sent = Sent(after=[None] * len(after))
    if not allof:
        return sent
    results, last = 0, len(allof) - 1
    try:
        send_query(conn, "\n;\n".join([*allof, *after]))
        _run(idle)
        while True:
            got = read_result(conn)
            results += 1
            if after and results - 1 > last:  # one of ``after`` (behind a last text of one result)
                sent.after[results - 2 - last] = got.rows or []
            elif len(queued) <= results - 1 < last and allof[results - 1] == SHOW_WARNINGS:
                sent.shown[results - 1 - len(queued)] = got.rows or []
            else:
                _take(got, sent, results, last, len(queued), rows)
            if not got.has_next:
                break
    except pymysql.MySQLError as err:
        if after and results > last:  # ``texts`` completed; a read of ``after`` failed
            sent.completed = len(texts)
            return sent
        at = min(results, last)
        sent.failure, sent.failed_later = failed(err, allof[at]), at < len(queued)
        sent.completed = max(at - len(queued), 0)
        return sent
    sent.completed = len(texts)
    return sent


def _run(tasks: Sequence[Callable[[], object]]) -> None:
    """``idle`` tasks, while the server runs the packet just sent; a task's failure is dropped (whoever
    needs its result computes it again and meets the failure there)."""
    for task in tasks:
        try:
            task()
        except Exception:  # by contract (Database.idle): whoever needs its result meets the failure
            continue


def _take(got: Result, sent: Sent, results: int, last: int, queued: int, rows: bool) -> None:
    """Warnings of the ``results``-th result, and the count, rows and columns of the last statement's."""
    index = min(results - 1, last) - queued
    if got.warning_count and index >= 0:
        sent.warnings[index] = sent.warnings.get(index, 0) + got.warning_count
    if results - 1 == last:
        sent.rowcount = max(got.rowcount, 0)
        if rows and got.columns is not None:
            sent.columns = [c.lower() for c in got.columns]
            sent.rows = got.rows or []


__all__ = ["Sent", "send"]
