"""releases.toml abuse, through the console script: refused with one line naming the release, never
a Python RecursionError; memory linear in the number of releases.

The memory check runs each size in its own Python process that calls the console script's entry
point in-process and reports its peak RSS with ``resource.getrusage``. Linear growth between three
sizes is the oracle (the quadratic closures used 1.5 GB at 10,000 releases). Sizes:
``FLYWAYX_RELEASES_SIZES`` (default ``300,1500,4500``; ``1000,5000,10000`` for the issue's figure).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e import harness
from tests.fixtures.release_lines import write_release_lines

SIZES = [int(n) for n in os.environ.get("FLYWAYX_RELEASES_SIZES", "300,1500,4500").split(",")]
LIMIT_MB = 200


def _project(tmp: Path, releases: str) -> Path:
    loc = tmp / "sql"
    loc.mkdir(exist_ok=True)
    (loc / "V1.0.0.1__base.sql").write_text("CREATE TABLE base (id INT);\n")
    (loc / "releases.toml").write_text(releases)
    return loc


def _refused(tmp: Path, releases: str, *, command: str = "info") -> list[str]:
    loc = _project(tmp, releases)
    r = harness.run("--url", f"sqlite:///{tmp / 'app.db'}", "--locations", str(loc), command, timeout=120)
    assert r.code == 1, r.text
    assert "Traceback" not in r.text and "RecursionError" not in r.text and "unexpected error" not in r.text
    lines = r.err.strip().splitlines()
    assert lines[0].startswith("ERROR: ") and lines[-1].startswith("hint: "), r.err
    return lines


def test_a_release_that_merges_itself_is_refused_naming_it(tmp_path: Path) -> None:
    lines = _refused(tmp_path, '[release."1.0.0"]\n[release."1.1.0"]\nfrom = "1.0.0"\nmerges = ["1.1.0"]\n')
    assert len(lines) == 2 and 'release "1.1.0" merges itself' in lines[0] and ":4:" in lines[0]


def test_a_release_that_branches_from_itself_is_refused_naming_it(tmp_path: Path) -> None:
    lines = _refused(tmp_path, '[release."1.0.0"]\n[release."2.0.0"]\nfrom = "2.0.0"\n', command="migrate")
    assert len(lines) == 2 and 'release "2.0.0" branches from itself' in lines[0]
    assert not (tmp_path / "app.db").exists() or (tmp_path / "app.db").stat().st_size == 0


def test_a_cycle_is_refused_naming_its_releases(tmp_path: Path) -> None:
    text = (
        '[release."1.0.0"]\n[release."1.1.0"]\nfrom = "1.3.0"\n[release."1.2.0"]\nfrom = "1.1.0"\n'
        '[release."1.3.0"]\nfrom = "1.2.0"\n'
    )
    lines = _refused(tmp_path, text)
    assert len(lines) == 2 and "cycle: 1.1.0 -> 1.3.0 -> 1.2.0 -> 1.1.0" in lines[0], lines


@pytest.mark.parametrize(
    ("what", "body"),
    [
        ("arrays", "merges = " + "[" * 5000 + "]" * 5000),
        ("inline tables", "x = " + "{a = " * 5000 + "1" + "}" * 5000),
        ("arrays within the parser's reach", "merges = " + "[" * 40 + "]" * 40),
        ("dotted tables", '[release."1.0.0".' + ".".join(["t"] * 20000) + "]"),
    ],
)
def test_deep_nesting_is_one_line_not_a_recursion_error(what: str, body: str, tmp_path: Path) -> None:
    lines = _refused(tmp_path, '[release."1.0.0"]\n' + body + "\n")
    assert len(lines) == 2 and "nested too deeply" in lines[0] and "at most 16" in lines[0], (what, lines)


def test_deep_nesting_in_flyway_toml_is_one_line_too(tmp_path: Path) -> None:
    (tmp_path / "flyway.toml").write_text("[flyway]\nx = " + "[" * 5000 + "]" * 5000 + "\n")
    loc = _project(tmp_path, '[release."1.0.0"]\n')
    r = harness.run("--url", f"sqlite:///{tmp_path / 'app.db'}", "--locations", str(loc), "info", cwd=tmp_path)
    assert r.code == 1 and "Traceback" not in r.text and "RecursionError" not in r.text, r.text
    assert r.err.splitlines()[0] == "ERROR: Error parsing config file: tables or arrays nested too deeply"


# ---------------------------------------------------------------- memory

CHILD = """
import json, resource, sys
from contextlib import redirect_stdout
from io import StringIO
from flywayx.cli.app import run
url, loc, last = sys.argv[1:4]
codes = []
for args in (["info"], ["plan", "--to", last], ["validate"]):
    with redirect_stdout(StringIO()):
        codes.append(run(["--url", url, "--locations", loc, *args], prog_name="flywayx"))
# VmHWM is this process's own peak: ru_maxrss keeps the peak of the process that forked it (Linux
# carries the parent's high-water mark across fork and exec), so a test worker grown past the limit
# would be measured instead of flywayx
try:
    peak = next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM:"))
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"codes": codes, "peak_kb": peak}))
"""


def _peak_mb(n: int, tmp: Path) -> float:
    loc = tmp / f"p{n}"
    last = write_release_lines(n, loc)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, f"sqlite:///{tmp / f'{n}.db'}", str(loc), last],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=harness.env(),
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["codes"] == [0, 0, 0], out.stderr[-3000:]
    return float(result["peak_kb"]) / 1024


def test_memory_grows_linearly_with_the_number_of_releases(tmp_path: Path) -> None:
    small, middle, large = SIZES
    peaks = [_peak_mb(n, tmp_path) for n in SIZES]
    assert peaks[2] < LIMIT_MB, peaks
    first, second = peaks[1] - peaks[0], peaks[2] - peaks[1]
    expected = (large - middle) / (middle - small)  # the ratio of the two growths if linear
    # quadratic growth would give ((large² - middle²) / (middle² - small²)), 5.5x this at the defaults.
    # The first growth is a few MB of the process's own peak (VmHWM), where the allocator's arenas make
    # ±1 MB noise: it counts as at least 4 MB (a CI run measured 39.8, 42.2, 53.0 MB: 2.5 then 10.7)
    assert second <= 1.6 * expected * max(first, 4.0), (SIZES, peaks)
