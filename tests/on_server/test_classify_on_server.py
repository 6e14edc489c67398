"""The server's own reading of versioned comments (``/*!N … */``, ``/*M!N … */``) as the oracle for
the version rule of flywayx/statements/classify.py (its table of cases is tests/unit/test_classify.py)."""

from __future__ import annotations

from typing import Any

from flywayx.statements.classify import Server, tokens

# the server is the oracle for the versioned-comment rule: `SELECT 1 /*!N +1 */` is 2 exactly when the
# body runs; the same text through ``tokens`` must say the same
VERSIONS = ["40101", "50003", "50699", "50700", "80016", "99999", "100000", "101119", "101120", "999999", ""]


def test_versioned_comments_are_read_as_the_server_reads_them(mariadb: Any) -> None:
    conn: Any = mariadb.connect()
    try:
        version = conn.cursor()
        version.execute("SELECT VERSION()")
        server = Server.of("mysql", version.fetchone()[0])
        for marker in ("/*!", "/*M!"):
            for v in VERSIONS:
                sql = f"SELECT 1 {marker}{v} +1 */"
                cur = conn.cursor()
                cur.execute(sql)
                ran = cur.fetchone()[0] == 2
                ours = [t.text for t in tokens(sql, server)] == ["SELECT", "1", "+", "1"]
                assert ours == ran, sql
    finally:
        conn.close()
