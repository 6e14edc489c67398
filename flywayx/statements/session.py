"""The session a MySQL/MariaDB migration builds, and how ``--resume`` rebuilds it.

A migration that fails (or is stopped) at statement ``k`` ran its first ``k`` statements in a session
that is gone when ``migrate --resume`` continues on a new connection. Statements after ``k`` may read
what the first ones left there: user variables (``SET @tenant := 'acme'``), session variables
(``SET NAMES``, ``sql_mode``, ``TIME_ZONE``, dump files' ``/*!40101 SET … */``), the current database
(``USE``), prepared statements, a ``LOCK TABLES`` in force, temporary tables.

``plan_replay`` reads the first ``k`` statements as the server sees them (``classify.tokens``) and
returns what to run again, in order, before statement ``k``, or the state that cannot be rebuilt:

- replayed: ``SET`` of session and user variables whose values are rebuilt by running the same
  statement again in the same order (literals, ``@v``/``@@v`` read back, pure functions), ``USE``,
  ``PREPARE``/``DEALLOCATE PREPARE``, and the ``LOCK TABLES`` in force (last, see ``Replay.lock``);
- replayed too: a variable set from a query (``SET @n = (SELECT COUNT(*) FROM information_schema…)``,
  the "does the index exist yet" check before a ``PREPARE``/``EXECUTE``) while no statement after it
  (up to the resume point) may have changed the database: the query gives again the answer it gave
  (or, where another session changed the data meanwhile, the answer the rest of the migration would get
  if it ran now), so the variables, and what ``SET``/``PREPARE`` built from them, are rebuilt by running
  them again;
- not rebuildable: a user variable set from a query before a statement that may have changed the
  database, or from a clock, a random or connection-bound function (``SET @n = (SELECT COUNT(*) …)``
  then an ``INSERT``, ``SELECT … INTO @v``, ``LAST_INSERT_ID()``, ``NOW()``), anything a
  ``CALL``/``EXECUTE``/compound statement may have set, a session variable set that way, a temporary
  table still present. A ``CALL`` of a procedure whose body has no user variable, ``CALL`` or dynamic
  SQL sets nothing: one the migration created earlier (the common "add the column if it is missing"
  helper: create, call, drop), or, when the caller can read the database's routines, one a callback or
  an earlier migration created. These refuse the resume only when they matter: a variable the remaining
  statements read before setting it, any lost session variable, any temporary table.

``SET GLOBAL``/``PERSIST``, ``SET PASSWORD`` and ``SET DEFAULT ROLE`` changed the server, not the
session: they stay applied and are not replayed. Only the migration's own statements count: the
session state earlier migrations of the same run left behind is not rebuilt (Flyway would not have
it either when the migration runs in a later run).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from flywayx.model.migration import Statement
from flywayx.statements.classify import OP, SYSVAR, VAR, WORD, Assignment, Server, Tok, classify, parse_set, tokens


@dataclass(frozen=True)
class Replay:
    """What ``migrate --resume`` runs before statement ``k`` (indexes into the statements, in order),
    the ``LOCK TABLES`` statement in force at ``k`` (run last, after the progress record is written),
    and one sentence per piece of state that cannot be rebuilt (empty: the resume may go on)."""

    statements: tuple[int, ...] = ()
    lock: int | None = None
    refusals: tuple[str, ...] = ()


@dataclass
class _State:
    replay: list[int] = field(default_factory=list)
    lost: dict[str, str] = field(default_factory=dict)  # user variable -> why it cannot be rebuilt
    system_lost: list[str] = field(default_factory=list)
    prepared: dict[str, str | None] = field(default_factory=dict)  # name -> why lost (None: rebuilt)
    temporary: dict[str, int] = field(default_factory=dict)  # table -> line
    opaque: str | None = None  # the last CALL/EXECUTE/compound statement, which may set anything
    plain: set[str] = field(default_factory=set)  # procedures created here whose body sets no user variable
    defined: set[str] = field(default_factory=set)  # procedures this migration created or dropped
    set_after_opaque: set[str] = field(default_factory=set)
    # replayed while nothing after them changed the database (``_read_set``): a query's answers, and what
    # was built from them; all lost at the first statement that may have changed it (``_changed``)
    pending: list[int] = field(default_factory=list)  # their statements, in the replay
    pending_vars: dict[str, str] = field(default_factory=dict)  # user variable -> where it was set
    pending_system: list[tuple[str, str]] = field(default_factory=list)  # (session variable, where)
    pending_prepared: dict[str, str] = field(default_factory=dict)  # prepared statement -> where
    lock: int | None = None


def plan_replay(
    statements: Sequence[Statement], k: int, server: Server, routine: Callable[[str], str | None] | None = None
) -> Replay:
    """The replay for resuming at statement ``k`` (0-based) of ``statements`` on ``server``. ``routine``:
    the body the database holds for a procedure name (None: unknown), for a ``CALL`` of a procedure the
    migration did not create itself (a callback's or an earlier migration's helper)."""
    if k <= 0 or not server.mysql_family:
        return Replay()
    st = _State()
    for i, stmt in enumerate(statements[:k]):
        _read(st, i, stmt, server, routine)
    refusals = _refusals(st, _read_first(statements[k:], server))
    return Replay(tuple(st.replay), st.lock, tuple(refusals))


def _read(
    st: _State, i: int, stmt: Statement, server: Server, routine: Callable[[str], str | None] | None = None
) -> None:
    c = classify(stmt.sql, server)
    if c.empty:
        return
    toks = (
        list(tokens(stmt.sql, server))
        if c.head in ("SET", "PREPARE", "CREATE", "DROP", "LOCK", "CALL") or "@" in stmt.sql
        else None
    )
    where = f"line {stmt.line}"
    if st.pending and not _reads_only(c.head, c.words, toks, stmt.sql, server):
        _changed(st, where)
    if c.head == "SET" and toks is not None and toks[1:2] and toks[1].up != "STATEMENT":
        _read_set(st, i, toks, where)
    elif c.head == "USE":
        st.replay.append(i)
    elif c.head in ("PREPARE", "DEALLOCATE") or c.words[:2] == ("DROP", "PREPARE"):
        _read_prepare(st, i, toks or list(tokens(stmt.sql, server)), where)
    elif c.lock is not None:
        st.lock = i if c.lock == "lock" and c.head == "LOCK" else None
    elif c.many_results:
        if not (c.head == "CALL" and toks is not None and _sets_nothing(st, _called(toks), server, routine)):
            st.opaque, st.set_after_opaque = f"{' '.join(c.words[:2])} at {where}", set()
    elif c.words[:2] in (("CREATE", "TEMPORARY"), ("DROP", "TEMPORARY"), ("DROP", "TABLE")):
        _read_temporary(st, toks or list(tokens(stmt.sql, server)), stmt.line)
    if toks is not None and c.head in ("CREATE", "DROP"):
        _read_procedure(st, toks)
    if toks is not None and c.head != "SET":
        for name in _assigned_by_query(toks):
            _lose(st, name, f"set by a query at {where}")


_OPAQUE_WORDS = frozenset({"CALL", "EXECUTE", "PREPARE"})


def _routine_name(toks: Sequence[Tok], start: int) -> tuple[str | None, int]:
    """The unqualified routine name at ``toks[start:]`` (skipping ``IF [NOT] EXISTS``) and the index after it;
    None for a schema-qualified name (it may be another schema's routine)."""
    i = start
    while i < len(toks) and toks[i].up in ("IF", "NOT", "EXISTS"):
        i += 1
    if i >= len(toks) or (i + 1 < len(toks) and toks[i + 1].text == "."):
        return None, i
    return toks[i].name, i + 1


def _called(toks: Sequence[Tok]) -> str | None:
    return _routine_name(toks, 1)[0] if toks[:1] and toks[0].up == "CALL" else None


def _read_procedure(st: _State, toks: Sequence[Tok]) -> None:
    """``CREATE PROCEDURE p …`` whose parameters and body hold no user variable, no ``CALL`` and no dynamic
    SQL: calling ``p`` later in the script leaves the user variables as they were (its statements are read as
    the script's own statements are). ``DROP PROCEDURE p`` forgets it."""
    at = next((i for i, t in enumerate(toks[:8]) if t.up == "PROCEDURE"), None)
    if at is None or toks[0].up not in ("CREATE", "DROP"):
        return
    name, after = _routine_name(toks, at + 1)
    if name is None:
        return
    st.plain.discard(name)
    st.defined.add(name)
    if toks[0].up == "CREATE" and _plain(toks[after:]):
        st.plain.add(name)


def _plain(body: Sequence[Tok]) -> bool:
    """Statements that leave the session's user variables alone: no ``@v``, no ``CALL``, no dynamic SQL."""
    return not any(t.kind == VAR or (t.kind == WORD and t.up in _OPAQUE_WORDS) for t in body)


def _sets_nothing(st: _State, name: str | None, server: Server, routine: Callable[[str], str | None] | None) -> bool:
    """A ``CALL name`` leaves the user variables as they were: a procedure this migration created with a
    plain body, or one it did not touch whose body, as the database holds it, is plain."""
    if name is None:
        return False
    if name in st.defined:
        return name in st.plain
    body = routine(name) if routine is not None else None
    return body is not None and _plain(list(tokens(body, server)))


def _read_set(st: _State, i: int, toks: list[Tok], where: str) -> None:
    session = [a for a in parse_set(toks) if a.scope == "session"]
    if not session:
        return  # SET GLOBAL / PASSWORD / DEFAULT ROLE / TRANSACTION: the server keeps it, not the session
    reasons = [r for r in (_why_lost(a.value, st) for a in session) if r]
    # read from the database (a query, or a variable read from one) while it has not changed since
    pending = bool(reasons) and all(r == _QUERIED for r in reasons)
    pending = pending or (not reasons and any(_reads_pending(a.value, st) for a in session))
    for a in session:
        if a.kind == "user":
            if reasons and not pending:
                _lose(st, a.name, f"set at {where} from {reasons[0]}")
                continue
            st.lost.pop(a.name, None)
            st.set_after_opaque.add(a.name)
            if pending:
                st.pending_vars[a.name] = where
            else:
                st.pending_vars.pop(a.name, None)
        elif pending:
            st.pending_system.append((_label(a), where))
        elif reasons:
            st.system_lost.append(f"{_label(a)} set at {where} from {reasons[0]}")
    if not reasons or pending:
        st.replay.append(i)
    if pending:
        st.pending.append(i)


_QUERIED = "a query"  # a query that gives the same answer from the same data (``_why_lost``)


def _reads_pending(value: Sequence[Tok], st: _State) -> bool:
    return any(t.kind == VAR and t.name in st.pending_vars for t in value)


def _read_prepare(st: _State, i: int, toks: list[Tok], where: str) -> None:
    """PREPARE name FROM 'text' | @v; DEALLOCATE/DROP PREPARE name."""
    words = [t for t in toks if t.kind != OP]
    name = words[1].name if words[0].up == "PREPARE" and len(words) > 1 else words[-1].name
    if words[0].up == "PREPARE":
        source = words[3:4] if len(words) > 3 else []
        why = _why_lost(tuple(source), st)
        st.prepared[name] = f"prepared at {where} from {why}" if why else None
        st.pending_prepared.pop(name, None)
        if why:
            return
        if _reads_pending(source, st):
            st.pending_prepared[name] = where
            st.pending.append(i)
    else:
        st.prepared.pop(name, None)
        st.pending_prepared.pop(name, None)
    st.replay.append(i)


def _read_temporary(st: _State, toks: list[Tok], line: int) -> None:
    ups = [t.up for t in toks]
    names = [t.name for t in toks if t.kind in (WORD, "qid") and t.up not in _DDL_WORDS]
    if ups[:2] == ["CREATE", "TEMPORARY"]:
        if names:
            st.temporary[names[0].split(".")[-1]] = line
        return
    for name in names:
        st.temporary.pop(name.split(".")[-1], None)


_DDL_WORDS = frozenset(
    {
        "CREATE",
        "DROP",
        "TEMPORARY",
        "TABLE",
        "IF",
        "NOT",
        "EXISTS",
        "OR",
        "REPLACE",
        "CASCADE",
        "RESTRICT",
        "LIKE",
        "AS",
        "SELECT",
    }
)


def _lose(st: _State, name: str, why: str) -> None:
    st.lost[name] = why
    st.set_after_opaque.discard(name)
    st.pending_vars.pop(name, None)


def _reads_only(head: str | None, words: tuple[str, ...], toks: list[Tok] | None, sql: str, server: Server) -> bool:
    """The statement leaves the database as it was: a session statement, or a SELECT/DO whose functions
    are all pure (``SET STATEMENT … FOR`` runs its statement, so it may change it)."""
    if head == "SET":
        return toks is not None and not any(t.kind == WORD and t.up == "STATEMENT" for t in toks[1:2])
    if head in ("USE", "PREPARE", "DEALLOCATE") or words[:2] == ("DROP", "PREPARE"):
        return True
    if head in ("SELECT", "DO"):
        return _deterministic(toks if toks is not None else list(tokens(sql, server)))
    return False


def _deterministic(value: Sequence[Tok]) -> bool:
    """Every function ``value`` calls depends only on its arguments and the data it reads."""
    return _why_lost_calls(value, _QUERY_PURE) is None


def _changed(st: _State, where: str) -> None:
    """The statement at ``where`` may have changed the database: what was read from it before is lost."""
    since = f"and the statement at {where} may have changed the database since"
    st.replay = [i for i in st.replay if i not in st.pending]
    for name, at in list(st.pending_vars.items()):
        _lose(st, name, f"set at {at} from a query, {since}")
    st.system_lost += [f"{label} set at {at} from a query, {since}" for label, at in st.pending_system]
    for name, at in st.pending_prepared.items():
        if name in st.prepared:
            st.prepared[name] = f"prepared at {at} from a value read by a query, {since}"
    st.pending, st.pending_vars, st.pending_system, st.pending_prepared = [], {}, [], {}


def _label(a: Assignment) -> str:
    return {"names": "SET NAMES", "charset": "SET CHARACTER SET", "role": "SET ROLE"}.get(a.kind, f"@@{a.name}")


def _assigned_by_query(toks: list[Tok]) -> list[str]:
    """User variables a statement other than SET assigns: ``@v := …`` and ``… INTO @a, @b``."""
    names = []
    into = False
    for t, nxt in zip(toks, [*toks[1:], None], strict=True):
        if t.kind == VAR and nxt is not None and nxt.text == ":=":
            names.append(t.name)
        if t.kind == WORD and t.up == "INTO":
            into = True
        elif into and t.kind == VAR:
            names.append(t.name)
        elif into and t.text != ",":
            into = False
    return names


def _words(text: str) -> list[str]:
    return text.split()


# functions whose value depends only on their arguments (and the session variables replayed before)
_PURE = frozenset(
    _words("""
    CONCAT CONCAT_WS IF IFNULL NULLIF COALESCE LOWER UPPER LCASE UCASE SUBSTRING SUBSTR SUBSTRING_INDEX LEFT
    RIGHT TRIM LTRIM RTRIM LENGTH CHAR_LENGTH CHARACTER_LENGTH OCTET_LENGTH BIT_LENGTH CAST CONVERT REPLACE
    REPEAT REVERSE LPAD RPAD INSTR LOCATE POSITION FIND_IN_SET FIELD ELT ABS ROUND TRUNCATE FLOOR CEIL CEILING
    MOD POW POWER SQRT SIGN GREATEST LEAST HEX UNHEX MD5 SHA SHA1 SHA2 CRC32 CHAR ASCII ORD BIN OCT CONV
    FORMAT DATE_FORMAT STR_TO_DATE DATE_ADD DATE_SUB ADDDATE SUBDATE TIMESTAMPADD TIMESTAMPDIFF DATEDIFF DATE
    TIME YEAR MONTH DAY DAYOFMONTH HOUR MINUTE SECOND MAKEDATE MAKETIME FROM_UNIXTIME QUOTE SPACE JSON_OBJECT
    JSON_ARRAY JSON_EXTRACT JSON_UNQUOTE JSON_SET JSON_INSERT JSON_REPLACE JSON_REMOVE JSON_QUOTE
    REGEXP_REPLACE REGEXP_SUBSTR REGEXP_INSTR INET_ATON INET_NTOA INET6_ATON INET6_NTOA TO_BASE64 FROM_BASE64
    EXPORT_SET MAKE_SET CHARSET COLLATION IN AND OR NOT XOR IS LIKE BETWEEN REGEXP RLIKE DIV WHEN THEN ELSE
    BINARY INTERVAL COLLATE VALUES DATABASE SCHEMA USER CURRENT_USER SESSION_USER SYSTEM_USER VERSION
""")
)
# words that read the clock without parentheses
_CLOCK = frozenset(
    {
        "CURRENT_TIMESTAMP",
        "CURRENT_DATE",
        "CURRENT_TIME",
        "LOCALTIME",
        "LOCALTIMESTAMP",
        "UTC_DATE",
        "UTC_TIME",
        "UTC_TIMESTAMP",
    }
)
# session variables the server changes on its own
_VOLATILE = frozenset(
    {
        "identity",
        "last_insert_id",
        "insert_id",
        "warning_count",
        "error_count",
        "timestamp",
        "rand_seed1",
        "rand_seed2",
        "pseudo_thread_id",
        "last_gtid",
        "gtid_seq_no",
        "session.timestamp",
        "session.last_insert_id",
        "session.insert_id",
    }
)


# what a query may call beside _PURE and still give the same answer from the same data
_QUERY_PURE = _PURE | frozenset(
    _words("""
    SELECT COUNT SUM MIN MAX AVG GROUP_CONCAT BIT_AND BIT_OR BIT_XOR EXISTS ANY SOME ALL FROM WHERE
""")
)


def _why_lost(value: tuple[Tok, ...] | list[Tok], st: _State) -> str | None:
    """Why running an expression again may not give the value it had (None: it gives the same;
    ``_QUERIED``: it reads the database and otherwise gives the same)."""
    for t in value:
        if t.kind == WORD and t.up == "SELECT":
            if _deterministic(value) and not _why_lost_vars(value, st):
                return _QUERIED
            return _why_lost_vars(value, st) or f"a query calling {_why_lost_calls(value, _QUERY_PURE)}"
    return _why_lost_vars(value, st) or _why_lost_calls(value)


def _why_lost_calls(value: Sequence[Tok], pure: frozenset[str] = _PURE) -> str | None:
    """A clock, a function not in ``pure``, or a variable the server changes on its own."""
    for t, nxt in zip(value, [*value[1:], None], strict=True):
        if t.kind == WORD and (t.up in _CLOCK or (nxt is not None and nxt.text == "(" and t.up not in pure)):
            return f"{t.up}()" if t.up not in _CLOCK else t.up
        if t.kind == SYSVAR and t.name in _VOLATILE:
            return t.text
    return None


def _why_lost_vars(value: tuple[Tok, ...] | list[Tok], st: _State) -> str | None:
    """A user variable whose value cannot be rebuilt."""
    for t in value:
        if t.kind == VAR and t.name in st.lost:
            return f"@{t.name}, which was {st.lost[t.name]}"
        if t.kind == VAR and st.opaque and t.name not in st.set_after_opaque:
            return f"@{t.name}, which {st.opaque} may have set"
    return None


def _read_first(rest: Sequence[Statement], server: Server) -> tuple[set[str], set[str]]:
    """User variables and prepared statements the remaining statements use before setting them."""
    used: set[str] = set()
    defined: set[str] = set()
    executed: set[str] = set()
    for stmt in rest:
        if "@" not in stmt.sql and "EXECUTE" not in stmt.sql.upper():
            continue
        toks = list(tokens(stmt.sql, server))
        assigned = {a.name for a in parse_set(toks) if a.kind == "user"} if toks[:1] and toks[0].up == "SET" else set()
        assigned |= set(_assigned_by_query(toks))
        used |= {t.name for t in toks if t.kind == VAR} - defined - assigned
        defined |= assigned
        if toks[:1] and toks[0].up == "EXECUTE" and len(toks) > 1 and toks[1].up != "IMMEDIATE":
            executed.add(toks[1].name)
    return used, executed


def _refusals(st: _State, needs: tuple[set[str], set[str]]) -> list[str]:
    used, executed = needs
    out = [f"@{name}, {st.lost[name]}" for name in sorted(used) if name in st.lost]
    if st.opaque:
        out += [
            f"@{name}, which {st.opaque} may have set"
            for name in sorted(used)
            if name not in st.lost and name not in st.set_after_opaque
        ]
    out += [f"the prepared statement {name}, {st.prepared[name]}" for name in sorted(executed) if st.prepared.get(name)]
    out += [f"session variable {what}" for what in st.system_lost]
    out += [f"the temporary table {name} created at line {line}" for name, line in sorted(st.temporary.items())]
    return out
