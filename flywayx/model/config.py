"""The effective configuration of one run: Flyway's keys (snake_case) plus flywayx's own.

Built by ``flywayx.config.load.load_config`` from files, environment and command line with
Flyway's precedence. Values here are already typed and defaulted; nothing reads the environment
after this object exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed connection URL. ``dialect`` is ``mysql``, ``mariadb``, ``postgresql`` or ``sqlite``.

    For SQLite, ``database`` is the file path (``:memory:`` allowed). ``password`` is never
    printed: use ``redacted`` for display.
    """

    dialect: str
    host: str | None = None
    port: int | None = None
    database: str | None = None
    user: str | None = None
    # repr=False: the password (and the original text, which may hold it) must never be shown.
    password: str | None = field(default=None, repr=False)
    params: tuple[tuple[str, str], ...] = ()
    original: str = field(default="", repr=False)
    unix_socket: str | None = None

    @property
    def redacted(self) -> str:
        """The URL as given, with any password replaced by ``***``."""
        from flywayx.model.redact import redact_text, redact_url

        # redact_url stops a userinfo password at '/', which parse_url allows (as SQLAlchemy
        # does); so the password is also removed as written and as decoded.
        written = re.match(r"^[A-Za-z][A-Za-z0-9+.:-]*?://[^:/?#@]*:(?P<pw>[^@?#]*)@", self.original)
        secrets = sorted({written["pw"] if written else "", self.password or ""}, key=len, reverse=True)
        return redact_text(redact_url(self.original), secrets)


@dataclass(frozen=True)
class Config:
    """Effective configuration. Field names are Flyway's keys in snake_case."""

    url: DatabaseUrl | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    schemas: tuple[str, ...] = ()
    default_schema: str | None = None
    locations: tuple[str, ...] = ("filesystem:sql",)
    table: str = "flyway_schema_history"
    tablespace: str | None = None
    sql_migration_prefix: str = "V"
    repeatable_sql_migration_prefix: str = "R"
    baseline_migration_prefix: str = "B"
    undo_sql_migration_prefix: str = "U"
    sql_migration_separator: str = "__"
    sql_migration_suffixes: tuple[str, ...] = (".sql",)
    encoding: str = "UTF-8"
    detect_encoding: bool = False
    placeholder_replacement: bool = True
    placeholder_prefix: str = "${"
    placeholder_suffix: str = "}"
    placeholder_separator: str = ":"
    placeholders: tuple[tuple[str, str], ...] = ()
    target: str = "latest"
    out_of_order: bool = False
    validate_on_migrate: bool = True
    validate_migration_naming: bool = False
    ignore_migration_patterns: tuple[str, ...] = ("*:future",)
    baseline_version: str = "1"
    baseline_description: str = "<< Flyway Baseline >>"
    baseline_on_migrate: bool = False
    clean_disabled: bool = True
    create_schemas: bool = True
    mixed: bool = False
    group: bool = False
    execute_in_transaction: bool = True
    skip_executing_migrations: bool = False
    installed_by: str | None = None
    skip_default_callbacks: bool = False
    callback_locations: tuple[str, ...] = ()
    connect_retries: int = 0
    connect_retries_interval: int = 120
    init_sql: str | None = None
    lock_retry_count: int = 50
    fail_on_missing_locations: bool = False
    environment: str = "default"
    working_directory: str | None = None
    output_type: str = "text"
    output_file: str | None = None
    postgresql_transactional_lock: bool = True
    # flywayx's own keys
    releases_file: str | None = None
    lock_timeout: float = 600.0
    connect_timeout: float | None = None  # seconds; None: the URL's JDBC parameter, else 10 (db/timeouts.py)
    socket_timeout: float | None = None  # seconds; None: the URL's JDBC parameter, else no limit
    cache_dir: str | None = None  # the analysis cache; None: $XDG_CACHE_HOME/flywayx or ~/.cache/flywayx
    cache: bool = True  # reuse and store analyses in the cache (--no-cache: off)
    # procedures whose CALL migrate --resume may send again (as a plugin's Procedure(repeatable=True))
    resume_repeatable_procedures: tuple[str, ...] = ()
    # Flyway keys flywayx accepts but does not use (driver, jdbcProperties.*, ...); repr=False
    # because some (jdbcProperties.password) are secrets.
    extra: tuple[tuple[str, str], ...] = field(default_factory=tuple, repr=False)

    @property
    def placeholder_map(self) -> dict[str, str]:
        """User placeholders keyed by lower-cased name (lookup is case-insensitive)."""
        return {k.lower(): v for k, v in self.placeholders}
