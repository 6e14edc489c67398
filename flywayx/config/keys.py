"""The one table of configuration keys: Flyway name -> Config field -> kind -> default -> env var.

Everything else about configuration reads this table: the loader (which keys exist, how to
type them, which env var sets them), and ``docs/configuration.md`` (generated from
``config_reference``). Keys are Flyway's camelCase names; ``placeholders.*`` and
``jdbcProperties.*`` are families. Facts follow Flyway 13 (``ConfigUtils#convertKey`` for the
env var names, ``EnvironmentModel`` for which keys are per environment).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from flywayx.model.config import Config

# Where a key lives. In TOML, "environment" keys go in [environments.<name>] and "flyway" keys
# in [flyway] or [environments.<name>.flyway]; "cli" keys exist only on the command line.
ENVIRONMENT, FLYWAY, CLI = "environment", "flyway", "cli"

# Kinds and how a value is typed: str, bool (true/false), int (32-bit), float (seconds),
# list (comma list, or TOML array), url (parse_url), output (text|json), map (a key family).
KINDS = ("str", "bool", "int", "float", "list", "url", "output", "map")


@dataclass(frozen=True)
class KeySpec:
    """One configuration key. ``field`` is the Config attribute, ``None`` for keys kept in ``extra``."""

    key: str
    field: str | None
    kind: str
    level: str
    env: str | None
    doc: str
    flywayx_only: bool = False
    nonempty: bool = False
    secret: bool = False


def _k(key: str, field: str | None, kind: str, level: str, env: str | None, doc: str, **kw: bool) -> KeySpec:
    return KeySpec(key, field, kind, level, env, doc, **kw)


E, F, C = ENVIRONMENT, FLYWAY, CLI
KEYS: tuple[KeySpec, ...] = (
    # --- connection (per environment) ---
    _k("url", "url", "url", E, "FLYWAY_URL", "Database URL, JDBC or SQLAlchemy style."),
    _k("user", "user", "str", E, "FLYWAY_USER", "User name; falls back to the URL's user."),
    _k("password", "password", "str", E, "FLYWAY_PASSWORD", "Password; else the URL's.", secret=True),
    _k("schemas", "schemas", "list", E, "FLYWAY_SCHEMAS", "Schemas managed by flywayx."),
    _k("connectRetries", "connect_retries", "int", E, "FLYWAY_CONNECT_RETRIES", "Connection retries."),
    _k(
        "connectRetriesInterval",
        "connect_retries_interval",
        "int",
        E,
        "FLYWAY_CONNECT_RETRIES_INTERVAL",
        "Maximum seconds between connection retries.",
    ),
    _k("initSql", "init_sql", "str", E, "FLYWAY_INIT_SQL", "SQL run on every new connection."),
    _k("driver", None, "str", E, "FLYWAY_DRIVER", "JDBC driver class; accepted and ignored."),
    _k(
        "jdbcProperties.*",
        None,
        "map",
        E,
        "FLYWAY_JDBC_PROPERTIES_<NAME>",
        "JDBC driver properties; accepted and ignored.",
        secret=True,
    ),
    _k("displayName", None, "str", E, None, "Environment display name; accepted and ignored."),
    _k("provisioner", None, "str", E, None, "Environment provisioner; accepted and ignored."),
    _k("resolvers.*", None, "map", E, None, "Resolver settings; accepted and ignored."),
    # --- migrations ---
    _k(
        "defaultSchema",
        "default_schema",
        "str",
        F,
        "FLYWAY_DEFAULT_SCHEMA",
        "Schema holding the history table; default the first of schemas.",
    ),
    _k(
        "locations",
        "locations",
        "list",
        F,
        "FLYWAY_LOCATIONS",
        "Where migrations are; relative filesystem: paths resolve against workingDirectory.",
    ),
    _k(
        "callbackLocations",
        "callback_locations",
        "list",
        F,
        "FLYWAY_CALLBACK_LOCATIONS",
        "Extra locations scanned for callbacks only.",
    ),
    _k("table", "table", "str", F, "FLYWAY_TABLE", "Name of the schema history table."),
    _k("tablespace", "tablespace", "str", F, "FLYWAY_TABLESPACE", "Tablespace of the history table."),
    _k(
        "sqlMigrationPrefix",
        "sql_migration_prefix",
        "str",
        F,
        "FLYWAY_SQL_MIGRATION_PREFIX",
        "File prefix of versioned migrations.",
    ),
    _k(
        "repeatableSqlMigrationPrefix",
        "repeatable_sql_migration_prefix",
        "str",
        F,
        "FLYWAY_REPEATABLE_SQL_MIGRATION_PREFIX",
        "File prefix of repeatable migrations.",
    ),
    _k(
        "baselineMigrationPrefix",
        "baseline_migration_prefix",
        "str",
        F,
        "FLYWAY_BASELINE_MIGRATION_PREFIX",
        "File prefix of baseline migrations.",
    ),
    _k(
        "sqlMigrationSeparator",
        "sql_migration_separator",
        "str",
        F,
        "FLYWAY_SQL_MIGRATION_SEPARATOR",
        "Separator between version and description.",
        nonempty=True,
    ),
    _k(
        "sqlMigrationSuffixes",
        "sql_migration_suffixes",
        "list",
        F,
        "FLYWAY_SQL_MIGRATION_SUFFIXES",
        "File suffixes of SQL migrations.",
    ),
    _k("encoding", "encoding", "str", F, "FLYWAY_ENCODING", "Encoding of SQL files."),
    _k("detectEncoding", "detect_encoding", "bool", F, "FLYWAY_DETECT_ENCODING", "Guess file encodings."),
    _k(
        "placeholderReplacement",
        "placeholder_replacement",
        "bool",
        F,
        "FLYWAY_PLACEHOLDER_REPLACEMENT",
        "Replace placeholders in SQL.",
    ),
    _k(
        "placeholderPrefix",
        "placeholder_prefix",
        "str",
        F,
        "FLYWAY_PLACEHOLDER_PREFIX",
        "Start of a placeholder.",
        nonempty=True,
    ),
    _k(
        "placeholderSuffix",
        "placeholder_suffix",
        "str",
        F,
        "FLYWAY_PLACEHOLDER_SUFFIX",
        "End of a placeholder.",
        nonempty=True,
    ),
    _k(
        "placeholderSeparator",
        "placeholder_separator",
        "str",
        F,
        "FLYWAY_PLACEHOLDER_SEPARATOR",
        "Separator in built-in placeholder names (flyway:…).",
        nonempty=True,
    ),
    _k(
        "placeholders.*",
        "placeholders",
        "map",
        F,
        "FLYWAY_PLACEHOLDERS_<NAME>",
        "User placeholders; names are case-insensitive (stored lower-cased).",
    ),
    _k(
        "scriptPlaceholderPrefix",
        None,
        "str",
        F,
        "FLYWAY_SCRIPT_PLACEHOLDER_PREFIX",
        "Script placeholder prefix; accepted and ignored.",
        nonempty=True,
    ),
    _k(
        "scriptPlaceholderSuffix",
        None,
        "str",
        F,
        "FLYWAY_SCRIPT_PLACEHOLDER_SUFFIX",
        "Script placeholder suffix; accepted and ignored.",
        nonempty=True,
    ),
    _k("target", "target", "str", F, "FLYWAY_TARGET", "Version to migrate to."),
    _k("outOfOrder", "out_of_order", "bool", F, "FLYWAY_OUT_OF_ORDER", "Apply late older migrations."),
    _k(
        "validateOnMigrate",
        "validate_on_migrate",
        "bool",
        F,
        "FLYWAY_VALIDATE_ON_MIGRATE",
        "Validate before migrating.",
    ),
    _k(
        "validateMigrationNaming",
        "validate_migration_naming",
        "bool",
        F,
        "FLYWAY_VALIDATE_MIGRATION_NAMING",
        "Fail on files whose names do not parse.",
    ),
    _k(
        "ignoreMigrationPatterns",
        "ignore_migration_patterns",
        "list",
        F,
        "FLYWAY_IGNORE_MIGRATION_PATTERNS",
        "type:state patterns validation ignores.",
    ),
    _k("baselineVersion", "baseline_version", "str", F, "FLYWAY_BASELINE_VERSION", "Baseline version."),
    _k(
        "baselineDescription",
        "baseline_description",
        "str",
        F,
        "FLYWAY_BASELINE_DESCRIPTION",
        "Description of a baseline.",
    ),
    _k(
        "baselineOnMigrate",
        "baseline_on_migrate",
        "bool",
        F,
        "FLYWAY_BASELINE_ON_MIGRATE",
        "Baseline a non-empty schema without history on migrate.",
    ),
    _k("cleanDisabled", "clean_disabled", "bool", F, "FLYWAY_CLEAN_DISABLED", "Refuse the clean command."),
    _k(
        "createSchemas",
        "create_schemas",
        "bool",
        F,
        "FLYWAY_CREATE_SCHEMAS",
        "Create missing schemas. When false, the schema that holds the history table must exist: migrate and "
        "baseline refuse up front otherwise.",
    ),
    _k("mixed", "mixed", "bool", F, "FLYWAY_MIXED", "Allow mixed transactionality."),
    _k("group", "group", "bool", F, "FLYWAY_GROUP", "Apply all pending migrations in one transaction."),
    _k(
        "executeInTransaction",
        "execute_in_transaction",
        "bool",
        F,
        "FLYWAY_EXECUTE_IN_TRANSACTION",
        "Run each migration in a transaction.",
    ),
    _k(
        "skipExecutingMigrations",
        "skip_executing_migrations",
        "bool",
        F,
        "FLYWAY_SKIP_EXECUTING_MIGRATIONS",
        "Record migrations without running them.",
    ),
    _k("installedBy", "installed_by", "str", F, "FLYWAY_INSTALLED_BY", "installed_by; default DB user."),
    _k(
        "skipDefaultCallbacks",
        "skip_default_callbacks",
        "bool",
        F,
        "FLYWAY_SKIP_DEFAULT_CALLBACKS",
        "Ignore callback files in locations.",
    ),
    _k("lockRetryCount", "lock_retry_count", "int", F, "FLYWAY_LOCK_RETRY_COUNT", "Lock attempts."),
    _k(
        "failOnMissingLocations",
        "fail_on_missing_locations",
        "bool",
        F,
        "FLYWAY_FAIL_ON_MISSING_LOCATIONS",
        "Fail when a location does not exist.",
    ),
    _k("environment", "environment", "str", F, None, "Name of the TOML environment to use."),
    _k("outputType", "output_type", "output", F, None, "text or json."),
    _k(
        "postgresql.transactional.lock",
        "postgresql_transactional_lock",
        "bool",
        F,
        "FLYWAY_POSTGRESQL_TRANSACTIONAL_LOCK",
        "PostgreSQL: take the advisory lock per transaction.",
    ),
    # --- Flyway keys flywayx accepts and ignores (kept in Config.extra) ---
    _k("callbacks", None, "list", F, "FLYWAY_CALLBACKS", "Java callback classes; accepted and ignored."),
    _k("resolvers", None, "list", F, "FLYWAY_RESOLVERS", "Java resolvers; accepted and ignored."),
    _k("skipDefaultResolvers", None, "bool", F, "FLYWAY_SKIP_DEFAULT_RESOLVERS", "Accepted and ignored."),
    _k("stream", None, "bool", F, "FLYWAY_STREAM", "Accepted and ignored."),
    _k("batch", None, "bool", F, "FLYWAY_BATCH", "Accepted and ignored."),
    _k("outputQueryResults", None, "bool", F, "FLYWAY_OUTPUT_QUERY_RESULTS", "Accepted and ignored."),
    _k("jarDirs", None, "list", F, "FLYWAY_JAR_DIRS", "Accepted and ignored."),
    _k("licenseKey", None, "str", F, "FLYWAY_LICENSE_KEY", "Accepted and ignored.", secret=True),
    _k(
        "undoSqlMigrationPrefix",
        "undo_sql_migration_prefix",
        "str",
        F,
        "FLYWAY_UNDO_SQL_MIGRATION_PREFIX",
        "File prefix of Flyway Teams undo migrations: recognised and shown by info (Undoable), never run.",
    ),
    _k("errorOverrides", None, "list", F, "FLYWAY_ERROR_OVERRIDES", "Accepted and ignored."),
    _k("dryRunOutput", None, "str", F, "FLYWAY_DRYRUN_OUTPUT", "Accepted and ignored."),
    _k("kerberosConfigFile", None, "str", F, "FLYWAY_KERBEROS_CONFIG_FILE", "Accepted and ignored."),
    _k("reportFilename", None, "str", F, "FLYWAY_REPORT_FILENAME", "Accepted and ignored."),
    _k("reportEnabled", None, "bool", F, None, "Accepted and ignored."),
    _k("failOnMissingTarget", None, "bool", F, None, "Accepted and ignored."),
    _k("communityDBSupportEnabled", None, "bool", F, "FLYWAY_COMMUNITY_DB_SUPPORT_DISABLED", "Accepted and ignored."),
    _k("powershellExecutable", None, "str", F, "FLYWAY_POWERSHELL_EXECUTABLE", "Accepted and ignored."),
    _k("loggers", None, "list", F, "FLYWAY_LOGGERS", "Accepted and ignored."),
    _k("outputProgress", None, "bool", F, None, "Accepted and ignored."),
    _k("outputLogsInJson", None, "bool", F, None, "Accepted and ignored."),
    _k("color", None, "str", F, None, "Accepted and ignored."),
    _k("provisionMode", None, "str", F, None, "Accepted and ignored."),
    # --- command line only ---
    _k("configFiles", None, "list", C, "FLYWAY_CONFIG_FILES", "Extra config files, loaded last."),
    _k("configFileEncoding", None, "str", C, "FLYWAY_CONFIG_FILE_ENCODING", "Encoding of .conf files."),
    _k(
        "workingDirectory",
        "working_directory",
        "str",
        C,
        None,
        "Directory for default config files and relative locations.",
    ),
    _k("outputFile", "output_file", "str", C, None, "Also write JSON output to this file."),
    _k("infoSinceDate", None, "str", C, None, "info: rows installed after this date (dd/MM/yyyy HH:mm), and pending."),
    _k("infoUntilDate", None, "str", C, None, "info: rows installed before this date (dd/MM/yyyy HH:mm)."),
    _k("infoSinceVersion", None, "str", C, None, "info: versions at or above this one, and repeatables."),
    _k("infoUntilVersion", None, "str", C, None, "info: versions at or below this one."),
    _k("infoOfState", None, "str", C, None, "info: only these states (comma list: success,out_of_order,…)."),
    # --- flywayx's own ---
    _k("releases", "releases_file", "str", F, "FLYWAY_RELEASES", "Path of releases.toml.", flywayx_only=True),
    _k(
        "lockTimeout",
        "lock_timeout",
        "float",
        F,
        "FLYWAY_LOCK_TIMEOUT",
        "Seconds to wait for the migration lock.",
        flywayx_only=True,
    ),
    _k(
        "connectTimeout",
        "connect_timeout",
        "float",
        E,
        "FLYWAY_CONNECT_TIMEOUT",
        "Seconds to open a session (TCP, TLS, handshake, login); else the URL's connectTimeout, else 10.",
        flywayx_only=True,
    ),
    _k(
        "socketTimeout",
        "socket_timeout",
        "float",
        E,
        "FLYWAY_SOCKET_TIMEOUT",
        "Seconds to wait for any answer of the server before the run ends (no limit by default); else the "
        "URL's socketTimeout.",
        flywayx_only=True,
    ),
    _k(
        "cacheDir",
        "cache_dir",
        "str",
        F,
        "FLYWAYX_CACHE_DIR",
        "Directory of the analysis cache (statements, content ids, footprints by file content); default "
        "$XDG_CACHE_HOME/flywayx, else ~/.cache/flywayx.",
        flywayx_only=True,
    ),
    _k(
        "cache",
        "cache",
        "bool",
        F,
        "FLYWAYX_CACHE",
        "Reuse and store analyses (and the checksums of unchanged files) in the cache; --no-cache (or false) reads, "
        "checksums and analyses every file afresh and writes nothing.",
        flywayx_only=True,
    ),
    _k(
        "resumeRepeatableProcedures",
        "resume_repeatable_procedures",
        "list",
        F,
        "FLYWAYX_RESUME_REPEATABLE_PROCEDURES",
        "Stored procedures (comma list, case-insensitive, no schema; a trailing * matches a prefix) that check "
        "before they change: a CALL of one that a killed run left in flight is sent again by migrate --resume "
        "instead of being refused.",
        flywayx_only=True,
    ),
)

BY_KEY: dict[str, KeySpec] = {spec.key: spec for spec in KEYS}
BY_ENV: dict[str, KeySpec] = {spec.env: spec for spec in KEYS if spec.env and "<" not in spec.env}
FAMILIES: dict[str, KeySpec] = {spec.key[:-1]: spec for spec in KEYS if spec.key.endswith(".*")}
# Flyway maps this one env var name to a camelCase JDBC property (ConfigUtils).
JDBC_PROPERTY_ENV_NAMES = {"ACCESSTOKEN": "accessToken"}


def spec_for(key: str) -> KeySpec | None:
    """The spec of ``key`` (``placeholders.x`` finds the ``placeholders.*`` family), or ``None``."""
    if key in BY_KEY:
        return BY_KEY[key]
    for prefix, spec in FAMILIES.items():
        if key.startswith(prefix) and len(key) > len(prefix):
            return spec
    return None


def default_of(spec: KeySpec) -> str:
    """The default as documentation shows it, read from ``Config`` itself so the two cannot drift."""
    if spec.field is None:
        return ""
    value = {f.name: f for f in dataclasses.fields(Config)}[spec.field]
    default = value.default if value.default is not dataclasses.MISSING else None
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, tuple):
        return ",".join(str(item) for item in default)
    return "" if default is None else str(default)


def config_reference() -> list[dict[str, str]]:
    """Every key as a row for docs: key, field, type, default, env, where (toml/conf placement), the command-line
    option that sets it, doc."""
    rows: list[dict[str, str]] = []
    for spec in KEYS:
        rows.append(
            {
                "key": spec.key,
                "field": spec.field or "(extra)",
                "type": spec.kind,
                "default": default_of(spec),
                "env": spec.env or "",
                "level": spec.level,
                "flywayx_only": "yes" if spec.flywayx_only else "",
                "option": command_line_option(spec.key),
                "doc": spec.doc,
            }
        )
    return rows


# The options every command accepts, as (key, help), in the order ``--help`` lists them. Each is the key in
# kebab case (``defaultSchema`` -> ``--default-schema``, ``option_name``) and stores its value under the key,
# so the option, the ``-key=value`` form, the environment variable and the file setting are one key. A bool
# key is a flag pair: ``--cache`` / ``--no-cache`` store true / false.
COMMAND_LINE_OPTIONS: tuple[tuple[str, str], ...] = (
    ("url", "Database URL: sqlite:///app.db, mysql://user@host/db, postgresql://…, or jdbc:…"),
    ("user", "Database user."),
    ("password", "Database password (prefer FLYWAY_PASSWORD or --ask-password)."),
    ("schemas", "Comma-separated schemas; the first holds the history table."),
    ("defaultSchema", "Schema that holds the history table."),
    ("locations", "Comma-separated migration locations (filesystem:dir or dir)."),
    ("table", "History table name (default flyway_schema_history)."),
    ("configFiles", "Comma-separated config files (flyway.toml or flyway.conf)."),
    ("environment", "TOML environment to use (default 'default')."),
    ("encoding", "Encoding of migration files (default UTF-8)."),
    ("releases", "releases.toml to use (default: at the root of the first location)."),
    ("lockTimeout", "Seconds to wait for another runner's lock (default 600)."),
    ("connectTimeout", "Seconds to open the database session (default 10)."),
    ("socketTimeout", "Seconds to wait for any answer of the server (default: no limit)."),
    ("installedBy", "Name recorded in installed_by."),
    ("workingDirectory", "Directory relative locations resolve against."),
    ("cacheDir", "Directory of the analysis cache (default ~/.cache/flywayx)."),
    ("cache", "Use the analysis cache (default); --no-cache reads, checksums and analyses every file afresh."),
)


@dataclass(frozen=True)
class CommandOption:
    """An option of one command that sets a key: ``--`` and the key in kebab case (``option_name``), its value
    stored under the key. A ``bool`` key is a ``--x/--no-x`` switch unless ``switch`` is false: then it takes
    ``true`` or ``false`` (``--clean-disabled=false``, as Flyway's ``-cleanDisabled=false``)."""

    key: str
    help: str = ""
    metavar: str | None = None
    switch: bool = True


# The options of a command that set a key, by command, in the order ``--help`` lists them (after the options
# every command accepts). The command's other options (``--dry-run``, ``--to``...) are not keys.
COMMAND_OPTIONS: dict[str, tuple[CommandOption, ...]] = {
    "migrate": (
        CommandOption("target", "Migrate up to this version (latest, current, next, or a version; 'v?' if optional)."),
        CommandOption("outOfOrder", "Apply pending versions below the current one."),
        CommandOption("baselineOnMigrate", "Baseline a non-empty schema without history first."),
        CommandOption("ignoreMigrationPatterns", "Comma-separated type:state patterns validation ignores."),
        CommandOption("validateOnMigrate", "Validate first (default on)."),
        CommandOption(
            "resumeRepeatableProcedures",
            "With --resume: comma-separated procedures whose CALL left in flight may be sent again.",
            "NAMES",
        ),
    ),
    "info": (
        CommandOption("target", "Show states relative to this target version."),
        CommandOption("outOfOrder"),
        CommandOption(
            "infoSinceDate",
            "Only rows installed after DATE (dd/MM/yyyy HH:mm), and pending ones (Flyway's -infoSinceDate).",
            "DATE",
        ),
        CommandOption("infoUntilDate", "Only rows installed before DATE (-infoUntilDate).", "DATE"),
        CommandOption("infoSinceVersion", "Only versions >= V, and repeatables (-infoSinceVersion).", "V"),
        CommandOption("infoUntilVersion", "Only versions <= V (-infoUntilVersion).", "V"),
        CommandOption("infoOfState", "Only these states, e.g. success,out_of_order (-infoOfState).", "STATES"),
    ),
    "validate": (CommandOption("target"), CommandOption("outOfOrder"), CommandOption("ignoreMigrationPatterns")),
    "baseline": (
        CommandOption("baselineVersion", "Version to tag the existing schema with (default 1)."),
        CommandOption("baselineDescription", "Description of the baseline row."),
    ),
    "clean": (CommandOption("cleanDisabled", "Clean is disabled unless --clean-disabled=false.", switch=False),),
}


def command_line_option(key: str) -> str:
    """Where ``key`` is a ``--option``: ``--url (every command)``, ``--target (migrate, info, validate)``, or ""."""
    if key in dict(COMMAND_LINE_OPTIONS):
        return f"{option_name(key)} (every command)"
    commands = [command for command, options in COMMAND_OPTIONS.items() if any(o.key == key for o in options)]
    return f"{option_name(key)} ({', '.join(commands)})" if commands else ""


def parameter_name(key: str) -> str:
    """The Python parameter click gives an option of ``key``: ``outOfOrder`` -> ``out_of_order``."""
    return option_name(key)[2:].replace("-", "_")


def is_flag_key(key: str) -> bool:
    """Whether the command-line option of ``key`` is a flag pair (a bool key)."""
    return BY_KEY[key].kind == "bool"


def option_name(key: str) -> str:
    """The command-line option of a key: ``--`` and the key in kebab case."""
    return "--" + re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", key).lower()
