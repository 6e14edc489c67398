"""The click application: parse options, call one service function, render its result."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from flywayx import __version__
from flywayx.config.keys import (
    COMMAND_LINE_OPTIONS,
    COMMAND_OPTIONS,
    CommandOption,
    is_flag_key,
    option_name,
    parameter_name,
)
from flywayx.errors import FlywayxError
from flywayx.model.redact import redact_text

if TYPE_CHECKING:
    from flywayx.cli.progress import MigrateOutput
    from flywayx.model.config import Config

# The options every command accepts: flywayx.config.keys.COMMAND_LINE_OPTIONS, as (option, key, help).
_COMMON: list[tuple[str, str, str]] = [(option_name(key), key, help_) for key, help_ in COMMAND_LINE_OPTIONS]


def common_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options every command accepts, before or after its name (``flywayx migrate -q`` and
    ``flywayx -q migrate`` are the same)."""
    for flag, key, help_ in reversed(_COMMON):
        if is_flag_key(key):  # --cache / --no-cache
            func = click.option(
                f"{flag}/--no-{flag[2:]}",
                key,
                default=None,
                help=help_,
                expose_value=False,
                callback=_store_bool,
                is_eager=True,
            )(func)
            continue
        func = click.option(flag, default=None, help=help_, expose_value=False, callback=_store, is_eager=True)(func)
    for names, key, help_ in reversed(_LOUDNESS):
        func = click.option(
            *names, key, is_flag=True, default=False, expose_value=False, callback=_store_flag, help=help_
        )(func)
    func = click.option(
        "--placeholder",
        "-p",
        multiple=True,
        expose_value=False,
        callback=_store_placeholders,
        metavar="NAME=VALUE",
        help="Set a placeholder (repeatable).",
    )(func)
    func = click.option(
        "--ask-password",
        is_flag=True,
        expose_value=False,
        callback=_ask_password,
        help="Prompt for the password (not echoed).",
    )(func)
    func = click.option(
        "--output-type",
        type=click.Choice(["text", "json"]),
        default=None,
        expose_value=False,
        callback=_store_output,
        help="json prints Flyway's JSON result on stdout.",
    )(func)
    return func


_LOUDNESS: list[tuple[tuple[str, ...], str, str]] = [
    (("-q", "--quiet"), "quiet", "Only warnings and errors (Flyway's -q)."),
    (("--verbose",), "verbose", "More detail: each migration's execution time, per-statement progress."),
    (
        ("-X", "--debug"),
        "debug",
        "Debug output (Flyway's -X): --verbose plus each statement, and the stack trace of an unexpected error.",
    ),
]


def _store_flag(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        root = ctx.find_root()
        root.ensure_object(dict)
        root.obj[str(param.name)] = True
        if param.name == "debug":
            root.obj["verbose"] = True


def _overrides(ctx: click.Context) -> dict[str, str]:
    root = ctx.find_root()
    root.ensure_object(dict)
    store: dict[str, str] = root.obj.setdefault("cli", {})
    return store


def _store_bool(ctx: click.Context, param: click.Parameter, value: bool | None) -> None:
    if value is not None:
        _overrides(ctx)[str(param.name)] = "true" if value else "false"


def _store(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is None:
        return
    flag = param.opts[0]
    key = next(k for f, k, _ in _COMMON if f == flag)
    warn_if_password(key, value)
    _overrides(ctx)[key] = value


_PASSWORD_WARNING = (
    "WARNING: a password on the command line is visible to other users (ps, shell history); "
    "prefer FLYWAY_PASSWORD, a config file or --ask-password"
)


def warn_if_password(key: str, value: str) -> None:
    """Warn (once per value) when a password arrives on the command line, itself or inside a URL."""
    from flywayx.model.redact import redact_url

    in_url = key == "url" and redact_url(value) != value
    if (key == "password" or in_url) and not os.environ.get("FLYWAYX_QUIET_PASSWORD_WARNING"):
        click.echo(_PASSWORD_WARNING, err=True)


def _store_placeholders(ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> None:
    for item in values:
        name, sep, val = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--placeholder")
        _overrides(ctx)[f"placeholders.{name}"] = val


def _ask_password(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        _overrides(ctx)["password"] = click.prompt("Password", hide_input=True, err=True)


def _store_output(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        _overrides(ctx)["outputType"] = value


F = TypeVar("F", bound=Callable[..., Any])
GIVEN_KEY_OPTIONS = "flywayx.key_options"  # ctx.meta: parameter names of the key options given on the command line


def key_options(command: str) -> Callable[[F], F]:
    """The options of ``command`` that set a configuration key, from ``flywayx.config.keys.COMMAND_OPTIONS``:
    each stores its value under its key (as ``-key=value`` would) before the command runs, so the command reads
    it from ``config_from(ctx)``. Goes right below ``common_options``."""
    options = COMMAND_OPTIONS[command]

    def wrap(f: F) -> F:
        @functools.wraps(f)
        def inner(*args: Any, **kwargs: Any) -> Any:
            ctx = click.get_current_context()
            values = {o.key: kwargs.pop(parameter_name(o.key)) for o in options}
            ctx.meta[GIVEN_KEY_OPTIONS] = [parameter_name(k) for k, v in values.items() if v is not None]
            set_keys(ctx, **values)
            return f(*args, **kwargs)

        decorated: Callable[..., Any] = inner
        for option in reversed(options):
            decorated = _key_option(option)(decorated)
        return decorated  # type: ignore[return-value]

    return wrap


def _key_option(option: CommandOption) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    flag = option_name(option.key)
    kw: dict[str, Any] = {"default": None, "help": option.help or None, "metavar": option.metavar}
    if not is_flag_key(option.key):
        return click.option(flag, **kw)
    if option.switch:
        return click.option(f"{flag}/--no-{flag[2:]}", **kw)
    return click.option(flag, type=click.BOOL, **kw)


def set_keys(ctx: click.Context, **values: Any) -> None:
    """Record command options (Flyway keys) that were given."""
    store = _overrides(ctx)
    for key, value in values.items():
        if value is None:
            continue
        store[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)


# ---------------------------------------------------------------------------------------------------


# The module that defines each core command: importing it registers the command on ``cli``.
# ``flywayx info`` imports status.py alone; ``--help``, completion and a name not listed here (a
# plugin's command, a typo) import them all (``LazyGroup``), so what click shows never changes.
COMMAND_MODULES: dict[str, str] = {
    **dict.fromkeys(("migrate", "baseline", "repair", "clean", "explain", "rename"), "commands"),
    **dict.fromkeys(("info", "validate"), "status"),
    "completion": "extras",
    **dict.fromkeys(("releases", "new", "release"), "gitflow"),
    **dict.fromkeys(("plan", "graph"), "lines"),
    "lint": "online",
    **dict.fromkeys(("verify", "restore"), "safety"),
}


def load_commands(name: str | None = None) -> None:
    """Register the core command ``name`` on ``cli`` (every command when ``name`` is None or not a core
    command's) by importing the module that defines it."""
    import importlib

    module = COMMAND_MODULES.get(name or "")
    for each in [module] if module else sorted(set(COMMAND_MODULES.values())):
        importlib.import_module(f"flywayx.cli.{each}")


class LazyGroup(click.Group):
    """A group whose commands are imported when click first asks for them (see ``COMMAND_MODULES``)."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            load_commands(cmd_name)
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        load_commands()
        return super().list_commands(ctx)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, "--version", prog_name="flywayx")
@common_options
@click.pass_context
def cli(ctx: click.Context) -> None:
    """flywayx: Flyway-compatible migrations that understand release lines.

    Options may also be given Flyway-style anywhere: -url=jdbc:mysql://host/db -locations=filesystem:sql
    """
    ctx.ensure_object(dict)


def config_from(ctx: click.Context) -> Config:
    """Build the effective Config from files, environment and the command line (Flyway's precedence)."""
    from flywayx.config.load import load_config

    root = ctx.find_root()
    cli_values = dict(root.obj.get("flyway_args", {}))
    cli_values.update(root.obj.get("cli", {}))
    files = [f for f in cli_values.pop("configFiles", "").split(",") if f]
    return load_config(cli=cli_values, env=dict(os.environ), cwd=Path.cwd(), home=Path.home(), config_files=files)


def json_mode(ctx: click.Context) -> bool:
    root = ctx.find_root()
    values = {**root.obj.get("flyway_args", {}), **root.obj.get("cli", {})}
    return str(values.get("outputType", "")).lower() == "json"


def emit_json(payload: dict[str, Any]) -> None:
    import json

    click.echo(json.dumps(payload, indent=2, default=str))


def say(ctx: click.Context, text: str) -> None:
    if not ctx.find_root().obj.get("quiet"):
        click.echo(text)


def warn_all(warnings: list[str]) -> None:
    """Scanner and run warnings (a skipped location, an ignored file) on stderr, as Flyway logs them."""
    for w in warnings:
        click.echo(f"WARNING: {w}", err=True)


def run(args: list[str], prog_name: str) -> int:
    """Run the CLI; return the exit code. No traceback reaches the user."""
    from flywayx.cli import plugins  # each installed plugin's commands join ``cli`` (the core's: LazyGroup)
    from flywayx.config.load import split_flyway_args

    plugins.register()

    try:
        rest, flyway_args = split_flyway_args(args)
    except FlywayxError as err:  # e.g. an option given twice: one ERROR line, never a traceback
        return report_error(err, _json_flag(args), [])
    for key in ("password", "url"):
        if key in flyway_args:
            warn_if_password(key, flyway_args[key])
    as_json = flyway_args.get("outputType", "").lower() == "json" or _json_flag(rest)
    secrets = [v for k, v in flyway_args.items() if k == "password"]
    obj: dict[str, Any] = {"flyway_args": flyway_args}
    previous = _catch_signals()
    try:
        code = cli.main(args=rest, prog_name=prog_name, standalone_mode=False, obj=obj)
    except click.exceptions.Abort:  # end of input at a prompt (Ctrl-C is a signal, handled below)
        return report_error(
            FlywayxError("Aborted: no input", hint="run the command again and answer the prompt"), as_json, []
        )
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        if as_json:
            emit_json({"error": {"errorCode": "CONFIGURATION", "message": exc.format_message(), "cause": None}})
        else:
            exc.show()
        return 2
    except FlywayxError as err:
        _erase_progress(obj)
        return report_error(err, as_json, _known_secrets(obj, secrets))
    except KeyboardInterrupt:  # a signal outside the main thread's handler
        click.echo("ERROR: Interrupted", err=True)
        return 130
    except Exception as err:
        if os.environ.get("FLYWAYX_DEBUG"):
            raise
        if obj.get("debug"):  # -X: the stack trace, as Flyway prints it in debug mode
            import traceback

            click.echo("DEBUG: " + "".join(traceback.format_exception(err)).rstrip(), err=True)
        secrets = _known_secrets(obj, secrets)
        text = redact_text(f"{type(err).__name__}: {err}", secrets).splitlines()[0]
        return report_error(
            FlywayxError(
                f"unexpected error: {text}", hint="this is a bug in flywayx; rerun with FLYWAYX_DEBUG=1 and report it"
            ),
            as_json,
            secrets,
        )
    finally:
        _restore_signals(previous)
    return code if isinstance(code, int) else 0  # standalone_mode=False returns ctx.exit(n)'s code


def _on_signal(signum: int, frame: Any) -> None:
    """SIGINT/SIGTERM: a running migration stops at its statement and records it (``apply.interrupt``);
    elsewhere the command stops at once with one ERROR line (never click's bare ``Aborted.``)."""
    from flywayx.apply import interrupt

    interrupt.handle(signum, frame)


def _catch_signals() -> dict[int, Any]:
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return {}
    return {int(sig): signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}


def _restore_signals(previous: dict[int, Any]) -> None:
    import signal

    for sig, handler in previous.items():
        signal.signal(sig, handler)
    interrupt = sys.modules.get("flywayx.apply.interrupt")
    if interrupt is not None:
        interrupt.reset()  # a signal that came after the last migration has nothing left to stop


def _known_secrets(obj: dict[str, Any], secrets: list[str]) -> list[str]:
    """Passwords from -password=, --password/--ask-password and FLYWAY_PASSWORD, for redaction."""
    found = [*secrets, obj.get("cli", {}).get("password", ""), os.environ.get("FLYWAY_PASSWORD", "")]
    return [s for s in found if s]


def _erase_progress(obj: dict[str, Any]) -> None:
    bar = obj.get("progress_bar")
    if bar is not None:
        bar.clear()


def _json_flag(args: list[str]) -> bool:
    for i, a in enumerate(args):
        if a == "--output-type=json" or (a == "--output-type" and i + 1 < len(args) and args[i + 1] == "json"):
            return True
    return False


def report_error(err: FlywayxError, as_json: bool, secrets: list[str]) -> int:
    message = redact_text(err.message, secrets)
    if as_json:
        payload: dict[str, Any] = {"errorCode": err.error_code, "message": message}
        for key in (
            "conflicts",
            "strict",
            "unreachable",
            "reachable",
            "reachable_on_line",
            "problems",
            "errors",
            "script",
            "line",
            "statement",
            "applied_statements",
            "recorded_after_failure",
            "warnings",
        ):
            if key in err.details:
                payload[key] = _jsonable(err.details[key])
        payload["cause"] = None
        emit_json({"error": payload})
    else:
        lines = message.splitlines() or [""]
        click.echo(f"ERROR: {lines[0]}", err=True)
        for extra in lines[1:]:
            click.echo(f"  {extra}", err=True)
        if err.hint:
            click.echo(f"hint: {redact_text(err.hint, secrets)}", err=True)
        for row in err.details.get("recorded_after_failure", ()):  # the history has these rows too
            from flywayx.service.steps import record_reason

            why = record_reason(row["recordedAs"], row["satisfiedBy"])
            click.echo(f"note: written after the failure: {row['version']} {row['description']}, {why}", err=True)
        for warning in err.details.get("warnings", ()):
            click.echo(f"warning: {redact_text(warning, secrets)}", err=True)
    return err.exit_code


def _jsonable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: _jsonable(getattr(value, k)) for k in value.__dataclass_fields__}
    return value


def progress_reporter(ctx: click.Context) -> MigrateOutput:
    """The reporter of ``migrate``: Flyway's log lines on stdout, a progress bar on a TTY
    (``flywayx.cli.progress.MigrateOutput``)."""
    from flywayx.cli.progress import MigrateOutput

    root = ctx.find_root().obj
    out = MigrateOutput(
        quiet=bool(root.get("quiet")) or json_mode(ctx),
        verbose=bool(root.get("verbose")),
        debug=bool(root.get("debug")),
        tty=sys.stderr.isatty(),
    )
    root["progress_bar"] = out  # run() erases a bar before rendering an error
    return out
