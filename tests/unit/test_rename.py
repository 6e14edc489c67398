"""``flywayx rename``: alias names become Flyway names, and nothing is ever overwritten."""

from __future__ import annotations

from pathlib import Path

import pytest

from flywayx.errors import MigrationNameError
from flywayx.model.config import Config
from flywayx.model.version import Version
from flywayx.sources.rename import apply_renames, plan_renames
from flywayx.sources.scan import scan

RELEASES = [Version.parse("4.1.0"), Version.parse("4.2.0")]


def touch(path: Path, text: str = "SELECT 1;\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_plan_and_apply_rename_aliases_and_their_conf(tmp_path: Path) -> None:
    touch(tmp_path / "V_4.1.0_A.sql")
    touch(tmp_path / "V_4.1.0_A.sql.conf", "executeInTransaction=false\n")
    touch(tmp_path / "sub" / "V_420_B.py", "def migrate(conn):\n    pass\n")
    touch(tmp_path / "V4.1.0.5__keep.sql")
    before = {
        m.version: m.checksum for m in scan(Config(locations=(f"filesystem:{tmp_path}",)), releases=RELEASES).migrations
    }
    plan = plan_renames([tmp_path], RELEASES)
    assert [(old.relative_to(tmp_path).as_posix(), new.name) for old, new in plan] == [
        ("V_4.1.0_A.sql", "V4.1.0.1.sql"),
        ("V_4.1.0_A.sql.conf", "V4.1.0.1.sql.conf"),
        ("sub/V_420_B.py", "V4.2.0.2.py"),
    ]
    assert apply_renames(plan) == plan
    after = scan(Config(locations=(f"filesystem:{tmp_path}",)))
    assert {m.version: m.checksum for m in after.migrations} == before  # same versions, same checksums
    assert all(m.alias_of is None for m in after.migrations) and after.invalid == []
    assert after.migrations[0].execute_in_transaction is False


def test_collisions_are_all_reported_and_nothing_renamed(tmp_path: Path) -> None:
    touch(tmp_path / "V_4.1.0_A.sql")
    touch(tmp_path / "V4.1.0.1.sql")  # exact target exists
    touch(tmp_path / "V_4.2.0_A.sql")
    touch(tmp_path / "V4.2.0.1__same_version.sql")  # same version under another name
    with pytest.raises(MigrationNameError) as err:
        plan_renames([tmp_path], RELEASES)
    message = err.value.message
    assert "V_4.1.0_A.sql would overwrite" in message
    assert "V_4.2.0_A.sql would become version 4.2.0.1, which" in message
    assert (tmp_path / "V_4.1.0_A.sql").exists() and (tmp_path / "V_4.2.0_A.sql").exists()


def test_two_aliases_landing_on_one_name(tmp_path: Path) -> None:
    touch(tmp_path / "a" / "V_4.1.0_A.sql")
    touch(tmp_path / "a" / "V_410_A.sql")
    with pytest.raises(MigrationNameError, match=r"would both become V4\.1\.0\.1\.sql"):
        plan_renames([tmp_path], RELEASES)


def test_unresolvable_compact_alias_stops_the_plan(tmp_path: Path) -> None:
    touch(tmp_path / "V_999_A.sql")
    with pytest.raises(MigrationNameError, match="no declared release"):
        plan_renames([tmp_path / "V_999_A.sql"], RELEASES)
    with pytest.raises(MigrationNameError, match="No such file"):
        plan_renames([tmp_path / "missing"], RELEASES)


def test_stale_plan_is_refused(tmp_path: Path) -> None:
    touch(tmp_path / "V_4.1.0_A.sql")
    plan = plan_renames([tmp_path], RELEASES)
    touch(tmp_path / "V4.1.0.1.sql", "-- appeared meanwhile\n")
    with pytest.raises(MigrationNameError, match="already exist"):
        apply_renames(plan)
    assert (tmp_path / "V4.1.0.1.sql").read_text() == "-- appeared meanwhile\n"
