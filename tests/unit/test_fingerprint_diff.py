"""Pure tests of fingerprint values, their JSON and digest, the diff, and the text normalisers."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flywayx.db.fingerprint_mysql import mysql_charset, mysql_default, mysql_extra, mysql_type
from flywayx.db.fingerprint_pg import pg_trigger_type
from flywayx.model.fingerprint import (
    Check,
    Column,
    ForeignKey,
    Index,
    Routine,
    Schema,
    SchemaFingerprint,
    Table,
    Trigger,
    View,
    diff,
    normalise_sql,
    strip_qualifier,
)

VM = Table(
    "vm_instance",
    columns=(
        Column("id", "bigint unsigned", False, extra="auto_increment"),
        Column("foo", "varchar(255)", True, charset="utf8mb3", collation="utf8mb3_general_ci"),
        Column("state", "varchar(32)", False, default="Stopped"),
    ),
    primary_key=("id",),
    indexes=(Index("i_vm__state", ("state",), False, "btree"),),
    foreign_keys=(ForeignKey("fk_vm__account", ("account_id",), "account", ("id",), "CASCADE", "RESTRICT"),),
    checks=(Check("c_state", "`state` <> ''"),),
    options=(("engine", "InnoDB"),),
)
CLOUD = Schema(
    "cloud",
    tables=(Table("account", (Column("id", "bigint unsigned", False),), ("id",)), VM),
    views=(View("v_vm", "select `vm_instance`.`id` AS `id` from `vm_instance`"),),
    routines=(Routine("p_count", "PROCEDURE", "(IN aid bigint)", "BEGIN SELECT 1; END"),),
    triggers=(Trigger("trg_vm", "vm_instance", "BEFORE", "INSERT", "SET NEW.foo = 'x'"),),
)
FP = SchemaFingerprint("mysql", (CLOUD,))


def with_vm(**changes: Any) -> SchemaFingerprint:
    vm = replace(VM, **changes)
    return replace(FP, schemas=(replace(CLOUD, tables=(CLOUD.tables[0], vm)),))


def lines(expected: SchemaFingerprint, actual: SchemaFingerprint, **kw: bool) -> list[str]:
    return [str(d) for d in diff(expected, actual, **kw)]


def test_identical_fingerprints_have_no_drift() -> None:
    assert diff(FP, FP) == []
    assert diff(FP, SchemaFingerprint.from_json(FP.to_json())) == []


def test_column_type_change_is_named_with_its_full_path() -> None:
    cols = (VM.columns[0], replace(VM.columns[1], type="varchar(40)"), VM.columns[2])
    assert lines(FP, with_vm(columns=cols)) == ["table cloud.vm_instance column foo: type varchar(255) != varchar(40)"]


def test_missing_and_added_columns() -> None:
    cols = (VM.columns[0], VM.columns[2], Column("bar", "int", True))
    assert lines(FP, with_vm(columns=cols)) == [
        "table cloud.vm_instance column bar: added",
        "table cloud.vm_instance column foo: missing",
    ]


def test_nullability_default_and_extra_are_compared() -> None:
    cols = (replace(VM.columns[0], extra=""), VM.columns[1], replace(VM.columns[2], nullable=True, default=None))
    assert lines(FP, with_vm(columns=cols)) == [
        "table cloud.vm_instance column id: extra auto_increment != ''",
        "table cloud.vm_instance column state: default Stopped != NULL",
        "table cloud.vm_instance column state: nullable false != true",
    ]


def test_column_order_is_drift_unless_ignored() -> None:
    cols = (VM.columns[0], VM.columns[2], VM.columns[1])
    assert lines(FP, with_vm(columns=cols)) == [
        "table cloud.vm_instance: column order (id, foo, state) != (id, state, foo)"
    ]
    assert diff(FP, with_vm(columns=cols), ignore_column_order=True) == []


def test_index_fk_check_and_primary_key_changes() -> None:
    actual = with_vm(
        primary_key=("id", "state"),
        indexes=(Index("i_vm__state", ("state", "foo"), True, "btree"),),
        foreign_keys=(replace(VM.foreign_keys[0], on_delete="SET NULL"),),
        checks=(),
    )
    assert lines(FP, actual) == [  # table-level drift first, then its parts by path
        "table cloud.vm_instance: primary key (id) != (id, state)",
        "table cloud.vm_instance check c_state: missing",
        "table cloud.vm_instance foreign key fk_vm__account: on delete CASCADE != SET NULL",
        "table cloud.vm_instance index i_vm__state: columns (state) != (state, foo)",
        "table cloud.vm_instance index i_vm__state: unique false != true",
    ]


def test_table_options_show_as_key_value_sets() -> None:
    assert lines(FP, with_vm(options=(("engine", "MyISAM"),))) == [
        "table cloud.vm_instance: options {engine=InnoDB} != {engine=MyISAM}"
    ]


def test_a_missing_table_is_one_drift_not_one_per_column() -> None:
    actual = replace(FP, schemas=(replace(CLOUD, tables=(CLOUD.tables[0],)),))
    assert lines(FP, actual) == ["table cloud.vm_instance: missing"]
    assert lines(actual, FP) == ["table cloud.vm_instance: added"]


def test_views_routines_and_triggers() -> None:
    actual = replace(
        FP,
        schemas=(
            replace(
                CLOUD,
                views=(View("v_vm", "select 1"),),
                routines=(replace(CLOUD.routines[0], body="BEGIN SELECT 2; END"),),
                triggers=(replace(CLOUD.triggers[0], timing="AFTER"), Trigger("t2", "account", "AFTER", "DELETE", "x")),
            ),
        ),
    )
    assert lines(FP, actual) == [
        "routine cloud.p_count: body BEGIN SELECT 1; END != BEGIN SELECT 2; END",
        "trigger cloud.t2 on account: added",
        "trigger cloud.trg_vm on vm_instance: timing BEFORE != AFTER",
        "view cloud.v_vm: definition select `vm_instance`.`id` AS `id` from `vm_instance` != select 1",
    ]


def test_single_schemas_of_different_names_are_compared_under_the_expected_name() -> None:
    other = FP.renamed({"cloud": "fx_1234"})
    assert other.schemas[0].name == "fx_1234"
    assert diff(FP, other) == []
    cols = (VM.columns[0], replace(VM.columns[1], type="text"), VM.columns[2])
    changed = with_vm(columns=cols).renamed({"cloud": "fx_1234"})
    assert lines(FP, changed) == ["table cloud.vm_instance column foo: type varchar(255) != text"]


def test_unpaired_schemas_are_reported_when_several_are_left() -> None:
    two = replace(FP, schemas=(CLOUD, Schema("usage")))
    assert lines(two, FP) == ["schema usage: missing"]
    assert lines(FP, two) == ["schema usage: added"]


def test_renamed_follows_cross_schema_foreign_keys() -> None:
    fk = ForeignKey("fk_x", ("a",), "cloud.account", ("id",))
    usage = Schema("usage", tables=(Table("t", (Column("a", "int", True),), foreign_keys=(fk,)),))
    fp = SchemaFingerprint("mysql", (CLOUD, usage)).renamed({"cloud": "c2"})
    assert fp.schema("usage") is not None
    assert fp.schema("usage").tables[0].foreign_keys[0].ref_table == "c2.account"  # type: ignore[union-attr]


def test_json_is_canonical_and_the_digest_tracks_content() -> None:
    text = FP.to_json()
    assert SchemaFingerprint.from_json(text) == FP
    assert SchemaFingerprint.from_json(text).to_json() == text
    assert len(FP.digest) == 64
    assert FP.digest == SchemaFingerprint.from_json(text).digest
    cols = (VM.columns[0], replace(VM.columns[1], comment="x"), VM.columns[2])
    assert with_vm(columns=cols).digest != FP.digest


def test_from_json_rejects_another_format() -> None:
    with pytest.raises(ValueError, match="format"):
        SchemaFingerprint.from_json('{"format": 99, "dialect": "mysql", "schemas": []}')


names = st.text("abcdefgh_", min_size=1, max_size=6)
columns = st.builds(
    Column,
    names,
    st.sampled_from(["int", "text", "varchar(40)"]),
    st.booleans(),
    st.none() | st.sampled_from(["0", "x", "CURRENT_TIMESTAMP"]),
)
tables = st.builds(
    lambda n, cs: Table(n, tuple({c.name: c for c in cs}.values())), names, st.lists(columns, max_size=4)
)
schemas = st.builds(
    lambda ts: Schema("s", tuple(sorted({t.name: t for t in ts}.values(), key=lambda t: t.name))),
    st.lists(tables, max_size=4),
)


@given(schemas, schemas)
def test_diff_is_empty_exactly_when_the_json_is_equal(a: Schema, b: Schema) -> None:
    fa, fb = SchemaFingerprint("mysql", (a,)), SchemaFingerprint("mysql", (b,))
    assert (diff(fa, fb) == []) == (fa.to_json() == fb.to_json())
    assert len(diff(fa, fb)) == len(diff(fb, fa))
    assert SchemaFingerprint.from_json(fa.to_json()) == fa


def test_normalise_sql_collapses_layout_but_not_literals() -> None:
    text = "select  a,\n\t b   from \"x  y\"\nwhere c = 'a   b' ;  "
    assert normalise_sql(text) == "select a, b from \"x  y\" where c = 'a   b'"
    assert normalise_sql(None) == ""


def test_strip_qualifier_removes_only_the_own_schema() -> None:
    view = "select `fx_1`.`t`.`id` AS `id`, 'fx_1.`fx_1`.' AS s from `fx_1`.`t` join `other`.`u`"
    want = "select `t`.`id` AS `id`, 'fx_1.`fx_1`.' AS s from `t` join `other`.`u`"
    assert strip_qualifier(view, "fx_1") == want
    unquoted = strip_qualifier("select s.t.a from s.t where x = 's.t'", "s", "")
    assert unquoted == "select t.a from t where x = 's.t'"


@pytest.mark.parametrize(
    ("raw", "mariadb", "want"),
    [
        ("'Stopped'", True, "Stopped"),
        ("'it''s'", True, "it's"),
        ("NULL", True, None),
        (None, True, None),
        ("0", True, "0"),
        ("current_timestamp()", True, "CURRENT_TIMESTAMP"),
        ("CURRENT_TIMESTAMP", False, "CURRENT_TIMESTAMP"),
        ("Stopped", False, "Stopped"),
    ],
)
def test_mysql_defaults_fold_mariadb_quoting(raw: str | None, mariadb: bool, want: str | None) -> None:
    assert mysql_default(raw, mariadb) == want


def test_mysql_type_extra_and_charset_spellings() -> None:
    assert mysql_type("int(11)") == "int"
    assert mysql_type("bigint(20) unsigned") == "bigint unsigned"
    assert mysql_type("tinyint(1)") == "tinyint(1)"
    assert mysql_type("varchar(255)") == "varchar(255)"
    assert mysql_extra("on update current_timestamp()") == "on update CURRENT_TIMESTAMP"
    assert mysql_extra("DEFAULT_GENERATED on update CURRENT_TIMESTAMP") == "on update CURRENT_TIMESTAMP"
    assert mysql_extra("auto_increment") == "auto_increment"
    assert mysql_charset("utf8") == "utf8mb3"
    assert mysql_charset("utf8_general_ci") == "utf8mb3_general_ci"
    assert mysql_charset("utf8mb4_general_ci") == "utf8mb4_general_ci"


def test_pg_trigger_type_bits() -> None:
    assert pg_trigger_type(2 | 1 | 4 | 16) == ("BEFORE", "INSERT OR UPDATE")
    assert pg_trigger_type(8) == ("AFTER", "DELETE")
    assert pg_trigger_type(64 | 1 | 4) == ("INSTEAD OF", "INSERT")
