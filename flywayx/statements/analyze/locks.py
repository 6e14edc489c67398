"""Lock impact of one ALTER TABLE action.

MySQL/MariaDB: the algorithm the server picks by default (``INSTANT`` metadata only, ``INPLACE``
concurrent DML allowed, ``COPY`` the table is copied and writes are blocked), from the MySQL 8.0
and MariaDB online-DDL tables. Without a server version the server is assumed current (MySQL
8.0.29+, MariaDB 10.6+). PostgreSQL: the table lock level taken, plus a ``rewrite``/``scan`` note
when the whole table is rewritten or scanned while that lock is held. SQLite: no lock value (every
write locks the whole database file).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from flywayx.model.lint import REWRITE, SCAN
from flywayx.statements.analyze.builder import Context
from flywayx.statements.analyze.coltypes import VOLATILE

if TYPE_CHECKING:
    from flywayx.statements.analyze.alter import Action

_MYSQL_DEFAULT = (8, 0, 40)
_MARIADB_DEFAULT = (10, 6)


def lock_for(action: Action, ctx: Context) -> tuple[str | None, str | None]:
    """(lock value, note tag or None) for one action in the context's dialect."""
    if ctx.family == "mysql":
        return mysql_algorithm(action, ctx), None
    if ctx.family == "postgresql":
        return pg_lock(action, ctx)
    return None, None


def _at_least(ctx: Context, mariadb: tuple[int, ...], mysql: tuple[int, ...]) -> bool:
    server = ctx.server or (_MARIADB_DEFAULT if ctx.mariadb else _MYSQL_DEFAULT)
    return server >= (mariadb if ctx.mariadb else mysql)


_MYSQL_FIXED = {
    "add-index": "INPLACE",
    "add-pk": "INPLACE",
    "drop-index": "INPLACE",
    "drop-pk": "COPY",
    "convert-charset": "COPY",
    "engine": "COPY",
    "order-by": "COPY",
    "rebuild": "INPLACE",
    "table-option": "INSTANT",
    "set-default": "INSTANT",
    "drop-default": "INSTANT",
    "algorithm": None,
    "lock": None,
    "add-check": "COPY",
    "set-not-null": "INPLACE",
    "drop-not-null": "INPLACE",
    # partition maintenance (MySQL's documented algorithms; MariaDB accepts no ALGORITHM clause here)
    "add-partition": "INPLACE",
    "drop-partition": "INPLACE",
    "truncate-partition": "INPLACE",
    "exchange-partition": "INPLACE",
    "repartition": "COPY",
    "convert-partition": "INPLACE",
    "convert-table": "INPLACE",
    "maintenance": None,  # ANALYZE/CHECK PARTITION: no ALTER algorithm
}


def mysql_algorithm(a: Action, ctx: Context) -> str | None:
    """The ALTER algorithm MySQL/MariaDB uses for ``a`` by default."""
    if a.op in _MYSQL_FIXED:
        return _MYSQL_FIXED[a.op]
    if a.op in ("drop-fk", "drop-constraint"):  # MariaDB 10.6+ only edits the data dictionary
        return "INSTANT" if ctx.mariadb and _at_least(ctx, (10, 6), (99,)) else "INPLACE"
    if a.op == "add-column":
        return _mysql_add_column(a, ctx)
    if a.op == "drop-column":
        return "INSTANT" if _at_least(ctx, (10, 4), (8, 0, 29)) else "INPLACE"
    if a.op in ("rename-table", "rename-index"):
        return "INSTANT" if _at_least(ctx, (10, 3), (8, 0)) else "INPLACE"
    if a.op == "rename-column":
        return "INSTANT" if _at_least(ctx, (10, 5), (8, 0, 28)) else "INPLACE"
    if a.op in ("modify-column", "change-column"):
        return _mysql_retype(a, ctx)
    if a.op == "add-fk":
        return "COPY" if ctx.fk_checks else "INPLACE"
    return "COPY"  # unknown actions: assume the worst


def _mysql_add_column(a: Action, ctx: Context) -> str:
    d = a.coldef
    if d is not None and (d.generated == "stored" or d.auto_increment or d.primary_key):
        return "COPY"
    if d is not None and d.default_text.startswith("("):  # an expression default: every row is computed
        return "COPY"
    at_end = d is None or d.position is None
    if at_end and _at_least(ctx, (10, 3), (8, 0, 12)):
        return "INSTANT"
    if not at_end and _at_least(ctx, (10, 4), (8, 0, 29)):
        return "INSTANT"
    return "INPLACE"


def _mysql_retype(a: Action, ctx: Context) -> str:
    if a.coldef is not None and a.coldef.generated is not None:  # a new expression: stored values recomputed
        return "COPY" if a.coldef.generated == "stored" else "INSTANT"
    if a.widens is None and a.old_type is not None:  # same type: rename, default, nullability
        if a.coldef is not None and a.coldef.not_null:
            return "INPLACE"
        return "INSTANT" if _at_least(ctx, (10, 5), (8, 0, 28)) else "INPLACE"
    if (
        a.widens
        and a.old_type
        and a.coldef
        and a.old_type.startswith(("enum(", "set("))
        and (a.coldef.type.startswith(("enum(", "set(")))
    ):
        return "INSTANT"  # members appended at the end: metadata only
    if a.widens and a.old_type and a.coldef and _varchar_in_place(a.old_type, a.coldef.type, ctx):
        return "INSTANT" if ctx.mariadb and _at_least(ctx, (10, 4), (99,)) else "INPLACE"
    return "COPY"


def _varchar_in_place(old: str, new: str, ctx: Context) -> bool:
    """VARCHAR growth without a copy. MySQL: while the length prefix keeps its size (<256 or >=256
    bytes, utf8mb4 counted as 4 bytes a character). MariaDB 10.4+: also from at most 127 bytes, whose
    values InnoDB always stores with a one-byte length."""
    o, n = re.match(r"varchar\((\d+)\)", old), re.match(r"varchar\((\d+)\)", new)
    if not (o and n):
        return False
    before, after = int(o.group(1)) * 4, int(n.group(1)) * 4
    if ctx.mariadb and _at_least(ctx, (10, 4), (99,)) and before <= 127:
        return True
    return (before < 256) == (after < 256)


def pg_lock(a: Action, ctx: Context) -> tuple[str, str | None]:
    """PostgreSQL lock level for ``a`` and a REWRITE/SCAN tag when the table is rewritten/scanned."""
    op = a.op
    if op == "add-column":
        return "ACCESS EXCLUSIVE", _pg_add_column_cost(a, ctx)
    if op in ("modify-column", "change-column"):
        cheap = a.widens is None or (
            a.widens
            and a.coldef is not None
            and a.coldef.type.startswith(("varchar", "text", "character varying", "numeric", "decimal"))
        )
        return "ACCESS EXCLUSIVE", None if cheap else REWRITE
    if op == "add-fk":
        return "SHARE ROW EXCLUSIVE", None if "not-valid" in a.flags else SCAN
    if op in ("add-check", "set-not-null"):
        return "ACCESS EXCLUSIVE", None if "not-valid" in a.flags else SCAN
    if op in ("add-pk", "add-index"):
        return "ACCESS EXCLUSIVE", None if "using-index" in a.flags else SCAN
    if op in ("validate", "pg-set", "attach-partition", "set-statistics"):
        return "SHARE UPDATE EXCLUSIVE", None
    if op == "detach-partition":
        return ("SHARE UPDATE EXCLUSIVE" if "concurrently" in a.flags else "ACCESS EXCLUSIVE"), None
    if op == "trigger-state":
        return "SHARE ROW EXCLUSIVE", None
    if op in ("rewrite", "engine", "rebuild"):
        return "ACCESS EXCLUSIVE", REWRITE
    return "ACCESS EXCLUSIVE", None


def _pg_add_column_cost(a: Action, ctx: Context) -> str | None:
    d = a.coldef
    if d is None:
        return None
    if d.generated == "stored" or (d.default_text and VOLATILE.search(d.default_text)):
        return REWRITE
    if d.has_default and ctx.server is not None and ctx.server < (11,):
        return REWRITE
    if d.auto_increment or d.type in ("serial", "bigserial", "smallserial"):
        return REWRITE
    return None
