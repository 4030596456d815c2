"""The KPI dashboard in a real browser: a manager logs in on demo data, sees the cards
with their targets and whether each is met (a sign and words, not colour alone), opens
the rows behind a card and sees them."""

from __future__ import annotations

import datetime as dt

import pytest

from data_access import db
from data_access.demo import load
from data_access.demo.base import DEMO_PASSWORD
from rules.i18n import t
from tests.browser.conftest import assert_no_exception, login, wait_rendered

# one module on one worker: its tests share the module's app server
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group(__name__)]
DRILL = t("dashboard.drill", "zh")


@pytest.fixture(scope="module")
def demo_app(served_app):
    """The served app's database filled with a small demo data set up to now (the
    dashboard's default period is the 90 days up to today)."""
    engine = db.make_engine(served_app["db_url"])
    load(engine, tickets=300, customers=30, now=dt.datetime.now().replace(microsecond=0),
         reset=True)  # fmt: skip
    engine.dispose()
    return served_app


def test_a_manager_sees_the_cards_and_drills_into_a_figure(demo_app, page):
    page.goto(demo_app["url"])  # the server's first run imports every page: slow when loaded
    page.get_by_label("用户名").wait_for(timeout=60_000)
    login(page, demo_app["url"], "manager", DEMO_PASSWORD)
    app = page.locator('[data-testid="stApp"]')
    title = t("page.dashboard", "zh")
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()
    page.get_by_role("button", name=DRILL).first.wait_for(timeout=60_000)
    wait_rendered(page)
    assert_no_exception(page, "the dashboard")

    cards = page.locator('[data-testid="stMetric"]')
    assert cards.count() >= 10
    text = app.inner_text()
    assert t("dashboard.target_label", "zh") in text
    met, missed = t("dashboard.met", "zh"), t("dashboard.missed", "zh")
    assert f"✔ {met}" in text or f"✘ {missed}" in text  # a sign and words, not colour alone

    page.get_by_role("button", name=DRILL).first.click()
    first = t("kpi.tickets_received", "zh")  # the first card's rows
    heading = page.get_by_role("heading", name=t("dashboard.drill_title", "zh", kpi=first))
    heading.wait_for(timeout=60_000)
    wait_rendered(page)
    drill = page.locator('[data-testid="stDataFrame"]').first
    drill.wait_for()
    # rows shown: the grid's accessibility table fills once the canvas has drawn
    drill.locator('[data-testid^="glide-cell-0-"]').first.wait_for(state="attached")
    assert_no_exception(page, "the drill")
