"""``python -m flywayx.config.doc`` rewrites only a page holding the generated key reference: ``--help`` or
a mistyped path prints the usage and writes nothing (it once wrote the reference to a file named ``--help``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flywayx.config.doc import BEGIN, END, render_reference


def _doc(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flywayx.config.doc", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "code"), [(["--help"], 0), (["-h"], 0), (["missing.md"], 2), (["a.md", "b.md"], 2), (["-x"], 2)]
)
def test_anything_but_a_page_with_the_markers_writes_nothing(tmp_path: Path, args: list[str], code: int) -> None:
    done = _doc(tmp_path, *args)
    assert done.returncode == code
    assert "usage: python -m flywayx.config.doc" in done.stdout + done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_page_with_the_markers_gets_the_current_reference_and_keeps_its_prose(tmp_path: Path) -> None:
    page = tmp_path / "configuration.md"
    page.write_text(f"# Configuration\n\nprose\n\n{BEGIN}\nstale\n{END}\n\nmore prose\n", encoding="utf-8")
    assert _doc(tmp_path, "configuration.md").returncode == 0
    text = page.read_text(encoding="utf-8")
    assert text.startswith("# Configuration\n\nprose\n\n") and text.endswith("\n\nmore prose\n")
    assert render_reference() in text and "stale" not in text
