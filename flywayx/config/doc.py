"""Render the key reference of ``docs/configuration.md`` from ``config_reference()``.

``python -m flywayx.config.doc docs/configuration.md`` rewrites the part between the
markers and leaves the prose around it alone. It only rewrites a page that exists and holds the
markers: anything else (``--help``, a mistyped path) prints the usage and writes nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from flywayx.config.keys import CLI, ENVIRONMENT, FLYWAY, config_reference

BEGIN = "<!-- BEGIN GENERATED: config_reference() -->"
END = "<!-- END GENERATED -->"

_SECTIONS = (
    "Connection keys (TOML: `[environments.<name>]`)",
    "Flyway keys (TOML: `[flyway]` or `[environments.<name>.flyway]`)",
    "flywayx's own keys (TOML: `[flyway]`)",
    "Command line only",
)


def _section_of(row: dict[str, str]) -> int:
    if row["flywayx_only"]:
        return 2
    return {ENVIRONMENT: 0, FLYWAY: 1, CLI: 3}[row["level"]]


def render_reference() -> str:
    """The generated block, markers included; deterministic (table order is the key table's)."""
    rows = config_reference()
    out = [BEGIN, ""]
    for section, title in enumerate(_SECTIONS):
        out += [
            f"### {title}",
            "",
            "| key | type | default | env var | option | Config field | meaning |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in (r for r in rows if _section_of(r) == section):
            option, _, commands = row["option"].partition(" ")
            cells = [
                _code(row["key"]),
                row["type"],
                _code(row["default"]),
                _code(row["env"]),
                f"{_code(option)} {commands}".strip(),
                _code(row["field"]),
                row["doc"],
            ]
            out.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
        out.append("")
    out.append(END)
    return "\n".join(out)


def _code(text: str) -> str:
    return f"`{text}`" if text else ""


def rewrite(path: Path) -> None:
    """Replace the generated block of ``path`` (or append one) with the current reference."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in text and END in text:
        head, _, rest = text.partition(BEGIN)
        _, _, tail = rest.partition(END)
        text = head + render_reference() + tail
    else:
        text = text.rstrip("\n") + "\n\n" + render_reference() + "\n"
    path.write_text(text, encoding="utf-8")


USAGE = (
    "usage: python -m flywayx.config.doc [PAGE]\n"
    "Rewrite the generated key reference of PAGE (default docs/configuration.md), a page that\n"
    f"already holds the markers {BEGIN} ... {END}."
)


def main(argv: list[str]) -> int:
    """The maintenance entry point; returns the exit code (2 for a usage error, nothing written)."""
    if len(argv) > 1 or any(a.startswith("-") for a in argv):
        print(USAGE, file=sys.stdout if argv[:1] in (["-h"], ["--help"]) else sys.stderr)
        return 0 if argv[:1] in (["-h"], ["--help"]) and len(argv) == 1 else 2
    page = Path(argv[0] if argv else "docs/configuration.md")
    text = page.read_text(encoding="utf-8") if page.is_file() else ""
    if BEGIN not in text or END not in text:
        print(f"ERROR: {page} is not a page holding the generated key reference\n{USAGE}", file=sys.stderr)
        return 2
    rewrite(page)
    return 0


if __name__ == "__main__":  # pragma: no cover - a maintenance entry point
    sys.exit(main(sys.argv[1:]))
