"""``flywayx explain``: what each file is and exactly what it will send. No database needed.

Each SQL file also gets its ``content_id`` and combined ``phase``; each statement its ``phase``,
the objects it ``reads`` and ``writes`` (flywayx/model/footprint.py names), its ``lock`` impact
(INSTANT/INPLACE/COPY on MySQL/MariaDB, the lock level on PostgreSQL, null when none or unknown)
and the analyser's ``notes`` when it has any."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from typing import Any

from flywayx import operations
from flywayx.errors import FlywayxError
from flywayx.model import Config, Kind, Statement
from flywayx.model.footprint import Footprint
from flywayx.service.analysis import Slot, analyse_tracked, reuse, store
from flywayx.service.forks import spread_groups
from flywayx.sources.analysis_cache import AnalysisCache, open_cache
from flywayx.sources.checksum import checksum_of_text, read_migration_text
from flywayx.sources.names import NamingConfig, parse_resource_name
from flywayx.sources.placeholders import replace_placeholders, with_filename
from flywayx.sources.scan import script_config
from flywayx.statements.analyze import analyze_statement, make_context
from flywayx.statements.codec import load_footprint, load_statements
from flywayx.statements.content_id import content_id
from flywayx.statements.splitter import split


def explain_files(paths: list[str], dialect: str, config: Config) -> list[dict[str, Any]]:
    """One dict per file: kind, version, description, checksum, statements — or the error. Each file is
    analysed on its own (a fresh analysis context), through the analysis cache unless it is off. Every
    file is read here; those with a cache entry are answered here, and only the others are spread over
    the cores (a warm run forks nothing)."""
    naming = NamingConfig.from_config(config)
    cache = open_cache(config.cache_dir, config.cache, os.environ)
    try:
        prepared = [_prepare(p, dialect, config, naming) for p in paths]
        todo = []
        for i, (out, sql) in enumerate(prepared):
            known = _from_cache(sql, dialect, cache) if sql is not None else None
            if known is not None:
                out.update(known)
            elif sql is not None:
                todo.append(i)

        def group(indices: Sequence[int]) -> list[dict[str, Any]]:
            return [_analysed_or_error(prepared[i][1] or "", dialect, prepared[i][0]["file"], cache) for i in indices]

        # a forked child writes its own entries, after handing its results over; this process at close
        flush = cache.flush if cache is not None else None
        sizes = [len(prepared[i][1] or "") for i in todo]
        for i, found in zip(todo, spread_groups(group, todo, sizes, SPREAD_MIN_BYTES, flush), strict=True):
            prepared[i][0].update(found)
        return [out for out, _ in prepared]
    finally:
        if cache is not None:
            cache.close()


# Below this many bytes of SQL, a second process costs more than it saves (fork, pickling the results).
SPREAD_MIN_BYTES = 512 * 1024


def _from_cache(sql: str, dialect: str, cache: AnalysisCache | None) -> dict[str, Any] | None:
    """content_id, phase and statements of one file's SQL from its cache entry; None without one."""
    if cache is None:
        return None
    entry = cache.get(cache.entry_key(sql, dialect))
    reused = reuse(entry, make_context(dialect)) if entry is not None else None
    if entry is None or reused is None or reused[0] is None or not isinstance(entry.get("content_id"), str):
        return None  # no entry, or one a plan wrote without the per-statement footprints
    with contextlib.suppress(ValueError, TypeError):
        statements = load_statements(entry.get("statements"))
        parts = json.loads(reused[0])
        if isinstance(parts, list) and len(parts) == len(statements):
            return {
                "content_id": entry["content_id"],
                "phase": reused[1].phase.value,
                "statements": [_statement(s, load_footprint(fp)) for s, fp in zip(statements, parts, strict=True)],
            }
    return None


def _analysed_or_error(sql: str, dialect: str, path: str, cache: AnalysisCache | None) -> dict[str, Any]:
    try:
        return _analysed(sql, dialect, path, cache)
    except FlywayxError as err:
        return {"error": err.message}


def _analysed(sql: str, dialect: str, path: str, cache: AnalysisCache | None) -> dict[str, Any]:
    """content_id, phase and statements of one file's SQL, analysed (and stored in the cache)."""
    statements = split(sql, dialect, path=path)
    done = analyse_tracked(statements, dialect, make_context(dialect))
    cid = content_id(statements, dialect, lexed=True)  # the analysis just tokenised them
    if cache is not None:
        store(cache, Slot(cache.entry_key(sql, dialect), cid), statements, done)
    return {
        "content_id": cid,
        "phase": done.combined.phase.value,
        "statements": [_statement(s, fp) for s, fp in zip(statements, done.parts, strict=True)],
    }


def _prepare(path: str, dialect: str, config: Config, naming: NamingConfig) -> tuple[dict[str, Any], str | None]:
    """What the file is, and the SQL to analyse (placeholders replaced); None when nothing is to be
    analysed (an operations or Python file, a misnamed one, an error)."""
    out: dict[str, Any] = {"file": path}
    if operations.is_operations(path):
        return _explain_operations(path, dialect, config, naming, out), None
    name = parse_resource_name(os.path.basename(path), prefixes=naming)
    if not name.valid and not (name.error or "").startswith("Unrecognised migration name format"):
        out["error"] = name.error  # looks like a migration but is misnamed: Flyway would skip it
        return out, None
    # a plain .sql file (no migration prefix) is still explained: kind "file", the statements it sends
    out.update(
        {
            "kind": name.kind.value if name.valid and name.kind else "file",
            "version": name.version.text if name.version is not None else None,
            "description": name.description,
        }
    )
    try:
        conf = script_config(path, config)
        text = read_migration_text(path, conf.encoding or config.encoding, config.detect_encoding)
        out["checksum"] = checksum_of_text(text)
        if path.endswith(".py"):
            out["statements"] = []
            out["python"] = True
            return out, None
        sql = text
        replace = conf.placeholder_replacement
        if replace if replace is not None else config.placeholder_replacement:
            values = with_filename(config.placeholder_map, name.rebuilt_filename, config.placeholder_separator)
            sql = replace_placeholders(
                text, values, config.placeholder_prefix, config.placeholder_suffix, config.placeholder_separator
            )
            if name.kind is Kind.REPEATABLE:
                out["checksum"] = checksum_of_text(sql)
    except FlywayxError as err:
        out["error"] = err.message
        return out, None
    return out, sql


def _explain_operations(
    path: str, dialect: str, config: Config, naming: NamingConfig, out: dict[str, Any]
) -> dict[str, Any]:
    """An operations file: the SQL of each phase, and the migrations (parts) it is recorded as."""
    name = parse_resource_name(os.path.basename(path), prefixes=naming.with_suffixes((operations.SUFFIX,)))
    out.update(
        {
            "kind": "operations",
            "version": name.version.text if name.version is not None else None,
            "description": name.description,
        }
    )
    try:
        text = read_migration_text(path, config.encoding, config.detect_encoding)
        out["checksum"] = checksum_of_text(text)
        compiled = operations.compiled(text, path, dialect)
        ctx = make_context(dialect)
        out["phases"] = {
            phase: [
                {
                    "line": s.line,
                    "sql": s.sql,
                    "transactional": s.transactional,
                    "lock": analyze_statement(s, dialect, context=ctx).lock,
                }
                for s in stmts
            ]
            for phase, stmts in compiled.by_phase.items()
        }
        out["notOnline"] = [
            {"phase": phase, "line": line, "note": note}
            for phase, notes in compiled.notes.items()
            for line, note in notes
        ]
        parts = [(out["version"], compiled.first)]
        if compiled.contract is not None:
            declared = operations.parse(text, path).contract_version
            parts.append((declared or (f"{out['version']}.1" if out["version"] else None), compiled.contract))
        out["parts"] = [
            {
                "version": v,
                "phase": p.phase.value,
                "statements": len(p.statements),
                "reads": sorted(p.footprint.reads),
                "writes": sorted(p.footprint.writes),
            }
            for v, p in parts
        ]
    except FlywayxError as err:
        out["error"] = err.message
    return out


def _render_operations(result: dict[str, Any]) -> str:
    lines = [
        result["file"],
        f"  kind: operations  version: {result.get('version') or '-'}  "
        f"description: {result.get('description')!r}  checksum: {result.get('checksum')}",
    ]
    if "error" in result:
        lines.append(f"  error: {result['error']}")
    for part in result.get("parts", []):
        lines.append(
            f"  migration {part['version']}: phase {part['phase']}, {part['statements']} statement(s); "
            f"writes {', '.join(part['writes']) or '-'}"
        )
    for n in result.get("notOnline", []):
        lines.append(f"  not online ({n['phase']}, line {n['line']}): {n['note']}")
    for phase, stmts in result.get("phases", {}).items():
        lines.append(f"  -- {phase} ({len(stmts)} statement(s))")
        for s in stmts:
            lock = f"  [lock: {s['lock']}]" if s.get("lock") else ""
            lines.append(f"  -- line {s['line']}{lock}{'' if s['transactional'] else '  [outside a transaction]'}")
            lines.extend("    " + ln for ln in s["sql"].splitlines())
    return "\n".join(lines) + "\n"


def _statement(s: Statement, fp: Footprint) -> dict[str, Any]:
    """A statement with its footprint: phase, objects read and written (sorted), lock impact."""
    out: dict[str, Any] = {
        "line": s.line,
        "sql": s.sql,
        "phase": fp.phase.value,
        "reads": sorted(fp.reads),
        "writes": sorted(fp.writes),
        "lock": fp.lock,
    }
    if fp.notes:
        out["notes"] = list(fp.notes)
    return out


def render_text(result: dict[str, Any]) -> str:
    if result.get("kind") == "operations":
        return _render_operations(result)
    head = f"{result['file']}"
    if "error" in result and "kind" not in result:
        return f"{head}\n  error: {result['error']}\n"
    lines = [
        head,
        f"  kind: {result.get('kind')}  version: {result.get('version') or '-'}  "
        f"description: {result.get('description')!r}  checksum: {result.get('checksum')}",
    ]
    for key in ("content_id", "phase"):
        if key in result:
            lines.append(f"  {key}: {result[key]}")
    if "error" in result:
        lines.append(f"  error: {result['error']}")
    for i, s in enumerate(result.get("statements", []), 1):
        extra = "".join(f"  [{k}: {s[k]}]" for k in ("phase", "lock") if s.get(k))
        lines.append(f"  -- statement {i}, line {s['line']}{extra}")
        for k in ("reads", "writes"):
            if s.get(k):
                lines.append(f"  -- {k}: {', '.join(s[k])}")
        for n in s.get("notes", []):
            lines.append(f"  -- note: {n}")
        lines.extend("    " + ln for ln in s["sql"].splitlines())
    return "\n".join(lines) + "\n"
