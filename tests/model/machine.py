"""The model: random release graphs × random command sequences, with the history contract checked
after every step (hypothesis ``RuleBasedStateMachine``).

Commands: ``migrate --to R``, plain ``migrate``, ``baseline --release R`` (on a database installed
at R by hand), ``new`` (+ a plain migrate of it) and ``release cut``, ``repair``, ``plan --to R``
followed by the migrate it plans, and the ``--dry-run`` of each. After every step:

- ``--dry-run`` and refusals changed nothing (snapshot of every table and the catalog, SQLite files);
- the database holds each effect at most once, and exactly the effects of its live history rows
  (no change applied twice, none applied without a row, none recorded that is not there);
- every migration of a reached release (all of its closure's effects present — the model's own
  reading of the files, not flywayx's planner) has exactly one live row;
- ``flywayx validate`` passes; ``flywayx info`` shows nothing Pending in the reached closure; Flyway's
  rules over the stored rows (flywayx's port, with the settings docs/moving-from-flyway.md gives)
  report no error and read the reached closure as applied;
- an accepted ``migrate --to R`` ends with the schema of a fresh install of R in a second database;
- ``plan --to R`` lists exactly what the following ``migrate --to R`` runs and records.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
from collections import Counter
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import event as hypothesis_event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from flywayx.model import Config, HistoryRow, Version
from flywayx.model.fingerprint import diff
from flywayx.model.patterns import parse_patterns
from flywayx.plan.info import compute_info
from flywayx.plan.validate import validate_info
from flywayx.sources.scan import scan
from tests.databases import ScratchDb, create, drop

from . import dbs
from .project import Effect, Model, Project, projects, read_project, vkey

FLYWAY_PATTERNS = ["*:ignored", "*:pending", "*:future"]  # docs/moving-from-flyway.md
STATS: Counter[str] = Counter()  # what the runs did, printed by the test (is the model exercising the contract?)


def event(what: str) -> None:
    STATS[what] += 1
    hypothesis_event(what)


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def error(self) -> str:
        """The refusal: the JSON error's message (--output-type json), else the ERROR line."""
        if self.out.lstrip().startswith("{"):
            return str(self.json()["error"]["message"])
        return self.err


def flywayx(*args: str) -> Run:
    from flywayx.cli.app import run

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = run(list(args), prog_name="flywayx")
    result = Run(code, out.getvalue(), err.getvalue())
    assert "unexpected error" not in result.err and "Traceback" not in result.err, (args, result.err)
    return result


class ReleaseMachine(RuleBasedStateMachine):
    dialect = "sqlite"

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="fxmodel-"))
        self.loc = self.tmp / "m"
        self.db = create(self.dialect, self.tmp, "fxm_")
        self.oracle: ScratchDb | None = None
        self.model: Model | None = None
        self.known: dict[str, Effect] = {}  # every version ever seen -> its effect (renamed files keep theirs)
        self.cuts = 0

    def teardown(self) -> None:
        for db in (self.db, self.oracle):
            if db is not None:
                drop(db)
        shutil.rmtree(self.tmp, ignore_errors=True)

    # helpers ------------------------------------------------------------------------------------------
    def fx(self, *args: str, url: str | None = None) -> Run:
        return flywayx("--url", url or self.db.url, "--locations", f"filesystem:{self.loc}", *args)

    @property
    def m(self) -> Model:
        assert self.model is not None
        return self.model

    def releases(self) -> list[str]:
        return sorted(self.m.releases, key=vkey)

    def unchanged(self, before: dict[str, Any], what: str) -> None:
        assert dbs.snapshot(self.db) == before, f"{what} changed the database"

    def refused_cleanly(self, r: Run, before: dict[str, Any], what: str) -> None:
        """A refused real run may have created an empty SQLite file (connecting does), nothing else."""
        assert r.code != 0 and r.error, (what, r.code, r.out, r.err)
        after = dbs.snapshot(self.db)
        assert {**after, "files": []} == {**before, "files": []}, f"{what} changed the database"

    # rules --------------------------------------------------------------------------------------------
    def reread(self) -> None:
        self.model = read_project(self.loc)
        self.known.update(self.model.migrations)

    @initialize(project=projects())
    def write(self, project: Project) -> None:
        project.write(self.loc)
        self.reread()

    def reachable(self) -> list[str]:
        """Releases whose closure holds every effect in the database (the model's guess at what
        ``migrate --to`` accepts; a conflict can still refuse)."""
        present = set(dbs.effects(self.db)) if dbs.has_history(self.db) else set()
        return [r for r in self.releases() if present <= {self.m.migrations[v] for v in self.m.closure_versions(r)}]

    @rule(data=st.data(), dry=st.booleans(), likely=st.integers(0, 3))
    def migrate_to(self, data: st.DataObject, dry: bool, likely: int) -> None:
        options = (self.reachable() if likely else []) or self.releases()
        target = data.draw(st.sampled_from(options))
        before = dbs.snapshot(self.db)
        if dry:
            shown = self.fx("migrate", "--to", target, "--dry-run", "--output-type", "json")
            self.unchanged(before, "migrate --to --dry-run")
        planned = self.fx("plan", "--to", target, "--output-type", "json")
        done = self.fx("migrate", "--to", target, "--output-type", "json")
        code = done.json()["error"].get("errorCode", "?") if done.code else ""
        event(f"migrate --to: {'refused ' + code if done.code else 'accepted'}")
        if done.code != 0:
            self.refused_cleanly(done, before, f"migrate --to {target}")
            assert planned.code == done.code and planned.error == done.error, (planned.error, done.error)
            if dry:
                assert shown.code == done.code and shown.error == done.error
            return
        assert planned.code == 0, planned.err
        executed = [m["version"] for m in done.json()["migrations"]]
        recorded = sorted(m["version"] for m in done.json()["recorded"])
        for m in done.json()["recorded"]:
            event(f"migrate --to recorded: {m['recordedAs']}")
        if any(s["out_of_order"] for s in planned.json()["steps"]):
            event("migrate --to: interleaved a late change")
        assert [s["version"] or s["description"] for s in planned.json()["steps"]] == [
            m["version"] or m["description"] for m in done.json()["migrations"]
        ]
        assert sorted(r["version"] for r in planned.json()["records"]) == recorded
        if dry:
            assert [m["version"] for m in shown.json()["migrations"]] == executed
            assert sorted(m["version"] for m in shown.json()["recorded"]) == recorded
        self.fresh_install_equals(target)

    @rule(data=st.data(), dry=st.booleans(), partly=st.booleans())
    def migrate_plain(self, data: st.DataObject, dry: bool, partly: bool = False) -> None:
        target = ["--target", data.draw(st.sampled_from(sorted(self.m.migrations, key=vkey)))] if partly else []
        before = dbs.snapshot(self.db)
        if dry:
            shown = self.fx("migrate", *target, "--dry-run", "--output-type", "json")
            self.unchanged(before, "migrate --dry-run")
        done = self.fx("migrate", *target, "--output-type", "json")
        event(f"plain migrate: {'failed' if done.code else 'ok'}")
        for m in done.json().get("recorded", []) if done.code == 0 else []:
            event(f"plain migrate recorded: {m['recordedAs']}")
        if dry and done.code == 0:
            assert shown.code == 0, shown.err
            assert [m["version"] for m in shown.json()["migrations"]] == [
                m["version"] for m in done.json()["migrations"]
            ]
        if done.code != 0 and done.json()["error"].get("errorCode") == "PLAN_IMPOSSIBLE":
            # a release the run reaches merges a fix Flyway's order skips, and the fix cannot be placed
            assert "plain migrate would reach release" in done.error, done.error
            self.refused_cleanly(done, before, "plain migrate")
            assert not dry or shown.error == done.error
            event("plain migrate: refused (merged fix cannot be placed)")
            return
        if done.code == 0 and not partly:
            self.no_release_half_merged([m["version"] for m in done.json()["migrations"]])
        if done.code != 0:  # Flyway's order across all lines can meet a genuine conflict (an undeclared rewrite)
            assert dry is False or shown.code == 0
            self.genuine_conflict(done)
            if any(not ok for *_, ok in dbs.history(self.db)):  # MySQL/MariaDB keep Flyway's success=0 row
                assert self.fx("repair").code == 0

    @precondition(lambda self: self.model is not None and not dbs.has_history(self.db))
    @rule(data=st.data())
    def baseline_release(self, data: st.DataObject) -> None:
        target = data.draw(st.sampled_from(self.releases()))
        if not dbs.effects(self.db):
            self.install_by_hand(target)
        before = dbs.snapshot(self.db)
        args = ["baseline", "--release", target]
        shown = self.fx(*args, "--dry-run")
        self.unchanged(before, "baseline --release --dry-run")
        adopting = not dbs.has_history(self.db)
        done = self.fx(*args)
        assert (shown.code == 0) == (done.code == 0), (shown.err, done.err)
        assert done.code == 0 or not adopting, done.err
        event(f"baseline --release: {'adopted' if adopting else 'refused' if done.code else 'skipped'}")
        if done.code != 0:
            self.refused_cleanly(done, before, "baseline --release")
            assert shown.err == done.err

    @rule(data=st.data(), apply=st.booleans())
    def new_pending(self, data: st.DataObject, apply: bool) -> None:
        line = data.draw(st.sampled_from(sorted({r.line for r in self.m.releases.values()})))
        made = self.fx("new", f"change {self.cuts} {len(self.m.migrations)}", "--line", line)
        assert made.code == 0, made.err
        path = Path(made.out.strip())
        n = 5000 + len(self.m.migrations) + 100 * self.cuts
        path.write_text(f"CREATE TABLE tab_{n} (id INT);\n", encoding="utf-8")
        self.reread()
        if apply:
            self.migrate_plain(data, False)

    @precondition(lambda self: self.model is not None and self.model.pending_lines() != [])
    @rule(data=st.data(), dry=st.booleans())
    def release_cut(self, data: st.DataObject, dry: bool) -> None:
        head = data.draw(st.sampled_from(self.m.pending_lines()))
        line = head.removesuffix(".next")
        last = max((r for r in self.m.releases.values() if r.line == line), key=lambda r: vkey(r.name))
        name = ".".join([*last.name.split(".")[:2], str(int(last.name.split(".")[2]) + 1)])
        files = {p.name: p.read_bytes() for p in self.loc.iterdir()}
        if dry:
            shown = self.fx("release", "cut", name, "--line", line, "--dry-run")
            assert shown.code == 0, shown.err
            assert {p.name: p.read_bytes() for p in self.loc.iterdir()} == files
        done = self.fx("release", "cut", name, "--line", line)
        assert done.code == 0, done.err
        self.cuts += 1
        self.reread()

    @rule()
    def start_over(self) -> None:
        """A new empty database for the same project (more paths from scratch)."""
        drop(self.db)
        self.db = create(self.dialect, self.tmp, "fxm_")

    @rule(dry=st.booleans())
    def repair(self, dry: bool) -> None:
        before = dbs.snapshot(self.db)
        r = self.fx("repair", *(["--dry-run"] if dry else []), "--output-type", "json")
        assert r.code == 0, r.err
        if dry:
            self.unchanged(before, "repair --dry-run")
        else:  # nothing fails or goes missing in this model: at most a renamed file's row to record
            assert set(r.json()["repairActions"]) <= {"Recorded migrations already in the database"}, r.out

    # invariants ---------------------------------------------------------------------------------------
    @invariant()
    def contract(self) -> None:
        if self.model is None or not dbs.has_history(self.db):
            return
        live = self.live_rows()
        effects = dbs.effects(self.db)
        assert all(n == 1 for n in effects.values()), f"an effect applied twice: {effects}"
        expected = Counter(self.known[v] for v in live if v in self.known)
        assert set(effects) == set(expected), ("the schema is not what the history says", set(effects) ^ set(expected))
        reached = [
            r
            for r in [*self.m.releases, *self.heads()]
            if all(self.m.migrations[v] in effects for v in self.m.closure_versions(r))
        ]
        closure = sorted({v for r in reached for v in self.m.closure_versions(r)}, key=vkey)
        gone = {self.known[v] for v in live if v not in self.m.migrations}  # renamed, not yet recorded
        renamed = [v for v in closure if v not in live and self.m.migrations[v] in gone]
        missing = [v for v in closure if live.get(v) != 1 and v not in renamed]
        assert not missing, f"reached {reached}: no single row for {missing}; live {live}"
        event(f"reached closure size {min(len(closure), 10)}")
        if renamed:
            event("rename pending")
        self.readers_agree([v for v in closure if v not in renamed], bool(gone))

    def no_release_half_merged(self, ran: list[str]) -> None:
        """After a whole plain migrate, a release whose own migrations it ran is reached: the fixes it
        merges that Flyway's order skips (below the current version) ran too (issue 17: the contract's
        invariant alone holds vacuously when the database is at no release at all)."""
        effects = dbs.effects(self.db)
        for r in sorted({self.m.owner(v) or "" for v in ran if v in self.m.migrations} - {""}, key=str):
            missing = [v for v in self.m.closure_versions(r) if self.m.migrations[v] not in effects]
            assert not missing, f"plain migrate ran release {r}'s migrations without {missing}"
            event("plain migrate: reached every release it ran")

    def heads(self) -> list[str]:
        return self.m.pending_lines()

    def live_rows(self) -> dict[str, int]:
        """version -> number of live successful rows (a DELETE row retires its version's rows)."""
        live: dict[str, int] = {}
        for _, version, _, kind, _, _, success in dbs.history(self.db):
            if version is None or not success:
                continue
            if kind == "DELETE":
                live.pop(version, None)
            else:
                live[version] = live.get(version, 0) + 1
        return live

    def readers_agree(self, closure: list[str], renames_pending: bool) -> None:
        """flywayx's validate and info, and Flyway's rules over the stored rows. While a rename is
        known but not yet recorded (after ``release cut``, before the next migrate) only flywayx's
        readers account for it: Flyway sees the old row as missing (docs/moving-from-flyway.md)."""
        valid = self.fx("validate")
        assert valid.code == 0, valid.err
        info = self.fx("info", "--output-type", "json").json()
        states = {m["version"]: m["state"] for m in info["migrations"] if m["version"]}
        assert not [v for v in closure if states.get(v) == "Pending"], states
        rows = [
            HistoryRow(rank, Version.parse(v) if v else None, desc, kind, script, checksum, "", 0, ok)
            for rank, v, desc, kind, script, checksum, ok in dbs.history(self.db)
        ]
        migrations = scan(Config(locations=(f"filesystem:{self.loc}",)), {}).migrations
        flyway = compute_info(migrations, rows)
        read = {m.version.text: m.state.value for m in flyway.migrations if m.version is not None}
        assert {read[v] for v in closure} <= {"Success", "Out of Order"}, read
        errors = [i.message for i in validate_info(flyway, parse_patterns(FLYWAY_PATTERNS))]
        assert errors == [] or renames_pending, errors

    # oracles ------------------------------------------------------------------------------------------
    def fresh_install_equals(self, target: str) -> None:
        if self.oracle is not None:
            drop(self.oracle)
        self.oracle = create(self.dialect, self.tmp, "fxm_")
        fresh = self.fx("migrate", "--to", target, url=self.oracle.url)
        assert fresh.code == 0, fresh.err
        drift = diff(self.oracle.fingerprint(), self.db.fingerprint(), ignore_column_order=True)
        assert drift == [], [str(d) for d in drift]
        assert dbs.effects(self.oracle) == dbs.effects(self.db)

    def genuine_conflict(self, r: Run) -> None:
        """A plain migrate failed. Flyway's order runs every line's migrations by version, so it can
        meet an undeclared rewrite of a change the database has (a conflicting fix: same column,
        another type) or a migration whose line's earlier releases it skipped as below the current
        version (a table not there). It must never fail by running a change that is already there."""
        message = r.error
        present = dbs.effects(self.db)
        failing = [v for v, f in self.m.files.items() if f"Migration {f} failed" in message]
        assert failing, message
        effect = self.m.migrations[failing[0]]
        assert effect not in present, f"{failing[0]} failed although its change is in the database: {message}"
        if "duplicate" in message.lower() or "already exists" in message.lower():
            assert effect[0] == "column" and any(e[:3] == effect[:3] for e in present), message
            event("plain migrate failed: conflicting fix")
        else:
            assert "no such table" in message or "doesn't exist" in message or "does not exist" in message, message
            event("plain migrate failed: skipped dependency")

    def install_by_hand(self, target: str) -> None:
        """The schema of release ``target`` built without flywayx (an existing database to adopt)."""
        done: set[tuple[str, ...]] = set()
        statements = []
        for version in self.canonical(target):
            effect = self.m.migrations[version]
            if effect not in done:
                done.add(effect)
                statements.append((self.loc / self.m.files[version]).read_text(encoding="utf-8").strip().rstrip(";"))
        dbs.execute_all(self.db, statements)

    def canonical(self, target: str) -> list[str]:
        """closure(target) in canonical order: releases topologically, ties by version (as the docs define)."""
        scope = self.m.closure(target)
        order: list[str] = []
        while len(order) < len(scope):
            ready = [
                r
                for r in scope - set(order)
                if all(p in order for p in (self.m.releases[r].parents if r in self.m.releases else []))
            ]
            order.append(min(ready, key=vkey))
        rank = {r: i for i, r in enumerate(order)}
        versions = self.m.closure_versions(target)
        return sorted(versions, key=lambda v: (rank[self.m.owner(v) or ""], vkey(v)))
