"""A MySQL/MariaDB password with non-ASCII characters authenticates: it is sent as UTF-8.

The server hashes the password as the UTF-8 text it was created with. The user is created for the
test (and dropped afterwards); flywayx connects through both URL spellings (``mysql://`` and
``mariadb://``), with the password from ``FLYWAY_PASSWORD`` and from the URL, and takes a backup with
the real ``mariadb-dump`` then restores it with the real ``mariadb`` client as that user. A wrong
password still fails cleanly, and no password is ever printed.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests import databases
from tests.databases import ScratchDb
from tests.e2e import harness

pytestmark = pytest.mark.mariadb

# latin-1 letters (sent as the wrong bytes when encoded as latin-1) and letters beyond latin-1
PASSWORDS = ["pässwörd-Ünïcødé", "ключ-密码-🔑-ß"]


@pytest.fixture
def utf8_user(tmp_path: Path) -> Iterator[tuple[ScratchDb, str, str]]:
    with databases.scratch("mariadb", tmp_path) as db:
        user = "fx15b_" + secrets.token_hex(4)
        password = secrets.choice(PASSWORDS) + secrets.token_hex(2)
        conn = db.connect()
        try:
            cur = conn.cursor()
            cur.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (user, password))
            # the scratch database and the restore's scratch and previous databases beside it
            cur.execute(f"GRANT ALL ON `{db.schema}%%`.* TO %s@'%%'", (user,))
            yield db, user, password
        finally:
            conn.cursor().execute("DROP USER IF EXISTS %s@'%%'", (user,))
            conn.close()


@pytest.mark.parametrize("password", PASSWORDS)
def test_non_ascii_password_authenticates_on_both_url_spellings(password: str, tmp_path: Path) -> None:
    loc = tmp_path / "sql"
    loc.mkdir()
    (loc / "V1__base.sql").write_text("CREATE TABLE base (id INT PRIMARY KEY);\n")
    with databases.scratch("mariadb", tmp_path) as db:
        user = "fx15b_" + secrets.token_hex(4)
        admin = db.connect()
        try:
            admin.cursor().execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (user, password))
            admin.cursor().execute(f"GRANT ALL ON `{db.schema}`.* TO %s@'%%'", (user,))
            host = db.url.split("@", 1)[1]
            env = {"FLYWAY_PASSWORD": password}
            first = harness.run(
                "--url", f"mysql://{host}", "--user", user, "--locations", str(loc), "migrate", extra_env=env
            )
            assert first.code == 0, first.err
            in_url = f"mariadb://{user}:{quote(password, safe='')}@{host}"
            second = harness.run("--url", in_url, "--locations", str(loc), "info")
            assert second.code == 0 and "Success" in second.out, second.err
            wrong = harness.run(
                "--url",
                f"mysql://{host}",
                "--user",
                user,
                "--locations",
                str(loc),
                "info",
                extra_env={"FLYWAY_PASSWORD": password[:-1]},
            )
            assert wrong.code == 1 and "Access denied" in wrong.err and "Traceback" not in wrong.text
            for r in (first, second, wrong):
                assert password not in r.text and quote(password, safe="") not in r.text
            assert db.query("SELECT installed_by FROM flyway_schema_history WHERE version = '1'") == [(user,)]
        finally:
            admin.cursor().execute("DROP USER IF EXISTS %s@'%%'", (user,))
            admin.close()


def test_non_ascii_password_reaches_the_dump_and_restore_clients(
    utf8_user: tuple[ScratchDb, str, str], tmp_path: Path
) -> None:
    db, user, password = utf8_user
    loc = tmp_path / "sql"
    loc.mkdir()
    (loc / "V1__base.sql").write_text(
        "CREATE TABLE base (id INT PRIMARY KEY, note VARCHAR(20));\nINSERT INTO base VALUES (1, 'ünïcødé');\n"
    )
    host = db.url.split("@", 1)[1]
    env = {"FLYWAY_PASSWORD": password}
    common = ["--url", f"mysql://{host}", "--user", user, "--locations", str(loc)]
    assert harness.run(*common, "migrate", extra_env=env).code == 0
    taken = harness.run(*common, "migrate", "--backup", str(tmp_path / "bk"), extra_env=env)  # mariadb-dump
    assert taken.code == 0, taken.err
    dump = next(p for p in (tmp_path / "bk").iterdir() if p.suffix == ".sql")
    db.query("UPDATE base SET note = 'changed'")
    back = harness.run(*common, "restore", "--force", str(dump), extra_env=env)  # the mariadb client
    assert back.code == 0, back.err
    assert db.query("SELECT id, note FROM base") == [(1, "ünïcødé")]
    for r in (taken, back):
        assert password not in r.text
    assert password not in dump.read_text(encoding="utf-8") + dump.with_name(dump.name + ".manifest.json").read_text()
