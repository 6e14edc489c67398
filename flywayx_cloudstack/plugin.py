"""The CloudStack plugin as flywayx loads it: ``plugin``, named by the ``flywayx.plugins`` entry point
``cloudstack`` in pyproject.toml (the contract is ``flywayx/plugins.py``, explained in docs/plugins.md).

It adds ``flywayx import acs`` (``cli.py``), ``flywayx baseline --acs`` (adoption at the release
``cloud.version`` names, ``service.py``) and CloudStack's upgrade session as ``initSql``
(``$CLOUDSTACK_CONF_DIR/db.properties`` over what the importer wrote, ``session.py``). Loading this
module imports nothing else of the plugin: each part is imported when it is used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from flywayx.model.config import Config
from flywayx.plugins import BaselineAdapter, Plugin, Procedure

if TYPE_CHECKING:
    import click

    from flywayx.model.results import BaselineReport


def importers() -> Sequence[click.Command]:
    """``flywayx import acs``."""
    from flywayx_cloudstack.cli import import_acs

    return (import_acs,)


def adopt(config: Config, dry_run: bool) -> BaselineReport:
    """``flywayx baseline --acs``."""
    from flywayx_cloudstack.service import baseline_acs

    return baseline_acs(config, dry_run=dry_run)


def init_sql(configured: str | None, env: Mapping[str, str]) -> str | None:
    """The session an import wrote, replaced by the operator's own ``db.properties`` when
    ``CLOUDSTACK_CONF_DIR`` is set."""
    from flywayx_cloudstack.session import effective_init_sql

    return effective_init_sql(configured, env)


plugin = Plugin(
    name="cloudstack",
    importers=importers,
    baseline_adapters=(
        BaselineAdapter(
            "acs",
            help="CloudStack: --release at the release recorded in cloud.version.",
            reads="reads R from cloud.version",
            adopt=adopt,
        ),
    ),
    init_sql=init_sql,
    # The helpers CloudStack's upgrade scripts call (META-INF/db/procedures/): each checks the catalog
    # before it changes anything, and IDEMPOTENT_ADD_COLUMN('db.table', 'column', 'definition') adds
    # one column.
    procedures=(
        Procedure("IDEMPOTENT_ADD_COLUMN", repeatable=True, adds_column=True),
        Procedure("IDEMPOTENT_*", repeatable=True),
    ),
)
