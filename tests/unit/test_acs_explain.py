"""``flywayx explain`` on every converted file of an imported CloudStack project shows exactly the
statements CloudStack's ScriptRunner sends for the scripts the file came from.

The oracle is the independent ScriptRunner reading of tests/unit/test_acs_convert.py; the project
is the real corpus imported with the repository's overrides, and explain runs through the CLI.
Statements are compared with whitespace normalised and the leading ``-- `` comment lines removed
(the converter keeps a script's comments before the statement they precede; ScriptRunner skips
comment lines; the server ignores them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flywayx_cloudstack.project import CLOUDSTACK_OVERRIDES, import_acs
from tests.unit.test_acs_convert import scriptrunner

FROM = re.compile(r"^-- from (\S+)$", re.MULTILINE)


def _norm(sql: str) -> str:
    lines = sql.split("\n")
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith("-- ")):
        lines.pop(0)
    return re.sub(r"\s+", " ", "\n".join(lines)).strip()


def _source(corpus: Path, label: str) -> Path:
    """Where a ``-- from <label>`` header points: META-INF/db (scripts, procedures, views) or setup/db."""
    if label.startswith(("META-INF/db/", "procedures/", "views/")):
        return corpus / "META-INF" / "db" / label.removeprefix("META-INF/db/")
    return corpus / "setup" / "db" / label


def _expected(corpus: Path, text: str) -> list[str]:
    labels = FROM.findall(text)
    assert labels, "a converted file names the scripts it came from"
    return [_norm(s) for label in labels for s in scriptrunner(_source(corpus, label).read_text(encoding="utf-8"))]


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.acs_e2e.java_fixture import write_source_tree
    from tests.conftest import corpus_or_skip

    base = tmp_path_factory.mktemp("acs_explain")
    source = write_source_tree(corpus_or_skip(), base / "source")
    report = import_acs(source, base / "project", overrides=CLOUDSTACK_OVERRIDES)
    assert report.errors == []
    return base / "project"


def test_explain_shows_what_scriptrunner_sends_for_every_converted_file(
    imported: Path, acs_corpus: Path, cli_run: Callable[..., Any]
) -> None:
    converted = sorted(p.name for p in imported.glob("*.sql") if FROM.search(p.read_text(encoding="utf-8")))
    kinds = {n[0] for n in converted}
    assert {"B", "V", "R", "b"} <= kinds  # baseline, steps, views and the beforeMigrate callback
    # --working-directory: the project's flyway.toml turns placeholder replacement off (ACS scripts
    # hold literal ${accountName}); explain does not read the per-script .conf files
    result = cli_run(
        "--working-directory",
        str(imported),
        "explain",
        "--output-type",
        "json",
        *(str(imported / n) for n in converted),
    )
    assert result.code == 0, result.out[-2000:] + result.err
    files = json.loads(result.out)["files"]
    assert [Path(f["file"]).name for f in files] == converted
    total = 0
    for f in files:
        assert "error" not in f, (f["file"], f.get("error"))
        got = [_norm(s["sql"]) for s in f["statements"]]
        expected = _expected(acs_corpus, Path(f["file"]).read_text(encoding="utf-8"))
        assert got == expected, f["file"]
        total += len(got)
    written = json.loads((imported / "import-report.json").read_text())["counts"]["statements written"]
    assert total == written > 6000  # every statement the importer converted, not a sample


def test_cloudstack_version_steps_are_not_conversions(imported: Path, cli_run: Callable[..., Any]) -> None:
    """The V<R>.4 steps are flywayx's own, not CloudStack SQL: one INSERT each, visible in explain."""
    marker = "V4.20.1.0.4__cloudstack_version.sql"
    result = cli_run("--working-directory", str(imported), "explain", "--output-type", "json", str(imported / marker))
    assert result.code == 0, result.err
    (f,) = json.loads(result.out)["files"]
    (sql,) = [_norm(s["sql"]) for s in f["statements"]]
    assert sql.startswith(
        "INSERT INTO `cloud`.`version` (`version`, `updated`, `step`) SELECT '4.20.1.0', now(), 'Complete' "
        "FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM `cloud`.`version` WHERE `version` = '4.20.1.0') "
        "AND NOT EXISTS (SELECT 1 FROM `cloud`.`version` AS newer WHERE newer.`step` = 'Complete' AND "
    )
    assert sql.endswith("> '000004.000020.000001.000000')")  # no row older than a Complete one
    assert f["statements"][0]["writes"] == ["append:cloud.version"]
