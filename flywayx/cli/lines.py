"""Release-line commands: plan and graph."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click

from flywayx.cli.app import cli, common_options, config_from, emit_json, json_mode, say
from flywayx.cli.fleet import fleet_options

if TYPE_CHECKING:
    from flywayx.service.answers import Answer
    from flywayx.service.core import PlanView
    from flywayx.service.kernel import Session


@cli.command()
@common_options
@click.option("--to", "to_release", help="Target release (default: everything known).")
@click.option("--phase", type=click.Choice(["expand", "contract", "all"]), default=None)
@click.option("--sql", "show_sql", is_flag=True, help="Also print the exact statements of each step.")
@click.pass_context
@fleet_options("plan")
def plan(ctx: click.Context, to_release: str | None, phase: str | None, show_sql: bool) -> None:
    """Show the ordered steps an upgrade will take, and why. Executes nothing."""
    from flywayx.service.answers import remembered

    quiet, as_json = bool(ctx.find_root().obj.get("quiet")), json_mode(ctx)

    def answer(s: Session) -> Answer:
        from flywayx.service.core import plan_in

        return _plan_lines(plan_in(s, to_release, None if phase == "all" else phase), phase, show_sql, quiet, as_json)

    config = config_from(ctx)
    if show_sql:  # the statements are decoded from the cache only where shown: not remembered
        from flywayx.service.kernel import session

        with session(config, read_only=True) as s:
            printed = answer(s)
    else:
        question = ("plan", to_release or "", phase or "", "quiet" if quiet else "", "json" if as_json else "")
        printed = remembered(config, question, answer)
    for err, text in printed:
        click.echo(text, err=err)


def _plan_lines(view: PlanView, phase: str | None, show_sql: bool, quiet: bool, as_json: bool) -> Answer:
    """What ``plan`` prints of ``view``: (to stderr, line) in order; with ``quiet`` only the warnings."""
    from flywayx.cli.plan_view import GROUP_REPEATABLES, repeatable_lines, summary_lines
    from flywayx.service.steps import record_reason

    full, steps = view.plan, view.steps
    records = [("before", r) for r in view.before] + [("after", r) for r in view.after]
    deferred = [k for k in full.skipped if k.reason.startswith("deferred:")]
    summary = view.summary
    out: Answer = []
    if as_json:
        import json

        payload = full.to_dict()
        payload["operation"] = "plan"
        payload["phase"] = phase
        payload["steps"] = [_step_json(st, view.statements, show_sql) for st in steps]
        payload["summary"] = summary.to_dict()
        if phase == "expand":
            payload["waitingForContract"] = [w.to_json() for w in view.waiting]
        payload["records"] = [
            {
                "version": r.change.migration.version.text if r.change.migration.version else None,
                "description": r.change.migration.description,
                "release": r.release,
                "recordedAs": r.how,
                "satisfiedBy": r.by,
                "when": when,
            }
            for when, r in records
        ]
        return [(False, json.dumps(payload, indent=2, default=str))]  # as ``emit_json`` prints it
    if not quiet:
        add = out.append
        add(
            (
                False,
                f"Plan from {summary.origin} to {summary.target}: {len(steps)} step(s)"
                + (f" ({phase} phase)" if phase and phase != "all" else ""),
            )
        )
        for line in summary_lines(summary):
            add((False, line))
        add((False, "Steps"))
        grouped = not show_sql and sum(1 for st in steps if st.migration.version is None) > GROUP_REPEATABLES
        for i, st in enumerate(steps, 1):
            if grouped and st.migration.version is None:
                continue
            v = st.migration.version.text if st.migration.version is not None else "R"
            late = "  [out of order]" if st.out_of_order else ""
            add(
                (
                    False,
                    f"{i:3}. {v:<14} {st.release or '-':<12} {st.phase.value:<9} {st.migration.description}"
                    f"  — {st.reason}{late}",
                )
            )
            if show_sql:
                for stmt in view.statements.get(st.migration.script) or []:
                    add((False, "       " + stmt.sql.replace("\n", "\n       ") + ";"))
        if grouped:
            for line in repeatable_lines(steps, 1 + sum(1 for st in steps if st.migration.version is not None)):
                add((False, line))
        if view.waiting:
            add((False, f"Waiting for --phase contract ({len(view.waiting)}):"))
            for wait in view.waiting:
                add((False, f"     {wait.script} ({wait.phase}): {wait.why}"))
        if deferred:
            add(
                (
                    False,
                    f"Deferred ({len(deferred)}): {deferred[0].reason.removeprefix('deferred: ')}: "
                    + ", ".join(k.key for k in deferred[:3])
                    + (", ..." if len(deferred) > 3 else ""),
                )
            )
        if records:
            add(
                (
                    False,
                    f"Recorded as applied without running ({len(records)}): their changes are already in the database",
                )
            )
        for when, r in records:
            m = r.change.migration
            add(
                (
                    False,
                    f"     {m.version.text if m.version else 'R':<14} {r.release or '-':<12} {m.description}"
                    f"  — {record_reason(r.how, r.by)} ({when} the steps)",
                )
            )
    out += [(True, f"WARNING: {w}") for w in full.warnings]
    return out


def _target_name(graph: Any, to_release: str | None) -> str | None:
    """The declared release ``--to`` names (``4.6`` finds ``4.6.0`` as the planner does)."""
    from flywayx.model.version import Version

    if to_release is None or graph.get(to_release) is not None:
        return to_release
    wanted = Version.try_parse(to_release)
    return next((r.name for r in graph.releases if wanted is not None and r.version == wanted), to_release)


def _step_json(st: object, statements: Mapping[str, Any], show_sql: bool) -> dict[str, object]:
    from flywayx.model.plan import PlanStep

    assert isinstance(st, PlanStep)
    out = st.to_dict()
    if show_sql:
        stmts = statements.get(st.migration.script) or []
        out["statements"] = [{"line": s.line, "sql": s.sql} for s in stmts]
    return out


@cli.command()
@common_options
@click.option("--format", "fmt", type=click.Choice(["text", "mermaid", "dot"]), default="text", show_default=True)
@click.option(
    "--to", "to_release", help="Mark this release (@) and the releases the plan to it takes migrations from (>)."
)
@click.option("--offline", is_flag=True, help="Draw from releases.toml only; do not connect to a database.")
@click.pass_context
def graph(ctx: click.Context, fmt: str, to_release: str | None, offline: bool) -> None:
    """Draw the release graph with the database's position (and the planned path with --to)."""
    from flywayx.plan import graph as render

    config = config_from(ctx)
    if offline or config.url is None:
        from flywayx.service.offline import fresh_path, offline_graph

        g, now = offline_graph(config), list[str]()
        path = fresh_path(g, to_release) if to_release else []
    else:
        from flywayx import service
        from flywayx.service import lines

        with service.session(config) as s:
            g, now, path = lines.graph_view(s, to_release)
    target = _target_name(g, to_release)
    draw = {"text": render.render_text, "mermaid": render.render_mermaid, "dot": render.render_dot}[fmt]
    text = draw(g, now, path, target)
    if json_mode(ctx):
        emit_json({"operation": "graph", "format": fmt, "graph": text, "current": now, "path": path, "target": target})
    else:
        say(ctx, text)
