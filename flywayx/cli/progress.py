"""What ``migrate`` prints while it runs: Flyway's log lines, and a progress bar on a TTY.

Flyway logs on stdout, in this order (flyway-semantics.md §5.3 "Log lines")::

    Current version of schema `app`: 11
    Migrating schema `app` to version "12 - add index"
    Migrating schema `app` to version "13 - backfill" [out of order]
    Successfully applied 2 migrations to schema `app`, now at version v13 (execution time 00:01.204s)

With a ``releases.toml``, the operator's summary of what the run will do (``cli/plan_view.py``) comes
before them (also for ``--dry-run``), unless there is nothing to apply.

``MigrateOutput`` prints the first two kinds as the run goes (the summary is the command's), the
same whether stdout is a terminal or a CI log. On a terminal a bar over the statements of the
running migration is redrawn in place on stderr. ``--verbose`` adds each migration's execution time
(Flyway's debug line "Successfully completed migration of ..."); ``-X`` also one line per statement.
``-q`` and JSON output print none of it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

import click

from flywayx.model.migration import Migration


def flyway_time(ms: int) -> str:
    """Flyway's ``TimeFormat.format``: ``mm:ss.SSSs``."""
    return f"{ms // 60000:02d}:{ms % 60000 / 1000:06.3f}s"


def migration_text(schema: str, m: Migration, out_of_order: bool = False) -> str:
    """``schema `app` to version "12 - add index"`` (or ``with repeatable migration "views"``)."""
    what = (
        f'to version "{m.version.text} - {m.description}"'
        if m.version is not None
        else f'with repeatable migration "{m.description}"'
    )
    return f"schema {schema} {what}" + (" [out of order]" if out_of_order else "")


class MigrateOutput:
    """A ``migrate`` reporter (``apply.Reporter``): call it with each event of the run."""

    def __init__(self, *, quiet: bool, verbose: bool, debug: bool, tty: bool) -> None:
        self.quiet, self.verbose, self.debug, self.tty = quiet, verbose, debug, tty
        self.schema: str | None = None  # quoted as the database quotes it; set by migrate.begin
        self.announced = False
        self.running: tuple[Migration, bool] | None = None
        self.bar: ProgressBar | None = None

    def __call__(self, event: str, data: dict[str, Any]) -> None:
        if event == "migrate.warning":  # -q keeps warnings
            click.echo(f"WARNING: {data['text']}", err=True)
            return
        if self.quiet:
            return
        handler = {
            "migrate.begin": self._begin,
            "migration.start": self._start,
            "migration.done": self._done,
            "statement.done": self._statement,
            "statement.warnings": self._warnings,
            "backup.done": self._backup,
            "backup.skipped": self._no_backup,
            "index.dropped": self._index_dropped,
            "rsu.node": self._rsu,
            "migrate.summary": self._summary,
        }.get(event)
        if handler is not None:
            handler(data)

    def _begin(self, data: dict[str, Any]) -> None:
        self.schema = str(data["schema"])
        self.announced = True
        click.echo(f"Current version of schema {self.schema}: {data['version'] or '<< Empty Schema >>'}")
        if data.get("out_of_order"):
            click.echo(f"outOfOrder mode is active. Migration of schema {self.schema} may not be reproducible.")

    def _summary(self, data: dict[str, Any]) -> None:
        """The operator's summary, before the first step (and before the backup it announces)."""
        from flywayx.cli.plan_view import summary_lines

        for line in summary_lines(data["summary"]):
            click.echo(line)

    def _backup(self, data: dict[str, Any]) -> None:
        size = int(data["size"])
        click.echo(
            f"Backup of {', '.join(data['schemas']) or 'the database'} written to {data['path']} "
            f"({size:,} bytes, {data['tool']}); put it back with: flywayx restore --force {data['path']}"
        )

    def _no_backup(self, data: dict[str, Any]) -> None:
        click.echo(f"No backup taken into {data['dir']}: the schemas do not exist yet, there is nothing to lose")

    def _rsu(self, data: dict[str, Any]) -> None:
        where = "the runner's node, now" if data["last"] else "desynced, altered, resynced"
        click.echo(f"Rolling schema upgrade of {data['script']}: node {data['node']} ({where})")

    def _index_dropped(self, data: dict[str, Any]) -> None:
        self.clear()
        click.echo(
            f"Dropped invalid index {data['index']} left by the failed concurrent build in {data['migration'].script}",
            err=True,
        )

    def _start(self, data: dict[str, Any]) -> None:
        m, late = data["migration"], bool(data.get("out_of_order"))
        self.running = (m, late)
        text = migration_text(self.schema or "?", m, late)
        if self.debug:
            click.echo(f"DEBUG: Starting migration of {text} ...")
        click.echo(f"Migrating {text}")
        if self.tty and not self.debug:
            self.bar = ProgressBar(sys.stderr)

    def _done(self, data: dict[str, Any]) -> None:
        self.clear()
        if self.verbose and self.running is not None:
            m, late = self.running
            click.echo(
                f"Successfully completed migration of {migration_text(self.schema or '?', m, late)} "
                f"(execution time {flyway_time(int(data['ms']))}, {data['statements']} statements)"
            )
        self.running = None

    def _statement(self, data: dict[str, Any]) -> None:
        if self.debug:
            click.echo(f"DEBUG: statement {data['done']}/{data['total']} of {data['migration'].script} done")
        elif self.bar is not None:
            self.bar.update(int(data["done"]), int(data["total"]))

    def _warnings(self, data: dict[str, Any]) -> None:
        """The server's warnings and notices, as Flyway logs them (``WARNING: DB: …``; a notice at INFO)."""
        self.clear()
        where = f"{data['migration'].script} line {data['line']}"
        for w in data["warnings"]:
            click.echo(f"{'' if w.notice else 'WARNING: '}{w.text()} ({where})")

    def clear(self) -> None:
        """Erase the bar (before the next line, or before an error is shown)."""
        if self.bar is not None:
            self.bar.clear()
            self.bar = None


class ProgressBar:
    """A one-line bar over a migration's statements, redrawn in place on a TTY.

    ``update(done, total)`` draws at most every ``interval`` seconds; the ETA extrapolates the
    statements' mean time so far. ``clear()`` erases the line before normal output continues.
    """

    def __init__(
        self, stream: TextIO, width: int = 30, interval: float = 0.1, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stream, self.width, self.interval, self.clock = stream, width, interval, clock
        self.started = clock()
        self.drawn_at = float("-inf")
        self.visible = False

    def update(self, done: int, total: int) -> None:
        now = self.clock()
        if total <= 0 or (now - self.drawn_at < self.interval and done < total):
            return
        self.drawn_at = now
        self.stream.write("\r" + render_bar(done, total, now - self.started, self.width))
        self.stream.flush()
        self.visible = True

    def clear(self) -> None:
        if self.visible:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self.visible = False


def render_bar(done: int, total: int, elapsed: float, width: int = 30) -> str:
    """``  [#########.....] 12/40 statements  ETA 0:07`` (ETA unknown until one statement is done)."""
    filled = width * done // total
    eta = "ETA --:--" if done == 0 else f"ETA {_clock(elapsed / done * (total - done))}"
    return f"  [{'#' * filled}{'.' * (width - filled)}] {done}/{total} statements  {eta}"


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return (
        f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"
        if whole >= 3600
        else f"{whole // 60}:{whole % 60:02d}"
    )
