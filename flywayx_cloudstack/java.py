"""Parse CloudStack ``DbUpgrade`` step classes (Java source text) into values.

Only the shapes the upgrade classes use are understood, and anything else is reported as an
issue rather than guessed:
- ``getUpgradableVersionRange()`` returning ``new String[] {"a", "b"}``;
- ``getUpgradedVersion()`` returning a string literal;
- ``getPrepareScripts()`` / ``getCleanupScripts()`` returning ``null``, an empty array, or an array
  of streams each opened with ``getResourceAsStream(<constant path>)``; a class that does not
  declare the getter inherits it from its superclass, and finally from the ``DbUpgrade`` interface
  default, whose ``String.format`` naming rule is itself read from ``DbUpgrade.java``;
- ``performDataMigration(Connection)``: empty, inherited, or a body whose calls are listed;
- resource paths under ``META-INF/db/`` used anywhere else in the class (scripts run from Java).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from flywayx_cloudstack.issues import Issue

ScriptMode = Literal["explicit", "none", "inherit", "default"]

_CLASS = re.compile(
    r"\b(?P<abstract>abstract\s+)?class\s+(?P<name>\w+)(?:\s+extends\s+(?P<sup>[\w.]+))?"
    r"(?:\s+implements\s+(?P<ifaces>[\w\s,.]+?))?\s*\{"
)
_METHOD = re.compile(
    r"(?:(?:public|protected|private|static|final|default|synchronized)\s+)*"
    r"[\w.]+(?:\s*\[\s*\])?\s+(?P<name>\w+)\s*\([^()]*\)\s*(?:throws\s+[\w.,\s]+)?\{"
)
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
_STRING_VAR = re.compile(r'\bString\s+(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"\s*;')
_STREAM_VAR = re.compile(r"\bInputStream\s+(\w+)\s*=\s*[^;]*?getResourceAsStream\(\s*([^)]*?)\s*\)\s*;")
_RETURN_ARRAY = re.compile(r"return\s+new\s+InputStream\s*\[\s*\]\s*\{([^}]*)\}\s*;")
_RETURN_EMPTY = re.compile(r"return\s+(?:null|new\s+InputStream\s*\[\s*0\s*\])\s*;")
_FORMAT = re.compile(r'String\.format\(\s*"([^"]*%s[^"]*%s[^"]*)"')
_RESOURCE = re.compile(r'"(META-INF/db/[^"]+\.sql)"')
_CALL = re.compile(r"\b([a-zA-Z_]\w*)\s*\(")
_NOT_CALLS = frozenset({"if", "for", "while", "switch", "catch", "try", "return", "new", "synchronized"})


@dataclass(frozen=True)
class Scripts:
    """What a script getter returns: ``explicit`` paths, ``none`` (null or empty array),
    ``inherit`` (not declared here) or ``default`` (the interface's naming rule)."""

    mode: ScriptMode
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepClass:
    """One parsed Java class, as declared (nothing inherited is filled in yet).

    ``migration_calls`` is None when ``performDataMigration`` is not declared, ``()`` when its body
    is empty, else the names it calls in order.
    """

    name: str
    superclass: str | None
    interfaces: tuple[str, ...]
    is_abstract: bool
    version_range: tuple[str, ...] | None
    target: str | None
    prepare: Scripts
    cleanup: Scripts
    migration_calls: tuple[str, ...] | None
    java_scripts: tuple[str, ...]
    refresh_pool: bool | None


@dataclass(frozen=True)
class DefaultRule:
    """The ``DbUpgrade`` interface's default script names, as ``%s``-templates (from, to)."""

    prepare: str | None
    cleanup: str | None

    def apply(self, template: str | None, version_range: tuple[str, ...]) -> str | None:
        if template is None or len(version_range) < 2:
            return None
        return template % (version_range[0].replace(".", ""), version_range[1].replace(".", ""))


def strip_comments(text: str) -> str:
    """Blank out ``//`` and ``/* */`` comments, keeping string and char literals and line count."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _block_end(text: str, open_brace: int) -> int:
    """Index of the ``}`` closing the ``{`` at ``open_brace`` (comments already stripped)."""
    depth, i = 0, open_brace
    while i < len(text):
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < len(text) and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            i = j
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return len(text)


def methods(body: str) -> dict[str, str]:
    """Top-level method bodies of a class body, by name (first declaration wins)."""
    found: dict[str, str] = {}
    pos = 0
    while (m := _METHOD.search(body, pos)) is not None:
        start = m.end() - 1
        end = _block_end(body, start)
        found.setdefault(m.group("name"), body[start + 1 : end])
        pos = end + 1
    return found


def _scripts(body: str | None, constants: Mapping[str, str], subject: str, issues: list[Issue]) -> Scripts:
    if body is None:
        return Scripts("inherit")
    if _FORMAT.search(body):
        return Scripts("default")
    if _RETURN_EMPTY.search(body):
        return Scripts("none")
    ret = _RETURN_ARRAY.search(body)
    if ret is None:
        found = tuple(dict.fromkeys(_RESOURCE.findall(body)))
        issues.append(
            Issue(
                "java-unparsed-getter",
                subject,
                f"script getter has an unknown shape; taking its literal paths {list(found)}",
                "error",
            )
        )
        return Scripts("explicit", found)
    strings = {**constants, **dict(_STRING_VAR.findall(body))}
    streams = dict(_STREAM_VAR.findall(body))
    paths: list[str] = []
    for name in (x.strip() for x in ret.group(1).split(",") if x.strip()):
        arg = streams.get(name, "")
        lit = _STRING.fullmatch(arg)
        path = lit.group(1) if lit else strings.get(arg)
        if path is None:
            issues.append(
                Issue(
                    "java-unresolved-script",
                    subject,
                    f"cannot resolve stream {name!r} to a constant path",
                    "error",
                )
            )
            continue
        paths.append(path)
    return Scripts("explicit", tuple(paths))


def _literal_values(body: str | None) -> tuple[str, ...] | None:
    return None if body is None else tuple(_STRING.findall(body))


def _migration_calls(body: str | None) -> tuple[str, ...] | None:
    if body is None:
        return None
    return tuple(c for c in _CALL.findall(body) if c not in _NOT_CALLS)


def _bool_return(body: str | None) -> bool | None:
    if body is None:
        return None
    return re.search(r"return\s+true\s*;", body) is not None


def parse_step_class(text: str) -> tuple[StepClass | None, list[Issue]]:
    """Parse one ``Upgrade*.java`` text; None (with an issue) when no class is declared."""
    src = strip_comments(text)
    m = _CLASS.search(src)
    if m is None:
        return None, [Issue("java-no-class", "?", "no class declaration found", "error")]
    name = m.group("name")
    body = src[m.end() : _block_end(src, m.end() - 1)]
    ms = methods(body)
    constants = dict(_STRING_VAR.findall(body))
    issues: list[Issue] = []
    prep_body, clean_body = ms.get("getPrepareScripts"), ms.get("getCleanupScripts")
    outside = body
    for b in (prep_body, clean_body):
        if b:
            outside = outside.replace(b, "")
    rng = _literal_values(ms.get("getUpgradableVersionRange"))
    target = _literal_values(ms.get("getUpgradedVersion"))
    ifaces = tuple(x.strip().split(".")[-1] for x in (m.group("ifaces") or "").split(",") if x.strip())
    prepare = _scripts(prep_body, constants, f"{name}.getPrepareScripts", issues)
    cleanup = _scripts(clean_body, constants, f"{name}.getCleanupScripts", issues)
    scripts = set(prepare.paths) | set(cleanup.paths)
    step = StepClass(
        name=name,
        superclass=(m.group("sup") or "").split(".")[-1] or None,
        interfaces=ifaces,
        is_abstract=bool(m.group("abstract")),
        version_range=rng,
        target=target[0] if target else None,
        prepare=prepare,
        cleanup=cleanup,
        migration_calls=_migration_calls(ms.get("performDataMigration")),
        java_scripts=tuple(p for p in dict.fromkeys(_RESOURCE.findall(outside)) if p not in scripts),
        refresh_pool=_bool_return(ms.get("refreshPoolConnectionsAfterUpgrade")),
    )
    return step, issues


def parse_default_rule(interface_text: str) -> tuple[DefaultRule, list[Issue]]:
    """Read the interface's default script-name templates from ``DbUpgrade.java``."""
    ms = methods(strip_comments(interface_text))
    templates: list[str | None] = []
    issues: list[Issue] = []
    for getter in ("getPrepareScripts", "getCleanupScripts"):
        f = _FORMAT.search(ms.get(getter, ""))
        if f is None:
            issues.append(
                Issue(
                    "java-no-default-rule",
                    f"DbUpgrade.{getter}",
                    "the interface declares no default script name",
                    "warning",
                )
            )
        templates.append(f.group(1) if f else None)
    return DefaultRule(templates[0], templates[1]), issues
