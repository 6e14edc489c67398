"""Touches around the commands: shell completion (the statement progress bar is in ``progress``)."""

from __future__ import annotations

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
