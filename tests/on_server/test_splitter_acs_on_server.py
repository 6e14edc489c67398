"""The real ``mariadb`` client as the oracle for how the CloudStack corpus splits (acs-corpus.md §4):
it sends as many statements for ``setup/db`` and ``views/`` as flywayx's splitter finds (it runs
``USE`` itself and does not echo it). The checks without a server are tests/unit/test_splitter_acs.py."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from flywayx.statements.splitter import split
from tests.unit.test_splitter_acs import CHECKED_DIRS, USE_LINE, corpus_files


def _client_statement_count(db: Any, user: str, password: str, text: str) -> int:
    cmd = ["mariadb", f"-u{user}", f"-p{password}", f"-h{db.host}", f"-P{db.port}", "--batch", "--force", "-v"]
    done = subprocess.run(cmd, input=text, capture_output=True, text=True, timeout=120, check=False)
    return done.stdout.count("--------------\n") // 2


@pytest.mark.mariadb
def test_statement_counts_match_the_mariadb_client(acs_corpus: Path, mariadb: Any) -> None:
    """Each file goes through ``mariadb --batch -v`` as a user with no privileges at all, so the
    corpus's DROP DATABASE / CREATE USER statements fail harmlessly on a shared server."""
    if shutil.which("mariadb") is None:
        pytest.skip("mariadb client not installed")
    user, password = "fx_split_" + uuid.uuid4().hex[:8], uuid.uuid4().hex
    admin: Any = mariadb.connect()
    with admin.cursor() as cur:
        cur.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (user, password))
        cur.execute("CREATE USER %s@'localhost' IDENTIFIED BY %s", (user, password))
    try:
        for path in corpus_files(acs_corpus, *CHECKED_DIRS):
            text = path.read_text(encoding="utf-8")
            client = _client_statement_count(mariadb, user, password, text)
            uses = len(USE_LINE.findall(text))  # the client runs USE itself and does not echo it
            assert len(split(text, "mariadb")) == client + uses, path.name
    finally:
        with admin.cursor() as cur:
            cur.execute("DROP USER IF EXISTS %s@'%%', %s@'localhost'", (user, user))
        admin.close()
