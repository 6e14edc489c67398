"""Column definitions: what a ``col TYPE [NOT NULL] [DEFAULT x] ...`` clause says, and type widening.

``widening(old, new)`` answers True when every value of ``old`` fits ``new`` unchanged (INT ->
BIGINT, VARCHAR(10) -> VARCHAR(64) or TEXT, DECIMAL(5,2) -> DECIMAL(8,2)), False when some value may
not fit or changes meaning, and None when the types are the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flywayx.statements.tokens import WORD, Token, words

_INTS = {
    "tinyint": 1,
    "smallint": 2,
    "int2": 2,
    "mediumint": 3,
    "int": 4,
    "integer": 4,
    "int4": 4,
    "serial": 4,
    "bigint": 8,
    "int8": 8,
    "bigserial": 8,
}
_TEXTS = {
    "char": 1,
    "character": 1,
    "varchar": 1,
    "nvarchar": 1,
    "varchar2": 1,
    "tinytext": 255,
    "text": 65535,
    "mediumtext": 16777215,
    "longtext": 4294967295,
}
_BLOBS = {
    "binary": 1,
    "varbinary": 1,
    "tinyblob": 255,
    "blob": 65535,
    "mediumblob": 16777215,
    "longblob": 4294967295,
    "bytea": 4294967295,
}
_FLOATS = {"float": 4, "real": 4, "float4": 4, "double": 8, "float8": 8}
# Defaults PostgreSQL must evaluate per row, which force a table rewrite when adding a column.
VOLATILE = re.compile(r"\b(random|gen_random_uuid|uuid_generate_v\d|clock_timestamp|nextval|timeofday)\s*\(", re.I)


@dataclass(frozen=True)
class ColumnDef:
    """The parts of a column definition the analyser needs."""

    type: str  # canonical type text, lower-cased, e.g. "varchar(32)", "bigint unsigned"
    not_null: bool = False
    has_default: bool = False
    default_text: str = ""
    auto_increment: bool = False
    generated: str | None = None  # "stored" / "virtual" for generated columns
    position: str | None = None  # "first" / "after" (MySQL)
    primary_key: bool = False
    unique: bool = False
    references: str | None = None  # inline REFERENCES target table

    @property
    def nullable_or_defaulted(self) -> bool:
        return not self.not_null or self.has_default or self.auto_increment or self.generated is not None


def parse_column_def(tokens: list[Token]) -> ColumnDef:
    """Parse the tokens after a column name (type and attributes)."""
    i, n = 0, len(tokens)
    type_parts: list[str] = []
    while i < n and tokens[i].kind == WORD and tokens[i].up not in _ATTR_START:
        type_parts.append(tokens[i].text.lower())
        i += 1
        if i < n and tokens[i].text == "(":
            j = _close(tokens, i)
            type_parts[-1] += "(" + ",".join(t.text.lower() for t in tokens[i + 1 : j] if t.text != ",") + ")"
            i = j + 1
    attrs = _attributes(tokens[i:])
    return ColumnDef(type=" ".join(type_parts), **attrs)  # type: ignore[arg-type]


_ATTR_START = frozenset(
    words(
        """
        NOT NULL DEFAULT AUTO_INCREMENT PRIMARY UNIQUE KEY COMMENT COLLATE CHARACTER CHARSET REFERENCES
        CHECK GENERATED AS FIRST AFTER CONSTRAINT ON INVISIBLE VISIBLE STORED VIRTUAL IDENTITY
        """
    )
)


def _close(tokens: list[Token], i: int) -> int:
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j].text == "(":
            depth += 1
        elif tokens[j].text == ")":
            depth -= 1
            if depth == 0:
                return j
    return len(tokens) - 1


def _attributes(tokens: list[Token]) -> dict[str, object]:
    ups = [t.up if t.kind == WORD else t.text for t in tokens]
    out: dict[str, object] = {}
    for k, w in enumerate(ups):
        nxt = ups[k + 1] if k + 1 < len(ups) else ""
        if w == "NOT" and nxt == "NULL":
            out["not_null"] = True
        elif w == "DEFAULT":
            out["has_default"] = not (nxt == "NULL" and out.get("not_null"))
            out["default_text"] = _default_text(tokens[k + 1 :])
        elif w in ("AUTO_INCREMENT", "IDENTITY", "AUTOINCREMENT"):
            out["auto_increment"] = True
        elif w in ("STORED", "VIRTUAL", "PERSISTENT"):
            out["generated"] = "virtual" if w == "VIRTUAL" else "stored"
        elif w in ("FIRST", "AFTER") and (k == 0 or ups[k - 1] not in ("NULLS",)):
            out["position"] = w.lower()
        elif w == "PRIMARY" and nxt == "KEY":
            out["primary_key"] = out["not_null"] = True
        elif w == "UNIQUE":
            out["unique"] = True
        elif w == "REFERENCES" and k + 1 < len(tokens):
            out["references"] = tokens[k + 1].name
    if "generated" not in out and "GENERATED" in ups and "IDENTITY" not in ups:
        out["generated"] = "virtual"
    return out


def _default_text(tokens: list[Token]) -> str:
    if not tokens:
        return ""
    if tokens[0].text == "(":
        return " ".join(t.text for t in tokens[: _close(tokens, 0) + 1])
    if len(tokens) > 1 and tokens[1].text == "(":
        return " ".join(t.text for t in tokens[: _close(tokens, 1) + 1])
    return tokens[0].text


def _split(t: str) -> tuple[str, list[int], bool]:
    unsigned = " unsigned" in t
    base = t.split(" ")[0] if t else ""
    m = re.match(r"([a-z0-9_]+)(?:\(([^)]*)\))?", base)
    if not m:
        return base, [], unsigned
    args = [int(a) for a in (m.group(2) or "").split(",") if a.strip().isdigit()]
    if t.startswith(("character varying", "double precision")):
        return ("varchar" if t.startswith("character") else "double"), args, unsigned
    return m.group(1), args, unsigned


def widening(old: str, new: str) -> bool | None:
    """True if ``old`` -> ``new`` only widens, False if it may narrow or reinterpret, None if equal."""
    if _norm(old) == _norm(new):
        return None
    members = _members(old), _members(new)
    if members[0] is not None and members[1] is not None:  # ENUM/SET: only appended members keep every value
        return old.split("(")[0] == new.split("(")[0] and members[1][: len(members[0])] == members[0]
    ob, oa, ou = _split(old)
    nb, na, nu = _split(new)
    if members[0] is not None and nb in _TEXTS:  # ENUM/SET -> text: every value fits when the longest does
        longest = (
            max(map(len, members[0]), default=0)
            if old.startswith("enum(")
            else (sum(map(len, members[0])) + len(members[0]) - 1)
        )
        return _length(_TEXTS, nb, na) >= longest
    if ob in _INTS and nb in _INTS:
        grow = _INTS[nb] > _INTS[ob] or (_INTS[nb] == _INTS[ob] and ou == nu)
        return grow and (ou == nu or (ou and not nu and _INTS[nb] > _INTS[ob]))
    for family in (_TEXTS, _BLOBS):
        if ob in family and nb in family:
            return _length(family, nb, na) >= _length(family, ob, oa)
    if ob in _FLOATS and nb in _FLOATS:
        return _FLOATS[nb] >= _FLOATS[ob]
    if ob in ("decimal", "numeric") and nb in ("decimal", "numeric"):
        (op, os_), (np_, ns) = _prec(oa), _prec(na)
        return ns >= os_ and np_ - ns >= op - os_
    if ob in _INTS and nb in ("decimal", "numeric"):
        p, s = _prec(na)
        return p - s >= len(str(256 ** _INTS[ob]))
    return False


def _members(t: str) -> list[str] | None:
    """The quoted members of an ``enum(...)``/``set(...)`` type, else None."""
    if not t.startswith(("enum(", "set(")):
        return None
    return re.findall(r"'((?:[^']|'')*)'", t)


def _norm(t: str) -> str:
    return re.sub(r"\s+", " ", t.strip().lower().replace("integer", "int"))


def _length(family: dict[str, int], base: str, args: list[int]) -> int:
    if family[base] > 1:
        return family[base]
    if args:
        return args[0]
    return 1 if base in ("char", "character", "binary") else 10_000_000_000  # PG varchar without limit


def _prec(args: list[int]) -> tuple[int, int]:
    p = args[0] if args else 10
    return p, args[1] if len(args) > 1 else 0
