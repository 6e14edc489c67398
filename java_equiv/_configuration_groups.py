"""CloudStack's ``ConfigurationGroupsAggregator.updateConfigurationGroups`` (run by Upgrade41720to41800,
4.18.0.0), in Python, with the SQL its DAOs send.

Each setting in ``configuration`` is filed under a group and subgroup (tables of 4.18's
schema-41720to41800.sql) by the words of its dotted name, first word first. For a word:

1. a subgroup whose ``name`` is ``LIKE`` the word (ConfigurationSubGroupDao.findByName: the word is
   the pattern itself, so ``_`` and ``%`` in it are wildcards and case is the collation's; among
   several matches the DAO takes ``ORDER BY RAND() LIMIT 1``);
2. else ConfigurationSubGroupDao.findByKeyword: over the subgroups with keywords, in the order
   the server returns them (no ORDER BY; ``precedence`` plays no part), the first whose
   comma-separated keyword (trimmed, lower-cased) equals the word ignoring case; failing that,
   the first whose keyword the lower-cased word starts with.

The first word with a match decides. The row is written (``UPDATE configuration SET group_id,
subgroup_id WHERE name``, what ``persist`` of a DAO-loaded entity amounts to) only when neither the
group nor the subgroup id is 1: a setting with no match, or matched to a subgroup of group 1
(Miscellaneous: Others, Backup & Recovery, Certificate Authority, Quota, Cloudian), keeps what it has
(the column default, 1/1, after 4.18's script). Blank names are skipped.

Errors, as in the Java: reading ``configuration`` fails the step; an error while filing one setting
(a lookup or its update) is logged and the next setting is filed.

Java string helpers are mirrored where they differ from Python's: ``String.split`` (trailing empty
words dropped), ``strip``/``isBlank`` (Character.isWhitespace), ``equalsIgnoreCase`` (per char).
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Any

from java_equiv._db import execute, rows
from java_equiv._java import java_split

LOG = logging.getLogger("flywayx.acs.41720to41800.config_groups")

DEFAULT_ID = 1  # group Miscellaneous, subgroup Others: the DAO's "no match"

_JAVA_CONTROL_SPACE = frozenset("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f")
_NO_BREAK_SPACE = frozenset("\u00a0\u2007\u202f")


def java_is_whitespace(ch: str) -> bool:
    """``Character.isWhitespace``: Unicode space separators except the no-break ones, and some controls."""
    if ch in _JAVA_CONTROL_SPACE:
        return True
    return unicodedata.category(ch) in ("Zs", "Zl", "Zp") and ch not in _NO_BREAK_SPACE


def java_strip(text: str) -> str:
    start, end = 0, len(text)
    while start < end and java_is_whitespace(text[start]):
        start += 1
    while end > start and java_is_whitespace(text[end - 1]):
        end -= 1
    return text[start:end]


def is_blank(text: str | None) -> bool:
    """commons-lang ``StringUtils.isBlank``."""
    return text is None or java_strip(text) == ""


def equals_ignore_case(a: str, b: str) -> bool:
    """``String.equalsIgnoreCase``: same length, and each char pair equal after upper or lower casing."""
    return len(a) == len(b) and all(
        x == y or x.upper() == y.upper() or x.lower() == y.lower() for x, y in zip(a, b, strict=True)
    )


def _keywords(keywords: str | None) -> list[str]:
    if keywords is None or is_blank(keywords):
        return []
    return [java_strip(k).lower() for k in java_split(keywords, ",") if not is_blank(k)]


def subgroup_by_name(conn: Any, word: str, *, cloud: str = "cloud") -> tuple[int, int] | None:
    """(group_id, subgroup_id) of a subgroup whose name is LIKE ``word``; random among several, as the DAO."""
    found = rows(
        conn,
        f"SELECT group_id, id FROM `{cloud}`.`configuration_subgroup` WHERE name LIKE %s ORDER BY RAND() LIMIT 1",
        (word,),
    )
    return (int(found[0][0]), int(found[0][1])) if found else None


def subgroup_by_keyword(conn: Any, word: str, *, cloud: str = "cloud") -> tuple[int, int] | None:
    """(group_id, subgroup_id) by keyword: an equal keyword anywhere first, then a keyword the word starts with."""
    if is_blank(word):
        return None
    found = rows(
        conn, f"SELECT group_id, id, keywords FROM `{cloud}`.`configuration_subgroup` WHERE keywords IS NOT NULL"
    )
    subgroups = [((int(group_id), int(sub_id)), _keywords(keywords)) for group_id, sub_id, keywords in found]
    for ids, keywords in subgroups:
        if any(equals_ignore_case(word, k) for k in keywords):
            return ids
    lowered = word.lower()
    for ids, keywords in subgroups:
        if any(lowered.startswith(k) for k in keywords):
            return ids
    return None


def group_and_subgroup(conn: Any, name: str, *, cloud: str = "cloud") -> tuple[int, int]:
    """(group_id, subgroup_id) for a setting's name; (1, 1) when no word matches."""
    for word in java_split(name, "."):
        found = subgroup_by_name(conn, word, cloud=cloud) or subgroup_by_keyword(conn, word, cloud=cloud)
        if found is not None:
            return found
    return DEFAULT_ID, DEFAULT_ID


def update_configuration_groups(conn: Any, *, cloud: str = "cloud") -> None:
    """File every setting under its group and subgroup (module docstring has the rules).

    A re-run writes the same ids, so changes nothing (unless a word matches several subgroup names,
    where the DAO's pick is random); rows it does not write are never reset, and a setting moved by
    hand after the first run is moved back if it matches."""
    configs = rows(conn, f"SELECT name, group_id, subgroup_id FROM `{cloud}`.`configuration`")
    filed = 0
    for name, _group_id, _subgroup_id in configs:
        if is_blank(name):
            continue
        try:
            group_id, subgroup_id = group_and_subgroup(conn, name, cloud=cloud)
            if group_id != DEFAULT_ID and subgroup_id != DEFAULT_ID:
                execute(
                    conn,
                    f"UPDATE `{cloud}`.`configuration` SET group_id = %s, subgroup_id = %s WHERE name = %s",
                    (group_id, subgroup_id, name),
                )
                filed += 1
        except Exception as err:
            if not (err.args and isinstance(err.args[0], int)):  # only what the server reports, as _dbupgrade
                raise
            LOG.error("failed to update the group of configuration %s: %s", name, err)
    LOG.debug("configuration groups updated: %d of %d settings filed", filed, len(configs))
