"""A cursor over code tokens with the few look-ahead helpers the statement analysers need."""

from __future__ import annotations

from flywayx.statements.tokens import QID, WORD, Token

_NAME_KINDS = (WORD, QID)


class Cursor:
    """Reads tokens left to right. ``up(k)`` is the upper-cased k-th token ahead ('' past the end)."""

    def __init__(self, tokens: list[Token], start: int = 0) -> None:
        self.toks = tokens
        self.i = start

    def at_end(self) -> bool:
        return self.i >= len(self.toks)

    def peek(self, k: int = 0) -> Token | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def up(self, k: int = 0) -> str:
        # a token's ``up`` is its text but for words (``tokens.Token``): no test of its kind needed
        j = self.i + k
        return self.toks[j].up if j < len(self.toks) else ""

    def next(self) -> Token | None:
        t = self.peek()
        self.i += 1
        return t

    def accept(self, *words: str) -> bool:
        """Consume the exact keyword sequence if it is next; report whether it was."""
        toks, i = self.toks, self.i
        n = len(toks)
        for k, w in enumerate(words):
            if (toks[i + k].up if i + k < n else "") != w:
                return False
        self.i = i + len(words)
        return True

    def accept_any(self, *words: str) -> str | None:
        w = self.up()
        if w in words:
            self.i += 1
            return w
        return None

    def is_name(self, k: int = 0) -> bool:
        t = self.peek(k)
        return t is not None and t.kind in _NAME_KINDS

    def name(self) -> str | None:
        """A possibly qualified identifier ``a.b.c``, lower-cased and unquoted, or None."""
        if not self.is_name():
            return None
        parts = [self._take_name()]
        while self.up() == "." and self.is_name(1):
            self.i += 1
            parts.append(self._take_name())
        return ".".join(parts)

    def _take_name(self) -> str:
        t = self.toks[self.i]
        self.i += 1
        return t.name

    def skip_group(self) -> list[Token]:
        """If at '(' consume through the matching ')' and return the tokens inside, else []."""
        if self.up() != "(":
            return []
        depth, start = 0, self.i + 1
        while not self.at_end():
            t = self.toks[self.i]
            self.i += 1
            if t.text == "(":
                depth += 1
            elif t.text == ")":
                depth -= 1
                if depth == 0:
                    return self.toks[start : self.i - 1]
        return self.toks[start:]

    def until_comma(self) -> list[Token]:
        """Tokens up to (not including) the next ',' at this paren depth, or the end."""
        start, depth = self.i, 0
        while not self.at_end():
            t = self.toks[self.i]
            if t.text in ("(", "[") and t.kind != QID:
                depth += 1
            elif t.text in (")", "]") and t.kind != QID:
                depth -= 1
            elif t.text == "," and depth == 0:
                break
            self.i += 1
        return self.toks[start : self.i]

    def rest(self) -> list[Token]:
        out = self.toks[self.i :]
        self.i = len(self.toks)
        return out


def split_commas(tokens: list[Token]) -> list[list[Token]]:
    """Split a token list at top-level commas."""
    cur = Cursor(tokens)
    items: list[list[Token]] = []
    while not cur.at_end():
        items.append(cur.until_comma())
        cur.accept(",")
    return [i for i in items if i]


def names_in_list(tokens: list[Token]) -> list[str]:
    """The first name of each comma-separated item: ``(a, b(10) DESC)`` -> ['a', 'b']."""
    out = []
    for item in split_commas(tokens):
        n = Cursor(item).name()
        if n is not None:
            out.append(n)
    return out
