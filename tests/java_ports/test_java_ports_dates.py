"""The backup-date parsing of Upgrade41810to41900 (pure), and the whole step on a scratch MariaDB."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest

from java_equiv import upgrade_41810to41900
from java_equiv._dates import parse_backup_date


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time = UTC, so instants map to dates predictably."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-05-01 13:45:00", dt.date(2023, 5, 1)),
        ("2023-05-01 13:45:00.0", dt.date(2023, 5, 1)),  # trailing text ignored
        ("05/31/2023 10:00:00", dt.date(2023, 5, 31)),
        ("31/05/2023 10:00:00", dt.date(2025, 7, 5)),  # lenient MM/dd: month 31 rolls over
        ("Tue Jun 13 10:24:01 UTC 2023", dt.date(2023, 6, 13)),
        ("2023-05-01T23:30:00-02:00", dt.date(2023, 5, 2)),  # zoned: the UTC date of the instant
        ("2023-05-01T23:30:00.123456+0000", dt.date(2023, 5, 1)),
        ("2023-05-01T23:30:00Z", dt.date(2023, 5, 1)),
        ("2023-05-01T23:30:00", None),  # no zone, no 'yyyy-MM-dd HH' form
        ("yesterday", None),
        (None, None),
    ],
)
def test_backup_date_parsing_follows_the_java(utc: None, text: str | None, expected: dt.date | None) -> None:
    assert parse_backup_date(text) == expected


def _sql(conn: Any, sql: str, *args: object) -> Any:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def _tables(conn: Any) -> None:
    _sql(conn, "CREATE TABLE account (id bigint unsigned PRIMARY KEY)")
    _sql(conn, "CREATE TABLE backups (id bigint unsigned PRIMARY KEY, `date` varchar(255), size bigint)")
    _sql(
        conn,
        "CREATE TABLE alert (id bigint PRIMARY KEY, archived tinyint, created datetime, type int, "
        "data_center_id bigint, pod_id bigint)",
    )
    _sql(conn, "CREATE TABLE event (id bigint PRIMARY KEY, resource_type varchar(32), resource_id bigint)")
    _sql(conn, "CREATE TABLE quarantined_ips (id bigint PRIMARY KEY, remover_account_id bigint unsigned)")
    _sql(conn, "CREATE TABLE configuration (category varchar(255), name varchar(255) PRIMARY KEY, value varchar(4095))")
    for table in ("account_details", "domain_details"):  # the step's first call reads them
        _sql(conn, f"CREATE TABLE {table} (id bigint PRIMARY KEY, name varchar(255), value varchar(1024))")


def test_41810to41900_converts_backup_dates_and_adds_keys(utc: None, mariadb: Any) -> None:
    conn = mariadb.connect()
    _tables(conn)
    _sql(conn, "INSERT INTO backups (id, `date`) VALUES (1, '2023-05-01 13:45:00'), (2, 'garbage'), (3, NULL)")
    upgrade_41810to41900.migrate(conn, cloud=mariadb.name)
    got = dict(_sql(conn, "SELECT id, `date` FROM backups ORDER BY id"))
    assert got == {1: dt.datetime(2023, 5, 1), 2: None, 3: None}
    columns = _sql(
        conn,
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema=%s "
        "AND table_name='backups' ORDER BY ordinal_position",
        mariadb.name,
    )
    assert columns == (("id", "bigint"), ("size", "bigint"), ("date", "datetime"))
    upgrade_41810to41900.migrate(conn, cloud=mariadb.name)  # a second run re-reads the dates: same values
    assert dict(_sql(conn, "SELECT id, `date` FROM backups ORDER BY id")) == got
    names = {
        r[0]
        for r in _sql(
            conn, "SELECT DISTINCT index_name FROM information_schema.statistics WHERE table_schema=%s", mariadb.name
        )
    }
    assert {
        "i_alert__archived__created",
        "i_alert__type__data_center_id__pod_id",
        "i_event__resource_type__resource_id",
        "fk_quarantined_ips__remover_account_id",
    } <= names
    fks = _sql(
        conn,
        "SELECT constraint_name, referenced_table_name FROM information_schema.referential_constraints "
        "WHERE constraint_schema=%s",
        mariadb.name,
    )
    assert fks == (("fk_quarantined_ips__remover_account_id", "account"),)


def test_41810to41900_finishes_a_half_done_date_migration(utc: None, mariadb: Any) -> None:
    conn = mariadb.connect()
    _tables(conn)
    # an earlier run renamed the column and added the new one, then stopped
    _sql(conn, "ALTER TABLE backups CHANGE COLUMN `date` old_date varchar(255), ADD COLUMN `date` DATETIME")
    _sql(conn, "INSERT INTO backups (id, old_date) VALUES (7, '12/24/2022 08:00:00')")
    upgrade_41810to41900.migrate(conn, cloud=mariadb.name)
    assert _sql(conn, "SELECT id, `date` FROM backups") == ((7, dt.datetime(2022, 12, 24)),)
