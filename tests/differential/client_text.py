"""The text the real client is given: a migration file as Flyway reads it (placeholders replaced, §6), and
on MariaDB the two spots where the ``mariadb`` client reads a file otherwise than Flyway's parser (§9.1):
a ``DELIMITER`` line with nothing after it, and a ``--comment`` line with no space after the dashes between
two statements, which the client's default drops but ``mariadb --comments`` (needed so routine bodies keep
their comments, as Flyway sends them) would send to the server as two minus signs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BARE_DELIMITER = re.compile(r"(?im)^([ \t]*DELIMITER)[ \t]*\n\s*(\S+)[ \t]*$")
DASH_LINE = re.compile(r"[ \t]*--[^\s]")
DELIMITER_LINE = re.compile(r"(?i)[ \t]*DELIMITER[ \t]+(\S+)")


class PlaceholderMissing(Exception):
    pass


def replace_placeholders(text: str, values: dict[str, str], prefix: str = "${", suffix: str = "}") -> str:
    """Flyway's replacement (§6.1, §6.3): ``${name}`` looked up case-insensitively, the value inserted
    as-is and not rescanned, comments and strings included. Flyway's reader takes the prefix one character
    at a time and passes over what it read when a character parts from the prefix, that character included:
    ``$${a}`` stays as it is with the default prefix; ``${a}`` stays with the prefix ``$${``."""
    lowered = {k.lower(): v for k, v in values.items()}
    out: list[str] = []
    pos = scan = 0
    while (start := text.find(prefix[0], scan)) >= 0:
        read = 1
        while read < len(prefix) and text[start + read : start + read + 1] == prefix[read]:
            read += 1
        if read < len(prefix):
            scan = start + read + 1
            continue
        end = text.find(suffix, start + read)
        if end < 0:
            break
        name = text[start + read : end]
        if name.lower() not in lowered:
            raise PlaceholderMissing(f"No value provided for placeholder: {prefix}{name}{suffix}")
        out += [text[pos:start], lowered[name.lower()]]
        pos = scan = end + len(suffix)
    return "".join([*out, text[pos:]])


def for_mariadb_client(text: str) -> str:
    """``text`` as the ``mariadb --comments`` client runs what Flyway runs: a bare ``DELIMITER`` joined to the
    next non-empty line (the client wants one line), the ``--comment`` lines between statements dropped."""
    return drop_dash_lines(BARE_DELIMITER.sub(r"\1 \2", text))


def drop_dash_lines(text: str) -> str:
    """``text`` without the ``--comment`` lines (no space after the dashes) that stand between statements.
    The server reads such a line as two minus signs; the mariadb client drops it when no statement is
    pending, but not with ``--comments``, which the check needs for routine bodies. Strings (with backslash
    escapes), comments and ``DELIMITER`` are followed so a line inside a literal or a statement stays."""
    out: list[str] = []
    scan = _Scan()
    for line in text.splitlines(keepends=True):
        if scan.between() and DASH_LINE.match(line):
            continue
        if scan.between() and (m := DELIMITER_LINE.match(line)):
            scan.delimiter = m.group(1)
        else:
            scan.feed(line)
        out.append(line)
    return "".join(out)


@dataclass
class _Scan:
    """Where a MariaDB script stands, line by line: inside a quote or a block comment, a statement pending."""

    delimiter: str = ";"
    quote: str = ""
    block: bool = False
    pending: bool = False

    def between(self) -> bool:
        return not (self.quote or self.block or self.pending)

    def feed(self, line: str) -> None:
        i = 0
        while i < len(line):
            ch = line[i]
            if self.block:
                end = line.find("*/", i)
                self.block, i = end < 0, len(line) if end < 0 else end + 2
            elif self.quote:
                escaped = ch == "\\" and self.quote != "`"
                doubled = ch == self.quote and line[i + 1 : i + 2] == ch  # a doubled quote stays in the literal
                self.quote = "" if ch == self.quote and not doubled else self.quote
                i += 2 if escaped or doubled else 1
            elif line.startswith(self.delimiter, i):
                self.pending, i = False, i + len(self.delimiter)
            elif line.startswith("/*", i) and not line.startswith("/*!", i):
                self.block, i = True, i + 2
            elif ch == "#" or (line.startswith("--", i) and line[i + 2 : i + 3] in ("", " ", "\t", "\r", "\n")):
                return
            else:
                self.quote = ch if ch in "'\"`" else ""
                self.pending, i = self.pending or not ch.isspace(), i + 1
