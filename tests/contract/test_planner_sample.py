"""The planner's invariant on real servers: a sample of random release graphs run through the CLI.

The unit ring (tests/unit/test_planner_properties.py) checks, on in-memory SQLite with hand-written
footprints, that for every start S and target T the planner accepts, ``migrate S; migrate T`` equals
a fresh install of T. Here a few of those random scenarios become real projects (files plus
releases.toml, footprints from the real analyser) and run with ``flywayx migrate --to`` on MariaDB
and PostgreSQL; the schema and the data of the shared table must equal a fresh install's.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.test_planner_properties import Scenario, scenarios

from .conftest import Result


def write_project(sc: Scenario, root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for old in root.iterdir():
        old.unlink()
    toml = [f"[lines]\ndepth = {sc.graph.depth}"]
    for r in sc.graph.releases:
        toml.append(f'[release."{r.name}"]')
        if r.branch_from:
            toml.append(f'from = "{r.branch_from}"')
        if r.merges:
            toml.append("merges = [" + ", ".join(f'"{m}"' for m in r.merges) + "]")
    (root / "releases.toml").write_text("\n".join(toml) + "\n", encoding="utf-8")
    # the shared table every scenario reads and writes, owned by the first release
    (root / "V1.0.0.0.5__base.sql").write_text("CREATE TABLE s (v INTEGER);\nINSERT INTO s (v) VALUES (1);\n")
    for change in sc.changes:
        m = change.migration
        assert m.version is not None
        (root / f"V{m.version.text}__{m.description}.sql").write_text(sc.sql[m.version.text] + ";\n")
    return root


def snapshot(conn: Any, dialect: str, schema: str) -> tuple[list[tuple[str, str]], list[int]]:
    cur = conn.cursor()
    cur.execute("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s "
                "AND table_name NOT LIKE 'flyway%%'", (schema,))
    cols = sorted((str(t), str(c)) for t, c in cur.fetchall())
    cur.execute("SELECT v FROM s ORDER BY v")
    return cols, [int(v) for (v,) in cur.fetchall()]


@contextmanager
def two_databases(server: Any, dialect: str) -> Iterator[list[tuple[str, Any, str]]]:
    """Two fresh databases on the server of ``server`` (a scratch fixture): (url, connection, schema)."""
    admin = server.connect()
    names = [f"fx_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    q = "`" if dialect == "mariadb" else '"'
    cur = admin.cursor()
    for n in names:
        cur.execute(f"CREATE DATABASE {q}{n}{q}")
    conns = [server.connect(n) for n in names]
    base = server.url.rsplit("/", 1)[0]
    try:
        yield [(f"{base}/{n}", c, n if dialect == "mariadb" else "public") for n, c in zip(names, conns, strict=True)]
    finally:
        for c in conns:
            c.close()
        for n in names:
            cur.execute(f"DROP DATABASE IF EXISTS {q}{n}{q}" + (" WITH (FORCE)" if dialect != "mariadb" else ""))
        admin.close()


SAMPLE = settings(max_examples=4, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("server_fixture", ["mariadb", "postgres"])
@SAMPLE
@given(sc=scenarios(), data=st.data())
def test_accepted_upgrades_equal_fresh_installs_on_servers(
        server_fixture: str, sc: Scenario, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory,
        request: pytest.FixtureRequest, flywayx: Callable[..., Result]) -> None:
    server = request.getfixturevalue(server_fixture)
    dialect = "mariadb" if server_fixture == "mariadb" else "postgresql"
    start, target = data.draw(st.sampled_from(sc.names)), data.draw(st.sampled_from(sc.names))
    loc = write_project(sc, tmp_path_factory.mktemp("project"))
    with two_databases(server, dialect) as ((fresh_url, fresh, fs), (up_url, upgraded, us)):
        assert flywayx("--url", fresh_url, "--locations", str(loc), "migrate", "--to", target).code == 0
        assert flywayx("--url", up_url, "--locations", str(loc), "migrate", "--to", start).code == 0
        second = flywayx("--url", up_url, "--locations", str(loc), "migrate", "--to", target, "--output-type", "json")
        if second.code != 0:  # a refusal must name its reason and leave the database as it was
            assert second.json()["error"]["errorCode"] == "PLAN_IMPOSSIBLE", second.out
            return
        assert snapshot(upgraded, dialect, us) == snapshot(fresh, dialect, fs), (start, target)
