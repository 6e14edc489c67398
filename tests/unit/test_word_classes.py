"""The word classes of ``statements/dialects.py`` match the characters of the ranges they stand for,
every code point checked: they are written as complements only because ``re`` compiles those faster
(docs/decisions/startup.md)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flywayx.statements import classify, tokens
from flywayx.statements.dialects import WORD_CHAR, WORD_REST, WORD_START

EVERY_CHARACTER = "".join(map(chr, range(0x110000)))  # surrogates included: a str may hold them


@pytest.mark.parametrize(
    ("written", "meant"),
    [(WORD_START, r"[A-Za-z_\u0080-\uffff]"), (WORD_CHAR, r"[A-Za-z0-9_$\u0080-\uffff]")],
)
def test_a_class_matches_the_characters_of_its_range(written: str, meant: str) -> None:
    assert re.findall(written, EVERY_CHARACTER) == re.findall(meant, EVERY_CHARACTER)


_ODD = st.text(st.sampled_from(list("aZ_$9 .-'\"`#@é€名𝐀😀\u0080\uffff\U00010000\n(")), max_size=40)


@given(_ODD)
def test_the_lexers_read_words_as_with_the_ranges(sql: str) -> None:
    """The lexers as compiled before the classes were rewritten: the same tokens."""
    old_word = r"[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*"
    for fam in ("mysql", "postgresql", "sqlite"):
        new = tokens._scanner(fam)
        old = re.compile(new.pattern.replace(WORD_START + WORD_REST, old_word))
        assert old.pattern != new.pattern
        assert [m.groups() for m in new.finditer(sql)] == [m.groups() for m in old.finditer(sql)]
    for new, word in (
        (classify._mysql_token(), (WORD_CHAR + "+", r"[A-Za-z0-9_$\u0080-\uffff]+")),
        (classify._pg_token(), (WORD_START + WORD_REST, old_word)),
    ):
        old = re.compile(new.pattern.replace(*word), new.flags)
        assert old.pattern != new.pattern
        assert [m.groups() for m in new.finditer(sql)] == [m.groups() for m in old.finditer(sql)]
