"""``migrate`` on a Galera node: refuse, before anything runs, the pending statements Galera cannot run
safely (``flywayx.plan.galera``), judged with what the live node says (table engines, row counts, the
``wsrep_max_ws_rows`` / ``wsrep_max_ws_size`` limits). Elsewhere nothing is checked here.
"""

from __future__ import annotations

from collections.abc import Sequence

from flywayx.errors import StateError
from flywayx.model import Statement
from flywayx.model.lint import Severity
from flywayx.plan.galera import DEFAULT_MAX_WS_SIZE, Classifier, GaleraFacts, galera_findings
from flywayx.service.kernel import Session
from flywayx.statements.classify import Server, classify


def classifier(dialect: str, version: str | None = None) -> Classifier:
    """The shared statement classifier for ``dialect`` (and the server's version, when known)."""
    server = Server.of(dialect, version)
    return lambda sql: classify(sql, server)


def galera_facts(s: Session) -> GaleraFacts:
    """Engines, row estimates and average row sizes of the default schema's tables; the node's limits."""
    engines, rows, sizes = {}, {}, {}
    for name, engine, count, avg in s.db.query(
        "SELECT TABLE_NAME, ENGINE, TABLE_ROWS, AVG_ROW_LENGTH FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'",
        (s.default_schema,),
    ):
        key = str(name).lower()
        engines[key] = str(engine or "InnoDB")
        rows[key], sizes[key] = int(count or 0), int(avg or 0)
    limits = s.db.query("SELECT @@wsrep_max_ws_rows, @@wsrep_max_ws_size")[0]
    return GaleraFacts(engines, rows, sizes, int(limits[0] or 0), int(limits[1] or DEFAULT_MAX_WS_SIZE))


def refuse_unsafe_for_galera(s: Session, pending: Sequence[tuple[str, Sequence[Statement] | None]]) -> None:
    """On a Galera node: raise one StateError naming the first error-level finding (and how many there
    are) in the ``pending`` migrations' statements, with its fix. No-op elsewhere."""
    if s.db.cluster().kind != "galera":
        return
    targets = [(script, statements) for script, statements in pending if statements]
    found = galera_findings(targets, galera_facts(s), classify=classifier(s.dialect, s.db.server_version()))
    errors = [f for f in found if f.severity is Severity.ERROR]
    if not errors:
        return
    first = errors[0]
    more = f" (and {len(errors) - 1} more: `flywayx lint --cluster galera` lists them)" if len(errors) > 1 else ""
    raise StateError(
        f"refusing to migrate through Galera node {s.db.cluster().node or ''}: {first.message} [{first.rule}]{more}",
        hint=f"{first.fix}; nothing was run (mark a statement a reviewer has checked with -- flywayx:galera-ok)",
        findings=[f.message for f in errors],
    )
