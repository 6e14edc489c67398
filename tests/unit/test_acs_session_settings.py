"""CloudStack's upgrade session from db.properties (flywayx_cloudstack/session.py), without a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from flywayx.errors import ConfigError
from flywayx_cloudstack.session import MARKER, effective_init_sql, init_sql_from_properties, read_properties

MODE = "STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
PROPERTIES = f"""# comment
! another comment
db.cloud.password=ENC(secret)
db.cloud.url.params=prepStmtCacheSize=517&cachePrepStmts=true&sessionVariables=sql_mode='{MODE}'\\
    &serverTimezone=UTC
"""


def test_properties_follow_javas_rules() -> None:
    props = read_properties(PROPERTIES + "a.b : c\nempty=\n")
    assert props["db.cloud.url.params"].endswith("&serverTimezone=UTC")  # continuation joined
    assert props["a.b"] == "c" and props["empty"] == ""
    assert not any(k.startswith(("#", "!")) for k in props)


def test_session_variables_and_time_zone_become_one_statement() -> None:
    sql = init_sql_from_properties(PROPERTIES, "db.properties")
    assert sql == f"{MARKER} SET SESSION sql_mode = '{MODE}', time_zone = '+00:00'"
    assert "secret" not in sql


def test_several_session_variables_and_a_named_zone() -> None:
    text = "db.cloud.url.params=sessionVariables=sql_mode='A,B',wait_timeout=60&serverTimezone=Europe/Paris\n"
    assert init_sql_from_properties(text, "x").endswith(
        "sql_mode = 'A,B', wait_timeout = '60', time_zone = 'Europe/Paris'"
    )


def test_a_value_that_could_inject_sql_is_refused() -> None:
    with pytest.raises(ConfigError, match="unusable session variable"):
        init_sql_from_properties("db.cloud.url.params=sessionVariables=sql_mode='x'';DROP TABLE t'\n", "x")
    with pytest.raises(ConfigError, match=r"has no db\.cloud\.url\.params"):
        init_sql_from_properties("db.cloud.host=h\n", "x")


def test_only_the_importers_statement_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "db.properties").write_text("db.cloud.url.params=sessionVariables=sql_mode='ANSI'\n")
    env = {"CLOUDSTACK_CONF_DIR": str(tmp_path)}
    generated = f"{MARKER} SET SESSION sql_mode = 'X'"
    assert effective_init_sql(generated, env) == f"{MARKER} SET SESSION sql_mode = 'ANSI'"
    assert effective_init_sql(generated, {}) == generated
    assert effective_init_sql("SET SESSION sql_mode = 'X'", env) == "SET SESSION sql_mode = 'X'"
    assert effective_init_sql(None, env) is None
    with pytest.raises(ConfigError, match="cannot be read"):
        effective_init_sql(generated, {"CLOUDSTACK_CONF_DIR": str(tmp_path / "none")})
