"""``info``'s table: flywayx lays plain cells out itself (fast at 10,000 rows: bench/bench_speed.py) and
must draw exactly what tabulate draws, which it falls back to for anything else (wide characters, line
breaks)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from flywayx.cli.render import _plain_table, _tabulated, flyway_table, paint
from flywayx.model.info import State

HEADERS = ["Category", "Version", "Description", "Type", "Installed On", "State", "Undoable"]

cell = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
    st.sampled_from(
        [
            "",
            " padded ",
            "Success",
            paint("Success", State.SUCCESS, True),
            paint("Pending", State.PENDING, True),
            "2026-12-07 05:00:00",
        ]
    ),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(cell, min_size=len(HEADERS), max_size=len(HEADERS)), max_size=8))
def test_plain_cells_drawn_as_tabulate_draws_them(rows: list[list[str]]) -> None:
    shown = flyway_table(HEADERS, rows)
    expected = _tabulated(HEADERS, rows or [["No migrations found"] + [""] * (len(HEADERS) - 1)])
    assert shown == expected


def test_other_cells_are_left_to_tabulate() -> None:
    for odd in ("café", "两个字", "line\nbreak", "tab\there"):
        rows = [["Versioned", "1", odd, "SQL", "", "Success", "No"]]
        assert _plain_table(HEADERS, rows) is None
        assert flyway_table(HEADERS, rows) == _tabulated(HEADERS, rows)


def test_info_rows_take_the_fast_path() -> None:
    """What ``info`` draws (versions, dates, coloured states, empty cells) never falls back to tabulate;
    how fast that is, is bench/bench_speed.py's ``info`` row at 10,000 applied."""
    rows = [
        [
            "Versioned",
            str(i),
            f"row {i}",
            "SQL",
            "2026-12-07 05:00:00" if i % 3 else "",
            paint("Success" if i % 2 else "Pending", State.SUCCESS if i % 2 else State.PENDING, True),
            "No",
        ]
        for i in range(1000)
    ]
    drawn = _plain_table(HEADERS, rows)
    assert drawn is not None
    assert drawn == _tabulated(HEADERS, rows)
