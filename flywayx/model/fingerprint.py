"""A database schema as a comparable value, and the pure diff between two of them.

``flywayx.db.fingerprint.fingerprint`` reads one from a live database; this module only holds the
values, their canonical JSON, a stable SHA-256 ``digest`` and ``diff``. Every collection is kept in
a deterministic order (columns by position, everything else by name), so equal schemas give equal
JSON and equal digests. Dialect quirks are normalised by the reader, never here, except for the
dialect-neutral text helpers (``normalise_sql``, ``strip_qualifier``) that readers share.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

FORMAT = 1


@dataclass(frozen=True)
class Column:
    """One column. ``default`` is the normalised default expression or literal, None for none."""

    name: str
    type: str
    nullable: bool
    default: str | None = None
    extra: str = ""  # "auto_increment", "on update CURRENT_TIMESTAMP", "identity always", ...
    charset: str | None = None
    collation: str | None = None
    comment: str = ""


@dataclass(frozen=True)
class Index:
    """A secondary index (the primary key lives on ``Table``). ``columns`` in key order."""

    name: str
    columns: tuple[str, ...]
    unique: bool
    method: str = ""  # btree, hash, fulltext, gin ... lower-cased; "" when the dialect has one kind
    predicate: str | None = None  # partial index condition (PostgreSQL, SQLite)


@dataclass(frozen=True)
class ForeignKey:
    """``ref_table`` is bare when in the same schema, ``schema.table`` otherwise."""

    name: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str = "NO ACTION"
    on_update: str = "NO ACTION"


@dataclass(frozen=True)
class Check:
    name: str
    clause: str


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...] = ()
    primary_key: tuple[str, ...] = ()
    indexes: tuple[Index, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    checks: tuple[Check, ...] = ()
    options: tuple[tuple[str, str], ...] = ()  # engine, collation, comment ... sorted by key


@dataclass(frozen=True)
class View:
    name: str
    definition: str
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Routine:
    """A procedure or function; ``name`` carries the argument types where overloading exists (PG)."""

    name: str
    kind: str  # PROCEDURE, FUNCTION, AGGREGATE ...
    signature: str
    body: str
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Trigger:
    name: str
    table: str
    timing: str  # BEFORE, AFTER, INSTEAD OF
    event: str  # INSERT, UPDATE, DELETE (several joined by " OR ")
    body: str


@dataclass(frozen=True)
class Schema:
    name: str
    tables: tuple[Table, ...] = ()
    views: tuple[View, ...] = ()
    routines: tuple[Routine, ...] = ()
    triggers: tuple[Trigger, ...] = ()


@dataclass(frozen=True)
class SchemaFingerprint:
    """The structure of some schemas of one database. ``dialect`` is mysql, postgresql or sqlite.

    ``digest`` covers everything, schema names included: compare databases of different names
    with ``renamed`` (or let ``diff`` pair a single schema on each side).
    """

    dialect: str
    schemas: tuple[Schema, ...] = ()

    def to_json(self, indent: int | None = 1) -> str:
        """Canonical JSON (sorted keys); ``from_json(to_json())`` gives back an equal value."""
        body = {"format": FORMAT, "dialect": self.dialect, "schemas": [_plain(s) for s in self.schemas]}
        seps = (",", ":") if indent is None else (",", ": ")
        return json.dumps(body, sort_keys=True, indent=indent, separators=seps, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> SchemaFingerprint:
        """Parse ``to_json`` output; raises ValueError on another format version."""
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"unsupported fingerprint format {data.get('format')!r}")
        return cls(data["dialect"], tuple(_schema(s) for s in data["schemas"]))

    @property
    def digest(self) -> str:
        """sha256 hex of the compact canonical JSON."""
        return hashlib.sha256(self.to_json(indent=None).encode("utf-8")).hexdigest()

    def schema(self, name: str) -> Schema | None:
        return next((s for s in self.schemas if s.name == name), None)

    def renamed(self, names: Mapping[str, str]) -> SchemaFingerprint:
        """The same fingerprint with schemas (and cross-schema FK targets) renamed."""
        out = []
        for s in self.schemas:
            tables = tuple(
                replace(t, foreign_keys=tuple(_rename_fk(f, names) for f in t.foreign_keys)) for t in s.tables
            )
            out.append(replace(s, name=names.get(s.name, s.name), tables=tables))
        return replace(self, schemas=tuple(sorted(out, key=lambda s: s.name)))


def _rename_fk(fk: ForeignKey, names: Mapping[str, str]) -> ForeignKey:
    schema, dot, table = fk.ref_table.rpartition(".")
    if dot and schema in names:
        return replace(fk, ref_table=f"{names[schema]}.{table}")
    return fk


# ---------------------------------------------------------------- JSON plumbing


def _plain(value: Any) -> Any:
    """JSON's value of a field: dataclasses as dicts, tuples as lists (each field of each table of a
    schema passes here once: the field names are looked up once per class)."""
    kind = type(value)
    if kind is str or kind is bool or kind is int or value is None:
        return value
    if kind is tuple:
        return [_plain(v) for v in value]
    if hasattr(kind, "__dataclass_fields__"):
        names = _FIELD_NAMES.get(kind)
        if names is None:
            names = _FIELD_NAMES[kind] = tuple(f.name for f in fields(value))
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # a dataclass's field names, in order


def _pairs(raw: Iterable[Iterable[str]]) -> tuple[tuple[str, str], ...]:
    return tuple((k, v) for k, v in raw)


def _table(d: dict[str, Any]) -> Table:
    return Table(
        name=d["name"],
        columns=tuple(Column(**c) for c in d["columns"]),
        primary_key=tuple(d["primary_key"]),
        indexes=tuple(Index(**{**i, "columns": tuple(i["columns"])}) for i in d["indexes"]),
        foreign_keys=tuple(
            ForeignKey(**{**f, "columns": tuple(f["columns"]), "ref_columns": tuple(f["ref_columns"])})
            for f in d["foreign_keys"]
        ),
        checks=tuple(Check(**c) for c in d["checks"]),
        options=_pairs(d["options"]),
    )


def _schema(d: dict[str, Any]) -> Schema:
    return Schema(
        name=d["name"],
        tables=tuple(_table(t) for t in d["tables"]),
        views=tuple(View(**{**v, "options": _pairs(v["options"])}) for v in d["views"]),
        routines=tuple(Routine(**{**r, "options": _pairs(r["options"])}) for r in d["routines"]),
        triggers=tuple(Trigger(**t) for t in d["triggers"]),
    )


# ---------------------------------------------------------------- diff


@dataclass(frozen=True)
class Drift:
    """One difference. ``kind`` is ``missing`` (expected, absent), ``added`` (present, not expected)
    or ``changed``; ``attribute``, ``expected`` and ``actual`` are set for ``changed``.

    ``str(drift)`` is the line a user reads, e.g.
    ``table cloud.vm_instance column foo: type varchar(255) != varchar(40)``.
    """

    path: str
    kind: str
    attribute: str = ""
    expected: str = ""
    actual: str = ""

    def __str__(self) -> str:
        if self.kind == "changed":
            return f"{self.path}: {self.attribute} {self.expected} != {self.actual}"
        return f"{self.path}: {self.kind}"


def diff(expected: SchemaFingerprint, actual: SchemaFingerprint, *, ignore_column_order: bool = False) -> list[Drift]:
    """Every object missing from, added to or changed in ``actual`` relative to ``expected``.

    Schemas pair by name; when exactly one schema on each side is left unpaired they are compared
    with each other (two databases of different names), and paths use the expected name. Column
    order is compared unless ``ignore_column_order``. The result is sorted by path.
    """
    out: list[Drift] = []
    exp = {s.name: s for s in expected.schemas}
    act = {s.name: s for s in actual.schemas}
    lone_e = [n for n in exp if n not in act]
    lone_a = [n for n in act if n not in exp]
    if len(lone_e) == 1 and len(lone_a) == 1:
        act[lone_e[0]] = act.pop(lone_a[0])
    for name in sorted(exp.keys() | act.keys()):
        e, a = exp.get(name), act.get(name)
        if e is None or a is None:
            out.append(Drift(f"schema {name}", "missing" if a is None else "added"))
        else:
            out.extend(_diff_schema(e, a, ignore_column_order))
    return sorted(out, key=lambda d: (d.path, d.attribute))


def _diff_schema(e: Schema, a: Schema, ignore_order: bool) -> list[Drift]:
    s = e.name
    out = _diff_named(
        e.tables, a.tables, lambda n: f"table {s}.{n}", lambda x, y, p: _diff_table(x, y, p, ignore_order)
    )
    out += _diff_named(e.views, a.views, lambda n: f"view {s}.{n}", _diff_fields)
    out += _diff_named(e.routines, a.routines, lambda n: f"routine {s}.{n}", _diff_fields)
    out += _diff_named(e.triggers, a.triggers, lambda n: f"trigger {s}.{n}", _diff_fields, _trigger_key)
    return out


def _trigger_key(t: Any) -> str:
    return f"{t.name} on {t.table}"


def _diff_named(
    expected: Iterable[Any],
    actual: Iterable[Any],
    path: Callable[[str], str],
    inner: Callable[[Any, Any, str], list[Drift]],
    key: Callable[[Any], str] = lambda o: str(o.name),
) -> list[Drift]:
    e = {key(o): o for o in expected}
    a = {key(o): o for o in actual}
    out = [Drift(path(k), "missing") for k in e if k not in a]
    out += [Drift(path(k), "added") for k in a if k not in e]
    for k in e.keys() & a.keys():
        out += inner(e[k], a[k], path(k))
    return out


def _diff_fields(e: Any, a: Any, path: str, skip: tuple[str, ...] = ("name",)) -> list[Drift]:
    out = []
    for f in fields(e):
        x, y = getattr(e, f.name), getattr(a, f.name)
        if f.name not in skip and x != y:
            out.append(Drift(path, "changed", f.name.replace("_", " "), _show(x), _show(y)))
    return out


def _diff_table(e: Table, a: Table, path: str, ignore_order: bool) -> list[Drift]:
    out = _diff_fields(e, a, path, skip=("name", "columns", "indexes", "foreign_keys", "checks"))
    out += _diff_named(e.columns, a.columns, lambda n: f"{path} column {n}", _diff_fields)
    common = [c.name for c in e.columns if c.name in {x.name for x in a.columns}]
    order_a = [c.name for c in a.columns if c.name in set(common)]
    if not ignore_order and common != order_a:
        out.append(Drift(path, "changed", "column order", _show(tuple(common)), _show(tuple(order_a))))
    out += _diff_named(e.indexes, a.indexes, lambda n: f"{path} index {n}", _diff_fields)
    out += _diff_named(e.foreign_keys, a.foreign_keys, lambda n: f"{path} foreign key {n}", _diff_fields)
    out += _diff_named(e.checks, a.checks, lambda n: f"{path} check {n}", _diff_fields)
    return out


def _show(value: Any) -> str:
    """How a value appears in a drift line: tuples as ``(a, b)``, None as NULL, "" as '', bools as words."""
    if value is None:
        return "NULL"
    if value == "":
        return "''"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        if value and isinstance(value[0], tuple):
            return "{" + ", ".join(f"{k}={v}" for k, v in value) + "}"
        return "(" + ", ".join(str(v) for v in value) + ")"
    return str(value)


# ---------------------------------------------------------------- text normalisation (shared by readers)

_TOKENS = re.compile(r"""'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|`(?:[^`]|``)*`|\s+|[^'"`\s]+|.""", re.DOTALL)


def normalise_sql(text: str | None) -> str:
    """Collapse whitespace outside quoted strings/identifiers to one space; trim; drop a final ``;``.

    Servers keep view and routine bodies with whatever layout they were created with (or
    re-render them); layout is not schema, so it is not compared.
    """
    if not text:
        return ""
    parts = [" " if tok.isspace() else tok for tok in _TOKENS.findall(text)]
    out = "".join(parts).strip()
    return out[:-1].rstrip() if out.endswith(";") else out


def strip_qualifier(text: str, schema: str, quote: str = "`") -> str:
    """Remove ``<q>schema<q>.`` qualifiers naming the object's own schema (outside string literals),
    so two copies of a schema under different names read the same."""
    own = f"{quote}{schema}{quote}"
    toks = _TOKENS.findall(text)
    out: list[str] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok == own and i + 1 < len(toks) and toks[i + 1] == ".":
            i += 2
            continue
        if not quote and tok.startswith(own + ".") and not tok.startswith("'"):
            tok = tok[len(own) + 1 :]
        out.append(tok)
        i += 1
    return "".join(out)
