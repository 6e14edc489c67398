"""Flyway's ``info`` computation: match local migrations with history rows and assign states.

A pure function of values (flyway-semantics.md §5.2, ``MigrationInfoServiceImpl#refresh``). The
result drives ``info``, ``validate``, ``migrate`` (the pending set) and ``repair``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from flywayx.errors import StateError
from flywayx.model.history import HistoryRow
from flywayx.model.info import MigrationInfo, State
from flywayx.model.migration import Kind, Migration
from flywayx.model.version import CURRENT, EMPTY, LATEST, NEXT, Version
from flywayx.plan.renames import recognise_cut_renames

_BASELINE_TYPES = ("BASELINE", "SQL_BASELINE", "JDBC_BASELINE")


@dataclass(frozen=True)
class InfoOptions:
    target: str = "latest"
    out_of_order: bool = False


@dataclass
class _Context:
    applied_baseline: Version = EMPTY
    last_applied: Version = EMPTY
    last_resolved: Version = EMPTY
    pending_baseline: Version = EMPTY
    target: Version | None = None
    out_of_order: bool = False
    deleted: set[int] = field(default_factory=set)
    out_of_order_ranks: set[int] = field(default_factory=set)
    latest_repeatable: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class InfoResult:
    """All migrations in Flyway's sort order, plus the context ``current()`` needs."""

    migrations: tuple[MigrationInfo, ...]
    target: Version | None

    def pending(self) -> list[MigrationInfo]:
        return [m for m in self.migrations if m.state is State.PENDING]

    def current(self) -> MigrationInfo | None:
        """Highest applied versioned migration, else the last applied repeatable (Flyway's current())."""
        applied = [m for m in self.migrations if _counts_as_applied(m)]
        versioned = [m for m in applied if m.version is not None]
        if versioned:
            return max(versioned, key=lambda m: (m.version or EMPTY).sort_key)
        return applied[-1] if applied else None

    def failed(self) -> list[MigrationInfo]:
        return [m for m in self.migrations if m.applied is not None and m.state.failed]


def current_version(rows: Sequence[HistoryRow]) -> Version | None:
    """Flyway's ``current()`` version straight from history rows (no info computation): the highest
    version of a row that is not a DELETE row, not undone and not deleted by a later DELETE row."""
    # by sort key (tuples hashed and compared in C); the value is the version first recorded under it,
    # as a dict keyed by the versions themselves would keep its first key ("1" rather than a later "1.0")
    live: dict[tuple[int, tuple[int, ...]], Version] = {}
    for row in sorted(rows, key=lambda r: r.installed_rank):
        if row.version is None:
            continue
        kind = row.type.upper()
        if kind.startswith("UNDO"):
            continue
        if kind == "DELETE":
            if row.success:
                live.pop(row.version.sort_key, None)
        else:
            live.setdefault(row.version.sort_key, row.version)
    return live[max(live)] if live else None


def _counts_as_applied(m: MigrationInfo) -> bool:
    return (
        m.applied is not None
        and m.state is not State.DELETED
        and m.applied.type.upper() != "DELETE"
        and m.state is not State.UNDONE
    )


def is_baseline_row(row: HistoryRow) -> bool:
    return row.type.upper() in _BASELINE_TYPES


_Key = tuple[tuple[int, tuple[int, ...]], bool]


def _key(version: Version, baseline: bool) -> _Key:
    """A migration's identity in info (its version, and whether it is a baseline): the version's sort
    key, so the dicts over 10,000 of them hash and compare tuples in C, not ``Version.__hash__``/``__eq__``."""
    return version.sort_key, baseline


def compute_info(
    migrations: Sequence[Migration], rows: Sequence[HistoryRow], options: InfoOptions = InfoOptions()
) -> InfoResult:
    """Combine resolved migrations and history rows into Flyway's info list (rows of pending
    migrations renamed by ``release cut`` read as the frozen migrations: ``plan/renames.py``)."""
    rows = sorted(recognise_cut_renames(rows, migrations), key=lambda r: r.installed_rank)
    ctx = _Context(out_of_order=options.out_of_order)
    live = _apply_deletes(rows, ctx)
    _scan_applied(live, ctx)
    versioned = [m for m in migrations if m.version is not None and m.kind is not Kind.CALLBACK]
    repeatables = [m for m in migrations if m.version is None and m.kind is Kind.REPEATABLE]
    ctx.last_resolved = max((m.version for m in versioned if m.version), default=EMPTY)
    applied_keys = {
        _key(r.version, is_baseline_row(r)): r
        for r in live
        if r.version is not None and r.installed_rank not in ctx.deleted
    }
    pending_b = [
        m.version
        for m in versioned
        if m.kind is Kind.BASELINE and m.version is not None and _key(m.version, True) not in applied_keys
    ]
    ctx.pending_baseline = max(pending_b, default=EMPTY)
    ctx.target = _resolve_target(options.target, versioned, live, ctx)
    infos = _applied_infos(live, versioned, repeatables, ctx)
    infos += _resolved_only(versioned, repeatables, live, applied_keys, ctx)
    if ctx.target is NEXT:
        infos = _apply_next_target(infos)
    infos.sort(key=_sort_key)
    return InfoResult(tuple(infos), None if ctx.target in (None, NEXT) else ctx.target)


def _apply_deletes(rows: list[HistoryRow], ctx: _Context) -> list[HistoryRow]:
    """Mark rows superseded by a successful DELETE row; drop versioned DELETE rows from the list."""
    out: list[HistoryRow] = []
    for row in rows:
        if row.type.upper() != "DELETE" or not row.success:
            out.append(row)
            continue
        target = _latest_match(out, row, ctx)
        if row.version is not None:
            if target is None:
                raise StateError(
                    f"Corrupted schema history: multiple delete entries for version {row.version}",
                    hint="inspect the DELETE rows of the history table",
                )
            ctx.deleted.add(target.installed_rank)
        else:
            if target is not None:
                ctx.deleted.add(target.installed_rank)
            out.append(row)
    return out


def _latest_match(rows: list[HistoryRow], delete: HistoryRow, ctx: _Context) -> HistoryRow | None:
    for row in reversed(rows):
        if row.installed_rank in ctx.deleted or row.is_synthetic or row.type.upper() == "DELETE":
            continue
        if delete.version is not None and row.version == delete.version:
            return row
        if delete.version is None and row.version is None and row.description == delete.description:
            return row
    return None


def _scan_applied(rows: list[HistoryRow], ctx: _Context) -> None:
    for row in rows:
        if row.version is None:
            if row.installed_rank not in ctx.deleted and row.type.upper() != "DELETE":
                ctx.latest_repeatable[row.description] = row.installed_rank
            continue
        if is_baseline_row(row):
            ctx.applied_baseline = max(ctx.applied_baseline, row.version)
        if row.installed_rank in ctx.deleted or row.type.upper().startswith("UNDO"):
            continue
        if row.version > ctx.last_applied:
            ctx.last_applied = row.version
        else:
            ctx.out_of_order_ranks.add(row.installed_rank)


def _resolve_target(text: str, versioned: list[Migration], rows: list[HistoryRow], ctx: _Context) -> Version | None:
    optional = text.endswith("?")
    parsed = Version.parse(text[:-1] if optional else text)
    if parsed is LATEST:
        return None
    if parsed is CURRENT:
        return ctx.last_applied if ctx.last_applied is not EMPTY else None
    if parsed is NEXT:
        return NEXT
    known = {m.version for m in versioned} | {r.version for r in rows if r.version is not None}
    if parsed not in known and not optional:
        raise StateError(
            f"No migration with a target version {parsed} could be found. "
            "Ensure target is specified correctly and the migration exists.",
            hint="use a version that exists, or append '?' to accept a missing one (e.g. 5?)",
        )
    return parsed


def _applied_infos(
    rows: list[HistoryRow], versioned: list[Migration], repeatables: list[Migration], ctx: _Context
) -> list[MigrationInfo]:
    by_key = {_key(m.version, m.kind is Kind.BASELINE): m for m in versioned if m.version is not None}
    by_desc = {m.description: m for m in repeatables}
    out = []
    for row in rows:
        if row.version is not None:
            local = by_key.get(_key(row.version, is_baseline_row(row)))
        else:
            local = by_desc.get(row.description)
        state = _applied_state(row, local, ctx)
        if row.installed_rank in ctx.deleted:
            state = State.DELETED
        out.append(MigrationInfo(state, local, row))
    return out


def _applied_state(row: HistoryRow, local: Migration | None, ctx: _Context) -> State:
    t = row.type.upper()
    if t == "DELETE":
        return State.SUCCESS
    if t == "BASELINE":
        return State.BASELINE
    latest = row.version is not None or ctx.latest_repeatable.get(row.description) == row.installed_rank
    if local is None and t != "SCHEMA" and latest:
        if row.version is None or row.version < ctx.last_resolved:
            return State.MISSING_SUCCESS if row.success else State.MISSING_FAILED
        return State.FUTURE_SUCCESS if row.success else State.FUTURE_FAILED
    if not row.success:
        return State.FAILED
    if t == "SCHEMA":
        return State.SUCCESS
    if t in _BASELINE_TYPES:
        return State.BASELINE
    if row.version is None:
        if not latest:
            return State.SUPERSEDED
        assert local is not None
        return State.SUCCESS if local.checksum_matches(row.checksum) else State.OUTDATED
    if row.installed_rank in ctx.out_of_order_ranks:
        return State.OUT_OF_ORDER
    return State.SUCCESS


def _resolved_only(
    versioned: list[Migration],
    repeatables: list[Migration],
    rows: list[HistoryRow],
    applied_keys: dict[_Key, HistoryRow],
    ctx: _Context,
) -> list[MigrationInfo]:
    out = []
    for m in versioned:
        assert m.version is not None
        if _key(m.version, m.kind is Kind.BASELINE) in applied_keys:
            continue
        out.append(MigrationInfo(_pending_state(m, m.version, ctx), m, None))
    by_rank = {r.installed_rank: r for r in rows}
    for m in repeatables:
        rank = ctx.latest_repeatable.get(m.description)
        latest = by_rank.get(rank) if rank is not None else None
        if latest is None or not m.checksum_matches(latest.checksum):
            out.append(MigrationInfo(State.PENDING if m.should_execute else State.IGNORED, m, None))
    return out


def _pending_state(m: Migration, version: Version, ctx: _Context) -> State:
    baseline = ctx.pending_baseline if ctx.last_applied is EMPTY else ctx.applied_baseline
    if not m.should_execute:
        return State.IGNORED
    if baseline is not EMPTY and version < baseline:
        state = State.BELOW_BASELINE
    elif baseline is not EMPTY and version == baseline:
        state = State.BASELINE_IGNORED
    elif ctx.target is not None and ctx.target is not NEXT and version > ctx.target:
        state = State.ABOVE_TARGET
    elif version < ctx.last_applied and not ctx.out_of_order:
        state = State.IGNORED
    else:
        state = State.PENDING
    if m.kind is Kind.BASELINE:
        if state is State.PENDING and (ctx.last_applied is not EMPTY or ctx.applied_baseline is not EMPTY):
            return State.IGNORED
        if state is State.BASELINE_IGNORED and ctx.last_applied is EMPTY and version == ctx.pending_baseline:
            return State.PENDING
    return state


def _apply_next_target(infos: list[MigrationInfo]) -> list[MigrationInfo]:
    """target=next: only the first pending versioned migration stays pending."""
    pending = sorted((i for i in infos if i.state is State.PENDING and i.version is not None), key=_sort_key)
    keep = pending[0] if pending else None
    return [
        i
        if i.state is not State.PENDING or i.version is None or i is keep
        else MigrationInfo(State.ABOVE_TARGET, i.resolved, i.applied)
        for i in infos
    ]


def java_string_key(s: str) -> bytes:
    """Sort key equal to Java's ``String.compareTo`` (UTF-16 code units)."""
    return s.encode("utf-16-be")


def _sort_key(i: MigrationInfo) -> tuple[object, ...]:
    if i.applied is None and i.state in (State.BELOW_BASELINE, State.BASELINE_IGNORED):
        return (0, (i.version or EMPTY).sort_key, _baseline_last(i), b"")
    if i.applied is not None:
        return (1, i.applied.installed_rank, 0, b"")
    if i.version is not None:
        return (2, i.version.sort_key, _baseline_last(i), b"")
    return (3, EMPTY.sort_key, 0, java_string_key(i.description))


def _baseline_last(i: MigrationInfo) -> int:
    return 1 if i.type.upper() in _BASELINE_TYPES or i.type.upper().startswith("UNDO") else 0
