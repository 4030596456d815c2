"""The SLA page in a real browser: saving on a tab keeps the user on that tab."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from rules.i18n import t
from tests.browser.conftest import assert_no_exception, login, wait_idle

# one module on one worker: its tests share the module's app server
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group(__name__)]


def test_saving_keeps_the_tab_open(served_app, page):
    login(page, served_app["url"], "manager")
    title = t("page.sla", "zh")
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()
    page.get_by_role("heading", name=title).first.wait_for()
    wait_idle(page)
    tab = page.get_by_role("tab", name=t("sla.tab.followup", "zh"))
    tab.click()
    wait_idle(page)
    box = page.get_by_label(t("sla.followup.days", "zh"), exact=True).and_(
        page.get_by_test_id("stNumberInputField")
    )
    box.fill("5")
    box.press("Enter")
    wait_idle(page)
    page.get_by_role("tabpanel").get_by_role("button", name=t("ui.save", "zh")).click()
    expect(page.get_by_text(t("sla.followup.saved", "zh", days=5))).to_be_visible()
    wait_idle(page)
    assert_no_exception(page, "after save")
    expect(tab).to_have_attribute("aria-selected", "true")
    # the next interaction (the message goes away) keeps the tab too
    box.fill("6")
    box.press("Enter")
    wait_idle(page)
    expect(tab).to_have_attribute("aria-selected", "true")
