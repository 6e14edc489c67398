"""What a statement is, as the server sees it: the one classifier every caller shares.

MySQL and MariaDB skip comments and run the body of a versioned comment (``/*!40101 SET … */``,
``/*!50003 CREATE*/ /*!50017 DEFINER=…*/``, MariaDB's ``/*M!100100 … */``) when the server's version
is at least the comment's number. ``tokens`` reproduces that view; ``classify`` answers what the
runner needs about one statement:

- ``commits``: it may commit the open transaction or must not run inside one (DDL, LOCK/UNLOCK
  TABLES, BEGIN/COMMIT, CALL, ``SET autocommit`` …). Conservative: only DML, queries, session
  ``SET``, ``USE`` and ``DO`` stay inside flywayx's transaction; misjudging DML as DDL costs one
  progress write, the reverse could lose the exact record.
- ``lock``: ``"lock"`` (LOCK TABLES, FLUSH TABLES … WITH READ LOCK) or ``"unlock"`` (UNLOCK TABLES,
  and BEGIN/START TRANSACTION, which release table locks); while a lock is held flywayx sends no BEGIN.
- ``many_results``: it may return several results (CALL, EXECUTE, compound statements), so it is
  only ever the last statement of a multi-statement packet.
- ``opens``: BEGIN/START TRANSACTION: the script manages its own transaction from here until its
  COMMIT/ROLLBACK (SAVEPOINT and ROLLBACK TO stay inside it).
- ``empty``: nothing runs (comments only, or versioned comments this server skips).

Server rules (MariaDB ``sql_lex.cc``, MySQL's lexer; checked against MariaDB 10.11 in
tests/unit/test_classify.py): ``/*!`` then 5 digits (MariaDB: a 6th digit is part of the number)
runs its body when the number is at most the server's version id (10.11.19 -> 101119); MariaDB
skips 50700-99999 (MySQL 5.7+ syntax) unless written ``/*M!``; MySQL treats ``/*M!`` as a comment;
``/*!`` without digits always runs. ``--`` starts a comment only before whitespace; ``#`` always.
On PostgreSQL and SQLite only the head words matter (``commits`` is always False: DDL is
transactional there).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

from flywayx.statements.dialects import WORD_CHAR, WORD_REST, WORD_START

WORD, QID, STR, NUM, VAR, SYSVAR, OP = "word", "qid", "str", "num", "var", "sysvar", "op"


@dataclass(frozen=True)
class Server:
    """The server a statement is classified for: ``dialect`` (mysql, mariadb, postgresql, sqlite) and
    its version id (major*10000 + minor*100 + patch; None: unknown, every versioned comment runs)."""

    dialect: str
    version_id: int | None = None

    @classmethod
    def of(cls, dialect: str, version: str | None) -> Server:
        """From ``SELECT VERSION()`` text (``10.11.19-MariaDB-0+deb12u1``, ``8.0.36``)."""
        nums = [int(n) for n in re.findall(r"\d+", (version or "").split("-")[0])[:3]]
        vid = nums[0] * 10000 + nums[1] * 100 + (nums[2] if len(nums) > 2 else 0) if len(nums) >= 2 else None
        mariadb = dialect == "mariadb" or "mariadb" in (version or "").lower()
        return cls("mariadb" if mariadb and dialect in ("mysql", "mariadb") else dialect, vid)

    @property
    def mysql_family(self) -> bool:
        return self.dialect in ("mysql", "mariadb")

    def runs_versioned(self, version: int | None, maria_only: bool) -> bool:
        """Whether a ``/*!NNNNN`` (``/*M!`` when ``maria_only``) comment's body runs on this server."""
        if maria_only and self.dialect != "mariadb":
            return False
        if version is None:
            return True
        if self.dialect == "mariadb" and 50700 <= version <= 99999 and not maria_only:
            return False
        return self.version_id is None or version <= self.version_id


MARIADB = Server("mariadb")


@dataclass(frozen=True)
class Tok:
    """A token as the server sees it; ``up`` is the upper-cased text of a word (else the text)."""

    kind: str
    text: str

    @property
    def up(self) -> str:
        return self.text.upper() if self.kind == WORD else self.text

    @property
    def name(self) -> str:
        """A variable's or quoted identifier's name without ``@``/``@@`` and quotes, lower-cased."""
        text = self.text.lstrip("@") if self.kind in (VAR, SYSVAR) else self.text
        if text[:1] in "`'\"" and len(text) > 1:
            text = text[1:-1]
        return text.lower()


# Each dialect's token pattern is compiled the first time a statement of that dialect is read: a run
# reads one dialect only. Their word classes are ``statements/dialects.py``'s, written to compile fast.
@cache
def _mysql_token() -> re.Pattern[str]:
    return re.compile(
        rf"""
      (?P<ws>\s+)
    | (?P<line>\#[^\n]*|--(?=\s|\Z)[^\n]*)
    | (?P<vopen>/\*M?!)
    | (?P<copen>/\*)
    | (?P<close>\*/)
    | (?P<str>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
    | (?P<qid>`(?:[^`]|``)*`)
    | (?P<sysvar>@@(?:[A-Za-z0-9_$.]+|`(?:[^`]|``)*`))
    | (?P<var>@(?:[A-Za-z0-9_$.]+|`(?:[^`]|``)*`|'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"))
    | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![A-Za-z_$])|0[xX][0-9a-fA-F]+)
    | (?P<word>{WORD_CHAR}+)
    | (?P<op>:=|<=>|<=|>=|<>|!=|\|\||&&|.)
    """,
        re.X | re.S,
    )


@cache
def _pg_token() -> re.Pattern[str]:
    return re.compile(
        rf"""
      (?P<ws>\s+)
    | (?P<line>--[^\n]*)
    | (?P<copen>/\*)
    | (?P<str>[eE]'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*'|(?P<dq>\$(?:[A-Za-z_]\w*)?\$).*?(?P=dq))
    | (?P<qid>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
    | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    | (?P<word>{WORD_START}{WORD_REST})
    | (?P<op>::|:=|<=|>=|<>|!=|\|\||.)
    """,
        re.X | re.S,
    )


_VERSION = re.compile(r"\d{5}\d?")


def tokens(sql: str, server: Server = MARIADB) -> Iterator[Tok]:
    """The statement's tokens as ``server`` parses them: comments dropped, versioned comments
    expanded (or dropped) by the server's rule. Never raises; unterminated text ends the stream."""
    if not server.mysql_family:
        yield from _pg_tokens(sql)
        return
    pos, n, in_exec, started = 0, len(sql), False, False
    match = _mysql_token().match
    while pos < n:
        m = match(sql, pos)
        if m is None:  # unreachable: the last alternative matches any character
            return
        kind, pos = m.lastgroup or "op", m.end()
        if kind in ("ws", "line"):
            continue
        if not started and sql.startswith("--", m.start()):  # the client drops a leading --comment line
            pos = _line_end(sql, pos)
            continue
        if kind == "copen":
            pos = _skip_comment(sql, pos, 0)
        elif kind == "vopen":
            if in_exec:  # MySQL does not nest executable comments: this one is skipped as a comment
                pos = _skip_comment(sql, pos, 0)
                continue
            pos, in_exec = _versioned(sql, pos, m.group() == "/*M!", server)
            started = started or in_exec
        elif kind == "close" and in_exec:
            in_exec = False
        else:
            started = True
            yield Tok(kind, m.group())


_LEADING = re.compile(r"(?:\s+|#[^\n]*|--[^\n]*|/\*(?![!+]|M!)(?:[^*]|\*(?!/))*\*/)*")


_PSQL_LEAD = re.compile(r"(?:[ \t\r\n]+|--[^\n]*|\\(?:un)?restrict\b[^\n]*)*")
_PSQL_KEY = re.compile(r"(?m)^\\(?:un)?restrict\b[^\n]*\n?")


def client_text(sql: str, server: Server = MARIADB) -> str:
    """The text to send for ``sql``, as the client sends it. MySQL/MariaDB: a statement that starts with
    a ``--comment`` line without a space after ``--`` (the server would read two minus signs; Flyway
    sends it and fails) loses its leading comments. PostgreSQL: pg_dump's ``\\restrict`` key lines (the
    splitter reads them as comments) stay with psql. Anything else is sent as written."""
    if server.dialect == "postgresql":
        lead = _PSQL_LEAD.match(sql)
        head = lead.group() if lead else ""
        return _PSQL_KEY.sub("", head) + sql[len(head) :] if "restrict" in head else sql
    if not server.mysql_family or "--" not in sql[:2000]:
        return sql
    lead = _LEADING.match(sql)
    noise = lead.group() if lead else ""
    if re.search(r"(?:^|\n)[ \t]*--(?![\s])", noise) is None:
        return sql
    return sql[len(noise) :]


def _line_end(sql: str, pos: int) -> int:
    end = sql.find("\n", pos)
    return len(sql) if end < 0 else end + 1


def _versioned(sql: str, pos: int, maria_only: bool, server: Server) -> tuple[int, bool]:
    """After ``/*!``: (where to go on, whether the body runs)."""
    v = _VERSION.match(sql, pos)
    version = int(v.group()) if v else None
    if server.runs_versioned(version, maria_only):
        return (v.end() if v else pos), True
    return _skip_comment(sql, pos, 1), False


def _skip_comment(sql: str, pos: int, nested: int) -> int:
    """End of a ``/* */`` comment whose body starts at ``pos``; ``nested`` inner comments allowed."""
    while True:
        close = sql.find("*/", pos)
        if close < 0:
            return len(sql)
        inner = sql.find("/*", pos, close)
        if nested and inner >= 0:
            pos, nested = _skip_comment(sql, inner + 2, 0), nested - 1
            continue
        return close + 2


def _pg_tokens(sql: str) -> Iterator[Tok]:
    pos, n = 0, len(sql)
    match = _pg_token().match
    while pos < n:
        m = match(sql, pos)
        if m is None:
            return
        kind, pos = m.lastgroup or "op", m.end()
        if kind == "dq":
            kind = "str"
        if kind == "copen":
            pos = _skip_nested(sql, pos)
        elif kind not in ("ws", "line"):
            yield Tok(kind, m.group())


def _skip_nested(sql: str, pos: int) -> int:
    depth = 1
    while depth:
        m = re.compile(r"/\*|\*/").search(sql, pos)
        if m is None:
            return len(sql)
        depth += 1 if m.group() == "/*" else -1
        pos = m.end()
    return pos


# ---------------------------------------------------------------------------------------------------
# classification


@dataclass(frozen=True)
class StatementClass:
    """What the runner must know about one statement (see the module docstring)."""

    words: tuple[str, ...]
    commits: bool
    lock: str | None = None
    many_results: bool = False
    opens: bool = False  # BEGIN / START TRANSACTION: the script's own transaction is open afterwards

    @property
    def empty(self) -> bool:
        return not self.words

    @property
    def head(self) -> str:
        return self.words[0] if self.words else ""


def ends_script_transaction(c: StatementClass) -> bool:
    """The script's own ``COMMIT``/``END`` (not ``COMMIT PREPARED``): in a migration run in a transaction it
    commits everything before it, and the statements after it run in a new transaction."""
    return c.words[:1] in (("COMMIT",), ("END",)) and c.words[1:2] != ("PREPARED",)


# statements that run inside flywayx's transaction and never commit it (DML, queries, session state)
_IN_TRANSACTION = frozenset(
    {"INSERT", "UPDATE", "DELETE", "REPLACE", "SELECT", "WITH", "VALUES", "TABLE", "(", "SET", "USE", "DO"}
)
# statements that may return several results: procedures, prepared statements, compound statements
_MANY_RESULTS = frozenset({"CALL", "EXECUTE", "IF", "CASE", "LOOP", "REPEAT", "WHILE", "FOR"})
_HEAD_WORDS = 8


@lru_cache(maxsize=4096)
def classify(sql: str, server: Server = MARIADB) -> StatementClass:
    """Classify one statement (the text flywayx sends) as ``server`` runs it. Remembered: the runner, the
    record written ahead and the work prepared while the server runs (``Database.idle``) ask again."""
    toks = tokens(sql, server)
    head = []
    for t in toks:
        head.append(t)
        if len(head) >= _HEAD_WORDS:
            break
    words = tuple(t.up for t in head)
    if not server.mysql_family or not words:
        return StatementClass(words, False)
    return _classify_mysql(words, head, toks)


def _classify_mysql(words: tuple[str, ...], head: list[Tok], rest: Iterator[Tok]) -> StatementClass:
    first = words[0]
    compound = (first == "BEGIN" and words[1:3] == ("NOT", "ATOMIC")) or (
        len(words) > 1 and words[1] == ":" and head[0].kind in (WORD, QID)
    )
    if compound or first in _MANY_RESULTS:
        return StatementClass(words, True, None, True)
    if first == "SET":
        return _classify_set(words, head, rest)
    if first in ("LOCK", "UNLOCK"):
        table = len(words) > 1 and words[1] in ("TABLE", "TABLES")
        return StatementClass(words, True, (first.lower() if table else None))
    if first == "FLUSH" and "LOCK" in words:  # FLUSH TABLES [t…] WITH READ LOCK / FOR EXPORT
        return StatementClass(words, True, "lock")
    if first == "BEGIN" or (first == "START" and words[1:2] == ("TRANSACTION",)):
        return StatementClass(words, True, "unlock", opens=True)  # a transaction start releases table locks
    if (
        first == "SAVEPOINT"
        or (first == "RELEASE" and words[1:2] == ("SAVEPOINT",))
        or (first == "ROLLBACK" and "TO" in words[1:3])
    ):
        return StatementClass(words, False)  # inside the script's transaction; nothing is committed
    return StatementClass(words, first not in _IN_TRANSACTION)


def _classify_set(words: tuple[str, ...], head: list[Tok], rest: Iterator[Tok]) -> StatementClass:
    """``SET``: session state, except the forms that commit or that a transaction refuses;
    ``SET STATEMENT … FOR s`` is classified as ``s``."""
    toks = [*head, *rest]
    if words[1:2] == ("STATEMENT",):
        inner = _after_for(toks)
        if inner is None:
            return StatementClass(words, True)
        return _classify_mysql(tuple(t.up for t in inner[:_HEAD_WORDS]), inner[:_HEAD_WORDS], iter(inner[_HEAD_WORDS:]))
    commits = any(
        a.kind in ("password", "role") or a.scope == "next" or (a.scope == "session" and a.name in _SET_COMMITS)
        for a in parse_set(toks)
    )
    return StatementClass(words, commits)


# session variables that commit, or that the server refuses to change inside a transaction
_SET_COMMITS = frozenset(
    {
        "autocommit",
        "sql_log_bin",
        "gtid_next",
        "transaction_isolation",
        "tx_isolation",
        "transaction_read_only",
        "tx_read_only",
    }
)


def _after_for(toks: list[Tok]) -> list[Tok] | None:
    """The statement after ``SET STATEMENT … FOR`` (None when there is no top-level FOR)."""
    depth = 0
    for i, t in enumerate(toks):
        depth += (t.text == "(") - (t.text == ")")
        if depth == 0 and t.kind == WORD and t.up == "FOR":
            return toks[i + 1 :]
    return None


@dataclass(frozen=True)
class Assignment:
    """One item of a ``SET`` list. ``kind``: user (``@v``), system (a server variable), names,
    charset, transaction, password, role; ``scope``: session, global (or persist), next (``SET
    TRANSACTION``: the next transaction only); ``name`` lower-cased; ``value``: the assigned
    expression's tokens."""

    kind: str
    name: str
    scope: str
    value: tuple[Tok, ...]


_SCOPES = {"GLOBAL": "global", "SESSION": "session", "LOCAL": "session", "PERSIST": "global", "PERSIST_ONLY": "global"}


def parse_set(toks: list[Tok]) -> list[Assignment]:
    """The assignments of a MySQL ``SET`` statement (``toks`` starts with SET)."""
    if (len(toks) > 1 and toks[1].up in ("PASSWORD", "ROLE")) or (
        toks[1:3] and toks[1].up == "DEFAULT" and len(toks) > 2 and toks[2].up == "ROLE"
    ):
        return [
            Assignment(
                "password" if toks[1].up == "PASSWORD" else "role", toks[1].up.lower(), "global", tuple(toks[2:])
            )
        ]
    out: list[Assignment] = []
    scope = ""
    for item in _split_commas(toks[1:]):
        while item and item[0].kind == WORD and item[0].up in _SCOPES:
            scope, item = _SCOPES[item[0].up], item[1:]
        if item:
            out.append(_assignment(item, scope))
    return out


def _assignment(item: list[Tok], explicit: str) -> Assignment:
    """One list item; ``explicit``: the scope keyword in force ('' when none was written)."""
    first, scope = item[0], explicit or "session"
    if first.kind == WORD and first.up == "TRANSACTION":  # without a scope: the next transaction only
        return Assignment("transaction", "transaction", explicit or "next", tuple(item[1:]))
    if first.kind == WORD and first.up == "NAMES":
        return Assignment("names", "names", scope, tuple(item[1:]))
    if first.kind == WORD and (
        first.up == "CHARSET" or (first.up == "CHARACTER" and len(item) > 1 and item[1].up == "SET")
    ):
        skip = 1 if first.up == "CHARSET" else 2
        return Assignment("charset", "charset", scope, tuple(item[skip:]))
    value = tuple(item[2:]) if len(item) > 1 and item[1].text in ("=", ":=") else tuple(item[1:])
    if first.kind == VAR:
        return Assignment("user", first.name, "session", value)
    name = first.name
    for prefix, named in (("global.", "global"), ("session.", "session"), ("local.", "session")):
        if name.startswith(prefix):
            name, scope = name[len(prefix) :], named
    return Assignment("system", name, scope, value)


def _split_commas(toks: list[Tok]) -> list[list[Tok]]:
    items: list[list[Tok]] = [[]]
    depth = 0
    for t in toks:
        depth += (t.text == "(") - (t.text == ")")
        if depth == 0 and t.text == ",":
            items.append([])
        else:
            items[-1].append(t)
    return [i for i in items if i]
