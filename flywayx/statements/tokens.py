"""A small, forgiving SQL lexer shared by the analyser and the content id.

``tokenize(sql, dialect)`` returns every token, comments included, and never raises: an
unterminated string or comment simply runs to the end of the text (the splitter reports those).
Quoting follows each dialect's lexical facts (``statements/dialects.py``): MySQL/MariaDB strings are
``'...'`` and ``"..."`` with backslash escapes, identifiers are backticks; PostgreSQL and SQLite quote
identifiers with ``"..."`` (SQLite also ``[...]`` and backticks) and PostgreSQL has ``E'...'`` and
dollar-quoted bodies. ``--`` starts a comment with or without a following space (as Flyway's parser
does), ``#`` too on MySQL.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from flywayx.statements.dialects import WORD_REST, WORD_START, LexicalFacts, facts

WORD, QID, STR, NUM, OP, VAR, COMMENT, EXEC = "word", "qid", "str", "num", "op", "var", "comment", "exec"

_COMMON = {
    "ws": r"\s+",
    "comment": r"--[^\n]*|/\*(?!!\d{5})[\s\S]*?(?:\*/|\Z)",
    "num": r"(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w$])|0[xX][0-9a-fA-F]+",
    "word": WORD_START + WORD_REST,  # [A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*
    "op": r"<=>|<>|!=|<=|>=|:=|::|\|\||&&|->>|->|[-+*/%=<>!~^&|,.;()\[\]{}?:@$\\]",
}
# Bind parameters and variables: a dialect's syntax, not a lexical fact of its reader.
_VARIABLES = {
    "mysql": r"@@?(?:[\w$.]+|`[^`]*`|'[^']*')",
    "postgresql": r"\$\d+|:[A-Za-z_]\w*",
    "sqlite": r"[?]\d*|[:@$][A-Za-z_]\w*",
}
_QUOTE = {"'": "'", '"': '\\"', "`": "`"}  # as written inside a pattern


def _literal(q: str, backslash: bool, fast: bool = False) -> str:
    """A literal or identifier opened by ``q``: ``qq`` escapes, ``\\`` too when ``backslash``; may be unclosed.
    ``fast``: the same matches, written as runs of plain characters between escapes ("unrolled"), so
    the regex engine loops once a run rather than once a character (half the lexer's time)."""
    e = _QUOTE[q]
    if backslash:
        if fast:
            return rf"{e}[^{e}\\]*(?:(?:\\[\s\S]|{e}{e})[^{e}\\]*)*(?:{e}|\Z)"
        return rf"{e}(?:[^{e}\\]|\\[\s\S]|{e}{e})*(?:{e}|\Z)"
    if fast:
        return rf"{e}[^{e}]*(?:{e}{e}[^{e}]*)*(?:{e}|\Z)"
    return rf"{e}(?:[^{e}]|{e}{e})*(?:{e}|\Z)"


def _identifier(q: str, fast: bool = False) -> str:
    return r"\[[^\]]*(?:\]|\Z)" if q == "[" else _literal(q, False, fast)


def _block(opening: str, fast: bool) -> str:
    r"""A block comment from ``opening`` to the first ``*/`` or the end of the text. ``fast``: the same
    match unrolled (runs without ``*`` and runs of ``*`` not followed by ``/``) rather than a lazy
    ``[\s\S]*?``, which tries for ``*/`` at every character."""
    if fast:
        return opening + r"[^*]*(?:\*+[^*/][^*]*)*(?:\*+/|\**\Z)"
    return opening + r"[\s\S]*?(?:\*/|\Z)"


def _dialect_parts(f: LexicalFacts, fast: bool = False) -> dict[str, str]:
    """The patterns that differ per dialect, built from its lexical facts (``statements/dialects.py``).
    ``fast``: the patterns ``_scanner`` uses, which match exactly what the others do (tested)."""
    parts: dict[str, str] = {}
    comment = r"--[^\n]*|" + _block(r"/\*(?!!\d{5})", fast)
    if fast:
        parts["comment"] = comment
    if f.versioned_comments:
        parts["exec"] = _block(r"/\*!\d{5}", fast)
    if f.hash_comments:
        parts["comment"] = r"#[^\n]*|" + comment
    strings = ["[eE]" + _literal("'", True, fast)] if f.escape_strings else []
    strings.append(_literal("'", f.backslash_escapes, fast))
    if f.double_quoted_strings:
        strings.append(_literal('"', f.backslash_escapes, fast))
    if f.dollar_quotes:
        strings.append(r"(?P<dq>\$(?:[A-Za-z_]\w*)?\$)[\s\S]*?(?:(?P=dq)|\Z)")
    parts["str"] = "|".join(strings)
    parts["qid"] = "|".join(_identifier(q, fast) for q in (f.identifier_quote, *f.other_identifier_quotes))
    parts["var"] = _VARIABLES[f.family]
    return parts


def words(text: str) -> list[str]:
    """Whitespace-separated words (keeps long keyword tables readable)."""
    return text.split()


# Words that are SQL keywords (folded by the content id, never taken for column names).
KEYWORDS = frozenset(
    words(
        """
        ACTION ADD AFTER ALGORITHM ALL ALTER ANALYZE AND ANY AS ASC AUTO_INCREMENT BEFORE BEGIN BETWEEN
        BIGINT BINARY BIT BLOB BOOL BOOLEAN BOTH BTREE BY CALL CASCADE CASE CAST CHANGE CHAR CHARACTER
        CHARSET CHECK COLLATE COLUMN COLUMNS COMMENT COMMIT CONSTRAINT CONTINUE CONVERT COPY CREATE
        CROSS CURRENT_TIMESTAMP CURRENT_USER DATABASE DATE DATETIME DAY DEALLOCATE DECIMAL DECLARE
        DEFAULT DEFINER DELAYED DELETE DELIMITER DESC DETERMINISTIC DISTINCT DIV DO DOUBLE DROP
        DUPLICATE EACH ELSE ELSEIF ENCLOSED END ENGINE ENUM ESCAPE EVENT EXCEPT EXCLUSIVE EXECUTE EXISTS
        EXIT FALSE FETCH FIRST FLOAT FOR FORCE FOREIGN FROM FULL FULLTEXT FUNCTION GENERATED GRANT GROUP
        HANDLER HASH HAVING HIGH_PRIORITY IF IGNORE IN INDEX INFILE INNER INOUT INPLACE INSERT INSTANT
        INT INTEGER INTERVAL INTO INVOKER IS ITERATE JOIN JSON KEY KEYS KILL LEADING LEAVE LEFT LIKE
        LIMIT LOCK LONGBLOB LONGTEXT LOOP LOW_PRIORITY MEDIUMBLOB MEDIUMINT MEDIUMTEXT MOD MODIFY
        NATURAL NO NONE NOT NULL NUMERIC ON OPTIMIZE OR ORDER OUT OUTER PARTITION PREPARE PRIMARY
        PROCEDURE READ REAL REFERENCES REGEXP RENAME REPEAT REPLACE RESTRICT RETURN RETURNS REVOKE RIGHT
        ROLLBACK ROW SCHEMA SECURITY SELECT SET SHARED SIGNAL SMALLINT SPATIAL SQL SQLEXCEPTION SQLSTATE
        SQLWARNING START STORED STRAIGHT_JOIN TABLE TABLES TEMPORARY TEXT THEN TIME TIMESTAMP TINYBLOB
        TINYINT TINYTEXT TO TRAILING TRANSACTION TRIGGER TRUE TRUNCATE UNION UNIQUE UNLOCK UNSIGNED
        UNTIL UPDATE USE USING UTF8 UTF8MB4 VALUE VALUES VARBINARY VARCHAR VIEW VIRTUAL WHEN WHERE WHILE
        WITH WRITE XOR YEAR ZEROFILL
        """
    )
)

_ORDER = ("ws", "exec", "comment", "str", "qid", "var", "num", "word", "op")


class Token:
    """One lexeme: ``kind``, the exact ``text``, and ``up`` (upper-cased text of a word, else text).

    A plain slotted class rather than a frozen dataclass: the lexer makes ~300,000 of these for the
    CloudStack corpus and a frozen dataclass's ``__init__`` costs three times as much. Tokens are
    shared through the lexer's cache: never assign to one."""

    __slots__ = ("kind", "pos", "text", "up")

    def __init__(self, kind: str, text: str, up: str, pos: int) -> None:
        self.kind = kind
        self.text = text
        self.up = up
        self.pos = pos

    def __repr__(self) -> str:
        return f"Token({self.kind!r}, {self.text!r}, {self.up!r}, {self.pos})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Token):
            return NotImplemented
        return (self.kind, self.text, self.up, self.pos) == (other.kind, other.text, other.up, other.pos)

    def __hash__(self) -> int:
        return hash((self.kind, self.text, self.up, self.pos))

    @property
    def name(self) -> str:
        """The identifier this token spells, unquoted and lower-cased (words and quoted identifiers)."""
        if self.kind == QID:
            q = self.text[0]
            inner = self.text[1:-1] if len(self.text) > 1 else ""
            return inner.replace(q + q, q).lower() if q != "[" else inner.lower()
        return self.text.lower()


def family(dialect: str) -> str:
    """Normalise a dialect name to ``mysql``, ``postgresql`` or ``sqlite`` (``statements/dialects.py``)."""
    return facts(dialect).family


@cache
def _pattern(fam: str) -> re.Pattern[str]:
    parts = {**_COMMON, **_dialect_parts(facts(fam))}
    return re.compile("|".join(f"(?P<{k}>{parts[k]})" for k in _ORDER if k in parts))


@cache
def _scanner(fam: str) -> re.Pattern[str]:
    """``_pattern`` for ``finditer``: whitespace is taken before each token rather than as one, and a
    character no rule accepts is a token of its own (``any``), so the matches cover the text with no
    gap and the loop runs once a token, in C between them. No rule's match starts with whitespace,
    so the tokens are ``_pattern``'s. Words, most of the tokens, are tried first (the regex engine
    tries the alternatives in order: the other rules first cost 40 % of the scan): no other rule's
    match can start with a word's first character but a PostgreSQL ``E'…'`` string, which is tried
    just before the words (``estr``): where it does not match (``E'\\`` at the end of the text), ``E``
    is a word, as the rules read in order say."""
    f = facts(fam)
    parts = {**_COMMON, **_dialect_parts(f, fast=True)}
    parts["punct"] = r"[,();=]"  # operators that start no other rule and no longer operator
    first: tuple[str, ...] = ("punct",)
    if f.escape_strings:
        parts["estr"] = "[eE]" + _literal("'", True, True)
        first += ("estr",)
    order = (*first, WORD, *(k for k in _ORDER if k not in ("ws", WORD) and k in parts))
    rules = "|".join(f"(?P<{k}>{parts[k]})" for k in order)
    return re.compile(rf"\s*(?:{rules}|(?P<any>\S))")


@cache
def _group_kinds(fam: str) -> tuple[str, ...]:
    """The token kind of each group of ``_scanner(fam)`` by its number (``Match.lastindex``: the
    outermost group that matched, never a group nested in a rule)."""
    kinds = [""] * (_scanner(fam).groups + 1)
    for name, index in _scanner(fam).groupindex.items():
        kinds[index] = _KINDS.get(name, name)
    return tuple(kinds)


def tokenize(sql: str, dialect: str) -> list[Token]:
    """All tokens of ``sql`` except whitespace, comments included, in order.

    Memoised: planning computes a content id and a footprint from the same statements, so each
    statement would otherwise be tokenised twice.
    """
    return list(_tokenize(sql, family(dialect)))


@lru_cache(maxsize=16384)
def _tokenize(sql: str, fam: str) -> tuple[Token, ...]:
    out: list[Token] = []
    add = out.append
    kinds = _group_kinds(fam)
    for m in _scanner(fam).finditer(sql):
        i = m.lastindex or 0
        kind, text = kinds[i], m[i]
        add(Token(kind, text, text.upper() if kind == WORD else text, m.start(i)))
    return tuple(out)


# a character no rule accepts is an operator; a dollar quote and an E-string are strings
_KINDS = {"any": OP, "punct": OP, "dq": STR, "estr": STR}


def code_texts(sql: str, dialect: str, *, fold_all: bool) -> list[str]:
    """The text of every code token of ``sql`` (whitespace and comments dropped), words upper-cased
    when ``fold_all`` or when they are keywords: what the content id hashes. The same lexing as
    ``tokenize``, without building (or caching) tokens, which is most of its cost."""
    out: list[str] = []
    add = out.append
    fam = family(dialect)
    kinds = _group_kinds(fam)
    for m in _scanner(fam).finditer(sql):
        i = m.lastindex or 0
        kind = kinds[i]
        if kind == WORD:
            text = m[i]
            up = text.upper()
            add(up if fold_all or up in KEYWORDS else text)
        elif kind != COMMENT:
            add(m[i])
    return out


def code_tokens(tokens: list[Token]) -> list[Token]:
    """The tokens without comments."""
    return [t for t in tokens if t.kind != COMMENT]


def leading_comments(tokens: list[Token]) -> list[str]:
    """Text of the comments before the first code token."""
    out: list[str] = []
    for t in tokens:
        if t.kind != COMMENT:
            break
        out.append(t.text)
    return out
