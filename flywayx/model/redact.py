"""Password redaction for anything that may reach output, logs or errors."""

from __future__ import annotations

import re

_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.:-]*://)(?P<user>[^:/@?#]*):(?P<pw>[^@/?#]*)@")
_PARAM = re.compile(r"(?i)(?P<key>[?&;](?:password|pwd|pass)=)(?P<pw>[^&;#]*)")


def redact_url(url: str) -> str:
    """Replace a password in ``user:password@`` or a ``password=`` parameter with ``***``."""
    out = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", url)
    return _PARAM.sub(lambda m: f"{m['key']}***", out)


def redact_text(text: str, secrets: list[str]) -> str:
    """Remove every known secret (and URL passwords) from free text, e.g. a driver's error."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return redact_url(text)
