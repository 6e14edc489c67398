"""ScriptRunner-dialect SQL (acs-corpus.md §4.1) to standard MySQL.

CloudStack's ``ScriptRunner`` reads a script line by line: a line whose trimmed form starts with
``--``, ``//`` or ``#`` (or is blank) is skipped; a line whose trimmed form ends with ``;`` ends the
statement, keeping the text before its last ``;``; any other line is cut at its first ``--`` (even
inside a string) and appended; lines are joined with a space; an unterminated tail is dropped.

``convert`` writes the statements ScriptRunner would send, each terminated so that the ``mariadb``
client, Flyway and flywayx split the file into exactly those statements: a statement holding a
``;`` of its own (the "leading semicolon" procedure bodies) is wrapped in ``DELIMITER``; a line
break is kept only where the joined text is outside any string or comment, so every byte the server
receives is what ScriptRunner sends, up to whitespace. Comment lines between statements are kept
(with ``--`` followed by a space); comment lines inside a statement are dropped, as ScriptRunner
drops them. The dropped tail is reported and written out commented.
"""

from __future__ import annotations

from dataclasses import dataclass

from flywayx_cloudstack.issues import Issue

_COMMENT_PREFIXES = ("--", "//", "#")
_DELIMITERS = ("$$", "//", ";;", "$$$")


@dataclass(frozen=True)
class Converted:
    """The converted text, the statements it sends, and the unterminated tail ScriptRunner drops."""

    text: str
    statements: tuple[str, ...]
    dropped_tail: str
    broken: tuple[int, ...] = ()  # indexes into ``statements`` written commented out


def scriptrunner_statements(text: str) -> tuple[list[list[str]], list[str], str]:
    """Emulate ScriptRunner: statements as lists of line fragments (join with a space to get the
    text sent), the comment lines met outside statements (in order, with their statement index),
    and the dropped tail."""
    statements: list[list[str]] = []
    comments: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        trimmed = line.strip(" \t\r\n\f\v\0")
        if not trimmed or trimmed.startswith(_COMMENT_PREFIXES):
            if trimmed and not current:
                comments.append(f"{len(statements)}\t{trimmed}")
            continue
        if trimmed.endswith(";"):
            current.append(line[: line.rfind(";")])
            statements.append(current)
            current = []
        else:
            cut = line.find("--")
            current.append(line if cut < 0 else line[:cut])
    return statements, comments, "\n".join(current)


def sent_text(fragments: list[str]) -> str:
    """The exact text ScriptRunner sends for one statement (fragments joined by a space)."""
    return "".join(f + " " for f in fragments)


class _Scanner:
    """MySQL lexical state across fragments: quotes, backticks, comments, bare semicolons."""

    def __init__(self) -> None:
        self.state = "normal"  # normal | ' | " | ` | line | block
        self.bare_semicolon = False

    def feed(self, text: str) -> None:
        i, n = 0, len(text)
        while i < n:
            c = text[i]
            if self.state == "normal":
                i = self._normal(text, i, c)
            elif self.state in "'\"`":
                if c == "\\" and self.state != "`":
                    i += 2
                    continue
                if c == self.state:
                    self.state = "normal"
                i += 1
            elif self.state == "block":
                if text.startswith("*/", i):
                    self.state, i = "normal", i + 2
                else:
                    i += 1
            else:  # a line comment swallows the rest: ScriptRunner sends no line breaks
                i = n

    def _normal(self, text: str, i: int, c: str) -> int:
        if c in "'\"`":
            self.state = c
        elif c == "#" or (text.startswith("--", i) and (i + 2 >= len(text) or text[i + 2].isspace())):
            self.state = "line"
        elif text.startswith("/*", i):
            self.state = "block"
            return i + 2
        elif c == ";":
            self.bare_semicolon = True
        return i + 1


def _render(fragments: list[str]) -> tuple[str, bool, bool, bool]:
    """Lay out one statement; returns (text, needs a DELIMITER block, ends inside a comment,
    ends inside a quote)."""
    scanner = _Scanner()
    out: list[str] = []
    for k, frag in enumerate(fragments):
        scanner.feed(frag + " ")
        out.append(frag.rstrip() if scanner.state == "normal" else frag + " ")
        if k + 1 < len(fragments):
            out.append("\n" if scanner.state == "normal" else "")
    body = "".join(out).strip("\n")
    return body, scanner.bare_semicolon, scanner.state in ("line", "block"), scanner.state in "'\"`"


def _comment(line: str) -> str:
    for prefix in _COMMENT_PREFIXES:
        if line.startswith(prefix):
            rest = line[len(prefix) :].strip()
            return f"-- {rest}" if rest.strip("-;") else ""
    return f"-- {line}"


def _emit(body: str, bare_semicolon: bool, in_comment: bool) -> str:
    if not bare_semicolon:
        return body + ("\n;" if in_comment else ";")
    delim = next((d for d in _DELIMITERS if d not in body), "$$$$")
    return f"DELIMITER {delim}\n{body}{chr(10) if in_comment else ''}{delim}\nDELIMITER ;"


def convert(text: str, subject: str = "?") -> tuple[Converted, list[Issue]]:
    """Convert ScriptRunner-dialect ``text``; ``subject`` names the file in issues."""
    statements, comments, tail = scriptrunner_statements(text)
    by_index: dict[int, list[str]] = {}
    for entry in comments:
        idx, line = entry.split("\t", 1)
        if _comment(line):  # bare "--" / "--;" lines carry nothing and "--" alone is fragile
            by_index.setdefault(int(idx), []).append(_comment(line))
    out: list[str] = []
    issues: list[Issue] = []
    broken: list[int] = []
    for k, frags in enumerate(statements):
        out.extend(by_index.get(k, []))
        if not sent_text(frags).strip():
            issues.append(
                Issue(
                    "sql-empty-statement",
                    subject,
                    f"statement {k + 1} is empty; ScriptRunner would fail on it",
                    "error",
                )
            )
            continue
        body, semicolon, in_comment, in_quote = _render(frags)
        if in_quote:  # the server would reject it too: keep it visible, never run it
            issues.append(
                Issue(
                    "sql-broken-statement",
                    subject,
                    f"statement {k + 1} ends inside a string (ScriptRunner cut a '--' in it); commented out",
                    "error",
                )
            )
            broken.append(k)
            out.extend("-- | " + line for line in body.splitlines())
            continue
        out.append(_emit(body, semicolon, in_comment))
    out.extend(by_index.get(len(statements), []))
    if tail.strip():
        issues.append(
            Issue(
                "sql-dropped-tail",
                subject,
                "unterminated text at the end is never run by ScriptRunner; kept commented out",
            )
        )
        out.append("-- ScriptRunner drops this unterminated tail; it is not run:")
        out.extend("-- | " + line for line in tail.splitlines())
    sent = tuple(sent_text(f) for f in statements if sent_text(f).strip())
    return Converted("\n".join(out) + "\n", sent, tail, tuple(broken)), issues
