"""The analyser's lexer (statements/tokens.py) covers the text: every character is in exactly
one token or in the whitespace between two, each token's text is the text at its position, and the
content id's token texts are those tokens' (comments dropped, words folded as the dialect folds)."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from flywayx.statements.tokens import COMMENT, KEYWORDS, WORD, code_texts, tokenize

PIECES = [
    *"ab_ \t\n'\"`$;:@?#-/*!.,()[]{}0123456789eExX\\ü€",
    "--",
    "/*",
    "*/",
    "$$",
    "$x$",
    "/*!40101",
    "E'",
    "@@",
    "::",
    "->>",
    "select",
    "SeLeCt",
]
SQL = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(SQL, st.sampled_from(["mysql", "mariadb", "postgresql", "sqlite"]))
def test_tokens_cover_the_text(sql: str, dialect: str) -> None:
    tokens = tokenize(sql, dialect)
    at = 0
    for t in tokens:
        assert t.pos >= at and sql[at : t.pos].strip() == ""  # only whitespace between tokens
        assert t.text and sql[t.pos : t.pos + len(t.text)] == t.text
        assert t.up == (t.text.upper() if t.kind == WORD else t.text)
        at = t.pos + len(t.text)
    assert sql[at:].strip() == ""
    fold_all = dialect in ("postgresql", "sqlite")
    assert code_texts(sql, dialect, fold_all=fold_all) == [
        t.up if t.kind == WORD and (fold_all or t.up in KEYWORDS) else t.text for t in tokens if t.kind != COMMENT
    ]


def _one_rule_at_a_time(sql: str, dialect: str) -> list[tuple[str, str, int]]:
    """The tokens as ``_pattern`` (the rules in their defining order, whitespace a rule) reads them,
    one match at a time: what the faster scanner must give."""
    from flywayx.statements.tokens import OP, _pattern, family

    out, pos, pattern = [], 0, _pattern(family(dialect))
    while pos < len(sql):
        m = pattern.match(sql, pos)
        if m is None:  # a character no rule accepts is an operator of its own
            out.append((OP, sql[pos], pos))
            pos += 1
            continue
        kind = m.lastgroup or ""
        if kind != "ws":
            out.append(("str" if kind == "dq" else kind, m.group(kind), pos))
        pos = m.end()
    return out


@settings(max_examples=600, deadline=None)
@given(SQL, st.sampled_from(["mysql", "mariadb", "postgresql", "sqlite"]))
@example("SELECT E'a\\'b', e'', ee'x'", "postgresql")  # a word's first letter that opens a string
@example("E'\\", "postgresql")  # an E-string that cannot match (a lone escape at the end): E is a word
@example("x\u00a0", "mysql")  # a trailing no-break space: whitespace to \s, a word to the word rule
def test_tokens_are_the_rules_read_in_order(sql: str, dialect: str) -> None:
    assert [(t.kind, t.text, t.pos) for t in tokenize(sql, dialect)] == _one_rule_at_a_time(sql, dialect)
