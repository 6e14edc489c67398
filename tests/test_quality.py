"""Static checks are part of the suite: ruff (lint and format, on the product and on the tests), mypy --strict
and the import layers (import-linter)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


CODE = ("flywayx", "flywayx_cloudstack", "java_equiv", "tests", "bench", "compat", "docs")


@pytest.mark.parametrize("tool", ["ruff", "ruff-format", "mypy", "lint-imports"])
def test_static_checks_pass(tool: str) -> None:
    exe = BIN / tool.removesuffix("-format")
    if not exe.exists():
        pytest.skip(f"{exe.name} is not installed in this environment (pip install -e '.[test]')")
    args = {
        "ruff": [str(exe), "check", *CODE],
        "ruff-format": [str(exe), "format", "--check", *CODE],  # the layout is ruff's: `ruff format` fixes it
        "mypy": [str(exe)],
        "lint-imports": [str(exe)],
    }[tool]
    result = _run(*args)
    assert result.returncode == 0, f"{tool} failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"


def test_tests_type_check() -> None:
    """The tests are code too: ``mypy --strict`` over tests/ and compat/ (a wrong fixture type is a test
    that checks something else than it says)."""
    exe = BIN / "mypy"
    if not exe.exists():
        pytest.skip("mypy is not installed in this environment (pip install -e '.[test]')")
    result = _run(str(exe), "--strict", "tests", "compat")
    assert result.returncode == 0, f"mypy failed on the tests:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"


def test_version_imports_no_driver() -> None:
    """`flywayx --version` must not import SQLAlchemy or a database driver (start-up time)."""
    code = (
        "import sys; from flywayx.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "bad = [m for m in ('sqlalchemy', 'pymysql', 'psycopg', 'sqlite3', 'click') if m in sys.modules]\n"
        "print('LOADED', bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("LOADED []"), out


def _private_imports(path: Path) -> list[tuple[int, str]]:
    """``from flywayx.x import _name`` and ``module._name`` on an imported flywayx module."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("flywayx"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append((node.lineno, alias.name))
                modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            modules.update((a.asname or a.name).split(".")[0] for a in node.names if a.name.startswith("flywayx"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append((node.lineno, node.attr))
    return found


def test_no_private_names_cross_modules() -> None:
    """A module's ``_name`` is its own: importing it elsewhere is how service/'s 5-file cycle grew
    (lines.py reached into core.py's helpers). Shared code gets a public name in a shared module."""
    bad = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for package in ("flywayx", "flywayx_cloudstack")
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, name in _private_imports(path)
    ]
    assert not bad, "private names used across modules:\n" + "\n".join(bad)


def test_every_test_directory_is_a_package() -> None:
    """Without ``__init__.py`` pytest imports a directory's ``conftest.py`` and test modules by their bare
    names, so two ``conftest.py`` (or two ``test_x.py``) clash, and ``from tests.conftest import …`` loads
    a second copy of the module pytest already loaded."""
    missing = sorted(
        str(d.relative_to(ROOT))
        for d in {p.parent for p in (ROOT / "tests").rglob("*.py")}
        if not (d / "__init__.py").exists()
    )
    assert not missing, "directories under tests/ without __init__.py: " + ", ".join(missing)


def test_docs_cited_by_the_code_are_in_the_repository() -> None:
    """A docstring that cites ``flyway-semantics.md §9`` or ``docs/operations.md`` sends a reader to a file
    of this repository (docs/, docs/design/, docs/decisions/), never to a note they cannot open.
    ``import-report.md`` is the report ``flywayx import acs`` writes, not a document."""
    import re

    known = {p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").rglob("*.md")}
    names = {p.rsplit("/", 1)[-1] for p in known}
    missing = sorted(
        {
            f"{path.relative_to(ROOT)}: {cited}"
            for root in ("flywayx", "flywayx_cloudstack", "java_equiv")
            for path in (ROOT / root).rglob("*.py")
            for cited in re.findall(r"[\w./-]+\.md\b", path.read_text(encoding="utf-8"))
            if cited != "import-report.md" and cited not in known and cited not in names
        }
    )
    assert not missing, "cited but not in the repository:\n" + "\n".join(missing)
