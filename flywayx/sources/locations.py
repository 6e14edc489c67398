"""Migration locations on disk: where a ``filesystem:`` location points and which files it holds.

Used by ``flywayx.sources.scan``. A location is a directory (``filesystem:`` or unprefixed, relative
to the working directory; ``*``/``?`` glob to several directories, ``**`` recursively);
``classpath:`` is refused. Files are listed recursively in path order, hidden directories skipped,
symbolic link loops broken. Entries that are not readable regular files (dangling symbolic links,
directories, FIFOs, sockets, files this user cannot read) are listed too, with ``problem`` saying why,
so the scanner can refuse one whose name makes it a migration; a missing location is a warning, or an error under
``fail_on_missing_locations``.
"""

from __future__ import annotations

import glob
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from flywayx.errors import ConfigError
from flywayx.model.config import Config
from flywayx.model.quick import quick_init


@quick_init
@dataclass(frozen=True)
class FoundFile:
    """A file found in a location."""

    path: str  # absolute
    script: str  # relative to its location, '/'-separated
    location: str  # the location as configured
    problem: str | None = None  # why it cannot be read as a file, "is a directory" (None: a readable file)
    # what os.stat said when it was found (the file index compares it with what it recorded)
    stat: os.stat_result | None = field(default=None, compare=False, repr=False)


def location_path(location: str, working_directory: str | None = None) -> str:
    """The directory of a ``filesystem:`` (or unprefixed) location; ``classpath:`` is refused."""
    prefix, sep, rest = location.partition(":")
    if sep and prefix.lower() == "classpath":
        raise ConfigError(
            f"Unsupported location: {location} (flywayx has no Java classpath)",
            hint="use a directory: filesystem:<path>",
        )
    path = rest if sep and prefix.lower() == "filesystem" else location
    if not os.path.isabs(path) and working_directory:
        path = os.path.join(working_directory, path)
    return os.path.abspath(path)


def _location_dirs(location: str, config: Config, warnings: list[str]) -> list[str]:
    path = location_path(location, config.working_directory)
    found = (
        sorted(p for p in glob.glob(path, recursive=True) if os.path.isdir(p))
        if any(ch in path for ch in "*?")
        else ([path] if os.path.isdir(path) else [])
    )
    if found:
        return found
    if config.fail_on_missing_locations:
        raise ConfigError(
            f"Failed to find filesystem location: {path} (NOT_FOUND)",
            hint="create the directory or fix 'locations'",
            location=location,
        )
    warnings.append(f"Skipping filesystem location: {path} (NOT_FOUND)")
    return []


def _walk(root: str, location: str, warnings: list[str]) -> Iterator[FoundFile]:
    """Files under ``root``: hidden directories skipped, symlink loops broken, errors warned."""
    seen: set[tuple[int, int]] = set()

    def on_error(err: OSError) -> None:
        warnings.append(f"Unable to scan {err.filename}: {err.strerror or err}")

    for dirpath, dirnames, filenames in os.walk(root, onerror=on_error, followlinks=True):
        try:
            st = os.stat(dirpath)
        except OSError as err:  # vanished or became unreadable since it was listed
            on_error(err)
            continue
        if (st.st_dev, st.st_ino) in seen:
            warnings.append(f"Skipping {dirpath}: directory already scanned (symbolic link loop?)")
            dirnames[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel = os.path.relpath(dirpath, root).replace(os.sep, "/")  # once per directory, not per file
        head = "" if rel == "." else rel + "/"
        base = os.path.join(dirpath, "")  # os.path.join(dirpath, name) for every name, joined once
        for name in [*filenames, *dirnames]:
            full = base + name
            problem, file_stat = _inspect(full)
            yield FoundFile(full, head + name, location, problem, file_stat)


def _inspect(path: str) -> tuple[str | None, os.stat_result | None]:
    """(``_problem``, what os.stat said: None when it failed)."""
    try:
        st = os.stat(path)
    except OSError:
        return _problem(path), None
    if stat.S_ISREG(st.st_mode) and os.access(path, os.R_OK):  # the usual case, as _problem decides it
        return None, st
    return _problem(path, st), st


def _problem(path: str, st: os.stat_result | None = None) -> str | None:
    """Why ``path`` cannot be read as a migration file; None for a regular file this user can read.

    Never opens the file: opening a FIFO would block until something writes to it."""
    try:
        st = os.stat(path) if st is None else st
    except FileNotFoundError:
        return f"is a dangling symbolic link to {os.readlink(path)}" if os.path.islink(path) else "is gone"
    except OSError as err:
        return f"cannot be examined: {err.strerror or err}"
    if stat.S_ISDIR(st.st_mode):
        return "is a directory"
    if not stat.S_ISREG(st.st_mode):
        kind = (
            "a FIFO"
            if stat.S_ISFIFO(st.st_mode)
            else "a socket"
            if stat.S_ISSOCK(st.st_mode)
            else "a device"
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
            else "not a regular file"
        )
        return f"is {kind}"
    if not os.access(path, os.R_OK):
        return "is not readable by this user (permission denied)"
    return None


def find_files(locations: Sequence[str], config: Config, warnings: list[str]) -> list[FoundFile]:
    """Every file of every location, in location order then path order; warnings are appended."""
    files: list[FoundFile] = []
    for location in locations:
        for root in _location_dirs(location, config, warnings):
            files.extend(sorted(_walk(root, location, warnings), key=lambda f: f.script))
    return files
