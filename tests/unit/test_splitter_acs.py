"""The real CloudStack corpus split the way Flyway's MariaDB parser splits it (acs-corpus.md §4).

Without Flyway at hand, these pin what a user would check: the real ``mariadb`` client sends the
same number of statements for ``setup/db`` and ``views/`` (tests/on_server/test_splitter_acs_on_server.py),
statements are verbatim, in order, with nothing but delimiters and comments between
them, no statement hides an unquoted delimiter, and the fast path equals the token walk.
Where Flyway and the client differ (procedures written without DELIMITER), Flyway's result is
asserted.
"""

from __future__ import annotations

import re
from pathlib import Path

from flywayx.model.migration import Statement
from flywayx.statements.split_engine import Engine
from flywayx.statements.splitter import split

CHECKED_DIRS = ("setup/db", "META-INF/db/views")
_STRIP = re.compile(r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.|\"\")*\"|`(?:[^`]|``)*`|--[^\n]*|#[^\n]*|/\*.*?\*/", re.S)
USE_LINE = re.compile(r"^\s*use\s", re.I | re.M)


def corpus_files(corpus: Path, *dirs: str) -> list[Path]:
    return sorted(p for d in dirs for p in (corpus / d).glob("*.sql"))


def _split_file(path: Path) -> list[Statement]:
    return split(path.read_text(encoding="utf-8"), "mariadb", path=str(path))


def _is_stored_program(sql: str) -> bool:
    code = _STRIP.sub(" ", sql).split()
    return code[:1] == ["CREATE"] and "PROCEDURE" in code[:4]


def test_statements_are_verbatim_in_order_with_only_delimiters_and_comments_between(acs_corpus: Path) -> None:
    for path in corpus_files(acs_corpus, *CHECKED_DIRS, "META-INF/db/procedures"):
        text = path.read_text(encoding="utf-8")
        pos, gaps = 0, []
        for stmt in _split_file(path):
            found = text.find(stmt.sql, pos)
            assert found >= 0, f"{path.name}: statement at line {stmt.line} is not verbatim"
            assert text.count("\n", 0, text.find(stmt.sql.split("\n")[-1], found)) + 1 >= stmt.line
            gaps.append(text[pos:found])
            pos = found + len(stmt.sql)
        gaps.append(text[pos:])
        rest = _STRIP.sub("", "".join(gaps))
        rest = re.sub(r"(?im)^\s*delimiter\s+\S+\s*$", "", rest)
        assert set(rest) <= set(" \t\r\n;$"), f"{path.name}: text outside every statement: {rest.strip()!r}"


def test_no_statement_holds_an_unquoted_delimiter(acs_corpus: Path) -> None:
    for path in corpus_files(acs_corpus, *CHECKED_DIRS):
        for stmt in _split_file(path):
            if _is_stored_program(stmt.sql):
                continue  # create-database.sql: a BEGIN...END body under DELIMITER $$
            code = _STRIP.sub(" ", stmt.sql)
            assert stmt.delimiter not in code, f"{path.name}:{stmt.line}: {stmt.sql[:80]!r}"


def test_procedures_without_delimiter_stay_whole_as_in_flyway(acs_corpus: Path) -> None:
    """Flyway's stored-program rule keeps each body whole; the mariadb client would cut it at ';'."""
    files = corpus_files(acs_corpus, "META-INF/db/procedures")
    assert len(files) == 16
    for path in files:
        stmts = _split_file(path)
        assert [_STRIP.sub(" ", s.sql).split()[0].upper() for s in stmts] == ["DROP", "CREATE"], path.name
        assert stmts[1].sql.rstrip().upper().endswith("END")
        assert stmts[1].sql.count(";") >= 1


def test_fast_path_equals_token_walk_on_every_corpus_file(acs_corpus: Path) -> None:
    for path in sorted(acs_corpus.rglob("*.sql")):
        text = path.read_text(encoding="utf-8")
        assert Engine(text, "mariadb").run() == Engine(text, "mariadb", fast=False).run(), path.name
