"""A content-addressed cache of what analysing a migration file produced, kept between runs.

What a file splits into, its content id and its footprint depend only on the text that is split
(after placeholder replacement), the dialect, the server version the analyser is told, and the
analysing code. ``entry_key`` hashes exactly those into a SHA-256 key (never Flyway's 32-bit CRC:
two different files share a CRC too often to trust it), so an entry is valid for ever and nothing
has to be invalidated: a changed file, a new flywayx or another dialect simply asks for another key.

Layout: ``<dir>/analysis-v2/<k>-<sha256>.pack``, where ``k`` is the first hex digit of the keys it
holds (16 shards: a run reads only the shards of the keys it asks for). A pack is immutable: a line
``flywayx-analysis-pack 2`` and one line per entry, ``<key> <sha256 of the body> <JSON body>``. The
entries a run computes are written at its end, one new pack per shard (not one file per entry: on
this kind of disk a file costs ~0.2 ms to create, 2 s for 10,000 migrations), each to a temporary
file in the cache directory, then ``os.replace``d to the name of its own content's hash: concurrent
runners write different packs, or the same pack whole, and a reader sees a pack complete or not at
all. Reading checks each line (the body's hash, the key it is filed under, then its structure where
it is used): a truncated, corrupted or foreign pack or line reads as absent, so the caller recomputes
it and the next pack holds a good copy; an entry is never trusted. Every failure to read or write
(read-only disk, full disk, no home directory, a pack deleted under a reader) only costs the
speed-up: the cache is never needed for a correct answer. Directories are 0700, packs 0600; a
cache directory another user owns or can write to is neither read nor written (``private``): the
statements of an entry are what ``migrate`` sends.

Bounded: a pack a run used is touched (its mtime) at most once a day. A shard with more than
``MAX_PACKS`` packs is merged into one when a run writes to it, and at most once a day (a
``last-prune`` mark) every shard is pruned: packs unused for ``MAX_AGE_DAYS`` days are deleted, and
a shard beyond ``MAX_ENTRIES / 16`` entries or ``MAX_BYTES / 16`` bytes keeps those of its most
recently used packs (a run reads and holds every pack of a shard it asks for, so the bound is also
what a run may read: 128 MB at most, 8 MB for 10,000 small migrations). Temporary
files older than an hour (a writer that was killed) are deleted. The directory can be deleted at
any time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "MAX_AGE_DAYS",
    "MAX_ENTRIES",
    "AnalysisCache",
    "code_stamp",
    "default_cache_dir",
    "open_cache",
    "private",
    "read_pack",
]

FORMAT = "analysis-v2"
_MAGIC = b"flywayx-analysis-pack 2"
MAX_AGE_DAYS = 30
MAX_ENTRIES = 96_000
MAX_BYTES = 128 << 20
MAX_PACKS = 8
MAX_MEMOS = 16
INDEX_DIR = "files-v1"  # the file indexes beside this cache (``sources/file_index.py``), pruned with it
SHARDS = "0123456789abcdef"
_DAY = 86400.0
_PRUNE_MARK = "last-prune"
_MEMO_MAGIC = b"flywayx-analysis-memo 1\n"
# One encoder for every entry: ``json.dumps`` with options builds a new one each call, which was a
# third of the cost of encoding an entry (2.6 of 7 µs).
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)

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
    """Entries under ``directory``; see the module docstring for the guarantees. ``put`` keeps an
    entry in memory until ``flush`` (or ``close``) writes the run's new packs."""

    def __init__(self, directory: Path | str) -> None:
        self.root = Path(directory) / FORMAT
        self.stamp = code_stamp()
        self.wrote = 0
        self._shards: dict[str, dict[str, tuple[bytes, str]]] = {}  # shard -> key -> (line, pack)
        self._used: set[str] = set()  # packs an entry was taken from
        self._new: dict[str, bytes] = {}  # key -> line, written by flush
        self._touch_later: dict[str, float] = {}  # memo path -> its mtime when read

    def entry_key(self, text: str, dialect: str, server_version: str | None = None) -> str:
        """The key of the analysis of ``text`` for ``dialect`` (and ``server_version``)."""
        return self.entry_key_of_digest(
            hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest(), dialect, server_version
        )

    def entry_key_of_digest(self, digest: bytes, dialect: str, server_version: str | None = None) -> str:
        """``entry_key`` of the text whose SHA-256 is ``digest`` (``sources/file_index.py``: a file
        unchanged since an earlier run is not read)."""
        head = f"{self.stamp}\0{dialect}\0{server_version or ''}\0".encode()
        return hashlib.sha256(head + digest).hexdigest()

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored value of ``key``, or None when absent or not a valid entry for this key."""
        line = self._new.get(key)
        if line is None:
            found = self._shard(key[:1]).get(key)
            if found is None:
                return None
            line, pack = found
            value = _decode(line, key)
            if value is not None:
                self._used.add(pack)
            return value
        return _decode(line, key)

    def put(self, key: str, value: dict[str, Any]) -> None:
        """Keep ``value`` (JSON-able) for ``key``; ``flush`` writes it."""
        # the bytes of ``{"key": key, "value": value}`` encoded compactly, without encoding that dict
        body = f'{{"key":{_JSON.encode(key)},"value":{_JSON.encode(value)}}}'.encode()
        self._new[key] = key.encode() + b" " + hashlib.sha256(body).hexdigest().encode() + b" " + body

    def flush(self) -> None:
        """Write the entries kept since the last flush: one new pack per shard."""
        new, self._new = self._new, {}
        by_shard: dict[str, list[bytes]] = {}
        for key, line in sorted(new.items()):
            by_shard.setdefault(key[:1], []).append(line)
        try:
            self._mkdirs()
            for shard, lines in by_shard.items():
                path = self._write_pack(shard, lines)
                self.wrote += len(lines)
                if shard in self._shards:  # later gets of this run find them too
                    self._shards[shard].update((ln[:64].decode(), (ln, path)) for ln in lines)
                if len(self._packs(shard)) > MAX_PACKS:
                    self.merge(shard)
        except OSError:
            return  # no cache this time; the answer is the same

    def close(self) -> None:
        """End of a run: write what is new, touch the packs used, prune at most once a day."""
        self.flush()
        now = time.time()
        for pack in self._used:
            with contextlib.suppress(OSError):
                if now - os.stat(pack).st_mtime > _DAY:
                    os.utime(pack)
        for memo, used in self._touch_later.items():
            with contextlib.suppress(OSError):
                if now - used > _DAY:
                    os.utime(memo)
        self._used.clear()
        self._touch_later.clear()
        if self.wrote:
            with contextlib.suppress(OSError):
                self.prune_if_due(now)

    # --- memos: a whole project's analysis, by the keys of its migrations in order ------------------

    def memo_key(self, keys: Sequence[str]) -> str:
        """The key of the memo of a project whose migrations have the entry ``keys``, in order."""
        return hashlib.sha256("\n".join(keys).encode("ascii", "replace")).hexdigest()

    def read_memo(self, key: str, kind: str = "memo") -> Any:
        """The value ``write_memo`` stored under ``key``, or None when absent, damaged or not private.
        ``kind``: ``memo`` (a project's analysis), ``answer`` (a command's, ``service/answers.py``)."""
        path = self.root / f"{kind}-{key}"
        if not private(self.root):
            return None
        try:
            with open(path, "rb") as f:
                data = f.read()
                used = os.fstat(f.fileno()).st_mtime
        except OSError:
            return None
        head = len(_MEMO_MAGIC)
        payload = data[head + 65 :]
        if data[:head] != _MEMO_MAGIC or data[head : head + 64] != hashlib.sha256(payload).hexdigest().encode():
            return None
        try:
            value = marshal.loads(payload)
        except (ValueError, EOFError, TypeError):
            return None
        self._touch_later[str(path)] = used
        return value

    def write_memo(self, key: str, value: Any, kind: str = "memo") -> None:
        """Store ``value`` (ints, strings, bools, None, tuples, lists, frozensets) under ``key``."""
        payload = marshal.dumps(value)
        data = _MEMO_MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload
        with contextlib.suppress(OSError):
            self._mkdirs()
            self._write_file(str(self.root / f"{kind}-{key}"), data)

    # --- packs -------------------------------------------------------------------------------------

    def _mkdirs(self) -> None:
        """The cache directory and ours below it 0700 (the parent of the cache directory as usual)."""
        self.root.parent.parent.mkdir(parents=True, exist_ok=True)
        for d in (self.root.parent, self.root):
            d.mkdir(mode=0o700, exist_ok=True)
        if not private(self.root):
            raise PermissionError(f"{self.root} is not private to this user: not used")

    def _packs(self, shard: str) -> list[str]:
        if not private(self.root):
            return []
        try:
            names = os.listdir(self.root)
        except OSError:
            return []
        return sorted(os.path.join(self.root, n) for n in names if n.startswith(shard + "-") and n.endswith(".pack"))

    def _shard(self, shard: str) -> dict[str, tuple[bytes, str]]:
        """Every line of the shard's packs by key (read once per run); the newest pack wins."""
        if shard not in self._shards:
            found: dict[str, tuple[bytes, str]] = {}
            packs = [(p, read_pack(p)) for p in self._packs(shard)]
            for path, (_mtime, lines) in sorted(packs, key=lambda p: p[1][0]):
                for line in lines:
                    found[line[:64].decode("ascii", "replace")] = (line, path)
            self._shards[shard] = found
        return self._shards[shard]

    def _write_pack(self, shard: str, lines: list[bytes]) -> str:
        data = b"\n".join([_MAGIC, *lines]) + b"\n"
        path = os.path.join(self.root, f"{shard}-{hashlib.sha256(data).hexdigest()}.pack")
        return self._write_file(path, data)

    def _write_file(self, path: str, data: bytes) -> str:
        """Write ``data`` to ``path`` whole or not at all (a temporary file renamed)."""
        import tempfile  # a write of the cache: info and validate only read it

        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.root)  # created 0600
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return path

    def merge(self, shard: str, max_entries: int | None = None, now: float | None = None) -> int:
        """Merge the shard's packs into one, dropping bad lines, packs unused for ``MAX_AGE_DAYS``
        days and, beyond ``max_entries`` or the shard's share of ``MAX_BYTES``, the entries of the
        least recently used packs; return how many entries were dropped. A pack another runner deletes
        meanwhile is simply not merged."""
        now = time.time() if now is None else now
        limit = MAX_ENTRIES // len(SHARDS) if max_entries is None else max_entries
        room = MAX_BYTES // len(SHARDS)
        packs = [(path, *read_pack(path)) for path in self._packs(shard)]
        kept: dict[str, bytes] = {}
        dropped = 0
        for _path, mtime, lines in sorted(packs, key=lambda p: -p[1]):  # most recently used first
            for line in lines:
                key = line[:64].decode("ascii", "replace")
                if key in kept:
                    continue
                if (
                    now - mtime > MAX_AGE_DAYS * _DAY
                    or len(kept) >= limit
                    or len(line) > room
                    or _decode(line, key) is None
                ):
                    dropped += 1
                    continue
                kept[key] = line
                room -= len(line)
        merged = self._write_pack(shard, [kept[k] for k in sorted(kept)]) if kept else None
        for path, _, _ in packs:
            if path != merged:
                with contextlib.suppress(OSError):
                    os.unlink(path)
        self._shards.pop(shard, None)
        return dropped

    def prune_if_due(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        mark = self.root / _PRUNE_MARK
        try:
            if now - mark.stat().st_mtime < _DAY:
                return 0
        except FileNotFoundError:  # a new cache: nothing to prune yet (merging it is 30 % of a cold run's writing)
            mark.touch(mode=0o600)
            os.utime(mark, (now, now))
            return 0
        mark.touch(mode=0o600)
        os.utime(mark, (now, now))
        return self.prune(now)

    def prune(self, now: float | None = None, max_entries: int | None = None) -> int:
        """Merge every shard (see ``merge``); delete stale temporary files, memos and file indexes unused
        for ``MAX_AGE_DAYS`` days or beyond the ``MAX_MEMOS`` most recently used; return the entries
        dropped."""
        now = time.time() if now is None else now
        dropped = sum(self.merge(shard, max_entries, now) for shard in SHARDS if self._packs(shard))
        memos: dict[str, list[tuple[float, str]]] = {"memo-": [], "answer-": []}
        for directory in (self.root, self.root.parent / INDEX_DIR):
            for name in os.listdir(directory) if directory.is_dir() else ():
                path = os.path.join(directory, name)
                # a writer killed an hour ago left its temporary file; a memo or an index unused for 30 days
                limit = 3600 if name.startswith(".tmp-") else MAX_AGE_DAYS * _DAY
                with contextlib.suppress(OSError):
                    used = os.stat(path).st_mtime
                    if (name.startswith((".tmp-", *memos)) or name.endswith(".idx")) and now - used > limit:
                        os.unlink(path)
                    elif name.startswith(tuple(memos)):
                        memos["memo-" if name.startswith("memo-") else "answer-"].append((used, path))
        for kept in memos.values():  # a memo is a whole project's (an answer a whole command's): keep a few
            for _used, path in sorted(kept, reverse=True)[MAX_MEMOS:]:
                with contextlib.suppress(OSError):
                    os.unlink(path)
        return dropped


def private(directory: Path) -> bool:
    """Whether only this user can put files in ``directory``: its owner, and no group or other write
    bit. The statements of a cached entry are what ``migrate`` sends, so a directory anyone else
    could write to is neither read nor written (a missing one is private: it is created 0700)."""
    try:
        st = os.stat(directory)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    owner = os.getuid() if hasattr(os, "getuid") else st.st_uid
    return st.st_uid == owner and not st.st_mode & 0o022


def read_pack(path: str) -> tuple[float, list[bytes]]:
    """(mtime, entry lines) of a pack; no lines when it cannot be read or is not a pack."""
    try:
        with open(path, "rb") as f:
            data = f.read()
            mtime = os.fstat(f.fileno()).st_mtime
    except OSError:
        return 0.0, []
    lines = data.split(b"\n")
    if lines[0] != _MAGIC:
        return mtime, []
    return mtime, [ln for ln in lines[1:] if len(ln) > 130]


def _decode(line: bytes, key: str) -> dict[str, Any] | None:
    """The value of an entry line filed under ``key``; None unless the line is intact and for ``key``."""
    if len(line) < 131 or line[64:65] != b" " or line[129:130] != b" " or line[:64] != key.encode():
        return None
    body = line[130:]
    if line[65:129] != hashlib.sha256(body).hexdigest().encode():
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
