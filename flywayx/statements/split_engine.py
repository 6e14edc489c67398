"""The statement-splitting state machine: Flyway 13's ``Parser.getNextStatement`` and its dialect hooks.

One ``Engine`` walks one script. Parens depth, block depth and (MySQL) the delimiter live across
statements, as in Flyway's ``ParserContext``. Everything else is per statement. Token-level work
follows Flyway step by step; where a long run of tokens cannot change any state (inside parens, or
past the point where the statement type is settled), a single "bulk" regex match skips it.

Raises ``SplitFailure`` (detail text plus the position Flyway reports); ``splitter`` turns it into
the user-facing ``ParseError``. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flywayx.model.migration import Statement
from flywayx.statements.split_lexer import (
    JAVA_TRIM,
    MYSQL_FAMILY,
    block_comment,
    dollar_quote,
    lexer,
    needs_precise_bulk,
)

_CUTOFF = 10  # Parser.getTransactionalDetectionCutoff
_BATCHABLE = frozenset({"INSERT", "UPDATE", "DELETE", "UPSERT", "MERGE"})
_STORED_PROGRAM = re.compile(
    r"CREATE\s(((DEFINER\s(\w+\s)?@\s(\w+\s)?)?(PROCEDURE|FUNCTION|EVENT))|TRIGGER)", re.I | re.A
)
_BEGIN_NOT_ATOMIC = re.compile(r"BEGIN\sNOT\sATOMIC\s.*END", re.I | re.A)
_DETECT_HEADS = frozenset({"CREATE", "BEGIN"})
_SP_SECOND = frozenset({"PROCEDURE", "FUNCTION", "EVENT", "TRIGGER", "DEFINER"})
_NOT_AFTER_END = frozenset({"IF", "LOOP", "REPEAT", "WHILE"})
_PG_NON_TX = [
    re.compile(p)
    for p in (
        r"(CREATE|DROP) (DATABASE|TABLESPACE|SUBSCRIPTION)",
        r"ALTER SYSTEM",
        r"(CREATE|DROP)( UNIQUE)? INDEX CONCURRENTLY",
        r"REINDEX( VERBOSE)? (SCHEMA|DATABASE|SYSTEM)",
        r"VACUUM",
        r"DISCARD ALL",
    )
]
_PG_ADD_VALUE = re.compile(r"ALTER TYPE( .*)? ADD VALUE")
_PG_COPY = re.compile(r"COPY( .*)? FROM STDIN")
_KEYWORD = re.compile(r"[^\W\d]+")

# Token types (Flyway's TokenType), as small ints for speed.
KW, ID, STR, NUM, SYM, COMMENT, DIRECTIVE, BLANK, DELIM, EOF = range(10)
# Statement types that change parsing (Flyway's StatementType instances).
SP, BNA, COPY = "stored program", "begin not atomic", "copy"
_NPE = "a string or EOF inside BEGIN NOT ATOMIC (Flyway fails here with a NullPointerException)"
_NULL_KINDS = frozenset({"sp", "lp", "rp"})


class SplitFailure(Exception):
    """A parse error: ``detail`` is Flyway's inner message, ``pos`` where the statement began."""

    def __init__(self, detail: str, pos: int, done: list[Statement]) -> None:
        super().__init__(detail)
        self.detail = detail
        self.pos = pos
        self.done = done


@dataclass(frozen=True)
class CopyStatement(Statement):
    """A PostgreSQL ``COPY ... FROM STDIN`` with its inline data (``copy_data``, lines up to ``\\.``)."""

    copy_data: str = ""


class Engine:
    """Splits one script; call ``run()`` once. ``pg_major`` gates PostgreSQL's ALTER TYPE rule.

    ``fast=False`` turns the bulk shortcuts off (token-by-token only): the results must be the same,
    which the tests check.
    """

    def __init__(self, text: str, dialect: str, pg_major: int | None = None, *, fast: bool = True) -> None:
        self.text = text
        self.dialect = dialect
        self.mysql = dialect in MYSQL_FAMILY
        self.mariadb = dialect == "mariadb"
        self.pg_major = pg_major
        self.plain = self.mysql and not needs_precise_bulk(text)
        self.fast = fast
        self.pos = 0
        self.parens = 0
        self.block = 0
        self.initiators: list[str] = []  # PostgreSQL block initiators (ParserContext stack)
        self.delimiter = ";"
        self.out: list[Statement] = []
        self._line_pos = 0
        self._line_no = 1

    def run(self) -> list[Statement]:
        while self.pos <= len(self.text):
            stmt = self._statement()
            if stmt is None:
                break
            if stmt.sql:  # only control characters (trimmed away as Java's trim does): nothing to send
                self.out.append(stmt)
        return self.out

    def line_at(self, pos: int) -> int:
        """1-based line of ``pos`` (only ``\\n`` counts, as in Flyway's PositionTracker)."""
        if pos < self._line_pos:
            return 1 + self.text.count("\n", 0, pos)
        self._line_no += self.text.count("\n", self._line_pos, pos)
        self._line_pos = pos
        return self._line_no

    def fail(self, detail: str, pos: int) -> SplitFailure:
        return SplitFailure(detail, pos, list(self.out))

    def located(self, what: str, pos: int, sql: str) -> str:
        return f"{what} at line {self.line_at(pos)} col {column(self.text, pos)}: {sql}"

    # The hot loop is long on purpose: splitting speed is a requirement (>= 20 MB/s), and every
    # helper call per token costs measurable time. Rare branches are delegated to methods.
    def _statement(self) -> Statement | None:
        text, n, mysql = self.text, len(self.text), self.mysql
        lex = lexer(self.dialect, self.delimiter, self.plain)
        tok, bulk_in, bulk_top = lex.token, lex.bulk_in, lex.bulk_top
        if not self.fast:
            bulk_in = bulk_top = None
        pos = rec = conf = stmt_pos = self.pos
        parens, block = self.parens, self.block
        has_tokens = nc = False
        kw = 0
        parts: list[str] = []
        live = True
        stype: str | None = None
        can_tx: bool | None = None
        batch: bool | None = None
        prev0: str | None = None
        stop_prev = ("END", "NOT") if self.mariadb else ("END",)
        if parens == 0 and block == 0 and lex.trivia is not None and self.fast:
            # Comments and whitespace before a statement change nothing but where its text starts.
            tm = lex.trivia(text, pos)
            e = pos if tm is None else tm.end()
            if e > pos:
                rec, has_tokens = _trivia_start(text[pos:e], pos)
                if has_tokens:
                    conf = e
                pos = stmt_pos = e
        while True:
            while nc and bulk_in is not None and bulk_top is not None:
                if parens > 0:
                    m = bulk_in(text, pos)
                elif parens == 0 and not live and stype is None and prev0 not in stop_prev:
                    m = bulk_top(text, pos)
                    if m is not None and (m.start(1) if m.group(1) else m.end()) > pos:
                        prev0 = ""  # the run held a token; it is none of the words that matter
                else:
                    break
                if m is None or m.end() == pos:
                    break
                pos = m.end()
                paren = m.group(1)
                if paren == ";":  # a top-level delimiter in a settled statement: no block rule fires
                    if block == 0:
                        self.parens, self.block, self.pos = parens, block, pos
                        sql = text[rec : m.start(1)].strip(JAVA_TRIM)
                        return self._make(stmt_pos, sql, stype, bool(can_tx), bool(batch))
                    conf, prev0 = pos, ""
                    continue
                conf = pos
                if paren is None:
                    break
                parens += 1 if paren == "(" else -1
            start = pos
            if pos >= n:
                ttype, ttext, end = EOF, None, n
            else:
                m = tok(text, pos)
                assert m is not None  # the last alternative matches any character
                kind = m.lastgroup
                end = m.end()
                if kind in _NULL_KINDS or (kind == "ws" and m.group().count("\n") < 2):
                    if kind == "lp":
                        parens += 1
                    elif kind == "rp":
                        parens -= 1
                    if has_tokens:
                        conf = end
                    else:
                        rec = stmt_pos = end
                    pos = end
                    continue
                if kind == "word":
                    ttext = m.group()
                    if _KEYWORD.fullmatch(ttext):
                        ttext = ttext.upper()
                        ttype = KW
                        if mysql and ttext == "DELIMITER":
                            if has_tokens and nc:
                                self.parens, self.block = parens, block
                                what = "Delimiter changed inside statement"
                                raise self.fail(self.located(what, stmt_pos, text[rec:conf]), stmt_pos)
                            end = self._new_delimiter(end, stmt_pos)
                            lex = lexer(self.dialect, self.delimiter, self.plain)
                            tok, bulk_in, bulk_top = lex.token, lex.bulk_in, lex.bulk_top
                            if not self.fast:
                                bulk_in = bulk_top = None
                            has_tokens = False
                            pos = rec = stmt_pos = end
                            parts = []
                            prev0 = None
                            continue
                    else:
                        ttype = ID
                elif kind == "sym":
                    ttype, ttext = SYM, m.group()
                elif kind == "num":
                    ttype, ttext = NUM, m.group()
                elif kind == "delim":
                    ttype, ttext = DELIM, self.delimiter
                elif kind == "lc":
                    ttype, ttext = COMMENT, m.group()
                elif kind == "ws":
                    ttype, ttext = BLANK, m.group()
                elif kind == "qid":
                    ttype, ttext = ID, identifier_text(m.group())
                elif kind == "mc":
                    # the server runs /*M!… */ (MariaDB) and /*!… */ without a 5-digit version, so the client
                    # sends them; Flyway discards a statement made of them only (a deliberate difference)
                    ttype = DIRECTIVE if mysql and text.startswith(("/*!", "/*M!"), start) else COMMENT
                    end, ttext = block_comment(text, start)
                elif kind == "dir":
                    ttype, ttext = DIRECTIVE, m.group()[2:].removesuffix("*/")
                elif kind == "dollar":
                    ttype, ttext, end = STR, None, dollar_quote(text, start)
                else:  # sq, dq, pstr, ustr
                    ttype, ttext = STR, None
            pos = end
            if ttype == DELIM and not nc:  # Parser.shouldDiscard: an empty or comment-only statement
                has_tokens = False
                rec = stmt_pos = end
                parts = []
                prev0 = None
                continue
            depth = 0 if ttype == EOF else parens
            if depth == 0 and (mysql or ttype == KW):
                if ttype == KW:
                    kw += 1
                if mysql:
                    if self.mariadb:
                        if prev0 == "NOT" and ttext is not None and ttext.upper() == "ATOMIC":
                            block += 1
                        if block > 0 and stype == BNA:
                            if ttext is None:  # Flyway dereferences the null text of this token
                                raise self.fail(_NPE, stmt_pos)
                            if ttext.upper() == "END":
                                block -= 1
                    if ttype == KW and ((ttext == "BEGIN" and stype == SP) or (ttext == "CASE" and prev0 != "END")):
                        block += 1
                    if block > 0 and prev0 == "END" and (ttext is None or ttext.upper() not in _NOT_AFTER_END):
                        block -= 1
                else:
                    block = self._adjust_block(ttext or "", prev0, block, stmt_pos)
            if ttype == EOF or (ttype == DELIM and depth == 0 and block == 0):
                self.parens, self.block, self.pos = parens, block, end
                sql = text[rec:conf]
                if ttype == EOF and (not sql.strip(JAVA_TRIM) or not has_tokens or not nc):
                    return None
                if can_tx is None:
                    can_tx = True if kw > _CUTOFF else self._transactional(" ".join(parts), True)
                if ttype == EOF and block > 0:
                    raise self.fail(self.located("Incomplete statement", stmt_pos, sql), stmt_pos)
                return self._make(stmt_pos, sql.strip(JAVA_TRIM), stype, bool(can_tx), bool(batch))
            if not nc:
                stmt_pos = start
            has_tokens = True
            conf = end
            if depth < 0:
                prev0 = None
            elif depth == 0 and ttype != COMMENT and ttype != BLANK:
                prev0 = ttext
            if not nc and ttype != COMMENT and ttype != BLANK and ttype != DELIM:
                nc = True
            if (
                kw <= _CUTOFF
                and depth == 0
                and (ttype == KW or ttext == "@")
                and ((stype is None and live) or can_tx is None)
            ):
                parts.append(ttext.upper() if ttext is not None else "")
                simplified = " ".join(parts)
                if stype is None:
                    if mysql and parts[0] not in _DETECT_HEADS:
                        live = False
                    else:
                        stype = self._statement_type(simplified)
                        live = stype is None and self._detection_live(parts)
                if can_tx is None:
                    can_tx = True if kw > _CUTOFF else self._transactional(simplified, None)
                if batch is None:
                    batch = simplified in _BATCHABLE

    def _new_delimiter(self, pos: int, stmt_pos: int) -> int:
        """MySQLParser.handleKeyword: the rest of the line (or the next non-empty one) is the delimiter."""
        text, n = self.text, len(self.text)
        while True:
            stop = min((i for i in (text.find("\n", pos), text.find("\r", pos)) if i >= 0), default=n)
            value = text[pos:stop].strip(JAVA_TRIM)
            pos = min(stop + 1, n)
            if value:
                self.delimiter = value
                return pos
            if stop >= n:  # Flyway loops forever here; say what is wrong instead
                raise self.fail("DELIMITER without a delimiter before the end of the script", stmt_pos)

    def _statement_type(self, simplified: str) -> str | None:
        if self.mariadb and _BEGIN_NOT_ATOMIC.fullmatch(simplified):
            return BNA
        if self.mysql and _STORED_PROGRAM.fullmatch(simplified):
            return SP
        if self.dialect == "postgresql" and _PG_COPY.fullmatch(simplified):
            return COPY
        return None

    def _detection_live(self, parts: list[str]) -> bool:
        """Could more keywords still make this a stored program / BEGIN NOT ATOMIC (or a PostgreSQL COPY)?
        (fast-path guard; SQLite has no statement type that changes parsing)"""
        if not self.mysql:
            return self.dialect == "postgresql"
        if parts[0] == "CREATE":
            return len(parts) < 2 or parts[1] in _SP_SECOND
        if self.mariadb and parts[0] == "BEGIN":
            return parts[1:2] in ([], ["NOT"]) and parts[2:3] in ([], ["ATOMIC"])
        return False

    def _transactional(self, simplified: str, default: bool | None) -> bool | None:
        """Parser.detectCanExecuteInTransaction per dialect; ``default`` when undecided."""
        if self.dialect == "postgresql":
            if any(p.fullmatch(simplified) for p in _PG_NON_TX):
                return False
            old = self.pg_major is not None and self.pg_major < 12
            if old and _PG_ADD_VALUE.fullmatch(simplified):
                return False
        elif self.dialect == "sqlite":
            # only PRAGMA FOREIGN_KEYS is not; a statement whose keywords no longer lead to it is, as
            # Flyway decides at its end (the keywords only grow), so the splitter stops collecting them
            if simplified == "PRAGMA FOREIGN_KEYS":
                return False
            return default if simplified == "PRAGMA" else True
        return True if self.mysql else default

    def _adjust_block(self, word: str, prev0: str | None, block: int, stmt_pos: int) -> int:
        """Block depth rules of PostgreSQLParser / SQLiteParser for one keyword at parens depth 0."""
        if self.dialect == "sqlite":
            if word in ("BEGIN", "CASE"):
                return block + 1
            if word == "END":
                if block == 0:
                    raise self.fail("Parsing failed: unable to decrease block depth below 0", stmt_pos)
                return block - 1
            return block
        stack = self.initiators
        if prev0 == "BEGIN" and word == "ATOMIC":
            stack.append("ATOMIC")
        if word == "CASE" and stack[-1:] == ["ATOMIC"]:
            stack.append("CASE")
        if word == "END" and stack[-1:] in (["ATOMIC"], ["CASE"]):
            stack.pop()
        return len(stack)

    def _make(self, pos: int, sql: str, stype: str | None, tx: bool, batch: bool) -> Statement:
        line = self.line_at(pos)
        if stype == COPY:
            return CopyStatement(line, sql, copy_data=self._copy_data())
        return Statement(line, sql, self.delimiter, tx, batch)

    def _copy_data(self) -> str:
        """PostgreSQLParser.readCopyData: skip the rest of the line, then lines up to one reading ``\\.``."""
        text, n = self.text, len(self.text)
        nl = text.find("\n", self.pos)
        pos = start = n if nl < 0 else nl + 1
        while True:
            if pos >= n:  # Flyway loops forever here
                raise self.fail("COPY data is not terminated by a line \\.", start)
            nl = text.find("\n", pos)
            nxt = n if nl < 0 else nl + 1
            if text[pos:nxt].strip(JAVA_TRIM) == "\\.":
                self.pos = nxt
                return text[start:pos]
            pos = nxt


def _trivia_start(seg: str, pos: int) -> tuple[int, bool]:
    """Where Flyway's recorder starts in leading ``seg`` (at ``pos``), and whether it held a token.

    Whitespace before the first comment is a null token (the recorder restarts after it) unless it
    holds two line ends: then it is a BLANK_LINES token starting after any leading spaces and CRs.
    """
    cut = min((i for i in (seg.find("-"), seg.find("#")) if i >= 0), default=len(seg))
    lead = seg[:cut]
    if lead.count("\n") >= 2:
        return pos + len(lead) - len(lead.lstrip(" \r")), True
    return pos + cut, cut < len(seg)


def identifier_text(raw: str) -> str:
    """Flyway's token text for a quoted identifier: the content without quotes (dotted names as-is)."""
    q, body = raw[0], raw[1:]
    if q not in body:  # unterminated: runs to the end of the script
        return body
    if body.index(q) == len(body) - 1:
        return body[:-1]
    return raw  # doubled quotes or dotted parts: never equal to a keyword, which is all that matters


def column(text: str, pos: int) -> int:
    """Flyway's 1-based column: UTF-16 units since the last ``\\n`` or ``\\r``."""
    brk = max(text.rfind("\n", 0, pos), text.rfind("\r", 0, pos))
    return pos - brk + sum(1 for ch in text[brk + 1 : pos] if ord(ch) > 0xFFFF)
