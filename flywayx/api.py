"""The Python API: run flywayx from a program or a test, with the same results the CLI renders.

    import flywayx

    report = flywayx.migrate(url="sqlite:///app.db", locations=["sql"])
    print(report.target_version, [a.migration.script for a in report.applied])
    flywayx.validate(url="sqlite:///app.db", locations=["sql"])          # raises ValidationError when invalid
    for m in flywayx.info(url="sqlite:///app.db", locations=["sql"]).migrations:
        print(m.version, m.state)

Every function takes Flyway's configuration keys as keyword arguments, in Flyway's camelCase
(``outOfOrder=True``, ``baselineOnMigrate=True``, ``table="schema_history"``) or in snake_case
(``out_of_order=True``); ``placeholders={"tenant": "acme"}`` sets placeholders. Lists are joined
with commas, booleans become ``true``/``false``. The values override configuration files exactly as
command-line options do.

Like Flyway's Java API, the process environment (``FLYWAY_*``) and ``~/flyway.toml`` are read only
when asked for: pass ``env=os.environ`` and ``home=Path.home()``. ``flyway.toml`` / ``flyway.conf`` in
``cwd`` (default: the current directory) are read, as the CLI reads them.

Errors are the typed errors of ``flywayx.errors`` (``ConfigError``, ``ValidationError``,
``MigrationFailed`` …): each has ``message``, ``hint`` and ``exit_code``. Nothing is printed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from flywayx.model import Config
from flywayx.model.results import InfoReport, ValidateReport
from flywayx.model.write_results import MigrateReport

Reporter = Callable[[str, dict[str, Any]], None]

__all__ = ["config", "info", "migrate", "validate"]

_CAMEL = re.compile(r"_([a-z])")


def _flyway_key(name: str) -> str:
    """``out_of_order`` -> ``outOfOrder``; camelCase and dotted keys pass through."""
    return _CAMEL.sub(lambda m: m.group(1).upper(), name)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):
        return ",".join(_text(v) for v in value)
    return str(value)


def _cli_values(
    url: str | None, locations: Iterable[str | Path] | str | None, keys: Mapping[str, Any]
) -> dict[str, str]:
    values: dict[str, str] = {}
    if url is not None:
        values["url"] = url
    if locations is not None:
        values["locations"] = _text([locations] if isinstance(locations, str | Path) else list(locations))
    for name, value in keys.items():
        if value is None:
            continue
        if name == "placeholders":
            values.update({f"placeholders.{k}": _text(v) for k, v in dict(value).items()})
        else:
            values[_flyway_key(name)] = _text(value)
    return values


def config(
    *,
    url: str | None = None,
    locations: Iterable[str | Path] | str | None = None,
    config_files: Iterable[str | Path] = (),
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    cwd: Path | None = None,
    **flyway_keys: Any,
) -> Config:
    """The effective ``Config`` for these arguments (Flyway's precedence: files < ``env`` < arguments).

    Raises ``ConfigError`` for an unknown key, a bad value or a URL flywayx cannot use.
    """
    from flywayx.config.load import load_config

    cli = _cli_values(url, locations, flyway_keys)
    return load_config(
        cli=cli, env=dict(env or {}), cwd=cwd or Path.cwd(), home=home, config_files=[str(f) for f in config_files]
    )


def migrate(
    *,
    url: str | None = None,
    locations: Iterable[str | Path] | str | None = None,
    to: str | None = None,
    phase: str | None = None,
    dry_run: bool = False,
    resume: bool = False,
    in_flight: str | None = None,
    backup_dir: str | Path | None = None,
    on_event: Reporter | None = None,
    config_files: Iterable[str | Path] = (),
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    cwd: Path | None = None,
    **flyway_keys: Any,
) -> MigrateReport:
    """Apply pending migrations, as ``flywayx migrate`` does, and return the ``MigrateReport``.

    ``to`` upgrades to a release of ``releases.toml`` (``migrate --to``); ``phase`` is ``"expand"`` or
    ``"contract"`` for an online upgrade. ``on_event(event, data)`` receives progress events
    (``migration.start``, ``migration.done``, ``statement.done``) as the CLI's progress display does.
    ``in_flight`` (``"done"`` or ``"redo"``, with ``resume``) settles the statement a killed run left
    in flight, as ``migrate --resume --in-flight`` does.
    Raises a ``FlywayxError`` subclass on failure; a failed migration is recorded in history first.
    """
    from flywayx import service

    cfg = config(url=url, locations=locations, config_files=config_files, env=env, home=home, cwd=cwd, **flyway_keys)
    options = service.MigrateOptions(
        resume=resume,
        in_flight=in_flight,
        dry_run=dry_run,
        backup_dir=None if backup_dir is None else str(backup_dir),
        to_release=to,
        phase=None if phase == "all" else phase,
    )
    if on_event is None:
        return service.migrate(cfg, options)
    return service.migrate(cfg, options, on_event)


def info(
    *,
    url: str | None = None,
    locations: Iterable[str | Path] | str | None = None,
    config_files: Iterable[str | Path] = (),
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    cwd: Path | None = None,
    **flyway_keys: Any,
) -> InfoReport:
    """Every migration with its state, as ``flywayx info`` shows it. Changes nothing."""
    from flywayx import service

    return service.info(
        config(url=url, locations=locations, config_files=config_files, env=env, home=home, cwd=cwd, **flyway_keys)
    )


def validate(
    *,
    url: str | None = None,
    locations: Iterable[str | Path] | str | None = None,
    raise_on_error: bool = True,
    config_files: Iterable[str | Path] = (),
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    cwd: Path | None = None,
    **flyway_keys: Any,
) -> ValidateReport:
    """Validate applied migrations against the files, as ``flywayx validate`` does.

    With ``raise_on_error`` (the default) an invalid database raises ``ValidationError`` carrying every
    message, as the CLI exits 1; with ``raise_on_error=False`` the report is returned and
    ``report.successful`` / ``report.invalid`` tell the caller.
    """
    from flywayx import service

    report = service.validate(
        config(url=url, locations=locations, config_files=config_files, env=env, home=home, cwd=cwd, **flyway_keys)
    )
    if raise_on_error and not report.successful:
        raise service.validation_error([i.message for i in report.invalid])
    return report
