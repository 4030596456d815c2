"""A person takes a call in a real browser: new ticket → dispatch → on site → repaired."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from data_access import db
from data_access.models import Customer, Device, Ticket
from rules.i18n import t
from rules.tickets import TICKETS
from tests.browser.conftest import assert_no_exception, login, wait_idle

# one module on one worker: its tests share the module's app server
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group(__name__)]


def _seed(db_url: str) -> None:
    engine = db.make_engine(db_url)
    with db.write(engine) as s:
        if s.scalar(select(Customer.id).where(Customer.code == "B007")) is None:
            c = Customer(code="B007", name="浏览器测试客户", grade="A", region="华东")
            s.add(c)
            s.flush()
            s.add(
                Device(
                    serial_no="0098765",
                    customer_id=c.id,
                    warranty_end=dt.date.today() + dt.timedelta(days=100),
                )
            )
    engine.dispose()


def _click(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    wait_idle(page)


def test_new_ticket_dispatch_and_repair(served_app, page):
    _seed(served_app["db_url"])
    login(page, served_app["url"], "agent")
    page.locator('[data-testid="stSidebarNav"]').get_by_role(
        "link", name=t("page.tickets", "zh")
    ).click()
    page.get_by_role("heading", name=t("page.tickets", "zh")).first.wait_for()
    page.get_by_text(t("tickets.tab.new", "zh"), exact=True).click()
    wait_idle(page)
    page.get_by_label(TICKETS.field("fault_description").zh).fill("主轴异响，运行中停机")
    _click(page, t("tickets.new.submit", "zh"))
    page.get_by_text("已创建工单").wait_for()
    assert_no_exception(page, "intake")

    _click(page, t("tickets.detail.dispatch", "zh"))
    page.get_by_text("已派给").wait_for()
    for status in ("现场处理中", "已修复"):
        _click(page, t("tickets.detail.to", "zh", value=status))
        page.get_by_text(t("tickets.detail.changed", "zh", value=status)).wait_for()
    assert_no_exception(page, "detail")

    engine = db.make_engine(served_app["db_url"])
    with db.read(engine) as s:
        ticket = s.scalars(select(Ticket).order_by(Ticket.id.desc())).first()
        assert ticket.status == "repaired"
        assert ticket.engineer_id is not None
        assert ticket.resolved_at is not None
    engine.dispose()
