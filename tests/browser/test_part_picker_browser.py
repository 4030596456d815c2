"""The service report's part picker on a phone-sized screen: an engineer at the machine
opens his ticket, types part of a name, picks the part his van holds and adds it; the
picker fits the screen's width."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select

from data_access import db
from data_access import parts as stock
from data_access.lines import list_lines
from data_access.models import Customer, Part, Ticket, User, Warehouse
from data_access.parts import Line
from rules.i18n import t
from tests.actors import ADMIN
from tests.browser.conftest import PASSWORD, PHONE, assert_no_exception, wait_idle

# one module on one worker: its tests share the module's app server
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group(__name__)]

NO = "SR-PICK-1"


@pytest.fixture(scope="module")
def van_ticket(served_app) -> Iterator[dict]:
    engine = db.make_engine(served_app["db_url"])
    moment = dt.datetime.now().replace(microsecond=0) - dt.timedelta(days=2)
    with db.write(engine) as s:
        eng = s.execute(select(User.id).where(User.username == "engineer")).scalar_one()
        c = Customer(code="PK1", name="拣件测试客户", grade="A", region="华东")
        s.add_all([
            c,
            Warehouse(code="PK-WH", name="中心库", kind="central", active=True),
            Warehouse(code="PK-VAN", name="车载库存", kind="van", user_id=eng, active=True),
            Part(part_no="PK-0101", name="主轴前轴承", uom="个", unit_cost=Decimal("100"),
                 price=Decimal("145"), on_hand=0, active=True),
        ])  # fmt: skip
        s.flush()
        s.add(Ticket(ticket_no=NO, customer_id=c.id, priority="standard", channel="phone",
                     status="on_site", fault_description="主轴异响", engineer_id=eng,
                     received_at=moment))  # fmt: skip
    with db.write(engine) as s:
        stock.post_document(s, "receipt", "PK-WH", [Line("PK-0101", 5)], at=moment,
                            actor=ADMIN, now=moment)  # fmt: skip
        stock.post_document(s, "transfer", "PK-WH", [Line("PK-0101", 2)], at=moment,
                            actor=ADMIN, now=moment, to_warehouse="PK-VAN")  # fmt: skip
    yield {**served_app, "engine": engine}
    engine.dispose()


def test_an_engineer_adds_a_part_from_his_phone(van_ticket, phone):
    phone.goto(f"{van_ticket['url']}/tickets?ticket={NO}")  # the link survives the log-in
    phone.get_by_label("用户名").fill("engineer")
    phone.get_by_label("密码").fill(PASSWORD)
    phone.get_by_role("button", name="登录").click()
    box = phone.get_by_label(t("tickets.pick.search", "zh"))
    box.wait_for()
    box.fill("轴承")
    box.press("Enter")
    wait_idle(phone)
    label = "PK-0101 主轴前轴承 · " + t("tickets.pick.on_van", "zh", n=2) + " · ¥145.00"
    phone.get_by_text(label).wait_for()
    add = phone.get_by_role("button", name=t("tickets.pick.add", "zh"))
    add.scroll_into_view_if_needed()
    found = add.bounding_box()
    assert found and found["x"] >= 0 and found["x"] + found["width"] <= PHONE["width"]
    overflow = phone.evaluate("document.documentElement.scrollWidth")
    assert overflow <= PHONE["width"], overflow  # nothing wider than the phone
    add.click()
    phone.get_by_text(t("tickets.pick.added", "zh", value="PK-0101", n=1)).wait_for()
    assert_no_exception(phone, "part picker")
    with db.read(van_ticket["engine"]) as s:
        lines = list_lines(s, "ticket_parts", NO)
        van = stock.part_card(s, "PK-0101", ADMIN)["balances"]["PK-VAN"]
    assert [(r["part_no"], r["qty"]) for r in lines] == [("PK-0101", 1)]
    assert van == 1
