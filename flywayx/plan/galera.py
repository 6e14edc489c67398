"""What Galera cannot run safely, found in migrations before they run (``lint --cluster galera``, and
``migrate`` on a Galera node, which refuses before anything runs).

Rules (all errors unless noted; each finding carries its fix):

  galera-lock-tables        LOCK TABLES / UNLOCK TABLES / FLUSH TABLES … WITH READ LOCK: table locks are
                            not replicated; other nodes keep writing the "locked" tables
  galera-non-innodb         a write to a MyISAM/Aria/MEMORY/… table, or a table created or altered to
                            such an engine: Galera replicates InnoDB rows only, so the other nodes
                            never get the rows
  galera-create-select      CREATE TABLE … SELECT creating a table without a primary key (or not InnoDB):
                            its rows replicate without a key to certify and apply them by
  galera-no-primary-key     (warning) CREATE TABLE without a primary key: every later row change on it
                            replicates slowly and can apply differently on each node
  galera-large-transaction  one transaction (consecutive DML of a migration) writing more rows or bytes
                            than ``wsrep_max_ws_rows`` / ``wsrep_max_ws_size`` allow: the node rejects
                            it at commit, after the work is done

A statement carrying the comment ``-- flywayx:galera-ok`` is not reported (a reviewer checked it).
Without a database the rules see only the migrations (engines of tables they create, rows in
``INSERT … VALUES`` lists); with ``GaleraFacts`` from the live node (``migrate``) they also know the
engines of existing tables, their row counts and the node's limits. Pure: no driver, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from flywayx.model.lint import Finding, LintPolicy, Severity
from flywayx.model.migration import Statement

W, E = Severity.WARNING, Severity.ERROR
DEFAULT_MAX_WS_SIZE = 2147483647  # MariaDB's default wsrep_max_ws_size (2 GiB)
TRANSACTIONAL = frozenset({"innodb", "xtradb"})
ALLOW = "flywayx:galera-ok"  # a comment in a statement that a reviewer has checked: not reported

_NAME = r"((?:`[^`]+`|\w+)(?:\s*\.\s*(?:`[^`]+`|\w+))?)"
_LOCK = re.compile(r"^(LOCK\s+TABLES?|UNLOCK\s+TABLES?|FLUSH\s+TABLES?\b.*\bWITH\s+READ\s+LOCK)\b", re.I | re.S)
_CREATE = re.compile(r"^CREATE\s+(?:OR\s+REPLACE\s+)?(TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?" + _NAME, re.I)
_ALTER = re.compile(r"^ALTER\s+(?:ONLINE\s+)?(?:IGNORE\s+)?TABLE\s+" + _NAME, re.I)
_ENGINE = re.compile(r"(?<![\w.`])ENGINE\b\s*=?\s*`?(\w+)", re.I)  # the table option, not a column name
_WRITE = (
    re.compile(
        r"^(?:INSERT|REPLACE)\s+(?:(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE)\s+)*(?:INTO\s+)?" + _NAME, re.I
    ),
    re.compile(r"^UPDATE\s+(?:(?:LOW_PRIORITY|IGNORE)\s+)*" + _NAME, re.I),
    re.compile(r"^DELETE\s+(?:(?:LOW_PRIORITY|QUICK|IGNORE)\s+)*FROM\s+" + _NAME, re.I),
    re.compile(r"^LOAD\s+(?:DATA|XML)\b.*?\bINTO\s+TABLE\s+" + _NAME, re.I | re.S),
)
_DML = re.compile(r"^(INSERT|REPLACE|UPDATE|DELETE|LOAD)\b", re.I)
_DML_WORDS = frozenset({"INSERT", "REPLACE", "UPDATE", "DELETE", "LOAD"})
_NOISE = re.compile(r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.)*\"|/\*(?!M?!).*?\*/|--[^\n]*|#[^\n]*", re.S)


class Verdict(Protocol):
    """The shared classifier's answer for one statement (``flywayx.statements.classify.StatementClass``):
    passed in by ``service/`` so that "is this LOCK TABLES / DML / nothing the server runs" is decided
    once, the same way the runner decides it."""

    @property
    def lock(self) -> str | None: ...

    @property
    def head(self) -> str: ...

    @property
    def empty(self) -> bool: ...


Classifier = Callable[[str], Verdict]


@dataclass(frozen=True)
class GaleraFacts:
    """What the live node says (``migrate``); empty for ``lint`` without a database. Table names are
    lower-case and unqualified."""

    engines: Mapping[str, str] = field(default_factory=dict)
    rows: Mapping[str, int] = field(default_factory=dict)  # information_schema.TABLES.TABLE_ROWS (estimate)
    row_bytes: Mapping[str, int] = field(default_factory=dict)  # AVG_ROW_LENGTH
    max_ws_rows: int = 0  # 0: no limit (MariaDB's default)
    max_ws_size: int = DEFAULT_MAX_WS_SIZE


def _clean(sql: str) -> str:
    """The statement without comments, with string literals emptied (their text cannot match a keyword)."""
    return " ".join(_NOISE.sub(lambda m: "''" if m.group(0)[:1] in "'\"" else " ", sql).split())


def _bare(name: str) -> str:
    return name.replace("`", "").replace(" ", "").rpartition(".")[2].lower()


def _top_level(text: str, start: int) -> str:
    """``text`` from ``start`` with parenthesised parts removed (what is at nesting depth 0)."""
    out, depth = [], 0
    for ch in text[start:]:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _first_group(text: str, start: int) -> str:
    """The text inside the first parenthesised group at or after ``start`` (the column list)."""
    open_at = text.find("(", start)
    if open_at < 0:
        return ""
    depth = 0
    for i in range(open_at, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return text[open_at + 1 : i]
    return text[open_at + 1 :]


def _values_rows(text: str) -> int:
    """Rows of an ``INSERT … VALUES (…), (…)`` list (0 when there is none)."""
    m = re.search(r"\bVALUES?\b", text, re.I)
    if m is None:
        return 0
    rows, depth = 0, 0
    for ch in text[m.end() :]:
        if ch == "(":
            if depth == 0:
                rows += 1
            depth += 1
        elif ch == ")":
            depth -= 1
    return rows


@dataclass
class _Txn:
    """Consecutive DML of one migration: what one Galera write set carries."""

    first: Statement | None = None
    rows: int = 0
    size: int = 0


class _Checker:
    def __init__(self, facts: GaleraFacts) -> None:
        self.facts = facts
        self.engines = {k.lower(): v for k, v in facts.engines.items()}  # as the server spells them

    def statement(self, s: Statement, verdict: Verdict | None = None) -> Iterator[tuple[str, Severity, str, str]]:
        text = _clean(s.sql)
        if verdict is not None and verdict.empty:  # nothing this server runs (a skipped versioned comment)
            return
        table_lock = (
            (verdict.lock == "lock" or (verdict.lock == "unlock" and verdict.head == "UNLOCK"))
            if verdict is not None
            else _LOCK.match(text) is not None
        )
        if table_lock:
            yield (
                "galera-lock-tables",
                E,
                "LOCK/UNLOCK TABLES is not replicated by Galera: the other nodes "
                "keep writing the tables this node locked",
                "remove it: the migration lock already keeps other runners out, and each DML statement "
                "runs in a transaction",
            )
            return
        create = _CREATE.match(text)
        if create:
            yield from self._create(text, create)
            return
        alter = _ALTER.match(text)
        if alter:
            to = _ENGINE.search(_top_level(text, alter.end()))
            if to:
                self.engines[_bare(alter.group(1))] = to.group(1)
                if to.group(1).lower() not in TRANSACTIONAL:
                    yield (
                        "galera-non-innodb",
                        E,
                        f"converts {_bare(alter.group(1))} to {to.group(1)}: Galera replicates only InnoDB rows",
                        "keep the table InnoDB",
                    )
            return
        table = self.written(text)
        engine = self.engines.get(table or "")
        if table and engine and engine.lower() not in TRANSACTIONAL:
            yield (
                "galera-non-innodb",
                E,
                f"writes to {table}, a {engine} table: Galera does not replicate its "
                "rows, so the other nodes never get them",
                f"convert it first (ALTER TABLE {table} ENGINE=InnoDB) in an earlier migration",
            )

    def _create(self, text: str, m: re.Match[str]) -> Iterator[tuple[str, Severity, str, str]]:
        if m.group(1):  # a TEMPORARY table lives on this node and this session only
            return
        name = _bare(m.group(2))
        rest = text[m.end() :]
        if re.match(r"\s*(?:\(\s*)?LIKE\b", rest, re.I):
            return
        top = _top_level(rest, 0)
        engine_m = _ENGINE.search(top)
        engine = engine_m.group(1).lower() if engine_m else "innodb"
        self.engines[name] = engine_m.group(1) if engine_m else "InnoDB"
        columns = _first_group(rest, 0) if rest.lstrip().startswith("(") else ""
        keyed = re.search(r"\bPRIMARY\s+KEY\b", columns, re.I) is not None
        if engine not in TRANSACTIONAL:
            yield (
                "galera-non-innodb",
                E,
                f"creates {name} as a {engine_m.group(1) if engine_m else engine} table: "
                "Galera replicates only InnoDB rows",
                "use ENGINE=InnoDB (or leave ENGINE out)",
            )
        elif re.search(r"\bSELECT\b", top, re.I):
            if not keyed:
                yield (
                    "galera-create-select",
                    E,
                    f"CREATE TABLE {name} … SELECT makes a table without a primary key: "
                    "Galera replicates its rows without a key to certify and apply them by",
                    f"create {name} first with its columns and a PRIMARY KEY, then INSERT INTO {name} SELECT …",
                )
        elif not keyed:
            yield (
                "galera-no-primary-key",
                W,
                f"creates {name} without a primary key: every row change on it "
                "replicates slowly and may apply differently on each node",
                "add a PRIMARY KEY",
            )

    def written(self, text: str) -> str | None:
        for pattern in _WRITE:
            m = pattern.match(text)
            if m:
                return _bare(m.group(1))
        return None

    def weight(self, text: str) -> tuple[int, int]:
        """(rows, bytes) this DML statement adds to its write set, as far as known (a WHERE: unknown, 0)."""
        rows = _values_rows(text) if re.match(r"^(INSERT|REPLACE)\b", text, re.I) else 0
        if rows:
            return rows, len(text.encode())
        table = self.written(text)
        source = re.search(r"\bFROM\s+" + _NAME, text, re.I) if re.match(r"^(INSERT|REPLACE)", text, re.I) else None
        subject = _bare(source.group(1)) if source else table
        whole = re.search(r"\b(WHERE|LIMIT)\b", text, re.I) is None
        if subject and whole and subject in self.facts.rows:
            n = self.facts.rows[subject]
            return n, n * self.facts.row_bytes.get(subject, 0)
        return 0, len(text.encode())


def galera_findings(
    targets: Sequence[tuple[str, Sequence[Statement]]],
    facts: GaleraFacts | None = None,
    policy: LintPolicy | None = None,
    classify: Classifier | None = None,
) -> list[Finding]:
    """Every Galera finding in ``targets`` (``(path, statements)`` in the order they run), sorted.
    ``classify``: the shared statement classifier (table locks, DML, empty statements); without it the
    rules fall back to their own patterns."""
    pol = policy or LintPolicy()
    checker = _Checker(facts or GaleraFacts())
    found: list[Finding] = []
    for path, statements in targets:
        txn = _Txn()
        for s in statements:
            if ALLOW in s.sql:
                continue
            verdict = classify(s.sql) if classify is not None else None
            for rule, sev, msg, fix in checker.statement(s, verdict):
                found.append(_finding(path, s, rule, pol.severity_of(rule, sev), msg, fix))
            text = _clean(s.sql)
            dml = verdict.head in _DML_WORDS if verdict is not None else _DML.match(text) is not None
            if dml:
                rows, size = checker.weight(text)
                txn = txn if txn.first is not None else _Txn(s)
                txn.rows, txn.size = txn.rows + rows, txn.size + size
                continue
            found += _too_big(path, txn, checker.facts, pol)
            txn = _Txn()
        found += _too_big(path, txn, checker.facts, pol)
    found = [f for f in found if f.rule not in pol.disabled]
    return sorted(found, key=lambda f: (f.path, f.line, f.rule, f.message))


def _too_big(path: str, txn: _Txn, facts: GaleraFacts, pol: LintPolicy) -> list[Finding]:
    if txn.first is None:
        return []
    over = []
    if facts.max_ws_rows and txn.rows > facts.max_ws_rows:
        over.append(f"{txn.rows} rows (wsrep_max_ws_rows = {facts.max_ws_rows})")
    if txn.size > facts.max_ws_size:
        over.append(f"about {txn.size} bytes (wsrep_max_ws_size = {facts.max_ws_size})")
    if not over:
        return []
    rule = "galera-large-transaction"
    return [
        _finding(
            path,
            txn.first,
            rule,
            pol.severity_of(rule, E),
            f"one transaction here writes {' and '.join(over)}: the node rejects it at commit",
            "split it into batches that commit on their own (e.g. UPDATE … LIMIT 10000 repeated, or "
            "INSERT in chunks, each in its own migration or separated by a DDL), or raise the limit on "
            "every node",
        )
    ]


def _finding(path: str, s: Statement, rule: str, sev: Severity, msg: str, fix: str) -> Finding:
    text = " ".join(s.sql.split())
    short = text if len(text) <= 200 else text[:197] + "..."
    return Finding(
        rule=rule, severity=sev, message=f"{path}:{s.line}: {msg}", fix=fix, path=path, line=s.line, statement=short
    )


__all__ = ["DEFAULT_MAX_WS_SIZE", "Classifier", "GaleraFacts", "Verdict", "galera_findings"]


# ------------------------------------------------------------------------------------------------ RSU

_RSU_CREATE_INDEX = re.compile(r"^CREATE\s+(?:OR\s+REPLACE\s+)?(UNIQUE\s+)?INDEX\b", re.I)
_RSU_VIEW = re.compile(
    r"^CREATE\s+(?:OR\s+REPLACE\s+)?(?:ALGORITHM\s*=\s*\w+\s+)?(?:DEFINER\s*=\s*\S+\s+)?"
    r"(?:SQL\s+SECURITY\s+\w+\s+)?VIEW\b",
    re.I,
)
_RSU_ADD = re.compile(
    r"^ADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?!INDEX\b|KEY\b|UNIQUE\b|CONSTRAINT\b|"
    r"PRIMARY\b|FOREIGN\b|FULLTEXT\b|SPATIAL\b|PARTITION\b)",
    re.I,
)
_RSU_ADD_INDEX = re.compile(r"^ADD\s+(?:INDEX|KEY|FULLTEXT|SPATIAL)\b", re.I)


def _split_top(text: str) -> list[str]:
    """``text`` split at the commas outside parentheses (the clauses of an ALTER TABLE)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def rsu_refusal(statements: Sequence[Statement]) -> str | None:
    """Why ``statements`` cannot be applied node by node with a rolling schema upgrade (RSU), or None.

    While the upgrade runs, some nodes have the new schema and some the old one, and row changes still
    replicate between them (by column position). That is safe only for changes the old schema's rows
    fit: new tables, new views, new non-unique indexes, and new columns added at the end of a table.
    Everything else is named, with the reason: data changes, a column placed with FIRST/AFTER, unique
    indexes and constraints (checked on some nodes only), and any change to existing columns or keys.
    """
    for s in statements:
        text = _clean(s.sql).rstrip(";").strip()
        why = _rsu_why(text)
        if why is not None:
            return f"line {s.line} ({' '.join(text.split())[:80]}): {why}"
    return None


def _rsu_why(text: str) -> str | None:
    if not text:
        return None
    if _DML.match(text) or re.match(r"^(CALL|DO|SET)\b", text, re.I):
        return (
            "it is not a schema change: row changes replicate at once, also to the nodes still on the old "
            "schema; run this migration with the default TOI (without --rsu)"
        )
    create = _CREATE.match(text)
    if create:
        if create.group(1) or not re.search(r"\bSELECT\b", _top_level(text, create.end()), re.I):
            return None
        return "CREATE TABLE … SELECT copies rows: run it with TOI"
    index = _RSU_CREATE_INDEX.match(text)
    if index:
        return (
            "a unique index would be checked on the upgraded nodes only: add it with TOI in the contract phase"
            if index.group(1)
            else None
        )
    if _RSU_VIEW.match(text):
        return None
    alter = _ALTER.match(text)
    if alter is None:
        return "flywayx cannot tell that this statement is safe while nodes differ: run it with TOI"
    for clause in _split_top(text[alter.end() :]):
        if re.match(r"^(ALGORITHM|LOCK)\s*=", clause, re.I):
            continue
        if _RSU_ADD_INDEX.match(clause):
            continue
        if _RSU_ADD.match(clause):
            if re.search(r"\b(FIRST|AFTER)\b", _top_level(clause, 0), re.I):
                return (
                    "the column is placed with FIRST/AFTER: rows replicate by column position, so nodes with "
                    "the old and the new column order would mix up values; add it at the end"
                )
            if re.search(r"\b(UNIQUE|PRIMARY\s+KEY|REFERENCES|AUTO_INCREMENT)\b", clause, re.I):
                return "the new column carries a key or constraint the old nodes do not check: run it with TOI"
            continue
        return (
            "it changes existing columns, keys or options: rows replicated between the old and the new "
            "schema would not apply the same; run it with TOI"
        )
    return None


__all__ += ["rsu_refusal"]
