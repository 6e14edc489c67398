"""The text of a new operations file (``flywayx new --op rename_column --arg table=account ...``).

Each ``--arg KEY=VALUE`` becomes ``KEY = VALUE``: a value that reads as a TOML value (``true``,
``1000``, ``["a", "b"]``, ``{ name = "c", type = "INT" }``) is written as given, anything else as a
string. The file is checked like any operations file before it is written, so a missing or unknown
key fails with the operation's keys in the hint.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence

from flywayx.operations.spec import OPERATIONS, OperationError, parse


def _value(raw: str) -> str:
    try:
        tomllib.loads(f"v = {raw}")
        return raw
    except tomllib.TOMLDecodeError:
        return json.dumps(raw)  # a TOML basic string: JSON's escapes are TOML's


def operation_file(op: str, args: Sequence[str], description: str, name: str) -> str:
    """The checked text of an operations file with one ``op`` built from ``KEY=VALUE`` args."""
    if op not in OPERATIONS:
        raise OperationError(f"unknown operation {op!r}", hint=f"use one of {', '.join(OPERATIONS)}")
    lines = [
        f"# {description}",
        "# Operations file: flywayx compiles it into expand, data and contract steps",
        "# (docs/online-upgrades.md). `flywayx explain` shows the SQL of each phase.",
        "",
        "[[operations]]",
        f'op = "{op}"',
    ]
    for arg in args:
        key, sep, raw = arg.partition("=")
        if not sep or not key.strip():
            raise OperationError(f"--arg {arg!r} is not KEY=VALUE", hint="e.g. --arg table=account")
        lines.append(f"{key.strip()} = {_value(raw.strip())}")
    text = "\n".join(lines) + "\n"
    parse(text, name)  # raises OperationError naming what is missing or wrong
    return text


__all__ = ["operation_file"]
