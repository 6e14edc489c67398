"""Flyway's ``info`` filters (``-infoSinceDate`` ... ``-infoOfState``), as its command line has them.

Flyway 13 (``MigrationFilterImpl``, ``CommandLineArguments``):

- ``infoSinceDate``: rows installed strictly after the date, and every row not installed (pending);
- ``infoUntilDate``: rows installed strictly before the date (pending rows are left out);
- ``infoSinceVersion``: versions greater than or equal, and every repeatable;
- ``infoUntilVersion``: versions less than or equal (repeatables are left out: the code, not the
  documentation, decides);
- ``infoOfState``: a comma list of state names (``success,out_of_order``), case-insensitive.

Dates are ``dd/MM/yyyy HH:mm`` in local time. All given filters must hold. Pure: values in, values out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from flywayx.errors import UsageError, VersionError
from flywayx.model.info import MigrationInfo, State
from flywayx.model.version import Version

KEYS = ("infoSinceDate", "infoUntilDate", "infoSinceVersion", "infoUntilVersion", "infoOfState")
_DATE_FORMAT = "%d/%m/%Y %H:%M"


@dataclass(frozen=True)
class InfoFilter:
    since_date: datetime | None = None
    until_date: datetime | None = None
    since_version: Version | None = None
    until_version: Version | None = None
    states: frozenset[State] = frozenset()

    @property
    def active(self) -> bool:
        return any((self.since_date, self.until_date, self.since_version, self.until_version, self.states))

    def matches(self, m: MigrationInfo) -> bool:
        on = _local(m.applied.installed_on) if m.applied is not None else None
        version = m.version
        return (
            (self.since_date is None or on is None or on > self.since_date)
            and (self.until_date is None or (on is not None and on < self.until_date))
            and (self.since_version is None or version is None or version >= self.since_version)
            and (self.until_version is None or (version is not None and version <= self.until_version))
            and (not self.states or m.state in self.states)
        )

    def apply(self, migrations: Sequence[MigrationInfo]) -> list[MigrationInfo]:
        return [m for m in migrations if self.matches(m)]


def _local(on: datetime | None) -> datetime | None:
    """Installed-on as a naive local time (the filter's dates are local, as Flyway's are)."""
    if on is None or on.tzinfo is None:
        return on
    return on.astimezone().replace(tzinfo=None)


def parse_filter(values: Mapping[str, str]) -> InfoFilter:
    """The filter from ``{key: text}`` (keys of ``KEYS``; empty texts are ignored, as in Flyway).
    Raises UsageError naming the option and the expected format."""
    text = {k: v.strip() for k, v in values.items() if k in KEYS and v.strip()}
    return InfoFilter(
        since_date=_date("infoSinceDate", text.get("infoSinceDate")),
        until_date=_date("infoUntilDate", text.get("infoUntilDate")),
        since_version=_version("infoSinceVersion", text.get("infoSinceVersion")),
        until_version=_version("infoUntilVersion", text.get("infoUntilVersion")),
        states=_states(text.get("infoOfState")),
    )


def _date(key: str, text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text, _DATE_FORMAT)
    except ValueError:
        raise UsageError(
            f"'{text}' is an invalid value for the {key} option. The expected format is "
            "'dd/mm/yyyy hh:mm', like '13/10/2020 16:30'.",
            hint=f'e.g. -{key}="13/10/2020 16:30"',
        ) from None


def _version(key: str, text: str | None) -> Version | None:
    if text is None:
        return None
    try:
        return Version.parse(text)
    except VersionError as err:
        raise UsageError(f"'{text}' is an invalid value for the {key} option: {err}", hint=f"e.g. -{key}=1.1") from None


def _states(text: str | None) -> frozenset[State]:
    if text is None:
        return frozenset()
    out = set()
    for name in (part.strip() for part in text.split(",")):
        try:
            out.add(State[name.upper()])
        except KeyError:
            known = ", ".join(s.name.lower() for s in State)
            raise UsageError(f"'{name}' is not a migration state (-infoOfState)", hint=f"states: {known}") from None
    return frozenset(out)
