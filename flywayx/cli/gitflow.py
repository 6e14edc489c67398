"""Git workflow commands: releases from-git, releases check, new, release cut."""

from __future__ import annotations

import click

from flywayx.cli.app import cli, common_options, config_from, emit_json, json_mode, say

_REPO = click.option("--repo", metavar="DIR", help="The git repository (default: the one holding the migrations).")
_TAGS = click.option(
    "--tags",
    metavar="REGEX",
    help="Release tags: a regular expression whose `version` group (or whole match) is the "
    r"release. Default: v?(?P<version>[0-9]+(?:\.[0-9]+)+)",
)
_DIALECT = click.option(
    "--dialect",
    type=click.Choice(["mysql", "mariadb", "postgresql", "sqlite"]),
    default=None,
    help="SQL dialect for splitting and analysis (default: the URL's, else mysql).",
)


@cli.group()
def releases() -> None:
    """The release graph and git: derive it from tags, check releases.toml against them."""


@releases.command("from-git")
@common_options
@_REPO
@_TAGS
@_DIALECT
@click.option(
    "--depth", type=click.IntRange(min=1), default=None, help="Line depth (default: releases.toml's, else 2)."
)
@click.option("--write", is_flag=True, help="Write releases.toml instead of printing it.")
@click.pass_context
def from_git(
    ctx: click.Context, repo: str | None, tags: str | None, dialect: str | None, depth: int | None, write: bool
) -> None:
    """Derive releases.toml from release tags, their ancestry and cherry-picked fixes."""
    from flywayx.service import gitflow

    result = gitflow.releases_from_git(config_from(ctx), repo, tags, dialect, depth, write)
    if json_mode(ctx):
        emit_json(
            {
                "operation": "releases from-git",
                "releases": result.text,
                "notes": list(result.notes),
                "written": str(result.written) if result.written else None,
            }
        )
        return
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    if result.written is not None:
        say(ctx, f"Wrote {result.written}")
    else:
        click.echo(result.text, nl=False)


@releases.command("check")
@common_options
@_REPO
@_TAGS
@_DIALECT
@click.pass_context
def check(ctx: click.Context, repo: str | None, tags: str | None, dialect: str | None) -> None:
    """Report every difference between releases.toml and git; exit 1 if there is any."""
    from flywayx.errors import ValidationError
    from flywayx.service import gitflow

    report = gitflow.releases_check(config_from(ctx), repo, tags, dialect)
    problems = [*report.differences, *report.forgotten, *report.conflicts]
    if json_mode(ctx):
        emit_json(
            {
                "operation": "releases check",
                "differences": list(report.differences),
                "forgotten": list(report.forgotten),
                "conflicts": list(report.conflicts),
                "notes": list(report.notes),
                "clean": report.clean,
            }
        )
    else:
        for note in report.notes:
            click.echo(f"note: {note}", err=True)
        for p in problems:
            click.echo(f"- {p}")
    if problems:
        raise ValidationError(
            f"releases.toml and git disagree in {len(problems)} place(s)",
            hint="fix releases.toml (`flywayx releases from-git` prints what git says) or the branches",
            errors=problems,
        )
    say(ctx, "releases.toml agrees with git")


@cli.command("new")
@common_options
@click.argument("description")
@click.option("--line", help="Release line (default: that of the highest release tag HEAD contains).")
@click.option("--python", "python_", is_flag=True, help="Create a Python migration (def migrate(conn)).")
@click.option(
    "--op",
    "operation",
    metavar="OPERATION",
    help="Create an operations file (.toml) with this operation, e.g. rename_column.",
)
@click.option(
    "--arg",
    "args",
    multiple=True,
    metavar="KEY=VALUE",
    help="A key of the --op operation, e.g. --arg table=account (repeatable).",
)
@_REPO
@click.pass_context
def new(
    ctx: click.Context,
    description: str,
    line: str | None,
    python_: bool,
    operation: str | None,
    args: tuple[str, ...],
    repo: str | None,
) -> None:
    """Create a pending migration for the line's next release, without choosing its version."""
    from flywayx.service import gitflow

    if args and operation is None:
        from flywayx.errors import UsageError

        raise UsageError(
            "--arg needs --op", hint="e.g. flywayx new 'rename email' --op rename_column --arg table=t ..."
        )
    path = gitflow.new_migration(
        config_from(ctx), description, line, repo=repo, python=python_, operation=operation, args=args
    )
    if json_mode(ctx):
        emit_json({"operation": "new", "path": str(path)})
    else:
        click.echo(str(path))


@cli.group()
def release() -> None:
    """Cutting releases."""


@release.command("cut")
@common_options
@click.argument("name")
@click.option("--merges", multiple=True, metavar="RELEASE", help="A maintenance release this one includes (repeat).")
@click.option(
    "--from",
    "branch_from",
    metavar="RELEASE",
    help="Branch point when NAME starts a new line (default: the pending line's last release).",
)
@click.option("--line", help="Line whose pending migrations to freeze (default: the only one with any).")
@_DIALECT
@click.option("--dry-run", is_flag=True, help="Show the renames and the releases.toml table; change nothing.")
@click.pass_context
def cut(
    ctx: click.Context,
    name: str,
    merges: tuple[str, ...],
    branch_from: str | None,
    line: str | None,
    dialect: str | None,
    dry_run: bool,
) -> None:
    """Freeze the pending migrations into release NAME and declare it in releases.toml."""
    from flywayx.service import gitflow

    report = gitflow.release_cut(
        config_from(ctx), name, merges=merges, branch_from=branch_from, line=line, dialect=dialect, dry_run=dry_run
    )
    if json_mode(ctx):
        emit_json(
            {
                "operation": "release cut",
                "release": report.release,
                "from": report.branch_from,
                "merges": list(report.merges),
                "dryRun": dry_run,
                "renames": [{"from": r.old.name, "to": r.new.name} for r in report.renames],
            }
        )
        return
    verb = "Would rename" if dry_run else "Renamed"
    for r in report.renames:
        say(ctx, f"{verb} {r.old.name} -> {r.new.name}")
    say(ctx, ("Would add" if dry_run else "Added") + " to releases.toml:\n" + report.table.rstrip())
