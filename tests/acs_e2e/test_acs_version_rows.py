"""``cloud.version`` never misleads CloudStack, wherever an upgrade stops.

An ``afterEachMigrate`` callback copies ``cloud.version`` after every migration of a run, so the
test sees each state a failure right after that migration leaves (no migration but a release's
``.4`` writes ``cloud.version``). For each state it applies CloudStack's own rules — the newest
``Complete`` row (``VersionDaoImpl``) and the steps ``getPath`` takes from it to the run's target —
and requires that CloudStack would neither re-run a step flywayx finished nor skip one it has not.
A step is finished when all its files, its version row included, have run; the step a run stops in
is re-run by CloudStack as it re-runs its own interrupted step. A step without effects here (no
file but the version row) and 4.19.2.0's class (main registers none) are left out.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from flywayx_cloudstack.adopt import VersionRow, current_release
from flywayx_cloudstack.checker import upgrade_path, version_key
from flywayx_cloudstack.project import read_tree
from tests.acs_e2e.conftest import CloudPair

pytestmark = [pytest.mark.mariadb, pytest.mark.acs]

LATEST = "4.22.0.0"
WALK = "flywayx_acs_walk"
# ``top``: the history's last rank; the migration just run gets the next one (its row follows the callback)
CALLBACK = (
    f"SET SESSION group_concat_max_len = 1000000;\n"
    f"INSERT INTO `{WALK}`.`snap` (`seen`, `top`) SELECT IFNULL((SELECT GROUP_CONCAT(CONCAT(`id`, '=', "
    "`version`, '=', `step`) ORDER BY `id` SEPARATOR ',') FROM `cloud`.`version`), ''), "
    "IFNULL((SELECT MAX(`installed_rank`) FROM `cloud`.`flyway_schema_history`), 0);\n"
)


def _query(pair: CloudPair, sql: str, database: str | None = None) -> list[tuple[Any, ...]]:
    conn: Any = pair.connect(database)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())
    finally:
        conn.close()


def _walk_project(project: Path, tmp: Path) -> Path:
    copy = tmp / "project"
    shutil.copytree(project, copy)
    (copy / "afterEachMigrate.sql").write_text(CALLBACK, encoding="utf-8")
    return copy


def _snapshots(pair: CloudPair) -> list[tuple[int, list[VersionRow]]]:
    """(rank of the migration just run, cloud.version then) after every migration run so far."""
    out = []
    for seen, top in _query(pair, f"SELECT `seen`, `top` FROM `{WALK}`.`snap` ORDER BY `id`"):
        rows = [r.split("=") for r in str(seen).split(",") if r]
        out.append((int(top) + 1, [VersionRow(int(i), v, None, step) for i, v, step in rows]))
    return out


def _history(pair: CloudPair, project: Path) -> list[tuple[int, str]]:
    """(rank, script) of the successful rows of the project's files (run or recorded)."""
    files = {p.name for p in project.iterdir()}
    rows = _query(
        pair,
        "SELECT installed_rank, script FROM flyway_schema_history WHERE success = 1 ORDER BY installed_rank",
        "cloud",
    )
    return [(int(r), str(s)) for r, s in rows if str(s) in files]


class CloudStackModel:
    """CloudStack's reading of a state, from the tree's hierarchy and the import report."""

    def __init__(self, source: Path, project: Path) -> None:
        self.tree = read_tree(source, [])
        report = json.loads((project / "import-report.json").read_text())["steps"]
        registered = {n.step for n in self.tree.nodes}
        self.files = {r["step"]: {f for f in r["files"] if ".4__" not in f} for r in report if r["step"] in registered}
        self.files = {k: v for k, v in self.files.items() if v}  # steps with effects
        # a file recorded at the end of a run as identical to one already run counts as run
        self.same = tomllib.loads((project / "releases.toml").read_text()).get("equivalent", {})

    def path(self, start: str, target: str) -> list[str]:
        return [s.name for _, s in upgrade_path(self.tree.nodes, self.tree.steps, start, target)]

    def problems(self, rows: list[VersionRow], applied: set[str], target: str, after: str) -> list[str]:
        version = current_release(rows)
        will_run = set(self.path(version, target))
        versions = {f.split("__")[0][1:] for f in applied}
        applied = applied | {
            f for files in self.files.values() for f in files if self.same.get(f.split("__")[0][1:]) in versions
        }
        done = {k for k, files in self.files.items() if files <= applied and self._row_done(k, rows)}
        needed = {k for k in self.path("4.0.0", target) if k in self.files} - done
        out = [
            f"after {after}: cloud.version reads {version}; CloudStack would re-run finished {k}"
            for k in sorted(will_run & done)
        ]
        out += [
            f"after {after}: cloud.version reads {version}; CloudStack would skip unfinished {k}"
            for k in sorted(needed - will_run)
        ]
        return out

    def _row_done(self, step: str, rows: list[VersionRow]) -> bool:
        """A step's own version row (or a newer one: a row may be left out, version_rows.py) is there."""
        target = self.tree.steps[step].target
        return any(version_key(r.version) >= version_key(target) for r in rows)


def _check_run(model: CloudStackModel, pair: CloudPair, project: Path, target: str, first: int) -> list[str]:
    history = _history(pair, project)
    by_rank = dict(history)
    problems = []
    for rank, rows in _snapshots(pair)[first:]:
        applied = {script for r, script in history if r <= rank}
        problems += model.problems(rows, applied, target, by_rank[rank])
    return problems


@pytest.fixture
def walk_schema(cloud_pair: CloudPair) -> Any:
    _query(cloud_pair, f"DROP DATABASE IF EXISTS `{WALK}`")
    _query(cloud_pair, f"CREATE DATABASE `{WALK}`")
    _query(cloud_pair, f"CREATE TABLE `{WALK}`.`snap` (`id` int AUTO_INCREMENT PRIMARY KEY, `seen` text, `top` int)")
    yield cloud_pair
    _query(cloud_pair, f"DROP DATABASE IF EXISTS `{WALK}`")


@pytest.mark.parametrize("stages", [(LATEST,), ("4.20.0.0", LATEST)], ids=["straight", "via-4.20.0.0"])
def test_every_state_of_every_path_leads_cloudstack_right(
    acs_tree: tuple[Path, Path], walk_schema: CloudPair, flywayx: Any, tmp_path: Path, stages: tuple[str, ...]
) -> None:
    source, project = acs_tree
    walked = _walk_project(project, tmp_path)
    model, pair = CloudStackModel(source, walked), walk_schema
    problems, first = [], 0
    for target in stages:
        result = flywayx("--url", pair.url, "--working-directory", str(walked), "migrate", "--to", target)
        assert result.code == 0, result.out + result.err
        problems += _check_run(model, pair, walked, target, first)
        first = len(_snapshots(pair))
        assert current_release(_snapshots(pair)[-1][1]) == target
    assert first > 150  # every migration of the path was walked
    assert problems == [], "\n".join(problems[:20])


def test_a_failure_after_a_late_maintenance_release_leaves_the_newer_row(
    acs_tree: tuple[Path, Path], cloud_pair: CloudPair, flywayx: Any, tmp_path: Path
) -> None:
    """The issue's case: from 4.20.0.0, 4.19.2.0 arrives late, then 4.20.1.0's step fails."""
    _, project = acs_tree
    copy = tmp_path / "project"
    shutil.copytree(project, copy)
    run = ("--url", cloud_pair.url, "--working-directory", str(copy))
    assert flywayx(*run, "migrate", "--to", "4.20.0.0").code == 0
    broken = next(copy.glob("V4.20.1.0.1__*.sql"))
    broken.write_text(
        broken.read_text(encoding="utf-8") + "\nSELECT * FROM `cloud`.`no_such_table`;\n", encoding="utf-8"
    )
    failed = flywayx(*run, "migrate", "--to", "4.20.1.0")
    assert failed.code != 0 and "no_such_table" in failed.err
    assert "V4.19.2.0.4" in " ".join(
        s for (s,) in _query(cloud_pair, "SELECT script FROM flyway_schema_history WHERE success = 1", "cloud")
    )  # it ran, late
    rows = [
        VersionRow(int(i), str(v), None, str(s))
        for i, v, s in _query(cloud_pair, "SELECT id, version, step FROM version", "cloud")
    ]
    assert current_release(rows) == "4.20.0.0"  # not 4.19.2.0: CloudStack would re-run Upgrade41910to42000


@pytest.mark.parametrize(
    ("rows", "written"),
    [
        ([("4.19.1.0", "Complete")], True),
        ([("4.19.1.0", "Complete"), ("4.20.0.0", "Complete")], False),  # a newer release is there
        ([("4.19.1.0", "Complete"), ("4.20.0.0", "Upgrade")], True),  # only Complete rows count
        ([("4.9.0", "Complete"), ("4.19.1.0-SNAPSHOT", "Complete")], True),
        ([("4.22.0", "Complete")], False),  # 3-part, padded as compareTo does
        ([("4.19.2.0", "Complete")], False),  # already written: nothing twice
    ],
)
def test_the_row_sql_follows_cloudstacks_order_on_the_server(
    mariadb: Any, rows: list[tuple[str, str]], written: bool
) -> None:
    from flywayx_cloudstack.version_rows import version_row_sql

    conn: Any = mariadb.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(
                "CREATE TABLE version (id bigint AUTO_INCREMENT PRIMARY KEY, version char(40) UNIQUE, "
                "updated datetime, step char(32))"
            )
            cur.executemany("INSERT INTO version (version, updated, step) VALUES (%s, now(), %s)", rows)
            sql = version_row_sql("4.19.2.0").replace("`cloud`.", "")
            cur.execute("SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE'")
            cur.execute("\n".join(line for line in sql.splitlines() if not line.startswith("--")))
            cur.execute("SELECT COUNT(*) FROM version WHERE version = '4.19.2.0'")
            assert cur.fetchone()[0] == (1 if written or ("4.19.2.0", "Complete") in rows else 0)
            cur.execute("SELECT COUNT(*) FROM version")
            assert cur.fetchone()[0] == len(rows) + (1 if written else 0)
    finally:
        conn.close()
