"""Content ids now, footprints in the background.

A plan needs every migration's content id before anything runs (identical content is one change).
Footprints (what a migration reads and writes, its phase) are needed up front only to check a
change that arrives out of order or to pick the expand phase; otherwise the first one is read when
the first history row is written. So on Linux, with two or more CPUs and a project of at least
``BACKGROUND_MIN_STATEMENTS`` statements, a forked worker analyses the migrations — in the same
order and with one shared context, exactly as the serial loop does — while this process plans and
applies; the first use of a footprint waits for the worker. For CloudStack's corpus (6,766
statements) that takes the analyser's ~0.5 s off the critical path of a migration.

With the analysis cache (``sources/analysis_cache.py``) a migration analysed before in the same
context is not analysed again: its entry records, for every known column type (and
``foreign_key_checks``) its analysis read or wrote, the value before and after (``Tracked``). When the
context agrees on the values before, the footprint is taken and the values after are set, exactly
as analysing it again would; otherwise it is analysed and the entry rewritten. So the order-dependent
analysis stays exact while a warm run analyses nothing. Entries are written by whichever process
computes the footprints (the worker or this one; ``explain`` uses ``store`` too): an entry always
holds statements, content id and footprints together.

The worker is a ``forks.Forked``: it only computes and writes one pickled result to a pipe. If it
fails, or the platform has no ``fork``, the footprints are computed here instead, so the result
never depends on whether the worker ran.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from flywayx.model import Migration, Statement
from flywayx.model.footprint import Footprint, Phase
from flywayx.service.forks import Forked, cpus_for_workers, spread_groups
from flywayx.sources.analysis_cache import AnalysisCache
from flywayx.statements.analyze import Context, analyze_migration, make_context
from flywayx.statements.analyze.builder import Tracked
from flywayx.statements.codec import dump_footprint, dump_statements, load_footprint

BACKGROUND_MIN_STATEMENTS = 1000
_JSON = json.JSONEncoder(separators=(",", ":"))  # one for every entry's parts (``json.dumps`` makes one a call)

Jobs = Sequence[tuple[str, Sequence[Statement]]]  # (script, statements) in migration order


@dataclass(frozen=True)
class Slot:
    """A migration's place in the cache: its key, its content id, and the entry found (None: none)."""

    key: str
    content_id: str
    entry: Mapping[str, Any] | None = None


Slots = Mapping[str, Slot]  # script -> slot


def footprints_now(
    jobs: Jobs,
    dialect: str,
    server_version: str | None,
    cache: AnalysisCache | None = None,
    slots: Slots | None = None,
    *,
    over_cores: bool = False,
) -> dict[str, Footprint]:
    """Each script's combined footprint, one analysis context carried through in order; taken from
    ``cache`` where its entry (``slots``) was analysed from the same context, stored where not.
    ``over_cores``: the migrations without an entry are first analysed in parallel from guessed
    contexts (``guesses``); a guess is taken only where the real context agrees with it."""
    out, write = footprints_then_write(jobs, dialect, server_version, cache, slots, over_cores=over_cores)
    write()
    return out


def footprints_then_write(
    jobs: Jobs,
    dialect: str,
    server_version: str | None,
    cache: AnalysisCache | None = None,
    slots: Slots | None = None,
    *,
    over_cores: bool = False,
) -> tuple[dict[str, Footprint], Callable[[], None]]:
    """``footprints_now``'s footprints, and the function that writes the new cache entries: the worker
    hands its result over first and writes after (encoding and writing 10,000 entries takes ~0.3 s)."""
    ctx = make_context(dialect, server_version)
    guessed = guesses(jobs, dialect, server_version, slots if cache is not None else None) if over_cores else {}
    out: dict[str, Footprint] = {}
    new: list[tuple[Slot, Sequence[Statement], Tracing]] = []
    for script, stmts in jobs:
        slot = slots.get(script) if slots is not None and cache is not None else None
        reused = reuse(slot.entry, ctx) if slot is not None else None
        if reused is not None:
            out[script] = reused[1]
            continue
        guess = guessed.get(script)
        if guess is not None and _agrees(guess.before, ctx.types):
            _move(guess.after, ctx.types)
            done = guess
        else:
            done = analyse_tracked(stmts, dialect, ctx)
        if slot is not None:
            new.append((slot, stmts, done))
        out[script] = done.combined

    def write() -> None:
        if cache is not None:
            for slot, stmts, done in new:
                store(cache, slot, stmts, done, parts=False)
            if slots is not None and all(script in slots for script, _ in jobs):
                keys = [slots[script].key for script, _ in jobs]
                cache.write_memo(cache.memo_key(keys), dump_memo(jobs, slots, out))
            cache.close()

    return out, write


# --- the memo of a whole project ---------------------------------------------------------------------
# What ``footprints_now`` gives depends only on the sequence of the migrations' texts (and the dialect
# and server version): their cache keys in order. Its memo (``AnalysisCache.write_memo``) keeps, per
# migration, the content id, the combined footprint and whether it mixes transactional and
# non-transactional statements (``plan/mixed.py``), so a run over the same sequence takes all of it in
# one read and decodes no entry (``lines.analyse``).

Memo = tuple[list[str], list[str], list[Footprint], list[bool]]  # scripts, content ids, footprints, mixed


def dump_memo(jobs: Jobs, slots: Slots, prints: Mapping[str, Footprint]) -> tuple[Any, ...]:
    scripts = [script for script, _ in jobs]
    return (
        scripts,
        [slots[script].content_id for script in scripts],
        [_print_tuple(prints[script]) for script in scripts],
        [_mixes(stmts) for _, stmts in jobs],
    )


def load_memo(value: Any, scripts: Sequence[str]) -> Memo | None:
    """The memo's content ids, footprints and mixed flags for ``scripts``; None unless it is one."""
    if not (isinstance(value, tuple) and len(value) == 4 and all(isinstance(v, list) for v in value)):
        return None
    names, ids, prints, mixed = value
    if names != list(scripts) or not len(ids) == len(prints) == len(mixed) == len(names):
        return None
    if not all(isinstance(i, str) for i in ids) or not all(type(b) is bool for b in mixed):
        return None
    try:
        footprints = [_from_print_tuple(p) for p in prints]
    except (ValueError, TypeError):
        return None
    return names, ids, footprints, mixed


def _print_tuple(fp: Footprint) -> tuple[Any, ...]:
    return (fp.phase.value, fp.reads, fp.writes, fp.idempotent, fp.lock, fp.notes)


def _from_print_tuple(row: Any) -> Footprint:
    phase, reads, writes, idempotent, lock, notes = row
    if not (
        isinstance(reads, frozenset)
        and isinstance(writes, frozenset)
        and isinstance(notes, tuple)
        and type(idempotent) is bool
        and (lock is None or isinstance(lock, str))
    ):
        raise ValueError("footprint: wrong types")
    return Footprint(Phase(phase), reads, writes, idempotent, lock, notes)


def _mixes(statements: Sequence[Statement]) -> bool:
    kinds = {s.transactional for s in statements}
    return len(kinds) == 2


def guesses(jobs: Jobs, dialect: str, server_version: str | None, slots: Slots | None) -> dict[str, Tracing]:
    """The analysis of every migration without a cache entry, spread over the cores: each core takes
    a contiguous run of them and carries its own context through it from a fresh one. The first run's
    analyses are exact; a later one's are right wherever the real context agrees on what they read
    (``Tracing.before``), which ``footprints_now`` checks, analysing again where it does not."""
    todo = [
        (script, stmts) for script, stmts in jobs if slots is None or script not in slots or slots[script].entry is None
    ]

    def run(group: Sequence[tuple[str, Sequence[Statement]]]) -> list[Tracing]:
        ctx = make_context(dialect, server_version)
        return [analyse_tracked(stmts, dialect, ctx) for _, stmts in group]

    done = spread_groups(run, todo, [len(stmts) for _, stmts in todo], 2 * BACKGROUND_MIN_STATEMENTS)
    return {script: tracing for (script, _), tracing in zip(todo, done, strict=True)}


def _agrees(before: Mapping[str, str | None], types: MutableMapping[str, str]) -> bool:
    return all(types.get(k) == v for k, v in before.items())


def _move(after: Mapping[str, str | None], types: MutableMapping[str, str]) -> None:
    for k, v in after.items():
        if v is None:
            types.pop(k, None)
        else:
            types[k] = v


def reuse(entry: Mapping[str, Any] | None, ctx: Context) -> tuple[str | None, Footprint] | None:
    """(per-statement footprints as stored: a JSON text, decoded only by who needs them, None when the
    entry was written without them; the combined footprint) of a cache entry analysed from a context
    that agrees with ``ctx``, whose state it then moves on; None when it cannot be used."""
    prints = entry.get("prints") if entry is not None else None
    if not isinstance(prints, dict):
        return None
    before, after, parts = prints.get("before"), prints.get("after"), prints.get("parts")
    if not (
        isinstance(before, dict)
        and isinstance(after, dict)
        and _is_state(before)
        and _is_state(after)
        and (parts is None or isinstance(parts, str))
    ):
        return None
    if not _agrees(before, ctx.types):
        return None
    try:
        combined = load_footprint(prints.get("combined"))
    except ValueError:
        return None
    _move(after, ctx.types)
    return parts, combined


def _is_state(value: dict[Any, Any]) -> bool:
    return all(isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in value.items())


@dataclass(frozen=True)
class Tracing:
    """One migration's analysis: its footprints, and the context values it read (``before``) and left
    (``after``), which its cache entry records."""

    parts: list[Footprint]
    combined: Footprint
    before: dict[str, str | None]
    after: dict[str, str | None]


def analyse_tracked(stmts: Sequence[Statement], dialect: str, ctx: Context) -> Tracing:
    """Analyse ``stmts`` from ``ctx``, moving it on, recording what the analysis read and wrote of it."""
    raw = ctx.types
    tracked = Tracked(raw)
    ctx.types = tracked
    try:
        parts, combined = analyze_migration(stmts, dialect, context=ctx)
    finally:
        ctx.types = raw
    return Tracing(parts, combined, tracked.before, {k: raw.get(k) for k in tracked.before})


def store(cache: AnalysisCache, slot: Slot, stmts: Sequence[Statement], done: Tracing, *, parts: bool = True) -> None:
    """Write the cache entry of one analysed migration: statements, content id, footprints, and the
    context it was analysed from (``Tracing``). ``parts``: the per-statement footprints too, which only
    ``explain`` shows (a third of the cost of an entry; a run that plans leaves them out, and
    ``explain`` analyses such an entry's file again)."""
    cache.put(
        slot.key,
        {
            "statements": dump_statements(list(stmts)),
            "content_id": slot.content_id,
            "prints": {
                "before": done.before,
                "after": done.after,
                "parts": _JSON.encode([dump_footprint(p) for p in done.parts]) if parts else None,
                "combined": dump_footprint(done.combined),
            },
        },
    )


class Footprints:
    """Footprints by script, computed by a forked worker when that pays, else on first use."""

    def __init__(
        self,
        jobs: Jobs,
        dialect: str,
        server_version: str | None,
        cache: AnalysisCache | None = None,
        slots: Slots | None = None,
        known: dict[str, Footprint] | None = None,
    ) -> None:
        self._args = (list(jobs), dialect, server_version, cache, slots)
        self._result: dict[str, Footprint] | None = known  # from the project's memo: nothing to compute
        self._write: Callable[[], None] = lambda: None  # the worker's cache writes, after its result
        self._worker: Forked[dict[str, Footprint]] | None = None
        fresh = [
            stmts
            for script, stmts in jobs
            if cache is None or slots is None or script not in slots or slots[script].entry is None
        ]
        if known is None and _worth_a_worker(sum(len(stmts) for stmts in fresh)):
            self._worker = Forked(self._in_worker, then=self._write_in_worker)

    def _in_worker(self) -> dict[str, Footprint]:
        out, self._write = footprints_then_write(*self._args, over_cores=True)
        return out

    def _write_in_worker(self) -> None:
        self._write()

    @property
    def _pid(self) -> int | None:
        return self._worker.pid if self._worker is not None else None

    def of(self, script: str) -> Callable[[], Footprint]:
        """A function giving ``script``'s footprint (for ``Change``), waiting for the worker if needed."""
        return lambda: self.all()[script]

    def all(self) -> dict[str, Footprint]:
        if self._result is None:
            got = self._worker.result() if self._worker is not None else None
            self._result = got if isinstance(got, dict) else footprints_now(*self._args)
        return self._result

    def close(self) -> None:
        """Reap the worker; one whose result was never asked for (the command ended early) is stopped."""
        if self._worker is not None:
            self._worker.close()


def _worth_a_worker(statements: int) -> bool:
    return statements >= BACKGROUND_MIN_STATEMENTS and cpus_for_workers() > 1


def jobs_of(
    migrations: Sequence[Migration], statements: dict[str, list[Statement] | None]
) -> list[tuple[str, Sequence[Statement]]]:
    """The analysable migrations (SQL) with their statements, in migration order."""
    return [(m.script, stmts) for m in migrations if (stmts := statements.get(m.script)) is not None]
