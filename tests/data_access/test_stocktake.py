"""Stock-take (盘点) on both databases: book frozen at the snapshot, the count sheet's
round trip (blank = not counted), bad sheets refused by row and column, rows moved
after the snapshot needing a choice, approval posting adjustments until book = physical."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import select

from data_access import db
from data_access import parts as stock
from data_access import stocktake as st
from data_access.errors import InvalidInput, NotAllowed, Refused
from data_access.models import StockMovement, StockTake
from data_access.parts import Line
from imports.count_sheet import count_sheet_bytes, read_counts
from rules.access import Actor, Role
from tests.actors import ADMIN
from tests.data_access.test_parts import D1, NOW, agree, on_hand, post, store  # noqa: F401

SNAP = dt.datetime(2026, 11, 21, 17, 0)  # after the receipts were written (NOW)
LATER = dt.datetime(2026, 11, 22, 9, 0)


@pytest.fixture
def take(store):  # noqa: F811 (the fixture of test_parts)
    engine, keeper, users = store
    post(engine, "receipt", "WH01", [Line("000101", 10), Line("000108", 5)], at=D1)
    with db.write(engine) as s:
        no = st.create_take(s, ["WH01"], actor=keeper, now=SNAP)
    return engine, keeper, no


def sheet(engine, no, keeper, fill: dict[str, object] | None = None, edit=None) -> bytes:
    with db.read(engine) as s:
        data = count_sheet_bytes(s, no, actor=keeper, lang="zh")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.active
    for row in ws.iter_rows(min_row=2):
        part = row[2].value
        if fill and part in fill:
            row[5].value = fill[part]
        if edit:
            edit(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def record(engine, no, keeper, data):
    name, counts = read_counts(data)
    with db.write(engine) as s:
        return st.record_counts(s, no, counts, actor=keeper, sheet=name)


def report(engine, no):
    with db.read(engine) as s:
        return {r["part_no"]: r for r in st.take_lines(s, no, ADMIN)}


def test_count_sheet_round_trip_and_approval_until_book_equals_physical(take):
    engine, keeper, no = take
    assert no == "PD-202611-01"
    data = sheet(engine, no, keeper, {"000101": 8, "000108": 5})
    assert record(engine, no, keeper, data) == 2  # the row with no difference is kept too
    rows = report(engine, no)
    assert [(r["book_qty"], r["counted_qty"], r["diff"], r["value"]) for r in rows.values()] == [
        (10, 8, -2, -200), (5, 5, 0, 0)
    ]  # fmt: skip
    with db.write(engine) as s:
        doc = st.approve_take(s, no, actor=keeper, now=LATER)
    assert on_hand(engine) == {"WH01": 8} and agree(engine)
    with db.read(engine) as s:
        moves = s.execute(select(StockMovement.kind, StockMovement.qty, StockMovement.reference)
                          .where(StockMovement.doc_no == doc)).all()  # fmt: skip
        status = s.execute(select(StockTake.status)).scalar_one()
    assert moves == [("adjust", -2, no)] and status == "posted"
    with pytest.raises(Refused) as err, db.write(engine) as s:
        st.approve_take(s, no, actor=keeper, now=LATER)
    assert err.value.code == "parts.err.take_posted"


def test_blank_means_not_counted(take):
    engine, keeper, no = take
    assert record(engine, no, keeper, sheet(engine, no, keeper, {"000101": 9})) == 1
    assert report(engine, no)["000108"]["counted_qty"] is None
    with db.write(engine) as s:
        st.approve_take(s, no, actor=keeper, now=LATER)
    assert on_hand(engine) == {"WH01": 9} and on_hand(engine, "000108") == {"WH01": 5}


def test_a_sheet_of_another_take_is_refused(take):
    engine, keeper, no = take
    with db.write(engine) as s:
        other = st.create_take(s, ["WH01"], actor=keeper, now=SNAP)
    data = sheet(engine, other, keeper, {"000101": 1})
    with pytest.raises(InvalidInput) as err:
        record(engine, no, keeper, data)
    got = {(p.sheet, p.row, p.field, p.code) for p in err.value.problems}
    assert (other, 2, "take_no", "parts.err.take_other") in got
    assert report(engine, no)["000101"]["counted_qty"] is None


def test_an_edited_book_column_is_refused_and_nothing_recorded(take):
    engine, keeper, no = take

    def edit(row):
        if row[2].value == "000108":
            row[4].value = 6

    data = sheet(engine, no, keeper, {"000101": 7, "000108": 6}, edit)
    with pytest.raises(InvalidInput) as err:
        record(engine, no, keeper, data)
    assert [(p.row, p.field, p.code, p.params) for p in err.value.problems] == [
        (3, "book", "parts.err.take_book_edited", {"expected": 5})
    ]
    assert report(engine, no)["000101"]["counted_qty"] is None  # all or nothing


@pytest.mark.parametrize(("value", "code"), [(-1, "parts.err.counted_negative"), ("x", "err.int")])
def test_bad_counts_are_refused(take, value, code):
    engine, keeper, no = take
    with pytest.raises(InvalidInput) as err:
        record(engine, no, keeper, sheet(engine, no, keeper, {"000101": value}))
    assert [(p.row, p.field, p.code) for p in err.value.problems] == [(2, "counted", code)]


@pytest.mark.parametrize(("choice", "after"), [("keep_count", 8), ("keep_difference", 5)])
def test_a_row_moved_after_the_snapshot_needs_a_choice(take, choice, after):
    engine, keeper, no = take
    record(engine, no, keeper, sheet(engine, no, keeper, {"000101": 8}))
    with db.write(engine) as s:  # 3 issued after the count
        stock.post_document(s, "issue", "WH01", [Line("000101", 3)], at=LATER, actor=ADMIN,
                            now=LATER)  # fmt: skip
    assert report(engine, no)["000101"]["moved"] is True
    with pytest.raises(InvalidInput) as err, db.write(engine) as s:
        st.approve_take(s, no, actor=keeper, now=LATER + dt.timedelta(hours=1))
    assert [p.code for p in err.value.problems] == ["parts.err.take_choice"]
    with db.write(engine) as s:
        st.approve_take(s, no, actor=keeper, now=LATER + dt.timedelta(hours=1),
                        choices={("WH01", "000101"): choice})  # fmt: skip
    assert on_hand(engine) == {"WH01": after} and agree(engine)


def test_only_the_keeper_side_takes_stock(take):
    engine, _, no = take
    with pytest.raises(NotAllowed), db.write(engine) as s:
        st.create_take(s, ["WH01"], actor=Actor(None, Role.ENGINEER), now=SNAP)
