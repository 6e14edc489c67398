"""The hint of a failed migration run in a transaction (PostgreSQL) when the script committed part of
it itself: the statements up to its own COMMIT stay, and the hint says which, instead of "nothing of
it was applied"."""

from __future__ import annotations

import signal

import pytest

from flywayx.apply import failure as failure_module
from flywayx.apply import interrupt
from flywayx.apply.run import Progress
from flywayx.apply.walk import ApplyOptions
from flywayx.db.connect import StatementFailed
from flywayx.model import Kind, Migration, MigrationType, Statement, Version
from flywayx.model.work import Work

OPTS = ApplyOptions(installed_by="me", default_schema="public")


def _work(*sql: str) -> Work:
    m = Migration(Kind.VERSIONED, Version.parse("2"), "swap", "V2__swap.sql", "/p/V2__swap.sql", MigrationType.SQL, 0)
    return Work(m, [Statement(line=10 * (i + 1), sql=s) for i, s in enumerate(sql)])


SWAP = _work("CREATE TABLE n (id INT)", "BEGIN", "INSERT INTO n VALUES (1)", "COMMIT", "DROP TABLE o", "ALTER x")


def _hint(work: Work, failed_at: int) -> str:
    err = StatementFailed("boom", sql=(work.statements or ())[failed_at].sql)
    return failure_module.failure(err, work, Progress(0, ""), OPTS, True, failed_at).hint or ""


def test_a_failure_after_the_scripts_commit_names_what_it_kept() -> None:
    hint = _hint(SWAP, 5)
    assert "statements 1 to 4 stay applied" in hint and "COMMIT at line 40" in hint, hint
    assert "fix the migration" in hint and "nothing of it" not in hint


def test_a_failure_before_the_scripts_commit_kept_nothing() -> None:
    assert "nothing of it was applied" in _hint(SWAP, 2)


@pytest.mark.parametrize("end", ["END", "end"])
def test_end_is_a_commit_and_commit_prepared_is_not(end: str) -> None:
    assert "statements 1 to 2 stay applied" in _hint(_work("CREATE TABLE a (i INT)", end, "X"), 2)
    prepared = _work("CREATE TABLE a (i INT)", "COMMIT PREPARED 'g'", "X")
    assert "nothing of it was applied" in _hint(prepared, 2)


def test_interrupted_after_the_scripts_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(interrupt, "honoured", lambda: int(signal.SIGINT))
    hint = _hint(SWAP, 4)
    assert "statements 1 to 4 stay applied" in hint and "undo those by hand and run" in hint, hint
