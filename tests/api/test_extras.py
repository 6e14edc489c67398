"""Shell completion and the progress bar (flywayx/cli/extras.py)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flywayx.cli.progress import ProgressBar, render_bar
from flywayx.config.keys import BY_KEY, COMMAND_LINE_OPTIONS, COMMAND_OPTIONS, option_name

VENV_BIN = Path(sys.executable).parent


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_a_script_for_the_shell(shell: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "flywayx", "completion", shell], capture_output=True, text=True, check=True
    ).stdout
    assert "_FLYWAYX_COMPLETE" in out
    assert f"{shell}_complete" in out


def test_completion_completes_commands_and_options() -> None:
    flywayx = VENV_BIN / "flywayx"
    if not flywayx.exists():
        pytest.skip("the flywayx console script is not installed in this environment")
    env = {**os.environ, "_FLYWAYX_COMPLETE": "bash_complete", "COMP_WORDS": "flywayx mig", "COMP_CWORD": "1"}
    out = subprocess.run([str(flywayx)], env=env, capture_output=True, text=True, check=True).stdout
    assert "plain,migrate" in out.splitlines()
    env.update(COMP_WORDS="flywayx migrate --pha", COMP_CWORD="2")
    out = subprocess.run([str(flywayx)], env=env, capture_output=True, text=True, check=True).stdout
    assert "plain,--phase" in out.splitlines()


@pytest.mark.parametrize("command", sorted(COMMAND_OPTIONS))
def test_completion_offers_every_option_of_the_key_table(command: str) -> None:
    """The options completion offers after ``flywayx COMMAND --`` are the key table's: those every command
    takes (COMMAND_LINE_OPTIONS) and the command's own (COMMAND_OPTIONS), ``--no-x`` for a switch."""
    from click.shell_completion import ShellComplete

    from flywayx.cli import commands
    from flywayx.cli.app import cli
    from flywayx.cli.extras import COMPLETE_VAR

    assert commands.migrate.name == "migrate"  # importing the module registered the commands on ``cli``
    offered = {c.value for c in ShellComplete(cli, {}, "flywayx", COMPLETE_VAR).get_completions([command], "--")}
    expected = {option_name(key) for key, _ in COMMAND_LINE_OPTIONS}
    for option in COMMAND_OPTIONS[command]:
        expected.add(option_name(option.key))
        if BY_KEY[option.key].kind == "bool" and option.switch:
            expected.add("--no-" + option_name(option.key)[2:])
    assert expected <= offered, sorted(expected - offered)


def test_unknown_shell_is_a_usage_error() -> None:
    result = subprocess.run([sys.executable, "-m", "flywayx", "completion", "tcsh"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "tcsh" in result.stderr


def test_bar_shows_progress_and_an_eta() -> None:
    assert render_bar(0, 4, 0.0, width=8) == "  [........] 0/4 statements  ETA --:--"
    assert render_bar(1, 4, 10.0, width=8) == "  [##......] 1/4 statements  ETA 0:30"
    assert render_bar(4, 4, 10.0, width=8) == "  [########] 4/4 statements  ETA 0:00"
    assert render_bar(1, 2, 4000.0, width=2).endswith("ETA 1:06:40")


def test_bar_redraws_in_place_at_most_every_interval_and_clears() -> None:
    now = [0.0]
    stream = io.StringIO()
    bar = ProgressBar(stream, width=4, interval=1.0, clock=lambda: now[0])
    bar.update(1, 10)
    now[0] = 0.5
    bar.update(2, 10)  # too soon: skipped
    now[0] = 1.5
    bar.update(3, 10)
    text = stream.getvalue()
    assert text.count("\r") == 2 and "1/10" in text and "3/10" in text and "2/10" not in text
    bar.update(10, 10)  # the last statement is always drawn
    assert "10/10" in stream.getvalue()
    bar.clear()
    assert stream.getvalue().endswith("\r\x1b[2K")
