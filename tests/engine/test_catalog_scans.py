"""flywayx's reads of MariaDB's ``information_schema`` open the one database they are about, not every
table of the server: the server itself says so (``EXPLAIN``: "Scanned 1 database").

A read that scans all databases costs time in proportion to every table on the server (a shared server,
a CloudStack database beside the one migrated): the foreign-key read of the schema fingerprint joined
``REFERENTIAL_CONSTRAINTS`` on the schema column and took over a second under load, which ended
``migrate --backup --socket-timeout 1`` with "cannot read the schemas to back up". The statements are
taken from what a run really sends (through ``tests/faults/proxy.py``), so a new read is checked too.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests import databases
from tests.e2e import harness
from tests.faults.proxy import Proxy, _Link, via

pytestmark = pytest.mark.mariadb


class _Recorder(Proxy):
    """The proxy, keeping the text of every query a client sends (MySQL COM_QUERY packets)."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(host, port)
        self.queries: list[str] = []

    def _forward(self, link: _Link, way: str, other: socket.socket, data: bytes) -> None:
        if way == "up" and len(data) > 5 and data[4] == 3:
            self.queries += data[5:].decode("utf-8", "replace").split("\n;\n")
        super()._forward(link, way, other, data)


def test_every_information_schema_read_opens_one_database(tmp_path: Path) -> None:
    loc = tmp_path / "sql"
    loc.mkdir()
    (loc / "V1__a.sql").write_text(
        "CREATE TABLE a (id INT AUTO_INCREMENT PRIMARY KEY);\n"
        "CREATE TABLE b (id INT, a_id INT, CONSTRAINT fk_b_a FOREIGN KEY (a_id) REFERENCES a (id));\n"
        "CREATE TRIGGER t_b BEFORE INSERT ON b FOR EACH ROW SET NEW.id = COALESCE(NEW.id, 0);\n"
        "CREATE VIEW v AS SELECT id FROM a;\n"
    )
    with databases.scratch("mariadb", tmp_path) as db:
        proxy = _Recorder(db.host, db.port)
        with proxy:
            url = via(proxy, db.url)
            for command in (
                ["migrate"],
                ["info"],
                ["validate"],
                ["verify"],
                ["migrate", "--backup", str(tmp_path / "bk")],
            ):
                r = harness.run("--url", url, "--locations", str(loc), *command)
                assert r.code == 0, r.text
            dump = next(p for p in (tmp_path / "bk").iterdir() if p.suffix == ".sql")
            assert harness.run("--url", url, "restore", "--force", str(dump)).code == 0
            assert harness.run("--url", url, "--locations", str(loc), "clean", "--clean-disabled=false").code == 0
            reads = {q for q in proxy.queries if q.lstrip().upper().startswith("SELECT") and "information_schema" in q}
            assert len(reads) > 10, reads  # the fingerprint's reads and the others were seen
            conn = db.connect()
            try:
                cur = conn.cursor()
                wide = []
                for sql in sorted(reads):
                    cur.execute("EXPLAIN " + sql)
                    if any("Scanned all databases" in str(row[-1]) for row in cur.fetchall()):
                        wide.append(" ".join(sql.split())[:200])
            finally:
                conn.close()
        assert wide == [], "\n".join(wide)
