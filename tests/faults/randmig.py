"""Random but valid migration sets, from a seed, heavy in non-repeatable DDL.

``generate(seed, dialect, n)`` returns ``n`` migrations (``V1__r.sql`` …) built from a small model of
the schema, so every statement is valid where it runs: tables with data, renamed columns and tables,
added and dropped columns, named indexes, primary keys, foreign keys, checks, views, procedures,
functions, triggers, events and sequences (MariaDB; PostgreSQL gets the kinds it has), each dropped
again now and then (indexes, foreign keys, checks and tables too), with DML in between; on PostgreSQL
some migrations run outside a transaction. Every name is fresh: the run itself never depends on what a
kill left behind.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class _Table:
    name: str
    cols: list[str]
    pk: bool = False
    pinned: bool = False  # referenced by a view, trigger or foreign key: never renamed
    used: set[str] = field(default_factory=set)  # columns an index, key or check uses: never dropped/renamed


class _Model:
    def __init__(self, rng: random.Random, dialect: str) -> None:
        self.rng, self.maria = rng, dialect != "postgresql"
        self.tables: list[_Table] = []
        self.drops: list[str] = []  # droppable objects: "VIEW v", "PROCEDURE p", "SEQUENCE s", "TRIGGER t" …
        self.indexes: list[tuple[str, _Table]] = []  # named indexes, droppable
        self.constraints: list[tuple[str, _Table, str]] = []  # (name, table, "fk" or "ck"), droppable
        self.n = 0

    def fresh(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def table(self) -> _Table:
        return self.rng.choice(self.tables)

    def free_col(self, t: _Table) -> str | None:
        free = [c for c in t.cols if c != "id" and c not in t.used]
        return self.rng.choice(free) if free else None

    # ------------------------------------------------------------------------------------------
    def create_table(self) -> list[str]:
        t = _Table(self.fresh("t"), ["id", "a", "b"])
        self.tables.append(t)
        rows = ", ".join(f"({i}, {i * 10}, 'v{i}')" for i in range(1, self.rng.randint(2, 5)))
        return [
            f"CREATE TABLE {t.name} (id INT NOT NULL, a INT, b VARCHAR(20))",
            f"INSERT INTO {t.name} (id, a, b) VALUES {rows}",
        ]

    def rename_column(self) -> list[str]:
        t = self.table()
        col = self.free_col(t)
        if col is None:
            return []
        new = self.fresh("c")
        t.cols[t.cols.index(col)] = new
        return [f"ALTER TABLE {t.name} RENAME COLUMN {col} TO {new}"]

    def rename_table(self) -> list[str]:
        free = [t for t in self.tables if not t.pinned]
        if not free:
            return []
        t = self.rng.choice(free)
        old, t.name = t.name, self.fresh("t")
        return [f"RENAME TABLE {old} TO {t.name}" if self.maria else f"ALTER TABLE {old} RENAME TO {t.name}"]

    def add_column(self) -> list[str]:
        t = self.table()
        col = self.fresh("c")
        t.cols.append(col)
        return [
            f"ALTER TABLE {t.name} ADD COLUMN {col} INT NOT NULL DEFAULT {self.n}",
            f"UPDATE {t.name} SET {col} = {col} + id",
        ]

    def drop_column(self) -> list[str]:
        t = self.table()
        col = self.free_col(t)
        if col is None or len(t.cols) < 3:
            return []
        t.cols.remove(col)
        return [f"ALTER TABLE {t.name} DROP COLUMN {col}"]

    def add_index(self) -> list[str]:
        t = self.table()
        col = self.free_col(t)
        if col is None:
            return []
        t.used.add(col)
        name = self.fresh("i")
        self.indexes.append((name, t))
        if self.maria and self.rng.random() < 0.5:
            return [f"ALTER TABLE {t.name} ADD INDEX {name} ({col})"]
        return [f"CREATE INDEX {name} ON {t.name} ({col})"]

    def add_pk(self) -> list[str]:
        free = [t for t in self.tables if not t.pk]
        if not free:
            return []
        t = self.rng.choice(free)
        t.pk = True
        return [f"ALTER TABLE {t.name} ADD PRIMARY KEY (id)"]

    def add_fk(self) -> list[str]:
        parents = [t for t in self.tables if t.pk]
        if not parents:
            return []
        parent, child = self.rng.choice(parents), self.table()
        col, name = self.fresh("c"), self.fresh("fk")
        child.cols.append(col)
        child.used.add(col)
        parent.pinned = child.pinned = True
        self.constraints.append((name, child, "fk"))
        return [
            f"ALTER TABLE {child.name} ADD COLUMN {col} INT NULL",
            f"ALTER TABLE {child.name} ADD CONSTRAINT {name} FOREIGN KEY ({col}) REFERENCES {parent.name} (id)",
        ]

    def add_check(self) -> list[str]:
        t = self.table()
        name = self.fresh("ck")
        self.constraints.append((name, t, "ck"))
        return [f"ALTER TABLE {t.name} ADD CONSTRAINT {name} CHECK (id > 0)"]

    def create_view(self) -> list[str]:
        t = self.table()
        t.pinned = True
        name = self.fresh("v")
        self.drops.append(f"VIEW {name}")
        return [f"CREATE VIEW {name} AS SELECT id FROM {t.name}"]

    def create_routine(self) -> list[str]:
        name = self.fresh("r")
        if not self.maria:
            self.drops.append(f"FUNCTION {name}")
            return [f"CREATE FUNCTION {name}() RETURNS INT LANGUAGE sql AS 'SELECT {self.n}'"]
        if self.rng.random() < 0.5:
            self.drops.append(f"PROCEDURE {name}")
            return [f"CREATE PROCEDURE {name}() SELECT {self.n}"]
        self.drops.append(f"FUNCTION {name}")
        return [f"CREATE FUNCTION {name}() RETURNS INT RETURN {self.n}"]

    def create_sequence(self) -> list[str]:
        name = self.fresh("s")
        self.drops.append(f"SEQUENCE {name}")
        return [f"CREATE SEQUENCE {name}"]

    def create_trigger(self) -> list[str]:
        if not self.maria:
            return []
        t = self.table()
        t.pinned = True
        name = self.fresh("tr")
        self.drops.append(f"TRIGGER {name}")
        return [f"CREATE TRIGGER {name} BEFORE INSERT ON {t.name} FOR EACH ROW SET NEW.id = NEW.id"]

    def create_event(self) -> list[str]:
        if not self.maria:
            return []
        name = self.fresh("e")
        self.drops.append(f"EVENT {name}")
        return [f"CREATE EVENT {name} ON SCHEDULE EVERY 1 DAY DISABLE DO SELECT 1"]

    def drop_object(self) -> list[str]:
        if not self.drops:
            return []
        what = self.drops.pop(self.rng.randrange(len(self.drops)))
        return [f"DROP {what}" + ("()" if what.startswith("FUNCTION") and not self.maria else "")]

    def drop_index(self) -> list[str]:
        if not self.indexes:
            return []
        name, t = self.indexes.pop(self.rng.randrange(len(self.indexes)))
        if not self.maria:
            return [f"DROP INDEX {name}"]
        return [
            f"DROP INDEX {name} ON {t.name}" if self.rng.random() < 0.5 else f"ALTER TABLE {t.name} DROP INDEX {name}"
        ]

    def drop_constraint(self) -> list[str]:
        if not self.constraints:
            return []
        name, t, kind = self.constraints.pop(self.rng.randrange(len(self.constraints)))
        if self.maria and kind == "fk":
            return [f"ALTER TABLE {t.name} DROP FOREIGN KEY {name}"]
        return [f"ALTER TABLE {t.name} DROP CONSTRAINT {name}"]

    def drop_table(self) -> list[str]:
        """A table nothing refers to (no view, trigger or foreign key), its indexes and checks with it."""
        free = [t for t in self.tables if not t.pinned]
        if len(self.tables) < 2 or not free:
            return []
        t = self.rng.choice(free)
        self.tables.remove(t)
        self.indexes = [(n, x) for n, x in self.indexes if x is not t]
        self.constraints = [c for c in self.constraints if c[1] is not t]
        return [f"DROP TABLE {t.name}"]

    def dml(self) -> list[str]:
        t = self.table()
        return [
            f"UPDATE {t.name} SET b = CONCAT(b, 'x') WHERE id > 1"
            if "b" in t.cols
            else f"DELETE FROM {t.name} WHERE id > 3"
        ]


_OPS = (
    "rename_column",
    "rename_table",
    "add_column",
    "drop_column",
    "add_index",
    "add_pk",
    "add_fk",
    "add_check",
    "create_view",
    "create_routine",
    "create_sequence",
    "create_trigger",
    "create_event",
    "drop_object",
    "drop_index",
    "drop_constraint",
    "drop_table",
    "dml",
    "create_table",
)


def generate(seed: int, dialect: str, n: int = 5) -> dict[str, str]:
    """``{file name: text}`` of ``n`` versioned migrations. On PostgreSQL about half of them (never the
    first) run outside a transaction (a ``.sql.conf`` with ``executeInTransaction=false``): each statement
    then commits on its own and a kill can leave one in flight, as on MariaDB."""
    rng = random.Random(seed)
    model = _Model(rng, dialect)
    files: dict[str, str] = {}
    for v in range(1, n + 1):
        statements = model.create_table() if v == 1 else []
        while len(statements) < rng.randint(6, 12):
            statements += getattr(model, rng.choice(_OPS))()
        files[f"V{v}__r{v}.sql"] = "".join(f"{s};\n" for s in statements)
        if dialect == "postgresql" and v > 1 and rng.random() < 0.5:
            files[f"V{v}__r{v}.sql.conf"] = "executeInTransaction=false\n"
    return files
