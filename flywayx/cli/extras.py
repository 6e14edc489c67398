"""Touches around the commands: shell completion, and the statement progress bar with an ETA."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

import click
from click.shell_completion import get_completion_class

from flywayx.cli.app import cli

COMPLETE_VAR = "_FLYWAYX_COMPLETE"
SHELLS = ("bash", "zsh", "fish")


@cli.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the shell completion script for SHELL.

    \b
    bash:  eval "$(flywayx completion bash)"        (add to ~/.bashrc)
    zsh:   eval "$(flywayx completion zsh)"         (add to ~/.zshrc)
    fish:  flywayx completion fish > ~/.config/fish/completions/flywayx.fish
    """
    completer = get_completion_class(shell)
    if completer is None:  # click knows all of SHELLS; guard against a click without one
        raise click.UsageError(f"click has no completion support for {shell}")
    click.echo(completer(cli, {}, "flywayx", COMPLETE_VAR).source())


class ProgressBar:
    """A one-line bar over a migration's statements, redrawn in place on a TTY.

    ``update(done, total)`` draws at most every ``interval`` seconds; the ETA extrapolates the
    statements' mean time so far. ``clear()`` erases the line before normal output continues.
    """

    def __init__(self, stream: TextIO, width: int = 30, interval: float = 0.1,
                 clock: Callable[[], float] = time.monotonic) -> None:
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
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}" if whole >= 3600 \
        else f"{whole // 60}:{whole % 60:02d}"
