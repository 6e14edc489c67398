"""Plugins as a user meets them: installed through an entry point of ``flywayx.plugins``, each command
run as the ``flywayx`` program in its own process (plugins load once per process).

A plugin is "installed" by writing its distribution's metadata (``*.dist-info`` with
``entry_points.txt``) into a directory on ``PYTHONPATH``, which is what ``importlib.metadata`` reads
for a package pip installed. CloudStack's plugin is installed with flywayx itself.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from flywayx.plugins import load
from tests.conftest import CliResult
from tests.plugins.golang import EXAMPLE, golang_migrate_project, install

ROOT = Path(__file__).resolve().parents[2]


def _flywayx(
    cwd: Path,
    *args: str,
    site: Path | None = None,
    only: str | None = None,
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FLYWAYX_PLUGINS"}
    env["PYTHONPATH"] = os.pathsep.join([*([str(site)] if site else []), str(ROOT)])
    if only is not None:
        env["FLYWAYX_PLUGINS"] = only
    return subprocess.run(
        [sys.executable, "-m", "flywayx", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_no_entry_points_no_plugins() -> None:
    assert load([]) == ()


def test_the_core_works_with_no_plugin(tmp_path: Path) -> None:
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "V1__users.sql").write_text("CREATE TABLE users (id INTEGER PRIMARY KEY);\n")
    helped = _flywayx(tmp_path, "--help", only="")
    assert helped.returncode == 0 and helped.stderr == ""
    assert "  migrate " in helped.stdout and "  import " not in helped.stdout
    refused = _flywayx(tmp_path, "baseline", "--acs", only="")
    assert refused.returncode == 2 and "No such option '--acs'" in refused.stderr
    done = _flywayx(tmp_path, "-url=sqlite:///app.db", "-locations=filesystem:sql", "migrate", only="")
    assert done.returncode == 0, done.stderr
    assert "Successfully applied 1 migration" in done.stdout
    assert sqlite3.connect(tmp_path / "app.db").execute("SELECT COUNT(*) FROM users").fetchone() == (0,)


def test_a_plugin_that_fails_to_load_costs_one_warning_line(tmp_path: Path) -> None:
    site = install(
        tmp_path, broken="flywayx_no_such_plugin:plugin", stray="json:dumps", raising="flywayx_raising_plugin:plugin"
    )
    (site / "flywayx_raising_plugin.py").write_text(
        "from flywayx.plugins import Plugin\n\n\n"
        "def importers():\n    raise RuntimeError('importer module gone\\nsecond line')\n\n\n"
        "plugin = Plugin(name='raising', importers=importers)\n"
    )
    helped = _flywayx(tmp_path, "--help", site=site)
    assert helped.returncode == 0
    assert helped.stderr.splitlines() == [
        "WARNING: plugin broken (flywayx_no_such_plugin:plugin) not loaded: ModuleNotFoundError: "
        "No module named 'flywayx_no_such_plugin'",
        "WARNING: plugin stray (json:dumps) not loaded: it is a function, not a flywayx.plugins.Plugin",
        "WARNING: plugin raising: its importers are left out: RuntimeError: importer module gone second line",
    ]
    assert "Traceback" not in helped.stderr
    assert "  import " in helped.stdout  # CloudStack's plugin still loads
    chosen = _flywayx(tmp_path, "import", "--help", site=site, only="cloudstack")
    assert chosen.returncode == 0 and chosen.stderr == ""  # the broken ones are not even tried
    assert "  acs " in chosen.stdout


def test_the_session_runs_cloudstacks_settings_through_the_plugin_hook(tmp_path: Path) -> None:
    """The core's hook chain reaches CloudStack's: an imported initSql (it bears the marker) becomes
    the operator's db.properties session when CLOUDSTACK_CONF_DIR is set; any other is left alone."""
    from flywayx.plugins import session_init_sql

    (tmp_path / "db.properties").write_text("db.cloud.url.params=sessionVariables=sql_mode='ANSI'&serverTimezone=UTC\n")
    env = {"CLOUDSTACK_CONF_DIR": str(tmp_path)}
    imported = "/* cloudstack db.properties */ SET SESSION sql_mode = 'TRADITIONAL'"
    assert (
        session_init_sql(imported, env)
        == "/* cloudstack db.properties */ SET SESSION sql_mode = 'ANSI', time_zone = '+00:00'"
    )
    assert session_init_sql("SET NAMES utf8mb4", env) == "SET NAMES utf8mb4"
    assert session_init_sql(None, env) is None


def test_cloudstack_keeps_baseline_acs_where_it_was(cli_run: Callable[..., CliResult]) -> None:
    helped = cli_run("baseline", "--help")
    assert helped.code == 0
    options = [line.split()[0] for line in helped.out.splitlines() if line.startswith("  --")]
    assert options[options.index("--release") : options.index("--dry-run") + 1] == ["--release", "--acs", "--dry-run"]
    both = cli_run("baseline", "--acs", "--release", "4.20.0.0")
    assert both.code == 2
    assert both.err.splitlines() == [
        "ERROR: --release cannot be combined with --acs or --baseline-version",
        "hint: --release R records R's migrations; --acs reads R from cloud.version",
    ]


def test_baseline_acs_on_a_database_cloudstack_never_uses_says_so(
    cli_run: Callable[..., CliResult], tmp_path: Path
) -> None:
    """SQLite has no information_schema: the refusal names the cause instead of the failing query."""
    adopted = cli_run(f"-url=sqlite:///{tmp_path / 'app.db'}", "baseline", "--acs")
    assert adopted.code != 0
    assert adopted.err.splitlines() == [
        "ERROR: a sqlite database is not a CloudStack database: CloudStack keeps its tables in MySQL or MariaDB",
        "hint: point --url at the management server's database (mysql://USER@HOST/cloud)",
    ]


@pytest.mark.slow  # five flywayx processes: about 2 s on a quiet machine
def test_the_worked_example_imports_and_adopts_a_golang_migrate_project(tmp_path: Path) -> None:
    site = install(tmp_path, example=EXAMPLE)
    source = tmp_path / "migrations"
    golang_migrate_project(source, tmp_path / "app.db")
    imported = _flywayx(tmp_path, "import", "golang-migrate", str(source), "project", site=site)
    assert imported.returncode == 0, imported.stderr
    assert sorted(p.name for p in (tmp_path / "project").iterdir()) == ["V1__create_users.sql", "V2__add_email.sql"]
    options = ("-url=sqlite:///app.db", "-locations=filesystem:project")
    adopted = _flywayx(tmp_path, *options, "baseline", "--golang-migrate", site=site)
    assert adopted.returncode == 0, adopted.stderr
    assert "Successfully baselined schema with version: 1" in adopted.stdout
    migrated = _flywayx(tmp_path, *options, "migrate", site=site)
    assert migrated.returncode == 0, migrated.stderr
    assert "Successfully applied 1 migration" in migrated.stdout
    with sqlite3.connect(tmp_path / "app.db") as db:
        assert [r[1] for r in db.execute("PRAGMA table_info(users)")] == ["id", "email"]
    both = _flywayx(tmp_path, "baseline", "--golang-migrate", "--release", "1", site=site)
    assert both.returncode == 2
    assert both.stderr.splitlines() == [
        "ERROR: --release cannot be combined with --acs or --golang-migrate or --baseline-version",
        "hint: --release R records R's migrations; --acs reads R from cloud.version; "
        "--golang-migrate reads the version from schema_migrations",
    ]


def test_docs_show_the_example_that_runs() -> None:
    """docs/plugins.md shows tests/plugins/example.py verbatim (so the documented plugin is the tested one)."""
    doc = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    example = (ROOT / "tests" / "plugins" / "example.py").read_text(encoding="utf-8")
    assert f"```python\n{example}```" in doc


def test_a_plugin_command_named_as_a_core_command_is_left_out(tmp_path: Path) -> None:
    """The core's commands are imported only when asked for (cli/app.py LazyGroup), yet a plugin's
    command of the same name still loses to the core's, with one warning, and its other commands work."""
    site = install(tmp_path, twin="flywayx_twin_plugin:plugin")
    (site / "flywayx_twin_plugin.py").write_text(
        "import click\n\nfrom flywayx.plugins import Plugin\n\n\n"
        "@click.command(name='info')\ndef info():\n    click.echo('the plugin info')\n\n\n"
        "@click.command(name='hello')\ndef hello():\n    click.echo('hello from the plugin')\n\n\n"
        "plugin = Plugin(name='twin', commands=lambda: (info, hello))\n"
    )
    warning = "WARNING: plugin twin: `flywayx info` exists already; the plugin's is left out"
    hello = _flywayx(tmp_path, "hello", site=site)
    assert (hello.returncode, hello.stdout, hello.stderr.splitlines()) == (0, "hello from the plugin\n", [warning])
    core = _flywayx(tmp_path, "info", "--help", site=site)
    assert core.returncode == 0 and "Show every migration with its state" in core.stdout
    assert core.stderr.splitlines() == [warning]


@pytest.mark.parametrize(
    ("declared", "called", "same"),
    [
        ("IDEMPOTENT_*", "IDEMPOTENT_ADD_KEY", True),
        ("IDEMPOTENT_*", "`cloud`.`idempotent_drop_index`", True),
        ("IDEMPOTENT_*", "NOT_IDEMPOTENT_X", False),
        ("ADD_COL", "add_col", True),
        ("ADD_COL", "ADD_COLUMN", False),
        ("ADD_COL", "other.ADD_COL", True),
    ],
)
def test_a_procedure_is_matched_by_name_without_case_quotes_or_schema(declared: str, called: str, same: bool) -> None:
    from flywayx.plugins import Procedure

    assert Procedure(declared).matches(called) is same


def test_only_procedures_a_plugin_declares_repeatable_are_sent_again(monkeypatch: pytest.MonkeyPatch) -> None:
    from flywayx import plugins

    assert plugins.repeatable_procedure("cloud.IDEMPOTENT_ADD_COLUMN")  # the CloudStack plugin, installed
    monkeypatch.setattr(plugins, "installed", lambda: (plugins.Plugin("x", procedures=(plugins.Procedure("P"),)),))
    assert not plugins.repeatable_procedure("P")  # named, but not said to be repeatable
    assert not plugins.repeatable_procedure("IDEMPOTENT_ADD_COLUMN")


def test_procedures_the_configuration_declares_are_repeatable_as_a_plugins_are(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``resumeRepeatableProcedures`` adds ``Procedure(name, repeatable=True)`` values to the plugins' own,
    matched the same way: case-insensitive, schema and backquotes dropped on both sides, ``*`` a prefix."""
    from flywayx import plugins
    from flywayx.model.config import Config

    monkeypatch.setattr(plugins, "installed", lambda: ())
    config = Config(resume_repeatable_procedures=("FixPkIfNeeded", " app.`Ensure_*` ", ""))
    assert plugins.procedures(config) == (
        plugins.Procedure("FixPkIfNeeded", repeatable=True),
        plugins.Procedure("Ensure_*", repeatable=True),
    )
    assert plugins.repeatable_procedure("fixpkifneeded", config)
    assert plugins.repeatable_procedure("`conductor`.`FIXPKIFNEEDED`", config)
    assert plugins.repeatable_procedure("ENSURE_INDEX", config)
    assert not plugins.repeatable_procedure("FixPkIfNeeded")  # without the configuration: nothing declared
    assert not plugins.repeatable_procedure("FixPk", config)
