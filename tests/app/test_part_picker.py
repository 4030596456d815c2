"""The service report's part picker: an engineer types a fragment of a part's number,
name or model, sees the hits with what his van holds and the price, adds a line that
leaves his van in the same save; a part outside the catalogue needs its reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from data_access import db
from data_access import parts as stock
from data_access.lines import list_lines
from data_access.models import Customer, Part, Ticket, User, Warehouse
from data_access.parts import Line
from tests.actors import ADMIN
from tests.app.conftest import CLOCK, signed_in

NO = "SR-P1"


@pytest.fixture
def picker_db(app_db):
    """The engineer's ticket SR-P1; his van VAN-1 holds 2 spindle bearings (000101);
    the store also has emergency stops (000108), none on the van."""
    with db.write(app_db) as s:
        eng = s.execute(select(User.id).where(User.username == "engineer")).scalar_one()
        c = Customer(code="C1", name="华东精密")
        s.add_all([
            c,
            Warehouse(code="WH01", name="中心库", kind="central", active=True),
            Warehouse(code="VAN-1", name="张伟车载库存", kind="van", user_id=eng, active=True),
            Part(part_no="000101", name="主轴前轴承", name_en="Spindle bearing", uom="个",
                 spec="7014C", compatible_models="VMC850,VMC1060", unit_cost=Decimal("100"),
                 price=Decimal("145"), on_hand=0, active=True),
            Part(part_no="000108", name="急停按钮", name_en="Emergency stop", uom="个",
                 unit_cost=Decimal("48"), price=Decimal("70"), on_hand=0, active=True),
            Part(part_no="000199", name="旧款轴承", uom="个", active=False),
        ])  # fmt: skip
        s.flush()
        s.add(Ticket(ticket_no=NO, customer_id=c.id, priority="standard", channel="phone",
                     status="on_site", fault_description="主轴异响", engineer_id=eng,
                     received_at=CLOCK - dt.timedelta(days=1)))  # fmt: skip
    with db.write(app_db) as s:
        at = CLOCK - dt.timedelta(days=5)
        stock.post_document(s, "receipt", "WH01", [Line("000101", 8), Line("000108", 20)],
                            at=at, actor=ADMIN, now=CLOCK)  # fmt: skip
        stock.post_document(s, "transfer", "WH01", [Line("000101", 2)], at=at, actor=ADMIN,
                            now=CLOCK, to_warehouse="VAN-1")  # fmt: skip
    return app_db


def open_report(username: str = "engineer", lang: str = "en"):
    at = signed_in(username, lang)
    at.switch_page("pages/tickets.py").run()
    next(r for r in at.radio if r.key.startswith("tickets.view")).set_value("detail").run()
    at.text_input(key="tickets.detail_no").input(NO).run()
    assert not at.exception, at.exception
    return at


def widget(widgets, suffix: str):
    return next(w for w in widgets if (w.key or "").startswith("tickets.pick.") and
                w.key.endswith(suffix))  # fmt: skip


def lines(engine) -> list[tuple]:
    with db.read(engine) as s:
        rows = list_lines(s, "ticket_parts", NO)
    return [(r["part_no"], r["qty"], r["non_catalogue"], r["non_catalogue_reason"]) for r in rows]


def van(engine) -> int:
    with db.read(engine) as s:
        return stock.part_card(s, "000101", ADMIN)["balances"].get("VAN-1", 0)


def test_without_a_fragment_the_picker_lists_the_van(picker_db):
    at = open_report()
    hits = widget(at.radio, ".part")
    assert hits.options == ["000101 Spindle bearing · 7014C · on van 2 · ¥145.00"]


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("0001", "000101"),  # the start of a number
        ("轴承", "000101"),  # two characters of a name (the inactive 000199 is not offered)
        ("Emergency", "000108"),  # the English name
        ("VMC1060", "000101"),  # a compatible model
        ("000108", "000108"),  # the exact number first
    ],
)
def test_typing_a_fragment_finds_parts_by_number_name_or_model(picker_db, typed, first):
    at = open_report()
    widget(at.text_input, ".q").input(typed).run()
    hits = widget(at.radio, ".part")
    assert hits.options[0].startswith(first)
    assert not any("000199" in o for o in hits.options)
    if typed == "0001":  # parts on the van first, each with its van stock and price
        assert hits.options == [
            "000101 Spindle bearing · 7014C · on van 2 · ¥145.00",
            "000108 Emergency stop · on van 0 · ¥70.00",
        ]


def test_picking_a_part_adds_a_line_that_leaves_the_van(picker_db):
    at = open_report()
    widget(at.text_input, ".q").input("轴承").run()
    widget(at.number_input, ".qty").set_value(2).run()
    widget(at.button, ".add").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert lines(picker_db) == [("000101", 2, False, None)]
    assert van(picker_db) == 0
    assert any("Added 000101 × 2" in s.value for s in at.success)
    assert widget(at.text_input, ".q").value == ""  # a fresh picker for the next part


def test_more_than_the_van_holds_is_refused_and_nothing_is_saved(picker_db):
    at = open_report()
    widget(at.text_input, ".q").input("000101").run()
    widget(at.number_input, ".qty").set_value(3).run()
    assert any("holds only 2" in w.value for w in at.warning)
    widget(at.button, ".add").click().run()
    assert any("000101" in e.value and "VAN-1" in e.value for e in at.error)
    assert lines(picker_db) == [] and van(picker_db) == 2


def test_a_non_catalogue_part_needs_a_reason(picker_db):
    at = open_report("engineer", "zh")
    widget(at.toggle, ".nc").set_value(True).run()
    widget(at.text_input, ".nc_no").input("X-77").run()
    widget(at.button, ".add").click().run()
    assert lines(picker_db) == []
    assert any("目录外原因" in str(df.value.to_dict("records")) for df in at.dataframe) or any(
        "原因" in e.value for e in at.error
    )
    widget(at.text_input, ".nc_reason").input("客户自购").run()
    widget(at.button, ".add").click().run()
    assert lines(picker_db) == [("X-77", 1, True, "客户自购")]
    assert van(picker_db) == 2  # nothing leaves stock


def test_a_reader_gets_no_picker(picker_db):
    at = open_report("quality")
    assert not [w for w in at.text_input if (w.key or "").startswith("tickets.pick.")]
