"""How ``releases.toml`` problems are found when the TOML does not parse, chosen so that none is a
consequence of another, and reported: one ``ReleaseConfigError`` listing every problem with its
file:line and a hint that fits the kind of problem. Pure, apart from raising."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flywayx.errors import ReleaseConfigError
from flywayx.model.release import ReleaseProblem

if TYPE_CHECKING:  # tomllib is imported when a releases.toml is read: a plain project never loads it
    import tomllib

# The problems that drop a release table (sources.releases._declared_versions): its migrations then
# belong nowhere, which is not worth a second report.
DROPPED = ("release name ", "release '")


def _syntax_line(err: tomllib.TOMLDecodeError) -> int | None:
    m = re.search(r"line (\d+)", str(err))
    return int(m.group(1)) if m else None


_SECTION = re.compile(r"^\s*\[")


# Deeper than this is abuse: releases.toml itself needs three levels ([release."X"] merges = [...]).
MAX_NESTING = 16
TOO_DEEP = "nested too deeply"


def too_deep(text: str, file: str, depth: int | None = None) -> ReleaseProblem:
    """The one problem reported for a file whose tables, arrays or inline tables nest deeper than
    ``MAX_NESTING`` (``depth`` None: so deep that the TOML parser itself gave up)."""
    lines = text.splitlines() or [""]
    worst = max(range(len(lines)), key=lambda i: lines[i].count("[") + lines[i].count("{") + lines[i].count("."))
    found = f"{depth} levels" if depth is not None else "beyond what the TOML parser can read"
    return ReleaseProblem(file, worst + 1, f"{TOO_DEEP}: tables and arrays nest {found} (at most {MAX_NESTING})")


def nesting(value: object) -> int:
    """How deep tables and arrays nest in a parsed TOML document (iterative: any depth is safe)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def load_toml(text: str, file: str) -> tuple[dict[str, Any] | None, list[ReleaseProblem]]:
    """The parsed document and no problem, or None and the problems that stop it: syntax errors
    (``syntax_problems``), or nesting deeper than ``MAX_NESTING`` (one problem, never a RecursionError)."""
    import tomllib

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        return None, syntax_problems(text, file, err)
    except RecursionError:
        return None, [too_deep(text, file)]
    depth = nesting(doc)
    if depth > MAX_NESTING:
        return None, [too_deep(text, file, depth)]
    return doc, []


def syntax_problems(text: str, file: str, whole: tomllib.TOMLDecodeError) -> list[ReleaseProblem]:
    """Every TOML syntax error of the file, none caused by another: each table (a header line and
    the lines up to the next one) is parsed on its own, so an error in one cannot hide or fake an
    error in the next. When every table parses alone, the whole-file error (a table declared twice)
    is the one to report."""
    import tomllib

    lines = text.splitlines(keepends=True)
    starts = [0] + [i for i, line in enumerate(lines) if i and _SECTION.match(line)]
    out: list[ReleaseProblem] = []
    for start, end in zip(starts, [*starts[1:], len(lines)], strict=True):
        try:
            tomllib.loads("".join(lines[start:end]))
        except RecursionError:
            out.append(too_deep("".join(lines[start:end]), file))
            continue
        except tomllib.TOMLDecodeError as err:
            local = _syntax_line(err)
            out.append(
                ReleaseProblem(
                    file, None if local is None else local + start, f"invalid TOML: {_without_position(err)}"
                )
            )
    return out or [ReleaseProblem(file, _syntax_line(whole), f"invalid TOML: {_without_position(whole)}")]


def _without_position(err: tomllib.TOMLDecodeError) -> str:
    """tomllib's message without its "(at line L, column C)": the problem carries the line."""
    return re.sub(r"\s*\(at line \d+, column \d+\)$", "", str(err)) or str(err)


def raise_problems(problems: Sequence[ReleaseProblem], file: str) -> None:
    """Raise one ReleaseConfigError listing every problem, each with file:line, one per line of
    the message in the file's line order (no-op when there are none). The hint fits the kind of problem."""
    if not problems:
        return
    # in reading order: the file's own lines first, top to bottom, then problems found in other files
    problems = sorted(problems, key=lambda p: (p.file != file, p.line is None, p.line or 0))
    if len(problems) == 1:
        message = f"{file} is invalid: {problems[0]}"
    else:
        message = f"{file} is invalid ({len(problems)} problems):\n" + "\n".join(str(p) for p in problems)
    raise ReleaseConfigError(message, hint=_hint(problems), problems=list(problems), file=file)


def _hint(problems: Sequence[ReleaseProblem]) -> str:
    if any(p.message.startswith("invalid TOML") for p in problems):
        return (
            'fix the TOML syntax at each line listed: tables are written [release."4.6.1"], '
            'values in double quotes (from = "4.6.0", merges = ["4.5.3"])'
        )
    if any(
        "belongs to no release" in p.message or p.message.startswith(("[equivalent]", "[commutes]")) for p in problems
    ):
        return (
            "declare the release each listed migration belongs to, or correct the version; "
            "`flywayx graph --offline` draws the releases as declared"
        )
    return "fix each entry listed (the format is described in docs/release-lines.md)"


def independent(structural: Sequence[ReleaseProblem], fit: list[ReleaseProblem]) -> list[ReleaseProblem]:
    """The migration problems that are not consequences of the structural ones: none after a syntax
    error (there is no graph), and no "belongs to no release" once a release table was dropped."""
    if any(p.message.startswith(("invalid TOML", TOO_DEEP)) for p in structural):
        return []
    if any(p.message.startswith(DROPPED) for p in structural):
        return [p for p in fit if "belongs to no release" not in p.message]
    return fit
