"""What each Java port does to the schema, measured on CloudStack's real chain (MariaDB).

One emulated fresh install to 4.22.0.0 (tests/acs_e2e/cloudstack_path.py); around every step's
Python migration, ``cloud`` and ``cloud_usage`` are fingerprinted before and after. The drift paths
between the two must be exactly the port's ``SCHEMA_EFFECTS`` — what the import report lists as
objects an SQL-only run lacks — and the report must list the same.
"""

from __future__ import annotations

import importlib
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flywayx.db.fingerprint import fingerprint
from flywayx.model.fingerprint import diff
from flywayx_cloudstack.project import _port_module
from tests.acs_e2e.cloudstack_path import SCHEMAS, install, steps_to
from tests.acs_e2e.conftest import CloudPair

pytestmark = [pytest.mark.mariadb, pytest.mark.acs]

LATEST = "4.22.0.0"
needs_client = pytest.mark.skipif(shutil.which("mariadb") is None, reason="the mariadb client is not installed")


def _declared(owner: str) -> tuple[str, ...] | None:
    module = importlib.import_module(f"java_equiv.{_port_module(owner)}")
    return getattr(module, "SCHEMA_EFFECTS", None)


def _measure(pair: CloudPair, source: Path, project: Path) -> dict[str, tuple[dict[str, Any], set[str]]]:
    """Release -> (report row, drift paths its Python migration caused), for every step that has one."""
    conn: Any = pair.connect()
    measured: dict[str, tuple[dict[str, Any], set[str]]] = {}

    def around(row: dict[str, Any], run: Callable[[], None]) -> None:
        before = fingerprint(conn, "mariadb", list(SCHEMAS))
        run()
        after = fingerprint(conn, "mariadb", list(SCHEMAS))
        measured[row["release"]] = (row, {d.path for d in diff(before, after)})

    try:
        install(source, project, LATEST, host=pair.host, port=pair.port, user=pair.user, conn=conn, around=around)
    finally:
        conn.close()
    return measured


@needs_client
def test_each_java_port_changes_exactly_the_schema_objects_it_declares(
    acs_tree: tuple[Path, Path], cloud_pair: CloudPair
) -> None:
    source, project = acs_tree
    measured = _measure(cloud_pair, source, project)
    # every step of CloudStack's path whose Java has a migration ran through the callback
    with_java = [r["release"] for r in steps_to(source, project, LATEST) if r["java_owner"]]
    assert sorted(measured) == sorted(with_java) and len(with_java) > 20
    problems = []
    for release, (row, paths) in measured.items():
        owner = row["java_owner"]
        if row["java"] == "stub":  # no port: the generated stub must not touch the schema
            declared: tuple[str, ...] | None = ()
        else:
            declared = _declared(owner)
        if declared is None:
            problems.append(f"{release} {owner}: declares no SCHEMA_EFFECTS; measured {sorted(paths)}")
            continue
        if set(declared) != paths:
            problems.append(
                f"{release} {owner}: declared but not measured {sorted(set(declared) - paths)}, "
                f"measured but not declared {sorted(paths - set(declared))}"
            )
        if row["schema_effects"] != list(declared):
            problems.append(
                f"{release} {owner}: import report lists {row['schema_effects']}, the module declares {list(declared)}"
            )
    assert problems == [], "\n".join(problems)
    # the measurement sees schema changes at all (ports that add columns, indexes, keys exist)
    assert sum(len(p) for _, p in measured.values()) >= 10
