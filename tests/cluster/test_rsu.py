"""``migrate --phase expand --rsu`` on the real 3-node cluster: a rolling schema upgrade, node by node.

Each node is read through its own port (its own information_schema): after the run every node has the
new column and index, every node is Synced in a cluster of 3, and the history is identical. A DDL that
had replicated in total order on top of the node-by-node one would have failed on the other nodes
("duplicate column") and pushed them out of the cluster. Changes that are not replication-compatible
are refused before any node is touched, naming the line and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cluster.conftest import Galera
from tests.e2e import harness

pytestmark = pytest.mark.cluster
RELEASES = '[release."1.0.0"]\n[release."1.1.0"]\nfrom = "1.0.0"\n'


def _project(where: Path, expand: str) -> Path:
    where.mkdir()
    (where / "releases.toml").write_text(RELEASES)
    (where / "V1.0.0.1__items.sql").write_text(
        "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL);\n"
        "INSERT INTO items VALUES (1, 'a'), (2, 'b');\n"
    )
    (where / "V1.1.0.1__expand.sql").write_text(expand)
    return where


def _columns(galera: Galera, node: int, db: str) -> list[str]:
    rows = galera.sql(
        node,
        "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
        f"'{db}' AND TABLE_NAME = 'items' ORDER BY ORDINAL_POSITION",
    )
    return [r[0] for r in rows]


def test_rolling_schema_upgrade_alters_every_node_once(galera: Galera, galera_db: str, tmp_path: Path) -> None:
    loc = _project(
        tmp_path / "sql",
        "ALTER TABLE items ADD COLUMN code VARCHAR(10) NULL;\nCREATE INDEX idx_items_name ON items (name);\n",
    )
    base = ("--url", galera.url(2, galera_db), "--locations", str(loc))
    assert harness.run(*base, "migrate", "--to", "1.0.0").code == 0
    p = harness.run(*base, "migrate", "--to", "1.1.0", "--phase", "expand", "--rsu")
    assert p.code == 0, p.text
    upgraded = [line for line in p.out.splitlines() if line.startswith("Rolling schema upgrade")]
    assert [line.split(" node ")[1].split(" ")[0] for line in upgraded] == ["node1", "node3", "node2"]
    history = "SELECT installed_rank, version, checksum, success FROM flyway_schema_history ORDER BY 1"
    for node in (1, 2, 3):
        assert _columns(galera, node, galera_db) == ["id", "name", "code"]
        assert galera.sql(
            node,
            "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = "
            f"'{galera_db}' AND INDEX_NAME = 'idx_items_name'",
        ) == [["1"]]
        assert galera.state(node) == "Synced"
        assert galera.sql(node, "SHOW STATUS LIKE 'wsrep_cluster_size'")[0][1] == "3"
        assert galera.sql(node, history, galera_db) == galera.sql(1, history, galera_db)
    again = harness.run(*base, "migrate", "--to", "1.1.0", "--phase", "expand", "--rsu")
    assert again.code == 0 and "Rolling schema upgrade" not in again.out


@pytest.mark.parametrize(
    ("expand", "why"),
    [
        ("ALTER TABLE items ADD COLUMN code VARCHAR(10) NULL AFTER id;\n", "FIRST/AFTER"),
        ("ALTER TABLE items ALTER COLUMN name SET DEFAULT 'x';\n", "changes existing columns"),
    ],
)
def test_incompatible_changes_are_refused_before_any_node_changes(
    galera: Galera, galera_db: str, tmp_path: Path, expand: str, why: str
) -> None:
    loc = _project(tmp_path / "sql", expand)
    base = ("--url", galera.url(1, galera_db), "--locations", str(loc))
    assert harness.run(*base, "migrate", "--to", "1.0.0").code == 0
    p = harness.run(*base, "migrate", "--to", "1.1.0", "--phase", "expand", "--rsu")
    assert p.code == 1 and p.err.startswith(
        "ERROR: --rsu refused: V1.1.0.1__expand.sql is not replication-compatible, line "
    ), p.err
    assert why in p.err and "\nhint: apply this migration without --rsu" in p.err
    for node in (1, 2, 3):
        assert _columns(galera, node, galera_db) == ["id", "name"]


def test_rsu_needs_expand_and_a_galera_cluster(replicas: None, galera: Galera, galera_db: str, tmp_path: Path) -> None:
    loc = _project(tmp_path / "sql", "CREATE INDEX idx_items_name ON items (name);\n")
    p = harness.run("--url", galera.url(1, galera_db), "--locations", str(loc), "migrate", "--rsu")
    assert p.code == 2 and "--rsu goes with --phase expand" in p.err, p.text
    p = harness.run(
        "--url",
        "mysql://root@127.0.0.1:3321/mysql",
        "--schemas",
        "i20_rsu_single",
        "--locations",
        str(loc),
        "migrate",
        "--to",
        "1.1.0",
        "--phase",
        "expand",
        "--rsu",
    )
    assert p.code == 1 and "--rsu needs a Galera cluster; this is a single server" in p.err, p.text
