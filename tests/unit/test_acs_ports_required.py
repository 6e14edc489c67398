"""Java ports kept honest: a newer CloudStack tree whose new step has Java and no port fails the
check, naming the class and the stub written for it; today's tree passes it.

The newer tree is today's fixture tree plus a synthetic ``Upgrade42200to42300`` (4.22.0.0 ->
4.23.0.0) with schema work (its prepare script adds a column and a table) and data work
(``performDataMigration`` calls two helpers), registered at node 4.22.0.0 as CloudStack registers
each new step.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.acs_e2e.java_fixture import DB_DIR, JAVA_DIR, NODES, STEPS, checker, java_class, write_source_tree
from tests.conftest import corpus_or_skip

NEW = (
    "Upgrade42200to42300",
    ("4.22.0.0", "4.23.0.0"),
    "4.23.0.0",
    ("schema-42200to42300.sql",),
    ("schema-42200to42300-cleanup.sql",),
    ("migrateBackupOfferingPolicies", "updateSharedFsState"),
    (),
)
SCHEMA = (
    "ALTER TABLE `cloud`.`volumes` ADD COLUMN `encrypt_format` varchar(64) DEFAULT NULL;\n"
    "CREATE TABLE IF NOT EXISTS `cloud`.`sharedfs_state` (`id` bigint unsigned NOT NULL, PRIMARY KEY (`id`));\n"
)


def _newer_tree(base: Path) -> Path:
    source = write_source_tree(corpus_or_skip(), base / "source")
    (source / JAVA_DIR / "dao" / f"{NEW[0]}.java").write_text(java_class(NEW), encoding="utf-8")
    checker_java = checker((*NODES, ("4.22.0.0", NEW[0])))
    (source / JAVA_DIR / "DatabaseUpgradeChecker.java").write_text(checker_java, encoding="utf-8")
    (source / DB_DIR / "schema-42200to42300.sql").write_text(SCHEMA, encoding="utf-8")
    (source / DB_DIR / "schema-42200to42300-cleanup.sql").write_text("-- nothing to clean\n", encoding="utf-8")
    return source


def test_a_new_java_step_without_a_port_fails_the_check(tmp_path: Path, cli_run: Callable[..., Any]) -> None:
    source = _newer_tree(tmp_path)
    out = tmp_path / "project"
    result = cli_run("import", "acs", str(source), str(out), "--overrides", "cloudstack", "--require-ports")
    assert result.code != 0
    first = result.err.splitlines()[0]
    assert first.startswith("ERROR: Upgrade42200to42300: release 4.23.0.0: no Python port")
    assert "V4.23.0.0.2__Upgrade42200to42300_data_migration.py" in first
    assert "java_equiv/upgrade_42200to42300.py" in first
    assert result.err.splitlines()[1].startswith("hint: ") and "Traceback" not in result.err
    stub = (out / "V4.23.0.0.2__Upgrade42200to42300_data_migration.py").read_text(encoding="utf-8")
    assert "migrateBackupOfferingPolicies, updateSharedFsState" in stub and "NotImplementedError" in stub
    assert (out / "V4.23.0.0.1__schema-42200to42300.sql").is_file()  # the schema work is imported as SQL


def test_without_the_check_the_same_import_warns_and_succeeds(tmp_path: Path, cli_run: Callable[..., Any]) -> None:
    source = _newer_tree(tmp_path)
    result = cli_run("import", "acs", str(source), str(tmp_path / "project"), "--overrides", "cloudstack")
    assert result.code == 0, result.err
    report = (tmp_path / "project" / "import-report.md").read_text(encoding="utf-8")
    assert "java-stub" in report and "Upgrade42200to42300" in report


def test_todays_tree_has_a_port_with_declared_effects_for_every_java_step(
    tmp_path: Path, cli_run: Callable[..., Any]
) -> None:
    source = write_source_tree(corpus_or_skip(), tmp_path / "source")
    result = cli_run(
        "import", "acs", str(source), str(tmp_path / "project"), "--overrides", "cloudstack", "--require-ports"
    )
    assert result.code == 0, result.err
    assert sum(1 for s in STEPS if s[5]) >= 26  # every step with Java calls was checked
