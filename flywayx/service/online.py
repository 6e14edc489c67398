"""Online upgrades without a database: ``flywayx lint``, the pt-online-schema-change offer, and
expand/contract statistics of a migration set (``phase_count``; the CloudStack plugin's corpus table
uses them).

Lint policy lives in ``lint.toml`` (``--policy FILE``, else ``lint.toml`` beside the releases file,
else at the root of the first location), in a ``[lint]`` table:

    [lint]
    maintenance_expand_only = true        # maintenance releases (4.5.3) may only expand
    contract_only_in_minor_zero = false   # contract statements only in X.0.0 releases
    fail_on = "error"                     # info | warning | error: what makes the run fail
    disabled = ["data-in-expand"]         # rules not reported
    [lint.severity]
    blocking-ddl = "error"                # per-rule severity

releases.toml itself rejects unknown tables, so the policy cannot live there.
"""

from __future__ import annotations

import os
import re
import shutil
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from flywayx import operations
from flywayx.errors import ConfigError
from flywayx.model import Config, Kind, Migration, Statement
from flywayx.model.footprint import Footprint, Phase
from flywayx.model.lint import Finding, LintPolicy, LintTarget, Severity
from flywayx.model.release import ReleaseGraph
from flywayx.model.version import Version
from flywayx.plan.galera import galera_findings
from flywayx.plan.lint import lint
from flywayx.service.cluster import classifier
from flywayx.service.kernel import load_statements
from flywayx.sources.checksum import read_migration_text
from flywayx.sources.placeholders import builtin_placeholders, merge_placeholders
from flywayx.sources.releases import find_releases_file, load_releases
from flywayx.sources.scan import scan
from flywayx.statements.analyze import analyze_migration, make_context
from flywayx.statements.splitter import split

POLICY_FILE = "lint.toml"
PTOSC = "pt-online-schema-change"
_POLICY_KEYS = {"maintenance_expand_only", "contract_only_in_minor_zero", "fail_on", "disabled", "severity"}


@dataclass(frozen=True)
class LintRun:
    """The outcome of ``flywayx lint``: findings (sorted), the policy used and where it came from."""

    findings: list[Finding]
    policy: LintPolicy
    policy_file: str | None
    dialect: str
    migrations: int
    skipped: list[str] = field(default_factory=list)  # Python migrations: not analysed
    dialect_assumed: bool = False  # no --dialect and no URL: LINT_DEFAULT_DIALECT was used

    @property
    def failed(self) -> bool:
        return self.policy.fails(self.findings)

    def to_json(self) -> dict[str, Any]:
        counts = {s.value: sum(1 for f in self.findings if f.severity is s) for s in Severity}
        return {
            "operation": "lint",
            "dialect": self.dialect,
            "policyFile": self.policy_file,
            "failOn": self.policy.fail_on.value,
            "migrations": self.migrations,
            "counts": counts,
            "failed": self.failed,
            "skipped": self.skipped,
            "findings": [
                {
                    "rule": f.rule,
                    "severity": f.severity.value,
                    "message": f.message,
                    "fix": f.fix,
                    "path": f.path,
                    "line": f.line,
                    "statement": f.statement,
                }
                for f in self.findings
            ],
        }


# --------------------------------------------------------------------------------------------- policy


def find_policy_file(config: Config) -> Path | None:
    """``lint.toml`` beside the releases file, else at the root of the first location; None if absent."""
    places: list[Path] = []
    releases = find_releases_file(list(config.locations), config.releases_file)
    if releases is not None:
        places.append(Path(releases).parent / POLICY_FILE)
    if config.locations:
        places.append(Path(_location_dir(config.locations[0])) / POLICY_FILE)
    return next((p for p in places if p.is_file()), None)


def _location_dir(location: str) -> str:
    return location[len("filesystem:") :] if location.startswith("filesystem:") else location


def load_policy(path: Path) -> LintPolicy:
    """Parse the ``[lint]`` table of ``path``; every problem raises ConfigError naming the file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"cannot read lint policy {path}: {err}") from err
    return policy_from_table(data.get("lint", {}), str(path))


def policy_from_table(table: Any, where: str) -> LintPolicy:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [lint] must be a table")
    unknown = sorted(set(table) - _POLICY_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown [lint] key(s) {', '.join(unknown)}",
            hint=f"known keys: {', '.join(sorted(_POLICY_KEYS))}",
        )
    pol = LintPolicy()
    for key in ("maintenance_expand_only", "contract_only_in_minor_zero"):
        if key in table:
            if not isinstance(table[key], bool):
                raise ConfigError(f"{where}: [lint] {key} must be true or false")
            pol = replace(pol, **{key: table[key]})
    if "fail_on" in table:
        pol = replace(pol, fail_on=parse_severity(table["fail_on"], f"{where}: [lint] fail_on"))
    disabled = table.get("disabled", [])
    if not isinstance(disabled, list) or not all(isinstance(r, str) for r in disabled):
        raise ConfigError(f"{where}: [lint] disabled must be a list of rule names")
    severity = table.get("severity", {})
    if not isinstance(severity, dict):
        raise ConfigError(f"{where}: [lint.severity] must be a table of rule = severity")
    pairs = tuple(sorted((r, parse_severity(v, f"{where}: [lint.severity] {r}")) for r, v in severity.items()))
    return replace(pol, disabled=frozenset(disabled), severity=pairs)


def parse_severity(value: Any, where: str) -> Severity:
    try:
        return Severity(str(value).lower())
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a severity", hint="use info, warning or error") from None


# ----------------------------------------------------------------------------------------------- lint


LINT_DEFAULT_DIALECT = "mysql"  # MySQL/MariaDB: where DDL locks and implicit commits matter most


def lint_locations(
    config: Config,
    dialect: str | None = None,
    *,
    policy_file: Path | None = None,
    fail_on: str | None = None,
    ci: bool = False,
    cluster: str | None = None,
) -> LintRun:
    """Lint every SQL migration in ``config.locations`` without a database.

    The dialect is ``dialect``, else the URL's (command line, environment or flyway.toml), else
    ``LINT_DEFAULT_DIALECT`` (``LintRun.dialect_assumed``); the policy comes from ``policy_file`` or
    ``find_policy_file``; ``fail_on`` overrides the policy's threshold, and ``ci`` means
    ``fail_on=warning`` unless ``fail_on`` is given. ``cluster="galera"`` adds the Galera rules.
    """
    chosen = dialect or (config.url.dialect if config.url is not None else None)
    either = dialect is None and (chosen or LINT_DEFAULT_DIALECT) == "mysql"  # a mysql:// URL may be MariaDB
    dialect = chosen or LINT_DEFAULT_DIALECT
    path = policy_file or find_policy_file(config)
    policy = load_policy(path) if path is not None else LintPolicy()
    threshold = fail_on or ("warning" if ci else None)
    if threshold is not None:
        policy = replace(policy, fail_on=parse_severity(threshold, "--fail-on"))
    targets, skipped, (checked, from_operations) = lint_targets(config, dialect, mysql_or_mariadb=either)
    findings = lint(targets, policy) + ptosc_findings(targets, dialect, policy)
    findings += [
        replace(f, severity=policy.severity_of(f.rule, f.severity))
        for f in from_operations
        if f.rule not in policy.disabled
    ]
    if cluster == "galera":  # what a Galera cluster cannot run safely (flywayx.plan.galera)
        findings += galera_findings(
            [(t.path, t.statements) for t in targets], policy=policy, classify=classifier(dialect)
        )
    findings.sort(key=lambda f: (f.path, f.line, f.rule, f.message))
    return LintRun(
        findings,
        policy,
        str(path) if path else None,
        dialect,
        len(targets) + checked,
        skipped,
        dialect_assumed=chosen is None,
    )


def lint_targets(
    config: Config, dialect: str, *, mysql_or_mariadb: bool = False
) -> tuple[list[LintTarget], list[str], tuple[int, list[Finding]]]:
    """One LintTarget per SQL versioned/baseline/repeatable migration, in Flyway's order; the Python
    migrations skipped; how many operations files were checked and their findings
    (flywayx/operations/lint.py, and the phase each ``raw_sql`` declares checked against the analyser's).
    ``mysql_or_mariadb``: the server may be either (a ``mysql://`` URL, no ``--dialect``): operations files
    are checked for MariaDB, and what MySQL would refuse is a warning."""
    placeholders = _offline_placeholders(config)
    found = scan(config, placeholders, keep_operation_errors=True)
    graph = _graph_or_none(config, found.migrations) if not found.operation_errors else None
    ctx = make_context(dialect)
    targets, skipped, from_operations, checked = [], [], [], 0
    for m in found.migrations:
        if operations.is_operations(m.path):
            if not operations.is_contract_part(m.script):
                from_operations += _lint_operations(m, config, "mariadb" if mysql_or_mariadb else dialect)
                if mysql_or_mariadb:
                    from_operations += _mysql_refusals(m, config)
                checked += 1
            continue
        if m.is_python:
            skipped.append(m.script)
            continue
        stmts = load_statements(m, config, placeholders, dialect)
        parts, _ = analyze_migration(stmts, dialect, context=ctx)
        targets.append(LintTarget(m.script, m.version, tuple(stmts), tuple(parts), _release_of(m, graph)))
    return targets, skipped, (checked, from_operations)


_PHASE_RANK = {Phase.EXPAND: 0, Phase.DATA: 1, Phase.CONTRACT: 2}


def _mysql_refusals(m: Migration, config: Config) -> list[Finding]:
    """What MySQL (not MariaDB) would refuse in an operations file, as warnings."""
    from flywayx.operations.lint import lint_file

    text = read_migration_text(m.path, m.encoding or config.encoding, config.detect_encoding)
    return [
        replace(
            f,
            severity=Severity.WARNING,
            message=f.message.replace(
                "MySQL is not supported", "if the server is MySQL, not MariaDB: MySQL is not supported", 1
            ),
        )
        for f in lint_file(text, m.script, "mysql")[1]
        if "MySQL is not supported" in f.message
    ]


def _lint_operations(m: Migration, config: Config, dialect: str) -> list[Finding]:
    """An operations file's findings; each ``raw_sql`` linted as SQL is (blocking DDL, destructive
    statements ...), and refused when its SQL does more than its declared phase allows (a DROP declared
    ``expand`` would run while the previous release still reads the table)."""
    from flywayx.operations.lint import lint_file

    text = read_migration_text(m.path, m.encoding or config.encoding, config.detect_encoding)
    compiled, findings = lint_file(text, m.script, dialect)
    if compiled is None:
        return findings
    for op in operations.parse(text, m.script).operations:
        if op.op != "raw_sql" or (op.get("dialect") and not operations.dialect_matches(op.text("dialect"), dialect)):
            continue
        declared = Phase(op.text("phase"))
        stmts = [replace(st, line=op.line) for st in split(op.text("sql"), dialect, path=m.script)]
        parts, seen = analyze_migration(stmts, dialect)
        findings += lint([LintTarget(m.script, m.version, tuple(stmts), tuple(parts))])
        if seen.phase in _PHASE_RANK and _PHASE_RANK[seen.phase] > _PHASE_RANK[declared]:
            line = f"{m.script}:{op.line}"
            findings.append(
                Finding(
                    "unsafe-operation",
                    Severity.ERROR,
                    f"{line}: raw_sql declares phase "
                    f"{declared.value} but its SQL is {seen.phase.value} work "
                    f"({'; '.join(seen.notes[:2]) or 'by its statements'})",
                    f'declare phase = "{seen.phase.value}"',
                    m.script,
                    op.line,
                    " ".join(op.text("sql").split())[:200],
                )
            )
    return sorted(findings, key=lambda f: (f.line, f.rule, f.message))


def _offline_placeholders(config: Config) -> dict[str, str]:
    schema = config.default_schema or (config.schemas[0] if config.schemas else None)
    builtins = builtin_placeholders(
        default_schema=schema,
        user=config.user,
        database=schema,
        timestamp=datetime(2000, 1, 1),
        working_directory=config.working_directory or os.getcwd(),
        table=config.table,
        environment=config.environment,
        separator=config.placeholder_separator,
    )
    return merge_placeholders(config.placeholder_map, builtins)


def _graph_or_none(config: Config, migrations: list[Migration]) -> ReleaseGraph | None:
    path = find_releases_file(list(config.locations), config.releases_file)
    return load_releases(path, migrations) if path is not None else None


def _release_of(m: Migration, graph: ReleaseGraph | None) -> Version | None:
    """The declared release owning ``m`` (None: lint's convention, the version minus its last part)."""
    if graph is None or m.version is None:
        return None
    owner = graph.owner(m.version, inclusive=m.kind is Kind.BASELINE)
    return Version.try_parse(owner.split(" ")[0]) if owner else None


# ------------------------------------------------------------------------------ pt-online-schema-change


def ptosc_path() -> str | None:
    """Where ``pt-online-schema-change`` is installed (Debian: percona-toolkit), or None."""
    return shutil.which(PTOSC)


def ptosc_command(statement: str, database: str = "DB") -> str | None:
    """The pt-online-schema-change command that runs an ``ALTER TABLE t ...`` online, or None
    when the statement is not a single-table ALTER pt-osc can take (it rebuilds a copy of the
    table with triggers, so writes never block on the ALTER itself)."""
    part = r"(?:`[^`]+`|[\w$]+)"
    m = re.match(
        rf"\s*ALTER\s+(?:ONLINE\s+|IGNORE\s+)*TABLE\s+({part}(?:\.{part})?)\s+(.+)\Z",
        _code_of(statement),
        re.IGNORECASE | re.DOTALL,
    )
    if m is None:
        return None
    name = m.group(1).replace("`", "")
    schema, _, table = name.rpartition(".")
    alter = re.sub(r",?\s*ALGORITHM\s*=?\s*\w+|,?\s*LOCK\s*=?\s*\w+", "", m.group(2), flags=re.IGNORECASE)
    alter = " ".join(alter.split()).strip(" ,").replace('"', '\\"')
    return f'{PTOSC} --alter "{alter}" D={schema or database},t={table} --execute'


def ptosc_offer(statement: Statement, footprint: Footprint, dialect: str) -> str | None:
    """For a MySQL/MariaDB statement that copies its table (lock COPY): how to run it online,
    saying plainly whether pt-online-schema-change is installed. None when not relevant."""
    if dialect not in ("mysql", "mariadb") or footprint.lock != "COPY":
        return None
    cmd = ptosc_command(statement.sql)
    if cmd is None:
        return None
    where = ptosc_path()
    record = "then record the migration without running it: flywayx migrate -skipExecutingMigrations=true"
    if where is None:
        return f"{PTOSC} is not installed here (apt-get install percona-toolkit); with it, run {cmd}, {record}"
    return f"{PTOSC} is installed ({where}): run {cmd} instead of the blocking ALTER, {record}"


def ptosc_findings(targets: Sequence[LintTarget], dialect: str, policy: LintPolicy) -> list[Finding]:
    """An ``online-alter`` finding (info) beside each blocking MySQL ALTER: the pt-osc offer."""
    if "online-alter" in policy.disabled:
        return []
    out = []
    for t in targets:
        for stmt, fp in zip(t.statements, t.footprints, strict=False):
            offer = ptosc_offer(stmt, fp, dialect)
            if offer is None:
                continue
            text = _code_of(stmt.sql)
            out.append(
                Finding(
                    "online-alter",
                    policy.severity_of("online-alter", Severity.INFO),
                    f"{t.path}:{stmt.line}: this ALTER copies the table and blocks writes",
                    offer,
                    t.path,
                    stmt.line,
                    text if len(text) <= 200 else text[:197] + "...",
                )
            )
    return out


# ------------------------------------------------------------------------------- phase statistics


@dataclass(frozen=True)
class PhaseCount:
    """Statements of one file (or release) by phase, and the file's combined phase."""

    name: str
    counts: dict[str, int]
    phase: str
    why: str = ""  # for a cleanup script that is not contract: the first non-contract statement


def phase_count(name: str, statements: Sequence[Statement], dialect: str) -> PhaseCount:
    """Count statements per phase (harmless session statements count as expand) and say why a
    file is not purely one phase: the first statement of the most disruptive other phase."""
    parts, combined = analyze_migration(statements, dialect)
    counts = {p.value: 0 for p in Phase}
    for fp in parts:
        counts[fp.phase.value] += 1
    why = "no statements" if not parts else ""
    if parts and combined.phase is not Phase.CONTRACT:
        odd = next(((s, fp) for s, fp in zip(statements, parts, strict=False) if fp.phase is combined.phase), None)
        if odd is not None:
            why = f"line {odd[0].line}: {_code_of(odd[0].sql)[:90]} ({odd[1].phase.value})"
    return PhaseCount(name, counts, combined.phase.value, why)


def _code_of(sql: str) -> str:
    """The statement on one line without its leading ``--`` comment lines."""
    lines = [ln for ln in sql.splitlines() if ln.strip() and not ln.lstrip().startswith("--")]
    return " ".join(" ".join(lines).split())
