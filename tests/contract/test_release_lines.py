"""Release lines through the CLI on every database: plan equals migrate, interleaving reaches the
fresh-install schema, impossible paths and conflicts are refused before anything changes, and the
history stays readable by Flyway (validate passes after an interleaved upgrade)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flywayx.db.fingerprint import fingerprint
from flywayx.model.fingerprint import diff
from tests.conftest import CliResult as Result
from tests.databases import ScratchDb

EXAMPLE = Path(__file__).resolve().parents[2] / "sql"


def example(tmp_path: Path) -> Path:
    loc = tmp_path / "sql"
    shutil.copytree(EXAMPLE, loc)
    return loc


def args(t: ScratchDb, loc: Path) -> list[str]:
    return ["--url", t.url, "--locations", f"filesystem:{loc}"]


def history(t: ScratchDb) -> list[tuple[Any, ...]]:
    return t.query("SELECT installed_rank, version, type, success FROM flyway_schema_history ORDER BY installed_rank")


def test_plan_is_what_migrate_does_and_interleaving_is_flyway_readable(
    database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    loc = example(tmp_path)
    assert flywayx(*args(database, loc), "migrate", "--to", "1.2.0").code == 0
    assert "1.1.1.1" not in [r[1] for r in history(database)]
    planned = flywayx(*args(database, loc), "plan", "--to", "1.2.1", "--output-type", "json")
    assert planned.code == 0, planned.err
    steps = planned.json()["steps"]
    assert [(s["version"], s["release"], s["out_of_order"]) for s in steps] == [("1.1.1.1", "1.1.1", True)]
    done = flywayx(*args(database, loc), "migrate", "--to", "1.2.1", "--output-type", "json")
    assert done.code == 0, done.out
    assert [m["version"] for m in done.json()["migrations"]] == [s["version"] for s in steps]
    # Flyway reads this history: the late row is "Out of Order", which validate accepts.
    info = flywayx(*args(database, loc), "info", "--output-type", "json").json()
    assert {m["version"]: m["state"] for m in info["migrations"]}["1.1.1.1"] == "Out of Order"
    assert flywayx(*args(database, loc), "validate").code == 0
    assert info["currentReleases"] == ["1.2.1"]


def test_interleaved_upgrade_equals_fresh_install(tmp_path: Path, flywayx: Callable[..., Result]) -> None:
    loc = example(tmp_path)
    fresh, upgraded = tmp_path / "fresh.db", tmp_path / "upgraded.db"
    assert flywayx("--url", f"sqlite:///{fresh}", "--locations", str(loc), "migrate", "--to", "1.2.1").code == 0
    for step in ("1.0.0", "1.2.0", "1.2.1"):
        assert flywayx("--url", f"sqlite:///{upgraded}", "--locations", str(loc), "migrate", "--to", step).code == 0
    with sqlite3.connect(fresh) as a, sqlite3.connect(upgraded) as b:
        assert diff(fingerprint(a, "sqlite", []), fingerprint(b, "sqlite", [])) == []


def test_impossible_path_is_refused_before_touching_the_database(
    database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    loc = example(tmp_path)
    assert flywayx(*args(database, loc), "migrate", "--to", "1.2.0").code == 0
    before = history(database)
    refused = flywayx(*args(database, loc), "migrate", "--to", "1.1.1", "--output-type", "json")
    assert refused.code == 1
    err = refused.json()["error"]
    assert err["errorCode"] == "PLAN_IMPOSSIBLE"
    assert "1.2.0.1" in err["message"] and err["reachable"] == ["1.2.0"]
    assert history(database) == before


def test_genuine_conflict_names_the_pair_and_the_column(
    database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    loc = tmp_path / "m"
    loc.mkdir()
    (loc / "releases.toml").write_text(
        '[lines]\ndepth = 2\n[release."1.0.0"]\n[release."1.0.1"]\n[release."1.1.0"]\nfrom = "1.0.0"\n'
        '[release."1.1.1"]\nmerges = ["1.0.1"]\n',
        encoding="utf-8",
    )
    (loc / "V1.0.0.1__accounts.sql").write_text("CREATE TABLE accounts (id INT PRIMARY KEY, name VARCHAR(40));\n")
    (loc / "V1.0.1.1__widen_name.sql").write_text("UPDATE accounts SET name = 'x' WHERE name IS NULL;\n")
    (loc / "V1.1.0.1__rename_name.sql").write_text("ALTER TABLE accounts RENAME COLUMN name TO full_name;\n")
    assert flywayx(*args(database, loc), "migrate", "--to", "1.1.0").code == 0
    before = history(database)
    refused = flywayx(*args(database, loc), "migrate", "--to", "1.1.1", "--output-type", "json")
    assert refused.code == 1, refused.out
    conflicts = refused.json()["error"]["conflicts"]
    assert [(c["pending"], c["applied"]) for c in conflicts] == [("1.0.1.1", "1.1.0.1")]
    assert any("accounts" in o for o in conflicts[0]["objects"])
    assert history(database) == before


def test_database_migrated_by_plain_flyway_is_adopted(
    database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    loc = example(tmp_path)
    assert flywayx(*args(database, loc), "migrate", "--target", "1.1.0.1").code == 0  # plain Flyway semantics
    info = flywayx(*args(database, loc), "info", "--output-type", "json").json()
    assert info["currentReleases"] == ["1.1.0"]  # inferred from the applied set alone
    done = flywayx(*args(database, loc), "migrate", "--to", "1.2.1", "--output-type", "json")
    assert done.code == 0, done.out
    assert [m["version"] for m in done.json()["migrations"]] == ["1.1.1.1", "1.2.0.1", "1.2.0.2"]


def test_a_strict_line_refuses_late_changes(
    database: ScratchDb, tmp_path: Path, flywayx: Callable[..., Result]
) -> None:
    loc = example(tmp_path)
    toml = loc / "releases.toml"
    toml.write_text(toml.read_text() + '\n[lines.ordering]\n"1.1" = "strict"\n', encoding="utf-8")
    assert flywayx(*args(database, loc), "migrate", "--to", "1.2.0").code == 0
    refused = flywayx(*args(database, loc), "migrate", "--to", "1.2.1", "--output-type", "json")
    assert refused.code == 1
    assert [s["pending"] for s in refused.json()["error"]["strict"]] == ["1.1.1.1"]


def test_an_invalid_ordering_is_reported_with_its_line(tmp_path: Path, flywayx: Callable[..., Result]) -> None:
    loc = example(tmp_path)
    toml = loc / "releases.toml"
    text = toml.read_text() + '\n[lines.ordering]\n"1.1" = "sometimes"\n"9.9" = "strict"\n'
    toml.write_text(text, encoding="utf-8")
    r = flywayx("--url", f"sqlite:///{tmp_path / 'x.db'}", "--locations", str(loc), "plan", "--output-type", "json")
    assert r.code == 1
    problems = r.json()["error"]["problems"]
    messages = " | ".join(p["message"] for p in problems)
    assert 'must be "strict" or "interleave"' in messages and "'9.9', which has no release" in messages
    assert all(p["line"] for p in problems)
