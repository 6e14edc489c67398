"""Pending migrations: written without choosing a release, frozen into one when it is cut.

A pending migration of line ``4.6`` is named ``V4.6.<stamp>__<description>.sql`` where ``<stamp>``
is the UTC time to the second followed by six random digits (``4.6.20261123193000482113``). That
version

- parses as a Flyway version and sorts after every release the line will ever have (no real
  release has a third part of twenty digits), so it belongs to the line's unreleased head and
  ``flywayx migrate`` applies it on a developer's database like any other migration;
- is not a prefix of, nor prefixed by, any release name, so merging a maintenance release into the
  branch never changes which release it belongs to;
- differs between two branches that each run ``flywayx new``, even in the same second, unless the
  6-digit random parts collide (one chance in a million per pair of same-second files).

``flywayx release cut X`` renames the pending migrations to ``V<X>.1__…``, ``V<X>.2__…`` in the
order git gives them -- a migration added on top of another one comes after it, whatever the
clocks of the two machines said -- and, where git cannot order them (parallel branches), in the
order of their stamps; see ``freeze_names``. The content does not change, so the content id does
not either: a database that ran the pending file has already run the frozen one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flywayx.errors import ConfigError, StateError, UsageError
from flywayx.model.release import version_parts
from flywayx.model.version import PENDING_STAMP_DIGITS, Version

STAMP_DIGITS = PENDING_STAMP_DIGITS
_WORD = re.compile(r"[^0-9A-Za-z]+")


def slug(description: str) -> str:
    """File-name form of a description: runs of anything but letters and digits become ``_``."""
    text = _WORD.sub("_", description).strip("_")
    if not text:
        raise UsageError(
            f"description {description!r} has no letters or digits",
            hint='describe the change, e.g. flywayx new "add foo column"',
        )
    return text


def pending_version(line: str, now: datetime, nonce: int) -> str:
    """``<line>.<YYYYMMDDHHMMSS><nonce:06>``: unique per branch, after every release of the line."""
    if not 0 <= nonce < 1_000_000:
        raise ValueError("nonce must have at most six digits")
    stamp = now.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    return f"{line}.{stamp}{nonce:06d}"


def create_pending(
    directory: Path,
    line: str,
    description: str,
    now: datetime,
    nonce: int,
    suffix: str = ".sql",
    content: str | None = None,
) -> Path:
    """Create a pending migration in ``directory`` (empty, or holding ``content``); never overwrites a file."""
    name = f"V{pending_version(line, now, nonce)}__{slug(description)}{suffix}"
    path = directory / name
    body = (
        f"-- {description}\n-- Pending migration of line {line}: `flywayx release cut` gives it its final\n"
        "-- version. Write the SQL below; do not rename the file.\n"
    )
    if suffix == ".py":
        body = f'"""{description} (pending migration of line {line})."""\n\n\ndef migrate(conn):\n    pass\n'
    if content is not None:
        body = content
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as f:
            f.write(body)
    except FileExistsError as err:
        raise StateError(f"{path} already exists", hint="run the command again (a new stamp is drawn)") from err
    except OSError as err:
        raise ConfigError(f"cannot write {path}: {err}", file=str(path)) from err
    return path


@dataclass(frozen=True)
class Rename:
    old: Path
    new: Path


def freeze_names(
    pending: Sequence[tuple[Path, Version, str, str]], release: str, taken: Sequence[Version] = ()
) -> list[Rename]:
    """New names for pending migrations ``(path, version, raw description, suffix)``, in the order
    given: ``V<release>.<n>`` numbered from 1 (after any ``taken`` version ``<release>.<n>``)."""
    base = version_parts(Version.parse(release))
    used = [version_parts(v) for v in taken]
    start = max((p[len(base)] for p in used if len(p) == len(base) + 1 and p[: len(base)] == base), default=0)
    out = []
    for n, (path, _version, desc, suffix) in enumerate(pending, start=start + 1):
        name = f"V{release}.{n}__{desc}{suffix}" if desc else f"V{release}.{n}{suffix}"
        out.append(Rename(path, path.with_name(name)))
    return out


def apply_renames(renames: Sequence[Rename]) -> None:
    """Rename every file, after checking that no target exists (nothing is renamed otherwise)."""
    clash = [r.new for r in renames if r.new.exists()]
    if clash:
        raise StateError(f"cannot freeze: {clash[0]} already exists", hint="remove or rename it first")
    for r in renames:
        r.old.rename(r.new)


def append_table(path: Path, table: str, depth: int) -> None:
    """Append a ``[release."X"]`` table to ``releases.toml`` (created with ``[lines]`` if absent)."""
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else f"[lines]\ndepth = {depth}\n"
        sep = "" if text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        path.write_text(text + sep + table, encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot update {path}: {err}", file=str(path)) from err
