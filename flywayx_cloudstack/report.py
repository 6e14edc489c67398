"""The import report: what was written, what each step carries, every anomaly found."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from flywayx_cloudstack.issues import Issue


@dataclass(frozen=True)
class StepRow:
    """One imported step (release R) as the report shows it."""

    release: str
    node: str
    step: str
    prepare: tuple[str, ...]
    cleanup: tuple[str, ...]
    statements: int
    java: str  # "none" | "ported" | "partial" | "stub"
    java_owner: str | None
    files: tuple[str, ...]
    # drift paths (as ``flywayx verify`` prints them) the Java port adds, changes or drops, from its
    # SCHEMA_EFFECTS; () without a port or for a data-only one, None when the port does not say
    schema_effects: tuple[str, ...] | None = ()


@dataclass
class ImportReport:
    """Result of ``import_acs``: counts, per-step rows, written files and every issue."""

    source: str
    out: str
    counts: dict[str, int] = field(default_factory=dict)
    steps: list[StepRow] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    def to_json(self) -> str:
        doc = {
            "source": self.source,
            "out": self.out,
            "counts": dict(sorted(self.counts.items())),
            "steps": [
                {
                    "release": s.release,
                    "node": s.node,
                    "step": s.step,
                    "prepare": list(s.prepare),
                    "cleanup": list(s.cleanup),
                    "statements": s.statements,
                    "java": s.java,
                    "java_owner": s.java_owner,
                    "files": list(s.files),
                    "schema_effects": None if s.schema_effects is None else list(s.schema_effects),
                }
                for s in self.steps
            ],
            "files": sorted(self.files),
            "issues": [i.as_dict() for i in self.issues],
        }
        return json.dumps(doc, indent=2, sort_keys=False) + "\n"

    def to_markdown(self) -> str:
        out = [
            "# CloudStack import report",
            "",
            f"Source: `{self.source}`  ",
            f"Output: `{self.out}`",
            "",
            "## Counts",
            "",
            "| what | count |",
            "|---|---|",
        ]
        out += [f"| {k} | {v} |" for k, v in sorted(self.counts.items())]
        out += [
            "",
            "## Steps (4.0.0 baseline onwards, in CloudStack's path order)",
            "",
            "| release | node | step class | prepare | cleanup | statements | Java |",
            "|---|---|---|---|---|---|---|",
        ]
        for s in self.steps:
            java = s.java if s.java_owner is None else f"{s.java} ({s.java_owner})"
            out.append(
                f"| {s.release} | {s.node} | {s.step} | {_names(s.prepare)} | {_names(s.cleanup)} "
                f"| {s.statements} | {java} |"
            )
        out += ["", *_effects_section(self.steps)]
        out += ["", "## Anomalies and issues", ""]
        codes = sorted({i.code for i in self.issues})
        for code in codes:
            items = [i for i in self.issues if i.code == code]
            out += [f"### {code} ({len(items)})", ""]
            out += [f"- **{i.severity}** `{i.subject}`: {i.message}" for i in items]
            out.append("")
        return "\n".join(out).rstrip() + "\n"


EFFECTS_HEADING = "## Schema objects the Java ports add (an SQL-only run lacks them)"


def _effects_section(steps: list[StepRow]) -> list[str]:
    out = [
        EFFECTS_HEADING,
        "",
        "What each ported Java step adds, changes or drops in the schema (its `SCHEMA_EFFECTS`), named as",
        "`flywayx verify` names drift: a database upgraded by CloudStack's SQL alone differs exactly there.",
        "",
    ]
    rows = [(s, e) for s in steps for e in s.schema_effects or ()]
    if rows:
        out += ["| release | step | object |", "|---|---|---|"]
        out += [f"| {s.release} | {s.step} | {e} |" for s, e in rows]
    else:
        out.append("None: no ported step changes the schema.")
    unknown = [s for s in steps if s.schema_effects is None]
    if unknown:
        out += [
            "",
            "Ports that do not declare their effects (not listed above): "
            + ", ".join(f"{s.release} {s.java_owner}" for s in unknown)
            + ".",
        ]
    return out


def _names(paths: tuple[str, ...]) -> str:
    return ", ".join(p.rsplit("/", 1)[-1] for p in paths) or "-"
