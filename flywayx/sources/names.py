"""Migration file names parsed exactly as Flyway 13's ``ResourceNameParser`` does.

Contract (flyway-semantics.md §1):

* one list of (prefix, kind) pairs -- versioned, repeatable, every callback event id, baseline --
  stably sorted longest prefix first; the first prefix the suffix-less name starts with
  (case-sensitively) wins;
* the first configured suffix that matches case-insensitively is removed (none -> suffix "");
* the rest is split at the *first* separator: left is the version text, right the raw
  description; every ``_`` of the raw description becomes a space;
* invalid names are returned as values with ``error`` set to Flyway's exact message (they are
  not exceptions: the scanner collects them, ``validateMigrationNaming`` decides what to do).

Also here: the callback event ids (§7) in Flyway's ``Event`` order, the scanner's candidate
filter (``StringUtils.startsAndEndsWith``) and Java migration class names (§1.7).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flywayx.errors import MigrationNameError, VersionError
from flywayx.model.config import Config
from flywayx.model.migration import Kind, ResourceName
from flywayx.model.version import Version

# Flyway's Event enum, in declaration order (callbacks for one event sort after this order).
# The "operation finish" events of clean/validate/undo/repair/baseline all reuse the id
# afterInfoOperationFinish in Flyway, so each id appears once here.
CALLBACK_EVENTS: tuple[str, ...] = (
    "beforeClean",
    "afterClean",
    "afterCleanError",
    "beforeMigrate",
    "beforeEachMigrate",
    "beforeEachMigrateStatement",
    "afterEachMigrateStatement",
    "afterEachMigrateStatementError",
    "afterEachMigrate",
    "afterEachMigrateError",
    "beforeRepeatables",
    "afterVersioned",
    "afterMigrateApplied",
    "afterMigrate",
    "afterMigrateError",
    "beforeUndo",
    "beforeEachUndo",
    "beforeEachUndoStatement",
    "afterEachUndoStatement",
    "afterEachUndoStatementError",
    "afterEachUndo",
    "afterEachUndoError",
    "afterUndo",
    "afterUndoError",
    "beforeValidate",
    "afterValidate",
    "afterValidateError",
    "beforeBaseline",
    "afterBaseline",
    "afterBaselineError",
    "beforeRepair",
    "afterRepair",
    "afterRepairError",
    "beforeInfo",
    "afterInfo",
    "afterInfoError",
    "afterMigrateOperationFinish",
    "afterInfoOperationFinish",
    "createSchema",
    "beforeCreateSchema",
    "beforeConnect",
    "afterConnect",
)
_EVENT_RANK = {event: i for i, event in enumerate(CALLBACK_EVENTS)}


def event_rank(event: str) -> int:
    """Position of ``event`` in Flyway's Event order (callbacks of one run fire in this order)."""
    return _EVENT_RANK[event]


@dataclass(frozen=True)
class NamingConfig:
    """The naming settings that decide how a file name parses."""

    sql_prefix: str = "V"
    repeatable_prefix: str = "R"
    baseline_prefix: str = "B"
    separator: str = "__"
    suffixes: tuple[str, ...] = (".sql",)

    @classmethod
    def from_config(cls, config: Config) -> NamingConfig:
        return cls(
            sql_prefix=config.sql_migration_prefix,
            repeatable_prefix=config.repeatable_sql_migration_prefix,
            baseline_prefix=config.baseline_migration_prefix,
            separator=config.sql_migration_separator,
            suffixes=tuple(config.sql_migration_suffixes),
        )

    def with_suffixes(self, suffixes: Sequence[str]) -> NamingConfig:
        return NamingConfig(
            self.sql_prefix, self.repeatable_prefix, self.baseline_prefix, self.separator, tuple(suffixes)
        )

    def prefixes(self) -> list[tuple[str, Kind]]:
        """(prefix, kind) pairs, longest first; equal lengths keep the order V, R, events, B."""
        return list(_prefix_table(self)[0])


_Pairs = tuple[tuple[str, Kind], ...]


def _prefix_table(naming: NamingConfig) -> tuple[_Pairs, dict[str, _Pairs], tuple[tuple[str, int], ...]]:
    """``naming``'s (prefix, kind) pairs in match order, and the same pairs by the first character a
    name must start with (an empty prefix matches every name, so it is in every list): a name is
    compared with a few prefixes, not all 46; the suffixes lower-cased, with their lengths. Computed
    once per ``NamingConfig`` and kept on it."""
    table: tuple[_Pairs, dict[str, _Pairs], tuple[tuple[str, int], ...]] | None = naming.__dict__.get("_table")
    if table is not None:
        return table
    pairs = [(naming.sql_prefix, Kind.VERSIONED), (naming.repeatable_prefix, Kind.REPEATABLE)]
    pairs += [(event, Kind.CALLBACK) for event in CALLBACK_EVENTS]
    pairs.append((naming.baseline_prefix, Kind.BASELINE))
    ordered = tuple(sorted(pairs, key=lambda pair: -len(pair[0])))  # sorted() is stable
    firsts = {p[0] for p, _ in ordered if p}
    by_first = {c: tuple(pk for pk in ordered if not pk[0] or pk[0][0] == c) for c in firsts}
    by_first[""] = tuple(pk for pk in ordered if not pk[0])
    table = (ordered, by_first, tuple((suffix.lower(), len(suffix)) for suffix in naming.suffixes))
    object.__setattr__(naming, "_table", table)  # a cache, not a field: equality and hash ignore it
    return table


DEFAULT_NAMING = NamingConfig()


def is_candidate(filename: str, prefix: str, suffixes: Sequence[str]) -> bool:
    """Whether the scanner offers ``filename`` for ``prefix`` (``StringUtils.startsAndEndsWith``).

    The name must start with ``prefix`` (case-sensitive), end with one of ``suffixes``
    (case-insensitive) and be longer than prefix plus that suffix.
    """
    if not filename.startswith(prefix):
        return False
    lowered, room = filename.lower(), len(filename) - len(prefix)
    for suffix in suffixes:  # noqa: SIM110 - a loop, not any() over a generator: called twice a file found
        if room > len(suffix) and lowered.endswith(suffix.lower()):
            return True
    return False


def _invalid(filename: str, message: str) -> ResourceName:
    return ResourceName(
        filename=filename, prefix="", kind=None, raw_version="", version=None, description="", suffix="", error=message
    )


def parse_resource_name(filename: str, *, prefixes: NamingConfig = DEFAULT_NAMING) -> ResourceName:
    """Parse ``filename`` (no directory part); invalid names come back with ``error`` set."""
    by_first, suffixes = _prefix_table(prefixes)[1:]
    stem, suffix = filename, ""
    lowered = filename.lower()
    for lowered_suffix, size in suffixes:
        if lowered.endswith(lowered_suffix):
            stem, suffix = filename[: len(filename) - size], filename[len(filename) - size :]
            break
    match = next((pk for pk in by_first.get(stem[:1]) or by_first[""] if stem.startswith(pk[0])), None)
    if match is None:
        return _invalid(filename, f"Unrecognised migration name format: {filename}")
    prefix, kind = match
    sep = prefixes.separator
    left, found, raw_desc = stem[len(prefix) :].partition(sep)
    if not found:
        left, raw_desc = stem[len(prefix) :], ""
    version: Version | None = None
    if kind is Kind.VERSIONED or kind is Kind.BASELINE:
        version = Version.try_parse(left) if left else None
        if version is None:
            return _invalid(filename, _version_error(filename, prefix, left, sep, raw_desc, suffix))
    elif left:
        return _invalid(
            filename,
            f"Invalid repeatable migration / callback name format: {filename} (It cannot "
            f"contain a version and should look like this: {prefix}{sep}"
            f"{raw_desc or 'description'}{suffix})",
        )
    return ResourceName(filename, prefix, kind, left, version, raw_desc.replace("_", " "), suffix, sep, None, raw_desc)


def _version_error(filename: str, prefix: str, left: str, sep: str, raw_desc: str, suffix: str) -> str:
    if not left:
        return (
            f"Invalid versioned migration name format: {filename} (It must contain a version "
            f"and should look like this: {prefix}1.2{sep}{raw_desc or 'description'}{suffix})"
        )
    return f"Invalid versioned migration name format: {filename} (could not recognise version number {left})"


def filename_without_suffix(name: ResourceName) -> str:
    """``ResourceName.getFilenameWithoutSuffix``: prefix+version[+sep+description] (spaces kept).

    Flyway identifies callback scripts by this text ("Found more than 1 SQL callback script").
    """
    if not name.description:
        return f"{name.prefix}{name.raw_version}"
    return f"{name.prefix}{name.raw_version}{name.separator}{name.description}"


def parse_java_migration_name(class_name: str) -> tuple[Version | None, str]:
    """Version and description of a Java migration class (``V1_2__Add_user``), as Flyway reads it.

    Only used to understand history rows of type JDBC. Raises MigrationNameError with Flyway's
    message when the name is malformed.
    """
    if class_name[:1] not in ("V", "R"):
        raise MigrationNameError(
            f"Invalid Java-based migration class name: {class_name} => ensure it starts with V or R"
        )
    prefix, repeatable = class_name[0], class_name[0] == "R"
    left, found, right = class_name[1:].partition("__")
    description = right.replace("_", " ") if found else ""
    if left.strip():
        if repeatable:
            raise MigrationNameError(
                f"Wrong repeatable migration name format: {class_name} (It cannot "
                f"contain a version and should look like this: R__{description})"
            )
        try:
            return Version.parse(left), description
        except VersionError as exc:
            raise MigrationNameError(
                f"Wrong versioned migration name format: {class_name} (could not recognise version number {left})"
            ) from exc
    if not repeatable:
        raise MigrationNameError(
            f"Wrong versioned migration name format: {class_name} (It must contain "
            f"a version and should look like this: {prefix}1.2__{description})"
        )
    return None, description


# --- the seed-style alias V_<version>_<seq>.<ext> (DESIGN.md), which Flyway itself rejects ---

ALIAS_SUFFIXES = (".sql", ".py")


@dataclass(frozen=True)
class AliasName:
    """An alias file name resolved to the Flyway version it stands for."""

    filename: str
    version: Version
    release: Version
    seq: int
    suffix: str

    def flyway_filename(self, prefix: str = "V") -> str:
        """The Flyway name ``flywayx rename`` gives it: ``V<release>.<seq><suffix>`` (no description)."""
        return f"{prefix}{self.version.text}{self.suffix}"

    def resource_name(self, prefix: str = "V", separator: str = "__") -> ResourceName:
        return ResourceName(
            filename=self.flyway_filename(prefix),
            prefix=prefix,
            kind=Kind.VERSIONED,
            raw_version=self.version.text,
            version=self.version,
            description="",
            suffix=self.suffix,
            separator=separator,
            raw_description="",
        )


def seq_number(letters: str) -> int:
    """A=1, B=2, ... Z=26, AA=27 (bijective base 26)."""
    value = 0
    for ch in letters:
        value = value * 26 + (ord(ch) - ord("A") + 1)
    return value


def _digits(version: Version) -> str:
    return version.text.replace(".", "")


def _alias_release(text: str, filename: str, releases: Sequence[Version]) -> Version:
    if "." in text:
        return Version.parse(text)
    matches = sorted({r for r in releases if not r.is_special and _digits(r) == text})
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise MigrationNameError(
            f"Cannot resolve alias {filename}: no declared release is written {text} without dots",
            hint="declare the release in releases.toml, or write the version with dots "
            f"(e.g. V_{'.'.join(text)}_A{filename[filename.rfind('.') :]})",
            filename=filename,
        )
    listed = ", ".join(m.text for m in matches)
    raise MigrationNameError(
        f"Ambiguous alias {filename}: {text} could be release {listed}",
        hint="write the version with dots to say which release is meant",
        filename=filename,
        candidates=[m.text for m in matches],
    )


def parse_alias(
    filename: str, releases: Sequence[Version] = (), *, prefix: str = "V", suffixes: Sequence[str] = ALIAS_SUFFIXES
) -> AliasName | None:
    """Resolve ``V_<version>_<seq>.<ext>``; None when ``filename`` is not written that way.

    ``<version>`` is dotted (``4.1.0``, used as written) or compact digits (``410``) matched
    against ``releases`` by their digits; no match or several matches raise MigrationNameError.
    ``<seq>`` is upper-case letters (A=1...). The result's version is ``<release>.<seq>``.
    """
    lowered = filename.lower()
    suffix = next((filename[len(filename) - len(s) :] for s in suffixes if lowered.endswith(s.lower())), None)
    head = f"{prefix}_"
    if suffix is None or not filename.startswith(head):
        return None
    body = filename[len(head) : len(filename) - len(suffix)]
    text, sep, letters = body.rpartition("_")
    if not sep or not letters.isascii() or not letters.isalpha() or not letters.isupper():
        return None
    if not text or not all(part.isascii() and part.isdigit() for part in text.split(".")):
        return None
    release = _alias_release(text, filename, releases)
    seq = seq_number(letters)
    return AliasName(filename, Version.parse(f"{release.text}.{seq}"), release, seq, suffix)
