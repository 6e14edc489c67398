"""Rows of pending migrations renamed by `release cut`, read as the frozen migrations (pure)."""

from __future__ import annotations

from flywayx.model import HistoryRow, Kind, Migration, MigrationType, Version
from flywayx.plan.renames import recognise_cut_renames

STAMP = "4.6.20261123193000000001"


def mig(version: str, checksum: int, description: str = "add ip") -> Migration:
    name = f"V{version}__{description.replace(' ', '_')}.sql"
    return Migration(
        Kind.VERSIONED, Version.parse(version), description, name, f"/p/{name}", MigrationType.SQL, checksum
    )


def row(rank: int, version: str, checksum: int, description: str = "add ip", success: bool = True) -> HistoryRow:
    return HistoryRow(
        rank, Version.parse(version), description, "SQL", f"V{version}__x.sql", checksum, "dev", 1, success
    )


def test_a_cut_pending_row_reads_as_the_frozen_migration() -> None:
    [got] = recognise_cut_renames([row(1, STAMP, 42)], [mig("4.6.1.1", 42)])
    assert (got.version, got.script, got.installed_rank) == (Version.parse("4.6.1.1"), "V4.6.1.1__add_ip.sql", 1)


def test_only_an_unchanged_file_of_the_same_description_matches() -> None:
    rows = [row(1, STAMP, 42)]
    assert recognise_cut_renames(rows, [mig("4.6.1.1", 43)]) == rows  # edited after it ran: Flyway's rules apply
    assert recognise_cut_renames(rows, [mig("4.6.1.1", 42, "other")]) == rows
    assert recognise_cut_renames(rows, [mig("4.6.1.1", 42), mig("4.6.1.2", 42)]) == rows  # ambiguous


def test_plain_flyway_renames_and_failed_rows_keep_flyways_rules() -> None:
    assert recognise_cut_renames([row(1, "2", 42)], [mig("3", 42)]) == [row(1, "2", 42)]
    failed = [row(1, STAMP, 42, success=False)]
    assert recognise_cut_renames(failed, [mig("4.6.1.1", 42)]) == failed


def test_a_stamp_whose_file_is_still_here_or_a_frozen_version_already_applied_is_left_alone() -> None:
    assert recognise_cut_renames([row(1, STAMP, 42)], [mig(STAMP, 42), mig("4.6.1.1", 42)]) == [row(1, STAMP, 42)]
    rows = [row(1, STAMP, 42), row(2, "4.6.1.1", 42)]
    assert recognise_cut_renames(rows, [mig("4.6.1.1", 42)]) == rows
