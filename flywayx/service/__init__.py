"""One function per command: gather -> plan -> apply -> result value. Never prints.

The names below are imported from their module on first use (``__getattr__``), so ``flywayx info``
loads ``status`` and the session kernel, not migrate's engine (docs/decisions/startup.md).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flywayx.service.admin import baseline, clean, repair
    from flywayx.service.core import MigrateOptions, migrate, plan
    from flywayx.service.kernel import load_statements, session
    from flywayx.service.status import info, validate
    from flywayx.service.validation import validation_error

_HOME = {
    **dict.fromkeys(("baseline", "clean", "repair"), "admin"),
    **dict.fromkeys(("MigrateOptions", "migrate", "plan"), "core"),
    **dict.fromkeys(("load_statements", "session"), "kernel"),
    **dict.fromkeys(("info", "validate"), "status"),
    "validation_error": "validation",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'flywayx.service' has no attribute {name!r}")
    return getattr(importlib.import_module(f"flywayx.service.{home}"), name)


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
