"""Split a SQL script into statements exactly as Flyway 13 does (flyway-semantics.md §9).

    >>> [s.sql for s in split("SELECT 1; -- done\\nSELECT 2;", "mariadb")]
    ['SELECT 1', '-- done\\nSELECT 2']

Dialects: ``mysql``, ``mariadb``, ``postgresql``, ``sqlite``. Placeholders must already be
replaced (Flyway replaces them while reading, before parsing). Each ``Statement`` carries the
1-based line of its first non-comment token, the SQL sent to the database (comments before the
statement kept, delimiter removed, trimmed), the delimiter in force, whether it may run inside a
transaction and whether it is batchable. PostgreSQL ``COPY ... FROM STDIN`` statements come back
as ``CopyStatement`` with their inline data. A script Flyway cannot parse raises ``ParseError``
with Flyway's message; ``details['statements']`` holds the statements parsed before the error.

Where Flyway itself never returns (``DELIMITER`` on the last line with nothing after it, ``COPY``
data without a ``\\.`` line, a non-ASCII digit) flywayx raises ``ParseError`` or, for the digit,
reads it as a symbol.
"""

from __future__ import annotations

from flywayx.errors import ParseError
from flywayx.model.migration import Statement
from flywayx.statements.split_engine import CopyStatement, Engine, SplitFailure, column
from flywayx.statements.split_lexer import DIALECTS

__all__ = ["DIALECTS", "KNOWN_PARSER_LIMITATIONS", "CopyStatement", "split"]

KNOWN_PARSER_LIMITATIONS = (
    "https://help.red-gate.com/help/flyway-cli13/help_0.aspx"
    "?topic=learn-more-about-flyway/troubleshooting/known-parser-limitations"
)

_HINTS = {
    "Incomplete statement": (
        "A BEGIN/CASE block or a stored program is not closed before the end of the file; "
        "close it, or wrap the program in DELIMITER $$ ... $$ / DELIMITER ;"
    ),
    "Delimiter changed inside statement": (
        "End the previous statement with its delimiter before the DELIMITER line; "
        "a column named delimiter must be quoted with backticks"
    ),
}
_DEFAULT_HINT = "Check the statement at that position; Flyway's known parser limitations are listed at the URL"


def split(text: str, dialect: str, *, path: str | None = None, db_version: str | None = None) -> list[Statement]:
    """Statements of ``text`` in order, as Flyway's parser for ``dialect`` sends them.

    ``path`` names the script in error messages. ``db_version`` (e.g. ``"11.4"``) matters only
    for PostgreSQL, where ``ALTER TYPE ... ADD VALUE`` cannot run in a transaction before 12;
    when it is not given the server is assumed to be 12 or newer.
    Raises ``ParseError`` (never anything else) when Flyway would fail to parse the script.
    """
    if dialect not in DIALECTS:
        raise ParseError(
            f"Unknown SQL dialect '{dialect}' for splitting",
            hint="Use one of: " + ", ".join(sorted(DIALECTS)),
        )
    text = text.removeprefix("\ufeff")  # Flyway's BomStrippingReader
    engine = Engine(text, dialect, _major(db_version))
    try:
        return engine.run()
    except SplitFailure as failure:
        raise _parse_error(failure, text, path or "<script>", engine) from None
    except RecursionError as err:  # defensive: the engine does not recurse
        raise ParseError(f"Unable to parse statement in {path or '<script>'}: {err}") from None


def _parse_error(failure: SplitFailure, text: str, path: str, engine: Engine) -> ParseError:
    line, col = engine.line_at(failure.pos), column(text, failure.pos)
    message = (
        f"Unable to parse statement in {path} at line {line} col {col}. "
        f"See {KNOWN_PARSER_LIMITATIONS} for more information. {failure.detail}"
    )
    hint = next((h for k, h in _HINTS.items() if failure.detail.startswith(k)), _DEFAULT_HINT)
    return ParseError(message, hint=hint, path=path, line=line, col=col, statements=failure.done)


def _major(version: str | None) -> int | None:
    if not version:
        return None
    head = version.strip().split(".")[0]
    return int(head) if head.isdigit() else None
