"""Safety commands: ``verify`` (live schema vs. recorded state) and ``restore`` (put a backup back)."""

from __future__ import annotations

import click

from flywayx.cli.app import cli, common_options, config_from, emit_json, json_mode, say


@cli.command()
@common_options
@click.pass_context
def verify(ctx: click.Context) -> None:
    """Compare the live schema with what its history says it should be; exit 1 on drift."""
    from flywayx.service import safety

    result = safety.verify(config_from(ctx))
    if json_mode(ctx):
        emit_json(result.to_json())
    else:
        for w in result.warnings:
            click.echo(f"WARNING: {w}", err=True)
        if result.ok:
            say(
                ctx, f"Schema matches the state recorded at {result.recorded_at} (digest {result.expected_digest[:12]})"
            )
        else:
            click.echo(
                f"Schema drift: {len(result.drifts)} difference(s) from the state recorded at {result.recorded_at}:"
            )
            for d in result.drifts:
                click.echo(f"  {d}")
    if not result.ok:
        ctx.exit(1)


@cli.command()
@click.argument("backup_file", type=click.Path(dir_okay=False))
@common_options
@click.option("--force", is_flag=True, help="Replace a target database (or schema) that is not empty.")
@click.option("--dry-run", is_flag=True, help="Check the backup, the clients and the target; replace nothing.")
@click.pass_context
def restore(ctx: click.Context, backup_file: str, force: bool, dry_run: bool) -> None:
    """Put back a backup taken by `migrate --backup DIR`, atomically, into the database the URL names."""
    from flywayx.service import safety

    result = safety.restore(config_from(ctx), backup_file, force=force, dry_run=dry_run)
    where = ", ".join(result.targets) or ", ".join(result.schemas)
    if json_mode(ctx):
        emit_json(result.to_json())
        return
    for line in result.recovered:
        say(ctx, line[0].upper() + line[1:])
    if dry_run:
        say(
            ctx,
            f"Dry run: would replace {where} with {result.path} (taken {result.taken}); "
            "the backup matches its manifest; nothing was changed.",
        )
    else:
        say(ctx, f"Restored {where} from {result.path} (taken {result.taken}); the restored schema matches the backup")
