"""Remembered answers (service/answers.py): a warm ``plan`` answers from its memo without scanning or
planning, and whatever it read changing — a file, releases.toml, the configuration, a placeholder's
value, the history — gives the answer a run without any cache gives."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import CliResult

RELEASES = """[lines]
depth = 2

[release."1.0.0"]
[release."1.0.1"]
[release."1.1.0"]
from = "1.0.0"
"""


@pytest.fixture
def loc(tmp_path: Path) -> Path:
    loc = tmp_path / "sql"
    loc.mkdir()
    (loc / "releases.toml").write_text(RELEASES)
    (loc / "V1.0.0.1__t.sql").write_text("CREATE TABLE t (id INT, c VARCHAR(10));\n")
    (loc / "V1.0.0.2__widen.sql").write_text("ALTER TABLE t ADD COLUMN w INT;\n")
    (loc / "V1.0.1.1__fix.sql").write_text("UPDATE t SET c = 'x';\n")
    (loc / "V1.1.0.1__d.sql").write_text("${change};\n")  # the placeholder decides its phase
    return loc


@pytest.fixture
def run(cli_run: Callable[..., CliResult], tmp_path: Path, loc: Path) -> Callable[..., tuple[int, str, str]]:
    """``flywayx [options] COMMAND ...`` on the project, the cache in tmp_path/cache unless ``--no-cache``."""

    def call(*args: str, change: str = "ALTER TABLE t ADD COLUMN d INT", where: str = str(loc)) -> tuple[int, str, str]:
        cache = [] if "--no-cache" in args else ["--cache-dir", str(tmp_path / "cache")]
        base = ["--url", f"sqlite:///{tmp_path / 'x.db'}", "--locations", where, "-p", f"change={change}", *cache]
        done = cli_run(*base, *args)
        return done.code, done.out, done.err

    return call


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The scans of the locations that runs make (a run answered from its memo makes none)."""
    from flywayx.sources import scan

    made: list[str] = []
    real = scan.scan

    def counting(config: object, *args: object, **kwargs: object) -> object:
        made.append("scan")
        return real(config, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(scan, "scan", counting)
    yield made


def answers(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache").rglob("answer-*"))


PLANS = (("plan", "--to", "1.1.0", "--output-type", "json"), ("plan", "--to", "1.1.0"), ("-q", "plan"))


def test_a_warm_plan_answers_from_its_memo(
    run: Callable[..., tuple[int, str, str]], tmp_path: Path, scans: list[str]
) -> None:
    fresh = [run(*p, "--no-cache") for p in PLANS]
    assert [code for code, _, _ in fresh] == [0, 0, 0] and json.loads(fresh[0][1])["steps"]
    assert [run(*p) for p in PLANS] == fresh
    assert len(answers(tmp_path)) == 3  # one per question: the options that change what is printed
    scans.clear()
    assert [run(*p) for p in PLANS] == fresh
    assert scans == []  # nothing scanned, analysed or planned


def _edit_in_place(loc: Path) -> None:
    """Same size, mtime put back: only the ctime tells (and the content: a contract step now)."""
    path = loc / "V1.0.0.1__t.sql"
    before = path.stat()
    path.write_text("DROP TABLE t;".ljust(before.st_size - 1) + "\n")
    assert path.stat().st_size == before.st_size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def _migrated(run: Callable[..., tuple[int, str, str]]) -> None:
    code, _, err = run("migrate", "--target", "1.0.0.2")
    assert code == 0, err


def _history(tmp_path: Path, sql: str) -> None:
    with sqlite3.connect(tmp_path / "x.db") as db:
        db.execute(sql)


def _change(what: str, loc: Path, tmp: Path, run: Callable[..., tuple[int, str, str]]) -> dict[str, str]:
    """Change ``what`` the plan reads; the options of the runs after it."""
    if what == "file edited":
        _edit_in_place(loc)
    elif what == "file added":
        (loc / "V1.0.0.3__u.sql").write_text("CREATE TABLE u (id INT);\n")
    elif what == "file removed":
        (loc / "V1.0.0.2__widen.sql").unlink()
    elif what == "releases.toml":
        (loc / "releases.toml").write_text(RELEASES.replace('from = "1.0.0"', 'from = "1.0.1"'))
    elif what == "placeholder":
        return {"change": "ALTER TABLE t DROP COLUMN c"}
    elif what == "another location":
        (tmp / "more").mkdir()
        (tmp / "more" / "V1.1.0.2__e.sql").write_text("CREATE TABLE e (id INT);\n")
        return {"where": f"{loc},{tmp / 'more'}"}
    elif what == "history (migrate)":
        _migrated(run)
    else:  # the history, by hand, after a plan at the migrated state was remembered
        _migrated(run)
        assert run("plan", "--to", "1.1.0", "--output-type", "json")[0] == 0
        _history(tmp, "DELETE FROM flyway_schema_history WHERE version = '1.0.0.2'")
    return {}


CHANGES = [
    "file edited",
    "file added",
    "file removed",
    "releases.toml",
    "placeholder",
    "another location",
    "history (migrate)",
    "history (a row deleted by hand)",
]


@pytest.mark.parametrize("what", CHANGES)
def test_what_the_plan_read_changing_changes_the_answer(
    run: Callable[..., tuple[int, str, str]], tmp_path: Path, loc: Path, scans: list[str], what: str
) -> None:
    question = ("plan", "--to", "1.1.0", "--output-type", "json")
    before = run(*question)
    assert run(*question) == before and before[0] == 0
    options = _change(what, loc, tmp_path, run)
    scans.clear()
    after = run(*question, **options)
    assert scans == ["scan"]  # not from the memo
    assert after == run(*question, "--no-cache", **options)  # the answer a run without any cache gives
    assert after != before
    scans.clear()
    assert run(*question, **options) == after and scans == []  # and that is remembered in turn


@pytest.mark.parametrize("how", ["truncated", "flipped", "empty", "garbage"])
def test_a_damaged_memo_is_ignored(run: Callable[..., tuple[int, str, str]], tmp_path: Path, how: str) -> None:
    question = ("plan", "--to", "1.1.0")
    fresh = run(*question, "--no-cache")
    assert run(*question) == fresh
    (memo,) = answers(tmp_path)
    data = memo.read_bytes()
    memo.write_bytes(
        {"garbage": b"\x00\xff" * 40, "truncated": data[: len(data) // 2], "empty": b""}.get(how)
        or data[:-5] + bytes([data[-5] ^ 0x10]) + data[-4:]
    )
    assert run(*question) == fresh
    assert memo.read_bytes() == data  # written again


def test_files_changed_a_moment_ago_are_not_remembered(
    run: Callable[..., tuple[int, str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flywayx.service import answers as module

    monkeypatch.setattr(module, "SETTLED_NS", 3_000_000_000)  # what users get
    assert run("plan", "--to", "1.1.0")[0] == 0
    assert answers(tmp_path) == []  # an edit within the timestamps' granularity could keep the signature


def test_a_migration_using_the_time_of_the_run_is_not_remembered(
    run: Callable[..., tuple[int, str, str]], tmp_path: Path, loc: Path
) -> None:
    (loc / "V1.0.1.2__when.sql").write_text("INSERT INTO t (c) VALUES ('${flyway:timestamp}');\n")
    assert run("plan", "--to", "1.1.0")[0] == 0
    assert answers(tmp_path) == []


def test_a_refused_plan_is_not_remembered(run: Callable[..., tuple[int, str, str]], tmp_path: Path) -> None:
    code, _, err = run("plan", "--to", "9.9")
    assert code != 0 and "ERROR:" in err
    assert answers(tmp_path) == []
    assert run("plan", "--to", "9.9") == (code, "", err)


def test_a_read_that_is_not_plain_data_spoils_the_memo() -> None:
    """A lock, a cursor, a connection: nothing a memo could compare on the next run."""
    from flywayx.service.answers import _Log, _Recorded

    class Db:
        dialect = "sqlite"

        def exists(self, *args: object) -> bool:
            return True

        def raw(self) -> object:
            return object()

    log = _Log()
    db = _Recorded(Db(), "db", log)
    assert db.exists() and db.dialect == "sqlite" and db.dialect == "sqlite" and db.exists()
    assert log.plain and [c[1] for c in log.calls] == ["exists", "dialect"]  # the same answer once
    db.raw()
    assert not log.plain
    spoilt = _Log()
    assert _Recorded(Db(), "db", spoilt).exists([1]) is True  # an argument no memo can replay
    assert not spoilt.plain and spoilt.calls == []


def test_an_attribute_that_changes_and_changes_back_is_noted_each_time() -> None:
    """A read of the same value is noted once (``db.dialect`` is read once a statement), but a value
    that changes, even to one that is not plain data and back, is noted again: the memo's replay
    must see every value the plan depended on, in order."""
    from flywayx.service.answers import _Log, _Recorded

    class Db:
        mode = "a"

    target = Db()
    log = _Log()
    db = _Recorded(target, "db", log)
    assert [db.mode for _ in range(3)] == ["a"] * 3
    target.mode = ["b"]  # type: ignore[assignment]  # mutable: its digest is taken every read
    assert db.mode == ["b"] and db.mode == ["b"]
    target.mode = "a"
    assert db.mode == "a"
    assert [c[5] for c in log.calls] == [log.calls[0][5], log.calls[1][5], log.calls[0][5]]
    assert log.calls[0][5] != log.calls[1][5] and log.plain


@pytest.mark.slow  # 3 s for the files to settle, then eight processes
def test_concurrent_runners_answer_alike(tmp_path: Path, loc: Path) -> None:
    """Separate processes, as users run them (files settled for 3 s): four at once write the memo, four
    at once read it; every one prints what a run without any cache prints."""
    import subprocess
    import sys
    import time

    time.sleep(3.2)  # what users get: a file is remembered once 3 s old
    base = [sys.executable, "-m", "flywayx", "--url", f"sqlite:///{tmp_path / 'x.db'}", "--locations", str(loc)]
    question = ["-p", "change=ALTER TABLE t ADD COLUMN d INT", "plan", "--to", "1.1.0", "--output-type", "json"]
    fresh = subprocess.run([*base, "--no-cache", *question], capture_output=True, timeout=120)
    assert fresh.returncode == 0, fresh.stderr
    cached = [*base, "--cache-dir", str(tmp_path / "cache"), *question]
    written = None
    for _wave in ("write", "read"):
        runs = [subprocess.Popen(cached, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
        outs = [r.communicate(timeout=120) for r in runs]
        assert [(r.returncode, *o) for r, o in zip(runs, outs, strict=True)] == [(0, fresh.stdout, fresh.stderr)] * 4
        (memo,) = answers(tmp_path)
        assert written is None or memo.stat().st_ino == written  # the readers answered from it: none rewrote it
        written = memo.stat().st_ino
