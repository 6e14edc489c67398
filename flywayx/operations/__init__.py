"""Declarative migrations: an operations file (``V5__rename_email.toml``) that flywayx compiles into the
expand, data and contract SQL of each dialect, so the release before and the release after the
change both keep working while an upgrade rolls (docs/online-upgrades.md, docs/decisions/operations.md).

- ``spec``: the TOML format, checked (pure Python, ``tomllib``).
- ``compile``: operations -> statements per phase and the exact footprint of each part.
- ``ddl`` / ``shadow``: each dialect's DDL through SQLAlchemy's DDL compiler (imported only when a
  file is compiled), the sync triggers and the batched backfills.

A file is one or two migrations: its first part (expand and data statements) under the file's own
version, and — when it has contract work or declares ``contract_version`` — its contract part under
``contract_version`` (default: the file's version followed by ``.1``), script ``<file>#contract``.
Both record the file's checksum (Flyway's CRC32 over its lines).
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import TYPE_CHECKING, Any

# A scan asks ``is_operations`` of every file: ``compile`` and ``spec`` (and the names re-exported from
# them, ``__getattr__``) are imported only when a project has an operations file.
if TYPE_CHECKING:
    from flywayx.model.migration import Statement
    from flywayx.operations.compile import Compiled, Part, dialect_matches
    from flywayx.operations.spec import (
        OPERATIONS,
        OperationError,
        OperationFile,
        contract_version_of,
        has_contract,
        parse,
    )

_HOME = {
    **dict.fromkeys(("Compiled", "Part", "dialect_matches"), "compile"),
    **dict.fromkeys(
        ("OPERATIONS", "OperationError", "OperationFile", "contract_version_of", "has_contract", "parse"), "spec"
    ),
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'flywayx.operations' has no attribute {name!r}")
    return getattr(importlib.import_module(f"flywayx.operations.{home}"), name)


SUFFIX = ".toml"
CONTRACT_MARK = "#contract"


def is_operations(path: str) -> bool:
    """Whether a migration's file is an operations file."""
    return path.lower().endswith(SUFFIX)


def contract_script(script: str) -> str:
    """The script name the contract part of the file ``script`` is recorded under."""
    return script + CONTRACT_MARK


def is_contract_part(script: str) -> bool:
    return script.endswith(CONTRACT_MARK)


@lru_cache(maxsize=256)
def _compiled(text: str, path: str, dialect: str) -> Compiled:
    from flywayx.operations.compile import compile_file
    from flywayx.operations.spec import parse

    return compile_file(parse(text, path), dialect)


def compiled(text: str, path: str, dialect: str) -> Compiled:
    """The file's text compiled for ``dialect`` (cached by text); raises OperationError."""
    return _compiled(text, path, dialect)


def part(text: str, path: str, script: str, dialect: str) -> Part:
    """The part of the file a migration with this ``script`` name runs (its first or its contract part)."""
    from flywayx.operations.spec import OperationError

    c = compiled(text, path, dialect)
    if is_contract_part(script):
        if c.contract is None:
            raise OperationError(f"{path}: has no contract part", path=path)
        return c.contract
    return c.first


def statements(text: str, path: str, script: str, dialect: str) -> list[Statement]:
    return list(part(text, path, script, dialect).statements)


__all__ = [
    "CONTRACT_MARK",
    "OPERATIONS",
    "SUFFIX",
    "Compiled",
    "OperationError",
    "OperationFile",
    "Part",
    "compiled",
    "contract_script",
    "contract_version_of",
    "dialect_matches",
    "has_contract",
    "is_contract_part",
    "is_operations",
    "parse",
    "part",
    "statements",
]
