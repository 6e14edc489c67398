"""Passwords never appear in any output channel: stdout, stderr, JSON, flywayx_runs, backup files.

A MariaDB user with a random password (including URL-special characters) runs every command
that talks to the database, in text and JSON, successful and failing, with the password in the
URL, in --password (which must warn) and in FLYWAY_PASSWORD.
"""

from __future__ import annotations

import secrets
import string
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests import databases
from tests.databases import ScratchDb
from tests.e2e import harness


@pytest.fixture
def account(tmp_path: Path) -> Iterator[tuple[ScratchDb, str, str]]:
    """A scratch database plus a user who owns it: (db, user, password)."""
    alphabet = string.ascii_letters + string.digits + "!#%+,-.:;=?_~@/"
    password = "Pw" + "".join(secrets.choice(alphabet) for _ in range(18))
    user = "fxu_" + uuid.uuid4().hex[:8]
    with databases.scratch("mariadb", tmp_path) as db:
        db.query(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'")
        db.query(f"CREATE USER '{user}'@'localhost' IDENTIFIED BY '{password}'")
        for host in ("%", "localhost"):
            db.query(f"GRANT ALL ON `{db.schema}`.* TO '{user}'@'{host}'")
        try:
            yield db, user, password
        finally:
            for host in ("%", "localhost"):
                db.query(f"DROP USER IF EXISTS '{user}'@'{host}'")


def _leaks(text: str, password: str) -> bool:
    return any(form in text for form in {password, quote(password, safe=""), quote(password)})


@pytest.mark.mariadb
def test_password_never_shown(account: tuple[ScratchDb, str, str], tmp_path: Path) -> None:
    db, user, password = account
    host, port = databases.server_address("mariadb")
    loc = tmp_path / "sql"
    loc.mkdir()
    (loc / "V1__a.sql").write_text("CREATE TABLE a (id INT);\n")
    (loc / "V2__bad.sql").write_text("INSERT INTO nowhere VALUES (1);\n")
    in_url = f"mysql://{user}:{quote(password, safe='')}@{host}:{port}/{db.schema}"
    plain = f"mysql://{user}@{host}:{port}/{db.schema}"
    ways = {
        "url": (["--url", in_url], {}),
        "option": (["--url", plain, "--password", password], {}),
        "env": (["--url", plain], {"FLYWAY_PASSWORD": password}),
        "flyway-style": ([f"-url={plain}", f"-password={password}"], {}),
    }
    outputs: list[str] = []
    for name, (conn, env) in ways.items():
        for command in (
            ["migrate"],
            ["info"],
            ["validate"],
            ["verify"],
            ["migrate", "--backup", str(tmp_path / "bk")],
            ["repair"],
        ):
            for json_flag in ([], ["--output-type", "json"]):
                r = harness.run(
                    *conn,
                    "--locations",
                    str(loc),
                    *command,
                    *json_flag,
                    extra_env={**env, "FLYWAYX_QUIET_PASSWORD_WARNING": ""},
                )
                assert "Traceback" not in r.text, (name, command, r.text)
                outputs.append(r.text)
                if name in ("option", "flyway-style"):
                    assert "WARNING" in r.err and "command line" in r.err, (name, command, r.err)
    wrong = harness.run(
        "--url",
        in_url.replace(quote(password, safe=""), quote(password[::-1], safe="")),
        "--locations",
        str(loc),
        "info",
    )
    assert wrong.code != 0
    outputs.append(wrong.text)
    runs = db.query(f"SELECT * FROM `{db.schema}`.flywayx_runs")
    assert runs, "the runs were recorded"
    outputs.append(repr(runs))
    outputs.extend(p.read_text(errors="replace") for p in (tmp_path / "bk").glob("*.json"))
    leaked = [o for o in outputs if _leaks(o, password) or _leaks(o, password[::-1])]
    assert not leaked, leaked[0][:500]
    assert any("***" in o or user in o for o in outputs)
