"""Differential suite: generated migration folders (generate.py) applied by flywayx and by the real client
(``mariadb``, ``psql -v ON_ERROR_STOP=1``) into two databases must leave the same schema and data, as
the dump tools describe them (oracle.py). Then failure injection: one statement made to fail, the
file fixed, ``migrate --resume`` (MySQL/MariaDB) or ``migrate`` (PostgreSQL, rolled back) must reach
the clean run's database.

The default run (CI) takes a few seeds per database, well under 90 s; ``FLYWAYX_DIFF_EXAMPLES=N`` adds
N more seeds per database (``FLYWAYX_DIFF_SEED`` moves where they start).
"""

from __future__ import annotations

import os
import random
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from flywayx.statements.splitter import split
from tests import databases
from tests.conftest import CliResult
from tests.databases import ScratchDb
from tests.differential import generate, oracle
from tests.e2e import harness

Cli = Callable[..., CliResult]
DEFAULT = {"mariadb": [1, 2, 3, 4], "postgresql": [1, 2, 3]}
EXTRA = int(os.environ.get("FLYWAYX_DIFF_EXAMPLES", "0"))
START = int(os.environ.get("FLYWAYX_DIFF_SEED", "1000"))
CASES = [(family, seed) for family, seeds in DEFAULT.items() for seed in [*seeds, *range(START, START + EXTRA)]]


def _migrate(cli: Cli, db: ScratchDb, loc: Path, *extra: str) -> CliResult:
    return cli("--url", db.url, "--locations", str(loc), "migrate", *extra)


@pytest.mark.parametrize(("family", "seed"), CASES, ids=[f"{f}-{s}" for f, s in CASES])
def test_flywayx_applies_what_the_client_applies(cli_run: Cli, tmp_path: Path, family: str, seed: int) -> None:
    folder = generate.folder(family, seed)
    loc = folder.write(tmp_path / "clean")
    for m in folder.migrations:  # the generator's own check: Flyway's parser sees the statements it wrote
        assert len(split(m.render(), family)) == len(m.statements()), m.name
    with databases.scratch(family, tmp_path) as ours, databases.scratch(family, tmp_path) as theirs:
        done = _migrate(cli_run, ours, loc)
        assert done.code == 0, done.err
        oracle.client_apply(theirs, loc)
        assert oracle.describe(ours) == oracle.describe(theirs)
        want = oracle.describe(theirs, keys=False)
    _inject_a_failure(cli_run, tmp_path, folder, random.Random(seed), want)


def _inject_a_failure(cli: Cli, tmp: Path, folder: generate.Folder, rng: random.Random, want: str) -> None:
    """One statement fails; the file is fixed; the recovery an operator is told to run must give ``want``
    (generated key values aside)."""
    m = rng.randrange(len(folder.migrations))
    statements = folder.migrations[m].statements()
    j = rng.randrange(len(statements))
    with databases.scratch(folder.family, tmp) as db:
        loc = folder.write(tmp / "injected", fail=(m, j))
        line = split((loc / folder.migrations[m].name).read_text(), folder.family)[j].line
        failed = _migrate(cli, db, loc)
        assert failed.code == 1 and "fx_no_such_table" in failed.err, failed.err
        assert failed.err.count("ERROR:") == 1 and "Traceback" not in failed.err
        assert f"failed at {folder.migrations[m].name} line {line}:" in failed.err, failed.err
        folder.write(tmp / "injected")  # fixed: the statement as it was
        if folder.family == "postgresql":
            assert "rolled back" in failed.err and "resume" not in failed.err
            recovered = _migrate(cli, db, loc)
        else:  # a transaction the script opened is rolled back with the failed statement
            assert f"Fix statement {j + 1}," in failed.err, failed.err
            recovered = _migrate(cli, db, loc, "--resume")
            if recovered.code != 0 and "cannot be rebuilt" in recovered.err:
                # only state the generator marks as not rebuildable (a temporary table, a query-set @var)
                assert any(s.lost for s in statements[:j]), recovered.err
                return
        assert recovered.code == 0, recovered.err
        assert oracle.describe(db, keys=False) == want  # a rolled-back run consumed generated keys


def _pg_source(db: ScratchDb) -> None:
    for stmt in [
        "CREATE TYPE mood AS ENUM ('sad', 'ok')",
        "CREATE TABLE person (id SERIAL PRIMARY KEY, name TEXT NOT NULL, m mood, tags TEXT[], born DATE,"
        " note TEXT DEFAULT E'tab\\there')",
        "INSERT INTO person (name, m, tags, born, note) VALUES ('ann', 'ok', ARRAY['a', 'b;c'], '1990-01-02', NULL),"
        " ('bob''s', 'sad', '{}', NULL, E'multi\\nline \\\\ slash')",
        "CREATE VIEW v_person AS SELECT id, upper(name) AS name FROM person",
        "CREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.name := NEW.name || '!';"
        " RETURN NEW; END $$",
        "CREATE TRIGGER tr_bump BEFORE INSERT ON person FOR EACH ROW EXECUTE FUNCTION bump()",
        "CREATE SEQUENCE tickets START 500",
        "SELECT setval('tickets', 512)",
        "CREATE MATERIALIZED VIEW mv AS SELECT count(*) AS n FROM person",
    ]:
        db.query(stmt)


@pytest.mark.postgres
def test_a_pg_dump_file_of_a_real_database(cli_run: Cli, tmp_path: Path) -> None:
    """pg_dump's plain output (COPY … FROM stdin, $$ bodies, set_config of search_path) applied by flywayx
    and by psql gives the same database."""
    with databases.scratch("postgresql", tmp_path) as src:
        _pg_source(src)
        w = oracle.where(src)
        dump = subprocess.run(
            ["pg_dump", "-h", w.host, "-p", str(w.port), "-U", w.user, "--no-owner", "--no-privileges", w.database],
            capture_output=True,
            text=True,
            check=True,
            env=harness.env(),
        ).stdout
    assert "FROM stdin;" in dump
    loc = tmp_path / "sql"
    loc.mkdir()
    (loc / "V1__dump.sql").write_text(dump)
    with databases.scratch("postgresql", tmp_path) as ours, databases.scratch("postgresql", tmp_path) as theirs:
        done = _migrate(cli_run, ours, loc)
        assert done.code == 0, done.err
        oracle.client_apply(theirs, loc)
        got, want = oracle.describe(ours), oracle.describe(theirs)
    assert got == want
    assert "bob's" in got and "setval('public.tickets', 512" in got
