"""``flywayx lint``: online-upgrade rules over the migrations in --locations. No database needed."""

from __future__ import annotations

from pathlib import Path

import click

from flywayx.cli.app import cli, common_options, config_from, emit_json, json_mode, say


@cli.command()
@common_options
@click.option(
    "--dialect",
    type=click.Choice(["mysql", "mariadb", "postgresql", "sqlite"]),
    default=None,
    help="SQL dialect (default: the URL's, else mysql).",
)
@click.option(
    "--policy",
    "policy_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Lint policy file (default: lint.toml beside releases.toml or in the first location).",
)
@click.option(
    "--fail-on",
    type=click.Choice(["info", "warning", "error"]),
    default=None,
    help="Exit 1 when a finding is at least this severe (default: the policy's, error).",
)
@click.option("--ci", is_flag=True, help="CI mode: same as --fail-on warning unless --fail-on is given.")
@click.option(
    "--cluster",
    type=click.Choice(["galera"]),
    default=None,
    help="Also find what this kind of cluster cannot run safely (LOCK TABLES, MyISAM writes, ...).",
)
@click.pass_context
def lint(
    ctx: click.Context,
    dialect: str | None,
    policy_file: Path | None,
    fail_on: str | None,
    ci: bool,
    cluster: str | None,
) -> None:
    """Check migrations for changes that break the running release or block writes."""
    from flywayx.service.online import lint_locations

    result = lint_locations(config_from(ctx), dialect, policy_file=policy_file, fail_on=fail_on, ci=ci, cluster=cluster)
    if result.dialect_assumed and not json_mode(ctx):
        click.echo(
            f"note: no --dialect and no database URL: linting as {result.dialect} "
            "(pass --dialect postgresql|sqlite|mariadb for another database)",
            err=True,
        )
    if json_mode(ctx):
        emit_json(result.to_json())
    else:
        for f in result.findings:
            say(ctx, f"{f.severity.value.upper():<7} {f.rule:<26} {f.message}")
            say(ctx, f"        {f.statement}")
            say(ctx, f"        fix: {f.fix}")
        counts = {s: sum(1 for f in result.findings if f.severity.value == s) for s in ("error", "warning", "info")}
        say(
            ctx,
            f"{result.migrations} migration(s) linted ({result.dialect}"
            f"{', policy ' + result.policy_file if result.policy_file else ''}): "
            f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info",
        )
        for script in result.skipped:
            say(ctx, f"not analysed (Python migration): {script}")
    if result.failed:
        if not json_mode(ctx):
            click.echo(f"ERROR: lint found problems at or above '{result.policy.fail_on.value}'", err=True)
        ctx.exit(1)
