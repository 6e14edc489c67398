"""CloudStack's importer command, ``flywayx import acs SOURCE OUT`` (``plugin.py`` hands it to flywayx;
``baseline --acs`` is the plugin's baseline adapter)."""

from __future__ import annotations

from pathlib import Path

import click

from flywayx.cli.app import emit_json, json_mode, say


@click.command(name="acs")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--overrides",
    metavar="FILE|cloudstack",
    help="releases.toml-style overrides; `cloudstack`: the ones for Apache CloudStack that ship with flywayx.",
)
@click.option(
    "--require-ports",
    is_flag=True,
    help="Fail when a step's Java has no Python port in java_equiv/ (or its port declares no "
    "SCHEMA_EFFECTS), naming the class and the stub written for it.",
)
@click.pass_context
def import_acs(ctx: click.Context, source: Path, out: Path, overrides: str | None, require_ports: bool) -> None:
    """Import a CloudStack source tree SOURCE into the new project directory OUT."""
    from flywayx_cloudstack import service as acs

    report = acs.import_project(source, out, acs.overrides_file(overrides))
    if require_ports:
        acs.require_ports(report)
    if json_mode(ctx):
        emit_json(
            {
                "operation": "import acs",
                "out": str(out),
                "counts": dict(report.counts),
                "errors": [e.message for e in report.errors],
            }
        )
        return
    for name, value in report.counts.items():
        say(ctx, f"{name:>22}: {value}")
    for issue in report.errors:
        click.echo(f"ERROR: {issue.subject}: {issue.message}", err=True)
    if overrides is None:
        say(
            ctx,
            "No overrides: what the Java cannot tell (a maintenance release merged into a newer line) is not "
            "declared; for Apache CloudStack pass --overrides cloudstack.",
        )
    say(ctx, f"Wrote {out} (report: {out / 'import-report.md'}).")
    say(ctx, f"Next: flywayx --url mysql://USER@HOST/ --working-directory {out} migrate --to <release>")
