"""What a command loads (docs/decisions/startup.md): at start-up, importing is most of what ``flywayx info``
costs on a small project, so ``info`` and ``validate`` on SQLite load neither a driver of another
database nor SQLAlchemy, nor the engine, the statement splitter, the release planner or the other
commands' modules; ``--help`` still shows every command. Each run is a process of its own, as a user's."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

# Loaded by no read-only command on a project without releases.toml. Prefixes: a package and its modules.
NEVER = (
    "sqlalchemy",
    "pymysql",
    "psycopg",
    "tabulate",
    "importlib.metadata",
    "flywayx.apply",
    "flywayx.statements",
    "flywayx.operations.compile",
    "flywayx.plan.interleave",
    "flywayx.plan.ledger",
    "flywayx.model.plan",
    "flywayx.model.work",
    "flywayx.model.write_results",
    "flywayx.model.release",
    "flywayx.sources.releases",
    "flywayx.service.core",
    "flywayx.service.steps",
    "flywayx.service.analysis",
    "flywayx.cli.commands",
    "flywayx.cli.gitflow",
    "flywayx.cli.lines",
    "flywayx.cli.online",
    "flywayx.cli.safety",
    "flywayx.cli.extras",
)

_PROBE = """
import json, sys
from flywayx.cli import main
sys.argv = ["flywayx", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
with open(OUT, "w") as f:
    json.dump(sorted(sys.modules), f)
"""


def _loaded(tmp_path: Path, *args: str) -> list[str]:
    """The modules loaded when ``flywayx ARGS`` has run, in a fresh interpreter."""
    out = tmp_path / "modules.json"
    code = _PROBE.replace("OUT", repr(str(out)))
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(list(args))], cwd=tmp_path, capture_output=True, text=True
    )
    assert "Traceback" not in done.stderr, done.stderr
    loaded: list[str] = json.loads(out.read_text())
    return loaded


@pytest.fixture
def project(tmp_path: Path) -> list[str]:
    (tmp_path / "sql").mkdir()
    for i in range(1, 4):
        (tmp_path / "sql" / f"V{i}__t{i}.sql").write_text(f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY);\n")
    options = [f"--url=sqlite:///{tmp_path / 'app.db'}", "--locations=sql"]
    subprocess.run(
        [sys.executable, "-m", "flywayx", *options, "migrate"], cwd=tmp_path, check=True, capture_output=True
    )
    assert sqlite3.connect(tmp_path / "app.db").execute("SELECT COUNT(*) FROM flyway_schema_history").fetchone()[0] == 3
    return options


@pytest.mark.parametrize("command", ["info", "validate"])
def test_a_read_only_command_loads_only_what_it_uses(tmp_path: Path, project: list[str], command: str) -> None:
    loaded = _loaded(tmp_path, *project, command)
    assert "flywayx.db.sqlite" in loaded  # the probe ran the command
    assert [m for m in loaded if any(m == p or m.startswith(p + ".") for p in NEVER)] == []


def test_help_still_loads_every_command(tmp_path: Path) -> None:
    loaded = _loaded(tmp_path, "--help")
    assert {"flywayx.cli.gitflow", "flywayx.cli.lines", "flywayx.cli.online", "flywayx.cli.safety"} <= set(loaded)


def test_migrate_loads_the_engine(tmp_path: Path, project: list[str]) -> None:
    """The probe sees what a command loads: migrate, even with nothing to do, runs through the engine."""
    assert "flywayx.apply.engine" in _loaded(tmp_path, *project, "migrate")


# Loaded by no plain migrate (no releases.toml, no --dry-run, --rsu or --phase, not a Galera node): the
# statement analyser (the content id reads the lexer only, statements/tokens.py), the dry run, the Galera
# checks and the rolling schema upgrade, the expand phase and the placement of late columns, and what a
# releases.toml needs: the release model, the history contract's ledger and the release merges.
NOT_BY_MIGRATE = (
    "flywayx.statements.analyze",
    "flywayx.service.dryrun",
    "flywayx.service.cluster",
    "flywayx.service.rsu",
    "flywayx.service.expand",
    "flywayx.service.placement",
    "flywayx.plan.galera",
    "flywayx.model.release",
    "flywayx.plan.releases",
    "flywayx.plan.world",
    "flywayx.plan.ledger",
    "flywayx.service.merges",
)


def test_a_plain_migrate_loads_only_what_it_runs(tmp_path: Path, project: list[str]) -> None:
    (tmp_path / "sql" / "V4__t4.sql").write_text("CREATE TABLE t4 (id INTEGER PRIMARY KEY);\n")
    loaded = _loaded(tmp_path, *project, "migrate")
    assert "flywayx.statements.content_id" in loaded  # the probe applied a migration
    assert [m for m in loaded if any(m == p or m.startswith(p + ".") for p in NOT_BY_MIGRATE)] == []
    assert sqlite3.connect(tmp_path / "app.db").execute("SELECT COUNT(*) FROM flyway_schema_history").fetchone()[0] == 4
