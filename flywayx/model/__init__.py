"""Frozen values shared by every layer. No I/O, no drivers, no click."""

from flywayx.model.config import Config, DatabaseUrl
from flywayx.model.history import HistoryRow
from flywayx.model.migration import Kind, Migration, MigrationType, ResourceName, Statement
from flywayx.model.version import CURRENT, EMPTY, LATEST, NEXT, Version

__all__ = [
    "CURRENT",
    "EMPTY",
    "LATEST",
    "NEXT",
    "Config",
    "DatabaseUrl",
    "HistoryRow",
    "Kind",
    "Migration",
    "MigrationType",
    "ResourceName",
    "Statement",
    "Version",
]
