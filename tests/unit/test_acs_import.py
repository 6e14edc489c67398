"""`import_acs` on the hand-written fake CloudStack tree (tests/acs/tree): every Java shape."""

from __future__ import annotations

import importlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from flywayx.errors import ImportProblem
from flywayx.sources.releases import parse_releases
from flywayx.statements.splitter import split
from flywayx_cloudstack import project as acs_project
from flywayx_cloudstack.checker import parse_hierarchy, resolve_step, upgrade_path
from flywayx_cloudstack.java import parse_default_rule, parse_step_class
from flywayx_cloudstack.project import JAVA_DIR, declared_effects, import_acs
from flywayx_cloudstack.report import EFFECTS_HEADING, ImportReport, StepRow

TREE = Path(__file__).resolve().parent.parent / "acs" / "tree"
OVERRIDES = TREE.parent / "overrides.toml"
DAO = TREE / JAVA_DIR / "dao"


def _steps() -> dict[str, Any]:
    rule, _ = parse_default_rule((DAO / "DbUpgrade.java").read_text())
    classes = {}
    for f in DAO.glob("Upgrade*.java"):
        cls, issues = parse_step_class(f.read_text())
        assert cls is not None and not issues, f
        classes[cls.name] = cls
    return {n: resolve_step(classes, n, rule)[0] for n in classes}


def test_script_shapes_resolve_like_java() -> None:
    steps = _steps()
    s = steps["Upgrade410to420"]
    assert s.prepare == (
        "META-INF/db/schema-410to420.sql",
        "META-INF/db/data-410to420.sql",
    )  # several, constant
    assert s.cleanup == ()  # null
    assert steps["Upgrade420to421"].prepare == () and steps["Upgrade420to421"].cleanup == ()  # empty arrays
    inherited = steps["Upgrade421to430"]  # only overrides the range
    assert (inherited.target, inherited.prepare) == ("4.3.0", ("META-INF/db/schema-420to430.sql",))
    assert inherited.migration_owner == "Upgrade420to430"
    assert inherited.java_scripts == ("META-INF/db/gadget-seed.sql",)
    default = steps["Upgrade430to440"]  # interface default rule for both getters
    assert default.prepare == ("META-INF/db/schema-430to440.sql",)
    assert default.cleanup == ("META-INF/db/schema-430to440-cleanup.sql",)
    last = steps["Upgrade42100to42200"]
    assert last.cleanup == ("META-INF/db/schema-42100to42200-cleanup.sql",) and last.cleanup_by_default
    assert last.system_vm_template and not last.prepare_by_default


def test_path_follows_checker_rules() -> None:
    nodes, issues = parse_hierarchy((TREE / JAVA_DIR / "DatabaseUpgradeChecker.java").read_text())
    assert not issues and "3.0.0" not in {n.version for n in nodes}  # commented-out line ignored
    path = upgrade_path(nodes, _steps(), "4.0.0")
    assert [s.target for _, s in path] == [
        "4.1.0",
        "4.2.0",
        "4.2.1",
        "4.3.0",
        "4.4.0",
        "4.4.1",
        "4.5.0",
        "4.21.0.0",
        "4.22.0.0",
    ]
    assert "UpgradeSnapshot421to430" not in {s.name for _, s in path}  # synthetic node: target already made
    from_unknown = upgrade_path(nodes, _steps(), "4.3.5")
    assert from_unknown[0][0].version == "4.3.2"  # falls back to the nearest lower node


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, object]:
    out = tmp_path / "out"
    return out, import_acs(TREE, out, overrides=OVERRIDES)


def test_project_files(project: tuple[Path, object]) -> None:
    out, _report = project
    names = sorted(p.name for p in out.iterdir())
    for expected in (
        "B4.0.0__create_schema.sql",
        "V4.1.0.1__schema-40to410.sql",
        "V4.1.0.2__Upgrade40to41_data_migration.py",
        "V4.1.0.3__schema-40to410-cleanup.sql",
        "V4.2.0.1__schema-410to420+data-410to420.sql",
        "V4.3.0.2.1__gadget-seed.sql",
        "V4.4.0.3__schema-430to440-cleanup.sql",
        "V4.21.1.0.1__schema-42100to42110.sql",
        "beforeMigrate.sql",
        "releases.toml",
        "flyway.toml",
        "import-report.md",
        "import-report.json",
    ):
        assert expected in names
    # 420to421 has no scripts and no Java: only its cloud.version row step
    assert [n for n in names if n.startswith("V4.2.1.")] == ["V4.2.1.4__cloudstack_version.sql"]
    assert not any(n.startswith("V4.3.0.3") for n in names)  # empty cleanup is not written
    assert [n for n in names if n.startswith("R__")] == ["R__1_b_gadget_view.sql", "R__2_a_widget_view.sql"]
    toml = (out / "flyway.toml").read_text()
    assert 'schemas = ["cloud", "cloud_usage"]' in toml and "placeholderReplacement = false" in toml
    stub = (out / "V4.1.0.2__Upgrade40to41_data_migration.py").read_text()
    assert "def migrate(conn)" in stub and "addWidgetOwner" in stub
    compile(stub, "stub", "exec")


def test_every_step_writes_cloudstacks_version_row_last(project: tuple[Path, object]) -> None:
    out, report = project
    for row in report.steps:  # type: ignore[attr-defined]
        marker = f"V{row.release}.4__cloudstack_version.sql"
        assert marker in row.files and max(row.files, key=lambda n: n.split("__")[0]) == marker
        sql = [s.sql for s in split((out / marker).read_text(), "mariadb")]
        assert len(sql) == 1 and f"SELECT '{row.release}', now(), 'Complete'" in sql[0]
        assert f"NOT EXISTS (SELECT 1 FROM `cloud`.`version` WHERE `version` = '{row.release}')" in sql[0]
    aliases = {"4.3.1", "4.3.2"} & {r.release for r in report.steps}  # type: ignore[attr-defined]
    assert aliases == set()  # alias nodes run no step, so CloudStack writes them no row


def test_release_graph(project: tuple[Path, object]) -> None:
    out, _ = project
    _graph, problems = parse_releases((out / "releases.toml").read_text())
    assert problems == []
    text = (out / "releases.toml").read_text()
    assert '[release."4.5.0"]  # Upgrade441to450 at node 4.4.1\nfrom = "4.4.1"' in text
    assert '[release."4.4.0"]  # Upgrade430to440 at node 4.3.0\nfrom = "4.3.0"\nmerges = ["4.3.2"]' in text
    assert 'merges = ["4.21.1.0"]' in text and '"4.22.0.0.1" = "4.21.1.0.1"' in text


def test_report_lists_anomalies(project: tuple[Path, object]) -> None:
    out, report = project
    codes = {(i.code, i.subject) for i in report.issues}  # type: ignore[attr-defined]
    assert ("orphan-file", "schema-30to40.sql") in codes
    assert ("repointed-script", "Upgrade421to430") in codes
    assert ("alias-node", "4.3.2") in codes
    doc = json.loads((out / "import-report.json").read_text())
    assert doc["counts"]["steps from 4.0.0"] == 9
    assert "orphan-file" in (out / "import-report.md").read_text()


def test_new_step_needs_no_code_change(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(TREE, tree)
    dao = tree / JAVA_DIR / "dao"
    text = (dao / "Upgrade42100to42200.java").read_text().replace("42100to42200", "42200to42300")
    text = text.replace('"4.21.0.0", "4.22.0.0"', '"4.22.0.0", "4.23.0.0"').replace(
        'return "4.22.0.0"', 'return "4.23.0.0"'
    )
    (dao / "Upgrade42200to42300.java").write_text(text)
    db = tree / "engine/schema/src/main/resources/META-INF/db"
    (db / "schema-42200to42300.sql").write_text("ALTER TABLE `cloud`.`sprocket` ADD COLUMN `x` int;\n")
    (db / "schema-42200to42300-cleanup.sql").write_text("--;\n")
    checker = tree / JAVA_DIR / "DatabaseUpgradeChecker.java"
    checker.write_text(
        checker.read_text().replace(
            ".build();", '.next("4.22.0.0", new Upgrade42200to42300())\n                .build();'
        )
    )
    out = tmp_path / "out"
    import_acs(tree, out)
    assert (out / "V4.23.0.0.1__schema-42200to42300.sql").is_file()
    assert '[release."4.23.0.0"]' in (out / "releases.toml").read_text()


def test_refuses_bad_source_and_nonempty_out(tmp_path: Path) -> None:
    with pytest.raises(ImportProblem, match="not a CloudStack source tree"):
        import_acs(tmp_path, tmp_path / "out")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("x")
    with pytest.raises(ImportProblem, match="not empty"):
        import_acs(TREE, tmp_path / "busy")


def test_report_lists_what_each_port_declares_it_adds(project: tuple[Path, object]) -> None:
    out, report = project
    doc = json.loads((out / "import-report.json").read_text())
    ported = [s for s in doc["steps"] if s["java"] in ("ported", "partial")]
    assert ported  # the fake tree has steps whose Java has a real port
    for row in doc["steps"]:
        if row in ported:
            module = importlib.import_module("java_equiv.upgrade_" + row["java_owner"].removeprefix("Upgrade").lower())
            assert row["schema_effects"] == list(module.SCHEMA_EFFECTS), row["step"]
        else:  # no Java, or a stub: nothing added to the schema
            assert row["schema_effects"] == [], row["step"]
    md = (out / "import-report.md").read_text()
    assert EFFECTS_HEADING in md
    assert md.index("## Steps") < md.index(EFFECTS_HEADING) < md.index("## Anomalies")
    assert not {i.code for i in report.issues} & {"java-effects-undeclared", "java-effects-unreadable"}  # type: ignore[attr-defined]


def _row(release: str, step: str, effects: tuple[str, ...] | None) -> StepRow:
    return StepRow(release, release, step, (), (), 0, "ported", step, (), effects)


def test_effects_section_lists_release_step_and_object() -> None:
    report = ImportReport(
        "src",
        "out",
        steps=[
            _row(
                "4.6.0",
                "Upgrade452to460",
                ("table cloud.vpc column redundant", "table cloud.networks column redundant"),
            ),
            _row("4.7.0", "Upgrade461to470", ()),
            _row("4.9.0", "Upgrade481to490", None),
        ],
    )
    md = report.to_markdown()
    section = md[md.index(EFFECTS_HEADING) : md.index("## Anomalies")]
    assert "| release | step | object |" in section
    assert "| 4.6.0 | Upgrade452to460 | table cloud.vpc column redundant |" in section
    assert "| 4.6.0 | Upgrade452to460 | table cloud.networks column redundant |" in section
    assert "Upgrade461to470" not in section  # data only: nothing to list
    assert "do not declare" in section and "4.9.0 Upgrade481to490" in section
    steps = json.loads(report.to_json())["steps"]
    assert [s["schema_effects"] for s in steps] == [
        ["table cloud.vpc column redundant", "table cloud.networks column redundant"],
        [],
        None,
    ]
    empty = ImportReport("src", "out", steps=[_row("4.7.0", "Upgrade461to470", ())]).to_markdown()
    assert "None: no ported step changes the schema." in empty and "| release | step | object |" not in empty


def test_declared_effects_is_read_without_running_the_module() -> None:
    head = "import sys\nsys.exit('must not run')\n"
    assert declared_effects(head + "SCHEMA_EFFECTS: tuple[str, ...] = ('table cloud.a column b',)\n") == (
        "table cloud.a column b",
    )
    assert declared_effects(head + "SCHEMA_EFFECTS = ()\n") == ()
    assert declared_effects(head + "MISSING = ('x',)\n") is None
    for bad in (
        "SCHEMA_EFFECTS = ['a']",
        "SCHEMA_EFFECTS = (1,)",
        "SCHEMA_EFFECTS = tuple(X)",
        "SCHEMA_EFFECTS: tuple[str, ...]",
    ):
        with pytest.raises(ValueError, match="literal tuple of strings"):
            declared_effects(bad)


def test_undeclared_or_unreadable_effects_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ports = tmp_path / "ports" / "h4_fake_ports"
    ports.mkdir(parents=True)
    (ports / "__init__.py").write_text("")
    (ports / "upgrade_40to41.py").write_text("def migrate(conn):\n    pass\n")
    (ports / "upgrade_42100to42200.py").write_text("SCHEMA_EFFECTS = tuple(['x'])\n\ndef migrate(conn):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path / "ports"))
    monkeypatch.setattr(acs_project, "PORTS", "h4_fake_ports")
    report = import_acs(TREE, tmp_path / "out", overrides=OVERRIDES)
    rows = {s.java_owner: s.schema_effects for s in report.steps if s.java_owner}
    assert rows["Upgrade40to41"] is None and rows["Upgrade42100to42200"] is None
    found = {(i.code, i.subject, i.severity) for i in report.issues}
    assert ("java-effects-undeclared", "Upgrade40to41", "warning") in found
    assert ("java-effects-unreadable", "Upgrade42100to42200", "error") in found
    md = (tmp_path / "out" / "import-report.md").read_text()
    assert "do not declare their effects (not listed above): 4.1.0 Upgrade40to41, 4.22.0.0 Upgrade42100to42200" in md


def test_the_deferred_views_note_names_the_last_release_whose_scripts_create_views(tmp_path: Path) -> None:
    """CloudStack moved its views from the upgrade scripts into views/ (4.19.0.0): a database staged
    past the last release whose scripts create them has those views, not its release's views/."""
    tree = tmp_path / "tree"
    shutil.copytree(TREE, tree)
    script = tree / acs_project.DB_DIR / "schema-430to440.sql"
    script.write_text(script.read_text() + "\nCREATE OR REPLACE VIEW `cloud`.`w_view` AS SELECT 1 AS x;\n")
    import_acs(tree, tmp_path / "out", overrides=OVERRIDES)
    graph, problems = parse_releases((tmp_path / "out" / "releases.toml").read_text())
    assert problems == [] and graph.repeatables_with == "4.22.0.0"
    assert "create views only up to 4.4.0" in graph.repeatables_note
    assert "a database stopped after 4.4.0 and before 4.22.0.0 may lack views" in graph.repeatables_note
    import_acs(TREE, tmp_path / "plain", overrides=OVERRIDES)  # no script creates a view: nothing to say
    assert parse_releases((tmp_path / "plain" / "releases.toml").read_text())[0].repeatables_note == ""
