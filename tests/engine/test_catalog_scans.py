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
from tests.databases import ScratchDb
from tests.e2e import harness
from tests.faults.proxy import Proxy, _Link, kill_once_replied, via

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


def _wide(db: ScratchDb, queries: list[str]) -> tuple[set[str], list[str]]:
    """The information_schema reads among ``queries``, and those the server's EXPLAIN says scan every database."""
    reads = {q for q in queries if q.lstrip().upper().startswith("SELECT") and "information_schema" in q}
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
    return reads, wide


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
            reads, wide = _wide(db, proxy.queries)
            assert len(reads) > 10, reads  # the fingerprint's reads and the others were seen
        assert wide == [], "\n".join(wide)


def test_the_reads_of_a_resume_open_one_database(tmp_path: Path) -> None:
    """``migrate --resume`` after a kill: the catalog lookup that settles the statement left in flight (a
    trigger here; every kind is one query shape) and the AUTO_INCREMENT counters it sets back read the
    target schema only. The schema's name has capitals and the statements name it: the analyser lower-cases
    names, and on a case-sensitive server (lower_case_table_names = 0) the lookup must use its spelling."""
    loc = tmp_path / "sql"
    loc.mkdir()
    (loc / "V1__z.sql").write_text("CREATE TABLE z (id INT);\n")
    with databases.scratch("mariadb", tmp_path, prefix="Fx_Case_") as db:
        (loc / "V2__b.sql").write_text(
            "CREATE TABLE a (id INT AUTO_INCREMENT PRIMARY KEY);\n"
            "INSERT INTO a VALUES (NULL);\n"
            f"CREATE TRIGGER `{db.schema}`.t_a BEFORE UPDATE ON a FOR EACH ROW SET NEW.id = NEW.id;\n"
            f"INSERT INTO `{db.schema}`.a VALUES (NULL);\n"
        )
        assert harness.run("--url", db.url, "--locations", str(loc), "migrate", "--target", "1").code == 0
        with Proxy(db.host, db.port) as killer:
            killer.hold_replies_after(b"CREATE TRIGGER")
            kill_once_replied(killer, db.url, loc)
        proxy = _Recorder(db.host, db.port)
        with proxy:
            url = via(proxy, db.url)
            for command in (["migrate", "--resume", "--dry-run"], ["migrate", "--resume"]):
                r = harness.run("--url", url, "--locations", str(loc), *command)
                assert r.code == 0, r.text
            reads, wide = _wide(db, proxy.queries)
        assert any("TRIGGERS" in q for q in reads) and any("AUTO_INCREMENT" in q for q in reads), reads
        assert wide == [], "\n".join(wide)
        # the killed run's next INSERT (sent ahead, rolled back) consumed id 2: the counter was found and set back
        assert db.query("SELECT id FROM a ORDER BY id") == [(1,), (2,)]
        assert [row[0] for row in db.query("SHOW TRIGGERS")] == ["t_a"]


def test_every_catalog_lookup_opens_one_database(tmp_path: Path) -> None:
    """Each kind ``--resume`` may look up (``db.catalog.has``) and the counter reads, as the server plans
    them: none scans every database (the kill above reaches only the trigger's)."""
    from flywayx.apply import counters
    from flywayx.db import catalog

    with databases.scratch("mariadb", tmp_path, prefix="Fx_Case_") as db:
        flywayx_db = db.open()
        try:
            plans = {}
            for kind, sql in sorted(catalog._MYSQL.items()):
                sql += catalog._MYSQL_TABLE.get(kind, "")  # with the table, as a lookup of an index of t
                params = ("", "", "x") if kind == "schema" else (db.schema,) + ("x",) * (sql.count("?") - 1)
                plans[kind] = flywayx_db.query("EXPLAIN " + sql, params)
            plans["counter column"] = flywayx_db.query("EXPLAIN " + counters._COUNTER_COLUMN, (db.schema, "t"))
            plans["counter"] = flywayx_db.query("EXPLAIN " + counters._COUNTER, (db.schema, "t"))
        finally:
            flywayx_db.close()
    wide = [kind for kind, rows in plans.items() if any("Scanned all databases" in str(row[-1]) for row in rows)]
    assert wide == [], plans
