"""CloudStack's own upgrade path, emulated with the ``mariadb`` client on the converted scripts.

Order as ``DatabaseUpgradeChecker`` runs it (acs-corpus.md §3.3, §5): the baseline (setup/db),
the procedures, then per step of CloudStack's path (``checker.upgrade_path``, not flywayx's
planner) the prepare script, the Java (the same Python port flywayx runs), a ``version`` row with
step 'Upgrade', the cleanup script and the row set to 'Complete'; views last. SQL between two Java
ports goes through one ``mariadb`` process, as ScriptRunner runs on one connection; every session
starts as CloudStack's does (``SESSION``, from db.properties' ``db.cloud.url.params``).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flywayx_cloudstack.checker import upgrade_path
from flywayx_cloudstack.project import read_tree
from tests.acs_e2e.java_fixture import SQL_MODE

SCHEMAS = ("cloud", "cloud_usage")
# The session of CloudStack's upgrade connections (db.cloud.url.params), for the client and the ports.
SESSION = f"SET SESSION sql_mode = '{SQL_MODE}', time_zone = '+00:00';\n"


def steps_to(source: Path, project: Path, release: str) -> list[dict[str, Any]]:
    """Report rows of CloudStack's path from 4.0.0 up to and including the step producing ``release``."""
    tree = read_tree(source, [])
    path = [step.name for _, step in upgrade_path(tree.nodes, tree.steps, "4.0.0")]
    rows = {r["step"]: r for r in json.loads((project / "import-report.json").read_text())["steps"]}
    chosen = []
    for name in path:
        chosen.append(rows[name])
        if rows[name]["release"] == release:
            return chosen
    raise ValueError(f"{release} is not on CloudStack's path")


def _sql(project: Path, name: str) -> str:
    return (project / name).read_text(encoding="utf-8") + "\n"


def _part(release: str, name: str) -> str:
    """``V4.2.0.2.1__x.sql`` of release 4.2.0 -> ``2.1``: which part of the step a file is."""
    return name.removeprefix(f"V{release}.").split("__", 1)[0]


def _pipe(sql: str, host: str, port: int, user: str) -> None:
    cmd = ["mariadb", f"-h{host}", f"-P{port}", f"-u{user}", "--default-character-set=utf8mb4", "cloud"]
    done = subprocess.run(cmd, input=(SESSION + sql).encode("utf-8"), capture_output=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"mariadb client failed: {done.stderr.decode(errors='replace')[:2000]}")


def _run_python(path: Path, conn: Any) -> None:
    spec = importlib.util.spec_from_file_location(f"acs_emul_{path.stem.replace('.', '_')}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.migrate(conn)


# around(step row, run): called for each step's Python migration with ``run`` running it, once all
# SQL before it has been sent; for a test that looks at the database just before and after.
Around = Callable[[dict[str, Any], Callable[[], None]], None]


def install(
    source: Path,
    project: Path,
    release: str,
    *,
    host: str,
    port: int,
    user: str,
    conn: Any,
    views: bool = True,
    around: Around | None = None,
) -> float:
    """Fresh install to ``release`` the way CloudStack does it; returns seconds spent.

    ``views=False`` for an older release: the views/ of main need columns that release lacks (that
    release shipped its own views, which the corpus does not hold). ``around``, when given, wraps
    every Python port (see ``Around``)."""
    import time

    started = time.monotonic()
    with conn.cursor() as cur:
        cur.execute(SESSION)
        for name in SCHEMAS:
            cur.execute(f"CREATE DATABASE {name}")
    files = sorted(p.name for p in project.iterdir())
    buffer = [_sql(project, next(f for f in files if f.startswith("B")))]
    buffer.append(_sql(project, "beforeMigrate.sql"))
    for row in steps_to(source, project, release):
        for name in row["files"]:
            part = _part(row["release"], name)
            if part == "2":
                _pipe("".join(buffer), host, port, user)
                buffer = []
                if around is None:
                    _run_python(project / name, conn)
                else:
                    around(row, functools.partial(_run_python, project / name, conn))
            elif part == "1" or part.startswith("2."):
                buffer.append(_sql(project, name))
        # the row as CloudStack writes it; flywayx's own V<R>.4 row step is not CloudStack's
        buffer.append(
            f"INSERT INTO `cloud`.`version` (version, updated, step) VALUES ('{row['release']}', now(), 'Upgrade');\n"
        )
        buffer += [_sql(project, n) for n in row["files"] if _part(row["release"], n) == "3"]
        buffer.append(f"UPDATE `cloud`.`version` SET step = 'Complete' WHERE version = '{row['release']}';\n")
    buffer += [_sql(project, f) for f in files if f.startswith("R__") and views]
    _pipe("".join(buffer), host, port, user)
    return time.monotonic() - started
