"""Content ids: identity of a change from what it does, not from where it sits or how it is laid out.

``content_id`` hashes the statements after normalising away what cannot change their meaning:
comments, whitespace between tokens, the case of keywords (and, on PostgreSQL and SQLite, of
unquoted identifiers, which those databases fold themselves). String literals, quoted identifiers,
numbers and MySQL ``/*!NNNNN ...*/`` versioned comments are kept byte for byte, so any change a
database could notice changes the id. The dialect is not hashed: the same text is the same change.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Sequence

from flywayx.errors import ChecksumError
from flywayx.model.migration import Statement
from flywayx.statements.tokens import COMMENT, KEYWORDS, WORD, code_texts, family, tokenize

# Separates tokens and statements in the hashed text; neither can occur inside a token.
_TOKEN_SEP = " "
_STATEMENT_SEP = "\n\x00\n"


def normalized_statement(sql: str, dialect: str, *, lexed: bool = False) -> str:
    """The canonical text of one statement: code tokens joined by single spaces, case folded.
    ``lexed``: the analyser has just tokenised ``sql`` (``tokenize`` keeps the tokens): fold those
    rather than lex the text again; the result is the same."""
    # MySQL keeps the case of table names on case-sensitive file systems: fold only keywords there.
    fold_all = family(dialect) != "mysql"
    if lexed:
        return _TOKEN_SEP.join(
            t.up if t.kind == WORD and (fold_all or t.up in KEYWORDS) else t.text
            for t in tokenize(sql, dialect)
            if t.kind != COMMENT
        )
    return _TOKEN_SEP.join(code_texts(sql, dialect, fold_all=fold_all))


def content_id(statements: Sequence[Statement], dialect: str, *, lexed: bool = False) -> str:
    """SHA-256 hex of the normalised statements, in order; empty statements are skipped.

    Reformatting, re-indenting or commenting a migration keeps its id; changing a literal, a name,
    an operator or the order of statements changes it. ``lexed``: see ``normalized_statement``.
    """
    texts = (normalized_statement(s.sql, dialect, lexed=lexed) for s in statements)
    joined = _STATEMENT_SEP.join(t for t in texts if t)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def content_id_of_python(source: str) -> str:
    """SHA-256 hex of a Python migration's syntax tree, so comments and layout do not count.

    Raises ``ChecksumError`` if the source does not parse.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise ChecksumError(
            f"cannot compute the content id: Python syntax error at line {err.lineno}: {err.msg}",
            hint="fix the migration so that `python -m py_compile` accepts it",
        ) from err
    return hashlib.sha256(ast.dump(tree).encode("utf-8")).hexdigest()
