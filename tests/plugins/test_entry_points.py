"""``flywayx.plugins.entry_points`` reads the same entry points as ``importlib.metadata`` (which flywayx no
longer imports at start-up): the same distributions, the first of each normalized name along
``sys.path``, in the same order; checked against ``importlib.metadata`` itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flywayx.plugins import entry_points

_COMPARE = """
import json, sys
from importlib.metadata import entry_points as reference
from flywayx.plugins import entry_points
out = {}
for group in sys.argv[1:]:
    ours = [[e.name, e.value] for e in entry_points(group)]
    theirs = [[e.name, e.value] for e in reference(group=group)]
    out[group] = [ours, theirs]
print(json.dumps(out))
"""


def _dist(site: Path, folder: str, text: str) -> None:
    info = site / folder
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {folder.split('-')[0]}\nVersion: 1\n")
    (info / "entry_points.txt").write_text(text)


@pytest.mark.parametrize("group", ["flywayx.plugins", "console_scripts", "pytest11"])
def test_this_environment_reads_alike(group: str) -> None:
    from importlib.metadata import entry_points as reference

    assert [(e.name, e.value) for e in entry_points(group)] == [(e.name, e.value) for e in reference(group=group)]


def test_duplicates_comments_and_other_sections_read_alike(tmp_path: Path) -> None:
    site, later = tmp_path / "site", tmp_path / "later"
    # one distribution under three spellings of its name: the first along sys.path wins
    _dist(
        site,
        "Acme_Tools-1.0.dist-info",
        "# a comment\n[flywayx.plugins]\nacme = acme.plugin:plugin\n\n[other]\nx = y\n",
    )
    _dist(later, "acme.tools-2.0.dist-info", "[flywayx.plugins]\nacme = acme_two:plugin\n")
    _dist(later, "beta-0.1.egg-info", "[flywayx.plugins]\n  beta =  beta.mod : obj [extra]  \nzeta = z:p\n")
    _dist(later, "gamma-3.dist-info", "[console_scripts]\ngamma = gamma:main\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(later)])}
    done = subprocess.run(
        [sys.executable, "-c", _COMPARE, "flywayx.plugins", "console_scripts", "other"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(done.stdout)
    for group, (ours, theirs) in found.items():
        assert ours == theirs, group
    names = [name for name, _ in found["flywayx.plugins"][0]]
    assert names.count("acme") == 1 and {"beta", "zeta", "cloudstack"} <= set(names)
