"""Compiled token patterns for the statement splitter, one set per (dialect, delimiter).

Each pattern reproduces one branch of Flyway's ``Parser.readToken`` (flyway-semantics.md §9), tried in
the same order, so a regex match ends exactly where Flyway's reader would stop. Two extra "bulk"
patterns (MySQL family, ``;`` delimiter only) swallow long runs of tokens that cannot change the
splitter's state; they are what makes splitting fast (see ``split_engine``). Pure: no I/O.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from flywayx.statements.dialects import DIALECTS as LEXICAL

Matcher = Callable[[str, int], "re.Match[str] | None"]

# Java's Character.isWhitespace (no-break spaces excluded) and String.trim (chars <= U+0020).
JAVA_WS = "\t\n\x0b\x0c\r\x1c-\x1f \u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000"
JAVA_TRIM = "".join(chr(i) for i in range(33))

MYSQL_FAMILY = frozenset(name for name, f in LEXICAL.items() if f.family == "mysql")
DIALECTS = frozenset(LEXICAL)

# Flyway peeks this many characters ahead; a delimiter longer than that is never recognised.
PEEK_DEPTH = {name: f.peek_depth for name, f in LEXICAL.items()}

_KP = r"[\w$]"  # PeekingReader.isKeywordPart: '_', '$', letter or digit


def _quoted(q: str, backslash: bool) -> str:
    """A literal or identifier opened by ``q``: ``qq`` escapes, optionally ``\\`` too; may be unclosed."""
    e = re.escape(q)
    if backslash:
        return rf"{e}(?:[^{e}\\]++|\\[\s\S]?|{e}{e})*+{e}?"
    return rf"{e}(?:[^{e}]++|{e}{e})*+{e}?"


def _dots(q: str, kp: str) -> str:
    """Parser.readAdditionalIdentifierParts: up to two ``.part`` suffixes, quoted or bare."""
    part = rf"\.(?:{_quoted(q, False)}|{kp}*+)"
    return rf"(?:{part}(?:{part})?)?"


def _keyword_part(delimiter: str) -> str:
    """A keyword character; a delimiter starting with a keyword character ends the word early."""
    if re.match(_KP, delimiter[:1]):
        return rf"(?:(?!{re.escape(delimiter)}){_KP})"
    return _KP


@dataclass(frozen=True)
class Lexer:
    """Match functions for one dialect and delimiter; ``bulk_*`` are None where no fast path exists."""

    token: Matcher
    bulk_in: Matcher | None
    bulk_top: Matcher | None
    trivia: Matcher | None = None  # whitespace (trimmed by Java) and line comments before a statement


def _token_pattern(dialect: str, delimiter: str) -> str:
    f = LEXICAL[dialect]  # the dialect's lexical facts (statements/dialects.py)
    kp = _keyword_part(delimiter)
    ident_q = f.identifier_quote
    alts: list[str] = []
    if f.double_quoted_strings:
        alts.append(rf"(?P<dq>{_quoted(chr(34), f.backslash_escapes)})")
    if f.dollar_quotes:
        alts.append(r"(?P<dollar>\$)")
    alts.append(rf"(?P<sq>{_quoted(chr(39), f.backslash_escapes)})")
    alts += [r"(?P<lp>\()", r"(?P<rp>\))"]
    qids = [_quoted(ident_q, False) + _dots(ident_q, kp)]
    # Flyway's SQLite parser reads `...` as an identifier but not [...] (the analyser reads both)
    qids += [_quoted(q, False) + _dots(q, kp) for q in f.other_identifier_quotes if q != "["]
    alts.append("(?P<qid>" + "|".join(qids) + ")")
    if f.versioned_comments:
        alts.append(r"(?P<dir>/\*!\d{5}[\s\S]*?(?:\*/|\Z))")
    if f.hash_comments:
        hash_ok = f"(?!{re.escape(delimiter)})" if delimiter.startswith("#") else ""
        alts.append(rf"(?P<lc>--[^\n\r]*+|{hash_ok}#[^\n\r]*+)")
    elif f.psql_key_lines:
        # pg_dump (15.14+) writes psql's \restrict / \unrestrict key lines: psql keeps them to itself, so
        # flywayx reads them as comments (Flyway sends them and fails)
        alts.append(r"(?P<lc>--[^\n\r]*+|(?<![^\n\r])\\(?:un)?restrict\b[^\n\r]*+)")
    else:
        alts.append(r"(?P<lc>--[^\n\r]*+)")
    alts += [r"(?P<mc>/\*)", r"(?P<num>[0-9]++)"]
    alts.append(rf"(?P<pstr>[BEX]{_quoted(chr(39), True)})")
    alts.append(rf"(?P<ustr>U&{_quoted(chr(39), False)})")
    if len(delimiter) <= PEEK_DEPTH[dialect]:
        alts.append(rf"(?P<delim>{re.escape(delimiter)})")
    alts.append(rf"(?P<word>[^\W\d]{kp}*+{_dots(ident_q, kp)})")
    alts += [r"(?P<sp>[ \r\xa0]++)", rf"(?P<ws>[{JAVA_WS.replace(' ', '')}][{JAVA_WS}]*+)"]
    alts.append(r"(?P<sym>[\s\S])")
    return "|".join(alts)


_NEST = 2  # balanced paren groups nested this deep are swallowed by one bulk match


def _strings_and_comments() -> list[str]:
    return [
        _quoted("'", True),
        _quoted('"', True),
        r"--[^\n\r]*+",
        r"#[^\n\r]*+",
        r"-",
        r"/(?!\*)",
    ]


def _precise_inert(stop_words: tuple[str, ...], top: bool) -> str:
    """Whole tokens, word by word, that are none of ``stop_words`` (nor ``;`` at top level)."""
    semi = ";" if top else ""
    bt_stop = "|".join(f"`{w}`" for w in stop_words)
    alts = [
        rf"[^'\"`()#/\-\w{semi}]++",
        *_strings_and_comments(),
        rf"(?!(?:{bt_stop})(?!\.)){_quoted('`', False)}{_dots('`', _KP)}",
        r"[0-9]++",
        r"U&" + _quoted("'", False),
        rf"(?!(?i:{'|'.join(stop_words)})(?![\w$.]))[^\W\d]{_KP}*+{_dots('`', _KP)}",
        r"\d",
    ]
    return "|".join(alts)


def _plain_inert() -> str:
    """Inside parens, for scripts with no DELIMITER/U&' anywhere: words need no tokenizing at all."""
    return "|".join([r"[^'\"`()#/\-]++", *_strings_and_comments(), _quoted("`", False)])


def _bulk(inert: str, inner: str, stops: str) -> str:
    """A run of ``inert`` tokens and balanced groups of ``inner`` ones, then the ``stops`` char ending it.

    Group 1 is that paren (or, at top level, ``;``), if any, so the caller tracks nesting and ends
    statements without a token walk. The match may be empty. Tokens inside parens never change
    state except through a DELIMITER keyword or a ``/*`` comment, which ``inner`` stops at.
    """
    group = rf"\((?:{inner})*+\)"
    for _ in range(_NEST - 1):
        group = rf"\((?:{inner}|{group})*+\)"
    return rf"(?:{inert}|{group})*+([{stops}])?"


def _bulk_lexer(token: Matcher, dialect: str, plain: bool) -> Lexer:
    top_words: tuple[str, ...] = ("CASE", "END", "DELIMITER")
    if dialect == "mariadb" and not plain:
        top_words += ("NOT",)
    inner = _plain_inert() if plain else _precise_inert(("DELIMITER",), False)
    top = _precise_inert(top_words, True)
    in_match = re.compile(_bulk(inner, inner, "()")).match
    return Lexer(token, in_match, re.compile(_bulk(top, inner, "();")).match, _trivia(True))


@functools.lru_cache(maxsize=64)
def lexer(dialect: str, delimiter: str, plain: bool = False) -> Lexer:
    """The compiled patterns for ``dialect`` with ``delimiter`` in force (cached).

    ``plain`` may be set only for a script that contains neither ``delimiter`` nor ``atomic`` (any
    case) nor ``U&'``: see ``needs_precise_bulk``.
    """
    token = re.compile(_token_pattern(dialect, delimiter)).match
    if dialect not in MYSQL_FAMILY:
        return Lexer(token, None, None, _trivia(False))
    if delimiter != ";":
        return Lexer(token, None, None, None if delimiter.startswith("#") else _trivia(True))
    return _bulk_lexer(token, dialect, plain)


def _trivia(hash_comments: bool) -> Matcher:
    hashes = r"|#[^\n\r]*+" if hash_comments else ""
    return re.compile(rf"(?:[\t\n\x0b\x0c\r\x1c-\x1f ]++|--[^\n\r]*+{hashes})*+").match


def needs_precise_bulk(text: str) -> bool:
    """True if ``text`` holds a word or literal that only word-by-word bulk scanning gets right."""
    if "U&'" in text:
        return True
    low = text.lower()  # plain substring tests: far faster than a case-insensitive regex search
    return "delimiter" in low or "atomic" in low


_MC_MARK = re.compile(r"\*/|/\*")


def block_comment(text: str, start: int) -> tuple[int, str]:
    """End and text of a nested ``/* */`` comment opening at ``start`` (Parser.handleMultilineComment).

    The text is the comment body without the markers of nested comments, as Flyway's token text.
    An unterminated comment runs to the end of the input.
    """
    depth = 0
    pos = start + 2
    parts: list[str] = []
    while True:
        m = _MC_MARK.search(text, pos)
        if m is None:
            parts.append(text[pos:])
            return len(text), "".join(parts)
        parts.append(text[pos : m.start()])
        pos = m.end()
        if m.group() == "/*":
            depth += 1
        elif depth == 0:
            return pos, "".join(parts)
        else:
            depth -= 1


def dollar_quote(text: str, start: int) -> int:
    """End of a PostgreSQL ``$tag$...$tag$`` string opening at ``start`` (handleAlternativeStringLiteral).

    Flyway reads the tag up to the next ``$`` wherever it is, and its look-ahead never crosses a
    line end, so a tag containing a newline is never found again: the string runs to the end.
    """
    close = text.find("$", start + 1)
    if close < 0:
        return len(text)
    tag = text[start : close + 1]
    if "\n" in tag:
        return len(text)
    end = text.find(tag, close + 1)
    return len(text) if end < 0 else end + len(tag)
