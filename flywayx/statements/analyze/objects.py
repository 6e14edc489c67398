"""Statements on objects other than a table's columns, and maintenance commands.

``alter_other``: ALTER VIEW/SEQUENCE/TYPE/INDEX/USER/ROLE/SCHEMA/ROUTINE/EVENT/TRIGGER/POLICY.
``maintenance``: REINDEX, VACUUM, ANALYZE, CLUSTER, OPTIMIZE, LOCK TABLE, REFRESH MATERIALIZED VIEW.
``policy_or_rule``: PostgreSQL CREATE/DROP POLICY and RULE. ``revoke``: REVOKE.

Phases: renames and dropped enum labels or attributes break the previous release (contract); a
sequence restarted hands out other values (data); privileges revoked, passwords changed, accounts
locked, policies and rules change what the previous release may do (contract, ``behaviour`` note);
the rest is expand. PostgreSQL lock levels are the documented ones for each form (checked against
``pg_locks`` by tests/online/test_labelled_locks.py).
"""

from __future__ import annotations

from flywayx.model.footprint import Phase
from flywayx.model.lint import BEHAVIOUR, DROP_OBJECT, RENAME, TIGHTEN
from flywayx.statements.analyze.builder import Acc
from flywayx.statements.analyze.cursor import Cursor

_KINDS = {
    "VIEW": "view",
    "MATERIALIZED": "view",
    "PROCEDURE": "routine",
    "FUNCTION": "routine",
    "EVENT": "event",
    "SEQUENCE": "sequence",
    "TYPE": "type",
    "DOMAIN": "type",
    "SCHEMA": "schema",
    "DATABASE": "schema",
    "INDEX": "index",
    "TRIGGER": "trigger",
    "USER": "role",
    "ROLE": "role",
    "POLICY": "policy",
    "RULE": "rule",
}
_VIEW_PREFIX = frozenset({"ALGORITHM", "DEFINER", "SQL", "SECURITY", "=", "UNDEFINED", "MERGE", "TEMPTABLE", "INVOKER"})
_ACCOUNT_CHANGES = frozenset({"PASSWORD", "IDENTIFIED", "ACCOUNT", "NOLOGIN", "VALID", "RENAME", "NOINHERIT"})
# PostgreSQL: lock taken on the object by ALTER <kind> (ALTER SEQUENCE: RENAME/SET SCHEMA take more)
_PG_ALTER_LOCK = {
    "view": "ACCESS EXCLUSIVE",
    "sequence": "SHARE ROW EXCLUSIVE",
    "index": "SHARE UPDATE EXCLUSIVE",
    "policy": "ACCESS EXCLUSIVE",
    "trigger": "ACCESS EXCLUSIVE",
}


def alter_other(c: Cursor, acc: Acc) -> None:
    """ALTER of a view, sequence, type, index, account, schema, routine, event, trigger or policy."""
    while c.up() in _VIEW_PREFIX or c.up().startswith("'"):
        c.next()
    kw = c.up()
    if kw == "DEFAULT":  # PostgreSQL ALTER DEFAULT PRIVILEGES ... GRANT | REVOKE
        if any(t.up == "REVOKE" for t in c.rest()):
            revoke(c, acc)
        else:
            acc.write("grant", "privileges")
        return
    if kw not in _KINDS:
        acc.unknown(f"ALTER {kw or '?'} is not analysed")
        return
    c.next()
    c.accept("VIEW")  # MATERIALIZED VIEW
    c.accept("IF", "EXISTS")
    kind, name = _KINDS[kw], c.name() or "?"
    acc.write(kind, name if kind != "index" else f"*.{name}")
    rest = [t.up for t in c.rest()]
    renamed = "RENAME" in rest or rest[:2] == ["SET", "SCHEMA"]
    if acc.family == "postgresql" and kind in _PG_ALTER_LOCK:
        level = "ACCESS EXCLUSIVE" if renamed and kind == "sequence" else _PG_ALTER_LOCK[kind]
        if kw == "MATERIALIZED" and rest[:2] in (["SET", "("], ["RESET", "("]):  # storage parameters (seen on PG 15)
            level = "SHARE UPDATE EXCLUSIVE"
        acc.set_lock(level)
    if kind == "type":
        _alter_type(name, rest, acc, domain=kw == "DOMAIN")
    elif kind == "sequence" and "RESTART" in rest and not renamed:
        acc.write("rows", f"sequence:{name}")
        acc.bump(Phase.DATA)
    elif kind == "role" and _ACCOUNT_CHANGES & set(rest):
        acc.note(BEHAVIOUR, f"account {name} changed ({', '.join(sorted(_ACCOUNT_CHANGES & set(rest))).lower()})")
        acc.bump(Phase.CONTRACT)
    elif kind == "policy":
        acc.note(BEHAVIOUR, f"policy {name} changed: the rows the previous release may see or write change")
        acc.bump(Phase.CONTRACT)
    elif renamed and kind not in ("index", "trigger"):  # index and trigger names are not used by queries
        acc.note(RENAME, f"{kind} {name}")
        acc.bump(Phase.CONTRACT)


def _alter_type(name: str, rest: list[str], acc: Acc, domain: bool) -> None:
    """ALTER TYPE: ADD VALUE/ATTRIBUTE is additive; renaming or dropping labels/attributes is not.
    ALTER DOMAIN ... ADD CONSTRAINT / SET NOT NULL tightens what the previous release may write."""
    if "ATTRIBUTE" in rest and acc.family == "postgresql":
        acc.set_lock("ACCESS EXCLUSIVE")  # a composite type's row type is locked
    if domain and (rest[:2] == ["ADD", "CONSTRAINT"] or rest[:1] == ["ADD"] or rest[:3] == ["SET", "NOT", "NULL"]):
        acc.note(TIGHTEN, f"{name} (domain constraint)")
        acc.bump(Phase.CONTRACT)
        return
    if rest[:1] == ["ADD"]:
        return
    if rest[:1] == ["RENAME"]:
        acc.note(RENAME, f"type {name} {' '.join(rest[1:3]).lower()}")
        acc.bump(Phase.CONTRACT)
    elif rest[:1] in (["DROP"], ["ALTER"]):
        acc.note(DROP_OBJECT, f"type:{name} ({' '.join(rest[:2]).lower()})")
        acc.bump(Phase.CONTRACT)


_PG_MAINTENANCE = {
    "REINDEX": "SHARE",
    "VACUUM": "SHARE UPDATE EXCLUSIVE",
    "ANALYZE": "SHARE UPDATE EXCLUSIVE",
    "CLUSTER": "ACCESS EXCLUSIVE",
    "REFRESH": "ACCESS EXCLUSIVE",
    "LOCK": "ACCESS EXCLUSIVE",
}
_LOCK_MODES = (
    "ACCESS SHARE",
    "ROW SHARE",
    "ROW EXCLUSIVE",
    "SHARE UPDATE EXCLUSIVE",
    "SHARE ROW EXCLUSIVE",
    "SHARE",
    "EXCLUSIVE",
    "ACCESS EXCLUSIVE",
)


def maintenance(c: Cursor, acc: Acc) -> None:
    """REINDEX, VACUUM, ANALYZE, CLUSTER, REFRESH MATERIALIZED VIEW, LOCK TABLE: nothing persistent
    changes (expand, idempotent); on PostgreSQL the lock they hold while they work."""
    words = [t.up for t in c.toks]
    acc.idempotent = True
    if acc.family != "postgresql" or words[0] not in _PG_MAINTENANCE:
        return
    level = _PG_MAINTENANCE[words[0]]
    if words[0] == "LOCK":
        text = " ".join(words)
        level = next((m for m in _LOCK_MODES if f" IN {m} MODE" in text), level)
    elif "CONCURRENTLY" in words:
        level = "EXCLUSIVE" if words[0] == "REFRESH" else "SHARE UPDATE EXCLUSIVE"
    elif words[0] == "VACUUM" and "FULL" in words:
        level = "ACCESS EXCLUSIVE"
    if words[0] == "REFRESH":
        acc.write("view", " ".join(words[3:4]).lower() or "?")
    acc.set_lock(level)


def policy_or_rule(c: Cursor, acc: Acc) -> None:
    """PostgreSQL CREATE/DROP POLICY|RULE name ON table: changes what the previous release may see
    or what its writes do (contract); ACCESS EXCLUSIVE on the table."""
    verb = (c.next() or _EMPTY).up
    c.accept("OR", "REPLACE")
    kind = (c.next() or _EMPTY).up.lower()
    c.accept("IF", "EXISTS")
    name = c.name() or "?"
    toks = c.rest()
    on = next((k for k, t in enumerate(toks) if t.up in ("ON", "TO")), None)
    table = Cursor(toks, on + 1).name() if on is not None else None
    acc.write(kind, f"{table or '*'}.{name}")
    if table:
        acc.read("table", table)
    acc.note(BEHAVIOUR, f"{kind} {name} {'dropped' if verb == 'DROP' else 'created'} on {table or '?'}")
    acc.bump(Phase.CONTRACT)
    if acc.family == "postgresql":
        acc.set_lock("ACCESS EXCLUSIVE")


def revoke(c: Cursor, acc: Acc) -> None:
    """REVOKE: the previous release may lose a privilege it uses (contract)."""
    acc.write("grant", "privileges")
    acc.note(BEHAVIOUR, "privileges revoked: the previous release may still need them")
    acc.bump(Phase.CONTRACT)


class _Empty:
    up = ""


_EMPTY = _Empty()
