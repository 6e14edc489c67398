"""The hold-out command (holdout.py): its own reading of Flyway's order and placeholders, its verdict, and
one run per server on a small folder that uses what public projects use (subfolders, callbacks, a
placeholder, a repeatable, DELIMITER or ``$$`` bodies)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.differential import client_text, flyway_history, holdout
from tests.differential.holdout import Outcome

VECTORS = Path(__file__).parents[2] / "compat" / "flyway-vectors.json"


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_flyway_order_is_numeric_merged_and_wraps_callbacks(tmp_path: Path) -> None:
    a = _write(
        tmp_path / "a",
        {
            "V1_10__ten.sql": "",
            "sub/V1_9__nine.sql": "",
            "V1.1__one.sql": "",
            "R__b.sql": "",
            "R__a.sql": "",
            "afterMigrate.sql": "",
            "beforeEachMigrate__x.sql": "",
            "V2_bad.sql": "",  # skipped by Flyway: "2_bad" is no version
            "README.md": "",
            ".hidden/V0__h.sql": "",
        },
    )
    b = _write(tmp_path / "b", {"V1_2__two.sql": "", "beforeMigrate.sql": ""})
    names = [p.name for p in holdout.flyway_order([a, b])]
    each = "beforeEachMigrate__x.sql"
    assert names == [
        "beforeMigrate.sql",
        *(x for v in ["V1.1__one.sql", "V1_2__two.sql", "V1_9__nine.sql", "V1_10__ten.sql"] for x in (each, v)),
        each,
        "R__a.sql",
        each,
        "R__b.sql",
        "afterMigrate.sql",
    ]
    kept = [p.name for p in holdout.flyway_order([a], target="1.9") if p.name.startswith("V")]
    assert kept == ["V1.1__one.sql", "V1_9__nine.sql"]


def test_an_empty_prefix_and_a_baseline_migration(tmp_path: Path) -> None:
    bare = _write(tmp_path / "bare", {"20170101__a.sql": "", "20160101__b.sql": "", "V4__x.sql": ""})
    assert [p.name for p in holdout.flyway_order([bare], holdout.Naming(prefix=""))] == [
        "20160101__b.sql",
        "20170101__a.sql",
    ]  # V4 is no version without the V prefix: skipped, as Flyway skips it
    based = _write(tmp_path / "based", {"V1__a.sql": "", "B3__base.sql": "", "V4__x.sql": ""})
    assert [p.name for p in holdout.flyway_order([based])] == ["B3__base.sql", "V4__x.sql"]


def test_the_history_checksum_is_flyways() -> None:
    """The check's own checksum against the values Flyway's code computed (the vectors with a UTF-8 text)."""
    cases = [c for c in json.loads(VECTORS.read_text())["checksums"] if c["content"] is not None]
    cases = [c for c in cases if c["encoding"] == "UTF-8"]
    assert len(cases) > 25
    for case in cases:
        text = case.get("text_after_replacement", case["content"])
        assert flyway_history.checksum(text) == case["checksum"], case["name"]


def test_the_expected_rows(tmp_path: Path) -> None:
    loc = _write(
        tmp_path, {"V1_01__a_b.sql": "SELECT 1;\n", f"V2__{'x' * 210}.sql": "", "R__v.sql": "SELECT '${n}';\n"}
    )
    steps = holdout.flyway_order([loc])
    rows = flyway_history.expected_rows(
        steps,
        lambda p: p.name,
        lambda n: holdout.parse_name(n, holdout.Naming()),
        ("V", "B", "R"),
        lambda p: p.read_text().replace("${n}", ""),
    )
    assert rows[0] == ("1.01", "a b", "SQL", "V1_01__a_b.sql", 78787420, True)
    assert rows[1][1] == "x" * 197 + "..." and rows[1][4] == 0
    assert rows[2] == (None, "v", "SQL", "R__v.sql", -15979558, True)


def test_placeholders_as_flyway_replaces_them() -> None:
    """Against the vectors Flyway's own reader computed (those that end in an output or a missing value)."""
    cases = json.loads(VECTORS.read_text())["placeholder_replacement"]
    for case in cases:
        if "unterminated" in case["name"] or case["input"].startswith("${flyway:"):
            continue  # quirks at the end of the text; the built-ins are filled by the caller
        if "error" in case:
            with pytest.raises(client_text.PlaceholderMissing):
                client_text.replace_placeholders(case["input"], case["placeholders"])
        else:
            assert client_text.replace_placeholders(case["input"], case["placeholders"]) == case["output"], case["name"]
    got = client_text.replace_placeholders(
        "-- ${Who}\nSELECT '${who}', '$${who}', '$$x$$', '${flyway:table}';", {"WHO": "x${who}", "flyway:table": "t"}
    )
    assert got == "-- x${who}\nSELECT 'x${who}', '$${who}', '$$x$$', 't';"


def test_a_custom_placeholder_prefix_as_flyways_reader_takes_it() -> None:
    """Flyway's reader reads on while the text follows the prefix and passes over what it read when a character
    parts from it, that character included (PlaceholderReplacingReader, read by hand)."""
    values = {"a": "1"}
    assert client_text.replace_placeholders("$$$${a} $${a} ${a} $$x$$", values, "$${") == "$$$${a} 1 ${a} $$x$$"
    assert client_text.replace_placeholders("##{a}## #{a}## ###{a}##", values, "##{", "}##") == "1 #{a}## ###{a}##"
    with pytest.raises(client_text.PlaceholderMissing, match=r"##\{b\}##"):
        client_text.replace_placeholders("##{b}##", values, "##{", "}##")


def test_file_names_with_a_custom_suffix() -> None:
    naming = holdout.Naming(suffixes=("DB.sql",))
    assert holdout.parse_name("V1_2__init___DB.sql", naming) == ("V", "1_2", "init   ")
    assert holdout.parse_name("V1_2__init.sql", naming) is None
    assert holdout.flyway_filename("V1__db.sql", naming) == "V1db.sql"  # an empty description: §1.3
    assert holdout.flyway_filename("V1____DB.sql", naming) == "V1____DB.sql"  # the description is "  "
    assert holdout.flyway_filename("R__v.sql", holdout.Naming()) == "R__v.sql"


def test_dash_lines_between_statements_are_dropped_for_the_client() -> None:
    text = (
        "--a\nSELECT 1;\n  --b\nSELECT 'x\n--in a literal\n';\nSELECT 2 -- c\n--d\n;\n/* x\n--e */\n"
        "DELIMITER //\n--f\nCREATE PROCEDURE p() BEGIN\n--g\nSELECT 'it''s'; END//\n-- h\n--i"
    )
    kept = client_text.drop_dash_lines(text)
    assert [ln for ln in kept.splitlines() if ln.lstrip().startswith("--")] == [
        "--in a literal",
        "--d",
        "--e */",
        "--g",
        "-- h",
    ]


def test_values_a_clock_gave_are_told_apart_from_other_differences() -> None:
    now = 1796672459.0
    ours = Outcome(True, 1, dump="(1,1796672456000,'a','2026-12-07 19:31:06',1234567890)")
    theirs = Outcome(True, 1, dump="(1,1796672459000,'a','2026-12-07 19:31:09',1234567890)")
    code, lines = holdout.verdict(ours, theirs, now)
    assert code == 0 and "differ only in clock values" in "\n".join(lines)
    other = Outcome(True, 1, dump="(2,1796672459000,'a','2026-12-07 19:31:09',1234567890)")
    assert holdout.verdict(ours, other, now)[0] == 1
    ids = Outcome(True, 1, dump="('102200716738694829','x')\n('102200716738694830','y')")
    made = Outcome(True, 1, dump="('102200716738695202','x')\n('102200716738695203','y')")
    code, lines = holdout.verdict(ids, made, now)
    assert code == 0 and "differ only in values made as each ran" in "\n".join(lines)
    old = Outcome(True, 1, dump="(1,1796672456000,'a','2026-12-07 19:31:06',1234567891)")
    assert holdout.verdict(ours, old, now)[0] == 1  # far from now: data, not a clock


@pytest.mark.parametrize(
    ("ours", "theirs", "code", "says"),
    [
        (Outcome(True, 1, dump="a\nb"), Outcome(True, 1, dump="a\nb"), 0, "MATCH: the databases describe the same"),
        (Outcome(True, 1, dump="a\nb"), Outcome(True, 1, dump="a\nc"), 1, "DIFFERENCE: the databases differ"),
        (Outcome(False, 1, "V2__x.sql", "boom"), Outcome(True, 1), 1, "flywayx failed where the client went"),
        (Outcome(True, 1), Outcome(False, 1, "V2__x.sql", "boom"), 1, "the client failed where flywayx went"),
        (Outcome(False, 1, "V2__x.sql"), Outcome(False, 1, "V3__y.sql"), 1, "stopped at different files"),
        (Outcome(False, 1, "V2__x.sql"), Outcome(False, 1, "V2__x.sql"), 0, "MATCH: both stopped at the same file"),
    ],
)
def test_the_verdict(ours: Outcome, theirs: Outcome, code: int, says: str) -> None:
    got, lines = holdout.verdict(ours, theirs)
    assert got == code and says in "\n".join(lines)


MARIADB = {
    "V1__t.sql": "CREATE TABLE t (id INT PRIMARY KEY, who VARCHAR(20));\n",
    "sub/V1_1__p.sql": "DELIMITER $$\nCREATE PROCEDURE p()\nBEGIN\n  -- kept\n  INSERT INTO t VALUES (1, '${who}');\n"
    "END $$\nDELIMITER ;\nCALL p();\n",
    "R__v.sql": "CREATE OR REPLACE VIEW v AS SELECT who FROM t;\n",
    "afterMigrate.sql": "UPDATE t SET who = CONCAT(who, '!');\n",
}
POSTGRES = {
    "V1__t.sql": "CREATE TABLE t (id INT PRIMARY KEY, who TEXT);\n",
    "sub/V1_1__f.sql": "CREATE FUNCTION f() RETURNS TEXT AS $$ SELECT '${who}'; $$ LANGUAGE sql;\n"
    "INSERT INTO t VALUES (1, f());\n",
    "R__v.sql": "CREATE OR REPLACE VIEW v AS SELECT who FROM t;\n",
}


@pytest.mark.parametrize("family", ["mariadb", "postgresql"])
def test_a_small_project_matches(tmp_path: Path, capsys: pytest.CaptureFixture[str], family: str) -> None:
    loc = _write(tmp_path / "sql", MARIADB if family == "mariadb" else POSTGRES)
    code = holdout.main([str(loc), "--dialect", family, "-p", "who=acme"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "MATCH: the databases describe the same" in out
    assert f"{len(MARIADB if family == 'mariadb' else POSTGRES)} files" in out
    assert "history: the 3 rows are the ones Flyway writes" in out


@pytest.mark.mariadb
def test_suffix_placeholder_prefix_and_dash_comments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The settings hawkbit, mifosx and dinky run with, and a ``--comment`` line the mariadb client drops."""
    loc = _write(
        tmp_path / "sql",
        {
            "V1__t___DB.sql": "CREATE TABLE t (id INT PRIMARY KEY, who VARCHAR(40));\n--no space\n"
            "INSERT INTO t VALUES (1, '##{who}##');\n",
            "V2__s___DB.sql": "INSERT INTO t VALUES (2, 'a\n--inside a literal\n${kept}');\n",
            "V3__other.sql": "CREATE TABLE nope (id INT);\n",  # not a migration with the suffix DB.sql
        },
    )
    args = ["--suffix", "DB.sql", "--placeholder-prefix", "##{", "--placeholder-suffix", "}##", "-p", "who=acme"]
    code = holdout.main([str(loc), "--dialect", "mariadb", *args])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "2 files on mariadb" in out and "MATCH: the databases describe the same" in out
    assert "history: the 2 rows are the ones Flyway writes" in out
