"""A migrate run costs what its work costs: nothing in it grows with the history per migration.

Counted, not timed (timings on a shared machine are noise): history reads, Flyway ``info``
computations, schema fingerprints, SQL statements and rows fetched per run. A loop that re-reads
the history or recomputes ``info`` per migration (1,500 migrations once took 55 s on SQLite, 10,000
over 25 minutes) shows here as counts that grow with the number of migrations.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from flywayx.db import connect as connect_module
from flywayx.db.history import SqlHistoryTable
from flywayx.plan import info as info_module
from flywayx.service import safety
from tests.conftest import CliResult


@dataclass
class Counts:
    reads: int = 0  # full or partial reads of the history table's rows
    infos: int = 0  # Flyway info computations
    fingerprints: int = 0  # live schema fingerprints (for verify)
    statements: int = 0  # SQL statements flywayx sent through its connection layer
    fetched: int = 0  # rows those statements returned
    by_text: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counts]:
    c = Counts()
    rows, compute, live = SqlHistoryTable.rows, info_module.compute_info, safety.live_fingerprint
    query_named, execute, run = (
        connect_module.DbapiDatabase.query_named,
        connect_module.DbapiDatabase.execute,
        connect_module.DbapiDatabase.run,
    )

    def counted_rows(self: SqlHistoryTable, after_rank: int = -1) -> Any:
        c.reads += 1
        return rows(self, after_rank)

    def counted_info(*args: Any, **kwargs: Any) -> Any:
        c.infos += 1
        return compute(*args, **kwargs)

    def counted_live(*args: Any, **kwargs: Any) -> Any:
        c.fingerprints += 1
        return live(*args, **kwargs)

    def sent(sql: str) -> None:
        c.statements += 1
        key = " ".join(sql.split()[:3])
        c.by_text[key] = c.by_text.get(key, 0) + 1

    def counted_query(self: Any, sql: str, params: tuple[Any, ...] = (), named: bool = True) -> Any:
        sent(sql)
        out = query_named(self, sql, params, named)
        c.fetched += len(out)
        return out

    def counted_execute(self: Any, sql: str) -> Any:
        sent(sql)
        return execute(self, sql)

    def counted_run(self: Any, sql: str, params: tuple[Any, ...] = ()) -> Any:
        sent(sql)
        return run(self, sql, params)

    monkeypatch.setattr(SqlHistoryTable, "rows", counted_rows)
    monkeypatch.setattr("flywayx.service.kernel.compute_info", counted_info)
    monkeypatch.setattr(safety, "live_fingerprint", counted_live)
    monkeypatch.setattr(connect_module.DbapiDatabase, "query_named", counted_query)
    monkeypatch.setattr(connect_module.DbapiDatabase, "execute", counted_execute)
    monkeypatch.setattr(connect_module.DbapiDatabase, "run", counted_run)
    yield c


def _write(loc: Path, first: int, last: int) -> None:
    loc.mkdir(exist_ok=True)
    for i in range(first, last + 1):
        (loc / f"V{i}__t{i}.sql").write_text(
            f"CREATE TABLE t{i} (id INT);\nINSERT INTO t{i} VALUES ({i});\n", encoding="utf-8"
        )


def _migrate(cli_run: Callable[..., CliResult], db: Path, loc: Path, command: str = "migrate") -> CliResult:
    r = cli_run("--url", f"sqlite:///{db}", "--locations", str(loc), command)
    assert r.code == 0, r.err
    return r


def _measure(counts: Counts, run: Callable[[], object]) -> Counts:
    before = Counts(
        counts.reads, counts.infos, counts.fingerprints, counts.statements, counts.fetched, dict(counts.by_text)
    )
    run()
    return Counts(
        counts.reads - before.reads,
        counts.infos - before.infos,
        counts.fingerprints - before.fingerprints,
        counts.statements - before.statements,
        counts.fetched - before.fetched,
        {k: v - before.by_text.get(k, 0) for k, v in counts.by_text.items()},
    )


def test_a_run_reads_the_history_once_and_computes_info_once(
    tmp_path: Path, counts: Counts, cli_run: Callable[..., CliResult]
) -> None:
    loc, db = tmp_path / "m", tmp_path / "x.db"
    _write(loc, 1, 150)
    fresh = _measure(counts, lambda: _migrate(cli_run, db, loc))
    # a new database: the table is created empty, so there is nothing to read; the state for verify
    # is recorded from the rows the run wrote, not read back
    assert (fresh.reads, fresh.infos, fresh.fingerprints) == (0, 1, 1), fresh
    _write(loc, 151, 300)
    more = _measure(counts, lambda: _migrate(cli_run, db, loc))
    assert (more.reads, more.infos, more.fingerprints) == (1, 1, 1), more
    noop = _measure(counts, lambda: _migrate(cli_run, db, loc))
    assert (noop.reads, noop.infos, noop.fingerprints) == (1, 1, 0), noop
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT COUNT(*), MAX(installed_rank) FROM flyway_schema_history").fetchone() == (300, 300)


def test_statements_and_rows_per_migration_do_not_grow_with_the_history(
    tmp_path: Path, counts: Counts, cli_run: Callable[..., CliResult]
) -> None:
    """Apply 25 migrations onto histories of 10, 60 and 300 rows: the statements sent per migration
    are the same each time, and the rows fetched grow by the history read once, not per migration."""
    loc, db = tmp_path / "m", tmp_path / "x.db"
    per_step: list[float] = []
    fetched: list[int] = []
    applied = 0
    for history in (10, 60, 300):
        if history > applied:
            _write(loc, applied + 1, history)
            _migrate(cli_run, db, loc)
        base = _measure(counts, lambda: _migrate(cli_run, db, loc))  # a no-op run over this history
        _write(loc, history + 1, history + 25)
        run = _measure(counts, lambda: _migrate(cli_run, db, loc))
        applied = history + 25
        per_step.append((run.statements - base.statements) / 25)
        fetched.append(run.fetched - history)
    assert per_step[0] == per_step[1] == per_step[2], per_step
    # SQLite: token, BEGIN, the 2 statements, the history row and flywayx's (each numbered in its INSERT),
    # the progress record's removal, COMMIT;
    # the few statements a run sends once (its run record, the state for verify) spread over the 25
    assert per_step[0] < 8.5, per_step
    assert max(fetched) - min(fetched) <= 1, fetched


def test_a_no_op_migrate_keeps_the_recorded_state_so_verify_still_sees_drift(
    tmp_path: Path, cli_run: Callable[..., CliResult]
) -> None:
    """Recording the schema again after a run that applied nothing would adopt a hand-made change as
    the expected schema; the record stays until the history changes."""
    loc, db = tmp_path / "m", tmp_path / "x.db"
    _write(loc, 1, 3)
    _migrate(cli_run, db, loc)
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE by_hand (id INT)")
    _migrate(cli_run, db, loc)  # nothing to apply
    r = cli_run("--url", f"sqlite:///{db}", "verify")
    assert r.code == 1 and "by_hand" in r.out + r.err, (r.out, r.err)
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT COUNT(*) FROM flywayx_schema_state").fetchone() == (1,)
    _write(loc, 4, 4)  # the history changes: the state is recorded again, drift included
    _migrate(cli_run, db, loc)
    assert cli_run("--url", f"sqlite:///{db}", "verify").code == 0
