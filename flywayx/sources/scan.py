"""Finding migrations on disk as Flyway 13 resolves them (flyway-semantics.md §1.4-1.6, §3, §6.4, §7).

``scan(config, placeholders)`` walks every ``filesystem:`` location recursively (hidden directories
skipped, files in path order) and returns a ScanResult: the resolved migrations (versioned and
baseline by version, then repeatables by description), the SQL/``.py`` callbacks per event, the
invalid names, warnings, and the Flyway Teams undo migrations (``U4__x.sql``: recognised, never
run). It raises only typed errors: duplicates, invalid names under ``validate_migration_naming``,
missing locations under ``fail_on_missing_locations``, unreadable or undecodable migration files
(an entry named like a migration or callback that is a dangling symbolic link, a directory, a FIFO or
a file this user cannot read is an error naming its path, never skipped),
unresolvable placeholders in repeatables.

Python migrations (``V1__x.py``, ``R__x.py``, a module with ``def migrate(conn)``) are recorded
as type SCRIPT. Their checksum is computed exactly like a SQL file's -- the CRC of the file text,
and for repeatables of the text after replacing ``FP__name__`` script placeholders -- because
that is what Flyway's own ``ScriptMigrationResolver`` computes for a ``.py`` script, so Flyway
and flywayx agree on the checksum of the same file. Other script types (``.sh``, ``.ps1`` ...)
are reported as warnings: flywayx cannot run them.

``placeholders`` is the effective map (user values merged with the ``flyway:*`` built-ins, see
``placeholders.merge_placeholders``); ``flyway:filename`` is set here for each repeatable.

Walking the locations lives in ``flywayx.sources.locations``, per-script ``.conf`` settings in
``flywayx.sources.script_conf`` (both re-exported here); Flyway's order and its duplicate
checks in ``flywayx.sources.order``; this module turns file names into migrations and callbacks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flywayx import operations
from flywayx.errors import ChecksumError, FlywayxError, MigrationNameError
from flywayx.model.config import Config
from flywayx.model.migration import Kind, Migration, MigrationType, ResourceName
from flywayx.model.version import Version
from flywayx.sources.checksum import checksum_of_text, read_migration_text
from flywayx.sources.file_index import FileIndex, text_digest
from flywayx.sources.locations import FoundFile, find_files, location_path
from flywayx.sources.names import (
    AliasName,
    NamingConfig,
    is_candidate,
    parse_alias,
    parse_resource_name,
)
from flywayx.sources.order import check_duplicates, java_order, order_callbacks, resolved_order
from flywayx.sources.placeholders import replace_placeholders, with_filename
from flywayx.sources.script_conf import ScriptConfig, parse_script_config, script_config

__all__ = [
    "OTHER_SCRIPT_SUFFIXES",
    "PYTHON_SUFFIX",
    "SCRIPT_PLACEHOLDER_PREFIX",
    "SCRIPT_PLACEHOLDER_SUFFIX",
    "InvalidName",
    "ScanResult",
    "ScriptConfig",
    "check_duplicates",
    "find_files",
    "java_order",
    "location_path",
    "order_callbacks",
    "parse_script_config",
    "scan",
    "script_config",
]

PYTHON_SUFFIX = ".py"
OTHER_SCRIPT_SUFFIXES = (".sh", ".bash", ".ps1", ".cmd", ".bat")
SCRIPT_PLACEHOLDER_PREFIX, SCRIPT_PLACEHOLDER_SUFFIX = "FP__", "__"


@dataclass(frozen=True)
class InvalidName:
    """A candidate file whose name Flyway rejects; ``message`` is Flyway's text."""

    path: str
    script: str
    message: str


@dataclass(frozen=True)
class ScanResult:
    """Everything found in the locations. ``migrations`` are in Flyway's resolved order."""

    migrations: list[Migration] = field(default_factory=list)
    callbacks: dict[str, list[Migration]] = field(default_factory=dict)
    invalid: list[InvalidName] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    undo: list[Migration] = field(default_factory=list)  # Flyway Teams undo files: known, never run
    # path -> the text read for the checksum, so a run reads each file once (``kernel.statements_of``)
    texts: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    # path -> (SHA-256 of the text, placeholder prefix occurs) of the versioned files the file index
    # knows: unchanged since an earlier scan (not read: ``sources/file_index.py``) or read and recorded
    # by this one; the analysis cache's key is made from the digest (the text is not hashed twice)
    digests: dict[str, tuple[bytes, bool]] = field(default_factory=dict, repr=False, compare=False)
    operation_errors: list[FlywayxError] = field(default_factory=list)  # only with keep_operation_errors

    @property
    def versioned(self) -> list[Migration]:
        return [m for m in self.migrations if m.kind is Kind.VERSIONED]

    @property
    def baselines(self) -> list[Migration]:
        return [m for m in self.migrations if m.kind is Kind.BASELINE]

    @property
    def repeatables(self) -> list[Migration]:
        return [m for m in self.migrations if m.kind is Kind.REPEATABLE]


# --- building migrations -----------------------------------------------------------------------


@dataclass
class _Collector:
    """Mutable state of one scan; turned into a ScanResult at the end."""

    config: Config
    naming: NamingConfig
    placeholders: Mapping[str, str]
    releases: Sequence[Version]
    migrations: list[Migration] = field(default_factory=list)
    callbacks: list[Migration] = field(default_factory=list)
    invalid: list[InvalidName] = field(default_factory=list)
    alias_errors: list[FlywayxError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    undo: list[Migration] = field(default_factory=list)
    unreadable: list[FoundFile] = field(default_factory=list)  # named like a migration, not a readable file
    operation_errors: list[FlywayxError] = field(default_factory=list)  # operations files that do not parse
    take_migrations: bool = True
    take_callbacks: bool = True
    listed: set[str] = field(default_factory=set)  # every path the walk found (``script_config``)
    texts: dict[str, str] = field(default_factory=dict)  # path -> text read for the checksum
    index: FileIndex | None = None  # checksums of the files unchanged since an earlier scan
    digests: dict[str, tuple[bytes, bool]] = field(default_factory=dict)  # ScanResult.digests

    def wants(self, kind: Kind | None) -> bool:
        return self.take_callbacks if kind is Kind.CALLBACK else self.take_migrations

    def take(self, file: FoundFile, name: ResourceName, alias_of: str | None = None) -> None:
        """Build and keep the migration or callback, unless this pass does not collect its kind."""
        if self.wants(name.kind):
            target = self.callbacks if name.kind is Kind.CALLBACK else self.migrations
            target.append(_migration(file, name, self, alias_of))


def _checksums(
    file: FoundFile, name: ResourceName, kind: Kind, conf: ScriptConfig, col: _Collector
) -> tuple[int, int | None]:
    """(checksum, raw checksum) -- the raw one only for repeatables, as Flyway's equivalentChecksum."""
    config = col.config
    encoding = conf.encoding or config.encoding
    if kind is not Kind.REPEATABLE and col.index is not None:
        known = col.index.lookup(file.path, file.stat, encoding, config.detect_encoding)
        if known is not None:
            col.digests[file.path] = known[1], known[2]
            return known[0], None
    text = read_migration_text(file.path, encoding, config.detect_encoding)
    col.texts[file.path] = text
    raw = checksum_of_text(text)
    if kind is not Kind.REPEATABLE:
        if col.index is not None:
            marked = bool(config.placeholder_prefix) and config.placeholder_prefix in text
            digest = text_digest(text)
            col.index.record(file.path, file.stat, encoding, config.detect_encoding, raw, digest, marked)
            col.digests[file.path] = digest, marked
        return raw, None
    replacing = conf.placeholder_replacement
    if not (config.placeholder_replacement if replacing is None else replacing):
        return raw, raw
    values = with_filename(col.placeholders, name.rebuilt_filename, config.placeholder_separator)
    if file.path.endswith(PYTHON_SUFFIX):
        prefix, suffix = SCRIPT_PLACEHOLDER_PREFIX, SCRIPT_PLACEHOLDER_SUFFIX
    else:
        prefix, suffix = config.placeholder_prefix, config.placeholder_suffix
    replaced = replace_placeholders(text, values, prefix, suffix, config.placeholder_separator)
    return checksum_of_text(replaced), raw


def _migration(file: FoundFile, name: ResourceName, col: _Collector, alias_of: str | None = None) -> Migration:
    kind = name.kind
    assert kind is not None
    conf = script_config(file.path, col.config, col.listed)
    python = file.path.endswith(PYTHON_SUFFIX) or operations.is_operations(file.path)  # script migrations
    if kind is Kind.CALLBACK:
        checksum, raw = None, None
    else:
        checksum, raw = _checksums(file, name, kind, conf, col)
    mtype = (
        MigrationType.SCRIPT if python else (MigrationType.SQL_BASELINE if kind is Kind.BASELINE else MigrationType.SQL)
    )
    return Migration(
        kind=kind,
        version=name.version,
        description=name.description,
        script=file.script,
        path=file.path,
        type=mtype,
        checksum=checksum,
        raw_checksum=raw,
        location=file.location,
        name=name,
        encoding=conf.encoding or col.config.encoding,
        execute_in_transaction=conf.execute_in_transaction,
        placeholder_replacement=conf.placeholder_replacement,
        should_execute=conf.should_execute,
        alias_of=alias_of,
    )


def _try_alias(file: FoundFile, filename: str, col: _Collector) -> bool:
    """Accept ``V_<version>_<seq>`` names; True when the file was taken as an alias."""
    try:
        alias: AliasName | None = parse_alias(filename, col.releases, prefix=col.naming.sql_prefix)
    except MigrationNameError as err:
        col.alias_errors.append(err)
        return True
    if alias is None:
        return False
    col.take(file, alias.resource_name(col.naming.sql_prefix, col.naming.separator), alias_of=filename)
    col.warnings.append(
        f"{file.script} uses the alias name {filename}, which Flyway ignores; "
        f"'flywayx rename' renames it to {alias.flyway_filename(col.naming.sql_prefix)}"
    )
    return True


def _try_undo(file: FoundFile, filename: str, col: _Collector, suffixes: Sequence[str]) -> bool:
    """Accept a Flyway Teams undo migration (``U4__x.sql``, prefix ``undoSqlMigrationPrefix``): kept
    apart from the migrations, so it is never run; ``info`` shows its version as undoable."""
    prefix = col.config.undo_sql_migration_prefix
    if not prefix or not filename.startswith(prefix):
        return False
    naming = NamingConfig(prefix, "\0", "\0", col.naming.separator, tuple(suffixes))
    name = parse_resource_name(filename, prefixes=naming)
    if not name.valid or name.kind is not Kind.VERSIONED or not is_candidate(filename, prefix, suffixes):
        return False
    if col.take_migrations:
        python = filename.lower().endswith(PYTHON_SUFFIX)
        undo = _migration(file, name, col)
        col.undo.append(dataclasses.replace(undo, type=MigrationType.UNDO_SCRIPT if python else MigrationType.UNDO_SQL))
    return True


def _add_sql(file: FoundFile, filename: str, col: _Collector) -> None:
    name = parse_resource_name(filename, prefixes=col.naming)
    if not name.valid:
        if _try_undo(file, filename, col, col.naming.suffixes):
            return
        if col.take_migrations and not _try_alias(file, filename, col):
            col.invalid.append(InvalidName(file.path, file.script, name.error or ""))
        return
    if name.kind is Kind.CALLBACK or is_candidate(filename, name.prefix, col.naming.suffixes):
        col.take(file, name)
    elif col.take_migrations:  # e.g. R.sql: the parser accepts it, the scanner never offers it
        col.warnings.append(f"Skipping {file.script}: the name has nothing after the prefix")


def _add_script(file: FoundFile, filename: str, col: _Collector) -> None:
    lowered = filename.lower()
    if not lowered.endswith(PYTHON_SUFFIX):
        if (
            lowered.endswith(OTHER_SCRIPT_SUFFIXES)
            and parse_resource_name(filename, prefixes=col.naming.with_suffixes(OTHER_SCRIPT_SUFFIXES)).valid
        ):
            col.warnings.append(f"Skipping {file.script}: flywayx runs only .py script migrations")
        return
    name = parse_resource_name(filename, prefixes=col.naming.with_suffixes((PYTHON_SUFFIX,)))
    if not name.valid:
        if col.take_migrations and not _try_undo(file, filename, col, (PYTHON_SUFFIX,)):
            _try_alias(file, filename, col)  # other .py files (helpers, __init__.py) are not migrations
    elif name.kind is Kind.CALLBACK:
        col.take(file, name)
    elif name.kind is Kind.BASELINE:
        col.warnings.append(f"Skipping {file.script}: baseline migrations must be SQL")
    elif is_candidate(filename, name.prefix, (PYTHON_SUFFIX,)):
        col.take(file, name)


def _add_operations(file: FoundFile, filename: str, col: _Collector) -> None:
    """``V5__x.toml``: an operations file (``flywayx.operations``) is one versioned migration, and a
    second one for its contract part (version ``contract_version``, default ``5.1``) when it has one.
    Other ``.toml`` files (releases.toml, lint.toml, flyway.toml) are not migrations."""
    suffixes = (operations.SUFFIX,)
    name = parse_resource_name(filename, prefixes=col.naming.with_suffixes(suffixes))
    if not name.valid or name.kind is not Kind.VERSIONED or not is_candidate(filename, name.prefix, suffixes):
        return
    if not col.take_migrations:
        return
    first = _migration(file, name, col)
    col.migrations.append(first)
    text = read_migration_text(file.path, first.encoding or col.config.encoding, col.config.detect_encoding)
    try:
        parsed = operations.parse(text, file.script)
    except operations.OperationError as err:
        col.operation_errors.append(err)
        return
    if not operations.has_contract(parsed):
        return
    assert first.version is not None
    declared = operations.contract_version_of(parsed, first.version.text)
    version = Version.try_parse(declared)
    if version is None:
        raise operations.OperationError(
            f"{file.script}: contract_version {declared!r} is not a version",
            hint='write it like a migration version, e.g. "5.1"',
            path=file.path,
        )
    col.migrations.append(
        dataclasses.replace(
            first,
            version=version,
            description=first.description + " (contract)",
            script=operations.contract_script(first.script),
        )
    )


def _named_like_migration(filename: str, col: _Collector) -> bool:
    """Whether the scanner would offer ``filename`` as a migration (V, U, R, B prefixes) or callback,
    were it a file: SQL suffixes and ``.py``."""
    suffixes = (*col.naming.suffixes, PYTHON_SUFFIX)
    prefixes = (
        col.naming.sql_prefix,
        col.naming.repeatable_prefix,
        col.naming.baseline_prefix,
        col.config.undo_sql_migration_prefix,
    )
    if any(p and is_candidate(filename, p, suffixes) for p in prefixes):
        return True
    return parse_resource_name(filename, prefixes=col.naming.with_suffixes(suffixes)).kind is Kind.CALLBACK


def _add_file(file: FoundFile, col: _Collector) -> None:
    filename = file.script.rpartition("/")[2]  # its name: ``script`` is '/'-separated and ends with it
    if file.problem is not None:
        if _named_like_migration(filename, col) and file.path not in {f.path for f in col.unreadable}:
            col.unreadable.append(file)
        return  # a directory is walked into; other odd entries are not migrations
    if filename.lower().endswith(".conf"):
        return  # per-script settings, read with their script
    if is_candidate(filename, "", col.naming.suffixes):
        _add_sql(file, filename, col)
    elif filename.lower().endswith((PYTHON_SUFFIX, *OTHER_SCRIPT_SUFFIXES)):
        _add_script(file, filename, col)
    elif operations.is_operations(filename):
        _add_operations(file, filename, col)


# --- the result ----------------------------------------------------------------------------


def _unreadable_problems(col: _Collector) -> None:
    """Refuse every entry named like a migration that is not a readable regular file: skipping it
    would let a release ship without one of its migrations."""
    if not col.unreadable:
        return
    listed = "; ".join(f"{f.path} {f.problem}" for f in col.unreadable)
    raise ChecksumError(
        f"Cannot read {'a migration' if len(col.unreadable) == 1 else 'migrations'}: {listed}",
        hint="a file named like a migration must be a readable regular file: restore it, fix "
        "its permissions or link, or move it out of the migration locations",
        paths=[f.path for f in col.unreadable],
    )


def _naming_problems(col: _Collector) -> None:
    if col.alias_errors:
        messages = [err.message for err in col.alias_errors]
        raise MigrationNameError("\n".join(messages), hint=col.alias_errors[0].hint, problems=messages)
    if not col.invalid:
        return
    if col.config.validate_migration_naming:
        listing = "\r\n".join(i.message for i in col.invalid)
        raise MigrationNameError(
            "Invalid SQL filenames found:\r\n" + listing,
            hint="rename or remove these files, or set validateMigrationNaming=false to skip them",
            invalid=[i.script for i in col.invalid],
        )
    col.warnings.append(
        f"{len(col.invalid)} SQL migrations were detected but not run because they did not "
        "follow the filename convention. Set 'validateMigrationNaming' to true to list them."
    )


def _collect(locations: Sequence[str], col: _Collector) -> None:
    files = find_files(locations, col.config, col.warnings)
    col.listed = {f.path for f in files}
    for file in files:
        _add_file(file, col)


def scan(
    config: Config,
    placeholders: Mapping[str, str] | None = None,
    *,
    releases: Sequence[Version] = (),
    keep_operation_errors: bool = False,
    index: FileIndex | None = None,
) -> ScanResult:
    """Resolve every migration and callback in ``config.locations`` (see the module docstring).

    ``releases`` are the declared release versions, used only to resolve compact alias names
    (``V_410_B.sql``). Raises typed errors only: an operations file that does not parse raises its
    first problem, unless ``keep_operation_errors`` (``flywayx lint``, which reports them all) keeps
    them in ``ScanResult.operation_errors``. ``index``: take the checksums of the versioned files unchanged
    since an earlier scan from it (``sources/file_index.py``), and record what reading the others gave
    (the caller saves it).
    """
    col = _Collector(config, NamingConfig.from_config(config), placeholders or {}, releases, index=index)
    separate = bool(config.callback_locations)
    col.take_callbacks = not separate and not config.skip_default_callbacks
    _collect(config.locations, col)
    if separate and not config.skip_default_callbacks:
        col.take_migrations, col.take_callbacks = False, True
        _collect(config.callback_locations, col)
    _unreadable_problems(col)
    _naming_problems(col)
    if col.operation_errors and not keep_operation_errors:
        raise col.operation_errors[0]
    migrations = sorted(col.migrations, key=resolved_order)
    check_duplicates(migrations)
    undo = sorted(col.undo, key=resolved_order)
    check_duplicates(undo)
    return ScanResult(
        migrations,
        order_callbacks(col.callbacks),
        col.invalid,
        col.warnings,
        undo,
        col.texts,
        digests=col.digests,
        operation_errors=col.operation_errors,
    )
