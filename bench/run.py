"""Run every benchmark and write docs/benchmarks.md: flywayx beside yoyo, Alembic, Sqitch, sqlparse, sqlglot.

    .venv/bin/python bench/run.py            # full run (a few minutes)
    .venv/bin/python bench/run.py --quick    # fewer repeats and sizes, for a smoke check

Sections: CLI start-up; ``info``-style status on SQLite with applied migrations (``flywayx info``,
``yoyo list``, ``alembic current``, ``sqitch status``); statement splitting of the CloudStack corpus
(flywayx vs ``sqlparse.split`` vs ``sqlglot`` tokenising+parsing); then the output of every other
``bench/bench_*.py`` script (planning at 1k/10k/50k migrations, analysis; ``bench_speed.py``: the per-migration
overhead beside the ``mariadb`` client, ``psql`` and yoyo, 10,000-migration runs, ``plan``, ``explain``). Each
timing is the median of
repeated runs; the machine and exact peer versions head the report. Peers that are not installed are
reported as such, never silently dropped. Peers: ``pip install yoyo-migrations alembic``; Sqitch:
``apt-get install sqitch libdbd-sqlite3-perl``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OUT = ROOT / "docs" / "benchmarks.md"
CORPUS = Path(os.environ.get("FLYWAYX_ACS_CORPUS", ROOT.parent / "shared" / "corpus" / "acs"))
Row = tuple[str, str, float | None, str]  # (what, tool, median seconds or None, note)


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _run(cmd: list[str], cwd: Path) -> Callable[[], object]:
    def call() -> object:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, check=True)

    return call


def _tool(name: str) -> str | None:
    path = BIN / name
    return str(path) if path.exists() else shutil.which(name)


# --- machine and versions ----------------------------------------------------------------------------


def machine() -> list[str]:
    cpu = next(
        (ln.split(":", 1)[1].strip() for ln in _read("/proc/cpuinfo").splitlines() if ln.startswith("model name")),
        platform.processor() or "unknown CPU",
    )
    mem = next((ln.split()[1] for ln in _read("/proc/meminfo").splitlines() if ln.startswith("MemTotal")), "")
    return [
        f"- CPU: {cpu}, {os.cpu_count()} logical cores" + (f", {int(mem) // 1024} MiB RAM" if mem else ""),
        f"- OS: {platform.platform()}",
        f"- Python: {platform.python_version()} ({sys.executable})",
    ]


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for dist in ("flywayx", "yoyo-migrations", "alembic", "SQLAlchemy", "sqlparse", "sqlglot"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = None
    sqitch = shutil.which("sqitch")
    found["sqitch"] = (
        subprocess.run([sqitch, "--version"], capture_output=True, text=True).stdout.split()[-1] if sqitch else None
    )
    return found


# --- projects of N applied migrations for each tool --------------------------------------------------


def flywayx_project(root: Path, n: int) -> list[str]:
    (root / "sql").mkdir()
    for i in range(1, n + 1):
        (root / "sql" / f"V{i}__create_t{i}.sql").write_text(f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY);\n")
    cmd = [str(BIN / "flywayx"), "--url", f"sqlite:///{root / 'f.db'}", "--locations", "sql", "-q"]
    subprocess.run([*cmd, "migrate"], cwd=root, check=True, capture_output=True)
    return [*cmd, "info"]


def yoyo_project(root: Path, n: int) -> list[str] | None:
    yoyo = _tool("yoyo")
    if yoyo is None:
        return None
    (root / "y").mkdir()
    for i in range(1, n + 1):
        (root / "y" / f"{i:05d}_t{i}.sql").write_text(f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY);\n")
    base = ["--batch", "--no-config-file", "--database", f"sqlite:///{root / 'y.db'}", str(root / "y")]
    subprocess.run([yoyo, "apply", *base], cwd=root, check=True, capture_output=True)
    return [yoyo, "list", *base]


def alembic_project(root: Path, n: int) -> list[str] | None:
    alembic = _tool("alembic")
    if alembic is None:
        return None
    subprocess.run([alembic, "init", "a"], cwd=root, check=True, capture_output=True)
    ini = (root / "alembic.ini").read_text().replace("driver://user:pass@localhost/dbname", "sqlite:///a.db")
    (root / "alembic.ini").write_text(ini)
    for i in range(1, n + 1):
        down = f"'r{i - 1:05d}'" if i > 1 else "None"
        (root / "a" / "versions" / f"r{i:05d}.py").write_text(
            f"from alembic import op\nrevision = 'r{i:05d}'\ndown_revision = {down}\nbranch_labels = None\n"
            f"depends_on = None\n\ndef upgrade():\n    op.execute('CREATE TABLE t{i} (id INTEGER PRIMARY KEY)')\n\n"
            "def downgrade():\n    pass\n"
        )
    subprocess.run([alembic, "upgrade", "head"], cwd=root, check=True, capture_output=True)
    return [alembic, "current"]


def sqitch_project(root: Path, n: int) -> list[str] | None:
    sqitch = shutil.which("sqitch")
    if sqitch is None:
        return None
    s = root / "s"
    s.mkdir()
    subprocess.run(
        [sqitch, "init", "bench", "--engine", "sqlite", "--target", "db:sqlite:s.db"],
        cwd=s,
        check=True,
        capture_output=True,
    )
    plan = ["%syntax-version=1.0.0", "%project=bench", ""]
    for i in range(1, n + 1):
        for kind, sql in (("deploy", f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY);"), ("revert", ""), ("verify", "")):
            (s / kind / f"c{i}.sql").write_text(sql + "\n")
        plan.append(f"c{i} 2024-01-01T00:00:00Z bench <bench@example.org> # c{i}")
    (s / "sqitch.plan").write_text("\n".join(plan) + "\n")
    done = subprocess.run([sqitch, "deploy"], cwd=s, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"sqitch deploy failed: {done.stderr.strip()[:200]}")
    return [sqitch, "-C", str(s), "status"]


# --- sections ---------------------------------------------------------------------------------------


def startup(repeat: int) -> list[Row]:
    rows: list[Row] = []
    candidates = [
        ("flywayx", [str(BIN / "flywayx"), "--version"], "fast path: no click, no driver"),
        ("flywayx", [str(BIN / "flywayx"), "--help"], "click and every command loaded"),
        ("yoyo", [_tool("yoyo") or "", "--help"], "yoyo has no --version"),
        ("alembic", [_tool("alembic") or "", "--version"], ""),
        ("sqitch", [shutil.which("sqitch") or "", "--version"], ""),
    ]
    for tool, cmd, note in candidates:
        what = f"start-up `{cmd[-1]}`"
        if not cmd[0]:
            rows.append((what, tool, None, "not installed"))
            continue
        rows.append((what, tool, median_time(_run(cmd, ROOT), repeat), note))
    return rows


def status(n: int, repeat: int) -> list[Row]:
    rows: list[Row] = []
    builders = [
        ("flywayx", flywayx_project, "`flywayx info`"),
        ("yoyo", yoyo_project, "`yoyo list`"),
        ("alembic", alembic_project, "`alembic current`"),
        ("sqitch", sqitch_project, "`sqitch status`"),
    ]
    for tool, build, what in builders:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                cmd = build(Path(tmp), n)
            except (subprocess.CalledProcessError, RuntimeError) as err:
                rows.append((f"status, {n} applied", tool, None, f"set-up failed: {str(err)[:120]}"))
                continue
            if cmd is None:
                rows.append((f"status, {n} applied", tool, None, "not installed"))
                continue
            rows.append((f"status, {n} applied", tool, median_time(_run(cmd, Path(tmp)), repeat), what))
    return rows


def splitting(repeat: int) -> tuple[list[Row], str]:
    files = sorted(CORPUS.rglob("*.sql")) if CORPUS.is_dir() else []
    if not files:
        return [], f"The CloudStack corpus was not found at {CORPUS}; splitting was not measured."
    texts = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    mib = sum(len(t.encode()) for t in texts) / 2**20
    rows: list[Row] = []
    from flywayx.statements.splitter import split

    count = sum(len(split(t, "mysql")) for t in texts)
    rows.append(
        (
            "split ACS corpus",
            "flywayx",
            median_time(lambda: [split(t, "mysql") for t in texts], repeat),
            f"{count} statements (Flyway's MySQL rules: DELIMITER, comments, quotes)",
        )
    )
    try:
        import sqlparse

        n = sum(len(sqlparse.split(t)) for t in texts)
        rows.append(
            (
                "split ACS corpus",
                "sqlparse",
                median_time(lambda: [sqlparse.split(t) for t in texts], 1),
                f"{n} statements; `sqlparse.split` (no DELIMITER support); one run",
            )
        )
    except ImportError:
        rows.append(("split ACS corpus", "sqlparse", None, "not installed"))
    rows.append(_sqlglot_row(texts))
    return rows, f"{len(files)} files, {mib:.1f} MiB of SQL from {CORPUS.name}/"


def _sqlglot_row(texts: list[str]) -> Row:
    try:
        import sqlglot
    except ImportError:
        return ("split ACS corpus", "sqlglot", None, "not installed")

    def parse_all() -> int:
        ok = 0
        for t in texts:
            with contextlib.suppress(Exception):  # sqlglot refuses whole files it cannot parse: counted as lost
                ok += len(sqlglot.parse(t, read="mysql"))
        return ok

    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # it warns once per statement it falls back on

    start = time.perf_counter()
    n = parse_all()
    return (
        "split ACS corpus",
        "sqlglot",
        time.perf_counter() - start,
        f"{n} statements from the files it could parse; `sqlglot.parse(read='mysql')` parses fully; one run",
    )


# Scripts that need a set-up of their own and are run by hand (their docstrings say how).
BY_HAND = {"bench_server_share.py"}  # a private MariaDB instance: its counters are the whole server's


def other_scripts(quick: bool) -> list[tuple[str, str]]:
    args = {
        "bench_plan.py": ["--sizes", "1000,10000" if quick else "1000,10000,50000", "--repeat", "1" if quick else "3"],
        "bench_releases.py": ["--sizes", "1000,5000" if quick else "1000,5000,10000,20000"],
        # the 1,000,000-row figures are a longer run of their own (kept below the KEPT marker)
        "bench_operations.py": ["--rows", "20000" if quick else "100000"],
        "bench_speed.py": ["--markdown", *(["--quick", "--repeat", "1"] if quick else ["--repeat", "3"])],
        "bench_cache.py": ["--quick"] if quick else ["--repeat", "3"],
    }
    out = []
    for script in sorted((ROOT / "bench").glob("bench_*.py")):
        if script.name in BY_HAND:
            continue
        cmd = [sys.executable, str(script), *args.get(script.name, [])]
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)
        text = done.stdout.strip() or done.stderr.strip()[-2000:]
        out.append(
            (
                f"{script.name} {' '.join(args.get(script.name, []))}".strip(),
                text if done.returncode == 0 else f"(exit {done.returncode})\n{text}",
            )
        )
    return out


# --- report -----------------------------------------------------------------------------------------


def table(rows: list[Row]) -> list[str]:
    """One line per (row, tool); the ratio is the peer's time over flywayx's time for the same row."""
    lines = ["| measurement | tool | median | vs flywayx | note |", "|---|---|---|---|---|"]
    base = {what: secs for what, tool, secs, _ in rows if tool == "flywayx" and secs}
    for what, tool, secs, note in rows:
        ref = base.get(what)
        ratio = "—" if secs is None or ref is None or tool == "flywayx" else f"{secs / ref:.2f}×"
        shown = "n/a" if secs is None else (f"{secs * 1000:.1f} ms" if secs < 10 else f"{secs:.1f} s")
        lines.append(f"| {what} | {tool} | {shown} | {ratio} | {note} |")
    return lines


def verdicts(rows: list[Row]) -> list[str]:
    """Where flywayx is not ahead, say so plainly (peer ratio below 1 means the peer was faster)."""
    base = {what: secs for what, tool, secs, _ in rows if tool == "flywayx" and secs}
    slower = [
        f"- {what}: {tool} is faster ({secs * 1000:.0f} ms vs {base[what] * 1000:.0f} ms)"
        for what, tool, secs, _ in rows
        if tool != "flywayx" and secs and what in base and secs < base[what]
    ]
    if not slower:
        return ["- flywayx is ahead of every peer measured in every row above."]
    return [
        *slower,
        "",
        "Why: every flywayx command but `--version` loads click, the Flyway configuration reader",
        "(files, environment, precedence) and the release-line machinery, and `info` scans, checksums and",
        "validates every file against history; a peer that does less work per call finishes sooner.",
    ]


def write(sections: dict[str, object], quick: bool, elapsed: float) -> str:
    v = sections["versions"]
    assert isinstance(v, dict)
    rows = [r for key in ("startup", "status", "split") for r in sections[key]]  # type: ignore[attr-defined]
    parts = [
        "# Benchmarks",
        "",
        "<!-- GENERATED by bench/run.py; do not edit by hand. -->",
        "",
        f"Generated by `python bench/run.py{' --quick' if quick else ''}` in {elapsed:.0f} s. Times are medians "
        f'of {sections["repeat"]} runs unless the note says otherwise; "vs flywayx" is the peer\'s time divided '
        "by flywayx's (above 1: flywayx is faster).",
        "",
        "## Machine",
        "",
        *machine(),
        f"- Load average (1, 5, 15 min) at the start: {sections['load']}",
        "",
        "## Versions",
        "",
        *(f"- {k}: {val or 'not installed'}" for k, val in v.items()),
        "",
        "## Side by side",
        "",
        *table(rows),
        "",
        f"Status rows use {sections['n']} applied migrations on SQLite, one `CREATE TABLE` each, and time "
        "each tool's own command-line program as a user runs it (process start-up included).",
        "",
        f"Splitting: {sections['split_note']}",
        "",
        "## Where flywayx is not ahead",
        "",
        *verdicts(rows),
        "",
        "The comparisons are not of equal work: `sqlparse.split` does not understand MySQL's `DELIMITER`",
        "(stored procedures split wrongly), `sqlglot` builds a full syntax tree, and `flywayx info` also",
        "scans, checksums and validates every migration file, which `alembic current` does not do.",
        "",
    ]
    for name, text in sections["scripts"]:  # type: ignore[attr-defined]
        if name.startswith("bench_speed.py") and str(text).startswith("Each time"):  # a markdown table
            parts += [f"## Speed where users feel it (issue 19): `bench/{name}`", "", str(text), ""]
        else:
            parts += [f"## `bench/{name}`", "", "```text", str(text), "```", ""]
    return "\n".join(parts).rstrip() + "\n"


KEPT = "<!-- KEPT: what follows is not generated (longer runs, by hand); bench/run.py keeps it as it is. -->"


def kept(path: Path) -> str:
    """The part of the existing report from the ``KEPT`` marker on (empty when there is none)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    at = text.find(KEPT)
    return "" if at < 0 else "\n" + text[at:]


def _as_installed() -> None:
    """Measure flywayx as a user runs it: with byte-code cached, as the peers' pip-installed packages are.

    Some shells (CI, sandboxes) set PYTHONDONTWRITEBYTECODE; then every start of an editable install
    recompiles its sources, which a real install never does.
    """
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    packages = [str(ROOT / p) for p in ("flywayx", "flywayx_cloudstack")]  # the plugin loads at every start
    subprocess.run([sys.executable, "-m", "compileall", "-q", *packages], check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and sizes (about a minute)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    repeat, n = (3, 50) if args.quick else (9, 200)
    _as_installed()
    started = time.perf_counter()
    load = os.getloadavg()
    sections: dict[str, object] = {
        "versions": versions(),
        "repeat": repeat,
        "n": n,
        "load": ", ".join(f"{x:.1f}" for x in load),
    }
    sections["startup"] = startup(repeat)
    sections["status"] = status(n, repeat)
    sections["split"], sections["split_note"] = splitting(1 if args.quick else 3)
    sections["scripts"] = other_scripts(args.quick)
    report = write(sections, args.quick, time.perf_counter() - started) + kept(args.out)
    args.out.write_text(report, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
