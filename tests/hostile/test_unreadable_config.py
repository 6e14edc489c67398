"""A configuration file the user may not read is one ``ERROR:`` line naming it, with a hint.

Both ways a file can be out of reach: the file itself (mode 000) and a folder above it that the
user may not enter (``~`` of another user: Python's ``is_file`` raises there instead of answering).
Root reads anything, so as root flywayx runs without the capabilities that bypass file permissions
(``setpriv``); as any other user the permissions apply as they are.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e import harness

NO_OVERRIDE = ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search"]


def _run(*args: str, home: Path, cwd: Path) -> harness.Proc:
    prefix = NO_OVERRIDE if os.geteuid() == 0 else []
    if prefix and shutil.which("setpriv") is None:
        pytest.skip("as root this needs setpriv to drop the capabilities that bypass file permissions")
    p = subprocess.run(
        [*prefix, *harness.FLYWAYX, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        check=False,
        env={**harness.env(), "HOME": str(home)},
    )
    return harness.Proc(p.returncode, p.stdout, p.stderr)


@pytest.mark.parametrize("where", ["file", "folder"])
@pytest.mark.parametrize("name", ["flyway.toml", "flyway.conf"])
def test_unreadable_config_file_is_one_error_naming_it(where: str, name: str, tmp_path: Path) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    config = home / name
    config.write_text(
        "[flyway]\nlocations = ['filesystem:sql']\n" if name.endswith(".toml") else "flyway.locations=filesystem:sql\n"
    )
    (home if where == "folder" else config).chmod(0o000)
    try:
        r = _run("--url", f"sqlite:///{work / 'app.db'}", "info", home=home, cwd=work)
    finally:
        home.chmod(0o755)
        config.chmod(0o644)
    assert r.code == 1 and "Traceback" not in r.text, r.text
    lines = r.err.strip().splitlines()
    assert len(lines) == 2, r.err
    named = config if where == "file" else home / "flyway.toml"  # the first file looked for in that folder
    assert lines[0] == f"ERROR: Unable to load config file: {named}: permission denied", r.err
    assert lines[1].startswith("hint: ") and "permission" in lines[1], r.err
    assert "unexpected error" not in r.err
