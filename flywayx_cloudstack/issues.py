"""The one issue type every ACS parser returns beside its result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["info", "warning", "error"]


@dataclass(frozen=True, order=True)
class Issue:
    """One finding: ``code`` is a stable machine key, ``subject`` names the file, class or release."""

    code: str
    subject: str
    message: str
    severity: Severity = "warning"

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "subject": self.subject,
            "message": self.message,
            "severity": self.severity,
        }
