"""The hold-out check as a command: a migration folder applied by ``flywayx migrate`` into one scratch
database and by the real client (``mariadb``/``psql``), file by file in Flyway's order, into another;
both described by the dump tools (oracle.py) and compared.

    python -m tests.differential.holdout LOCATION [LOCATION ...] --dialect mariadb|postgresql [--url URL]
        [-p NAME=VALUE ...] [--flyway -key=value ...] [--prefix V] [--separator __] [--suffix .sql ...]
        [--placeholder-prefix '${' --placeholder-suffix '}' | --no-replacement] [--keep]

Exit 0: both ran every file and the databases describe the same (or both stopped at the same file).
Exit 1: a difference: the databases differ, flywayx failed where the client went through, the client
failed where flywayx went through, or they stopped at different files. Exit 2: the check itself could
not run (no such folder, no server).

The order and the placeholder replacement are written here from flyway-semantics.md (§1, §2, §6, §7),
not taken from flywayx: versioned migrations by numeric version (the latest ``B`` baseline first when
there is one), repeatables by description, ``beforeMigrate``/``beforeEachMigrate``/``afterEachMigrate``/
``afterMigrate`` callbacks around them; ``${name}`` replaced in the text the client is given, built-ins
``flyway:defaultSchema``, ``flyway:database``, ``flyway:user``, ``flyway:table``, ``flyway:filename``,
``flyway:environment``. On PostgreSQL each file runs as one transaction (``psql --single-transaction``)
unless it holds a statement Flyway runs outside one (§9.2). The MariaDB client runs with ``--comments``
(Flyway's driver sends comments; the client's default strips them, also inside routine bodies);
``--strip-comments`` gives the client's default. A ``--comment`` line with no space after the dashes between
two statements (the server reads two minus signs) is dropped from the client's copy, as the client's default
drops it and flywayx does; ``--comments`` would send it and fail.
"""

from __future__ import annotations

import argparse
import difflib
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.databases import ScratchDb

from tests.differential import client_text, flyway_history

# statements Flyway runs outside a transaction on PostgreSQL (flyway-semantics.md §9.2)
NON_TRANSACTIONAL = re.compile(
    r"\b(?:(?:CREATE|DROP)\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY|(?:CREATE|DROP)\s+(?:DATABASE|TABLESPACE|SUBSCRIPTION)"
    r"|ALTER\s+SYSTEM|REINDEX\s+(?:VERBOSE\s+)?(?:SCHEMA|DATABASE|SYSTEM)|VACUUM|DISCARD\s+ALL)\b",
    re.IGNORECASE,
)
EVENTS = ("beforeMigrate", "beforeEachMigrate", "afterEachMigrate", "afterMigrate")
SHOWN = 30  # lines of the first differences printed


@dataclass(frozen=True)
class Naming:
    """Flyway's file-name settings (§1): prefixes, separator, suffixes."""

    prefix: str = "V"
    repeatable: str = "R"
    baseline: str = "B"
    separator: str = "__"
    suffixes: tuple[str, ...] = (".sql",)


def version_key(text: str) -> tuple[int, ...] | None:
    """Flyway's MigrationVersion (§2.1) as a comparable tuple: ``_`` is ``.``, a dot splits only before a
    digit, each part a whole number, trailing zeros dropped; None when Flyway rejects the text."""
    parts = re.split(r"\.(?=\d)", text.replace("_", "."))
    try:
        nums = [int(p) for p in parts]
    except ValueError:
        return None
    while len(nums) > 1 and nums[-1] == 0:
        nums.pop()
    return tuple(nums)


def parse_name(name: str, naming: Naming) -> tuple[str, str, str] | None:
    """(prefix, version text, description) of a file name, or None when Flyway skips it (§1.2, §1.4)."""
    suffix = next((s for s in naming.suffixes if name.lower().endswith(s.lower())), None)
    if suffix is None or len(name) <= len(suffix):
        return None
    stem = name[: -len(suffix)]
    prefixes = sorted([naming.prefix, naming.repeatable, *EVENTS, naming.baseline], key=len, reverse=True)
    prefix = next((p for p in prefixes if stem.startswith(p)), None)
    if prefix is None:
        return None
    left, _, desc = stem[len(prefix) :].partition(naming.separator)
    return prefix, left, desc.replace("_", " ")


def flyway_filename(name: str, naming: Naming) -> str:
    """The ``flyway:filename`` placeholder's value (§1.3): the name rebuilt from its parts, so an empty
    description drops its separator (``V1__.sql`` is ``V1.sql``)."""
    suffix = next((s for s in naming.suffixes if name.lower().endswith(s.lower())), "")
    parsed = parse_name(name, naming)
    if parsed is None or parsed[2] or not suffix:
        return name
    stem = name[: -len(suffix)]
    return stem.removesuffix(naming.separator) + name[-len(suffix) :] if stem.endswith(naming.separator) else name


def script_text(path: Path, values: dict[str, str], opts: argparse.Namespace) -> str:
    """A file's text as Flyway runs it: placeholders replaced (unless ``--no-replacement``), with the
    file's own ``flyway:filename``."""
    text = path.read_text(encoding="utf-8")
    if opts.no_replacement:
        return text
    values = {**values, "flyway:filename": flyway_filename(path.name, naming_of(opts))}
    return client_text.replace_placeholders(text, values, opts.placeholder_prefix, opts.placeholder_suffix)


def naming_of(opts: argparse.Namespace) -> Naming:
    return Naming(prefix=opts.prefix, separator=opts.separator, suffixes=tuple(opts.suffix or [".sql"]))


def _files(location: Path) -> Iterator[Path]:
    for path in sorted(location.rglob("*")):
        hidden = any(part.startswith(".") for part in path.relative_to(location).parts[:-1])
        if path.is_file() and not hidden:
            yield path


def flyway_order(locations: Sequence[Path], naming: Naming = Naming(), target: str = "") -> list[Path]:
    """The files Flyway runs on a fresh database, in the order it runs them (callbacks included); the
    locations' migrations are merged into one order; versions above ``target`` are left out."""
    limit = version_key(target.rstrip("?")) if target else None  # "5?": Flyway accepts a missing target
    versioned: list[tuple[tuple[int, ...], Path]] = []
    baselines: list[tuple[tuple[int, ...], Path]] = []
    repeatable: list[tuple[str, Path]] = []
    events: dict[str, list[tuple[str, Path]]] = {e: [] for e in EVENTS}
    for path in (p for loc in locations for p in _files(loc)):
        parsed = parse_name(path.name, naming)
        if parsed is None:
            continue
        prefix, left, desc = parsed
        if prefix in (naming.prefix, naming.baseline):
            key = version_key(left) if left else None
            if key is not None and (limit is None or key <= limit):
                (versioned if prefix == naming.prefix else baselines).append((key, path))
        elif not left:
            (repeatable if prefix == naming.repeatable else events[prefix]).append((desc, path))
    versioned.sort(key=lambda kv: kv[0])
    if baselines:
        newest = max(baselines, key=lambda kv: kv[0])
        versioned = [newest, *(kv for kv in versioned if kv[0] > newest[0])]
    each = [sorted(events[e], key=lambda kv: (kv[0] != "", kv[0])) for e in EVENTS]
    steps: list[Path] = [p for _, p in each[0]]
    for _, path in [*versioned, *sorted(repeatable, key=lambda kv: kv[0])]:
        steps += [*(p for _, p in each[1]), path, *(p for _, p in each[2])]
    return steps + [p for _, p in each[3]]


@dataclass
class Outcome:
    ok: bool
    seconds: float
    failed_file: str = ""  # the file the run stopped at
    error: str = ""
    dump: str = ""


def _shown(path: Path, locations: Sequence[Path]) -> str:
    """A file as the verdict names it: its path under the location that holds it."""
    root = next((loc for loc in locations if path.is_relative_to(loc)), path.parent)
    return str(path.relative_to(root))


def history_ddl(dialect: str, table: str, schema: str) -> str:
    """Flyway's history table (§4.1), empty: what a project's own file may read or alter on the client's side."""
    cols = (
        "installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL, "
        "type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum INT, installed_by VARCHAR(100) NOT NULL, "
        "installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, execution_time INT NOT NULL, success BOOL NOT NULL"
    )
    name = f"`{schema}`.`{table}`" if dialect == "mariadb" else f'"{schema}"."{table}"'
    return f"CREATE TABLE {name} ({cols})"


def run_client(
    db: ScratchDb, steps: list[Path], locations: Sequence[Path], values: dict[str, str], opts: argparse.Namespace
) -> Outcome:
    """Each file through the client, placeholders replaced first; stops at the first failure. On PostgreSQL a
    file without a statement Flyway runs outside a transaction runs as one transaction, as Flyway runs it. With
    ``--schema`` (PostgreSQL) the schema is made first and is the session's search path, as Flyway does."""
    from tests.differential import oracle

    started = time.monotonic()
    if opts.schema:
        db.query(f'CREATE SCHEMA IF NOT EXISTS "{opts.schema}"')
    db.query(history_ddl(db.dialect, opts.table, opts.schema or db.schema))  # some projects' files touch it
    with tempfile.TemporaryDirectory(prefix="holdout-") as tmp:
        for path in steps:
            try:
                text = script_text(path, values, opts)
            except client_text.PlaceholderMissing as err:
                return Outcome(False, time.monotonic() - started, _shown(path, locations), str(err))
            if db.dialect == "mariadb":  # where the client reads a file otherwise than Flyway (client_text.py)
                text = client_text.for_mariadb_client(text)
            replaced = Path(tmp) / path.name
            replaced.write_text(text, encoding="utf-8")
            whole = db.dialect == "postgresql" and not NON_TRANSACTIONAL.search(text)  # Flyway's one transaction
            done = oracle.client(
                db, replaced, comments=not opts.strip_comments, search_path=opts.schema, single_transaction=whole
            )
            if done.returncode != 0:
                return Outcome(False, time.monotonic() - started, _shown(path, locations), done.stderr)
    return Outcome(True, time.monotonic() - started)


def _flywayx(
    url: str, locations: Sequence[Path], args: Sequence[str], command: str
) -> subprocess.CompletedProcess[str]:
    from tests.e2e import harness

    with tempfile.TemporaryDirectory(prefix="holdout-cache-") as cache:
        where = ",".join(f"filesystem:{loc}" for loc in locations)
        cmd = [*harness.FLYWAYX, "--url", url, "--locations", where, "--cache-dir", cache, *args, command]
        return subprocess.run(cmd, capture_output=True, text=True, env=harness.env(), timeout=3600, check=False)


def run_flywayx(url: str, locations: Sequence[Path], args: Sequence[str], steps: list[Path]) -> Outcome:
    """``flywayx migrate`` as a user runs it (its own process, a fresh analysis cache); after a success,
    ``flywayx validate`` must pass too (the run's history is consistent with the files)."""
    started = time.monotonic()
    done = _flywayx(url, locations, args, "migrate")
    seconds = time.monotonic() - started
    if done.returncode == 0:
        check = _flywayx(url, locations, args, "validate")
        if check.returncode != 0:
            return Outcome(False, seconds, "validate after migrate", check.stderr or check.stdout)
        return Outcome(True, seconds)
    named = [p for p in steps if p.name in done.stderr]
    failed = _shown(named[0], locations) if named else "?"
    return Outcome(False, seconds, failed, done.stderr or done.stdout)


def mask_clock(dump: str, now: float) -> str:
    """``dump`` with the values a clock gave while it ran (epoch seconds or milliseconds, date-times within a
    day of ``now``) masked: flywayx and the client run the same ``NOW()`` at different moments."""

    def epoch(m: re.Match[str]) -> str:
        value = int(m.group(0)) / (1000 if len(m.group(0)) == 13 else 1)
        return "<clock>" if abs(value - now) < 86400 else m.group(0)

    def stamp(m: re.Match[str]) -> str:
        at = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp()
        return "<clock>" if abs(at - now) < 2 * 86400 else m.group(0)

    text = re.sub(r"(?<![\d.])\d{10}(?:\d{3})?(?![\d.])", epoch, dump)
    return re.sub(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.\d+)?", stamp, text)


def volatile(dump: str, now: float) -> list[str]:
    """The dump's lines, sorted, with what the server makes up as a statement runs masked: clock values and
    generated ids (``UUID_SHORT()``'s 17-19 digits, ``UUID()``'s text); rows keyed by such an id move."""
    text = re.sub(r"(?<![\d.])\d{17,19}(?![\d.])", "<id>", mask_clock(dump, now))
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", text)
    return sorted(text.splitlines())


def verdict(ours: Outcome, theirs: Outcome, now: float | None = None) -> tuple[int, list[str]]:
    """Exit code and the lines that say what was found (``dump`` compared when both carry one)."""
    lines = [
        f"flywayx: {'ok' if ours.ok else 'FAILED at ' + ours.failed_file} ({ours.seconds:.1f} s)",
        f"client:  {'ok' if theirs.ok else 'FAILED at ' + theirs.failed_file} ({theirs.seconds:.1f} s)",
    ]
    for who, out in (("flywayx", ours), ("client", theirs)):
        if not out.ok:
            lines += [f"  {who} error: " + ln for ln in out.error.strip().splitlines()[:6]]
    if ours.ok != theirs.ok:
        who = "flywayx failed where the client" if theirs.ok else "the client failed where flywayx"
        return 1, [*lines, f"DIFFERENCE: {who} went through"]
    if ours.failed_file != theirs.failed_file:
        return 1, [*lines, "DIFFERENCE: they stopped at different files"]
    both = "both stopped at the same file; " if not ours.ok else ""
    if not ours.dump and not theirs.dump:
        return 0, [*lines, f"MATCH: {both}databases not compared (a failed PostgreSQL migration rolls back)"]
    if ours.dump == theirs.dump:
        return 0, [*lines, f"MATCH: {both}the databases describe the same ({len(ours.dump.splitlines())} dump lines)"]
    diff = difflib.unified_diff(theirs.dump.splitlines(), ours.dump.splitlines(), "client", "flywayx", n=1, lineterm="")
    shown = list(diff)
    at = time.time() if now is None else now
    if volatile(ours.dump, at) == volatile(theirs.dump, at):  # a few lines show which values
        what = "clock values taken" if mask_clock(ours.dump, at) == mask_clock(theirs.dump, at) else "values made"
        return 0, [*lines, f"MATCH: {both}the databases differ only in {what} as each ran", *shown[:6]]
    more = f" (first {SHOWN} of {len(shown)} diff lines)" if len(shown) > SHOWN else ""
    return 1, [*lines, f"DIFFERENCE: {both}the databases differ{more}", *shown[:SHOWN]]


def _options(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m tests.differential.holdout", description=__doc__.split("\n\n")[0])
    ap.add_argument("locations", type=Path, nargs="+", metavar="LOCATION")
    ap.add_argument("--dialect", choices=["mariadb", "postgresql"], required=True)
    ap.add_argument("--url", help="the server where the two scratch databases are made (default: the test URLs)")
    ap.add_argument("-p", "--placeholder", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--flyway", action="append", default=[], metavar="-key=value", help="more flywayx options")
    ap.add_argument("--prefix", default="V", help="sqlMigrationPrefix (also passed to flywayx)")
    ap.add_argument("--separator", default="__", help="sqlMigrationSeparator (also passed to flywayx)")
    ap.add_argument("--suffix", action="append", default=[], help="sqlMigrationSuffixes, one each (passed to flywayx)")
    ap.add_argument("--placeholder-prefix", default="${", help="placeholderPrefix (also passed to flywayx)")
    ap.add_argument("--placeholder-suffix", default="}", help="placeholderSuffix (also passed to flywayx)")
    ap.add_argument("--no-replacement", action="store_true", help="placeholderReplacement=false, for both sides")
    ap.add_argument("--table", default="flyway_schema_history", help="the history table (also passed to flywayx)")
    ap.add_argument("--schema", default="", help="PostgreSQL: Flyway's schemas (one; passed to flywayx)")
    ap.add_argument("--target", default="", help="stop after this version (passed to flywayx)")
    ap.add_argument("--strip-comments", action="store_true", help="the mariadb client's default: strip comments")
    ap.add_argument("--keep", action="store_true", help="leave both databases for a look")
    return ap.parse_args(argv)


def compare(opts: argparse.Namespace, ours_db: ScratchDb, theirs_db: ScratchDb) -> tuple[int, list[str]]:
    """Both runs on their databases, then the verdict."""
    from tests.differential import oracle

    locations = [loc.resolve() for loc in opts.locations]
    steps = flyway_order(locations, naming_of(opts), opts.target)
    values = dict(p.split("=", 1) for p in opts.placeholder)
    args = [*(f"-placeholders.{k}={v}" for k, v in values.items()), *opts.flyway]
    args += [f"-sqlMigrationPrefix={opts.prefix}", f"-sqlMigrationSeparator={opts.separator}", f"-table={opts.table}"]
    args += [
        *([f"-schemas={opts.schema}"] if opts.schema else []),
        *([f"-target={opts.target}"] if opts.target else []),
        *([f"-sqlMigrationSuffixes={','.join(opts.suffix)}"] if opts.suffix else []),
        *([f"-placeholderPrefix={opts.placeholder_prefix}"] if opts.placeholder_prefix != "${" else []),
        *([f"-placeholderSuffix={opts.placeholder_suffix}"] if opts.placeholder_suffix != "}" else []),
        *(["-placeholderReplacement=false"] if opts.no_replacement else []),
    ]
    builtin = {
        "flyway:defaultSchema": opts.schema or theirs_db.schema,
        "flyway:database": theirs_db.name,
        "flyway:user": theirs_db.user,
        "flyway:table": opts.table,
        "flyway:environment": "default",
    }
    head = f"{', '.join(map(str, locations))}: {len(steps)} files on {opts.dialect}, {len(values)} placeholders"
    ours = run_flywayx(ours_db.url, locations, args, steps)
    theirs = run_client(theirs_db, steps, locations, {**values, **builtin}, opts)
    if (ours.ok and theirs.ok) or opts.dialect == "mariadb":  # MariaDB keeps what ran before a failure
        ours.dump, theirs.dump = (oracle.describe(db, history=opts.table) for db in (ours_db, theirs_db))
    code, lines = verdict(ours, theirs)
    if ours.ok:
        ours_values = {**values, **builtin, "flyway:database": ours_db.name}
        parted, history = check_history(opts, ours_db, steps, locations, ours_values)
        code, lines = max(code, int(parted)), [*lines, *history]
    return code, [head, *lines]


def check_history(
    opts: argparse.Namespace, db: ScratchDb, steps: list[Path], locations: Sequence[Path], values: dict[str, str]
) -> tuple[bool, list[str]]:
    """The history rows flywayx wrote against the rows Flyway writes (flyway_history.py): whether they part,
    and the lines that say so."""
    naming = naming_of(opts)

    def replaced(path: Path) -> str:
        return script_text(path, values, opts)

    def script(path: Path) -> str:
        return _shown(path, locations).replace("\\", "/")

    kinds = (naming.prefix, naming.baseline, naming.repeatable)
    want = flyway_history.expected_rows(steps, script, lambda n: parse_name(n, naming), kinds, replaced)
    got = flyway_history.applied_rows(db, opts.table, opts.schema)
    if got == want:
        return False, [
            f"history: the {len(got)} rows are the ones Flyway writes (version, description, script, checksum)"
        ]
    parted = next(i for i in range(max(len(got), len(want))) if i >= min(len(got), len(want)) or got[i] != want[i])
    flyway = want[parted] if parted < len(want) else "(none)"
    flywayx = got[parted] if parted < len(got) else "(none)"
    return True, [
        f"DIFFERENCE: history row {parted + 1} of {len(want)}",
        f"  Flyway:  {flyway}",
        f"  flywayx: {flywayx}",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    opts = _options(argv)
    from tests import databases

    if opts.url:  # read by databases.create/drop when they connect
        setattr(databases, "MARIADB_URL" if opts.dialect == "mariadb" else "POSTGRES_URL", opts.url)
    missing = [str(loc) for loc in opts.locations if not loc.is_dir()]
    if missing:
        print(f"no such folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="holdout-") as tmp, ExitStack() as made:
        pair = []
        try:
            for _ in range(2):
                pair.append(databases.create(opts.dialect, Path(tmp), prefix="hx_"))
                if not opts.keep:
                    made.callback(databases.drop, pair[-1])
        except RuntimeError as err:
            print(err, file=sys.stderr)
            return 2
        code, lines = compare(opts, *pair)
        print("\n".join(lines))
        if opts.keep:
            print(f"kept: flywayx {pair[0].name}, client {pair[1].name}")
    return code


if __name__ == "__main__":
    sys.exit(main())
