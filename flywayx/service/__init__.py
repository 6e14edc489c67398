"""One function per command: gather -> plan -> apply -> result value. Never prints."""

from flywayx.service.admin import baseline, clean, repair
from flywayx.service.core import MigrateOptions, info, migrate, plan, validate
from flywayx.service.kernel import load_statements, session
from flywayx.service.validation import validation_error

__all__ = [
    "MigrateOptions",
    "baseline",
    "clean",
    "info",
    "load_statements",
    "migrate",
    "plan",
    "repair",
    "session",
    "validate",
    "validation_error",
]
