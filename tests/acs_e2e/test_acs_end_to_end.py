"""CloudStack end to end on MariaDB, from the real SQL corpus and generated Java fixtures.

Schema fingerprints (tables, columns, indexes, FKs, views, routines of cloud and cloud_usage) are
compared between (a) a flywayx fresh install, (b) CloudStack's own path to S, adoption with
``baseline --acs`` and a flywayx upgrade, and (c) CloudStack's own path run with the ``mariadb``
client (tests/acs_e2e/cloudstack_path.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from flywayx.db.fingerprint import fingerprint
from flywayx.model.fingerprint import SchemaFingerprint, diff
from flywayx_cloudstack.adopt import VersionRow, current_release
from flywayx_cloudstack.checker import version_key
from tests.acs_e2e.cloudstack_path import SCHEMAS, install
from tests.acs_e2e.conftest import CloudPair
from tests.acs_e2e.java_fixture import SQL_MODE

pytestmark = [pytest.mark.mariadb, pytest.mark.acs]

LATEST = "4.22.0.0"
# Column order is compared apart: releases.toml (the cloudstack overrides) puts 4.19.2.0 in
# closure(4.20.1.0), so flywayx adds volumes.last_id (4.19.2.0.1) before 4.20.0.0's delete_protection,
# as CloudStack's 4.19 branch does, while main's chain adds it later, at 4.20.1.0. Every flywayx path
# from before 4.19.2.0 must give the fresh install's order (``_fresh_volumes``); everything else,
# order of columns included, is identical to CloudStack's own path.
ORDER_ONLY = {"table cloud.volumes"}
VERSION_TABLE = "CREATE TABLE version (id bigint PRIMARY KEY, version char(40), updated datetime, step char(32))"
needs_client = pytest.mark.skipif(shutil.which("mariadb") is None, reason="the mariadb client is not installed")


def _print(pair: CloudPair) -> SchemaFingerprint:
    conn: Any = pair.connect()
    try:
        return fingerprint(conn, "mariadb", list(SCHEMAS))
    finally:
        conn.close()


def _same(reference: SchemaFingerprint, actual: SchemaFingerprint) -> None:
    drift = [d for d in diff(reference, actual) if not (d.attribute == "column order" and d.path in ORDER_ONLY)]
    assert drift == [], "\n".join(str(d) for d in drift[:20])


def _cloudstack(pair: CloudPair, source: Path, project: Path, release: str, views: bool = True) -> None:
    conn: Any = pair.connect()
    try:
        install(source, project, release, host=pair.host, port=pair.port, user=pair.user, conn=conn, views=views)
    finally:
        conn.close()


def _fx(run: Any, pair: CloudPair, project: Path, *args: str) -> Any:
    result = run("--url", pair.url, "--working-directory", str(project), *args)
    assert result.code == 0, result.out + result.err
    return result


def _versions(pair: CloudPair) -> list[tuple[Any, ...]]:
    conn: Any = pair.connect("cloud")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT version, step FROM version ORDER BY id")
            return list(cur.fetchall())
    finally:
        conn.close()


def _management_server_release(pair: CloudPair) -> str:
    """What CloudStack's management server reads at start-up: the newest ``Complete`` row."""
    conn: Any = pair.connect("cloud")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT id, version, updated, step FROM version")
            return current_release(VersionRow(int(r[0]), str(r[1]), r[2], str(r[3])) for r in cur.fetchall())
    finally:
        conn.close()


def _views(pair: CloudPair) -> int:
    conn: Any = pair.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = 'cloud'")
            return int(cur.fetchone()[0])
    finally:
        conn.close()


def _volumes(fingerprint: SchemaFingerprint) -> list[str]:
    table = next(t for t in fingerprint.schemas[0].tables if t.name == "volumes")
    return [c.name for c in table.columns]


def _fresh_volumes(reference: SchemaFingerprint) -> list[str]:
    """CloudStack's own order with last_id where 4.19.2.0 puts it: just before delete_protection."""
    cols = [c for c in _volumes(reference) if c != "last_id"]
    at = cols.index("delete_protection")
    return [*cols[:at], "last_id", *cols[at:]]


def _routine_modes(pair: CloudPair) -> list[str]:
    conn: Any = pair.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT SQL_MODE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA IN ('cloud', 'cloud_usage')"
            )
            return [str(r[0]) for r in cur.fetchall()]
    finally:
        conn.close()


def _views_at_latest(reference: SchemaFingerprint) -> int:
    return len(reference.schemas[0].views)


_REFERENCE: dict[str, SchemaFingerprint] = {}


def _reference(pair: CloudPair, source: Path, project: Path, release: str = LATEST) -> SchemaFingerprint:
    """A fresh install of ``release`` by CloudStack's own path, fingerprinted once per worker (the
    caller holds the lock). The tree's views only for its own release: an older release shipped its
    own views/, which the corpus does not hold, and its scripts' views are what it has here."""
    if release not in _REFERENCE:
        pair.drop()
        _cloudstack(pair, source, project, release, views=release == LATEST)
        _REFERENCE[release] = _print(pair)
        assert len(_REFERENCE[release].schemas[0].tables) > 250  # the whole chain ran, not an empty schema
    pair.drop()
    return _REFERENCE[release]


@needs_client
def test_fresh_install_matches_cloudstacks_own_path(
    acs_tree: tuple[Path, Path], cloud_pair: CloudPair, flywayx: Any
) -> None:
    source, project = acs_tree
    # fresh installs of each stop, by CloudStack's own path (4.18.1.0: the last release whose
    # scripts still create the views; 4.21.0.0: after CloudStack moved them into views/)
    stops = {r: _reference(cloud_pair, source, project, r) for r in ("4.18.1.0", "4.21.0.0")}
    reference = _reference(cloud_pair, source, project)
    # staged, as operators upgrade: the tree's views wait for its own release, and each stop has
    # the views (tables, routines ...) a fresh install of that release has, no more, no fewer
    staged = _fx(flywayx, cloud_pair, project, "migrate", "--to", "4.18.1.0")
    assert "R__" not in staged.out and _views(cloud_pair) < _views_at_latest(reference)
    assert "  from an empty database to 4.18.1.0: " in staged.out and ", 35 deferred" in staged.out
    _same(stops["4.18.1.0"], _print(cloud_pair))
    assert _management_server_release(cloud_pair) == "4.18.1.0"
    plan = _fx(flywayx, cloud_pair, project, "plan", "--to", "4.21.0.0")
    assert "Deferred (35): repeatable migrations are written for release 4.22.0.0" in plan.out
    _fx(flywayx, cloud_pair, project, "migrate", "--to", "4.21.0.0")
    _same(stops["4.21.0.0"], _print(cloud_pair))
    assert _management_server_release(cloud_pair) == "4.21.0.0"
    result = _fx(flywayx, cloud_pair, project, "migrate", "--to", LATEST)
    assert "Successfully applied" in result.out
    final = _print(cloud_pair)
    _same(reference, final)
    assert _volumes(final) == _fresh_volumes(reference)
    assert _management_server_release(cloud_pair) == LATEST
    assert set(_routine_modes(cloud_pair)) == {SQL_MODE}  # db.properties' session, as CloudStack stores them
    rows = [v for v, _ in _versions(cloud_pair)]
    assert rows[0] == "4.0.0" and len(rows) == len(set(rows))
    assert rows.index("4.9.3.0") < rows.index("4.10.0.0") < rows.index("4.21.0.0") < rows.index(LATEST)


def _noop_row(pair: CloudPair, version: str) -> None:
    """The row CloudStack's NoopDbUpgrade writes for a release without database changes."""
    conn: Any = pair.connect("cloud")
    try:
        with conn.cursor() as cur:
            cur.execute("INSERT INTO version (version, updated, step) VALUES (%s, now(), 'Complete')", (version,))
    finally:
        conn.close()


# Where adoption takes a different road: a maintenance release shipped after the next major (4.5.3,
# 4.9.3.0), the first release after one (4.10.0.0), releases around the 4.19.2.0 maintenance release
# (4.19.1.0, 4.20.0.0), and versions CloudStack's hierarchy has no node for (the row of a release
# without database changes on top of the node CloudStack falls back to): 4.20.2.0 and 4.18.2.0 take
# the closest lower node, 4.8.2 the padding quirk (node 4.8.2.0 compares equal, so not below, and
# equals() misses it: CloudStack starts at 4.8.1). 4.19.3.0 is left out: it falls back to 4.19.1.0
# like 4.20.2.0 to 4.20.1.0, and the path from 4.19.1.0 is the case above (the choice of node is
# tests/unit/test_acs_adoption_start.py's). The 4.8.2 and one 4.20.0.0 case upgrade with a plain `migrate`
# (Flyway's order over the contract), the others with `migrate --to`.
ADOPTIONS = [
    ("4.5.3", None, True),
    ("4.9.3.0", None, True),
    ("4.10.0.0", None, True),
    ("4.19.1.0", None, True),
    ("4.20.0.0", None, True),
    ("4.20.1.0", "4.20.2.0", True),
    ("4.18.1.0", "4.18.2.0", True),
    ("4.8.1", "4.8.2", False),
    ("4.20.0.0", None, False),
]


@needs_client
@pytest.mark.parametrize(
    ("adopted", "noop", "to"), ADOPTIONS, ids=[(a[1] or a[0]) + ("" if a[2] else "-plain") for a in ADOPTIONS]
)
def test_adoption_then_upgrade_matches_cloudstack(
    acs_tree: tuple[Path, Path], cloud_pair: CloudPair, flywayx: Any, adopted: str, noop: str | None, to: bool
) -> None:
    source, project = acs_tree
    reference = _reference(cloud_pair, source, project)
    _cloudstack(cloud_pair, source, project, adopted, views=False)
    assert _versions(cloud_pair)[-1] == (adopted, "Complete")
    if noop is not None:  # a release CloudStack's hierarchy has no node for: it starts from `adopted`
        _noop_row(cloud_pair, noop)
    result = _fx(flywayx, cloud_pair, project, "baseline", "--acs")
    assert adopted in result.out
    if noop is not None:
        assert f"cloud.version says {noop}" in result.out and f"adopting release {adopted}" in result.out
    _fx(flywayx, cloud_pair, project, "validate")
    same = _fx(flywayx, cloud_pair, project, "migrate", "--to", adopted)
    assert "is up to date. No migration necessary." in same.out, same.out
    plan = _fx(flywayx, cloud_pair, project, "plan", "--to", LATEST)
    assert f"V{adopted}." not in plan.out  # the adopted release's own steps are not planned again
    assert "B4.0.0" not in plan.out.split("step(s)")[1]
    upgrade = _fx(flywayx, cloud_pair, project, "migrate", *(("--to", LATEST) if to else ()))
    assert f'to version "{adopted}.' not in upgrade.out and "Successfully applied" in upgrade.out  # nothing re-run
    final = _print(cloud_pair)
    _same(reference, final)
    # from before 4.19.2.0: the fresh install's order, 4.19.2.0's late last_id placed AFTER. A plain migrate
    # from 4.20.0.0 runs 4.19.2.0's scripts late too, where and as --to runs them (4.20.1.0 merges 4.19.2.0,
    # service/merges.py).
    if version_key(adopted) < version_key("4.20.1.0"):
        assert _volumes(final) == _fresh_volumes(reference)
    assert _management_server_release(cloud_pair) == LATEST
    _fx(flywayx, cloud_pair, project, "validate")  # issue 13: it failed after every adoption + upgrade
    again = _fx(flywayx, cloud_pair, project, "migrate")
    assert "is up to date. No migration necessary." in again.out, again.out
    # issue 17: after a plain migrate, --to refused ("4.19.2.0.1 would run after applied 4.20.1.0.1")
    mixed = _fx(flywayx, cloud_pair, project, "migrate", "--to", LATEST)
    assert "is up to date. No migration necessary." in mixed.out, mixed.out
    rows = _versions(cloud_pair)
    assert [r for r in rows if r[1] != "Complete"] == []
    assert len({v for v, _ in rows}) == len(rows)  # CloudStack's rows kept, none written twice


@needs_client
def test_adoption_at_the_trees_own_release_leaves_nothing_to_run(
    acs_tree: tuple[Path, Path], cloud_pair: CloudPair, flywayx: Any
) -> None:
    """CloudStack brought the database to the tree's release and created its views: after adoption,
    validate passes and a plain migrate runs nothing, the views included."""
    source, project = acs_tree
    _cloudstack(cloud_pair, source, project, LATEST)
    before = _print(cloud_pair)
    result = _fx(flywayx, cloud_pair, project, "baseline", "--acs")
    assert f"CloudStack release {LATEST}, from cloud.version" in result.out
    _fx(flywayx, cloud_pair, project, "validate")
    again = _fx(flywayx, cloud_pair, project, "migrate")
    assert "is up to date. No migration necessary." in again.out, again.out
    assert diff(before, _print(cloud_pair)) == []


def _baseline_acs(flywayx: Any, mariadb: Any, project: Path) -> Any:
    """``baseline --acs`` of the scratch database ``mariadb`` (schema and default schema) with ``project``."""
    schema = ("--schemas", mariadb.name, "--default-schema", mariadb.name)
    return flywayx("--url", mariadb.url, "--working-directory", str(project), *schema, "baseline", "--acs")


def test_adoption_refuses_an_unfinished_upgrade(acs_tree: tuple[Path, Path], mariadb: Any, flywayx: Any) -> None:
    _, project = acs_tree
    conn = mariadb.connect()
    with conn.cursor() as cur:
        cur.execute(VERSION_TABLE)
        cur.execute(
            "INSERT INTO version VALUES (1, '4.0.0', now(), 'Complete'), (2, '4.1.0', now(), 'Complete'),"
            " (3, '4.2.0', now(), 'Upgrade')"
        )
    conn.close()
    result = _baseline_acs(flywayx, mariadb, project)
    assert result.code != 0
    assert "4.2.0" in result.err and "Upgrade" in result.err and "4.1.0" in result.err
    assert "Traceback" not in result.err


def test_adoption_baselines_at_the_newest_complete_release(
    acs_tree: tuple[Path, Path], mariadb: Any, flywayx: Any
) -> None:
    _, project = acs_tree
    conn = mariadb.connect()
    with conn.cursor() as cur:
        cur.execute(VERSION_TABLE)
        cur.execute("INSERT INTO version VALUES (1, '4.0.0', now(), 'Complete'), (2, '4.9.3.0', now(), 'Complete')")
    conn.close()
    result = _baseline_acs(flywayx, mariadb, project)
    assert result.code == 0, result.err
    assert "CloudStack release 4.9.3.0, from cloud.version" in result.out
    conn = mariadb.connect()
    with conn.cursor() as cur:  # baseline --release 4.9.3.0: the rows a fresh install of it writes, not run
        cur.execute("SELECT version, type FROM flyway_schema_history ORDER BY installed_rank")
        rows = cur.fetchall()
        cur.execute("SELECT DISTINCT recorded_as, satisfied_by FROM flywayx_applied")
        how = cur.fetchall()
    conn.close()
    assert rows[0] == ("4.0.0", "SQL_BASELINE") and "BASELINE" not in {t for _, t in rows}
    assert any(v.startswith("4.9.3.0.") for v, _ in rows) and len({v for v, _ in rows}) == len(rows)
    assert how == (("adopted", "baseline --release 4.9.3.0"),)
