"""History rows of pending migrations that ``flywayx release cut`` renamed (pure).

A developer runs ``flywayx new``, migrates their database (``V4.6.20261123193000482113__x.sql`` is
recorded under that version), then ``release cut 4.6.1`` renames the file ``V4.6.1.1__x.sql``
without touching its content. The cut must be a no-op for that database: the row is the frozen
migration, whichever command wrote it (plain ``migrate``, which records no content id, or
``migrate --to``).

``recognise_cut_renames`` reads each such row as the frozen migration's: a successful row whose
version is a pending stamp (``is_pending_stamp``) that no local file has any more, matched to the
one local versioned migration with the same checksum and description that has no row of its own.
Only stamps are matched: a plain Flyway project keeps Flyway's rules for renamed files (missing +
pending). The table itself is not changed; info, validate and both planners see the frozen version.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from flywayx.model.history import HistoryRow
from flywayx.model.migration import Kind, Migration
from flywayx.model.version import is_pending_stamp


def recognise_cut_renames(rows: Sequence[HistoryRow], migrations: Sequence[Migration]) -> list[HistoryRow]:
    """``rows`` with every row of a cut (renamed) pending migration read as the frozen one."""
    stamps = [r for r in rows if r.success and r.version is not None and is_pending_stamp(r.version)]
    if not stamps:
        return list(rows)
    local = {m.version for m in migrations if m.version is not None}
    applied = {r.version for r in rows if r.version is not None}
    candidates = [
        m
        for m in migrations
        if m.kind is Kind.VERSIONED
        and m.version is not None
        and m.version not in applied
        and not is_pending_stamp(m.version)
    ]
    renamed: dict[int, HistoryRow] = {}
    for row in stamps:
        if row.version in local:
            continue
        match = [m for m in candidates if m.checksum == row.checksum and m.description == row.description]
        if len(match) == 1:
            m = match[0]
            renamed[row.installed_rank] = dataclasses.replace(row, version=m.version, script=m.script)
            candidates.remove(m)
    return [renamed.get(r.installed_rank, r) for r in rows]
