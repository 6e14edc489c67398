"""Release lines: the graph, the analysed changes and the plan; ``plan``, ``graph`` and ``info``'s columns.

Gathers what the pure planner (``plan/interleave.py``) needs — the release graph, each migration's
content id and footprint, the Flyway history and flywayx's per-line history, the migrations known
only on another branch (``service/known.py``). ``migrate --to`` runs the plan through the one engine
(``service/steps.py`` ``ReleasePlan``, ``apply/engine.py``).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from flywayx.errors import StateError
from flywayx.model import HistoryRow, Migration, Statement
from flywayx.model.later import Later
from flywayx.model.version import Version
from flywayx.service.kernel import Session, file_text, load_statements, sql_text
from flywayx.sources.checksum import read_migration_text
from flywayx.sources.release_file import find_releases_file

# Without a releases.toml (``release_graph`` is None) nothing below it runs: the planner, the analysis
# and the splitter are imported by the functions that use them, so plain ``info`` loads none of them.
if TYPE_CHECKING:
    from flywayx.model.footprint import Footprint
    from flywayx.model.plan import Change, LineRecord, Plan, PlanStep
    from flywayx.model.release import ReleaseGraph
    from flywayx.plan.ledger import Ledger
    from flywayx.plan.validate import ValidationIssue
    from flywayx.service.analysis import Footprints, Slot
    from flywayx.sources.releases import Elsewhere


def release_graph(s: Session) -> ReleaseGraph | None:
    """The validated graph, or None without a releases.toml (plain Flyway behaviour). Versions that
    releases.toml names are checked against the migrations here and those known elsewhere."""
    path = find_releases_file(list(s.config.locations), s.config.releases_file)
    if path is None:
        return None
    from flywayx.sources.releases import load_releases

    return load_releases(path, [m for m in s.found.migrations], lambda graph: known_elsewhere(s, graph))


_KNOWN: dict[int, Elsewhere] = {}


def _forget(key: int) -> None:
    _KNOWN.pop(key, None)


def known_elsewhere(s: Session, graph: ReleaseGraph) -> Elsewhere:
    """Migrations whose file is not here (``service/known.py``), computed once per session."""
    from flywayx.service import known

    key = id(s)
    if key not in _KNOWN:
        if known.releases_without_files(graph, s.found.migrations):  # git's release tags are read
            s.volatile.append("git")  # which ``service/answers.py``'s key does not cover
        _KNOWN[key] = known.elsewhere(s.config, graph, s.found.migrations, s.dialect, s.rows(), line_records(s))
        s.cleanups.append(lambda: _forget(key))
    return _KNOWN[key]


def require_graph(s: Session) -> ReleaseGraph:
    graph = release_graph(s)
    if graph is None:
        raise StateError(
            "No releases.toml found: release lines are not declared for these migrations",
            hint="create releases.toml at the root of the first location, or pass --releases FILE",
        )
    return graph


@dataclass
class Analysed:
    """Changes with their statements, computed once per command."""

    changes: list[Change]
    statements: Mapping[str, list[Statement] | None]  # a ``Later``: decoded from the cache when asked for

    @cached_property
    def by_script(self) -> dict[str, Change]:
        return {c.migration.script: c for c in self.changes}


def python_content_id(m: Migration) -> str:
    """A Python migration's content id (its syntax tree)."""
    from flywayx.statements.content_id import content_id_of_python

    return content_id_of_python(read_migration_text(m.path, m.encoding))


def analyse(s: Session) -> Analysed:
    """Content id of every versioned/baseline/repeatable migration now; footprints as they are
    needed (``service/analysis.py``: in a background worker for large projects). Each file is read
    and split once (its text comes from the scan); with the analysis cache, a file analysed before
    is not split again (``cached_analysis``), and a project whose migrations are all as in an earlier
    run takes content ids and footprints from that run's memo and decodes statements only when asked
    (``_from_memo``)."""
    from flywayx import operations
    from flywayx.model.plan import UNKNOWN_FOOTPRINT, Change
    from flywayx.statements.content_id import content_id

    statements: Later[list[Statement] | None] = Later()
    ids: dict[str, str] = {}
    server = _server_version(s)
    sql = [m for m in s.found.migrations if not m.is_python and not operations.is_operations(m.path)]
    for m in s.found.migrations:
        if m.is_python:
            ids[m.script] = python_content_id(m)
            statements[m.script] = None
        elif operations.is_operations(m.path):
            stmts = load_statements(m, s.config, s.placeholders, s.dialect, s.found.texts.get(m.path))
            statements[m.script], ids[m.script] = stmts, content_id(stmts, s.dialect)
            s.statements[m.script] = (m.path, stmts)
    keys = _keys(s, sql, server)
    prints = _from_memo(s, sql, keys, statements, ids) if keys is not None else None
    if prints is None:
        prints = _analysed_one_by_one(s, sql, keys, server, statements, ids)
    s.cleanups.append(prints.close)
    changes = [
        Change(
            m,
            ids[m.script],
            _operations_footprint(s, m)
            if operations.is_operations(m.path)
            else UNKNOWN_FOOTPRINT
            if m.is_python
            else prints.of(m.script),
        )
        for m in s.found.migrations
    ]
    return Analysed(changes, statements)


def _keys(s: Session, sql: Sequence[Migration], server: str | None) -> list[str] | None:
    """The analysis cache keys of the SQL migrations, in order; None without the cache."""
    if s.cache is None:
        return None
    dialect = s.dialect  # once: a remembered answer's session notes each read of the connection
    return [_key(s, m, server, dialect) for m in sql]


def _key(s: Session, m: Migration, server: str | None, dialect: str) -> str:
    assert s.cache is not None
    key = _entry_key(s, m, s.found.texts.get(m.path), server, dialect)
    if key is None:  # the file was not read (unchanged since an earlier scan) but placeholders change it
        key = s.cache.entry_key(sql_text(m, s.config, s.placeholders, file_text(s, m)), dialect, server)
    return key


def _from_memo(
    s: Session,
    sql: Sequence[Migration],
    keys: Sequence[str],
    statements: Later[list[Statement] | None],
    ids: dict[str, str],
) -> Footprints | None:
    """Content ids and footprints from the memo of an earlier run over the same migrations (the same
    keys in the same order); each one's statements decoded from its entry when first asked for."""
    from flywayx.plan.mixed import check_mixed
    from flywayx.service.analysis import Footprints, load_memo

    assert s.cache is not None
    memo = load_memo(s.cache.read_memo(s.cache.memo_key(keys)), [m.script for m in sql])
    if memo is None:
        return None
    _, content_ids, footprints, mixed = memo
    for m, key, cid, mixes in zip(sql, keys, content_ids, mixed, strict=True):
        ids[m.script] = cid
        statements.later(m.script, functools.partial(_decoded, s, m, key))
        s.statements.later(m.script, functools.partial(_with_path, m, statements))
        if mixes:  # Flyway's rule needs the statements of this one
            check_mixed(statements[m.script] or [], s.config.mixed, m.script)
    return Footprints([], s.dialect, None, known={m.script: fp for m, fp in zip(sql, footprints, strict=True)})


def _decoded(s: Session, m: Migration, key: str) -> list[Statement] | None:
    """``m``'s statements from its cache entry (``_from_memo``: asked for late); split again when the
    entry is gone or damaged."""
    from flywayx.statements.codec import load_statements as load_statements_json
    from flywayx.statements.splitter import split

    assert s.cache is not None
    entry = s.cache.get(key)
    with contextlib.suppress(ValueError):
        if entry is not None:
            return load_statements_json(entry.get("statements"))
    return split(sql_text(m, s.config, s.placeholders, file_text(s, m)), s.dialect, path=m.script)


def _with_path(m: Migration, statements: Mapping[str, list[Statement] | None]) -> tuple[str, list[Statement]]:
    return m.path, statements[m.script] or []


def _analysed_one_by_one(
    s: Session,
    sql: Sequence[Migration],
    keys: Sequence[str] | None,
    server: str | None,
    statements: Later[list[Statement] | None],
    ids: dict[str, str],
) -> Footprints:
    from flywayx.service.analysis import Footprints

    slots: dict[str, Slot] = {}
    dialect = s.dialect  # once: a remembered answer's session notes each read of the connection
    for i, m in enumerate(sql):
        stmts, ids[m.script], slot = cached_analysis(s, m, server, keys[i] if keys is not None else None, dialect)
        statements[m.script] = stmts
        s.statements[m.script] = (m.path, stmts)
        if slot is not None:
            slots[m.script] = slot
    jobs = [(m.script, statements[m.script] or []) for m in sql]
    return Footprints(jobs, dialect, server, s.cache, slots)


def cached_analysis(
    s: Session, m: Migration, server: str | None, key: str | None = None, dialect: str | None = None
) -> tuple[list[Statement], str, Slot | None]:
    """(statements, content id, cache slot) of a SQL migration: from its cache entry when there is a
    valid one, else split and hashed here (its footprint and entry follow in ``Footprints``).
    ``key``: its cache key, ``dialect`` the session's, when the caller has them."""
    from flywayx.plan.mixed import check_mixed
    from flywayx.service.analysis import Slot
    from flywayx.statements.codec import load_statements as load_statements_json
    from flywayx.statements.content_id import content_id
    from flywayx.statements.splitter import split

    dialect = s.dialect if dialect is None else dialect
    if s.cache is None:
        stmts = split(sql_text(m, s.config, s.placeholders, file_text(s, m)), dialect, path=m.script)
        check_mixed(stmts, s.config.mixed, m.script)
        return stmts, content_id(stmts, dialect), None
    key = key if key is not None else _key(s, m, server, dialect)
    entry = s.cache.get(key)
    try:
        if entry is None or not isinstance(entry.get("content_id"), str):
            raise ValueError("no entry")
        stmts = load_statements_json(entry.get("statements"))
        cid = str(entry["content_id"])
    except ValueError:
        entry = None
        stmts = split(sql_text(m, s.config, s.placeholders, file_text(s, m)), dialect, path=m.script)
        cid = content_id(stmts, dialect)
    check_mixed(stmts, s.config.mixed, m.script)
    return stmts, cid, Slot(key, cid, {"prints": entry.get("prints")} if entry is not None else None)


def _entry_key(s: Session, m: Migration, text: str | None, server: str | None, dialect: str) -> str | None:
    """The analysis cache key of ``m``'s text as it is split: from the digest the scan took of the file's
    text (``ScanResult.digests``; the file read or not) when no placeholder replacement changes it, else
    from the text the scan read; None when the file must be read for it."""
    assert s.cache is not None
    known = s.found.digests.get(m.path)
    if text is not None:
        split_text = sql_text(m, s.config, s.placeholders, text)
        if split_text is text and known is not None:  # nothing replaced: the digest is the text's
            return s.cache.entry_key_of_digest(known[0], dialect, server)
        return s.cache.entry_key(split_text, dialect, server)
    if known is None:
        return None
    digest, has_prefix = known
    replace = m.placeholder_replacement if m.placeholder_replacement is not None else s.config.placeholder_replacement
    prefix, suffix = s.config.placeholder_prefix, s.config.placeholder_suffix
    if replace and (has_prefix or not (prefix and suffix)):  # as ``sql_text`` decides
        return None
    return s.cache.entry_key_of_digest(digest, dialect, server)


def _operations_footprint(s: Session, m: Migration) -> Footprint:
    """An operations file's part declares its footprint exactly: the planner never guesses it from SQL."""
    from flywayx import operations

    text = read_migration_text(m.path, m.encoding, s.config.detect_encoding)
    return operations.part(text, m.path, m.script, s.dialect).footprint


def _server_version(s: Session) -> str | None:
    try:
        return s.db.server_version()
    except Exception:
        return None


def line_records(s: Session) -> list[LineRecord]:
    from flywayx.model.plan import LineRecord

    if not s.history.exists() or not s.own.exists():
        return []
    out = []
    for row in s.own.applied():
        if row["version"] and row["success"]:
            out.append(LineRecord(Version.parse(row["version"]), row["content_id"], row["release_name"]))
    return out


def make_plan(
    s: Session, graph: ReleaseGraph, analysed: Analysed, target: str | None, rows: Sequence[HistoryRow] | None = None
) -> Plan:
    """The plan to ``target`` from ``rows`` (default: the history as it is now); raises PlanError."""
    from flywayx.plan.interleave import plan_migrate
    from flywayx.service import known

    away = known_elsewhere(s, graph)
    return plan_migrate(
        graph,
        analysed.changes,
        s.rows() if rows is None else rows,
        target,
        line_records=known.with_known_ids(line_records(s), away),
        policy=dict(graph.ordering),
        elsewhere=away.content_ids,
    )


def ledger(s: Session, graph: ReleaseGraph, analysed: Analysed, rows: Sequence[HistoryRow]) -> Ledger:
    """The history contract's ledger over ``rows``, knowing what the planner knows (``plan/ledger.py``)."""
    from flywayx.plan.ledger import Ledger
    from flywayx.service import known

    away = known_elsewhere(s, graph)
    return Ledger(graph, analysed.changes, rows, known.with_known_ids(line_records(s), away), away.content_ids)


def shipped_elsewhere(s: Session, graph: ReleaseGraph, issue: ValidationIssue) -> bool:
    """A "not resolved locally" migration of a release of another branch: the planner knows it
    (by content id or a declared equivalence) and decides whether the path is possible."""
    from flywayx.service import known

    return (
        issue.code == "APPLIED_VERSIONED_MIGRATION_NOT_RESOLVED"
        and issue.version is not None
        and known.from_another_branch(graph, Version.parse(issue.version), s.found.migrations)
    )


def select_phase(plan: Plan, phase: str | None, analysed: Analysed) -> list[PlanStep]:
    """``expand``: the expand steps that depend on no pending contract step; ``contract``/None: all."""
    from flywayx.model.footprint import Footprint, Phase, shared_objects

    if phase != "expand":
        return list(plan.steps)
    prints = {c.migration.script: c.footprint for c in analysed.changes}
    blocked: list[Footprint] = []
    chosen = []
    for step in plan.steps:
        fp = prints.get(step.migration.script, Footprint())
        if step.phase is Phase.EXPAND and not any(shared_objects(b, fp) for b in blocked):
            chosen.append(step)
        else:
            blocked.append(fp)
    return chosen


def flyway_plan(s: Session, analysed: Analysed) -> Plan:
    """Flyway's order, as ``info`` computes it: pending versions ascending (out-of-order ones only
    with outOfOrder), then new or changed repeatables by description; nothing else runs."""
    from flywayx.model.plan import Plan, PlanStep

    result = s.info()
    current = result.current()
    at = current.version if current is not None else None
    by_script = {c.migration.script: c for c in analysed.changes}
    applied_repeatables = {r.description for r in s.rows() if r.version is None}
    steps = []
    for m in result.pending():
        if m.resolved is None:
            continue
        if m.version is None:
            why = "repeatable: checksum changed" if m.description in applied_repeatables else "repeatable: new"
        else:
            why = "pending (plain Flyway order: no releases.toml)"
        late = m.version is not None and at is not None and m.version < at
        steps.append(PlanStep(by_script[m.resolved.script], None, None, why, late))
    return Plan(tuple(steps), None, (), tuple(s.found.warnings), from_version=at.text if at is not None else None)


def release_columns(s: Session, graph: ReleaseGraph) -> dict[str, tuple[str | None, str | None]]:
    """version text -> (release, line) for info's extra columns, for the migrations here and the
    applied ones whose file is not (another branch's)."""
    out: dict[str, tuple[str | None, str | None]] = {}
    versions = [(m.version, m.kind.value == "baseline") for m in s.found.migrations if m.version is not None]
    versions += [(r.version, False) for r in s.rows() if r.version is not None and not r.version.is_special]
    for version, baseline in versions:
        if version.text in out:
            continue
        owner = graph.owner(version, inclusive=baseline)
        release = graph.get(owner) if owner else None
        out[version.text] = (owner, release.line if release else (owner.split(" ")[0] if owner else None))
    return out


def current(s: Session, graph: ReleaseGraph) -> list[str]:
    from flywayx.plan.releases import infer_releases

    applied = [r.version for r in s.rows() if r.version is not None and r.success and r.type.upper() != "DELETE"]
    matches = infer_releases(graph, s.found.migrations, applied, known_elsewhere(s, graph).content_ids)
    exact = [m.release for m in matches if m.exact]
    if exact or not matches:
        return exact
    return [f"{m.release} (partly: {len(m.missing)} of its migrations not applied)" for m in matches]


def phase_state(s: Session) -> str | None:
    """ "expanded to R, contract pending" when the last run was an expand phase."""
    if not s.history.exists() or not s.own.exists():
        return None
    runs = [r for r in s.own.runs() if r["outcome"] in ("expanded", "success")]
    if runs and runs[-1]["outcome"] == "expanded":
        return f"expanded to {runs[-1]['to_release']}, contract pending"
    return None


def graph_view(s: Session, target: str | None) -> tuple[ReleaseGraph, list[str], list[str]]:
    """The graph, the database's current releases and the releases the plan to ``target`` passes."""
    from flywayx.plan.releases import current_releases

    graph = require_graph(s)
    applied = [r.version for r in s.rows() if r.version is not None and r.success and r.type.upper() != "DELETE"]
    status = current_releases(graph, s.found.migrations, applied, known_elsewhere(s, graph).content_ids)
    now = [name for name in status.values() if name]
    path: list[str] = []
    if target is not None:
        plan = make_plan(s, graph, analyse(s), target)
        path = sorted({st.release for st in plan.steps if st.release})
    return graph, now, path
