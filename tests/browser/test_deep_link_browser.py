"""A real browser opens a ticket's link before logging in, logs in, and lands on that
ticket; a refresh (F5) asks for the log-in again and still lands there."""

from __future__ import annotations

import datetime as dt

import pytest

from data_access import db
from tests.actors import ADMIN
from tests.browser.conftest import PASSWORD, assert_no_exception, wait_idle
from tests.helpers import one_open_ticket

# one module on one worker: its tests share the module's app server
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group(__name__)]

TICKET_NO = "SR-20261123-0001"


def _log_in(page, username: str) -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="退出登录").wait_for()


def test_a_ticket_link_survives_the_log_in_and_a_refresh(served_app, page):
    engine = db.make_engine(served_app["db_url"])
    one_open_ticket(engine, dt.datetime(2026, 11, 23, 10, 0), ADMIN)
    engine.dispose()
    page.goto(f"{served_app['url']}/tickets?ticket={TICKET_NO}")
    # the log-in page, link kept (a cold server's first run imports everything: slow)
    page.get_by_role("button", name="登录").wait_for(timeout=90_000)
    _log_in(page, "agent")
    heading = page.get_by_role("heading", name=f"{TICKET_NO} · 已受理")
    heading.wait_for()
    wait_idle(page)
    assert_no_exception(page, "linked ticket")
    assert f"ticket={TICKET_NO}" in page.url and "/tickets" in page.url
    page.reload()  # F5: a new Streamlit session, the log-in again, the same ticket
    page.get_by_role("button", name="登录").wait_for()
    _log_in(page, "agent")
    heading.wait_for()
    assert_no_exception(page, "linked ticket after refresh")


def test_a_link_the_role_may_not_open_says_no_access(served_app, page):
    page.goto(f"{served_app['url']}/tickets?ticket={TICKET_NO}")
    page.get_by_role("button", name="登录").wait_for(timeout=90_000)
    _log_in(page, "trainer")
    page.get_by_text("您的角色无权访问此页面。").wait_for()
    assert page.get_by_text(TICKET_NO).count() == 0


def test_the_menu_counts_unread_messages_and_the_inbox_opens_the_ticket(served_app, page):
    from sqlalchemy import select

    from data_access import tickets as T
    from data_access.models import Ticket, User

    engine = db.make_engine(served_app["db_url"])
    with db.read(engine) as s:
        known = s.scalar(select(Ticket.id).where(Ticket.ticket_no == TICKET_NO))
    if known is None:  # this test run alone: its own ticket
        one_open_ticket(engine, dt.datetime(2026, 11, 23, 10, 0), ADMIN)
    with db.write(engine) as s:
        tid = s.scalar(select(Ticket.id).where(Ticket.ticket_no == TICKET_NO))
        engineer = s.scalar(select(User.id).where(User.username == "engineer"))
        T.dispatch(s, tid, engineer, actor=ADMIN, now=dt.datetime(2026, 11, 23, 11, 0),
                   expected_version=None)  # fmt: skip
    engine.dispose()
    page.goto(served_app["url"])
    page.get_by_role("button", name="登录").wait_for(timeout=90_000)
    _log_in(page, "engineer")
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_role("link", name="消息（1 条未读）").click()
    page.get_by_role("heading", name="消息").wait_for()
    wait_idle(page)
    page.locator('[data-testid="stText"]').filter(has_text="客户：恒达精密").wait_for()
    page.get_by_role("button", name="打开相关记录").click()
    page.get_by_role("heading", name=f"{TICKET_NO} · 已派工").wait_for()
    assert f"ticket={TICKET_NO}" in page.url
    wait_idle(page)
    assert nav.get_by_role("link", name="消息", exact=True).count() == 1  # read now
    assert_no_exception(page, "ticket from the inbox")
