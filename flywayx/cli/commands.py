"""Flyway's commands: migrate, baseline, repair, clean, explain and rename (info and validate: ``status.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from flywayx import plugins
from flywayx.cli.app import (
    GIVEN_KEY_OPTIONS,
    cli,
    common_options,
    config_from,
    emit_json,
    json_mode,
    key_options,
    progress_reporter,
    say,
    warn_all,
)
from flywayx.cli.dryrun import say_actions
from flywayx.cli.fleet import fleet_options

if TYPE_CHECKING:
    from flywayx.model.write_results import Waiting


@cli.command()
@common_options
@key_options("migrate")
@click.option("--to", "to_release", help="Release to upgrade to (with releases.toml).")
@click.option(
    "--phase",
    type=click.Choice(["expand", "contract", "all"]),
    default=None,
    help="Online upgrade: expand now, contract after the rolling upgrade.",
)
@click.option("--resume", is_flag=True, help="MySQL/MariaDB: continue a failed migration at the failed statement.")
@click.option(
    "--in-flight",
    type=click.Choice(["done", "redo"]),
    default=None,
    help="With --resume: the statement a killed or failed run left is done (skip it) or to redo.",
)
@click.option("--backup", "backup_dir", type=click.Path(file_okay=False), help="Take a backup into DIR first.")
@click.option("--dry-run", is_flag=True, help="Show what would run (same checks and refusals); change nothing.")
@click.option("--sql", "show_sql", is_flag=True, help="With --dry-run: also print every statement that would run.")
@click.option("--rsu", is_flag=True, help="Galera, with --phase expand: rolling schema upgrade, node by node.")
@click.pass_context
@fleet_options("migrate")
def migrate(
    ctx: click.Context,
    to_release: str | None,
    phase: str | None,
    resume: bool,
    in_flight: str | None,
    backup_dir: str | None,
    dry_run: bool,
    show_sql: bool,
    rsu: bool,
) -> None:
    """Apply pending migrations (Flyway's migrate), or upgrade to a release with --to."""
    from flywayx import service
    from flywayx.cli import progress

    if in_flight is not None and not resume:
        raise click.UsageError("--in-flight only applies with --resume")
    config = config_from(ctx)
    options = service.MigrateOptions(
        resume=resume,
        in_flight=in_flight,
        dry_run=dry_run,
        backup_dir=backup_dir,
        to_release=to_release,
        phase=None if phase == "all" else phase,
        show_sql=show_sql,
        rsu=rsu,
    )
    reporter = progress_reporter(ctx)
    result = service.migrate(config, options, reporter)
    if json_mode(ctx):
        emit_json(result.to_json())
        return
    warn_all(result.warnings)
    schema = reporter.schema or result.header.schema_name.split(", ")[0]
    if not reporter.announced:  # first, as Flyway prints it (also before what a dry run would do)
        say(ctx, f"Current version of schema {schema}: {result.initial_version or '<< Empty Schema >>'}")
    if result.dry_run:
        say_actions(ctx, result.actions, schema)
    recorded = len(result.recorded)
    if result.dry_run:
        n = len(result.applied)
        say(
            ctx,
            f"Dry run: would apply {n} migration{'s' if n != 1 else ''} to schema {schema}"
            + (f", reaching version v{result.target_version}" if n else "")
            + (f", and record {recorded} already in the database" if recorded else "")
            + "; nothing was changed.",
        )
        _say_waiting(ctx, result.waiting, result.to_release)
        return
    if recorded:
        say(
            ctx,
            f"Recorded {recorded} migration{'s' if recorded != 1 else ''} as applied without running "
            f"{'them' if recorded != 1 else 'it'}: {'their changes are' if recorded != 1 else 'its change is'} "
            "already in the database",
        )
    if not result.applied:
        if result.waiting:
            say(
                ctx,
                f"Schema {schema}: nothing to expand; {len(result.waiting)} migration"
                f"{'s wait' if len(result.waiting) != 1 else ' waits'} for --phase contract.",
            )
            _say_waiting(ctx, result.waiting, result.to_release)
            return
        say(ctx, f"Schema {schema} is up to date. No migration necessary.")
        return
    say(
        ctx,
        f"Successfully applied {len(result.applied)} migration{'s' if len(result.applied) != 1 else ''} to "
        f"schema {schema}, now at version v{result.target_version} "
        f"(execution time {progress.flyway_time(result.total_ms)})",
    )
    _say_waiting(ctx, result.waiting, result.to_release)


def _say_waiting(ctx: click.Context, waiting: list[Waiting], release: str | None) -> None:
    """What ``--phase expand`` leaves for the contract phase, and the command that runs it."""
    if not waiting:
        return
    to = f" --to {release}" if release else ""
    say(ctx, f"Waiting for `flywayx migrate{to} --phase contract` (after every server runs the new release):")
    for w in waiting:
        say(ctx, f"  {w.script} ({w.phase}): {w.why}")


@cli.command()
@common_options
@key_options("baseline")
@click.option(
    "--release",
    "release",
    help="Adopt the database at this release: record its whole closure as applied (with releases.toml).",
)
@click.option("--dry-run", is_flag=True, help="Show what baseline would write (same checks); change nothing.")
@click.pass_context
def baseline(ctx: click.Context, /, release: str | None, dry_run: bool, **adapters: bool) -> None:
    """Start history on an existing database at a version (or adopt it at a release)."""
    from flywayx import service
    from flywayx.errors import UsageError

    known = plugins.baseline_adapters()  # each adds its flag (--acs): _add_adapter_flags
    chosen = [a for a in known if adapters.get(a.param)]
    if release is not None and (chosen or "baseline_version" in ctx.meta[GIVEN_KEY_OPTIONS]):
        flags = " or ".join([*(f"--{a.flag}" for a in known), "--baseline-version"])
        reads = "".join(f"; --{a.flag} {a.reads}" for a in known)
        raise UsageError(
            f"--release cannot be combined with {flags}", hint=f"--release R records R's migrations{reads}"
        )
    if len(chosen) > 1:
        raise UsageError(
            f"--{chosen[0].flag} cannot be combined with --{chosen[1].flag}",
            hint="each reads the release to adopt from a different product's tables: pass one",
        )
    if chosen:
        result = chosen[0].adopt(config_from(ctx), dry_run)
    elif release is not None:
        from flywayx.service.adopt import baseline_release

        result = baseline_release(config_from(ctx), release, dry_run=dry_run)
    else:
        result = service.baseline(config_from(ctx), dry_run=dry_run)
    if json_mode(ctx):
        emit_json(result.to_json())
        return
    if dry_run:
        say_actions(ctx, result.actions)
        say(ctx, f"Dry run: {result.message[:1].lower()}{result.message[1:]}; nothing was changed.")
    else:
        say(ctx, result.message)


def _add_adapter_flags() -> None:
    """Each installed plugin's baseline adapter as a flag of ``baseline`` (``--acs``), before ``--dry-run``;
    of two with the same flag the first plugin's (one ``WARNING:`` line)."""
    for adapter in (a for p in plugins.installed() for a in p.baseline_adapters):
        if any(p.name == adapter.param for p in baseline.params):
            plugins.warn(f"baseline --{adapter.flag} exists already; the second plugin's is left out")
            continue
        at = next((i for i, p in enumerate(baseline.params) if p.name == "dry_run"), len(baseline.params))
        baseline.params.insert(at, click.Option([f"--{adapter.flag}"], is_flag=True, help=adapter.help))


_add_adapter_flags()


@cli.command()
@common_options
@click.option("--dry-run", is_flag=True, help="Show what repair would change; change nothing.")
@click.pass_context
def repair(ctx: click.Context, dry_run: bool) -> None:
    """Remove failed rows, mark missing migrations deleted, realign checksums (Flyway's repair)."""
    from flywayx import service

    result = service.repair(config_from(ctx), dry_run=dry_run)
    if json_mode(ctx):
        emit_json(result.to_json())
        return
    if dry_run:
        for verb, items in (
            ("remove the failed row of", result.removed),
            ("record as applied (its change is in the database)", result.recorded),
            ("mark deleted", result.deleted),
            ("realign with its file", result.aligned),
        ):
            for item in items:
                say(ctx, f"Would {verb} {item.version or item.description} ({item.description})")
        say(ctx, "Dry run: " + ("; ".join(result.actions()) or "nothing to repair") + "; nothing was changed.")
        return
    actions = result.actions()
    say(
        ctx,
        "Successfully repaired schema history table"
        + (f" ({', '.join(actions)})" if actions else " (nothing to repair)"),
    )


@cli.command()
@common_options
@key_options("clean")
@click.option("--dry-run", is_flag=True, help="List what clean would drop; drop nothing.")
@click.pass_context
def clean(ctx: click.Context, dry_run: bool) -> None:
    """Drop every object in the configured schemas (disabled by default)."""
    from flywayx import service

    result = service.clean(config_from(ctx), dry_run=dry_run)
    if json_mode(ctx):
        emit_json(result.to_json())
        return
    for w in result.warnings:
        click.echo(f"WARNING: {w}", err=True)
    if dry_run:
        say_actions(ctx, result.actions)
        say(
            ctx,
            f"Dry run: would clean schema(s): {', '.join(result.cleaned + result.dropped) or '(none)'}; "
            "nothing was changed.",
        )
        return
    say(ctx, f"Successfully cleaned schema(s): {', '.join(result.cleaned + result.dropped) or '(none)'}")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option(
    "--dialect", type=click.Choice(["mysql", "mariadb", "postgresql", "sqlite"]), default="mariadb", show_default=True
)
@common_options
@click.pass_context
def explain(ctx: click.Context, files: tuple[str, ...], dialect: str) -> None:
    """Show what each file is and the exact statements it will send."""
    from flywayx.service import explain as explainer

    config = config_from(ctx)
    results = explainer.explain_files(list(files), dialect, config)
    if json_mode(ctx):
        emit_json({"files": results, "operation": "explain"})
    else:
        for r in results:
            say(ctx, explainer.render_text(r))
    if any("error" in r for r in results):
        ctx.exit(1)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--dry-run", is_flag=True, help="Only show the renames.")
@common_options
@click.pass_context
def rename(ctx: click.Context, paths: tuple[str, ...], dry_run: bool) -> None:
    """Rewrite seed-style alias names (V_4.1.0_A.sql) to Flyway names (V4.1.0.1__.sql)."""
    from flywayx.service.offline import rename_aliases

    config = config_from(ctx)
    done = rename_aliases(config, list(paths), apply=not dry_run)
    if json_mode(ctx):
        emit_json(
            {"operation": "rename", "dryRun": dry_run, "renames": [{"from": str(a), "to": str(b)} for a, b in done]}
        )
        return
    for old, new in done:
        say(ctx, f"{'would rename' if dry_run else 'renamed'} {old} -> {new}")
    if not done:
        say(ctx, "No alias names found.")
