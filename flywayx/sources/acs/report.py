"""The import report: what was written, what each step carries, every anomaly found."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from flywayx.sources.acs.issues import Issue


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
        out += ["", "## Anomalies and issues", ""]
        codes = sorted({i.code for i in self.issues})
        for code in codes:
            items = [i for i in self.issues if i.code == code]
            out += [f"### {code} ({len(items)})", ""]
            out += [f"- **{i.severity}** `{i.subject}`: {i.message}" for i in items]
            out.append("")
        return "\n".join(out).rstrip() + "\n"


def _names(paths: tuple[str, ...]) -> str:
    return ", ".join(p.rsplit("/", 1)[-1] for p in paths) or "-"
