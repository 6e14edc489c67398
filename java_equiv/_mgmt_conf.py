"""The management server's configuration files, found the way CloudStack's upgrade steps find them.

The Java asks its class path for ``db.properties`` or ``commands.properties``; on a management
server the first entry of that class path is the configuration directory,
``/etc/cloudstack/management`` for a package install. flywayx has no class path: it reads the
directory named by ``CLOUDSTACK_CONF_DIR``, by default that same directory. Run flywayx on the
management server (or point the variable at a copy of its configuration) and a port sees what the
Java sees; a file that is not there is absent, as it is for the Java, which then uses its defaults.

``load_properties`` reads ``java.util.Properties`` text: ``#``/``!`` comments, ``=``, ``:`` or
white space between key and value, a trailing backslash continuing a line, and the ``\\t \\n \\r
\\f \\uXXXX`` escapes; a later key wins.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_CONF_DIR = "/etc/cloudstack/management"
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def conf_file(name: str) -> Path | None:
    """``name`` in the management server's configuration directory, or None when it is not there."""
    path = Path(os.environ.get("CLOUDSTACK_CONF_DIR") or DEFAULT_CONF_DIR) / name
    return path if path.is_file() else None


def properties(name: str) -> dict[str, str]:
    """The properties of configuration file ``name``; empty when it is absent (the Java's behaviour)."""
    path = conf_file(name)
    return load_properties(path.read_text(encoding="latin-1")) if path is not None else {}


def load_properties(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in _logical_lines(text):
        key, value = _split(line)
        out[_unescape(key)] = _unescape(value)
    return out


def _logical_lines(text: str) -> list[str]:
    """Non-blank, non-comment lines with continuations joined (leading blanks of a continuation dropped)."""
    out: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.lstrip(" \t\f")  # leading blanks never count, on a continuation either
        if not pending and (not line or line[0] in "#!"):
            continue
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2 == 1:  # an odd number of backslashes: the line goes on
            pending += line[:-1]
            continue
        out.append(pending + line)
        pending = ""
    if pending:
        out.append(pending)
    return out


def _split(line: str) -> tuple[str, str]:
    i = 0
    while i < len(line):
        c = line[i]
        if c == "\\":
            i += 2
            continue
        if c in "=: \t\f":
            break
        i += 1
    key, rest = line[:i], line[i:]
    rest = rest.lstrip(" \t\f")
    if rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip(" \t\f")
    return key, rest


def _unescape(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c != "\\" or i + 1 == len(text):
            out.append(c)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "u" and i + 6 <= len(text):
            out.append(chr(int(text[i + 2 : i + 6], 16)))
            i += 6
            continue
        out.append(_ESCAPES.get(nxt, nxt))
        i += 2
    return "".join(out)
