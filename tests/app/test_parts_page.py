"""The spare-parts page: stock by warehouse with filters, a part's card with its ledger
and chart, posting a receipt and a transfer, reorder suggestions with their export;
an engineer sees their van only and posts nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from data_access import db
from data_access import parts as stock
from data_access.models import Part, StockMovement, User, Warehouse
from data_access.parts import Line
from tests.actors import ADMIN
from tests.app.conftest import CLOCK, signed_in


@pytest.fixture
def parts_db(app_db):
    with db.write(app_db) as s:
        eng = s.execute(select(User.id).where(User.username == "engineer")).scalar_one()
        s.add_all([
            Warehouse(code="WH01", name="中心库", kind="central", active=True),
            Warehouse(code="VAN-1", name="张伟车载库存", kind="van", user_id=eng, active=True),
            Part(part_no="000101", name="主轴前轴承", name_en="Spindle bearing", uom="个",
                 unit_cost=Decimal("100"), price=Decimal("145"), is_key=True, reorder_point=5,
                 reorder_qty=10, on_hand=0, active=True),
            Part(part_no="000108", name="急停按钮", uom="个", unit_cost=Decimal("48"),
                 price=Decimal("70"), reorder_point=2, reorder_qty=5, on_hand=0, active=True),
        ])  # fmt: skip
    with db.write(app_db) as s:
        at = CLOCK - dt.timedelta(days=5)
        stock.post_document(s, "receipt", "WH01", [Line("000101", 8), Line("000108", 20)],
                            at=at, actor=ADMIN, now=CLOCK)  # fmt: skip
        stock.post_document(s, "transfer", "WH01", [Line("000101", 2)], at=at, actor=ADMIN,
                            now=CLOCK, to_warehouse="VAN-1")  # fmt: skip
    return app_db


def open_parts(username: str, lang: str = "en"):
    at = signed_in(username, lang)
    at.switch_page("pages/parts.py").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]  # guarded() shows what it caught
    return at


def tab(at, name: str):
    """Open a tab by name (only the open tab runs)."""
    at.session_state["parts.open_tab"] = name
    at.run()
    assert not at.exception, at.exception
    return at


def table(at, index: int) -> list[dict]:
    return at.dataframe[index].value.to_dict("records")


def test_keeper_sees_stock_filters_and_posts_a_receipt(parts_db):
    at = open_parts("parts_keeper")
    tabs = [t.label for t in at.tabs]
    assert tabs == ["Stock", "Part card", "Parts master", "Stock documents", "Stock-take",
                    "Reorder", "Stock ledger", "Warehouses"]  # fmt: skip
    rows = table(at, 0)
    assert [(r["Warehouse"], r["Part no."], r["Qty"]) for r in rows] == [
        ("VAN-1", "000101", 2), ("WH01", "000101", 6), ("WH01", "000108", 20)
    ]  # fmt: skip
    at.checkbox(key="parts.onhand.key").check().run()
    assert [r["Part no."] for r in table(at, 0)] == ["000101", "000101"]
    at.checkbox(key="parts.onhand.key").uncheck().run()
    at.checkbox(key="parts.onhand.below").check().run()
    assert [(r["Warehouse"], r["Part no."]) for r in table(at, 0)] == [("VAN-1", "000101")]
    at.checkbox(key="parts.onhand.below").uncheck().run()

    # a receipt through the document form
    tab(at, "document")
    at.selectbox(key="parts.doc.kind").set_value("receipt").run()
    at.text_input(key="parts.doc.supplier").input("原厂备件中心")
    grid = next(e for e in at.data_editor if e.key.startswith("parts.doc.lines."))
    at.session_state[grid.key] = {"edited_rows": {}, "deleted_rows": [],
                                  "added_rows": [{"part_no": "000108", "qty": 5}]}  # fmt: skip
    at.button(key="parts.doc.post").click().run()
    assert not at.exception, at.exception
    assert any("Posted: RK" in s.value for s in at.success)
    with db.read(parts_db) as s:
        rows = s.execute(select(StockMovement.kind, StockMovement.qty, StockMovement.supplier)
                         .where(StockMovement.doc_no.like("RK-202611-0002%"))).all()  # fmt: skip
        assert rows == [("receipt", 5, "原厂备件中心")]
        assert stock.balances_agree(s)


def test_an_issue_beyond_stock_is_refused_in_words(parts_db):
    at = tab(open_parts("parts_keeper"), "document")
    at.selectbox(key="parts.doc.kind").set_value("scrap").run()
    at.selectbox(key="parts.doc.reason").set_value("damaged")
    grid = next(e for e in at.data_editor if e.key.startswith("parts.doc.lines."))
    at.session_state[grid.key] = {"edited_rows": {}, "deleted_rows": [],
                                  "added_rows": [{"part_no": "000101", "qty": 9}]}  # fmt: skip
    at.button(key="parts.doc.post").click().run()
    assert not at.exception, at.exception
    assert any("short by 3" in e.value and "000101" in e.value for e in at.error)


def test_part_card_shows_ledger_and_chart(parts_db):
    at = open_parts("manager")
    at.checkbox(key="parts.onhand.value").check().run()
    assert any("Stock value in total: 1,760.00" in c.value for c in at.caption)
    tab(at, "card")
    at.text_input(key="parts.card.part_no").input("000101").run()
    assert not at.exception, at.exception
    assert "000101" in at.subheader[0].value
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Qty"] == "8" and metrics["Moving-average cost"] == "100.00"
    assert len(at.get("vega_lite_chart")) == 1
    ledger = [d for d in at.dataframe if "Doc/line" in d.value.columns][0].value
    assert sorted(ledger["Qty"].tolist()) == [-2, 2, 8]


def test_reorder_suggestions_are_checked_ordered_and_exported(parts_db):
    at = tab(open_parts("parts_keeper"), "reorder")
    frame = [d for d in at.dataframe if "Suggested qty" in d.value.columns][0].value
    assert frame.to_dict("records") == []  # 8 of 000101 above its point 5
    with db.write(parts_db) as s:
        stock.post_document(s, "issue", "WH01", [Line("000101", 4)], at=CLOCK, actor=ADMIN,
                            now=CLOCK)  # fmt: skip
    at.button(key="parts.reorder.check").click().run()
    assert any("1 new suggestions" in m.value for m in at.success)
    frame = [d for d in at.dataframe if "Suggested qty" in d.value.columns][0].value
    got = frame[["Status", "Part no.", "On hand", "Projected", "Suggested qty"]].values.tolist()
    assert got == [["To order", "000101", 4, 4, 10]]
    assert any(b.key == "parts.reorder.export" for b in at.get("download_button"))
    at.text_input(key="parts.reorder.ref").input("PO-7").run()
    at.button(key="parts.reorder.mark").click().run()
    assert not at.exception, at.exception
    frame = [d for d in at.dataframe if "Suggested qty" in d.value.columns][0].value
    assert frame[["Status", "Purchase order no."]].values.tolist() == [
        ["Ordered (on order)", "PO-7"]
    ]


def test_engineer_sees_their_van_only_and_posts_nothing(parts_db):
    at = open_parts("engineer")
    assert [t.label for t in at.tabs] == ["My tickets' parts", "Stock", "Part card", "Parts master"]
    assert any("No part lines" in i.value for i in at.info)
    tab(at, "stock")
    assert [(r["Warehouse"], r["Qty"]) for r in table(at, 0)] == [("VAN-1", 2)]
    tab(at, "card")
    at.text_input(key="parts.card.part_no").input("000101").run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Qty"] == "2"


def test_keeper_opens_a_stock_take_and_sees_the_frozen_book(parts_db):
    at = tab(open_parts("parts_keeper"), "stocktake")
    assert any("No stock-take yet" in c.value for c in at.caption)
    at.multiselect(key="parts.take.warehouses").set_value(["WH01"]).run()
    at.button(key="parts.take.new").click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key="parts.take.no").value == "PD-202611-01"
    frame = [d for d in at.dataframe if "Book qty" in d.value.columns][0].value
    got = frame[["Part no.", "Book qty"]].values.tolist()
    assert got == [["000101", 6], ["000108", 20]]
    assert any(b.key == "parts.take.sheet" for b in at.get("download_button"))
    at.button(key="parts.take.approve").click().run()  # nothing counted: book stays
    assert not at.exception, at.exception
    assert any("PD-202611-01" in s.value for s in at.success)
    with db.read(parts_db) as s:
        assert stock.balances_agree(s)


def test_a_part_link_opens_its_card_first(parts_db):
    """``/parts?part=000101`` (a search hit, a notification): the card comes first, filled."""
    at = signed_in("manager", "en")
    at.query_params["part"] = "000101"
    at.switch_page("pages/parts.py").run()
    assert not at.exception, at.exception
    assert at.tabs[0].label == "Part card"
    assert at.text_input(key="parts.card.part_no").value == "000101"
    assert "000101" in at.subheader[0].value


def test_engineer_sees_what_to_pick_up_for_his_tickets(parts_db):
    from data_access.models import Customer, Ticket, TicketPart

    with db.write(parts_db) as s:
        eng = s.execute(select(User.id).where(User.username == "engineer")).scalar_one()
        c = Customer(code="C9", name="华东精密")
        s.add(c)
        s.flush()
        t = Ticket(ticket_no="SR-9", customer_id=c.id, priority="standard", channel="phone",
                   status="waiting_parts", fault_description="异响", engineer_id=eng,
                   received_at=CLOCK - dt.timedelta(days=1))  # fmt: skip
        s.add(t)
        s.flush()
        part = dict(s.execute(select(Part.part_no, Part.id)).all())
        s.add_all([
            TicketPart(ticket_id=t.id, line_no=1, part_id=part["000101"], part_no="000101",
                       description="主轴前轴承", qty=3),
            TicketPart(ticket_id=t.id, line_no=2, part_id=part["000108"], part_no="000108",
                       description="急停按钮", qty=1),
        ])  # fmt: skip
    at = open_parts("engineer")
    rows = table(at, 0)
    assert [(r["Ticket no."], r["Part no."], r["On my van"], r["To pick up"]) for r in rows] == [
        ("SR-9", "000101", 2, "⚠ Yes"), ("SR-9", "000108", 0, "⚠ Yes"),
    ]  # fmt: skip
    assert any("2 lines not issued" in w.value for w in at.warning)


def test_only_the_open_tab_runs_and_the_ledger_lists_the_latest_first(parts_db):
    at = open_parts("parts_keeper")
    assert not [w for w in at.text_input if w.key == "parts.card.part_no"]  # card not run
    tab(at, "ledger")
    ledger = [d for d in at.dataframe if "Doc/line" in d.value.columns][0].value
    # the latest entered first: the transfer's two rows, then the receipt's lines
    assert ledger["Qty"].tolist() == [2, -2, 20, 8]
    assert not [b for b in at.button if b.key == "parts.ledger.more"]  # one page only
    at.multiselect(key="parts.stock.kind.en").set_value(["receipt"]).run()
    ledger = [d for d in at.dataframe if "Doc/line" in d.value.columns][0].value
    assert ledger["Part no."].tolist() == ["000108", "000101"]


def test_the_card_shows_a_new_movement_at_the_next_rerun(parts_db):
    at = tab(open_parts("manager"), "card")
    at.text_input(key="parts.card.part_no").input("000101").run()
    assert {m.label: m.value for m in at.metric}["Qty"] == "8"
    at.run()  # nothing moved: the kept card is shown again
    assert {m.label: m.value for m in at.metric}["Qty"] == "8"
    with db.write(parts_db) as s:
        stock.post_document(s, "issue", "WH01", [Line("000101", 3)], at=CLOCK, actor=ADMIN,
                            now=CLOCK)  # fmt: skip
    at.run()
    assert {m.label: m.value for m in at.metric}["Qty"] == "5"
    ledger = [d for d in at.dataframe if "Doc/line" in d.value.columns][0].value
    assert ledger["Qty"].tolist()[0] == -3
