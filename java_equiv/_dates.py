"""Date parsing of Upgrade41810to41900.tryToTransformStringToDate, as a calendar date.

Order, as in the Java: first the zoned ISO forms of CloudStack's DateUtil.parseTZDateString
(``2023-05-01T13:00:00+02:00``, ``…+0200``, ``…Z``, with or without fractions), converted to
the local date of that instant; then the lenient SimpleDateFormat patterns ``yyyy-MM-dd HH:mm:ss``,
``MM/dd/yyyy HH:mm:ss``, ``dd/MM/yyyy HH:mm:ss`` and ``EEE MMM dd HH:mm:ss z yyyy``
(``Date.toString()``), read as local time. SimpleDateFormat is lenient: a month or day out of
range rolls over (``13/01/2023`` is month 13 → 2024-01-01) and text after the match is ignored;
both are kept, because they decide which date CloudStack stores. So ``MM/dd/yyyy`` accepts every
``d/d/d`` text and the Java's ``dd/MM/yyyy`` is never reached; it is not repeated here.
"""

from __future__ import annotations

import datetime as dt
import re

_TZ_ISO = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")
_ISO = re.compile(r"(\d+)-(\d+)-(\d+) (\d+):(\d+):(\d+)")
_SLASH = re.compile(r"(\d+)/(\d+)/(\d+) (\d+):(\d+):(\d+)")
_JAVA = re.compile(r"[A-Za-z]{3} ([A-Za-z]{3}) (\d+) (\d+):(\d+):(\d+) (\S+) (\d+)")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
UTC_NAMES = ("UTC", "GMT", "Z")


def _zoned(text: str) -> dt.date | None:
    m = _TZ_ISO.match(text)
    if m is None:
        return None
    offset = "+00:00" if m.group(4) == "Z" else m.group(4)
    moment = dt.datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}{offset}")
    return moment.astimezone().date()


def _lenient(year: int, month: int, day: int) -> dt.date:
    """SimpleDateFormat's lenient calendar: extra months and days roll over."""
    years, month0 = divmod(month - 1, 12)
    return dt.date(year + years, month0 + 1, 1) + dt.timedelta(days=day - 1)


def _java_to_string(m: re.Match[str]) -> dt.date | None:
    month_name, day, zone, year = m.group(1).lower(), int(m.group(2)), m.group(6), int(m.group(7))
    if month_name not in MONTHS:
        return None
    hour, minute, second = (int(m.group(i)) for i in (3, 4, 5))
    naive = dt.datetime.combine(_lenient(year, MONTHS.index(month_name) + 1, day), dt.time()) + dt.timedelta(
        hours=hour, minutes=minute, seconds=second
    )
    if zone in UTC_NAMES:  # other zone names are read as local time (approximation, see module doc)
        return naive.replace(tzinfo=dt.UTC).astimezone().date()
    return naive.date()


def parse_backup_date(text: str | None) -> dt.date | None:
    """The date CloudStack stores for a backup's old ``date`` text, or None when nothing parses."""
    if text is None:
        return None
    value = text.strip()
    zoned = _zoned(value)
    if zoned is not None:
        return zoned
    for pattern, order in ((_ISO, (0, 1, 2)), (_SLASH, (2, 0, 1))):
        m = pattern.match(value)
        if m is not None:
            parts = [int(g) for g in m.groups()]
            return _lenient(parts[order[0]], parts[order[1]], parts[order[2]])
    m = _JAVA.match(value)
    return _java_to_string(m) if m is not None else None
