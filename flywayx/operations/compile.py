"""Operations -> the SQL of each phase, per dialect, with the exact footprint of each phase.

Each operation adds statements to one or more phases so that the release before and the release
after the change both work while the upgrade rolls:

==================  =====================================  ==============================  =============================
operation           expand                                 data                            contract
==================  =====================================  ==============================  =============================
create_table        CREATE TABLE
add_column          ADD COLUMN (nullable or defaulted;
                    MySQL: AFTER when given)
drop_column                                                                                DROP COLUMN
rename_column       ADD the new column + sync triggers     batched copy old -> new         drop triggers (SET NOT NULL),
                                                                                           DROP the old column
change_type         as rename_column, converting with      batched ``up``                  as rename_column
                    ``up``/``down``
set_not_null                                                                               PostgreSQL: CHECK NOT VALID,
                                                                                           VALIDATE, SET NOT NULL;
                                                                                           MySQL: MODIFY … NOT NULL
add_index           PostgreSQL CONCURRENTLY; MySQL                                         the same for a UNIQUE index
                    ALGORITHM=INPLACE LOCK=NONE
add_foreign_key                                                                            PostgreSQL NOT VALID +
add_check                                                                                  VALIDATE; MySQL/MariaDB as is
drop_table                                                                                 DROP TABLE
rename_table        a view under the new name                                              the table takes the new name
                    (MySQL: the table is renamed, a view                                   (MySQL: the view goes)
                    keeps the old name)
backfill                                                   batched UPDATE
raw_sql             as declared                            as declared                     as declared
==================  =====================================  ==============================  =============================

A constraint the previous release's writes may violate (unique index, foreign key, check, NOT NULL)
waits for the contract phase, as lint's ``constraint-tightening`` rule asks of SQL migrations.

The expand and data statements form the file's first part (its phase is ``expand`` when every data
statement only fills columns the file itself adds — no release reads them yet — else ``data``); the
contract statements its second part, recorded under ``contract_version`` (default: the file's version
followed by ``.1``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flywayx.model.footprint import UNKNOWN_OBJECT, Footprint, Phase
from flywayx.model.migration import Statement
from flywayx.operations.ddl import Sql
from flywayx.operations.shadow import (
    Shadow,
    backfill,
    check_trigger_names,
    check_triggers,
    drop_triggers,
    expression_columns,
    orphan_check,
    sync_triggers,
    trigger_names,
)
from flywayx.operations.spec import ColumnSpec, Operation, OperationError, OperationFile, column_spec, has_contract

DEFAULT_BATCH = 1000
DEFAULT_PAUSE = 1.0  # after each batch, wait as long as it took (bench/bench_operations.py, docs/benchmarks.md)


@dataclass
class _Acc:
    """Statements and footprint objects per phase, as the operations add them."""

    sql: Sql
    path: str
    statements: dict[str, list[Statement]] = field(default_factory=lambda: {"expand": [], "data": [], "contract": []})
    reads: dict[str, set[str]] = field(default_factory=lambda: {"expand": set(), "data": set(), "contract": set()})
    writes: dict[str, set[str]] = field(default_factory=lambda: {"expand": set(), "data": set(), "contract": set()})
    added: set[str] = field(default_factory=set)  # column:t.c the file adds (data on them is still expand)
    notes: dict[str, list[tuple[int, str]]] = field(default_factory=lambda: {"expand": [], "data": [], "contract": []})
    line: int = 0

    def add(self, phase: str, sql: str, *, transactional: bool = True) -> None:
        self.statements[phase].append(Statement(self.line, sql, ";", transactional))

    def note(self, phase: str, text: str) -> None:
        """What a step costs the running applications when it is not online (said by explain and lint)."""
        self.notes[phase].append((self.line, text))

    def touch(self, phase: str, writes: set[str], reads: set[str] | None = None) -> None:
        self.writes[phase] |= {w.lower() for w in writes}
        self.reads[phase] |= {r.lower() for r in reads or ()}


@dataclass(frozen=True)
class Part:
    """One migration made from the file: its phase, statements and footprint."""

    phase: Phase
    statements: tuple[Statement, ...]
    footprint: Footprint


@dataclass(frozen=True)
class Compiled:
    """The file compiled for one dialect: statements per phase, and the one or two parts to run.
    ``notes``: per phase, (line, text) for each step that is not online on this dialect."""

    dialect: str
    by_phase: dict[str, tuple[Statement, ...]]
    first: Part
    contract: Part | None
    notes: dict[str, tuple[tuple[int, str], ...]] = field(default_factory=dict)


def compile_file(ops: OperationFile, dialect: str) -> Compiled:
    """Compile every operation for ``dialect``; raises the first OperationError."""
    result, problems = compile_checked(ops, dialect)
    if problems:
        raise problems[0]
    assert result is not None
    return result


def compile_checked(ops: OperationFile, dialect: str) -> tuple[Compiled | None, list[OperationError]]:
    """Compile every operation for ``dialect``: the result, or every operation's problem (with its line)."""
    acc = _Acc(Sql(dialect), ops.path)
    problems = []
    for op in ops.operations:
        acc.line = op.line
        try:
            _COMPILERS[op.op](op, acc)
        except OperationError as err:
            err.details.setdefault("line", op.line)
            if not err.message.startswith(f"{acc.path}: "):
                err.message = f"{acc.path}: {op.where()}: {err.message}"
            problems.append(err)
    if problems:
        return None, problems
    return _result(ops, acc), []


def _result(ops: OperationFile, acc: _Acc) -> Compiled:
    by_phase = {p: tuple(_transactionality(acc, p)) for p in acc.statements}
    data_is_additive = all(w in acc.added for w in acc.writes["data"])
    first_phase = Phase.EXPAND if data_is_additive else Phase.DATA
    first_writes = acc.writes["expand"] | acc.writes["data"]
    first = Part(
        first_phase,
        by_phase["expand"] + by_phase["data"],
        Footprint(first_phase, frozenset(acc.reads["expand"] | acc.reads["data"]), frozenset(first_writes)),
    )
    contract = None
    if has_contract(ops):  # the same test as the scanner's: recorded even when this dialect has nothing to do
        contract = Part(
            Phase.CONTRACT,
            by_phase["contract"],
            Footprint(Phase.CONTRACT, frozenset(acc.reads["contract"]), frozenset(acc.writes["contract"])),
        )
    notes = {p: tuple(n) for p, n in acc.notes.items() if n}
    return Compiled(acc.sql.name, by_phase, first, contract, notes)


def _transactionality(acc: _Acc, phase: str) -> list[Statement]:
    """PostgreSQL: every statement of a part commits on its own — a constraint added ``NOT VALID`` must
    be committed before ``VALIDATE`` scans the rows without blocking writes, ``CONCURRENTLY`` and a
    block that commits cannot run in a transaction at all. What must be atomic is one statement
    (several commands sent in one query run in one transaction)."""
    stmts = acc.statements[phase]
    if acc.sql.mysql:
        return stmts
    return [Statement(s.line, s.sql, s.delimiter, False) for s in stmts]


# ----------------------------------------------------------------------------------------- operations


def _create_table(op: Operation, acc: _Acc) -> None:
    cols = [column_spec(c, op.where(), acc.path) for c in op.get("columns")]
    acc.add("expand", acc.sql.create_table(op.text("table"), cols))
    acc.touch("expand", {f"table:{op.text('table')}"})


def _add_column(op: Operation, acc: _Acc) -> None:
    t, col = op.text("table"), column_spec(op.get("column"), op.where(), acc.path)
    acc.add("expand", acc.sql.add_column(t, col, op.get("after")))
    acc.touch(
        "expand",
        {f"column:{t}.{col.name}", *_order(acc, t)},
        {f"column:{t}.{op.get('after')}"} if op.get("after") else set(),
    )
    acc.added.add(f"column:{t}.{col.name}".lower())


def _order(acc: _Acc, table: str) -> set[str]:
    """PostgreSQL appends a new column: the table's column order depends on the order applied."""
    return set() if acc.sql.mysql else {f"order:{table}"}


def _drop_column(op: Operation, acc: _Acc) -> None:
    t, c = op.text("table"), op.text("column")
    acc.add("contract", acc.sql.drop_column(t, c))
    acc.touch("contract", {f"column:{t}.{c}"})


def _rename_column(op: Operation, acc: _Acc) -> None:
    old, new = op.text("from"), op.text("to")
    _shadow(op, acc, Shadow(op.text("table"), old, new, old, new), op.text("type"))


def _change_type(op: Operation, acc: _Acc) -> None:
    old, new, typ = op.text("column"), op.text("to"), op.text("type")
    up = op.get("up") or f"CAST({old} AS {typ})"
    down = op.get("down") or f"CAST({new} AS {op.get('old_type')})"
    _shadow(op, acc, Shadow(op.text("table"), old, new, up, down), typ)


def _shadow(op: Operation, acc: _Acc, s: Shadow, typ: str) -> None:
    sql, t = acc.sql, s.table
    acc.add("expand", sql.add_column(t, ColumnSpec(s.new, typ), after=s.old))
    for stmt in sync_triggers(s, sql):
        acc.add("expand", stmt)
    acc.add(
        "data",
        backfill(
            t,
            s.new,
            s.up,
            op.get("key", "id"),
            op.get("batch", DEFAULT_BATCH),
            f"{sql.q(s.new)} IS NULL AND {sql.q(s.old)} IS NOT NULL",
            sql,
            op.get("pause", DEFAULT_PAUSE),
        ),
        transactional=sql.mysql,
    )
    triggers = {f"trigger:{n}" for n in trigger_names(s)}
    acc.touch("expand", {f"column:{t}.{s.new}", *triggers, *_order(acc, t)}, {f"column:{t}.{s.old}"})
    acc.touch("data", {f"column:{t}.{s.new}"}, {f"column:{t}.{s.old}", f"column:{t}.{op.get('key', 'id')}"})
    acc.added.add(f"column:{t}.{s.new}".lower())
    for stmt in drop_triggers(s, sql):
        acc.add("contract", stmt)
    if op.get("nullable") is False:
        _not_null(acc, t, s.new, typ)
    acc.add("contract", sql.drop_column(t, s.old))
    acc.touch("contract", {f"column:{t}.{s.old}", *triggers})


def _set_not_null(op: Operation, acc: _Acc) -> None:
    t, c = op.text("table"), op.text("column")
    if acc.sql.mysql and not op.get("type"):
        raise OperationError(
            "set_not_null on MySQL/MariaDB needs the column's type",
            hint='add type = "VARCHAR(255)" (MODIFY restates the whole column)',
            path=acc.path,
        )
    _not_null(acc, t, c, op.get("type") or "")


def _not_null(acc: _Acc, t: str, c: str, typ: str) -> None:
    sql = acc.sql
    if sql.mysql:
        spec = sql.column_spec(t, ColumnSpec(c, typ, nullable=False))
        acc.add("contract", f"ALTER TABLE {sql.q(t)} MODIFY {spec}{sql.online('modify')}")
    else:
        check = f"fx_{t}_{c}_not_null"[:63]
        acc.add("contract", sql.add_check(t, check, f"{sql.q(c)} IS NOT NULL"))
        acc.add("contract", sql.validate(t, check))
        acc.add("contract", f"ALTER TABLE {sql.q(t)} ALTER COLUMN {sql.q(c)} SET NOT NULL")
        acc.add("contract", sql.drop_constraint(t, check))
    acc.touch("contract", {f"column:{t}.{c}"})


def _add_index(op: Operation, acc: _Acc) -> None:
    t, name, cols, unique = op.text("table"), op.text("name"), list(op.get("columns")), bool(op.get("unique"))
    phase = "contract" if unique else "expand"
    acc.add(phase, acc.sql.create_index(t, name, cols, unique), transactional=acc.sql.mysql)
    acc.touch(phase, {f"index:{t}.{name}"}, {f"column:{t}.{c}" for c in cols})


def _add_foreign_key(op: Operation, acc: _Acc) -> None:
    t, name, ref = op.text("table"), op.text("name"), op.text("ref_table")
    cols, refs = list(op.get("columns")), list(op.get("ref_columns"))
    add = acc.sql.add_foreign_key(t, name, cols, ref, refs, op.get("on_delete"))
    if acc.sql.mysql:  # check the rows first, then add it in place (with the checks on, the table is copied)
        acc.add("contract", orphan_check(t, cols, ref, refs, acc.sql))
        acc.add("contract", "SET foreign_key_checks = 0")
        acc.add("contract", add + ", ALGORITHM=INPLACE, LOCK=NONE")
        acc.add("contract", "SET foreign_key_checks = 1")
    else:
        acc.add("contract", add)
        acc.add("contract", acc.sql.validate(t, name))
    reads = {*(f"column:{t}.{c}" for c in cols), *(f"column:{ref}.{c}" for c in refs)}
    acc.touch("contract", {f"fk:{t}.{name}"}, reads)


def _add_check(op: Operation, acc: _Acc) -> None:
    """PostgreSQL: NOT VALID, then VALIDATE (online). MySQL/MariaDB cannot add a CHECK without copying
    the table (MariaDB 10.11 refuses INPLACE and INSTANT; writes wait for the copy): said as a note,
    unless ``enforce = "trigger"`` asks for triggers that reject the same rows while writes go on."""
    t, name, expression = op.text("table"), op.text("name"), op.text("expression")
    if acc.sql.mysql and op.get("enforce") == "trigger":
        for stmt in check_triggers(t, name, expression, expression_columns(expression), acc.sql):
            acc.add("contract", stmt)
        acc.touch("contract", {f"trigger:{n}" for n in check_trigger_names(t, name)}, {f"table:{t}"})
        return
    acc.add("contract", acc.sql.add_check(t, name, expression))
    if acc.sql.mysql:
        acc.note(
            "contract",
            f"add_check {name}: MySQL/MariaDB copy table {t} to add a CHECK constraint; writes "
            f'to {t} wait until the copy ends (enforce = "trigger" keeps them flowing)',
        )
    else:
        acc.add("contract", acc.sql.validate(t, name))
    acc.touch("contract", {f"fk:{t}.{name}"}, {f"table:{t}"})


def _drop_table(op: Operation, acc: _Acc) -> None:
    acc.add("contract", acc.sql.drop_table(op.text("table")))
    acc.touch("contract", {f"table:{op.text('table')}"})


def _rename_table(op: Operation, acc: _Acc) -> None:
    sql, old, new = acc.sql, op.text("from"), op.text("to")
    if sql.mysql:
        _rename_table_mysql(acc, old, new)
        return
    acc.add("expand", f"CREATE VIEW {sql.q(new)} AS SELECT * FROM {sql.q(old)}")
    acc.touch("expand", {f"view:{new}"}, {f"table:{old}"})
    # one query: one transaction; a query waiting on the view finds the table under that name
    acc.add("contract", f"DROP VIEW {sql.q(new)}; ALTER TABLE {sql.q(old)} RENAME TO {sql.q(new)}")
    acc.touch("contract", {f"table:{old}", f"table:{new}", f"view:{new}"})


def _rename_table_mysql(acc: _Acc, old: str, new: str) -> None:
    """MariaDB/MySQL: the table takes its new name in expand, in one RENAME that also puts a view under
    the old name — while only the old release runs, using the table directly. Swapping a view's base
    table while the view is being read fails those reads (MariaDB reports the view invalid when its
    lock on the base table loses to the RENAME), so no view is ever read during a RENAME: the old
    release reads the view afterwards, and contract only drops it."""
    sql = acc.sql
    via, parked = f"fx_{old}_view"[:64], f"fx_{new}_view"[:64]
    acc.add("expand", f"CREATE VIEW {sql.q(new)} AS SELECT * FROM {sql.q(old)}")
    acc.add("expand", f"CREATE VIEW {sql.q(via)} AS SELECT * FROM {sql.q(new)}")
    acc.add(
        "expand",
        f"RENAME TABLE {sql.q(new)} TO {sql.q(parked)}, {sql.q(old)} TO {sql.q(new)}, {sql.q(via)} TO {sql.q(old)}",
    )
    acc.add("expand", f"DROP VIEW {sql.q(parked)}")
    acc.touch("expand", {f"table:{old}", f"table:{new}", f"view:{old}", f"view:{new}"})
    acc.add("contract", f"DROP VIEW {sql.q(old)}")
    acc.touch("contract", {f"view:{old}"})


def _backfill(op: Operation, acc: _Acc) -> None:
    t, c = op.text("table"), op.text("column")
    acc.add(
        "data",
        backfill(
            t,
            c,
            op.text("expression"),
            op.get("key", "id"),
            op.get("batch", DEFAULT_BATCH),
            op.get("where"),
            acc.sql,
            op.get("pause", DEFAULT_PAUSE),
        ),
        transactional=acc.sql.mysql,
    )
    acc.touch("data", {f"column:{t}.{c}"}, {f"table:{t}"})


def _raw_sql(op: Operation, acc: _Acc) -> None:
    only = op.get("dialect")
    if only is not None and not dialect_matches(only, acc.sql.name):
        return
    phase = op.text("phase")
    acc.add(phase, op.text("sql").strip().rstrip(";"))
    writes = {_object(w) for w in op.get("writes") or [UNKNOWN_OBJECT]}
    acc.touch(phase, writes, {_object(r) for r in op.get("reads") or []})


def _object(name: object) -> str:
    """A declared object as the footprint names it: ``t`` a table, ``t.c`` a column, ``kind:name`` as
    written (the forms of ``-- flywayx:writes``)."""
    text = str(name).strip().lower()
    if ":" in text or text == UNKNOWN_OBJECT:
        return text
    return f"column:{text}" if "." in text else f"table:{text}"


def dialect_matches(wanted: str, dialect: str) -> bool:
    family = {"mysql": "mysql", "mariadb": "mysql", "postgresql": "postgresql", "postgres": "postgresql"}
    return family.get(wanted.lower(), wanted.lower()) == family.get(dialect, dialect)


_COMPILERS: dict[str, Callable[[Operation, _Acc], None]] = {
    "create_table": _create_table,
    "add_column": _add_column,
    "drop_column": _drop_column,
    "rename_column": _rename_column,
    "change_type": _change_type,
    "set_not_null": _set_not_null,
    "add_index": _add_index,
    "add_foreign_key": _add_foreign_key,
    "add_check": _add_check,
    "drop_table": _drop_table,
    "rename_table": _rename_table,
    "backfill": _backfill,
    "raw_sql": _raw_sql,
}

__all__ = ["Compiled", "Part", "compile_checked", "compile_file", "dialect_matches"]
