"""Resolving a migrations directory as Flyway does: what is found, in which order, with which
checksums, and the errors and warnings a user sees for everything else."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flywayx.errors import ChecksumError, ConfigError, DuplicateMigrationError, MigrationNameError
from flywayx.model.config import Config
from flywayx.model.migration import Kind, MigrationType
from flywayx.model.version import Version
from flywayx.sources.checksum import checksum_of_text
from flywayx.sources.scan import parse_script_config, scan


def write(root: Path, rel: str, text: str = "SELECT 1;\n", encoding: str = "utf-8") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def config(*locations: Path | str, **kw: object) -> Config:
    locs = tuple(f"filesystem:{loc}" if isinstance(loc, Path) else loc for loc in locations)
    return Config(locations=locs, **kw)  # type: ignore[arg-type]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    write(tmp_path, "V2__second.sql", "CREATE TABLE b (id INT);\n")
    write(tmp_path, "sub/V1_1__first_one.sql", "CREATE TABLE a (id INT);\n")
    write(tmp_path, "R__views.sql", "-- ${flyway:filename} for ${tenant}\nCREATE VIEW v AS SELECT 1;\n")
    write(tmp_path, "B1__base.sql", "CREATE TABLE base (id INT);\n")
    write(tmp_path, "V3__data.py", "def migrate(conn):\n    conn.execute('SELECT 1')\n")
    write(tmp_path, "beforeMigrate__zz.sql")
    write(tmp_path, "beforeMigrate.sql")
    write(tmp_path, "afterMigrate.sql")
    write(tmp_path, ".hidden/V9__secret.sql")
    write(tmp_path, "V1_desc.sql")
    write(tmp_path, "notes.txt", "not sql")
    write(tmp_path, "helpers.py", "X = 1\n")
    return tmp_path


def test_resolves_versioned_baseline_repeatable_and_python_in_flyway_order(tree: Path) -> None:
    result = scan(config(tree), {"tenant": "acme"})
    assert [(m.script, m.type, m.version.text if m.version else None) for m in result.migrations] == [
        ("B1__base.sql", MigrationType.SQL_BASELINE, "1"),
        ("sub/V1_1__first_one.sql", MigrationType.SQL, "1.1"),
        ("V2__second.sql", MigrationType.SQL, "2"),
        ("V3__data.py", MigrationType.SCRIPT, "3"),
        ("R__views.sql", MigrationType.SQL, None),
    ]
    first = result.versioned[0]
    assert (first.description, first.path, first.location) == (
        "first one",
        str(tree / "sub" / "V1_1__first_one.sql"),
        f"filesystem:{tree}",
    )
    assert first.checksum == checksum_of_text("CREATE TABLE a (id INT);\n")


def test_repeatable_checksum_is_after_replacement_with_flyway_filename(tree: Path) -> None:
    [views] = scan(config(tree), {"tenant": "acme"}).repeatables
    assert views.checksum == checksum_of_text("-- R__views.sql for acme\nCREATE VIEW v AS SELECT 1;\n")
    assert views.raw_checksum == checksum_of_text((tree / "R__views.sql").read_text())
    assert views.checksum_matches(views.raw_checksum) and views.checksum_matches(views.checksum)


def test_repeatable_with_unknown_placeholder_fails_at_scan(tree: Path) -> None:
    with pytest.raises(Exception, match=r"No value provided for placeholder: \$\{tenant\}"):
        scan(config(tree), {})


def test_placeholder_replacement_off_keeps_raw_checksum(tree: Path) -> None:
    [views] = scan(config(tree, placeholder_replacement=False), {}).repeatables
    assert views.checksum == views.raw_checksum == checksum_of_text((tree / "R__views.sql").read_text())


def test_callbacks_grouped_by_event_in_flyway_order(tree: Path) -> None:
    callbacks = scan(config(tree), {"tenant": "x"}).callbacks
    assert list(callbacks) == ["beforeMigrate", "afterMigrate"]
    assert [c.script for c in callbacks["beforeMigrate"]] == ["beforeMigrate.sql", "beforeMigrate__zz.sql"]
    assert all(c.kind is Kind.CALLBACK and c.checksum is None for c in callbacks["beforeMigrate"])


def test_undo_migrations_are_kept_apart_and_never_among_the_migrations(tree: Path) -> None:
    write(tree, "U1__undo.sql")
    write(tree, "U2__undo_py.py", "def migrate(conn):\n    pass\n")
    result = scan(config(tree), {"tenant": "x"})
    assert [(u.version.text if u.version else None, u.type.value) for u in result.undo] == [
        ("1", "UNDO_SQL"),
        ("2", "UNDO_SCRIPT"),
    ]
    assert not any(m.script.startswith("U") for m in result.migrations)
    assert result.invalid == [i for i in result.invalid if not i.script.startswith("U")]


def test_invalid_names_collected_or_fatal_with_validate_migration_naming(tree: Path) -> None:
    result = scan(config(tree), {"tenant": "x"})
    assert [(i.script, i.message) for i in result.invalid] == [
        (
            "V1_desc.sql",
            "Invalid versioned migration name format: V1_desc.sql (could not recognise version number 1_desc)",
        )
    ]
    assert any("1 SQL migrations were detected but not run" in w for w in result.warnings)
    write(tree, "Q1__nope.sql")
    write(tree, "U1__undo.sql")  # a Flyway Teams undo migration: recognised, not invalid
    with pytest.raises(MigrationNameError) as err:
        scan(config(tree, validate_migration_naming=True), {"tenant": "x"})
    assert err.value.message == (
        "Invalid SQL filenames found:\r\n"
        "Unrecognised migration name format: Q1__nope.sql\r\n"
        "Invalid versioned migration name format: V1_desc.sql (could not recognise version number 1_desc)"
    )


def test_numerically_equal_versions_are_duplicates(tmp_path: Path) -> None:
    write(tmp_path, "V1__a.sql")
    write(tmp_path, "x/V1.0__b.sql")
    with pytest.raises(DuplicateMigrationError) as err:
        scan(config(tmp_path))
    assert err.value.message == (
        "Found more than one migration with version 1\nOffenders:\n"
        f"-> {tmp_path / 'V1__a.sql'} (SQL)\n"
        f"-> {tmp_path / 'x' / 'V1.0__b.sql'} (SQL)"
    )


def test_duplicate_repeatable_descriptions_and_sql_vs_python(tmp_path: Path) -> None:
    write(tmp_path, "R__v.sql")
    write(tmp_path, "a/R__v.sql")
    with pytest.raises(DuplicateMigrationError, match="repeatable migration with description v\nOffenders"):
        scan(config(tmp_path))
    other = tmp_path / "other"
    write(other, "V5__x.sql")
    write(other, "V5__y.py", "def migrate(conn):\n    pass\n")
    with pytest.raises(DuplicateMigrationError, match=r"\(SQL\)\n-> .*V5__y.py \(SCRIPT\)"):
        scan(config(other))


def test_baseline_may_share_a_version_with_a_versioned_migration(tmp_path: Path) -> None:
    write(tmp_path, "B2__base.sql")
    write(tmp_path, "V2__step.sql")
    types = [m.type for m in scan(config(tmp_path)).migrations]
    assert types == [MigrationType.SQL, MigrationType.SQL_BASELINE]


def test_same_callback_in_two_locations_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "a/afterMigrate.sql")
    write(tmp_path, "b/afterMigrate.sql")
    with pytest.raises(DuplicateMigrationError, match="more than 1 SQL callback script called afterMigrate!"):
        scan(config(tmp_path / "a", tmp_path / "b"))


def test_callback_locations_and_skip_default_callbacks(tmp_path: Path) -> None:
    write(tmp_path, "mig/V1__a.sql")
    write(tmp_path, "mig/beforeMigrate.sql")
    write(tmp_path, "cb/afterMigrate.sql")
    separate = scan(config(tmp_path / "mig", callback_locations=(f"filesystem:{tmp_path / 'cb'}",)))
    assert list(separate.callbacks) == ["afterMigrate"] and len(separate.migrations) == 1
    assert scan(config(tmp_path / "mig", skip_default_callbacks=True)).callbacks == {}


def test_missing_location_warns_or_fails(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    assert scan(config(missing)).warnings == [f"Skipping filesystem location: {missing} (NOT_FOUND)"]
    with pytest.raises(ConfigError, match=r"Failed to find filesystem location: .*nope \(NOT_FOUND\)"):
        scan(config(missing, fail_on_missing_locations=True))


def test_classpath_locations_are_refused_and_plain_paths_accepted(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="classpath"):
        scan(config("classpath:db/migration"))
    write(tmp_path, "V1__a.sql")
    assert len(scan(config(str(tmp_path))).migrations) == 1
    rel = scan(Config(locations=("filesystem:.",), working_directory=str(tmp_path)))
    assert [m.script for m in rel.migrations] == ["V1__a.sql"]


def test_wildcard_locations(tmp_path: Path) -> None:
    write(tmp_path, "mod1/sql/V1__a.sql")
    write(tmp_path, "mod2/sql/V2__b.sql")
    result = scan(config(f"filesystem:{tmp_path}/*/sql"))
    assert [m.script for m in result.migrations] == ["V1__a.sql", "V2__b.sql"]


def test_symlink_loop_is_broken_with_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "V1__a.sql")
    os.symlink(tmp_path, tmp_path / "loop")
    result = scan(config(tmp_path))
    assert [m.script for m in result.migrations] == ["V1__a.sql"]
    assert any("symbolic link loop" in w for w in result.warnings)


def test_per_script_conf_sets_encoding_and_placeholder_replacement(tmp_path: Path) -> None:
    write(tmp_path, "V1__latin.sql", "SELECT 'é';\n", encoding="latin-1")
    write(tmp_path, "V1__latin.sql.conf", "# settings\nencoding=ISO-8859-1\nexecuteInTransaction=FALSE\n")
    write(tmp_path, "R__raw.sql", "SELECT '${unset}';\n")
    write(tmp_path, "R__raw.sql.conf", "placeholderReplacement = false\n")
    v1, raw = scan(config(tmp_path)).migrations
    assert (v1.encoding, v1.execute_in_transaction, v1.checksum) == (
        "ISO-8859-1",
        False,
        checksum_of_text("SELECT 'é';\n"),
    )
    assert raw.placeholder_replacement is False and raw.checksum == raw.raw_checksum


def test_bad_script_conf_and_bad_encoding_are_typed_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"for shouldExecute \(should be either true or false\): maybe"):
        parse_script_config("shouldExecute=maybe")
    with pytest.raises(ConfigError, match=r"property: mixed\. Please check your script"):
        parse_script_config("mixed=true")
    write(tmp_path, "V1__bad.sql", "SELECT 'é';", encoding="latin-1")
    with pytest.raises(ChecksumError, match=r"Unable to calculate checksum of V1__bad\.sql"):
        scan(config(tmp_path))


def test_alias_names_are_resolved_with_declared_releases(tmp_path: Path) -> None:
    write(tmp_path, "V_4.1.0_A.sql")
    write(tmp_path, "V_410_B.py", "def migrate(conn):\n    pass\n")
    result = scan(config(tmp_path), releases=[Version.parse("4.1.0")])
    assert [
        (m.version.text if m.version else "", m.alias_of, m.name.rebuilt_filename if m.name else "")
        for m in result.migrations
    ] == [("4.1.0.1", "V_4.1.0_A.sql", "V4.1.0.1.sql"), ("4.1.0.2", "V_410_B.py", "V4.1.0.2.py")]
    assert result.invalid == [] and any("flywayx rename" in w for w in result.warnings)
    with pytest.raises(MigrationNameError, match=r"Ambiguous alias V_410_B\.py"):
        scan(config(tmp_path), releases=[Version.parse("4.1.0"), Version.parse("4.10")])


def test_python_repeatable_uses_script_placeholders(tmp_path: Path) -> None:
    write(tmp_path, "R__seed.py", "TENANT = 'FP__tenant__'  # ${not_replaced}\n")
    [seed] = scan(config(tmp_path), {"tenant": "acme"}).migrations
    assert seed.checksum == checksum_of_text("TENANT = 'acme'  # ${not_replaced}\n")
    assert seed.type is MigrationType.SCRIPT


def test_other_script_types_are_skipped_with_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "V1__shell.sh", "echo hi\n")
    result = scan(config(tmp_path))
    assert result.migrations == [] and any("only .py" in w for w in result.warnings)


def test_unreadable_directory_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "V1__a.sql")
    write(tmp_path, "locked/V2__b.sql")
    real_scandir = os.scandir

    def scandir(path: str) -> object:  # chmod 000 does not stop root, so refuse like the OS would
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = scan(config(tmp_path))
    assert [m.script for m in result.migrations] == ["V1__a.sql"]
    assert result.warnings == [f"Unable to scan {tmp_path / 'locked'}: Permission denied"]
