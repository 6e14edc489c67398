"""``lint --cluster galera`` and migrate's refusal, checked against what the real cluster does.

The oracle is the cluster itself: a MyISAM row written through node 1 never reaches node 2, a write
set over ``wsrep_max_ws_rows`` is rejected at commit, while the InnoDB twin of each statement replicates.
flywayx must flag exactly the statements the cluster mishandles, and ``migrate`` must refuse them
before its first migration runs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.cluster.conftest import Galera
from tests.e2e import harness

pytestmark = pytest.mark.cluster


def _lint(loc: Path) -> list[dict[str, object]]:
    p = harness.run(
        "--locations", str(loc), "--output-type", "json", "lint", "--cluster", "galera", "--dialect", "mariadb"
    )
    assert "Traceback" not in p.text
    return [f for f in json.loads(p.out)["findings"] if str(f["rule"]).startswith("galera-")]


def test_myisam_writes_do_not_replicate_and_lint_flags_exactly_them(
    galera: Galera, galera_db: str, tmp_path: Path
) -> None:
    statements = [
        "CREATE TABLE m (id INT PRIMARY KEY) ENGINE=MyISAM",
        "INSERT INTO m VALUES (1)",
        "CREATE TABLE i (id INT PRIMARY KEY) ENGINE=InnoDB",
        "INSERT INTO i VALUES (1)",
    ]
    for sql in statements:
        galera.sql(1, sql, galera_db)
    assert galera.sql(2, "SELECT COUNT(*) FROM i", galera_db) == [["1"]]
    assert galera.sql(2, "SELECT COUNT(*) FROM m", galera_db) == [["0"]]  # the table came, its row did not
    (tmp_path / "V1__same.sql").write_text(";\n".join(statements) + ";\n")
    found = _lint(tmp_path)
    assert [(f["rule"], f["line"]) for f in found] == [("galera-non-innodb", 1), ("galera-non-innodb", 2)]
    assert all("InnoDB" in str(f["fix"]) for f in found)


def test_a_transaction_over_wsrep_max_ws_rows_is_refused_before_anything_runs(
    galera: Galera, galera_db: str, tmp_path: Path
) -> None:
    (tmp_path / "V1__table.sql").write_text("CREATE TABLE big (id INT PRIMARY KEY);\n")
    rows = ", ".join(f"({n})" for n in range(1, 151))
    (tmp_path / "V2__fill.sql").write_text(f"INSERT INTO big VALUES {rows};\n")
    for node in (1, 2, 3):
        galera.sql(node, "SET GLOBAL wsrep_max_ws_rows = 100")
    try:
        galera.sql(1, "CREATE TABLE probe (id INT PRIMARY KEY)", galera_db)
        with pytest.raises(subprocess.CalledProcessError) as rejected:  # the oracle: the node refuses it
            galera.sql(1, f"INSERT INTO probe VALUES {rows}", galera_db)
        assert "wsrep_max_ws_rows" in rejected.value.stderr
        galera.sql(1, "DROP TABLE probe", galera_db)
        p = harness.run("--url", galera.url(1, galera_db), "--locations", str(tmp_path), "migrate")
        assert p.code == 1, p.text
        assert p.err.startswith(
            "ERROR: refusing to migrate through Galera node node1: V2__fill.sql:1: one "
            "transaction here writes 150 rows (wsrep_max_ws_rows = 100)"
        ), p.err
        assert "\nhint: split it into batches" in p.err
        assert galera.sql(2, f"SHOW TABLES FROM `{galera_db}` LIKE 'big'") == []  # V1 did not run either
    finally:
        for node in (1, 2, 3):
            galera.sql(node, "SET GLOBAL wsrep_max_ws_rows = 0")
    p = harness.run("--url", galera.url(1, galera_db), "--locations", str(tmp_path), "migrate")
    assert p.code == 0, p.text
    assert galera.sql(3, "SELECT COUNT(*) FROM big", galera_db) == [["150"]]


def test_lock_tables_is_refused_and_a_reviewed_statement_passes(galera: Galera, galera_db: str, tmp_path: Path) -> None:
    (tmp_path / "V1__table.sql").write_text("CREATE TABLE t (id INT PRIMARY KEY);\n")
    (tmp_path / "V2__locked.sql").write_text("LOCK TABLES t WRITE;\nINSERT INTO t VALUES (1);\nUNLOCK TABLES;\n")
    p = harness.run("--url", galera.url(2, galera_db), "--locations", str(tmp_path), "migrate", "--dry-run")
    assert p.code == 1 and "[galera-lock-tables] (and 1 more" in p.err, p.text
    p = harness.run("--url", galera.url(2, galera_db), "--locations", str(tmp_path), "migrate")
    assert p.code == 1 and "Traceback" not in p.text
    assert galera.sql(1, f"SHOW TABLES FROM `{galera_db}` LIKE 't'") == []
    (tmp_path / "V2__locked.sql").write_text("INSERT INTO t VALUES (1); -- flywayx:galera-ok\n")
    p = harness.run("--url", galera.url(2, galera_db), "--locations", str(tmp_path), "migrate")
    assert p.code == 0, p.text
