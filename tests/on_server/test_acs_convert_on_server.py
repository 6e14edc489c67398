"""The real ``mariadb`` client accepts what the CloudStack converter writes: no syntax error on a sample
of converted files (the converter's checks without a server are tests/unit/test_acs_convert.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from flywayx_cloudstack.convert import convert

SAMPLE = [
    "procedures/cloud.idempotent_add_column.sql",
    "procedures/usage.idempotent_add_column.sql",
    "schema-41600to41610.sql",
    "schema-41910to42000.sql",
    "schema-42010to42100.sql",
    "schema-42000to42010.sql",
    "schema-461to470.sql",
    "views/cloud.account_view.sql",
]


def test_mariadb_client_accepts_converted_sample(acs_corpus: Path, mariadb: object, tmp_path: Path) -> None:
    """No syntax error (1064) from the real client; missing tables etc. are expected here."""
    db = mariadb.name  # type: ignore[attr-defined]
    for rel in SAMPLE:
        conv, _ = convert((acs_corpus / "META-INF" / "db" / rel).read_text(encoding="utf-8"), rel)
        text = conv.text.replace("`cloud_usage`.", f"`{db}`.").replace("`cloud`.", f"`{db}`.")
        text = text.replace("cloud_usage.", f"{db}.").replace("cloud.", f"{db}.")
        res = subprocess.run(
            ["mariadb", "-h", "127.0.0.1", "-u", "root", "--force", "--batch", db],
            input=text,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert "ERROR 1064" not in res.stderr, (rel, res.stderr[:500])
