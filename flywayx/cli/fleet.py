"""``--fleet fleet.toml`` on ``migrate``, ``info``, ``validate`` and ``plan`` (``flywayx.service.fleet``).

Live progress goes to stderr, one line per event and target (``[3/200] tenant_7: V12 add_index (12 of
50)``), so stdout keeps the one summary table, or the one JSON document with ``--output-type json``.
The exit code is 1 when any target failed or was left unstarted by ``--fail-fast``/``--canary``.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from flywayx.cli.app import GIVEN_KEY_OPTIONS, config_from, emit_json, json_mode, say
from flywayx.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])

# options of a command that mean something for every target (the rest refuse --fleet)
_PASSED = {
    "migrate": {
        "target",
        "out_of_order",
        "baseline_on_migrate",
        "ignore_migration_patterns",
        "validate_on_migrate",
        "to_release",
        "phase",
    },
    "info": {"target", "out_of_order"},
    "validate": {"target", "out_of_order", "ignore_migration_patterns"},
    "plan": {"to_release", "phase"},
}


def fleet_options(command: str) -> Callable[[F], F]:
    """Add ``--fleet``, ``-j``, ``--fail-fast`` and ``--canary`` to ``command``; with ``--fleet`` the command
    runs on every target instead of the configured URL. Goes right above the ``def``."""

    def wrap(f: F) -> F:
        @functools.wraps(f)
        def inner(
            ctx: click.Context,
            *args: Any,
            fleet: str | None = None,
            jobs: int = 1,
            fail_fast: bool = False,
            canary: int = 0,
            **kwargs: Any,
        ) -> Any:
            if fleet is None:
                if jobs != 1 or fail_fast or canary:
                    raise UsageError(
                        "-j, --fail-fast and --canary only go with --fleet",
                        hint="pass --fleet fleet.toml, or leave them out",
                    )
                return f(ctx, *args, **kwargs)
            return run_fleet_command(ctx, command, Path(fleet), jobs, fail_fast, canary, kwargs)

        options = [
            click.option(
                "--fleet",
                type=click.Path(dir_okay=False),
                default=None,
                help="Run on every target of this fleet file (URLs, or a query listing tenants).",
            ),
            click.option(
                "-j",
                "--jobs",
                type=click.IntRange(1, 64),
                default=1,
                help="With --fleet: targets run at once (default 1).",
            ),
            click.option("--fail-fast", is_flag=True, help="With --fleet: start no further target after a failure."),
            click.option(
                "--canary",
                type=click.IntRange(0),
                default=0,
                help="With --fleet: run the first N targets first; stop if any fails.",
            ),
        ]
        for option in options:
            inner = option(inner)
        return inner  # type: ignore[return-value]

    return wrap


def run_fleet_command(
    ctx: click.Context, command: str, path: Path, jobs: int, fail_fast: bool, canary: int, kwargs: dict[str, Any]
) -> None:
    from flywayx.service.fleet import FleetOptions, load_fleet, run_fleet

    given = [k for k, v in kwargs.items() if v not in (None, False, ())] + ctx.meta.get(GIVEN_KEY_OPTIONS, [])
    extra = sorted(k for k in given if k not in _PASSED[command])
    if extra:
        raise UsageError(
            f"--{extra[0].replace('_', '-')} does not go with --fleet",
            hint=f"run it on one target (without --fleet); with --fleet, {command} takes "
            f"{', '.join('--' + k.replace('_', '-') for k in sorted(_PASSED[command]))}",
        )
    targets = load_fleet(path)
    phase = kwargs.get("phase")
    opts = FleetOptions(command, jobs, fail_fast, canary, kwargs.get("to_release"), None if phase == "all" else phase)
    quiet = bool(ctx.find_root().obj.get("quiet"))
    report = run_fleet(config_from(ctx), targets, opts, _progress(len(targets), quiet))
    if json_mode(ctx):
        emit_json(report.to_json())
    else:
        _summary(ctx, report)
    if report.failed:
        ctx.exit(1)


def _progress(total: int, quiet: bool) -> Callable[[str, Any, dict[str, Any]], None]:
    lock = threading.Lock()
    started: list[str] = []

    def show(event: str, target: Any, data: dict[str, Any]) -> None:
        if quiet:
            return
        with lock:
            if event == "target.start":
                started.append(target.name)
                line = "started"
            elif event == "target.pending":
                line = f"{data['count']} to apply"
            elif event == "migration.done":
                m = data["migration"]
                line = f"{m.version.text if m.version else 'R'} {m.description} ({data['index']} of {data['of']})"
            elif event == "target.done":
                r = data["result"]
                line = f"{r.status}" + (f": {r.error}" if r.error else "") + f" ({r.seconds:.1f} s)"
            else:
                return
            index = started.index(target.name) + 1 if target.name in started else 0
            click.echo(f"[{index}/{total}] {target.name}: {line}", err=True)

    return show


def _summary(ctx: click.Context, report: Any) -> None:
    from flywayx.cli.render import flyway_table

    rows = [
        [
            r.target.name,
            r.status,
            r.before or "",
            r.after or "",
            str(r.count),
            f"{r.seconds:.1f}",
            (r.error or "")[:100],
        ]
        for r in report.results
    ]
    count = {"migrate": "Applied", "info": "Pending", "validate": "Invalid", "plan": "Steps"}[report.command]
    say(ctx, flyway_table(["Target", "Status", "From", "To", count, "Seconds", "Error"], rows))
    counts = ", ".join(f"{n} {status}" for status, n in sorted(report.counts().items()))
    say(ctx, f"{len(report.results)} target(s), {counts}; {report.seconds:.1f} s with -j {report.jobs}")
    for r in report.results:
        if r.failed and r.hint:
            say(ctx, f"{r.target.name}: hint: {r.hint}")
    if report.stopped:
        click.echo(f"ERROR: {report.stopped}", err=True)
    elif report.failed:
        failed = [r.target.name for r in report.results if r.failed]
        click.echo(
            f"ERROR: {len(failed)} of {len(report.results)} target(s) failed: {', '.join(failed[:10])}"
            + (" …" if len(failed) > 10 else ""),
            err=True,
        )
