"""Upgrade41720to41800's quota-tariff conversions on a scratch MariaDB.

``cloud_usage.quota_tariff`` is built from CloudStack's own scripts: 4.7's CREATE TABLE and seed rows,
4.11's DECIMAL(15,5) prices, then 4.18's new columns and its ``name`` fill, so the rows are the ones
the Java meets right after schema-41720to41800.sql.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from java_equiv._quota_tariffs import (
    convert_quota_tariffs_to_new_paradigm,
    convert_vm_resources_quota_types_to_running_vm_quota_type,
)


def _sql(conn: Any, sql: str, *args: object) -> Any:
    with conn.cursor() as cur:
        cur.execute(sql, args or None)
        return cur.fetchall()


def _quota_statements(corpus: Path, script: str, usage: str) -> list[str]:
    """The script's statements on quota_tariff (comment lines dropped), aimed at ``usage``."""
    text = (corpus / "META-INF" / "db" / script).read_text()
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    found = [s.strip() for s in text.split(";") if "quota_tariff" in s and not s.strip().startswith(("LOCK", "UNLOCK"))]
    return [re.sub(r"`?cloud_usage`?\.", f"`{usage}`.", s) for s in found]


def _build_418_quota_tariff(conn: Any, corpus: Path, usage: str, before_418: list[str]) -> None:
    for script in ("schema-461to470.sql", "schema-41000to41100-cleanup.sql"):
        for statement in _quota_statements(corpus, script, usage):
            _sql(conn, statement)
    for statement in before_418:  # what operators set up while on 4.17
        _sql(conn, statement.format(usage=usage))
    for statement in _quota_statements(corpus, "schema-41720to41800.sql", usage):
        _sql(conn, statement)


def _tariffs(conn: Any, usage: str) -> dict[int, tuple[Any, ...]]:
    found = _sql(
        conn,
        f"SELECT id, usage_type, usage_name, name, effective_on, end_date, removed, currency_value, "
        f"activation_rule, uuid FROM `{usage}`.quota_tariff",
    )
    return {row[0]: row[1:] for row in found}


def _id(conn: Any, usage: str, where: str) -> int:
    found = _sql(conn, f"SELECT id FROM `{usage}`.quota_tariff WHERE {where}")
    assert len(found) == 1, where
    return int(found[0][0])


# An operator on 4.17 raised the VOLUME price twice on one day in 2021 and scheduled two more
# changes; priced CPU_SPEED and MEMORY (vCPU stays free) and added a second vCPU price.
OPERATOR_TARIFFS = [
    "INSERT INTO `{usage}`.quota_tariff (usage_type, usage_name, usage_unit, usage_discriminator, currency_value, "
    "effective_on, updated_on, updated_by) VALUES "
    "(6, 'VOLUME', 'GB-Month', '', 1.5, '2021-03-10 08:00:00', '2021-03-01 09:00:00', 2), "
    "(6, 'VOLUME', 'GB-Month', '', 1.7, '2021-03-10 18:00:00', '2021-03-02 09:00:00', 2), "
    "(6, 'VOLUME', 'GB-Month', '', 2.0, '2090-01-01 15:30:00', '2021-03-03 09:00:00', 2), "
    "(6, 'VOLUME', 'GB-Month', '', 2.2, '2091-06-01 00:00:00', '2021-03-04 09:00:00', 2), "
    "(16, 'vCPU', 'Compute-Month', '1VCPU', 3, '2022-01-01 00:00:00', '2022-01-01 00:00:00', 2)",
    "UPDATE `{usage}`.quota_tariff SET currency_value = 2.5 WHERE usage_type = 15",
    "UPDATE `{usage}`.quota_tariff SET currency_value = 0.01 WHERE usage_type = 17",
]


@pytest.fixture
def usage(mariadb: Any, acs_corpus: Path) -> tuple[Any, str]:
    conn = mariadb.connect()
    _build_418_quota_tariff(conn, acs_corpus, mariadb.name, OPERATOR_TARIFFS)
    _sql(conn, "USE information_schema")  # the port must name the usage schema itself
    return conn, mariadb.name


def test_tariffs_are_chained_by_effective_day(usage: tuple[Any, str]) -> None:
    conn, db = usage
    seed = _id(conn, db, "usage_type = 6 AND effective_on = '2010-05-04'")
    morning = _id(conn, db, "usage_type = 6 AND effective_on = '2021-03-10 08:00:00'")
    evening = _id(conn, db, "usage_type = 6 AND effective_on = '2021-03-10 18:00:00'")
    in_2090 = _id(conn, db, "usage_type = 6 AND effective_on LIKE '2090%'")
    in_2091 = _id(conn, db, "usage_type = 6 AND effective_on LIKE '2091%'")
    before = _tariffs(conn, db)
    assert before[in_2090][2] == f"VOLUME-{in_2090}"  # 4.18's script names a future tariff after its id

    convert_quota_tariffs_to_new_paradigm(conn, cloud_usage=db)
    after = _tariffs(conn, db)

    def day(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text)

    # (end_date, removed): tariffs already in effect are ended and removed the day before the next
    # one starts, or on that day when the next starts the same day; the newest of them stays on
    assert after[seed][4:6] == (day("2021-03-09"), day("2021-03-09"))
    assert after[morning][4:6] == (day("2021-03-10"), day("2021-03-10"))
    # the current and future tariffs only get an end date
    assert after[evening][4:6] == (day("2089-12-31"), None)
    assert after[in_2090][4:6] == (day("2091-05-31"), None)
    assert after[in_2091][4:6] == (None, None)
    # a usage type with one tariff is left alone, and so are prices, names and uuids everywhere
    changed = {i for i in before if before[i] != after[i]}
    assert changed == {seed, morning, evening, in_2090}
    assert all(before[i][:4] + before[i][6:] == after[i][:4] + after[i][6:] for i in before)

    convert_quota_tariffs_to_new_paradigm(conn, cloud_usage=db)
    assert _tariffs(conn, db) == after  # a re-run on its own writes the same values


def test_cpu_speed_vcpu_and_memory_become_running_vm_rules(usage: tuple[Any, str]) -> None:
    conn, db = usage
    before = _tariffs(conn, db)
    old = {i: row for i, row in before.items() if row[0] in (15, 16, 17)}

    convert_vm_resources_quota_types_to_running_vm_quota_type(conn, cloud_usage=db)
    after = _tariffs(conn, db)

    new = {i: row for i, row in after.items() if i not in before}
    got = sorted((row[2], row[3], row[7], row[6]) for row in new.values())
    resources = "value.computingResources"
    assert got == [
        (
            "CPU_SPEED",
            dt.datetime(2010, 5, 4),
            f"(({resources} ? ({resources}.cpuSpeed * {resources}.cpuNumber) : 0) / 100) * 2.50000",
            0,
        ),
        ("MEMORY", dt.datetime(2010, 5, 4), f"({resources} ? {resources}.memory : 0) * 0.01000", 0),
        ("vCPU", dt.datetime(2022, 1, 1), f"({resources} ? {resources}.cpuNumber : 0) * 3.00000", 0),
    ]  # the free 2010 vCPU tariff is not copied; the price is the activation rule's factor
    assert all(row[:2] == (1, "RUNNING_VM") and row[5] is None for row in new.values())
    assert len({row[8] for row in after.values()}) == len(after)  # every copy has its own uuid
    assert all(after[i][5] is not None for i in old)  # the old tariffs are removed
    assert {i: after[i] for i in before if i not in old} == {i: before[i] for i in before if i not in old}

    # a re-run copies the old tariffs again; they are removed now, so the copies arrive removed
    convert_vm_resources_quota_types_to_running_vm_quota_type(conn, cloud_usage=db)
    again = _tariffs(conn, db)
    extra = {i: row for i, row in again.items() if i not in after}
    assert sorted(row[2] for row in extra.values()) == ["CPU_SPEED", "MEMORY", "vCPU"]
    assert all(row[5] is not None for row in extra.values())
    assert {i: again[i] for i in after} == after


def test_rerunning_the_step_ends_the_running_vm_tariffs(usage: tuple[Any, str]) -> None:
    """The Java's order, twice: the second chaining pass sees the RUNNING_VM copies (not removed)
    and ends every RUNNING_VM tariff but the newest; a re-run is not harmless."""
    conn, db = usage

    def live_running_vm() -> list[tuple[Any, ...]]:
        return [row for row in _tariffs(conn, db).values() if row[0] == 1 and row[5] is None]

    convert_quota_tariffs_to_new_paradigm(conn, cloud_usage=db)
    convert_vm_resources_quota_types_to_running_vm_quota_type(conn, cloud_usage=db)
    first = live_running_vm()
    assert sorted(row[2] for row in first) == ["CPU_SPEED", "MEMORY", "RUNNING_VM", "vCPU"]
    assert all(row[4] is None for row in first)  # none of them ends

    convert_quota_tariffs_to_new_paradigm(conn, cloud_usage=db)
    convert_vm_resources_quota_types_to_running_vm_quota_type(conn, cloud_usage=db)
    second = live_running_vm()
    assert sorted(row[2] for row in second) == ["CPU_SPEED", "MEMORY", "RUNNING_VM", "vCPU"]
    ends = sorted((row[4] for row in second if row[2] != "vCPU"), key=str)
    assert ends == [dt.datetime(2010, 5, 4), dt.datetime(2010, 5, 4), dt.datetime(2021, 12, 31)]
    assert [row[4] for row in second if row[2] == "vCPU"] == [None]


def test_a_table_without_4_18_columns_fails_the_step(mariadb: Any, acs_corpus: Path) -> None:
    conn = mariadb.connect()
    for script in ("schema-461to470.sql", "schema-41000to41100-cleanup.sql"):
        for statement in _quota_statements(acs_corpus, script, mariadb.name):
            _sql(conn, statement)
    with pytest.raises(Exception, match=r"removed|name"):
        convert_quota_tariffs_to_new_paradigm(conn, cloud_usage=mariadb.name)
    with pytest.raises(Exception, match=r"uuid|name|removed|end_date|activation_rule|description"):
        convert_vm_resources_quota_types_to_running_vm_quota_type(conn, cloud_usage=mariadb.name)
