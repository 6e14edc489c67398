"""Static checks are part of the suite: ruff, mypy --strict and the import layers (import-linter)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("tool", ["ruff", "mypy", "lint-imports"])
def test_static_checks_pass(tool: str) -> None:
    exe = BIN / tool
    if not exe.exists():
        pytest.skip(f"{tool} is not installed in this environment (pip install -e '.[test]')")
    args = {"ruff": [str(exe), "check", "flywayx", "java_equiv"], "mypy": [str(exe)],
            "lint-imports": [str(exe)]}[tool]
    result = _run(*args)
    assert result.returncode == 0, f"{tool} failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"


def test_version_imports_no_driver() -> None:
    """`flywayx --version` must not import SQLAlchemy or a database driver (start-up time)."""
    code = ("import sys; from flywayx.cli import main\n"
            "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
            "bad = [m for m in ('sqlalchemy', 'pymysql', 'psycopg', 'sqlite3', 'click') if m in sys.modules]\n"
            "print('LOADED', bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("LOADED []"), out
