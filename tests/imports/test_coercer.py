"""The import's cell coercers agree with ``rules.fields.parse_value`` on every kind of cell."""

from __future__ import annotations

import datetime as dt

import pytest

from imports.cells import coerce_column, make_coercer
from rules.fields import Field, Kind, ValueProblem, parse_value

MOMENT = Field("at", "时间", "At", Kind.DATETIME)
CELLS = [
    dt.datetime(2025, 3, 3, 9, 30),
    dt.datetime(2025, 3, 3, 9, 30, 59, 999_999),  # an Excel serial's rounding
    dt.datetime(2025, 3, 3, 9, 30, tzinfo=dt.UTC),
    dt.date(2025, 3, 3),
    "2025-03-03 09:30",
    " 2025/3/3 ",
    45719.3958,
    None,
    "",
    "   ",
]


@pytest.mark.parametrize("cell", CELLS)
def test_datetime_cells_coerce_as_parse_value_does(cell):
    got = make_coercer(MOMENT, False)(cell)
    assert got == parse_value(MOMENT, cell) and (got is None or got.tzinfo is None)
    assert got is None or got.microsecond == 0


@pytest.mark.parametrize("cell", ["#N/A", "not a date", "31/31/2025", True])
def test_bad_datetime_cells_raise(cell):
    with pytest.raises(ValueProblem):
        make_coercer(MOMENT, False)(cell)


COUNT = Field("qty", "数量", "Qty", Kind.INT)
CODE = Field("code", "编号", "Code")


@pytest.mark.parametrize(
    ("field", "cells"),
    [
        (CODE, ["P1", " P1 ", "P2", None, "P1", "", "P2", 7, 7.0, "P1"]),  # repeats: memo
        (COUNT, [1, 1, 1.0, 1, 2, 2, 1, 1.0, 2, None]),  # equal numbers of two types
        (CODE, [f"P{i}" for i in range(10)]),  # all distinct: cell by cell
        (CODE, [True, 1, 1, 1, 1, 1]),  # a boolean beside its equal integer …
        (COUNT, [1, 1, True, 1, 1, 1]),  # … which is no count
    ],
)
def test_a_column_coerces_as_its_cells_do(field, cells):
    coerce = make_coercer(field, False)
    try:
        want = [coerce(c) for c in cells]
    except ValueProblem:
        with pytest.raises(ValueProblem):
            coerce_column(coerce, cells)
        return
    got = coerce_column(coerce, cells)
    assert got == want and [type(v) for v in got] == [type(v) for v in want]
