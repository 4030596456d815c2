"""A real browser logs in as admin and opens every page of the role."""

from __future__ import annotations

import pytest

from rules.access import Role, pages_for
from rules.i18n import t
from tests.browser.conftest import assert_no_exception, login, wait_idle

# one module on one worker: its tests share the module's app server
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group(__name__)]


def test_admin_opens_every_page(served_app, page):
    login(page, served_app["url"], "admin")
    wait_idle(page)
    assert_no_exception(page, "home")
    for p in pages_for(Role.ADMIN):
        title = t(f"page.{p}", "zh")
        page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()
        page.get_by_role("heading", name=title).first.wait_for()
        wait_idle(page)
        assert_no_exception(page, p)
    page.screenshot(path=str(served_app["log"].parent / "last.png"))


def test_engineer_menu_hides_admin_pages(served_app, page):
    login(page, served_app["url"], "engineer")
    nav = page.locator('[data-testid="stSidebarNav"]')
    assert nav.get_by_role("link", name=t("page.tickets", "zh")).count() == 1
    assert nav.get_by_role("link", name=t("page.settings", "zh")).count() == 0
    assert_no_exception(page, "engineer home")
