"""Two application versions against one database while an operations file expands and contracts.

An *old app* (release 1.0.0's SQL) and a *new app* (release 1.1.0's SQL) are separate processes, each
on its own autocommit connection, writing and reading in a bounded loop: insert a row of its own, read
it back, update it, read it again, and read a random seed row (its value is known from the seed).
Every result is checked as it comes; any error or mismatch is recorded. Each app returns the value it
last wrote for each of its rows, and the gaps between completed iterations (a write stall shows as a
long gap). ``tests/online/test_operations_two_apps.py`` and ``bench/bench_operations.py`` share this.

Release 1.0.0 (``BASE``): ``item`` (id, name, email, qty, legacy, note, parent_id), ``parent``,
``old_log``. Each ``Scenario`` is one operation of release 1.1.0 with the SQL of both apps and the
value each row must end with under the final schema.
"""

from __future__ import annotations

import itertools
import multiprocessing
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

OLD_BASE, NEW_BASE = 10_000_000, 20_000_000

BASE_SQL = (
    "CREATE TABLE parent (id BIGINT PRIMARY KEY);\n"
    "CREATE TABLE item (id BIGINT PRIMARY KEY, name VARCHAR(50) NOT NULL, email VARCHAR(100) NULL, qty INT NULL,"
    " legacy VARCHAR(20) NULL, note VARCHAR(50) NULL, parent_id BIGINT NULL);\n"
    "CREATE TABLE old_log (id BIGINT PRIMARY KEY, msg VARCHAR(50));\n"
    "INSERT INTO parent (id) VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10);\n"
)


def seed_sql(dialect: str, rows: int) -> str:
    """``rows`` seed rows: name n<id>, email e<id>, qty id % 100 (NULL when id % 7 = 0), note x."""
    if dialect == "mariadb":
        return (
            "INSERT INTO item (id, name, email, qty, legacy, note, parent_id) SELECT seq, CONCAT('n', seq),"
            " CONCAT('e', seq), IF(seq % 7 = 0, NULL, seq % 100), 'L', 'x', seq % 10 + 1"
            f" FROM seq_1_to_{rows}"
        )
    return (
        "INSERT INTO item (id, name, email, qty, legacy, note, parent_id) SELECT g, 'n' || g, 'e' || g,"
        f" CASE WHEN g % 7 = 0 THEN NULL ELSE g % 100 END, 'L', 'x', g % 10 + 1 FROM generate_series(1, {rows}) g"
    )


@dataclass(frozen=True)
class AppSql:
    """One release's data access: statements with %s parameters, and the value each read must give."""

    insert: str  # params: (id, value)
    update: str  # params: (value, id)
    read: str  # params: (id,) -> the row's value
    seed_read: str  # params: (id,) -> a seed row's value
    seed_value: Callable[[int], Any]
    value: Callable[[int, int], Any]  # (id, generation) -> what this app writes
    extra: str | None = None  # another statement each iteration, params: (id,)


@dataclass(frozen=True)
class Scenario:
    name: str
    operations: str  # the [[operations]] of V1.1.0.1 (contract_version is added)
    old: AppSql
    new: AppSql
    final_read: str  # SELECT id, value FROM ... WHERE id >= %s under the final schema (the new app's rows)
    final_of_old: Callable[[Any], Any] = lambda v: v  # an old app's value as the final schema shows it
    final_check: str | dict[str, str] | None = None  # must return (1,) after contract; {schema}: the schema
    final_read_old: str | None = None  # the old app's rows, when they live elsewhere

    def check_sql(self, dialect: str) -> str | None:
        sql = self.final_check.get(dialect) if isinstance(self.final_check, dict) else self.final_check
        schema = "DATABASE()" if dialect == "mariadb" else "current_schema()"
        return sql.replace("{schema}", schema) if sql else None


def _s(i: int) -> str:
    return f"n{i}"


def _name_app(table: str = "item", extra: str | None = None, seed_table: str | None = None) -> AppSql:
    return AppSql(
        f"INSERT INTO {table} (id, name) VALUES (%s, %s)",
        f"UPDATE {table} SET name = %s WHERE id = %s",
        f"SELECT name FROM {table} WHERE id = %s",
        f"SELECT name FROM {seed_table or table} WHERE id = %s",
        _s,
        lambda i, g: f"v{g}-{i % 1000}",
        extra,
    )


def _column_app(
    column: str, value: Callable[[int, int], Any], seed: Callable[[int], Any], seed_column: str | None = None
) -> AppSql:
    return AppSql(
        f"INSERT INTO item (id, name, {column}) VALUES (%s, 'app', %s)",
        f"UPDATE item SET {column} = %s WHERE id = %s",
        f"SELECT {column} FROM item WHERE id = %s",
        f"SELECT {seed_column or column} FROM item WHERE id = %s",
        seed,
        value,
    )


def _email(i: int, g: int) -> str:
    return f"m{g}.{i}@example.org"


def _qty(i: int, g: int) -> int:
    return (i + g) % 1000


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "create_table",
            '[[operations]]\nop = "create_table"\ntable = "audit"\ncolumns = '
            '[{ name = "id", type = "BIGINT", primary_key = true }, { name = "name", type = "VARCHAR(50)" }]\n',
            _name_app(),
            _name_app("audit", seed_table="item"),
            "SELECT id, name FROM audit WHERE id >= %s",
            final_read_old="SELECT id, name FROM item WHERE id >= %s",
        ),
        Scenario(
            "add_column",
            '[[operations]]\nop = "add_column"\ntable = "item"\n'
            'column = { name = "segment", type = "VARCHAR(20)", nullable = true }\nafter = "name"\n',
            _name_app(),
            _column_app("segment", lambda i, g: f"s{g}", lambda i: None),
            "SELECT id, COALESCE(segment, name) FROM item WHERE id >= %s",
        ),
        Scenario(
            "drop_column",
            '[[operations]]\nop = "drop_column"\ntable = "item"\ncolumn = "legacy"\n',
            _column_app("legacy", lambda i, g: f"L{g}", lambda i: "L"),
            _name_app(),
            "SELECT id, name FROM item WHERE id >= %s",
            lambda v: "app",
            "SELECT COUNT(*) + 1 FROM information_schema.columns WHERE table_schema = {schema}"
            " AND table_name = 'item' AND column_name = 'legacy'",
        ),
        Scenario(
            "rename_column",
            '[[operations]]\nop = "rename_column"\ntable = "item"\nfrom = "email"\nto = "mail"\n'
            'type = "VARCHAR(100)"\n',
            _column_app("email", _email, lambda i: f"e{i}"),
            _column_app("mail", _email, lambda i: f"e{i}"),
            "SELECT id, mail FROM item WHERE id >= %s",
        ),
        Scenario(
            "change_type",
            '[[operations]]\nop = "change_type"\ntable = "item"\ncolumn = "qty"\nto = "qty_dec"\n'
            'type = "DECIMAL(12,2)"\nup = "qty"\ndown = "qty_dec"\n',
            _column_app("qty", _qty, lambda i: None if i % 7 == 0 else i % 100),
            _column_app("qty_dec", _qty, lambda i: None if i % 7 == 0 else i % 100),
            "SELECT id, qty_dec FROM item WHERE id >= %s",
        ),
        Scenario(
            "set_not_null",
            '[[operations]]\nop = "set_not_null"\ntable = "item"\ncolumn = "note"\ntype = "VARCHAR(50)"\n',
            _column_app("note", lambda i, g: f"o{g}", lambda i: "x"),
            _column_app("note", lambda i, g: f"w{g}", lambda i: "x"),
            "SELECT id, note FROM item WHERE id >= %s",
            final_check=(
                "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = {schema} AND table_name = 'item'"
                " AND column_name = 'note' AND is_nullable = 'NO'"
            ),
        ),
        Scenario(
            "add_index",
            '[[operations]]\nop = "add_index"\ntable = "item"\nname = "ix_item_name"\ncolumns = ["name"]\n',
            _name_app(),
            _name_app(),
            "SELECT id, name FROM item WHERE id >= %s",
            final_check={
                "mariadb": "SELECT COUNT(DISTINCT index_name) FROM information_schema.statistics WHERE "
                "table_schema = {schema} AND index_name = 'ix_item_name'",
                "postgresql": "SELECT COUNT(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                " WHERE c.relname = 'ix_item_name' AND i.indisvalid",
            },
        ),
        Scenario(
            "add_foreign_key",
            '[[operations]]\nop = "add_foreign_key"\ntable = "item"\nname = "fk_item_parent"\n'
            'columns = ["parent_id"]\nref_table = "parent"\nref_columns = ["id"]\n',
            _column_app("parent_id", lambda i, g: (i + g) % 10 + 1, lambda i: i % 10 + 1),
            _column_app("parent_id", lambda i, g: (i + g) % 10 + 1, lambda i: i % 10 + 1),
            "SELECT id, parent_id FROM item WHERE id >= %s",
            final_check="SELECT COUNT(*) FROM information_schema.table_constraints WHERE table_schema = {schema}"
            " AND constraint_name = 'fk_item_parent' AND constraint_type = 'FOREIGN KEY'",
        ),
        Scenario(
            "add_check",
            '[[operations]]\nop = "add_check"\ntable = "item"\nname = "ck_item_qty"\nexpression = "qty >= 0"\n',
            _column_app("qty", _qty, lambda i: None if i % 7 == 0 else i % 100),
            _column_app("qty", _qty, lambda i: None if i % 7 == 0 else i % 100),
            "SELECT id, qty FROM item WHERE id >= %s",
            final_check="SELECT COUNT(*) FROM information_schema.table_constraints WHERE table_schema = {schema}"
            " AND constraint_name = 'ck_item_qty'",
        ),
        Scenario(
            "add_check_trigger",
            '[[operations]]\nop = "add_check"\ntable = "item"\nname = "ck_item_qty"\n'
            'expression = "qty >= 0"\nenforce = "trigger"\n',
            _column_app("qty", _qty, lambda i: None if i % 7 == 0 else i % 100),
            _column_app("qty", _qty, lambda i: None if i % 7 == 0 else i % 100),
            "SELECT id, qty FROM item WHERE id >= %s",
            final_check={
                "mariadb": "SELECT COUNT(*) - 1 FROM information_schema.triggers WHERE trigger_schema = "
                "{schema} AND trigger_name LIKE 'fx_item_ck_item_qty_%'",
                "postgresql": "SELECT COUNT(*) FROM information_schema.table_constraints WHERE "
                "table_schema = {schema} AND constraint_name = 'ck_item_qty'",
            },
        ),
        Scenario(
            "drop_table",
            '[[operations]]\nop = "drop_table"\ntable = "old_log"\n',
            _name_app(extra="INSERT INTO old_log (id, msg) VALUES (%s, 'old')"),
            _name_app(),
            "SELECT id, name FROM item WHERE id >= %s",
            final_check="SELECT COUNT(*) + 1 FROM information_schema.tables WHERE table_schema = {schema}"
            " AND table_name = 'old_log'",
        ),
        Scenario(
            "rename_table",
            '[[operations]]\nop = "rename_table"\nfrom = "item"\nto = "product"\n',
            _name_app(),
            _name_app("product"),
            "SELECT id, name FROM product WHERE id >= %s",
            final_check="SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = {schema}"
            " AND table_name = 'product' AND table_type = 'BASE TABLE'",
        ),
        Scenario(
            "backfill",
            '[[operations]]\nop = "backfill"\ntable = "item"\ncolumn = "qty"\nexpression = "0"\n'
            'where = "qty IS NULL"\n',
            _column_app("qty", _qty, lambda i: None if i % 7 == 0 else i % 100),
            _column_app("qty", _qty, lambda i: 0 if i % 7 == 0 else i % 100, "COALESCE(qty, 0)"),
            "SELECT id, qty FROM item WHERE id >= %s",
            final_check="SELECT COUNT(*) + 1 FROM item WHERE qty IS NULL",
        ),
        Scenario(
            "raw_sql",
            '[[operations]]\nop = "raw_sql"\nphase = "expand"\n'
            'sql = "CREATE TABLE audit (id BIGINT PRIMARY KEY, name VARCHAR(50))"\nwrites = ["table:audit"]\n',
            _name_app(),
            _name_app("audit", seed_table="item"),
            "SELECT id, name FROM audit WHERE id >= %s",
            final_read_old="SELECT id, name FROM item WHERE id >= %s",
        ),
    )
}


def project_files(scenario: Scenario) -> dict[str, str]:
    return {
        "releases.toml": '[release."1.0.0"]\n[release."1.1.0"]\nfrom = "1.0.0"\n',
        "V1.0.0.1__base.sql": BASE_SQL,
        "V1.1.0.1__change.toml": 'contract_version = "1.1.0.2"\n\n' + scenario.operations,
    }


@dataclass
class AppResult:
    errors: list[str] = field(default_factory=list)
    written: dict[int, Any] = field(default_factory=dict)  # id -> value it last wrote
    marks: list[float] = field(default_factory=list)  # monotonic time each iteration completed
    iterations: int = 0


def connect(dialect: str, params: dict[str, Any]) -> Any:
    if dialect == "mariadb":
        import pymysql

        return pymysql.connect(autocommit=True, **params)
    import psycopg

    return psycopg.connect(autocommit=True, **params)


def same(a: Any, b: Any) -> bool:
    """Equal values, numbers compared as numbers (a DECIMAL reads back as 5.00)."""
    if a is None or b is None:
        return a is b
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return str(a) == str(b)


def _check(cur: Any, sql: str, params: tuple[Any, ...], want: Any, what: str, res: AppResult) -> None:
    cur.execute(sql, params)
    row = cur.fetchone()
    got = row[0] if row else "<no row>"
    if not same(got, want):
        res.errors.append(f"{what}: read {got!r}, expected {want!r}")


def run_app(
    dialect: str,
    params: dict[str, Any],
    app: AppSql,
    base: int,
    seed_rows: int,
    stop: Any,
    out: Any,
    max_seconds: float,
    count: Any = None,
) -> None:
    """The app's loop, in its own process; puts one AppResult on ``out``."""
    res = AppResult()
    rng = random.Random(base)
    deadline = time.monotonic() + max_seconds
    try:
        conn = connect(dialect, params)
        cur = conn.cursor()
        while not stop.is_set() and time.monotonic() < deadline:
            i = base + res.iterations
            first, second = app.value(i, 1), app.value(i, 2)
            cur.execute(app.insert, (i, first))
            if app.extra:
                cur.execute(app.extra, (i,))
            _check(cur, app.read, (i,), first, f"row {i} after insert", res)
            cur.execute(app.update, (second, i))
            _check(cur, app.read, (i,), second, f"row {i} after update", res)
            seed = rng.randint(1, seed_rows)
            _check(cur, app.seed_read, (seed,), app.seed_value(seed), f"seed row {seed}", res)
            res.written[i] = second
            res.iterations += 1
            res.marks.append(time.monotonic())
            if count is not None:
                count.value = res.iterations
            if res.errors:
                break
        conn.close()
    except Exception as err:  # any failure is what the test looks for
        res.errors.append(f"{type(err).__name__}: {err}")
    out.put(res)


class App:
    """A running app process."""

    def __init__(
        self, dialect: str, params: dict[str, Any], app: AppSql, base: int, seed_rows: int, max_seconds: float = 120.0
    ) -> None:
        ctx = multiprocessing.get_context("fork")
        self.stop = ctx.Event()
        self.out: Any = ctx.Queue()
        self.count: Any = ctx.Value("i", 0)
        self.proc = ctx.Process(
            target=run_app,
            args=(dialect, params, app, base, seed_rows, self.stop, self.out, max_seconds, self.count),
            daemon=True,
        )
        self.started = time.monotonic()
        self.proc.start()

    def finish(self) -> AppResult:
        self.stop.set()
        res: AppResult = self.out.get(timeout=180)
        self.proc.join(30)
        return res


def longest_gap(marks: list[float], start: float, end: float) -> float:
    """The longest time between two completed iterations overlapping [start, end] (seconds)."""
    inside = [m for m in marks if start <= m <= end]
    before = [m for m in marks if m < start][-1:]
    after = [m for m in marks if m > end][:1]
    points = before + inside + after
    return max((b - a for a, b in itertools.pairwise(points)), default=0.0)


def wait_iterations(app: App, more: int, timeout: float = 60.0) -> None:
    """Wait until the app has completed ``more`` iterations beyond those done now (or it stopped)."""
    goal = app.count.value + more
    deadline = time.monotonic() + timeout
    while app.count.value < goal and app.proc.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)


__all__ = [
    "NEW_BASE",
    "OLD_BASE",
    "SCENARIOS",
    "App",
    "AppResult",
    "Scenario",
    "connect",
    "longest_gap",
    "project_files",
    "same",
    "seed_sql",
    "wait_iterations",
]
