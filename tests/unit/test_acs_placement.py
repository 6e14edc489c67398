"""CloudStack's ``IDEMPOTENT_ADD_COLUMN`` calls take a fresh install's place when they run late: the
CloudStack plugin names the procedure (``Procedure.adds_column``); the core knows none."""

from __future__ import annotations

import pytest

from flywayx import plugins
from flywayx.model import Statement
from flywayx.service.placement import added_columns, place_late_columns

CALL = "CALL `cloud`.`IDEMPOTENT_ADD_COLUMN`('cloud.volumes', 'last_id', 'bigint(20) unsigned DEFAULT NULL')"
LIVE = ["id", "name", "removed", "delete_protection"]


def _placed(sql: str, live: list[str]) -> str:
    out = place_late_columns(
        [Statement(1, sql)], {"volumes": {"delete_protection"}}, lambda t: live, lambda n: f"`{n}`"
    )
    return out[0].sql


def test_the_call_is_read_as_adding_one_column() -> None:
    assert added_columns(CALL) == ("volumes", [(0, "last_id", False)])
    placed = CALL.replace("NULL')", "NULL AFTER `x`')")
    assert added_columns(placed) == ("volumes", [(0, "last_id", True)])
    assert added_columns("CALL `cloud`.`IDEMPOTENT_ADD_KEY`('i', 'cloud.volumes', '(name)')") is None


def test_without_the_plugin_the_call_is_an_opaque_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plugins, "installed", lambda: ())
    assert added_columns(CALL) is None
    assert _placed(CALL, LIVE) == CALL


def test_a_plugin_procedure_that_adds_a_column_is_placed(monkeypatch: pytest.MonkeyPatch) -> None:
    own = plugins.Plugin("shop", procedures=(plugins.Procedure("ADD_COL_*", adds_column=True),))
    monkeypatch.setattr(plugins, "installed", lambda: (own,))
    call = "CALL add_col_safe('shop.volumes', 'last_id', 'int')"
    assert added_columns(call) == ("volumes", [(0, "last_id", False)])
    assert _placed(call, LIVE) == "CALL add_col_safe('shop.volumes', 'last_id', 'int AFTER `removed`')"
    assert added_columns(CALL) is None


def test_a_late_call_goes_before_the_columns_added_after_it() -> None:
    assert _placed(CALL, LIVE) == CALL.replace("DEFAULT NULL')", "DEFAULT NULL AFTER `removed`')")
    assert _placed(CALL, ["delete_protection", "id"]).endswith("DEFAULT NULL FIRST')")


def test_a_call_for_a_column_already_there_or_placed_is_sent_as_written() -> None:
    assert _placed(CALL, [*LIVE, "last_id"]) == CALL
    placed = CALL.replace("NULL')", "NULL AFTER `id`')")
    assert _placed(placed, LIVE) == placed


def test_quotes_in_the_definition_survive() -> None:
    call = "CALL IDEMPOTENT_ADD_COLUMN('cloud.volumes', 'last_id', 'bigint COMMENT ''last one''')"
    assert _placed(call, LIVE).endswith("COMMENT ''last one'' AFTER `removed`')")


def test_a_column_placed_by_the_file_counts_where_it_goes() -> None:
    """An earlier ``ADD … AFTER``/``FIRST`` of the same step is followed where the server puts it: the
    next unplaced column goes after it, as on a fresh install."""
    stmts = [
        Statement(1, "ALTER TABLE volumes ADD COLUMN a INT AFTER `name`"),
        Statement(2, "ALTER TABLE volumes ADD COLUMN b INT"),
        Statement(3, "ALTER TABLE volumes ADD COLUMN z INT FIRST, ADD COLUMN c INT"),
    ]
    out = place_late_columns(stmts, {"volumes": {"removed"}}, lambda t: LIVE, lambda n: f"`{n}`")
    assert [s.sql for s in out] == [
        stmts[0].sql,
        "ALTER TABLE volumes ADD COLUMN b INT AFTER `a`",
        "ALTER TABLE volumes ADD COLUMN z INT FIRST, ADD COLUMN c INT AFTER `b`",
    ]
