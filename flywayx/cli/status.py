"""Flyway's read-only commands, info and validate: their module alone is imported for them (``app.LazyGroup``)."""

from __future__ import annotations

import click

from flywayx.cli.app import cli, common_options, config_from, emit_json, json_mode, key_options, say, warn_all
from flywayx.cli.fleet import fleet_options


@cli.command()
@common_options
@key_options("info")
@click.pass_context
@fleet_options("info")
def info(ctx: click.Context) -> None:
    """Show every migration with its state, like Flyway's info."""
    from flywayx import service
    from flywayx.plan.info_filter import parse_filter

    chosen = parse_filter(_info_filter_values(ctx))  # bad values fail before connecting
    result = service.info(config_from(ctx))
    if chosen.active:
        result.migrations = chosen.apply(result.migrations)
    if json_mode(ctx):
        emit_json(result.to_json())
        return
    warn_all(result.warnings)
    schema = result.header.schema_name.split(", ")[0]
    say(ctx, f"Schema version: {result.schema_version or '<< Empty Schema >>'}")
    if result.current_releases:
        say(ctx, f"Release: {', '.join(result.current_releases)}")
    if result.phase_state:
        say(ctx, result.phase_state)
    if result.cluster:
        say(ctx, f"Server: {result.cluster}")
    say(ctx, "")
    if ctx.find_root().obj.get("quiet"):
        return  # -q: the table is all that is left, and say() would drop it
    import sys

    from flywayx.cli.render import color_enabled, flyway_table, info_rows

    headers, rows = info_rows(result.migrations, result.releases, color_enabled(sys.stdout), result.undo)
    say(ctx, flyway_table(headers, rows))
    del schema


@cli.command()
@common_options
@key_options("validate")
@click.pass_context
@fleet_options("validate")
def validate(ctx: click.Context) -> None:
    """Check applied migrations against local files (checksums, descriptions, missing, pending)."""
    from flywayx import service

    result = service.validate(config_from(ctx))
    if json_mode(ctx):
        emit_json(result.to_json())  # Flyway exits 0 here even when validation failed
        return
    for w in result.warnings:
        click.echo(f"WARNING: {w}", err=True)
    if not result.successful:
        raise service.validation_error([i.message for i in result.invalid])
    say(ctx, f"Successfully validated {result.validate_count} migration{'s' if result.validate_count != 1 else ''}")


def _info_filter_values(ctx: click.Context) -> dict[str, str]:
    """Flyway-style -infoSinceDate=… arguments, overridden by the click-style options (``key_options``)."""
    from flywayx.plan.info_filter import KEYS

    root = ctx.find_root().obj
    given = {**root.get("flyway_args", {}), **root.get("cli", {})}
    return {k: str(v) for k, v in given.items() if k in KEYS}
