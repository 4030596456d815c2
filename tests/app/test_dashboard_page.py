"""Dashboard page: a card per KPI the role sees ("—" with nothing to divide by), a bad
period as a message, the drill-down with paging and its Excel export, the 85% rule's
warning and link, the monthly report, and charts in the page's language."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil

import openpyxl
import pytest
from sqlalchemy import select, update
from streamlit.testing.v1 import AppTest

from data_access import dashboard as D
from data_access import db, demo
from data_access.models import FollowUpRating, SatisfactionReview, User
from rules.access import Actor, Role
from rules.dashboard import KPI_BY_KEY, visible
from rules.i18n import t
from tests.actors import ADMIN
from tests.app.conftest import APP, CLOCK, login, signed_in
from tests.helpers import copy_sqlite, one_open_ticket

PERIOD = (CLOCK.date() - dt.timedelta(days=89), CLOCK.date())  # the page's default


@pytest.fixture
def one_ticket(app_db):
    one_open_ticket(app_db, CLOCK.replace(hour=9), ADMIN)
    return app_db


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory, sqlite_template):
    """Demo data of every domain, loaded once; each test runs on a copy."""
    path = tmp_path_factory.mktemp("dashboard") / "demo.db"
    engine = copy_sqlite(sqlite_template, path)
    demo.load(engine, customers=12, tickets=400)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def demo_db(demo_file, tmp_path, monkeypatch):
    path = tmp_path / "app.db"
    shutil.copy(demo_file, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    engine = db.make_engine(url)
    yield engine
    engine.dispose()


def demo_page(username: str, lang: str = "zh") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = lang
    at.session_state["clock"] = CLOCK
    at.run()
    login(at, username, demo.DEMO_PASSWORD)
    at.switch_page("pages/dashboard.py").run()
    assert not at.exception, at.exception
    return at


def cards(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def texts(at: AppTest) -> str:
    parts = [*at.markdown, *at.caption, *at.error, *at.warning, *at.info, *at.subheader]
    return "\n".join(str(e.value) for e in parts)


# ---------------------------------------------------------------- charts
def charts(lang: str) -> list[dict]:
    at = signed_in("manager", lang)
    at.switch_page("pages/dashboard.py").run()
    assert not at.exception, at.exception
    assert at.date_input(key="dashboard.period").proto.format == "YYYY-MM-DD"
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def test_chinese_charts_name_months_in_chinese(one_ticket):
    specs = charts("zh")
    assert len(specs) == 2  # the chosen KPI's trend, the volume per week
    for spec in specs:
        assert spec["config"]["locale"]["time"]["shortMonths"][10] == "11月"
    (volume,) = [s for s in specs if s.get("mark", {}).get("type") == "bar"]
    assert volume["encoding"]["x"]["axis"]["format"] == "%m-%d"


def test_english_charts_keep_vega_defaults(one_ticket):
    specs = charts("en")
    assert specs
    for spec in specs:
        assert "locale" not in spec.get("config", {})


# ---------------------------------------------------------------- cards
def test_an_empty_period_shows_a_dash_on_every_ratio_card(app_db):
    at = signed_in("manager")
    at.switch_page("pages/dashboard.py").run()
    assert not at.exception and not at.error
    shown = cards(at)
    assert len(shown) == len(visible(Role.MANAGER))
    for kpi in visible(Role.MANAGER):
        if kpi.unit != "count":
            assert shown[t(f"kpi.{kpi.key}")] == "—", kpi.key


def test_a_ten_year_period_is_a_message_not_a_traceback(app_db):
    """(An end before the start cannot be picked: the range widget orders the two
    dates; the rule and the data layer refuse it all the same.)"""
    at = signed_in("manager", "en")
    at.switch_page("pages/dashboard.py").run()
    at.date_input(key="dashboard.period").set_value((dt.date(2016, 11, 1), CLOCK.date())).run()
    assert not at.exception
    assert not at.metric
    (error,) = at.error
    days = (CLOCK.date() - dt.date(2016, 11, 1)).days + 1
    assert error.value == t("dashboard.err.too_long", "en", days=days, max=366)


def test_cards_show_the_figures_target_and_verdict(demo_db):
    at = demo_page("manager", "en")
    shown = cards(at)
    with db.read(demo_db) as s:
        me = s.scalars(select(User).where(User.username == "manager")).one()
        figures = D.figures(s, Actor(me.id, me.role), D.Period(*PERIOD), D.Filters(), CLOCK)
    assert shown[t("kpi.tickets_received", "en")] == f"{figures['tickets_received'].value:,.0f}"
    csat = figures["csat"].value
    assert shown[t("kpi.csat", "en")] == f"{csat:.2f}"
    verdict = (
        ("✔ " + t("dashboard.met", "en")) if csat >= 4 else ("✘ " + t("dashboard.missed", "en"))
    )
    assert verdict in texts(at)  # a sign and words, not colour alone
    assert t("kpi.csat.formula", "en") in texts(at)


def test_an_engineer_sees_only_his_own_figures(demo_db):
    at = demo_page("engineer")
    shown = cards(at)
    assert set(shown) == {t(f"kpi.{k.key}") for k in visible(Role.ENGINEER)}
    with db.read(demo_db) as s:
        me = s.scalars(select(User).where(User.username == "engineer")).one()
        mine = D.figures(s, Actor(me.id, me.role), D.Period(*PERIOD), D.Filters(), CLOCK)
        everyone = D.figures(s, Actor(None, Role.ADMIN), D.Period(*PERIOD), D.Filters(), CLOCK)
    received = mine["tickets_received"].value
    assert received < everyone["tickets_received"].value
    assert shown[t("kpi.tickets_received")] == f"{received:,.0f}"
    labels = {s.label for s in at.selectbox}
    assert t("dashboard.dim.engineer") not in labels  # no choosing someone else
    assert t("dashboard.engineers") not in texts(at)


def test_a_filter_narrows_the_cards(demo_db):
    at = demo_page("manager", "en")
    before = cards(at)[t("kpi.tickets_received", "en")]
    (channel,) = [s for s in at.selectbox if s.label == t("dashboard.dim.channel", "en")]
    channel.set_value(channel.options and "phone").run()
    assert not at.exception
    after = cards(at)[t("kpi.tickets_received", "en")]
    with db.read(demo_db) as s:
        me = s.scalars(select(User).where(User.username == "manager")).one()
        phone = D.figures(s, Actor(me.id, me.role), D.Period(*PERIOD), D.Filters(channel="phone"),
                          CLOCK)  # fmt: skip
    assert after == f"{phone['tickets_received'].value:,.0f}" != before


# ---------------------------------------------------------------- drill-down
def test_drill_down_pages_and_exports_every_row(demo_db):
    at = demo_page("manager", "en")
    at.button(key="dashboard.drill.tickets_received").click().run()
    assert not at.exception
    first = at.dataframe[0].value
    ticket_col = t("drill.col.ticket_no", "en")
    assert len(first) == 50
    at.button(key="dashboard.drill.next").click().run()
    second = at.dataframe[0].value
    assert not set(first[ticket_col]) & set(second[ticket_col])
    at.button(key="dashboard.drill.prev").click().run()
    assert list(at.dataframe[0].value[ticket_col]) == list(first[ticket_col])
    at.button(key="dashboard.drill.export_build").click().run()
    assert at.download_button(key="dashboard.drill.download")
    data = at.session_state["dashboard.drill.export"][1]
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == ticket_col
    with db.read(demo_db) as s:
        me = s.scalars(select(User).where(User.username == "manager")).one()
        expected = [r["ticket_no"] for r in D.drill_rows(
            s, Actor(me.id, me.role), "tickets_received", D.Period(*PERIOD), D.Filters())]  # fmt: skip
    assert [r[0] for r in rows[1:]] == expected
    assert len(expected) > 50  # more than one page


# ---------------------------------------------------------------- the 85% rule
def test_low_satisfaction_warns_and_links_the_review(demo_db):
    with db.write(demo_db) as s:
        s.execute(update(FollowUpRating).values(score=2))
    at = demo_page("manager", "en")
    (warning,) = at.warning
    assert "85" in warning.value
    with db.read(demo_db) as s:
        review = s.scalars(
            select(SatisfactionReview).where(SatisfactionReview.period_start == PERIOD[0])
        ).one()
    (link,) = [p for p in at.get("page_link")]
    assert f"#{review.id}" in link.proto.label
    assert f"review={review.id}" in link.proto.page or link.proto.query_string == (
        f"review={review.id}"
    )


def test_the_review_link_opens_the_record_on_the_follow_ups_page(demo_db):
    with db.write(demo_db) as s:
        s.execute(update(FollowUpRating).values(score=2))
    at = demo_page("manager", "en")
    with db.read(demo_db) as s:
        review = s.scalars(
            select(SatisfactionReview).where(SatisfactionReview.period_start == PERIOD[0])
        ).one()
    at.query_params["review"] = str(review.id)
    at.switch_page("pages/followups.py").run()
    assert not at.exception
    shown = [i.value for i in at.info]
    assert any(v.startswith(f"Review #{review.id}:") for v in shown), shown
    assert at.selectbox(key="followups.review_id").value == review.id


def test_satisfaction_above_the_threshold_gives_no_warning(demo_db):
    with db.write(demo_db) as s:
        s.execute(update(FollowUpRating).values(score=5))
    at = demo_page("manager", "en")
    assert not at.warning
    assert not at.get("page_link")


# ---------------------------------------------------------------- the monthly report
def test_the_monthly_report_downloads_from_the_page(demo_db):
    at = demo_page("manager", "en")
    at.selectbox(key="dashboard.month").set_value("2026-10").run()
    at.button(key="dashboard.monthly.build").click().run()
    assert not at.exception
    assert at.download_button(key="dashboard.monthly.download")
    data = at.session_state["dashboard.monthly"][1]
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames[0] == t("dashboard.sheet.summary", "en")
    labels = {r[0] for r in wb.active.iter_rows(min_row=5, values_only=True) if r[0]}
    assert labels == {t(f"kpi.{k.key}", "en") for k in visible(Role.MANAGER)}
    assert KPI_BY_KEY  # the catalogue the page and the workbook share
