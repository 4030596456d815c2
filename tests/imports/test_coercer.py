"""The import's cell coercers agree with ``rules.fields.parse_value`` on every kind of cell."""

from __future__ import annotations

import datetime as dt

import pytest

from imports.cells import make_coercer
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
