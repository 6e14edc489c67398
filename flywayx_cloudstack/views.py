"""Order CloudStack's ``views/`` scripts so every view comes after the views it selects from.

CloudStack runs them unsorted and relies on earlier upgrade scripts having created the
dependencies; a fresh flywayx install cannot, and Flyway runs repeatables by description, so the
importer numbers them in this order. Ties (and any cycle) fall back to file-name order.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Mapping

from flywayx_cloudstack.issues import Issue


def view_name(file_name: str) -> str:
    """``cloud.account_view.sql`` -> ``account_view``."""
    return file_name.removesuffix(".sql").split(".")[-1]


def dependencies(texts: Mapping[str, str]) -> dict[str, set[str]]:
    """File -> files of the views its text references (qualified or backquoted names)."""
    by_view = {view_name(f): f for f in texts}
    deps: dict[str, set[str]] = {}
    for f, text in texts.items():
        own = view_name(f)
        found = set(re.findall(r"`(\w+)`", text)) | set(re.findall(r"\bcloud\.(\w+)", text))
        deps[f] = {by_view[v] for v in found if v in by_view and v != own}
    return deps


def order_views(texts: Mapping[str, str]) -> tuple[list[str], list[Issue]]:
    """Topological order of view files (Kahn's algorithm, smallest file name first)."""
    deps = dependencies(texts)
    waiting = {f: set(d) for f, d in deps.items()}
    ready = [f for f, d in waiting.items() if not d]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        f = heapq.heappop(ready)
        order.append(f)
        for g, d in waiting.items():
            if f in d:
                d.discard(f)
                if not d and g not in order and g not in ready:
                    heapq.heappush(ready, g)
    rest = sorted(set(texts) - set(order))
    issues = [
        Issue("view-cycle", f, "views depend on each other in a cycle; kept in name order", "error") for f in rest
    ]
    return order + rest, issues
