"""Hypothesis: parsers and the CLI entry never crash on arbitrary input and never echo a password."""

from __future__ import annotations

import contextlib
import io
from urllib.parse import quote

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from flywayx.config.urls import ACCEPTED_FORMS, parse_url
from flywayx.errors import FlywayxError
from flywayx.sources.names import parse_resource_name

SCHEMES = ["mysql", "mariadb", "postgresql", "mysql+pymysql", "jdbc:mysql", "jdbc:postgresql", "oracle", "sqlite"]
passwords = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FF, exclude_characters="'\""), min_size=6, max_size=24
).filter(lambda p: p.strip() == p and "***" not in p)


@given(
    scheme=st.sampled_from(SCHEMES),
    user=st.from_regex(r"[a-z]{1,8}", fullmatch=True),
    password=passwords,
    host=st.sampled_from(["db", "127.0.0.1", "h:3306", "", "[::1]"]),
    tail=st.text(max_size=12),
)
@settings(max_examples=300, deadline=None)
def test_url_parsing_never_echoes_the_password(scheme: str, user: str, password: str, host: str, tail: str) -> None:
    # a password that happens to be a word of the fixed hint (e.g. "psycop") is not an echo
    assume(
        not any(
            password in part or quote(password, safe="") in part for part in (tail, host, user, scheme, ACCEPTED_FORMS)
        )
    )
    for written in (password, quote(password, safe="")):
        text = f"{scheme}://{user}:{written}@{host}/{tail}"
        try:
            url = parse_url(text)
        except FlywayxError as err:
            shown = f"{err.message} {err.hint or ''}"
        else:
            shown = url.redacted + repr(url)
        assert password not in shown and written not in shown, shown


@given(st.text(max_size=80))
@settings(max_examples=300, deadline=None)
def test_resource_names_parse_or_are_invalid(filename: str) -> None:
    parse_resource_name(filename)  # must not raise: invalid names come back marked invalid


WORDS = [
    "migrate",
    "info",
    "validate",
    "repair",
    "verify",
    "restore",
    "baseline",
    "clean",
    "--url",
    "--locations",
    "--target",
    "--resume",
    "--backup",
    "--output-type",
    "json",
    "-url=",
    "-locations=",
    "--lock-timeout",
    "-1",
    "x",
    "sqlite:///:memory:",
    "mysql://u:pw@/",
    "::",
    "--placeholder",
    "a=b",
    "=",
    "--to",
    "\x00",
    "é",
]


@given(st.lists(st.sampled_from(WORDS) | st.text(max_size=10), max_size=7))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_command_line_ends_with_an_exit_code_not_a_traceback(argv: list[str]) -> None:
    from flywayx.cli.app import run

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = run(argv, prog_name="flywayx")
        except SystemExit as exc:  # click's --help/--version paths
            code = int(exc.code or 0)
    assert isinstance(code, int)
    assert "Traceback" not in out.getvalue() + err.getvalue()
    assert "ERROR: unexpected error" not in err.getvalue(), (argv, err.getvalue())
