"""Each dialect's lexical facts, frozen, in one table: the splitter (``split_lexer``) and the analyser's
lexer (``tokens``) both build their patterns from it.

A fact here is what the database's own reader does with a character: which quote opens an identifier,
whether ``"…"`` is a string, whether a backslash escapes inside a literal, whether ``#`` starts a comment,
whether ``/*!NNNNN … */`` is code the server runs, whether ``$tag$`` opens a dollar-quoted body, and how
far Flyway's reader peeks ahead for a delimiter. Adding a dialect starts with a row here.
"""

from __future__ import annotations

from dataclasses import dataclass

# The characters of an unquoted word, shared by every dialect: ASCII letters, digits, ``_`` and ``$``,
# and every character of the Basic Multilingual Plane above U+007F. ``re`` compiles a class holding
# the range ``\u0080-\uffff`` by visiting its 65,408 characters in Python, 1-2 ms of CPU a class paid
# by every run that reads a statement (docs/decisions/startup.md). WORD_START and WORD_CHAR are written
# as the complement of what they leave out (the other ASCII characters, the planes above U+FFFF): they
# compile in a tenth of that and match the same characters (tests/unit/test_word_classes.py).
# WORD_REST keeps the range: it also holds ``\w``'s letters above U+FFFF, which a complement cannot
# say, and spelling it as an alternation made the lexer 5-10 % slower on every word.
WORD_START = r"[^\x00-\x40\x5b-\x5e\x60\x7b-\x7f\U00010000-\U0010ffff]"  # [A-Za-z_\u0080-\uffff]
WORD_CHAR = r"[^\x00-\x23\x25-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f\U00010000-\U0010ffff]"  # [A-Za-z0-9_$\u0080-\uffff]
WORD_REST = r"[\w$\u0080-\uffff]*"


@dataclass(frozen=True)
class LexicalFacts:
    """How one dialect's reader sees characters (see the module docstring)."""

    family: str  # "mysql", "postgresql" or "sqlite": dialects of one family read text the same way
    identifier_quote: str  # the quote of identifiers (Flyway's splitter knows only this one, plus sqlite's `)
    other_identifier_quotes: tuple[str, ...]  # further quotes the database accepts for identifiers
    double_quoted_strings: bool  # "…" is a string literal, not an identifier
    backslash_escapes: bool  # a backslash escapes the next character inside '…' (and "…")
    escape_strings: bool  # E'…' literals with backslash escapes (PostgreSQL)
    dollar_quotes: bool  # $tag$ … $tag$ bodies (PostgreSQL)
    hash_comments: bool  # '#' starts a line comment
    versioned_comments: bool  # /*!NNNNN … */ is code the server runs (MySQL, MariaDB)
    psql_key_lines: bool  # pg_dump's \restrict / \unrestrict lines, which psql keeps to itself
    peek_depth: int  # Flyway's PeekingReader depth: a longer delimiter is never recognised


_MYSQL = LexicalFacts(
    family="mysql",
    identifier_quote="`",
    other_identifier_quotes=(),
    double_quoted_strings=True,
    backslash_escapes=True,
    escape_strings=False,
    dollar_quotes=False,
    hash_comments=True,
    versioned_comments=True,
    psql_key_lines=False,
    peek_depth=8,
)

DIALECTS: dict[str, LexicalFacts] = {
    "mysql": _MYSQL,
    "mariadb": _MYSQL,
    "postgresql": LexicalFacts(
        family="postgresql",
        identifier_quote='"',
        other_identifier_quotes=(),
        double_quoted_strings=False,
        backslash_escapes=False,
        escape_strings=True,
        dollar_quotes=True,
        hash_comments=False,
        versioned_comments=False,
        psql_key_lines=True,
        peek_depth=3,
    ),
    "sqlite": LexicalFacts(
        family="sqlite",
        identifier_quote='"',
        other_identifier_quotes=("`", "["),
        double_quoted_strings=False,
        backslash_escapes=False,
        escape_strings=False,
        dollar_quotes=False,
        hash_comments=False,
        versioned_comments=False,
        psql_key_lines=False,
        peek_depth=3,
    ),
}

# Other spellings of a dialect's name the analyser accepts (a URL scheme, a short name).
ALIASES = {"postgres": "postgresql", "pg": "postgresql"}


def facts(dialect: str) -> LexicalFacts:
    """The facts of ``dialect`` (any case, aliases accepted); an unknown name reads as MySQL, as the
    analyser always has (it never raises)."""
    name = dialect.lower()
    return DIALECTS.get(ALIASES.get(name, name), _MYSQL)
