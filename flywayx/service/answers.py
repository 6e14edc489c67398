"""Remembered answers: a read-only command answers again from its memo while nothing it read has changed.

A warm ``plan`` over 10,000 migrations spent about a second scanning, analysing from the cache and
planning, to print what it printed the run before. What it prints is a function of what it read: the
files of the locations, ``releases.toml``, the configuration, flywayx's own code, and what it asked
the database (the history rows, flywayx's tables, the server's version and kind). ``remembered`` keeps,
beside the analysis cache (same private directory, same pruning as its memos), the answer together
with

- a key: SHA-256 over the question (the command and its options), flywayx's code (every source file's
  stat signature), the Python that runs it, the configuration (every setting but the password), the
  working directory and user, the session's schemas, user and placeholders, the initSql the
  connection ran, and the stat signature (size, mtime and ctime in ns, inode, device, mode) of every
  entry the scan would list in the locations and callback locations, and of the releases file;
- a log of every read the command made of the database, in order: the call (a method of the
  connection, the history table or flywayx's tables, with its arguments) and a SHA-256 of what it
  returned (or raised).

A run with the same key makes the same calls again, in order, and answers from the memo when every
one returns what it returned then: the computation is deterministic, so from the same inputs it would
have asked the same questions and printed the same answer. Any difference is a miss: the command runs
as always (the scan, the analysis, the plan) and writes a new memo.

Not remembered (the command runs as always next time too):

- a file changed less than 3 s before it was listed (``file_index.SETTLED_NS``: an edit within the
  timestamp granularity must not keep the signature the memo holds; ctime cannot be set back);
- a read of the database that returns something other than plain values (a lock, a cursor), takes
  arguments that are not plain values, or sets an attribute;
- anything read that the key cannot cover: git's release tags (``Session.volatile``), a migration
  whose text uses a placeholder (``${flyway:timestamp}`` changes every run);
- ``--no-cache``: nothing is read or written.

The memo is checked by a SHA-256 over its payload (``AnalysisCache.read_memo``); a damaged one is a
miss. Concurrent runners write whole files (a temporary file renamed).
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import hashlib
import os
import stat
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

from flywayx.model import Config
from flywayx.model.version import Version
from flywayx.plugins import session_init_sql
from flywayx.service.kernel import Session, session
from flywayx.sources.file_index import SETTLED_NS
from flywayx.sources.locations import location_path
from flywayx.sources.release_file import find_releases_file

Answer = list[tuple[bool, str]]  # (to stderr, line) in the order printed
_FORMAT = "flywayx-answer 1"
_TARGETS = ("db", "history", "own")  # the session's ways to the database


_IMMUTABLE = (str, int, bool, bytes)
_MISSING = object()


class _NotPlain(Exception):
    """A value a memo cannot compare: the answer is not remembered."""


def _canon(value: Any) -> Any:
    """``value`` as nested tuples of str, int, float, bool, bytes and None (raises _NotPlain)."""
    if isinstance(value, enum.Enum):
        return ("e", type(value).__qualname__, value.name)
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    if isinstance(value, (list, tuple)):
        return ("l" if isinstance(value, list) else "t", tuple(_canon(v) for v in value))
    if isinstance(value, dict):
        return ("d", tuple((_canon(k), _canon(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return ("s", tuple(sorted(repr(_canon(v)) for v in value)))
    if isinstance(value, Version):
        return ("v", value.raw, value.text)
    if isinstance(value, (datetime.date, datetime.time, datetime.timedelta, decimal.Decimal, uuid.UUID)):
        return ("x", type(value).__qualname__, repr(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = tuple((f.name, _canon(getattr(value, f.name))) for f in dataclasses.fields(value))
        return ("c", type(value).__module__, type(value).__qualname__, fields)
    raise _NotPlain(type(value).__qualname__)


def _digest(value: Any) -> str:
    return hashlib.sha256(repr(_canon(value)).encode("utf-8", "surrogatepass")).hexdigest()


def _raised(err: Exception) -> str:
    return "raised " + hashlib.sha256(f"{type(err).__qualname__}: {err}".encode(errors="replace")).hexdigest()


def _plain_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    def plain(v: Any) -> bool:
        if isinstance(v, tuple):
            return all(plain(x) for x in v)
        return v is None or type(v) in (bool, int, float, str, bytes)

    return plain(args) and all(plain(v) for v in kwargs.values())


Call = tuple[
    str, str, bool, tuple[Any, ...], tuple[tuple[str, Any], ...], str
]  # target, name, called, args, kwargs, digest


class _Log:
    """The reads of one run, in order; ``plain`` turns False at the first one a memo cannot replay."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.plain = True
        self._last: dict[tuple[str, str], str] = {}
        self._last_value: dict[tuple[str, str], Any] = {}
        self._seen: set[Call] = set()

    def note(self, call: Call) -> None:
        """A call: noted unless the same call returned the same already (``history.rows()`` is read by
        several parts of a plan: a replay reads it once)."""
        if call not in self._seen:
            self._seen.add(call)
            self.calls.append(call)

    def read(self, target: str, attr: str, digest: str, value: Any = None) -> None:
        """An attribute read: noted when its value differs from the last read of it (``db.dialect`` is
        read once a migration)."""
        if self._last.get((target, attr)) != digest:
            self._last[(target, attr)] = digest
            self.calls.append((target, attr, False, (), (), digest))
        if type(value) in _IMMUTABLE:
            self._last_value[(target, attr)] = value
        else:
            self._last_value.pop((target, attr), None)

    def same_as_last(self, target: str, attr: str, value: Any) -> bool:
        """Whether ``value`` is the very object the last read of the attribute returned, and of a type
        that cannot change in place (so its digest is the one already noted)."""
        return type(value) in _IMMUTABLE and self._last_value.get((target, attr), _MISSING) is value

    def spoil(self) -> None:
        self.plain = False


class _Recorded:
    """One of the session's ways to the database, every read through it noted in ``log``."""

    def __init__(self, target: object, name: str, log: _Log) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_log", log)

    def __getattr__(self, attr: str) -> Any:
        target, name, log = self._target, self._name, self._log
        value = getattr(target, attr)
        if not callable(value):
            if log.same_as_last(name, attr, value):
                return value  # ``db.dialect`` is read once a statement: its digest is not taken again
            try:
                log.read(name, attr, _digest(value), value)
            except _NotPlain:
                log.spoil()
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            if attr.startswith("_") or not _plain_args(args, kwargs):
                log.spoil()  # not replayable: nothing to note
                return value(*args, **kwargs)
            try:
                result = value(*args, **kwargs)
            except Exception as err:
                log.note((name, attr, True, args, tuple(sorted(kwargs.items())), _raised(err)))
                raise
            try:
                log.note((name, attr, True, args, tuple(sorted(kwargs.items())), _digest(result)))
            except _NotPlain:
                log.spoil()
            return result

        return call

    def __setattr__(self, attr: str, value: Any) -> None:
        self._log.spoil()
        setattr(self._target, attr, value)


def _replays(s: Session, calls: Sequence[Call]) -> bool:
    """Whether every read of ``calls`` returns now what it returned when the memo was written."""
    for target, attr, called, args, kwargs, digest in calls:
        try:
            value = getattr(getattr(s, target), attr)
            now = _digest(value(*args, **dict(kwargs)) if called else value)
        except _NotPlain:
            return False
        except Exception as err:
            now = _raised(err)
        if now != digest:
            return False
    return True


# --- the key ---------------------------------------------------------------------------------------

_CODE: list[str] = []


def _code() -> str:
    """The stat signatures of flywayx's source files (once per process): another flywayx, another key."""
    if not _CODE:
        root = Path(__file__).resolve().parent.parent
        rows = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith(".py"):
                    st = os.stat(os.path.join(dirpath, name))
                    rows.append((dirpath, name, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
        # no source files to sign (flywayx run from a zip): no key, nothing remembered
        _CODE.append(_digest((sys.version, sys.prefix, str(root), rows)) if rows else "")
    return _CODE[0]


def _config(config: Config) -> Any:
    """Every setting but the password (what the connection reaches is checked by the replayed reads)."""
    url = config.url
    plain_url = None
    if url is not None:
        plain_url = tuple(
            (f.name, getattr(url, f.name)) for f in dataclasses.fields(url) if f.name not in ("password", "original")
        )
    return tuple(
        (f.name, plain_url if f.name == "url" else getattr(config, f.name))
        for f in dataclasses.fields(config)
        if f.name != "password"
    )


def _listing(locations: Sequence[str], config: Config, newest: list[int]) -> str:
    """What the scan would list under ``locations`` (``sources/locations.py``: globs, hidden directories
    skipped, symbolic links followed, each directory once), every entry with its stat signature, as
    text; ``newest`` gets the newest mtime or ctime seen."""
    import glob

    out: list[str] = []
    seen: set[tuple[int, int]] = set()

    def walk(directory: str) -> None:
        try:
            st = os.stat(directory)
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as err:
            out.append(f"{directory!r} {err.errno}")
            return
        if (st.st_dev, st.st_ino) in seen:
            return
        seen.add((st.st_dev, st.st_ino))
        out.append(f"{directory!r} {st.st_mode}")
        below = []
        for entry in entries:
            try:
                es = entry.stat()
            except OSError as err:
                out.append(f"{entry.name!r} {err.errno}")
                continue
            out.append(
                f"{entry.name!r} {es.st_size} {es.st_mtime_ns} {es.st_ctime_ns} {es.st_ino} {es.st_dev} {es.st_mode}"
            )
            newest.append(es.st_mtime_ns if es.st_mtime_ns > es.st_ctime_ns else es.st_ctime_ns)
            if stat.S_ISDIR(es.st_mode) and not entry.name.startswith("."):
                below.append(entry.path)
        for path in below:
            walk(path)

    for location in locations:
        path = location_path(location, config.working_directory)
        roots = sorted(glob.glob(path, recursive=True)) if any(ch in path for ch in "*?") else [path]
        out.append(f"{location!r} {roots!r}")
        for root in roots:
            walk(root)
    return "\n".join(out)


def _key(s: Session, question: Sequence[str]) -> tuple[str, bool]:
    """(the memo's key, whether every file listed is settled: older than ``SETTLED_NS``); no key ("")
    when flywayx's own code cannot be signed."""
    if not _code():
        return "", False
    config = s.config
    newest: list[int] = []
    listing = _listing(config.locations, config, newest)
    callbacks = _listing(config.callback_locations, config, newest)
    releases: Any = None
    try:
        found = find_releases_file(list(config.locations), config.releases_file)
    except Exception as err:  # the command reports it
        releases = _raised(err)
    else:
        if found is not None:
            st = os.stat(found)
            releases = (os.path.abspath(found), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
            newest.append(max(st.st_mtime_ns, st.st_ctime_ns))
    timestamp = f"flyway{config.placeholder_separator}timestamp"
    placeholders = [(k, v) for k, v in s.placeholders.items() if k != timestamp]
    who = (
        os.getcwd(),
        os.getuid() if hasattr(os, "getuid") else None,
        tuple(os.getgroups()) if hasattr(os, "getgroups") else (),
    )
    head = _digest(
        (
            _FORMAT,
            tuple(question),
            _code(),
            _config(config),
            who,
            (s.schemas, s.default_schema, s.installed_by, s.dialect, placeholders),
            session_init_sql(config.init_sql, os.environ),
            releases,
        )
    )
    digest = hashlib.sha256(head.encode())
    for text in (listing, "\0", callbacks):
        digest.update(text.encode("utf-8", "surrogateescape"))
    key = digest.hexdigest()
    settled = not newest or time.time_ns() - max(newest) >= SETTLED_NS
    return key, settled


def _uses_placeholders(s: Session) -> bool:
    """Whether a migration's text the run read may change with the run's time (``${flyway:timestamp}``),
    or a file the run did not read has the placeholder prefix."""
    from flywayx.sources.scan import SCRIPT_PLACEHOLDER_PREFIX

    prefix = s.config.placeholder_prefix
    if any(has and path not in s.found.texts for path, (_, has) in s.found.digests.items()):
        return True
    markers = [m for m in (prefix, SCRIPT_PLACEHOLDER_PREFIX) if m]
    return any("timestamp" in text and any(m in text for m in markers) for text in s.found.texts.values())


def remembered(config: Config, question: Sequence[str], compute: Callable[[Session], Answer]) -> Answer:
    """``compute``'s answer in a read-only session, from the memo of an earlier run when nothing it read
    has changed (see the module docstring); ``question`` names the command and every option that
    changes what it prints."""
    with session(config, read_only=True, scan_later=True) as s:
        try:
            key, settled = _key(s, question) if s.cache is not None else ("", False)
        except OSError:  # a location or the releases file vanished meanwhile: the command says what
            key, settled = "", False
        if s.cache is None or not key:
            return compute(s)
        memo = s.cache.read_memo(key, "answer")
        if _valid(memo) and _replays(s, memo[1]):
            return [(bool(err), str(text)) for err, text in memo[2]]
        log = _Log()
        for target in _TARGETS:
            setattr(s, target, cast(Any, _Recorded(getattr(s, target), target, log)))
        answer = compute(s)
        if settled and log.plain and not s.volatile and not _uses_placeholders(s):
            s.cache.write_memo(key, (_FORMAT, log.calls, answer), "answer")
        return answer


def _valid(memo: Any) -> bool:
    return (
        isinstance(memo, tuple)
        and len(memo) == 3
        and memo[0] == _FORMAT
        and isinstance(memo[1], list)
        and all(
            isinstance(c, tuple)
            and len(c) == 6
            and c[0] in _TARGETS
            and isinstance(c[1], str)
            and not c[1].startswith("_")
            and type(c[2]) is bool
            and isinstance(c[3], tuple)
            and isinstance(c[4], tuple)
            and isinstance(c[5], str)
            for c in memo[1]
        )
        and isinstance(memo[2], list)
        and all(isinstance(a, tuple) and len(a) == 2 and type(a[0]) is bool and isinstance(a[1], str) for a in memo[2])
    )


__all__ = ["Answer", "remembered"]
