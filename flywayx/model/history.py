"""Rows of ``flyway_schema_history`` as values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flywayx.model.migration import MigrationType
from flywayx.model.quick import quick_init
from flywayx.model.version import Version


@quick_init
@dataclass(frozen=True)
class HistoryRow:
    """One row of the Flyway history table, read or about to be written.

    ``version`` is None for repeatables and SCHEMA markers. ``type`` is kept as the raw string so
    that rows written by other editions (``UNDO_SQL``...) survive a round trip; ``mtype`` is its
    enum when known.
    """

    installed_rank: int
    version: Version | None
    description: str
    type: str
    script: str
    checksum: int | None
    installed_by: str
    execution_time: int
    success: bool
    installed_on: datetime | None = None

    @property
    def mtype(self) -> MigrationType | None:
        return _TYPES.get(self.type.upper())  # a dict, not MigrationType(): asked per row by info and validate

    @property
    def is_synthetic(self) -> bool:
        t = self.mtype
        return t is not None and t.is_synthetic

    @property
    def is_repeatable(self) -> bool:
        return self.version is None


_TYPES = {t.value: t for t in MigrationType}
