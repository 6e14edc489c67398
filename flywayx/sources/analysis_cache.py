"""A content-addressed cache of what analysing a migration file produced, kept between runs.

What a file splits into, its content id and its footprint depend only on the text that is split
(after placeholder replacement), the dialect, the server version the analyser is told, and the
analysing code. ``entry_key`` hashes exactly those into a SHA-256 key (never Flyway's 32-bit CRC:
two different files share a CRC too often to trust it), so an entry is valid for ever and nothing
has to be invalidated: a changed file, a new flywayx or another dialect simply asks for another key.

Layout: ``<dir>/analysis-v1/<2 hex>/<62 hex>``, directories 0700, files 0600. An entry is a header
line ``flywayx-analysis 1 <sha256 of the body>`` and a JSON body that repeats its own key. Reading
checks all three; a truncated, corrupted or foreign file (a body for another key, a file of
another program) reads as absent, so the caller recomputes and overwrites it: an entry is never
trusted. Writing goes to a temporary file in the same directory, then ``os.replace``: concurrent
runners writing the same entry each rename a complete file, and a reader sees the old entry, the
new one or none, never half of one. Every failure to read or write (read-only disk, full disk, no
home directory) only costs the speed-up: the cache is never needed for a correct answer.

Pruning: an entry used again is touched (its mtime) at most once a day; at most once a day a run
that wrote entries removes those not used for ``MAX_AGE_DAYS`` days and, if more than
``MAX_ENTRIES`` remain, the least recently used. ``flywayx`` never needs the directory to exist:
deleting it is always safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["MAX_AGE_DAYS", "MAX_ENTRIES", "AnalysisCache", "code_stamp", "default_cache_dir", "open_cache"]

FORMAT = "analysis-v1"
_MAGIC = b"flywayx-analysis 1 "
MAX_AGE_DAYS = 30
MAX_ENTRIES = 200_000
_DAY = 86400.0
_PRUNE_MARK = "last-prune"

# The code whose output an entry holds: a change to any of these files is another key.
_CODE = ("__init__.py", "statements", "model/footprint.py", "model/migration.py", "sources/analysis_cache.py")


def default_cache_dir(env: Mapping[str, str]) -> Path:
    """``$XDG_CACHE_HOME/flywayx``, else ``~/.cache/flywayx``."""
    base = env.get("XDG_CACHE_HOME") or ""
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "flywayx"


_STAMP: list[str] = []


def code_stamp() -> str:
    """SHA-256 over the source of the analysing code and flywayx's ``__init__`` (which holds the
    version), computed once per process."""
    if not _STAMP:
        root = Path(__file__).resolve().parent.parent
        digest = hashlib.sha256(FORMAT.encode())
        for name in _CODE:
            path = root / name
            files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
            for f in files:
                digest.update(str(f.relative_to(root)).encode() + b"\0")
                with contextlib.suppress(OSError):
                    digest.update(f.read_bytes())
        _STAMP.append(digest.hexdigest())
    return _STAMP[0]


class AnalysisCache:
    """Entries under ``directory``; see the module docstring for the guarantees."""

    def __init__(self, directory: Path | str) -> None:
        self.root = Path(directory) / FORMAT
        self._prefix = str(self.root) + os.sep  # entry paths are built as strings: 10,000 a run
        self.stamp = code_stamp()
        self.wrote = 0
        self._made: set[str] = set()

    def entry_key(self, text: str, dialect: str, server_version: str | None = None) -> str:
        """The key of the analysis of ``text`` for ``dialect`` (and ``server_version``)."""
        head = f"{self.stamp}\0{dialect}\0{server_version or ''}\0".encode()
        return hashlib.sha256(head + text.encode("utf-8", "surrogatepass")).hexdigest()

    def entry_path(self, key: str) -> str:
        """Where the entry of ``key`` lives."""
        return f"{self._prefix}{key[:2]}{os.sep}{key[2:]}"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored value of ``key``, or None when absent or not a valid entry for this key."""
        path = self.entry_path(key)
        try:
            with open(path, "rb") as f:
                data = f.read()
                mtime = os.fstat(f.fileno()).st_mtime
        except OSError:
            return None
        value = _decode(data, key)
        if value is not None and time.time() - mtime > _DAY:
            with contextlib.suppress(OSError):
                os.utime(path)  # used again: keeps it from being pruned
        return value

    def put(self, key: str, value: dict[str, Any]) -> None:
        """Store ``value`` (JSON-able) under ``key``: atomically, readable by this user only."""
        body = json.dumps({"key": key, "value": value}, separators=(",", ":"), ensure_ascii=False).encode()
        data = _MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n" + body
        directory = self.root / key[:2]
        try:
            if key[:2] not in self._made:
                self._mkdirs(directory)
                self._made.add(key[:2])
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)  # created 0600
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(tmp, self.entry_path(key))
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError:
            return  # no cache this time; the answer is the same
        self.wrote += 1

    def _mkdirs(self, directory: Path) -> None:
        """The cache directory and ours below it 0700 (the parent of the cache directory as usual)."""
        self.root.parent.parent.mkdir(parents=True, exist_ok=True)
        for d in (self.root.parent, self.root, directory):
            d.mkdir(mode=0o700, exist_ok=True)

    def close(self) -> None:
        """End of a run: prune, at most once a day, when this run wrote something."""
        if self.wrote:
            with contextlib.suppress(OSError):
                self.prune_if_due()

    def prune_if_due(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        mark = self.root / _PRUNE_MARK
        with contextlib.suppress(OSError):
            if now - mark.stat().st_mtime < _DAY:
                return 0
        mark.touch(mode=0o600)
        os.utime(mark, (now, now))
        return self.prune(now)

    def prune(self, now: float | None = None, max_entries: int = MAX_ENTRIES) -> int:
        """Remove entries unused for ``MAX_AGE_DAYS`` days, then the oldest beyond ``max_entries``,
        and temporary files a crashed writer left; return how many files were removed."""
        now = time.time() if now is None else now
        kept: list[tuple[float, Path]] = []
        removed = 0
        for shard in self.root.iterdir() if self.root.is_dir() else ():
            if not shard.is_dir():
                continue
            for entry in shard.iterdir():
                try:
                    age = now - entry.stat().st_mtime
                    if age > MAX_AGE_DAYS * _DAY or (entry.name.startswith(".tmp-") and age > 3600):
                        entry.unlink()
                        removed += 1
                    elif not entry.name.startswith(".tmp-"):
                        kept.append((now - age, entry))
                except OSError:
                    continue
        if len(kept) > max_entries:
            kept.sort()
            for _, entry in kept[: len(kept) - max_entries]:
                with contextlib.suppress(OSError):
                    entry.unlink()
                    removed += 1
        return removed


def _decode(data: bytes, key: str) -> dict[str, Any] | None:
    head, sep, body = data.partition(b"\n")
    if not sep or not head.startswith(_MAGIC) or head[len(_MAGIC):] != hashlib.sha256(body).hexdigest().encode():
        return None
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    if not isinstance(doc, dict) or doc.get("key") != key or not isinstance(doc.get("value"), dict):
        return None
    value: dict[str, Any] = doc["value"]
    return value


def open_cache(directory: str | None, enabled: bool, env: Mapping[str, str]) -> AnalysisCache | None:
    """The cache a run uses: None when turned off (``--no-cache``, ``cache=false``)."""
    if not enabled:
        return None
    return AnalysisCache(Path(directory).expanduser() if directory else default_cache_dir(env))
