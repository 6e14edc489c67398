"""``--fleet fleet.toml``: run ``migrate``, ``info``, ``validate`` or ``plan`` on many databases.

A fleet file lists targets, by URL or by a query that lists them (one database or schema per tenant)::

    targets = ["mysql://app@db1/tenant_a", "mysql://app@db2/tenant_b"]

    [[target]]
    name = "eu"                                   # optional; default: the URL without its password
    url = "postgresql://app@pg-eu/app"
    schemas = ["eu"]                              # optional

    [[query]]                                     # one target per row the query returns
    url = "mysql://root@127.0.0.1:3306/"          # where the query runs
    sql = "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'tenant%'"
    target = "mysql://app@127.0.0.1:3306/{0}"     # {0}, {1}: the row's columns
    schemas = "{0}"                               # optional (PostgreSQL: a schema per tenant)
    name = "{0}"                                  # optional

Every target runs with the command's own configuration (locations, placeholders, …) and its own URL,
user, password and schemas. ``run_fleet``:

- runs up to ``jobs`` targets at once, each on its own thread and connection, each isolated: a failure
  is that target's result, and the others go on — unless ``fail_fast``, where no further target starts;
- ``canary``: the first N targets run (and must all succeed) before any other starts;
- ``migrate`` first asks each target, read-only, what it would apply (``--dry-run``); a target already
  at the goal is not touched (no lock, no run record), so a rerun changes only the targets left behind;
- reports each target's start, its migrations and its end to ``progress`` as they happen;
- stops starting targets after a SIGINT/SIGTERM (the running ones stop at their next statement boundary).
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from flywayx.apply import interrupt
from flywayx.config.urls import parse_url
from flywayx.errors import ConfigError, FlywayxError
from flywayx.model import Config
from flywayx.model.info import State
from flywayx.service import core, status

Progress = Callable[[str, "Target", dict[str, Any]], None]
COMMANDS = ("migrate", "info", "validate", "plan")


@dataclass(frozen=True)
class Target:
    """One database of the fleet."""

    name: str
    url: str = field(repr=False)  # may hold a password: show ``name``
    schemas: tuple[str, ...] = ()


@dataclass
class TargetResult:
    """What happened on one target. ``status``: ``migrated``, ``at goal``, ``behind`` (info/plan: work
    left), ``valid``, ``invalid``, ``failed`` or ``skipped`` (never started)."""

    target: Target
    status: str
    before: str | None = None
    after: str | None = None
    count: int = 0  # migrate: applied; info/plan: pending steps; validate: invalid migrations
    seconds: float = 0.0
    error: str | None = None
    hint: str | None = None

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "invalid")

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target.name,
            "status": self.status,
            "from": self.before,
            "to": self.after,
            "count": self.count,
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "hint": self.hint,
        }


@dataclass
class FleetReport:
    command: str
    jobs: int
    results: list[TargetResult]
    seconds: float
    canary: int = 0
    stopped: str | None = None  # why targets were skipped (fail-fast, canary failure, a signal)

    @property
    def failed(self) -> bool:
        return self.stopped is not None or any(r.failed for r in self.results)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results:
            out[r.status] = out.get(r.status, 0) + 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "operation": "fleet",
            "command": self.command,
            "jobs": self.jobs,
            "canary": self.canary,
            "seconds": round(self.seconds, 3),
            "failed": self.failed,
            "stopped": self.stopped,
            "counts": self.counts(),
            "targets": [r.to_json() for r in self.results],
        }


# --------------------------------------------------------------------------------------------- targets


def load_fleet(path: Path) -> list[Target]:
    """The targets of ``path`` in file order (URLs, ``[[target]]`` tables, then each ``[[query]]``'s rows)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"fleet file {path} not found", hint="pass the path of a fleet.toml to --fleet") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"cannot read fleet file {path}: {err}", hint="fix the TOML syntax") from None
    unknown = sorted(set(data) - {"targets", "target", "query"})
    if unknown:
        raise ConfigError(
            f"fleet file {path}: unknown key(s) {', '.join(unknown)}",
            hint="a fleet file has `targets`, `[[target]]` and `[[query]]` only",
        )
    found = [_target({"url": u} if isinstance(u, str) else u, path) for u in _list(data.get("targets", []), path)]
    found += [_target(t, path) for t in _list(data.get("target", []), path)]
    for q in _list(data.get("query", []), path):
        found += list(_query_targets(q, path))
    names = [t.name for t in found]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(
            f"fleet file {path}: target {twice[0]} is listed twice",
            hint="each target once (give a `name` to tell apart two schemas of one database)",
        )
    if not found:
        raise ConfigError(f"fleet file {path} lists no target", hint='add `targets = ["url", …]` or a [[query]]')
    return found


def _list(value: Any, path: Path) -> list[Any]:
    if not isinstance(value, list):
        raise ConfigError(f"fleet file {path}: expected a list, got {value!r}", hint="see docs/operations.md#fleets")
    return value


def _target(entry: Any, path: Path) -> Target:
    if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
        raise ConfigError(f"fleet file {path}: a target needs a `url` string", hint='e.g. url = "mysql://…/db"')
    url = parse_url(entry["url"])  # refuses a malformed URL now, before any target runs
    schemas = entry.get("schemas", [])
    schemas = [s.strip() for s in schemas.split(",")] if isinstance(schemas, str) else list(schemas)
    return Target(str(entry.get("name") or url.redacted), entry["url"], tuple(s for s in schemas if s))


def _query_targets(q: Any, path: Path) -> Iterator[Target]:
    """Run the query and turn each row into a target through the templates."""
    from flywayx.db.connect import connect

    if not isinstance(q, dict) or not all(isinstance(q.get(k), str) for k in ("url", "sql", "target")):
        raise ConfigError(
            f"fleet file {path}: a [[query]] needs `url`, `sql` and `target` strings",
            hint="see docs/operations.md#fleets",
        )
    source = parse_url(q["url"])
    db = connect(source, user=source.user, password=source.password)
    try:
        rows = db.query(q["sql"])
    finally:
        db.close()
    for row in rows:
        values = [str(v) for v in row]
        try:
            entry = {
                "url": q["target"].format(*values),
                "schemas": str(q.get("schemas", "")).format(*values),
                "name": str(q.get("name", "")).format(*values),
            }
        except (IndexError, KeyError, ValueError) as err:
            raise ConfigError(
                f"fleet file {path}: the [[query]] template does not fit its rows ({err})",
                hint="{0} is the first column of a row, {1} the second, …",
            ) from None
        yield _target(entry, path)


def target_config(base: Config, t: Target) -> Config:
    """The command's configuration with the target's URL, credentials and schemas."""
    url = parse_url(t.url)
    return replace(
        base,
        url=url,
        user=url.user or base.user,
        password=url.password or base.password,
        schemas=t.schemas or base.schemas,
        default_schema=None if t.schemas else base.default_schema,
    )


# ------------------------------------------------------------------------------------------------- run


@dataclass(frozen=True)
class FleetOptions:
    command: str  # one of COMMANDS
    jobs: int = 1
    fail_fast: bool = False
    canary: int = 0
    to_release: str | None = None  # migrate/plan --to
    phase: str | None = None


def run_fleet(base: Config, targets: list[Target], opts: FleetOptions, progress: Progress) -> FleetReport:
    """Run ``opts.command`` on every target (see the module docstring); never raises for a target's failure."""
    started = time.monotonic()
    results: dict[int, TargetResult] = {}
    stop: list[str] = []
    order = list(enumerate(targets))
    canary, rest = order[: opts.canary], order[opts.canary :]
    jobs = max(1, opts.jobs)
    for batch, is_canary in ((canary, True), (rest, False)):
        if stop or not batch:
            continue
        _run_batch(base, batch, opts, progress, results, stop, jobs)
        if is_canary and not stop and any(results[i].failed for i, _ in batch):
            stop.append(f"a canary target failed: the other {len(rest)} target(s) were not started")
    for i, t in order:
        results.setdefault(i, TargetResult(t, "skipped"))
    return FleetReport(
        opts.command,
        jobs,
        [results[i] for i, _ in order],
        time.monotonic() - started,
        opts.canary,
        stop[0] if stop else None,
    )


def _run_batch(
    base: Config,
    batch: list[tuple[int, Target]],
    opts: FleetOptions,
    progress: Progress,
    results: dict[int, TargetResult],
    stop: list[str],
    jobs: int,
) -> None:
    waiting = list(batch)
    running: dict[Future[TargetResult], int] = {}
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="flywayx-fleet") as pool:
        while waiting or running:
            while waiting and len(running) < jobs and not stop:
                i, t = waiting.pop(0)
                running[pool.submit(run_target, base, t, opts, progress)] = i
            if not running:
                break
            try:
                done, _ = wait(running, return_when=FIRST_COMPLETED, timeout=0.5)
            except FlywayxError as err:  # a signal while no migration ran (apply.interrupt)
                stop.append(f"stopped by {err.message}")
                continue
            for future in done:
                i = running.pop(future)
                results[i] = future.result()
                if results[i].failed and opts.fail_fast and not stop:
                    stop.append(f"--fail-fast: {results[i].target.name} failed; no further target was started")
            if interrupt.stopping() is not None and not stop:
                stop.append("stopped by a signal; no further target was started")


def run_target(base: Config, t: Target, opts: FleetOptions, progress: Progress) -> TargetResult:
    """One target, start to end; every error becomes the target's ``failed`` result."""
    started = time.monotonic()
    progress("target.start", t, {})
    try:
        config = target_config(base, t)
        result = _COMMAND[opts.command](config, t, opts, progress)
    except FlywayxError as err:
        result = TargetResult(
            t, "failed", error=err.message.splitlines()[0] if err.message else type(err).__name__, hint=err.hint
        )
    except Exception as err:  # a driver or OS error this target met: isolate it like any failure
        result = TargetResult(t, "failed", error=f"{type(err).__name__}: {err}".splitlines()[0])
    result.seconds = time.monotonic() - started
    progress("target.done", t, {"result": result})
    return result


def _migrate(config: Config, t: Target, opts: FleetOptions, progress: Progress) -> TargetResult:
    options = core.MigrateOptions(to_release=opts.to_release, phase=opts.phase)
    preview = core.migrate(config, replace(options, dry_run=True))
    pending = len(preview.applied) + len(preview.recorded)
    if pending == 0:  # at the goal: not touched
        return TargetResult(t, "at goal", preview.initial_version, preview.initial_version)
    progress("target.pending", t, {"count": pending})

    applied = [0]

    def report(event: str, data: dict[str, Any]) -> None:
        if event == "migration.done":
            applied[0] += 1
            progress("migration.done", t, {"migration": data["migration"], "index": applied[0], "of": pending})

    done = core.migrate(config, options, report)
    return TargetResult(
        t,
        "migrated" if done.applied or done.recorded else "at goal",
        done.initial_version,
        done.target_version,
        len(done.applied),
    )


def _info(config: Config, t: Target, opts: FleetOptions, progress: Progress) -> TargetResult:
    report = status.info(config)
    pending = sum(1 for m in report.migrations if m.state == State.PENDING)
    return TargetResult(t, "behind" if pending else "at goal", report.schema_version, report.schema_version, pending)


def _validate(config: Config, t: Target, opts: FleetOptions, progress: Progress) -> TargetResult:
    report = status.validate(config)
    if report.successful:
        return TargetResult(t, "valid")
    first = report.invalid[0]
    return TargetResult(
        t,
        "invalid",
        count=len(report.invalid),
        error=first.message.splitlines()[0],
        hint="run `flywayx validate` on this target for every finding",
    )


def _plan(config: Config, t: Target, opts: FleetOptions, progress: Progress) -> TargetResult:
    view = core.plan(config, opts.to_release, opts.phase)
    steps = len(view.steps)
    return TargetResult(t, "behind" if steps else "at goal", None, view.plan.target, steps)


_COMMAND: dict[str, Callable[[Config, Target, FleetOptions, Progress], TargetResult]] = {
    "migrate": _migrate,
    "info": _info,
    "validate": _validate,
    "plan": _plan,
}

__all__ = [
    "COMMANDS",
    "FleetOptions",
    "FleetReport",
    "Target",
    "TargetResult",
    "load_fleet",
    "run_fleet",
    "run_target",
    "target_config",
]
