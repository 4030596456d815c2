"""Spare-parts rules: kinds and signs, no negative stock over a dated ledger,
moving-average cost, reorder figures, stock-take adjustments, availability."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rules.fields import validate_row
from rules.parts import (
    SIGN,
    STOCK,
    Move,
    MovementKind,
    Reorder,
    Shortfall,
    entry_of,
    first_shortfall,
    hours_between,
    movement_problems,
    moving_average,
    reorder,
    share_within,
    split_entry,
    take_adjustment,
)

K = MovementKind
D1 = dt.datetime(2026, 11, 1, 9, 0)
D2 = dt.datetime(2026, 11, 2, 9, 0)
D3 = dt.datetime(2026, 11, 3, 9, 0)
D4 = dt.datetime(2026, 11, 4, 9, 0)


@pytest.mark.parametrize(
    ("kind", "sign"),
    [
        (K.RECEIPT, 1),
        (K.ISSUE, -1),
        (K.RETURN, 1),
        (K.TRANSFER, 0),
        (K.SCRAP, -1),
        (K.LOAN, -1),
        (K.LOAN_RETURN, 1),
        (K.FAULTY_RETURN, 1),
        (K.ADJUST, 0),
    ],
)
def test_every_kind_has_its_sign(kind, sign):
    assert SIGN[kind] == sign


@pytest.mark.parametrize(
    ("values", "codes"),
    [
        ({"entry": "RK-1/1", "kind": "receipt", "qty": 5}, []),
        ({"entry": "RK-1/1", "kind": "receipt", "qty": -5}, ["parts.err.qty_in"]),
        ({"entry": "LY-1/2", "kind": "issue", "qty": 2}, ["parts.err.qty_out"]),
        ({"entry": "LY-1/2", "kind": "issue", "qty": -2}, []),
        ({"entry": "LY-1/2", "kind": "issue", "qty": 0}, ["parts.err.qty_zero"]),
        ({"entry": "DB-1/1", "kind": "transfer", "qty": -3}, []),
        ({"entry": "DB-1/2", "kind": "transfer", "qty": 3}, []),
        ({"entry": "PD-1/1", "kind": "adjust", "qty": -1}, []),
        ({"entry": "BF-1/1", "kind": "scrap", "qty": -1}, ["parts.err.scrap_reason"]),
        ({"entry": "BF-1/1", "kind": "scrap", "qty": -1, "reason": "expired"}, []),
        # a reversing row runs against its kind's sign
        ({"entry": "RK-1-R/1", "kind": "receipt", "qty": -5, "reverses": "RK-1"}, []),
        ({"entry": "RK-1", "kind": "receipt", "qty": 5}, ["parts.err.entry"]),
        ({"entry": "RK-1/0", "kind": "receipt", "qty": 5}, ["parts.err.entry"]),
    ],
)
def test_movement_problems(values, codes):
    assert [p.code for p in movement_problems(values)] == codes


@pytest.mark.parametrize(
    ("entry", "split"),
    [
        ("RK-202611-0001/1", ("RK-202611-0001", 1)),
        ("DB-202611-0002/12", ("DB-202611-0002", 12)),
        ("a/b/3", ("a/b", 3)),
        ("RK-202611-0001", None),
        ("/1", None),
        (None, None),
    ],
)
def test_split_entry(entry, split):
    assert split_entry(entry) == split
    if split:
        assert entry_of(*split) == entry


def test_the_stock_register_validates_a_row_with_its_checks():
    clean, problems = validate_row(
        STOCK, {"entry": "RK-1/1", "at": "2026-11-20 10:00", "kind": "入库", "part_no": "000101",
                "warehouse": "WH01", "qty": "-3"}
    )  # fmt: skip
    assert clean["kind"] == "receipt"
    assert [p.code for p in problems] == ["parts.err.qty_in"]


def _m(at, seq, qty, doc, new=False):
    return Move(at, seq, qty, doc, new)


@pytest.mark.parametrize(
    ("opening", "moves", "expected"),
    [
        # enough stock: nothing to say
        (2, [_m(D2, 10, -2, "LY-9", True)], None),
        # the new issue itself goes below zero on its date
        (1, [_m(D2, 10, -3, "LY-9", True)], Shortfall(D2, 2, "LY-9", None)),
        # a back-dated issue is fine on its date, but breaks a later issue
        (
            3,
            [_m(D1, 11, -2, "LY-9", True), _m(D3, 5, -2, "LY-5")],
            Shortfall(D3, 1, "LY-9", "LY-5"),
        ),
        # ... and the worst point counts, not the first
        (
            3,
            [_m(D1, 11, -2, "LY-9", True), _m(D3, 5, -2, "LY-5"), _m(D4, 6, -1, "LY-6")],
            Shortfall(D3, 2, "LY-9", "LY-5"),
        ),
        # a receipt in between saves the later issue
        (
            3,
            [_m(D1, 11, -2, "LY-9", True), _m(D2, 4, 5, "RK-4"), _m(D3, 5, -2, "LY-5")],
            None,
        ),
        # rows before the new one are counted, not judged (the opening was negative)
        (-1, [_m(D1, 3, 1, "RK-3"), _m(D2, 10, 1, "RK-9", True)], None),
        # same moment: rows already posted come first, whatever their row id (a writer
        # that took its id before another committed is judged after it), then the id
        (0, [_m(D2, 11, -1, "LY-9", True), _m(D2, 10, 1, "RK-8")], None),
        (0, [_m(D2, 9, -1, "LY-9", True), _m(D2, 10, 1, "RK-8")], None),
        (1, [_m(D2, 9, -1, "LY-9", True), _m(D2, 10, -1, "LY-8")], Shortfall(D2, 1, "LY-9", None)),
        (
            0,
            [_m(D2, 9, -1, "LY-9", True), _m(D2, 10, 1, "LY-9", True)],
            Shortfall(D2, 1, "LY-9", None),
        ),
        # an undo judged from a zero-quantity marker at the undone row's date
        (
            0,
            [_m(D1, -1, 0, "RK-1", True), _m(D2, 5, -2, "LY-5")],
            Shortfall(D2, 2, "RK-1", "LY-5"),
        ),
    ],
)
def test_first_shortfall(opening, moves, expected):
    assert first_shortfall(opening, moves) == expected


@pytest.mark.parametrize(
    ("moves", "qty", "avg", "value"),
    [
        ([], 0, Decimal("0"), Decimal("0.00")),
        ([("receipt", 10, Decimal("100"))], 10, Decimal("100"), Decimal("1000.00")),
        # second receipt at another price re-averages: (10×100 + 10×130) / 20
        (
            [("receipt", 10, Decimal("100")), ("receipt", 10, Decimal("130"))],
            20,
            Decimal("115"),
            Decimal("2300.00"),
        ),
        # issues and returns move at the average; the average stays
        (
            [("receipt", 10, Decimal("100")), ("issue", -4, None), ("return", 1, None),
             ("receipt", 3, Decimal("90"))],
            10,
            Decimal("97.0000"),  # (7×100 + 3×90) / 10
            Decimal("970.00"),
        ),
        # a transfer's two rows net out
        (
            [("receipt", 3, Decimal("10")), ("transfer", -2, None), ("transfer", 2, None),
             ("receipt", 1, Decimal("20"))],
            4,
            Decimal("12.5000"),
            Decimal("50.00"),
        ),
        # rounding to 4 places: (1×1 + 2×2) / 3 = 1.6667
        (
            [("receipt", 1, Decimal("1")), ("receipt", 2, Decimal("2"))],
            3,
            Decimal("1.6667"),
            Decimal("5.00"),
        ),
        # stock ran out: the next receipt sets the cost
        (
            [("receipt", 2, Decimal("10")), ("issue", -2, None), ("receipt", 1, Decimal("40"))],
            1,
            Decimal("40"),
            Decimal("40.00"),
        ),
        # faulty-part returns are not valued stock
        (
            [("receipt", 2, Decimal("10")), ("faulty_return", 1, None)],
            2,
            Decimal("10"),
            Decimal("20.00"),
        ),
    ],
)  # fmt: skip
def test_moving_average(moves, qty, avg, value):
    got = moving_average(moves)
    assert (got.qty, got.avg_cost, got.value) == (qty, avg, value)


@pytest.mark.parametrize(
    ("on_hand", "on_order", "reserved", "point", "lot", "projected", "alert", "qty"),
    [
        (10, 0, 0, 5, 10, 10, False, 0),
        (5, 0, 0, 5, 10, 5, True, 10),  # at the point: alert
        (2, 0, 0, 5, 10, 2, True, 10),
        (2, 0, 0, 20, 10, 2, True, 18),  # reorder point − projected beats the lot
        (2, 3, 0, 5, 10, 5, True, 10),  # on order counts
        (8, 0, 4, 5, 3, 4, True, 3),  # reserved is taken off
        (0, 0, 2, 0, 5, -2, True, 5),
        (0, 0, 6, 2, 1, -6, True, 8),
    ],
)
def test_reorder(on_hand, on_order, reserved, point, lot, projected, alert, qty):
    assert reorder(on_hand, on_order, reserved, point, lot) == Reorder(projected, alert, qty)


@pytest.mark.parametrize(
    ("book", "counted", "now", "choice", "adjust"),
    [
        (10, 8, 10, "keep_count", -2),
        (10, 8, 10, "keep_difference", -2),  # unmoved: both agree
        (10, 8, 7, "keep_count", 1),  # 3 issued after the snapshot; shelf holds 8 now
        (10, 8, 7, "keep_difference", -2),  # the 2 missing at the count stay missing
        (0, 3, 0, "keep_count", 3),
    ],
)
def test_take_adjustment(book, counted, now, choice, adjust):
    assert take_adjustment(book, counted, now, choice) == adjust


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (D1, D2, 24.0),
        (D1, D1 + dt.timedelta(minutes=90), 1.5),
        (D1, D4, 72.0),
    ],
)
def test_hours_between(start, end, hours):
    assert hours_between(start, end) == hours


@pytest.mark.parametrize(
    ("hours", "limit", "share"),
    [
        ([], 72, None),
        ([10, 72, 73], 72, 0.6667),
        ([1, 2], 48, 1.0),
        ([49], 48, 0.0),
    ],
)
def test_share_within(hours, limit, share):
    assert share_within(hours, limit) == share
