"""``lint --cluster galera`` over the imported CloudStack project: the errors are exactly the corpus's
``LOCK TABLES`` statements and its one ``ENGINE=MyISAM`` table (the corpus text, read with a regex of
its own, is the oracle); a column named ``engine_state`` is not mistaken for an engine."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import ACS_CORPUS
from tests.e2e import harness


def test_galera_errors_are_the_corpus_lock_tables_and_myisam(acs_tree: tuple[Path, Path]) -> None:
    _, project = acs_tree
    p = harness.run(
        "--locations", str(project), "--output-type", "json", "lint", "--cluster", "galera", "--dialect", "mariadb"
    )
    errors = [f for f in json.loads(p.out)["findings"] if f["rule"].startswith("galera") and f["severity"] == "error"]
    expected_lock = expected_myisam = 0
    for path in (ACS_CORPUS / "META-INF" / "db").glob("schema-*.sql"):
        text = path.read_text(encoding="utf-8", errors="replace")
        expected_lock += len(re.findall(r"^\s*(?:UN)?LOCK\s+TABLES\b", text, re.I | re.M))
        expected_myisam += len(re.findall(r"ENGINE\s*=\s*MyISAM", text, re.I))
    rules = [f["rule"] for f in errors]
    assert rules.count("galera-lock-tables") == expected_lock > 0
    assert rules.count("galera-non-innodb") == expected_myisam > 0
    assert len(errors) == expected_lock + expected_myisam
    assert all(f["path"].startswith("V4.7.0.1__") for f in errors)
