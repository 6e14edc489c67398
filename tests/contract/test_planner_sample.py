"""The planner's invariant on real servers: a sample of random release graphs run through the CLI.

The unit ring (tests/unit/test_planner_properties.py) checks, on in-memory SQLite with hand-written
footprints, that for every start S and target T the planner accepts, ``migrate S; migrate T`` equals
a fresh install of T. Here a few of those random scenarios become real projects (files plus
releases.toml, footprints from the real analyser) and run with ``flywayx migrate --to`` on MariaDB
and PostgreSQL; the schema and the data of the shared table must equal a fresh install's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import CliResult as Result
from tests.databases import ScratchDb, scratch
from tests.unit.test_planner_properties import Scenario, scenarios


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


def snapshot(db: ScratchDb) -> tuple[list[tuple[str, str]], list[int]]:
    cols = sorted(
        (str(t), str(c))
        for t, c in db.query(
            "SELECT table_name, column_name FROM information_schema.columns"
            f" WHERE table_schema = '{db.schema}' AND table_name NOT LIKE 'flyway%'"
        )
    )
    return cols, [int(v) for (v,) in db.query("SELECT v FROM s ORDER BY v")]


SAMPLE = settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.parametrize("server", ["mariadb", "postgres"])
@SAMPLE
@given(sc=scenarios(), data=st.data())
def test_accepted_upgrades_equal_fresh_installs_on_servers(
    server: str,
    sc: Scenario,
    data: st.DataObject,
    tmp_path_factory: pytest.TempPathFactory,
    flywayx: Callable[..., Result],
) -> None:
    start, target = data.draw(st.sampled_from(sc.names)), data.draw(st.sampled_from(sc.names))
    loc = write_project(sc, tmp_path_factory.mktemp("project"))
    folder = tmp_path_factory.mktemp("db")
    with scratch(server, folder) as fresh, scratch(server, folder) as upgraded:
        assert flywayx("--url", fresh.url, "--locations", str(loc), "migrate", "--to", target).code == 0
        assert flywayx("--url", upgraded.url, "--locations", str(loc), "migrate", "--to", start).code == 0
        second = flywayx(
            "--url", upgraded.url, "--locations", str(loc), "migrate", "--to", target, "--output-type", "json"
        )
        if second.code != 0:  # a refusal must name its reason and leave the database as it was
            assert second.json()["error"]["errorCode"] == "PLAN_IMPOSSIBLE", second.out
            return
        assert snapshot(upgraded) == snapshot(fresh), (start, target)
