"""The public scan-to-report pages in Chromium on a phone-sized screen: a customer's
operator reports a fault from a device's link and looks the ticket up; a dead link and a
wrong phone get the polite answers; nothing of the staff app is reachable from there."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from data_access import db
from data_access import public_intake as P
from data_access.models import Customer, Device, ProductModel, Ticket
from tests.actors import ADMIN
from tests.browser.conftest import PHONE, assert_no_exception, wait_rendered

# one module on one worker: its tests share the module's app server
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group(__name__)]


@pytest.fixture(scope="module")
def linked(served_app) -> Iterator[dict]:
    engine = db.make_engine(served_app["db_url"])
    with db.write(engine) as s:
        c = Customer(code="QR1", name="苏州恒达精密机械有限公司", grade="A", region="华东")
        m = ProductModel(code="LC-3015", name="光纤激光切割机 3015（3kW）", warranty_months=12)
        s.add_all([c, m])
        s.flush()
        d = Device(serial_no="LC26000123", customer_id=c.id, model_id=m.id, location="钣金车间")
        s.add(d)
        s.flush()
        token = P.issue_token(s, d.id, actor=ADMIN, now=dt.datetime(2026, 11, 23, 9))
    yield {**served_app, "engine": engine, "token": token}
    engine.dispose()


def open_public(page, url: str) -> None:
    page.goto(url)
    page.locator('[data-testid="stApp"]').wait_for()
    wait_rendered(page)


def test_report_from_a_phone_then_look_it_up(linked, phone):
    open_public(phone, f"{linked['url']}/?r={linked['token']}")
    phone.get_by_role("heading", name="设备报修").wait_for()
    phone.get_by_role("button", name="提交报修").wait_for()
    wait_rendered(phone)
    body = phone.locator('[data-testid="stApp"]').inner_text()
    assert "光纤激光切割机" in body and "0123" in body and "钣金车间" in body
    assert "LC26000123" not in body and "苏州恒达" not in body  # no more than model and site
    assert "服务工单" not in body and "登录" not in body  # no menu, no log-in
    # phone-sized: nothing wider than the screen
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.get_by_label("联系人").fill("张伟")
    phone.get_by_label("手机或电话").first.fill("138 1234 5678")
    phone.get_by_label("故障描述").fill("切割头撞板后报警，无法随动，设备停机")
    phone.get_by_text("设备停机，急需处理").click()
    phone.get_by_role("button", name="提交报修").click()
    done = phone.get_by_text("报修已提交")
    done.wait_for()
    assert_no_exception(phone, "public report")
    with db.read(linked["engine"]) as s:
        t = s.scalar(select(Ticket).where(Ticket.contact_phone == "13812345678"))
    assert (t.channel, t.priority, t.status) == ("online", "emergency", "received")
    assert t.ticket_no in done.inner_text()

    open_public(phone, f"{linked['url']}/?status=1")
    phone.get_by_label("工单号").fill(t.ticket_no)
    phone.get_by_label("手机或电话").fill("13900000000")
    phone.get_by_role("button", name="查询").click()
    phone.get_by_text("找不到该工单号与电话对应的报修").wait_for()
    phone.get_by_label("手机或电话").fill("13812345678")
    phone.get_by_role("button", name="查询").click()
    phone.get_by_text("状态：已受理").wait_for()
    assert "苏州恒达" not in phone.locator('[data-testid="stApp"]').inner_text()
    assert_no_exception(phone, "status lookup")


def test_a_dead_link_and_the_staff_pages_behind_it(linked, phone):
    open_public(phone, f"{linked['url']}/?r=not-a-real-token")
    phone.get_by_text("此报修链接无效").wait_for()
    wait_rendered(phone)
    assert phone.get_by_label("联系人").count() == 0
    # a staff page's path with a public parameter still gives the public page only
    open_public(phone, f"{linked['url']}/tickets?r={linked['token']}")
    phone.get_by_role("button", name="提交报修").wait_for()
    body = phone.locator('[data-testid="stApp"]').inner_text()
    assert "服务工单" not in body and "用户名" not in body
    assert_no_exception(phone, "staff path")
