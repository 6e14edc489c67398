"""How a ``--dry-run`` is shown: each action the real run would take, one line each, in order
(``migrate``, ``baseline``, ``clean``; the service layer lists them, ``service/dryrun.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from flywayx.cli.app import say


def say_actions(ctx: click.Context, actions: list[dict[str, Any]], schema: str = "") -> None:
    """A dry run's actions in order, one line each (statements indented under it)."""
    say(ctx, "DRY RUN: nothing below is executed; no schema, history row, flywayx table or lock is touched.")
    for a in actions:
        say(ctx, "Would " + _dry_text(a, schema))
        for st in a.get("statements", []):
            say(ctx, "    " + st["sql"].replace("\n", "\n    ") + ";")


def _dry_text(a: dict[str, Any], schema: str) -> str:
    kind = a["action"]
    if kind == "migrate":
        what = (
            f'to version "{a["version"]} - {a["description"]}"'
            if a["version"] is not None
            else f'with repeatable migration "{a["description"]}"'
        )
        late = " [out of order]" if a["outOfOrder"] else ""
        skip = f" (resuming at statement {a['skipStatements'] + 1})" if a["skipStatements"] else ""
        return f"migrate schema {schema} {what}{late}{skip}"
    texts: dict[str, Callable[[], str]] = {
        "callback": lambda: f"run callback {a['script']} ({a['event']})",
        "backup": lambda: f"back up {', '.join(a['schemas']) or 'the database'} into {a['directory']}",
        "resume": lambda: _resume_text(a),
        "createSchema": lambda: f"create schema {a['schema']}",
        "createHistoryTable": lambda: f"create the schema history table {a['schema']}.{a['table']}",
        "insertHistoryRow": lambda: f"write a {a['type']} row ({a['version'] or ''} {a['description']})",
        "createFlywayxTables": lambda: f"create flywayx's own tables in {a['schema']}",
        "fillContentId": lambda: f"record the content id of applied {a['script']} (upgrade in place)",
        "record": lambda: (
            f"record {a['version']} - {a['description']} as applied without running it: "
            f"{str(a['reason']).removeprefix('recorded, not run: ')}"
        ),
        "dropSchema": lambda: f"drop schema {a['schema']} ({len(a['objects'])} objects: {_few(a['objects'])})",
        "cleanSchema": lambda: f"empty schema {a['schema']} ({len(a['objects'])} objects: {_few(a['objects'])})",
    }
    return texts[kind]()


_DECISIONS = {
    "done": "it took effect: resume continues after it, at statement {next}",
    "redo": "resume runs it again",
    "send": "resume sends it again",
}


def _resume_text(a: dict[str, Any]) -> str:
    """One resumed migration; for the statement left in flight (or failed), what resume decided and why;
    the AUTO_INCREMENT counters it sets back first, and its warning about them."""
    text = _resume_decision(a)
    moved = [c for c in a.get("counters", ()) if c["from"] != c["to"]]
    if moved:
        text += "; first, AUTO_INCREMENT set back: " + ", ".join(
            f"{c['table']} {c['from']} -> {c['to']}" for c in moved
        )
    if a.get("countersWarning"):
        text += f"; {str(a['countersWarning']).removeprefix('Resuming ' + str(a['script']) + ': ')}"
    return text


def _resume_decision(a: dict[str, Any]) -> str:
    text = f"resume {a['script']} after statement {a['statementsDone']} of {a['total']}"
    if "decision" not in a:
        return text
    sql = str(a.get("sql", ""))
    shown = f" `{sql if len(sql) <= 100 else sql[:97] + '...'}`" if sql else ""
    where = f" (line {a['line']})" if a.get("line") else ""
    state = "was in flight when the run stopped" if a.get("inFlight") else "failed"
    decision = _DECISIONS[str(a["decision"])].format(next=int(a["statement"]) + 1)
    return f"{text}; statement {a['statement']}{where}{shown} {state}: {a['finding']}; {decision}"


def _few(names: list[str]) -> str:
    return ", ".join(names[:8]) + (", …" if len(names) > 8 else "") if names else "none"
