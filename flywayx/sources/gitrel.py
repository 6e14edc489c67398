"""Reading a git repository with the real ``git`` client: release tags, commit ancestry, the
migration files of a commit and who added a file.

Everything goes through ``git`` (never a library) so what flywayx sees is what ``git log`` shows.
Every failure becomes one typed error: ``ToolMissing`` when ``git`` is not installed,
``StateError`` when the directory is not a repository or git refuses, ``UsageError`` for a tag
pattern that is not a regular expression or matches no tag.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flywayx.errors import StateError, ToolMissing, UsageError
from flywayx.model.version import Version

DEFAULT_TAG_PATTERN = r"v?(?P<version>[0-9]+(?:\.[0-9]+)+)"


@dataclass(frozen=True)
class Tag:
    """A release tag: ``release`` is the version text taken from the tag name, ``commit`` the
    commit it points at (annotated tags peeled). No time: releases are ordered by ancestry only
    (tags made by a script share a second; clocks of machines disagree)."""

    name: str
    release: str
    commit: str


@dataclass(frozen=True)
class TreeFile:
    """A file of a commit below the migrations directory: its path there and its blob id."""

    path: str
    blob: str

    @property
    def filename(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """Run ``git -C repo args``; return stdout. Raises ToolMissing / StateError, never OSError."""
    binary = os.environ.get("FLYWAYX_GIT", "git")
    try:
        done = subprocess.run([binary, "-C", str(repo), *args], input=stdin, capture_output=True, check=False)
    except FileNotFoundError as err:
        raise ToolMissing(
            f"git is not installed (looked for {binary!r} on PATH)",
            hint="install git, or set FLYWAYX_GIT to its path",
            tool="git",
        ) from err
    if done.returncode != 0:
        first = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["(no message)"])[0]
        raise StateError(f"git {args[0]} failed in {repo}: {first}", hint="check the repository with `git status`")
    return done.stdout


def repo_root(directory: Path) -> Path:
    """The top of the work tree holding ``directory``; StateError when it is not in a repository."""
    if not directory.is_dir():
        raise StateError(f"not a git repository: {directory} does not exist", hint="pass --repo DIR")
    try:
        out = git(directory, "rev-parse", "--show-toplevel")
    except StateError as err:
        raise StateError(
            f"not a git repository: {directory}", hint="run it inside a git work tree or pass --repo DIR"
        ) from err
    return Path(out.decode().strip())


def _tag_regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as err:
        raise UsageError(
            f"--tags {pattern!r} is not a regular expression: {err}", hint=f"the default is {DEFAULT_TAG_PATTERN}"
        ) from err


def release_of(tag: str, regex: re.Pattern[str]) -> str | None:
    """The release a tag names: the ``version`` group (else the first group, else the whole
    match) of a full match, when that is a plain version; otherwise None."""
    m = regex.fullmatch(tag)
    if m is None:
        return None
    text = m.groupdict().get("version") or (m.group(1) if regex.groups else m.group(0))
    v = Version.try_parse(text) if text else None
    return text if v is not None and not v.is_special else None


def release_tags(repo: Path, pattern: str = DEFAULT_TAG_PATTERN) -> list[Tag]:
    """Tags whose name matches ``pattern``, sorted by release version. Two tags naming the same
    release (``4.6.0`` and ``v4.6.0``) must point at the same commit, else UsageError."""
    regex = _tag_regex(pattern)
    fmt = "%(refname:strip=2)%09%(objectname)%09%(*objectname)"
    found: dict[str, Tag] = {}
    for line in git(repo, "for-each-ref", "refs/tags", f"--format={fmt}").decode().splitlines():
        name, obj, peeled = line.split("\t")
        release = release_of(name, regex)
        if release is None:
            continue
        tag = Tag(name, release, peeled or obj)
        other = found.setdefault(release, tag)
        if other.commit != tag.commit:
            raise UsageError(
                f"tags {other.name} and {name} both name release {release} but point at different commits",
                hint="delete one of them or narrow --tags",
            )
    if not found:
        raise UsageError(
            f"no tag in {repo} matches --tags {pattern!r}",
            hint="tag releases (git tag 4.5.3) or give the pattern your tags follow",
        )
    return sorted(found.values(), key=lambda t: Version.parse(t.release))


def head(repo: Path) -> str:
    """The commit HEAD points at."""
    return git(repo, "rev-parse", "HEAD").decode().strip()


def history(repo: Path, commits: Iterable[str]) -> list[tuple[str, tuple[str, ...]]]:
    """Every commit reachable from ``commits`` with its parents (first parent first), children
    before parents (``--topo-order``)."""
    starts = sorted(set(commits))
    if not starts:
        return []
    out = git(repo, "rev-list", "--topo-order", "--parents", *starts).decode().splitlines()
    return [(parts[0], tuple(parts[1:])) for parts in (line.split() for line in out) if parts]


def files_at(repo: Path, commit: str, directory: str) -> list[TreeFile]:
    """Files below ``directory`` (relative to the repository root; "" for all) in ``commit``,
    with paths relative to ``directory``, sorted."""
    prefix = directory.strip("/")
    args = ["ls-tree", "-r", "-z", commit] + ([f"{prefix}/"] if prefix else [])
    files: list[TreeFile] = []
    for entry in git(repo, *args).decode("utf-8", "surrogateescape").split("\0"):
        if not entry:
            continue
        meta, path = entry.split("\t", 1)
        _mode, kind, blob = meta.split()
        if kind == "blob":
            files.append(TreeFile(path[len(prefix) + 1 :] if prefix else path, blob))
    return sorted(files, key=lambda f: f.path)


def read_blobs(repo: Path, blobs: Iterable[str]) -> dict[str, bytes]:
    """Contents of blobs, read in one ``git cat-file --batch`` call."""
    wanted = sorted(set(blobs))
    if not wanted:
        return {}
    raw = git(repo, "cat-file", "--batch", stdin="".join(f"{b}\n" for b in wanted).encode())
    out: dict[str, bytes] = {}
    pos = 0
    for blob in wanted:
        end = raw.index(b"\n", pos)
        header = raw[pos:end].decode().split()
        if len(header) != 3:
            raise StateError(f"git cat-file could not read blob {blob}: {' '.join(header)}")
        size = int(header[2])
        out[blob] = raw[end + 1 : end + 1 + size]
        pos = end + 1 + size + 1
    return out


def added_by(repo: Path, path: str) -> str | None:
    """The commit on HEAD's history that added ``path`` (repository-relative), or None when the
    file is not committed."""
    out = git(repo, "log", "--format=%H", "--diff-filter=A", "--", path).decode().split()
    return out[-1] if out else None


def relative_dir(root: Path, directory: Path) -> str:
    """``directory`` relative to the repository root, with ``/``; StateError when outside it."""
    try:
        rel = directory.resolve().relative_to(root.resolve())
    except ValueError as err:
        raise StateError(
            f"the migrations directory {directory} is not inside the repository {root}",
            hint="pass --repo pointing at the repository that holds the migrations",
        ) from err
    return rel.as_posix() if str(rel) != "." else ""


def is_ancestor(repo: Path, ancestor: str, descendant: str) -> bool:
    """``git merge-base --is-ancestor``: True when ``ancestor`` is in ``descendant``'s history."""
    binary = os.environ.get("FLYWAYX_GIT", "git")
    try:
        done = subprocess.run(
            [binary, "-C", str(repo), "merge-base", "--is-ancestor", ancestor, descendant],
            capture_output=True,
            check=False,
        )
    except FileNotFoundError as err:
        raise ToolMissing(f"git is not installed (looked for {binary!r} on PATH)", tool="git") from err
    if done.returncode not in (0, 1):
        raise StateError(f"git merge-base failed in {repo}: {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.returncode == 0
