"""What earlier scans learnt of each migration file, trusted while the file is unchanged (as git's index
and ruff's cache do).

A file's Flyway checksum needs the whole file read, decoded and CRC'd: about 25 µs a file, a quarter
of a second over 10,000 migrations, on every run. The index keeps, per file path, the file's stat
signature (size, mtime and ctime in nanoseconds, inode, device), the encoding it was read with, its
checksum, the SHA-256 of its text (what the analysis cache's key is made of,
``AnalysisCache.entry_key_of_digest``) and whether the placeholder prefix occurs in it. A scan takes the
checksum from the index while the signature and the encoding are the same, and reads the file
otherwise.

Trust rests on the signature: writing a file sets its ctime to now, and no user can set a ctime back.
An entry is recorded only for a file whose mtime and ctime are at least ``SETTLED_NS`` old when it is
read, so a file written again within the timestamp granularity of its last read ("racy git") is never
taken from the index. ``--no-cache`` / ``cache=false`` turns the index off with the analysis cache,
which forces every file to be read and checksummed.

One index file per project (its locations and placeholder prefix), ``<cache dir>/files-v1/<hash>.idx``:
a magic line, the SHA-256 of the payload, and the payload, a ``marshal``-ed dict of tuples of ints,
strings and bytes (read in one go: 10,000 entries in a few milliseconds). A damaged, truncated or
foreign file, or an entry of the wrong shape, reads as absent. It lives in the analysis cache's
private directory (``analysis_cache.private``) and is written to a temporary file then
``os.replace``d: concurrent runners leave one whole index, whichever wrote last.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import time
from collections.abc import Sequence
from pathlib import Path

from flywayx.sources.analysis_cache import INDEX_DIR, private

__all__ = ["SETTLED_NS", "FileIndex", "IndexEntry", "open_index", "text_digest"]

_FORMAT = INDEX_DIR
_DAY_NS = 86400 * 10**9
_MAGIC = b"flywayx-file-index 1\n"
SETTLED_NS = 3_000_000_000  # a file changed less than 3 s ago is read every time (FAT's mtime is 2 s coarse)

Signature = tuple[int, int, int, int, int]  # size, mtime_ns, ctime_ns, inode, device
# (signature, encoding, detect_encoding, checksum, SHA-256 of the text, placeholder prefix occurs)
IndexEntry = tuple[Signature, str, bool, int, bytes, bool]


def text_digest(text: str) -> bytes:
    """The SHA-256 of a migration's text (as the analysis cache's key takes it)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def _signature(st: os.stat_result) -> Signature:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def _answer(entry: IndexEntry) -> bool:
    """Whether an entry whose signature, encoding and detection flag equal the file's (a tuple equal to
    the stat's five ints, a str) gives back values of the shape ``IndexEntry`` says; any other entry
    reads as absent."""
    _, _, detect, checksum, digest, has_prefix = entry
    return (
        type(detect) is bool
        and type(checksum) is int
        and type(digest) is bytes
        and len(digest) == 32
        and type(has_prefix) is bool
    )


class FileIndex:
    """The index of one project (see the module docstring); ``save`` writes it when a scan changed it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries = _load(path)
        self._changed = False
        self._now_ns = time.time_ns()

    def lookup(
        self, path: str, st: os.stat_result | None, encoding: str, detect: bool
    ) -> tuple[int, bytes, bool] | None:
        """(checksum, text digest, placeholder prefix occurs) of ``path``, whose stat is ``st``, when
        it is unchanged since an earlier scan read it with this ``encoding``; None otherwise (the file
        is to be read)."""
        entry = self._entries.get(path)
        if type(entry) is not tuple or len(entry) != 6 or st is None:
            return None
        # compared first, then the shape of what is given back (``_answer``): not the type of each of
        # the ten fields of every entry, a third of a no-op run's cost of taking a checksum from here
        if (
            entry[0] != (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
            or entry[1] != encoding
            or entry[2] != detect
            or not _answer(entry)
        ):
            return None
        return entry[3], entry[4], entry[5]

    def record(
        self,
        path: str,
        st: os.stat_result | None,
        encoding: str,
        detect: bool,
        checksum: int,
        digest: bytes,
        has_prefix: bool,
    ) -> None:
        """Remember what reading ``path`` gave; ``st``: its stat taken *before* it was read (a change
        after that is a new signature next time). Not when it changed too recently to be trusted later."""
        if st is None:
            return
        if max(st.st_mtime_ns, st.st_ctime_ns) > self._now_ns - SETTLED_NS:
            self._entries.pop(path, None)
            return
        entry: IndexEntry = (_signature(st), encoding, detect, checksum, digest, has_prefix)
        if self._entries.get(path) != entry:
            self._entries[path] = entry
            self._changed = True

    def save(self, paths: Sequence[str]) -> None:
        """Write the index when it changed, keeping only ``paths`` (the files the scan found); a failure
        to write only costs the speed-up."""
        keep = set(paths)
        if not self._changed and keep.issuperset(self._entries):
            with contextlib.suppress(OSError):  # in use: touched at most once a day (pruned after 30 unused)
                if self._now_ns - os.stat(self.path).st_mtime_ns > _DAY_NS:
                    os.utime(self.path)
            return
        payload = marshal.dumps({p: e for p, e in self._entries.items() if p in keep})
        data = _MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload
        import tempfile  # a write: a run that changed nothing only reads the index

        with contextlib.suppress(OSError):
            directory = self.path.parent
            directory.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            directory.mkdir(mode=0o700, exist_ok=True)
            if not private(directory) or not private(directory.parent):
                return
            import tempfile  # only a changed index is written: a repeated info loads no tempfile (4-6 ms)

            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)  # created 0600
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        self._changed = False


def _load(path: Path) -> dict[str, IndexEntry]:
    """The entries of the index file; none when it is missing, damaged, foreign or not private."""
    if not private(path.parent) or not private(path.parent.parent):
        return {}
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    head = len(_MAGIC)
    if not data.startswith(_MAGIC) or data[head + 64 : head + 65] != b"\n":
        return {}
    payload = data[head + 65 :]
    if hashlib.sha256(payload).hexdigest().encode() != data[head : head + 64]:
        return {}
    try:
        entries = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return {}
    if not isinstance(entries, dict) or not all(isinstance(k, str) for k in entries):
        return {}
    return entries


def open_index(cache_dir: Path, locations: Sequence[str], placeholder_prefix: str) -> FileIndex:
    """The index of the project made of ``locations`` (as given, made absolute) under ``cache_dir``."""
    identity = "\0".join([placeholder_prefix, *(os.path.abspath(loc) for loc in locations)])
    name = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32] + ".idx"
    return FileIndex(cache_dir / _FORMAT / name)
