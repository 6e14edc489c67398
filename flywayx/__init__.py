"""flywayx: a Flyway-compatible migration tool that understands release lines.

``flywayx.migrate``, ``flywayx.info`` and ``flywayx.validate`` are the Python API (``flywayx.api``);
they are imported on first use, so ``import flywayx`` loads no database driver and no click.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_API = ("migrate", "info", "validate")

__all__ = ["__version__", "info", "migrate", "validate"]


def __getattr__(name: str) -> Any:
    if name in _API:
        from flywayx import api

        return getattr(api, name)
    raise AttributeError(f"module 'flywayx' has no attribute {name!r}")
