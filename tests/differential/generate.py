"""A seeded generator of realistic migration folders for MySQL/MariaDB and PostgreSQL.

Each migration is built from snippets of what real projects ship: tables with awkward strings,
procedures/functions/triggers/events behind ``DELIMITER`` variants, procedures returning 0, 1 or 2
result sets, ``SET @v`` chains, PREPARE/EXECUTE, LOCK TABLES blocks as dump files write them,
versioned comments (some this server skips), the script's own transactions, temporary tables;
``$$``/``$tag$`` bodies, DO blocks, ``COPY … FROM stdin``, views, sequences, enums on PostgreSQL.
Every file is valid for the real client and for Flyway's parser: compound bodies always come behind
``DELIMITER`` (the client cannot read them otherwise) and session settings a snippet changes are set
back in the same file (the client starts each file on a new connection, Flyway keeps one).

A migration is a list of ``Item``: statements (with the delimiter they are written with) and raw text
(comments, ``DELIMITER`` lines). ``Folder.write(…, fail=(m, j))`` writes migration ``m`` with its
``j``-th statement replaced by one that fails, for failure injection.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

FAILING = "INSERT INTO fx_no_such_table VALUES (1)"


@dataclass(frozen=True)
class Item:
    """A statement (``delimiter`` set) or raw text written as is (``delimiter`` None)."""

    text: str
    delimiter: str | None = ";"
    lost: bool = False  # builds session state --resume cannot rebuild (temporary table, query-set @var)


@dataclass
class Migration:
    name: str
    items: list[Item] = field(default_factory=list)

    def statements(self) -> list[Item]:
        return [i for i in self.items if i.delimiter is not None]

    def render(self, fail: int | None = None) -> str:
        out, n = [], 0
        for item in self.items:
            if item.delimiter is None:
                out.append(item.text)
                continue
            out.append((FAILING if n == fail else item.text) + item.delimiter + "\n")
            n += 1
        return "".join(out)


@dataclass
class Folder:
    family: str
    migrations: list[Migration]

    def write(self, root: Path, fail: tuple[int, int] | None = None) -> Path:
        loc = root / "sql"
        loc.mkdir(parents=True, exist_ok=True)
        for old in loc.glob("*.sql"):
            old.unlink()
        for i, m in enumerate(self.migrations):
            (loc / m.name).write_text(m.render(fail[1] if fail and fail[0] == i else None))
        return loc


@dataclass
class Ctx:
    rng: random.Random
    tables: list[str] = field(default_factory=list)
    n: int = 0

    def name(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def table(self) -> str:
        return self.rng.choice(self.tables)


Snippet = Callable[[Ctx], list[Item]]
STRINGS = [
    "plain",
    "it''s",
    "semi;colon",
    "dash -- dash",
    "/* not a comment */",
    "back\\\\slash",
    "é ß 日本",
    "tab\\there",
    "#hash",
    "DELIMITER",
]


def _s(*texts: str, delimiter: str = ";", lost: bool = False) -> list[Item]:
    return [Item(t, delimiter, lost) for t in texts]


def _raw(text: str) -> Item:
    return Item(text, None)


def _comment(ctx: Ctx) -> str:
    """A comment line as people write them before a statement (the client drops ``--x`` too)."""
    return ctx.rng.choice(
        ["", "-- a note\n", "# hash note\n", "/* block note */\n", "--no space after dashes\n", "--\n-- Section\n--\n"]
    )


# ---------------------------------------------------------------------------------------------------
# MySQL / MariaDB


def my_table(ctx: Ctx) -> list[Item]:
    t = ctx.name("t")
    ctx.tables.append(t)
    ddl = (
        f"{_comment(ctx)}CREATE TABLE {t} (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(60) NOT NULL,"
        " amount DECIMAL(10,2) DEFAULT 0, at TIMESTAMP NULL, note TEXT) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
    )
    return [*_s(ddl), *my_insert(ctx, t)]


def my_insert(ctx: Ctx, table: str | None = None) -> list[Item]:
    t = table or ctx.table()
    rows = ", ".join(
        f"('{ctx.rng.choice(STRINGS)}', {ctx.rng.randint(0, 999)}.{ctx.rng.randint(0, 99):02d}, "
        f"{ctx.rng.choice(['NULL', repr('2024-02-29 12:34:56')])}, "
        f"{ctx.rng.choice(['NULL', repr('x;y')])})"
        for _ in range(ctx.rng.randint(1, 4))
    )
    return _s(f"{_comment(ctx)}INSERT INTO {t} (name, amount, at, note) VALUES {rows}")


def my_update(ctx: Ctx) -> list[Item]:
    t = ctx.table()
    return _s(f"UPDATE {t} SET amount = amount + 1 WHERE amount < 500", f"DELETE FROM {t} WHERE amount > 990")


def my_alter(ctx: Ctx) -> list[Item]:
    t = ctx.table()
    col = ctx.name("c")
    return _s(
        f"ALTER TABLE {t} ADD COLUMN {col} INT NOT NULL DEFAULT {ctx.rng.randint(0, 9)}",
        f"CREATE INDEX i_{col} ON {t} ({col}, name)",
    )


def my_view(ctx: Ctx) -> list[Item]:
    return _s(f"CREATE OR REPLACE VIEW {ctx.name('v')} AS SELECT id, UPPER(name) AS name FROM {ctx.table()}")


def my_procedure(ctx: Ctx) -> list[Item]:
    """A procedure returning 0, 1 or 2 result sets, behind one of the DELIMITER forms, then CALLed."""
    p, t, d = ctx.name("p"), ctx.table(), ctx.rng.choice(["$$", "//", ";;", "|"])
    selects = ctx.rng.choice([[], [f"SELECT COUNT(*) FROM {t};"], ["SELECT 'log';", f"SELECT id FROM {t};"]])
    body = " ".join([f"INSERT INTO {t} (name) VALUES ('from {p}');", *selects])
    return [
        _raw(f"DELIMITER {d}\n"),
        *_s(f"CREATE PROCEDURE {p}()\nBEGIN\n  {body}\nEND", delimiter=d),
        _raw("DELIMITER ;\n"),
        *_s(f"{_comment(ctx)}CALL {p}()"),
    ]


def my_function(ctx: Ctx) -> list[Item]:
    f, t = ctx.name("f"), ctx.table()
    return [
        *_s(f"CREATE FUNCTION {f}(x INT) RETURNS INT DETERMINISTIC RETURN x * 2 + 1"),
        *_s(f"INSERT INTO {t} (name, amount) VALUES ('fn', {f}({ctx.rng.randint(1, 50)}))"),
    ]


def my_trigger(ctx: Ctx) -> list[Item]:
    tr, t = ctx.name("tr"), ctx.table()
    if ctx.rng.random() < 0.5:
        return _s(f"CREATE TRIGGER {tr} BEFORE INSERT ON {t} FOR EACH ROW SET NEW.name = UPPER(NEW.name)")
    d = ctx.rng.choice(["$$", ";;"])
    return [
        _raw(f"DELIMITER {d}\n"),
        *_s(
            f"CREATE TRIGGER {tr} BEFORE UPDATE ON {t} FOR EACH ROW\nBEGIN\n  IF NEW.amount < 0 THEN\n"
            "    SET NEW.amount = 0;\n  END IF;\nEND",
            delimiter=d,
        ),
        _raw("DELIMITER ;\n"),
    ]


def my_event(ctx: Ctx) -> list[Item]:
    return _s(
        f"CREATE EVENT {ctx.name('e')} ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE"
        f" DO DELETE FROM {ctx.table()} WHERE id < 0"
    )


def my_variables(ctx: Ctx) -> list[Item]:
    a = ctx.rng.randint(1, 40)
    return _s(
        f"SET @a := {a}",
        "SET @b = @a * 2 + 1, @s = CONCAT('v', @a)",
        f"{_comment(ctx)}CREATE TABLE {ctx.name('k')} (id INT)",
        f"INSERT INTO {ctx.table()} (name, amount) VALUES (@s, @b)",
    )


def my_prepare(ctx: Ctx) -> list[Item]:
    t = ctx.table()
    return _s(
        f"SET @sql = CONCAT('INSERT INTO {t} (name) VALUES (', '?', ')')",
        "PREPARE st FROM @sql",
        "SET @m = 'prepared'",
        "EXECUTE st USING @m",
        "DEALLOCATE PREPARE st",
    )


def my_lock(ctx: Ctx) -> list[Item]:
    t = ctx.table()
    return [
        *_s(
            f"--\n-- Dumping data for table `{t}`\n--\n\nLOCK TABLES `{t}` WRITE",
            f"/*!40000 ALTER TABLE `{t}` DISABLE KEYS */",
        ),
        *my_insert(ctx, t),
        *my_insert(ctx, t),
        *_s(f"/*!40000 ALTER TABLE `{t}` ENABLE KEYS */", "UNLOCK TABLES"),
    ]


def my_versioned(ctx: Ctx) -> list[Item]:
    t = ctx.table()
    return _s(
        "/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */",
        "/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */",
        "/*!40103 SET TIME_ZONE='+05:00' */",
        f"INSERT INTO {t} (id, name, at) VALUES (0, 'zero id', '2024-01-01 00:00:00')"
        " ON DUPLICATE KEY UPDATE name = 'zero again'",
        f"/*!99999 DROP TABLE {t} */",
        f"/*!80016 ALTER TABLE {t} ENCRYPTION='N' */",
        f"/*M!100100 INSERT INTO {t} (name) VALUES ('mariadb only') */",
        "/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */",
        "/*!40101 SET SQL_MODE=@OLD_SQL_MODE */",
    )


def my_transaction(ctx: Ctx) -> list[Item]:
    t = ctx.table()
    end = ctx.rng.choice(["COMMIT", "ROLLBACK"])
    return [
        *_s("START TRANSACTION"),
        *my_insert(ctx, t),
        *_s("SAVEPOINT sp"),
        *my_insert(ctx, t),
        *_s("ROLLBACK TO SAVEPOINT sp", end),
    ]


def my_temporary(ctx: Ctx) -> list[Item]:
    t, tmp = ctx.table(), ctx.name("tmp")
    return [
        *_s(f"CREATE TEMPORARY TABLE {tmp} AS SELECT name, amount FROM {t}", lost=True),
        *_s(
            f"INSERT INTO {t} (name, amount) SELECT CONCAT('copy ', name), amount FROM {tmp} LIMIT 2",
            f"DROP TEMPORARY TABLE {tmp}",
        ),
    ]


def my_query_variable(ctx: Ctx) -> list[Item]:
    t = ctx.table()
    return [
        *_s(f"SET @cnt = (SELECT COUNT(*) FROM {t})", lost=True),
        *_s(f"INSERT INTO {t} (name, amount) VALUES (CONCAT('count ', @cnt), @cnt)"),
    ]


def my_compound(ctx: Ctx) -> list[Item]:
    t, d = ctx.table(), ctx.rng.choice(["//", "$$"])
    return [
        _raw(f"DELIMITER {d}\n"),
        *_s(
            f"BEGIN NOT ATOMIC\n  DECLARE i INT DEFAULT 0;\n  WHILE i < 3 DO\n    INSERT INTO {t} (name, amount) "
            f"VALUES ('loop', i);\n    SET i = i + 1;\n  END WHILE;\n  SELECT i;\nEND",
            delimiter=d,
        ),
        _raw("DELIMITER ;\n"),
    ]


def my_misc(ctx: Ctx) -> list[Item]:
    t = ctx.table()
    return _s(
        f"SELECT COUNT(*) FROM {t}",
        f"INSERT IGNORE INTO {t} (id, name) SELECT MIN(id), 'dup' FROM {t}",
        f"REPLACE INTO {t} (id, name) SELECT MAX(id), 'replaced' FROM {t}",
        "DO 1",
    )


MYSQL_SNIPPETS: list[Snippet] = [
    my_insert,
    my_update,
    my_alter,
    my_view,
    my_procedure,
    my_function,
    my_trigger,
    my_event,
    my_variables,
    my_prepare,
    my_lock,
    my_versioned,
    my_transaction,
    my_temporary,
    my_query_variable,
    my_compound,
    my_misc,
]


# ---------------------------------------------------------------------------------------------------
# PostgreSQL

PG_STRINGS = ["plain", "it''s", "semi;colon", "dash -- dash", "/* not */", "é ß 日本", "$$dollars$$"]


def pg_table(ctx: Ctx) -> list[Item]:
    t = ctx.name("t")
    ctx.tables.append(t)
    ddl = (
        f"{_comment(ctx).replace('#', '--')}CREATE TABLE {t} (id SERIAL PRIMARY KEY, name TEXT NOT NULL,"
        " amount NUMERIC(10,2) DEFAULT 0, at TIMESTAMPTZ, tags TEXT[], doc JSONB)"
    )
    return [*_s(ddl), *pg_insert(ctx, t)]


def pg_insert(ctx: Ctx, table: str | None = None) -> list[Item]:
    t = table or ctx.table()
    rows = ", ".join(
        f"('{ctx.rng.choice(PG_STRINGS)}', {ctx.rng.randint(0, 999)}, "
        f"{ctx.rng.choice(['NULL', repr('2024-02-29 12:34:56+00')])}, "
        f"ARRAY['a', 'b;c'], '{{\"k\": {ctx.rng.randint(1, 9)}}}')"
        for _ in range(ctx.rng.randint(1, 3))
    )
    return _s(f"INSERT INTO {t} (name, amount, at, tags, doc) VALUES {rows}")


def pg_copy(ctx: Ctx) -> list[Item]:
    t = ctx.table()
    rows = "".join(f"copied {i}\\tx\t{i}\t\\N\n" for i in range(ctx.rng.randint(1, 4)))
    return [*_s(f"COPY {t} (name, amount, at) FROM stdin"), _raw(rows + "\\.\n")]


def pg_function(ctx: Ctx) -> list[Item]:
    f, tag = ctx.name("f"), ctx.rng.choice(["$$", "$body$", "$fn$"])
    return _s(
        f"CREATE OR REPLACE FUNCTION {f}(x INT) RETURNS INT LANGUAGE plpgsql AS {tag}\nBEGIN\n"
        f"  -- a comment; with a semicolon\n  RETURN x * 2 + 1;\nEND;\n{tag}",
        f"INSERT INTO {ctx.table()} (name, amount) VALUES ('fn', {f}({ctx.rng.randint(1, 9)}))",
    )


def pg_trigger(ctx: Ctx) -> list[Item]:
    f, t = ctx.name("trf"), ctx.table()
    return _s(
        f"CREATE FUNCTION {f}() RETURNS trigger AS $trg$\nBEGIN\n  NEW.name := upper(NEW.name);\n"
        f"  RETURN NEW;\nEND\n$trg$ LANGUAGE plpgsql",
        f"CREATE TRIGGER {ctx.name('tr')} BEFORE INSERT ON {t} FOR EACH ROW EXECUTE FUNCTION {f}()",
    )


def pg_do(ctx: Ctx) -> list[Item]:
    t = ctx.table()
    return _s(
        f"DO $$\nDECLARE i INT;\nBEGIN\n  FOR i IN 1..3 LOOP\n    INSERT INTO {t} (name, amount) VALUES "
        f"('do ' || i, i);\n  END LOOP;\n  RAISE NOTICE 'done; %', i;\nEND\n$$"
    )


def pg_procedure(ctx: Ctx) -> list[Item]:
    p, t = ctx.name("p"), ctx.table()
    return _s(
        f"CREATE PROCEDURE {p}(n INT) LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO {t} (name, amount) "
        f"VALUES ('proc', n);\nEND;\n$$",
        f"CALL {p}({ctx.rng.randint(1, 9)})",
    )


def pg_objects(ctx: Ctx) -> list[Item]:
    t, e = ctx.table(), ctx.name("mood")
    return _s(
        f"CREATE TYPE {e} AS ENUM ('sad', 'ok')",
        f"ALTER TABLE {t} ADD COLUMN {e}_col {e}",
        f"CREATE SEQUENCE {ctx.name('seq')} START 100",
        f"CREATE VIEW {ctx.name('v')} AS SELECT id, name FROM {t}",
        f"CREATE INDEX {ctx.name('i')} ON {t} (lower(name))",
        f"/* nested /* comment */ still a comment */ UPDATE {t} SET amount = amount + 1",
    )


def pg_session(ctx: Ctx) -> list[Item]:
    t = ctx.table()
    return _s(
        "SET timezone = 'Asia/Tokyo'",
        f"INSERT INTO {t} (name, at) VALUES ('tokyo', '2024-05-01 09:00')",
        f"INSERT INTO {t} (name) VALUES (E'escaped\\ttab and \\\\ backslash')",
        "RESET timezone",
    )


PG_SNIPPETS: list[Snippet] = [pg_insert, pg_copy, pg_function, pg_trigger, pg_do, pg_procedure, pg_objects, pg_session]


def folder(family: str, seed: int) -> Folder:
    """A folder of 3 to 5 migrations for ``family`` (mariadb, postgresql), the same for the same seed."""
    rng = random.Random(seed)
    ctx = Ctx(rng)
    table, snippets = (my_table, MYSQL_SNIPPETS) if family == "mariadb" else (pg_table, PG_SNIPPETS)
    migrations = []
    for v in range(1, rng.randint(3, 5) + 1):
        m = Migration(f"V{v}__step_{v}.sql", table(ctx) if v == 1 or rng.random() < 0.4 else [])
        for snippet in rng.sample(snippets, k=min(len(snippets), rng.randint(3, 6))):
            m.items += snippet(ctx)
        migrations.append(m)
    return Folder(family, migrations)
