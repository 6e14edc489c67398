"""The analysis cache (sources/analysis_cache.py): a warm run answers exactly as a cold one, a changed
file or a changed earlier migration is analysed again, a damaged or foreign entry is recomputed, and
concurrent runners never see half an entry."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from flywayx.sources.analysis_cache import MAX_AGE_DAYS, AnalysisCache, read_pack

RELEASES = """[lines]
depth = 2

[release."1.0.0"]
[release."1.0.1"]
[release."1.1.0"]
from = "1.0.0"
"""


@pytest.fixture(autouse=True)
def _no_remembered_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests look at the analysis under ``plan``: no run answers from its memo
    (``service/answers.py``, tested in test_answers.py)."""
    from flywayx.service import answers

    monkeypatch.setattr(answers, "SETTLED_NS", 1 << 62)


def project(root: Path) -> Path:
    """Two lines; the second migration widens a column the first created (a context dependency)."""
    loc = root / "sql"
    loc.mkdir()
    (loc / "releases.toml").write_text(RELEASES)
    (loc / "V1.0.0.1__t.sql").write_text("CREATE TABLE t (id INT, c VARCHAR(10));\n")
    (loc / "V1.0.0.2__widen.sql").write_text("-- widen\nALTER TABLE t MODIFY c VARCHAR(20);\n")
    (loc / "V1.0.1.1__fix.sql").write_text("INSERT INTO t VALUES (1, '${who}');\nUPDATE t SET c = 'x';\n")
    (loc / "V1.1.0.1__d.sql").write_text("ALTER TABLE t ADD COLUMN d INT;\nCREATE INDEX ix ON t (d);\n")
    return loc


def entries(cache: Path) -> dict[Path, bytes]:
    """Every pack file and its bytes."""
    return {p: p.read_bytes() for p in sorted(cache.rglob("*.pack"))}


def entry_count(cache: Path) -> int:
    """Distinct keys of the intact entries in every pack (as a reader finds them)."""
    keys = {line[:64].decode("ascii", "replace") for p in cache.rglob("*.pack") for line in read_pack(str(p))[1]}
    reader = AnalysisCache(cache)
    return sum(reader.get(k) is not None for k in keys)


@pytest.fixture
def plan(cli_run: Callable[..., object], tmp_path: Path) -> Callable[..., str]:
    loc = project(tmp_path)

    def run(*extra: str, output: str = "json") -> str:
        result = cli_run(
            "--url",
            f"sqlite:///{tmp_path / 'x.db'}",
            "--locations",
            str(loc),
            "-p",
            "who=me",
            "plan",
            "--to",
            "1.1.0",
            *extra,
            "--output-type",
            output,
        )
        assert result.code == 0, result.err  # type: ignore[attr-defined]
        return str(result.out)  # type: ignore[attr-defined]

    return run


def test_a_warm_plan_is_the_cold_plan(plan: Callable[..., str], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    fresh = plan("--no-cache"), plan("--no-cache", output="text")
    assert not cache.exists()
    cold = plan("--cache-dir", str(cache)), plan("--cache-dir", str(cache), output="text")
    stored = entries(cache)
    assert entry_count(cache) == 4  # one entry per SQL migration
    warm = plan("--cache-dir", str(cache)), plan("--cache-dir", str(cache), output="text")
    assert fresh == cold == warm
    assert entries(cache) == stored  # the warm runs analysed nothing and wrote nothing


def test_cache_files_are_private(plan: Callable[..., str], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    plan("--cache-dir", str(cache))
    dirs = [cache, *(p for p in cache.rglob("*") if p.is_dir())]
    assert all(stat.S_IMODE(d.stat().st_mode) == 0o700 for d in dirs)
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in entries(cache))


def test_the_environment_variable_names_the_cache(
    plan: Callable[..., str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLYWAYX_CACHE_DIR", str(tmp_path / "env-cache"))
    plan()
    assert entry_count(tmp_path / "env-cache") == 4


def _phases(out: str) -> dict[str, str]:
    return {s["version"]: s["phase"] for s in json.loads(out)["steps"]}


def test_a_changed_file_and_what_follows_it_are_analysed_again(plan: Callable[..., str], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert _phases(plan("--cache-dir", str(cache)))["1.0.0.2"] == "expand"  # VARCHAR(10) -> (20) widens
    # The column is now created wider: the unchanged second file narrows it. Its entry was analysed
    # from another context, so it must not be reused.
    (tmp_path / "sql" / "V1.0.0.1__t.sql").write_text("CREATE TABLE t (id INT, c VARCHAR(50));\n")
    warm = plan("--cache-dir", str(cache))
    assert _phases(warm)["1.0.0.2"] == "contract"
    assert warm == plan("--no-cache")
    (tmp_path / "sql" / "V1.1.0.1__d.sql").write_text("DROP TABLE t;\n")
    assert _phases(plan("--cache-dir", str(cache)))["1.1.0.1"] == "contract"


def test_a_new_placeholder_value_is_another_entry(plan: Callable[..., str], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    plan("--cache-dir", str(cache), output="text")
    assert entry_count(cache) == 4
    plan("--cache-dir", str(cache), "-p", "who=you", output="text")
    assert entry_count(cache) == 5


def _damage(path: Path, how: str, other: Path) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "flipped":
        at = len(data) - 20
        path.write_bytes(data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "foreign":  # a complete, valid pack of other entries
        path.write_bytes(other.read_bytes())
    else:
        path.write_bytes(b"\x80\x04not json at all")


@pytest.mark.parametrize("how", ["truncated", "flipped", "empty", "foreign", "garbage"])
def test_a_damaged_entry_is_recomputed(plan: Callable[..., str], tmp_path: Path, how: str) -> None:
    cache = tmp_path / "cache"
    cold = plan("--cache-dir", str(cache), output="text")
    stored = entries(cache)
    victims = list(stored)
    for i, path in enumerate(victims):
        _damage(path, how, victims[(i + 1) % len(victims)])
    for memo in cache.rglob("memo-*"):  # it would answer without the entries (``test_the_memo_...``)
        memo.unlink()
    assert entry_count(cache) < 4  # the damage is real
    assert plan("--cache-dir", str(cache), output="text") == cold
    assert entry_count(cache) == 4  # recomputed and written again
    after = entries(cache)
    assert plan("--cache-dir", str(cache), output="text") == cold
    assert entries(cache) == after  # and now used: nothing more to write


@pytest.mark.parametrize("how", ["truncated", "flipped", "empty", "garbage"])
def test_the_memo_answers_and_a_damaged_one_is_ignored(plan: Callable[..., str], tmp_path: Path, how: str) -> None:
    cache = tmp_path / "cache"
    fresh = plan("--no-cache", "--sql"), plan("--no-cache")
    assert (plan("--cache-dir", str(cache), "--sql"), plan("--cache-dir", str(cache))) == fresh
    (memo,) = cache.rglob("memo-*")
    for path in entries(cache):  # the memo gives ids and footprints; statements come from the entries
        _damage(path, "garbage", path)
    assert (plan("--cache-dir", str(cache), "--sql"), plan("--cache-dir", str(cache))) == fresh  # split again
    _damage(memo, how, memo)
    assert (plan("--cache-dir", str(cache), "--sql"), plan("--cache-dir", str(cache))) == fresh
    assert entry_count(cache) == 4  # no memo: every entry read, recomputed and written again


def test_an_entry_is_checked_against_its_key(tmp_path: Path) -> None:
    cache = AnalysisCache(tmp_path)
    a, b = cache.entry_key("SELECT 1", "mysql"), cache.entry_key("SELECT 2", "mysql")
    cache.put(a, {"content_id": "A"})
    cache.flush()
    assert AnalysisCache(tmp_path).get(a) == {"content_id": "A"}
    # a's intact line filed under b (its own body still says a): a pack in b's shard
    (line,) = read_pack(str(next(tmp_path.rglob("*.pack"))))[1]
    pack = tmp_path / "analysis-v2" / f"{b[0]}-forged.pack"
    pack.write_bytes(b"flywayx-analysis-pack 2\n" + b.encode() + line[64:] + b"\n")
    assert AnalysisCache(tmp_path).get(b) is None
    assert cache.entry_key("SELECT 1", "postgresql") != a != cache.entry_key("SELECT 1", "mysql", "8.0.36")


def test_an_unwritable_cache_only_costs_speed(plan: Callable[..., str], tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    assert plan("--cache-dir", str(blocker)) == plan("--no-cache")


def _writer(root: str, n: int, seed: int) -> int:
    """Write ``n`` packs into the shared cache, checking after each that every pack there is whole."""
    bad = 0
    for i in range(n):
        cache = AnalysisCache(root)
        key = cache.entry_key(f"SELECT {i % 3}", "mysql")  # the same few keys for every writer
        cache.get(key)
        cache.put(key, {"writer": seed, "i": i, "pad": "x" * (1000 + (seed * 7919 + i) % 50000)})
        cache.flush()
        for pack in Path(root).rglob("*.pack"):
            try:
                data = pack.read_bytes()
            except FileNotFoundError:
                continue  # merged away by another writer meanwhile
            lines = data.split(b"\n")
            bad += not (
                lines[0] == b"flywayx-analysis-pack 2"
                and lines[-1] == b""
                and all(hashlib.sha256(ln[130:]).hexdigest().encode() == ln[65:129] for ln in lines[1:-1])
            )
    return bad


def test_concurrent_writers_never_leave_half_a_pack(tmp_path: Path) -> None:
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        bad = pool.starmap(_writer, [(str(tmp_path), 40, seed) for seed in range(4)])
    assert bad == [0, 0, 0, 0]
    cache = AnalysisCache(tmp_path)
    for i in range(3):
        got = cache.get(cache.entry_key(f"SELECT {i}", "mysql"))
        assert got is not None and got["writer"] in range(4)
    assert not list(tmp_path.rglob(".tmp-*"))
    assert len(list(tmp_path.rglob("*.pack"))) <= 3 * 9  # merged as they grow: at most 9 packs in each of 3 shards


def test_concurrent_runs_answer_alike(tmp_path: Path) -> None:
    loc = project(tmp_path)
    cmd = [
        sys.executable,
        "-m",
        "flywayx",
        "--url",
        f"sqlite:///{tmp_path / 'x.db'}",
        "--locations",
        str(loc),
        "-p",
        "who=me",
        "--cache-dir",
        str(tmp_path / "cache"),
        "plan",
        "--to",
        "1.1.0",
        "--output-type",
        "json",
    ]
    runs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    outs = [r.communicate(timeout=120) for r in runs]
    assert all(r.returncode == 0 for r in runs), [e for _, e in outs]
    assert len({o for o, _ in outs}) == 1
    assert entry_count(tmp_path / "cache") == 4


def test_pruning_removes_unused_and_excess_entries(tmp_path: Path) -> None:
    cache = AnalysisCache(tmp_path)
    keys = [k for k in (cache.entry_key(f"SELECT {i}", "mysql") for i in range(200)) if k[0] == "a"][:6]
    now = time.time()
    for age, k in zip([MAX_AGE_DAYS + 1, 0.001, 0.002, 0.003, 0.004, 0.005], keys, strict=True):
        cache.put(k, {"k": k})
        cache.flush()  # one pack each
        pack = max(tmp_path.rglob("a-*.pack"), key=lambda p: p.stat().st_mtime_ns)
        os.utime(pack, (now - age * 86400, now - age * 86400))
    assert cache.prune(now, max_entries=3) == 3  # the stale one, then the two least recently used
    fresh = AnalysisCache(tmp_path)
    assert [k for k in keys if fresh.get(k) is not None] == keys[1:4]
    assert len(list(tmp_path.rglob("a-*.pack"))) == 1
    mark = tmp_path / "analysis-v2" / "last-prune"
    cache.prune_if_due(now)  # a new cache: the day is marked, nothing to prune yet
    assert mark.stat().st_mtime == pytest.approx(now)
    assert cache.prune_if_due(now + 60) == 0  # not twice a day
    cache.prune_if_due(now + 86401)  # the next day's first run prunes
    assert mark.stat().st_mtime == pytest.approx(now + 86401)


def test_explain_warm_is_explain_cold(
    cli_run: Callable[..., object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flywayx.service import explain as explainer
    from flywayx.service import forks

    loc = project(tmp_path)
    files = [str(p) for p in sorted(loc.glob("*.sql"))]
    analysed: list[int] = []  # how many files each run had to analyse (spread over the cores or not)
    real = forks.spread_groups

    def counting(fn: Callable[..., list[object]], items: list[int], *args: object) -> list[object]:
        analysed.append(len(items))
        return real(fn, items, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(explainer, "spread_groups", counting)

    def explain(*extra: str) -> str:
        result = cli_run("explain", "--dialect", "mysql", "-p", "who=me", *extra, *files, "--output-type", "json")
        return str(result.out)  # type: ignore[attr-defined]

    cache = str(tmp_path / "cache")
    fresh = explain("--no-cache")
    assert explain("--cache-dir", cache) == fresh
    stored = entries(tmp_path / "cache")
    assert entry_count(tmp_path / "cache") == 4
    assert explain("--cache-dir", cache) == fresh
    assert entries(tmp_path / "cache") == stored
    assert analysed == [4, 4, 0]  # no cache, cold, warm: a warm run analyses (and forks) nothing


def test_reused_footprints_equal_fresh_ones_in_any_order(acs_corpus: Path, tmp_path: Path) -> None:
    """The cache replays the order-dependent analysis exactly: over subsets and orders of CloudStack's
    upgrade scripts sharing one cache, every footprint equals the one computed without a cache."""
    import random

    from flywayx.service.analysis import Slot, footprints_now
    from flywayx.statements.content_id import content_id
    from flywayx.statements.splitter import split

    files = sorted(acs_corpus.rglob("schema-*.sql"))[:40]
    texts = {p.name: p.read_text(encoding="utf-8", errors="replace") for p in files}
    jobs = [(name, split(text, "mariadb")) for name, text in texts.items()]
    cache = AnalysisCache(tmp_path)
    rng = random.Random(19)
    orders = [jobs, jobs, list(reversed(jobs)), rng.sample(jobs, 25), jobs[10:], rng.sample(jobs, len(jobs))]
    for order in orders:
        slots = {}
        for name, stmts in order:
            key = cache.entry_key(texts[name], "mariadb", "10.11.6-MariaDB")
            slots[name] = Slot(key, content_id(stmts, "mariadb"), cache.get(key))
        assert footprints_now(order, "mariadb", "10.11.6-MariaDB", cache, slots) == footprints_now(
            order, "mariadb", "10.11.6-MariaDB"
        )
    assert any(s.entry is not None for s in slots.values())  # the last order did reuse entries


def test_a_cache_others_can_write_to_is_not_used(plan: Callable[..., str], tmp_path: Path) -> None:
    """An entry's statements are what migrate sends: a forged entry (hashes made consistent) is taken
    from a private cache, so a cache directory another user could write to is never read."""
    cache = tmp_path / "cache"
    plan("--cache-dir", str(cache))
    for pack in list(cache.rglob("*.pack")):
        lines = pack.read_bytes().split(b"\n")
        forged = []
        for ln in lines[1:-1]:
            body = re.sub(rb"(TABLE|INTO|UPDATE) t\b", rb"\1 evil", ln[130:])
            forged.append(ln[:65] + hashlib.sha256(body).hexdigest().encode() + b" " + body)
        fake = pack.parent / f"{pack.name[0]}-forged.pack"
        fake.write_bytes(b"\n".join([lines[0], *forged]) + b"\n")
        os.utime(fake, (time.time() + 5, time.time() + 5))  # the newest pack of its shard
    honest = plan("--no-cache", "--sql", output="text")
    assert "evil" in plan("--cache-dir", str(cache), "--sql", output="text")  # a private cache is trusted
    os.chmod(cache / "analysis-v2", 0o777)
    try:
        assert plan("--cache-dir", str(cache), "--sql", output="text") == honest
    finally:
        os.chmod(cache / "analysis-v2", 0o700)


def test_the_default_place_follows_xdg() -> None:
    from flywayx.sources.analysis_cache import default_cache_dir

    assert default_cache_dir({"XDG_CACHE_HOME": "/var/cache/me"}) == Path("/var/cache/me/flywayx")
    assert default_cache_dir({"XDG_CACHE_HOME": "relative"}) == Path.home() / ".cache" / "flywayx"  # as the spec says
    assert default_cache_dir({}) == Path.home() / ".cache" / "flywayx"


# --- the file index (sources/file_index.py): an unchanged file is not read again -------------------


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Files count as settled at once (not 3 s after they were written); returns the migration files read."""
    from flywayx.service import kernel
    from flywayx.sources import checksum, file_index, scan

    monkeypatch.setattr(file_index, "SETTLED_NS", 0)
    reads: list[str] = []
    real = checksum.read_migration_text

    def counting(path: str, *args: object, **kwargs: object) -> str:
        reads.append(os.path.basename(path))
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(scan, "read_migration_text", counting)
    monkeypatch.setattr(kernel, "read_migration_text", counting)
    return reads


def test_an_unchanged_file_is_not_read_again(plan: Callable[..., str], tmp_path: Path, settled: list[str]) -> None:
    cache = tmp_path / "cache"
    fresh = plan("--no-cache")
    assert len(settled) == 4 and not cache.exists()
    settled.clear()
    assert plan("--cache-dir", str(cache)) == fresh
    assert len(settled) == 4 and len(list((cache / "files-v1").glob("*.idx"))) == 1
    settled.clear()
    assert plan("--cache-dir", str(cache)) == fresh
    assert settled == [
        "V1.0.1.1__fix.sql"
    ]  # only the one with ${who}: every other checksum and key came from the index
    # same size, mtime put back: the ctime still tells
    path = tmp_path / "sql" / "V1.0.0.1__t.sql"
    before = path.stat()
    path.write_text("CREATE TABLE t (id INT, c VARCHAR(50));\n"[: before.st_size].ljust(before.st_size - 1) + "\n")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    settled.clear()
    changed = plan("--cache-dir", str(cache))
    assert settled == ["V1.0.0.1__t.sql", "V1.0.1.1__fix.sql"]
    assert changed == plan("--no-cache") != fresh


def test_a_file_with_placeholders_is_read_for_its_key(
    plan: Callable[..., str], tmp_path: Path, settled: list[str]
) -> None:
    cache = tmp_path / "cache"
    plan("--cache-dir", str(cache))
    plan("--cache-dir", str(cache))
    settled.clear()
    plan("--cache-dir", str(cache), "-p", "who=you")
    assert settled == ["V1.0.1.1__fix.sql"]  # ${who}: its text as split depends on the value
    plan("--cache-dir", str(cache), "-placeholderReplacement=false")  # its text unreplaced: a new entry
    settled.clear()
    plan("--cache-dir", str(cache), "-placeholderReplacement=false")
    assert settled == []  # without replacement the text as split is the file's: its key comes from the index
    assert entry_count(cache) == 6  # who=me, who=you, unreplaced


@pytest.mark.parametrize("how", ["garbage", "truncated", "flipped", "empty"])
def test_a_damaged_index_is_ignored(plan: Callable[..., str], tmp_path: Path, settled: list[str], how: str) -> None:
    cache = tmp_path / "cache"
    fresh = plan("--no-cache")
    plan("--cache-dir", str(cache))
    (index,) = (cache / "files-v1").glob("*.idx")
    data = index.read_bytes()
    index.write_bytes(
        {"garbage": b"\x00\xff" * 40, "truncated": data[: len(data) // 2], "empty": b""}.get(how)
        or data[:-5] + bytes([data[-5] ^ 0x10]) + data[-4:]
    )
    settled.clear()
    assert plan("--cache-dir", str(cache)) == fresh
    assert len(settled) == 4  # read again, every one
    settled.clear()
    assert plan("--cache-dir", str(cache)) == fresh and settled == ["V1.0.1.1__fix.sql"]  # the index rewritten


def test_no_cache_reads_every_file(plan: Callable[..., str], tmp_path: Path, settled: list[str]) -> None:
    cache = tmp_path / "cache"
    plan("--cache-dir", str(cache))
    settled.clear()
    plan("--cache-dir", str(cache), "--no-cache")
    assert len(settled) == 4


def test_a_recent_file_is_not_recorded(tmp_path: Path) -> None:
    from flywayx.sources.file_index import open_index

    path = tmp_path / "V1__a.sql"
    path.write_text("SELECT 1;\n")
    index = open_index(tmp_path / "cache", [str(tmp_path)], "${")
    index.record(str(path), path.stat(), "UTF-8", False, 1, b"\x00" * 32, False)  # written just now: racy
    index.save([str(path)])
    assert open_index(tmp_path / "cache", [str(tmp_path)], "${").lookup(str(path), path.stat(), "UTF-8", False) is None


def test_the_memo_keeps_ids_footprints_and_whether_a_migration_mixes() -> None:
    import marshal

    from flywayx.model import Statement
    from flywayx.model.footprint import Footprint, Phase
    from flywayx.service.analysis import Slot, dump_memo, load_memo

    both = [Statement(1, "CREATE TABLE u (id INT)", ";", True, False), Statement(2, "VACUUM", ";", False, False)]
    jobs = [("V1__a.sql", both), ("V2__b.sql", both[:1])]
    slots = {"V1__a.sql": Slot("k1", "c1"), "V2__b.sql": Slot("k2", "c2")}
    prints = {
        "V1__a.sql": Footprint(Phase.EXPAND, frozenset({"t.u"}), frozenset({"t.u"}), True, "INSTANT", ("n",)),
        "V2__b.sql": Footprint(),
    }
    value = marshal.loads(marshal.dumps(dump_memo(jobs, slots, prints)))  # as stored
    assert load_memo(value, ["V1__a.sql", "V2__b.sql"]) == (
        ["V1__a.sql", "V2__b.sql"],
        ["c1", "c2"],
        [prints["V1__a.sql"], prints["V2__b.sql"]],
        [True, False],  # V1 mixes: a run from the memo checks Flyway's mixed rule on its statements
    )
    assert load_memo(value, ["V2__b.sql", "V1__a.sql"]) is None  # another project's order
    assert load_memo((value[0], value[1], [("nonsense",)] * 2, value[3]), ["V1__a.sql", "V2__b.sql"]) is None
    assert load_memo("garbage", ["V1__a.sql"]) is None


def test_pruning_bounds_memos_and_file_indexes(tmp_path: Path) -> None:
    from flywayx.sources.analysis_cache import MAX_MEMOS
    from flywayx.sources.file_index import open_index

    cache = AnalysisCache(tmp_path)
    now = time.time()
    for i in range(MAX_MEMOS + 3):
        cache.write_memo(f"{i:064x}", ([f"V{i}"], [], [], []))
        os.utime(cache.root / f"memo-{i:064x}", (now - i * 60, now - i * 60))  # memo i last used i minutes ago
    stale = open_index(tmp_path, ["/nowhere"], "${").path
    stale.parent.mkdir(mode=0o700)
    stale.write_bytes(b"")
    os.utime(stale, (now - (MAX_AGE_DAYS + 1) * 86400,) * 2)
    cache.prune(now)
    kept = sorted(p.name for p in cache.root.glob("memo-*"))
    assert kept == [f"memo-{i:064x}" for i in range(MAX_MEMOS)]  # the most recently used
    assert not stale.exists()


def test_an_entry_without_per_statement_footprints_serves_plan_not_explain(tmp_path: Path) -> None:
    """A planning run leaves the per-statement footprints out of its entries (only explain shows them):
    the entry still gives the combined footprint; explain analyses such a file again."""
    from flywayx.service.analysis import Slot, analyse_tracked, reuse, store
    from flywayx.service.explain import _from_cache
    from flywayx.statements.analyze import make_context
    from flywayx.statements.splitter import split

    sql = "CREATE TABLE t (id INT);\nALTER TABLE t ADD COLUMN c INT;\n"
    cache = AnalysisCache(tmp_path)
    stmts = split(sql, "mysql")
    done = analyse_tracked(stmts, "mysql", make_context("mysql"))
    store(cache, Slot(cache.entry_key(sql, "mysql"), "cid"), stmts, done, parts=False)
    entry = cache.get(cache.entry_key(sql, "mysql"))
    assert reuse(entry, make_context("mysql")) == (None, done.combined)
    assert _from_cache(sql, "mysql", cache) is None
    store(cache, Slot(cache.entry_key(sql, "mysql"), "cid"), stmts, done)
    found = _from_cache(sql, "mysql", cache)
    assert found is not None and [s["sql"] for s in found["statements"]] == [s.sql for s in stmts]


@pytest.mark.parametrize(
    "bad",
    [
        "short digest",
        "checksum a str",
        "detection an int",
        "prefix flag an int",
        "signature a list",
        "five fields",
        "not a tuple",
    ],
)
def test_an_entry_of_another_shape_reads_as_absent(tmp_path: Path, bad: str) -> None:
    """The index's entries are trusted only in the shape ``IndexEntry`` says (a signature that matches
    and then a value of another type, as a foreign or buggy writer could leave, is a miss)."""
    import marshal

    from flywayx.sources import file_index

    path = tmp_path / "V1__a.sql"
    path.write_text("SELECT 1;\n")
    st = path.stat()
    sig = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
    good = (sig, "UTF-8", False, 7, b"\x01" * 32, False)
    entry: object = {
        "short digest": (sig, "UTF-8", False, 7, b"\x01" * 31, False),
        "checksum a str": (sig, "UTF-8", False, "7", b"\x01" * 32, False),
        "detection an int": (sig, "UTF-8", 0, 7, b"\x01" * 32, False),
        "prefix flag an int": (sig, "UTF-8", False, 7, b"\x01" * 32, 0),
        "signature a list": (list(sig), "UTF-8", False, 7, b"\x01" * 32, False),
        "five fields": good[:5],
        "not a tuple": list(good),
    }[bad]
    index = file_index.open_index(tmp_path / "cache", [str(tmp_path)], "${")
    index.path.parent.mkdir(parents=True, mode=0o700)
    os.chmod(index.path.parent.parent, 0o700)

    def write(entries: dict[str, object]) -> file_index.FileIndex:
        payload = marshal.dumps(entries)
        index.path.write_bytes(
            b"flywayx-file-index 1\n" + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload
        )
        return file_index.open_index(tmp_path / "cache", [str(tmp_path)], "${")

    assert write({str(path): good}).lookup(str(path), st, "UTF-8", False) == (7, b"\x01" * 32, False)
    assert write({str(path): entry}).lookup(str(path), st, "UTF-8", False) is None


def test_validate_with_the_index_catches_what_it_caught_without(
    cli_run: Callable[..., object], tmp_path: Path, settled: list[str]
) -> None:
    """A no-op validate takes unchanged files' checksums from the index; an edited file (size kept, mtime
    put back: the ctime tells), a missing file and a new file are reported exactly as ``--no-cache``
    reports them."""
    loc = tmp_path / "sql"
    loc.mkdir()
    for i in range(1, 6):
        (loc / f"V{i}__m{i}.sql").write_text(f"CREATE TABLE t{i} (id INT);\n")
    cache = tmp_path / "cache"

    def run(command: str, *extra: str) -> tuple[int, str]:
        args = ["--url", f"sqlite:///{tmp_path / 'x.db'}", "--locations", str(loc), command, *extra]
        result = cli_run(*args, "--output-type", "json")
        return result.code, result.out  # type: ignore[attr-defined]

    assert run("migrate", "--cache-dir", str(cache))[0] == 0
    assert run("validate", "--cache-dir", str(cache)) == run("validate", "--no-cache")
    settled.clear()
    assert json.loads(run("validate", "--cache-dir", str(cache))[1])["validationSuccessful"]
    assert settled == []  # every checksum from the index
    edited = loc / "V2__m2.sql"
    before = edited.stat()
    edited.write_text("CREATE TABLE t9 (id INT);\n")  # same size
    os.utime(edited, ns=(before.st_atime_ns, before.st_mtime_ns))
    (loc / "V4__m4.sql").unlink()
    (loc / "V6__m6.sql").write_text("CREATE TABLE t6 (id INT);\n")
    warm = run("validate", "--cache-dir", str(cache))
    assert warm == run("validate", "--no-cache")
    codes = sorted(e["errorDetails"]["errorCode"] for e in json.loads(warm[1])["invalidMigrations"])
    assert codes == [
        "APPLIED_VERSIONED_MIGRATION_NOT_RESOLVED",
        "CHECKSUM_MISMATCH",
        "RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED",
    ]
