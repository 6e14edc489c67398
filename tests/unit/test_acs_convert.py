"""ScriptRunner-dialect conversion on the real corpus: same statements, runnable by `mariadb`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flywayx.errors import StateError
from flywayx_cloudstack.adopt import VersionRow, current_release
from flywayx_cloudstack.convert import convert


def scriptrunner(text: str) -> list[str]:
    """Independent reading of ScriptRunner.runScript (acs-corpus.md §4.1) for the comparison."""
    out, cmd = [], ""
    for line in text.split("\n"):
        t = line.strip()
        if not t or t.startswith(("--", "//", "#")):
            continue
        if t.endswith(";"):
            out.append(cmd + line[: line.rindex(";")] + " ")
            cmd = ""
        else:
            cmd += (line[: line.index("--")] if "--" in line else line) + " "
    return [s for s in out if s.strip()]


def client_split(text: str) -> list[str]:
    """How the mysql/mariadb client splits: DELIMITER lines, quotes, `-- `/`#`/`/* */` comments."""
    out, cur, delim, state = [], "", ";", None
    for line in text.split("\n"):
        if state is None and not cur.strip() and line.strip().upper().startswith("DELIMITER "):
            delim = line.strip().split()[1]
            continue
        i = 0
        while i < len(line):
            c = line[i]
            if state in ("'", '"', "`"):
                if c == "\\" and state != "`":
                    cur += line[i : i + 2]
                    i += 2
                    continue
                state = None if c == state else state
            elif state == "block":
                state = None if line.startswith("*/", i) else state
            elif line.startswith(delim, i):
                out.append(cur)
                cur, i = "", i + len(delim)
                continue
            elif c in "'\"`":
                state = c
            elif c == "#" or (line.startswith("--", i) and line[i + 2 : i + 3] in ("", " ", "\t")):
                break
            elif line.startswith("/*", i):
                state = "block"
            cur += c
            i += 1
        cur += "\n" if state is None else " "
    return [s for s in out if s.strip()]


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def _without_leading_comments(sql: str) -> str:
    lines = sql.split("\n")
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith("-- ")):
        lines.pop(0)
    return "\n".join(lines)


def _corpus_files(corpus: Path) -> list[Path]:
    return sorted((corpus / "META-INF" / "db").rglob("*.sql")) + sorted(
        (corpus / "setup" / "db").glob("create-schema*.sql")
    )


def test_every_converted_file_sends_what_scriptrunner_sends(acs_corpus: Path) -> None:
    total = 0
    for f in _corpus_files(acs_corpus):
        text = f.read_text(encoding="utf-8")
        conv, _ = convert(text, f.name)
        expected = [_norm(s) for s in scriptrunner(text)]
        assert [_norm(s) for s in conv.statements] == expected, f.name
        runnable = [s for k, s in enumerate(expected) if k not in conv.broken]
        assert [_norm(s) for s in client_split(conv.text)] == runnable, f.name
        total += len(runnable)
    assert total > 7000


def test_converted_files_split_the_same_with_flywayx_splitter(acs_corpus: Path) -> None:
    splitter = pytest.importorskip("flywayx.statements.splitter")
    for f in _corpus_files(acs_corpus)[:200]:
        text = f.read_text(encoding="utf-8")
        conv, _ = convert(text, f.name)
        got = [_norm(_without_leading_comments(s.sql)) for s in splitter.split(conv.text, "mariadb")]
        runnable = [_norm(s) for k, s in enumerate(scriptrunner(text)) if k not in conv.broken]
        assert [g for g in got if g] == runnable, f.name


def test_dropped_tail_is_reported_and_not_run(acs_corpus: Path) -> None:
    f = acs_corpus / "META-INF" / "db" / "schema-22beta1to22beta2.sql"
    conv, issues = convert(f.read_text(encoding="utf-8"), f.name)
    assert conv.statements == () and [i.code for i in issues] == ["sql-dropped-tail"]
    assert client_split(conv.text) == []


def test_procedure_bodies_survive_as_one_statement(acs_corpus: Path) -> None:
    f = acs_corpus / "META-INF" / "db" / "procedures" / "cloud.idempotent_add_column.sql"
    conv, _ = convert(f.read_text(encoding="utf-8"), f.name)
    assert "DELIMITER" in conv.text and "--;" not in conv.text
    assert len(client_split(conv.text)) == 2 and "BEGIN" in client_split(conv.text)[1]


def test_adopt_takes_highest_complete_row() -> None:
    rows = [
        VersionRow(1, "4.0.0", None, "Complete"),
        VersionRow(3, "4.9.3.0", None, "Complete"),
        VersionRow(2, "4.10.0.0", None, "Complete"),
    ]
    assert current_release(rows) == "4.9.3.0"  # highest id, not highest version


def test_adopt_refuses_unfinished_upgrade() -> None:
    rows = [VersionRow(1, "4.0.0", None, "Complete"), VersionRow(2, "4.1.0", None, "Upgrade")]
    with pytest.raises(StateError, match=r"4\.1\.0.*not completed.*4\.0\.0"):
        current_release(rows)
    with pytest.raises(StateError, match="empty"):
        current_release([])
