"""Maintenance page: an engineer's week (overdue first) and a visit done from it, the
manager's month view, ageing and generation, and an agent's read-only view."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data_access import db, sla_config
from data_access import maintenance as dm
from data_access.models import Customer, Device, MaintenanceVisit, User
from data_access.registers import save_changes
from tests.actors import ADMIN
from tests.app.conftest import CLOCK, signed_in

NOW = CLOCK - dt.timedelta(days=30)


def _save(s, register, inserts):
    result = save_changes(
        s, register, inserts=inserts, updates=[], deletes=[], actor=ADMIN, now=NOW
    )
    assert result.problems == [], result.problems


@pytest.fixture
def maint_db(app_db):
    with db.write(app_db) as s:
        sla_config.seed_sla_defaults(s)
        c = Customer(code="007", name="恒达精密", grade="A", region="华东")
        s.add(c)
        s.flush()
        s.add(Device(serial_no="SN1", customer_id=c.id, contract_end=dt.date(2027, 12, 31)))
        s.flush()
        _save(s, "packages", [{"code": "comprehensive", "name_zh": "全面保养",
                               "name_en": "Comprehensive", "repair_discount_pct": 10}])  # fmt: skip
        _save(s, "checklists", [
            {"package": "comprehensive", "seq": 1, "item": "清洁关键部件", "result_kind": "pass_fail"},
            {"package": "comprehensive", "seq": 2, "item": "校准传感器", "result_kind": "number",
             "lower": "-0.02", "upper": "0.02"},
        ])  # fmt: skip
        _save(s, "plans", [{"plan_no": "MP-1", "name": "全面保养 SN1", "device": "SN1",
                            "package": "comprehensive", "kind": "inspection",
                            "frequency": "every_n_weeks", "every_n": 1,
                            "start_date": "2026-11-02", "responsible": "engineer"}])  # fmt: skip
        # from the week before: still open, so overdue now
        dm.generate_visits(s, today=dt.date(2026, 11, 16), actor=ADMIN, now=NOW)
    return app_db


def open_page(username: str, lang: str = "zh") -> AppTest:
    at = signed_in(username, lang)
    at.switch_page("pages/maintenance.py").run()
    assert not at.exception, at.exception
    return at


def test_engineer_sees_overdue_first_and_records_a_visit(maint_db):
    at = open_page("engineer")
    headings = [m.value for m in at.markdown if "MP-1-" in m.value]
    assert headings[0].startswith("**MP-1-20261116**") and "逾期 7 天" in headings[0]
    assert "MP-1-20261123" in headings[1]  # due today
    assert len(headings) == 2  # through Sunday: 30 Nov is next week
    at.button(key="maint.open.MP-1-20261116").click().run()
    at.button(key="maint.done.MP-1-20261116.save").click().run()
    assert not at.exception, at.exception
    assert any("MP-1-20261116" in s.value for s in at.success)
    with db.read(maint_db) as s:
        visit = s.scalars(
            select(MaintenanceVisit).where(MaintenanceVisit.visit_no == "MP-1-20261116")
        ).one()
        engineer = s.scalars(select(User.id).where(User.username == "engineer")).one()
    assert (visit.status, visit.engineer_id) == ("done", engineer)
    assert visit.done_at == dt.datetime(2026, 11, 23, 11, 0)


def test_a_visit_done_before_its_due_date_without_a_reason_is_refused(maint_db):
    at = open_page("engineer")
    key = "maint.done.MP-1-20261123"
    at.button(key="maint.open.MP-1-20261123").click().run()
    at.date_input(key=key + ".day").set_value(dt.date(2026, 11, 20)).run()
    at.button(key=key + ".save").click().run()
    assert not at.exception, at.exception
    assert any("请在备注中说明原因" in e.value for e in at.error) or any(
        "请在备注中说明原因" in str(f.value) for f in at.dataframe
    )
    with db.read(maint_db) as s:
        status = s.scalars(
            select(MaintenanceVisit.status).where(MaintenanceVisit.visit_no == "MP-1-20261123")
        ).one()
    assert status == "planned"


def test_manager_month_view_ageing_and_generation(maint_db):
    at = open_page("manager", "en")
    at.radio(key="maint.view").set_value("month").run()
    assert not at.exception, at.exception
    texts = [m.value for m in at.markdown]
    assert "**2026-11**" in texts
    month = next(x for x in texts if x.startswith("| Mon | Tue"))  # the calendar table
    assert "| **16** :red[**Overdue 1**] |" in month  # 16 Nov, a Monday
    assert "| :blue-background[**23**] :blue[Planned 1] |" in month  # today
    assert "| :gray[**29**] |" in month  # a Sunday, no visits
    assert any(m.value == "0%" for m in at.metric)  # 16 Nov is due and not done
    at.button(key="maint.month.next").click().run()
    texts = [m.value for m in at.markdown]
    assert "**2026-12**" in texts
    assert "| **7** :blue[Planned 1] |" in next(x for x in texts if x.startswith("| Mon"))
    at.selectbox(key="maint.month.region").set_value("华东").run()
    at.button(key="maint.month.this").click().run()
    assert any("**16** :red[**Overdue 1**]" in m.value for m in at.markdown)
    at.radio(key="maint.view").set_value("ageing").run()
    frames = [f.value for f in at.dataframe]
    ageing = next(f for f in frames if "1-7" in f.columns)
    assert ageing["1-7"].tolist() == [1]
    at.radio(key="maint.view").set_value("plans").run()
    at.button(key="maint.generate").click().run()
    assert not at.exception, at.exception
    assert any("visits added" in s.value for s in at.success)


def test_agent_reads_without_editing(maint_db):
    at = open_page("agent")
    assert not [b for b in at.button if (b.key or "").startswith("maint.open.")]
    at.radio(key="maint.view").set_value("plans").run()
    assert not [b for b in at.button if (b.key or "").endswith(".save")]
    assert not [b for b in at.button if b.key == "maint.generate"]


def linked(username: str, visit_no: str, lang: str = "zh") -> AppTest:
    at = signed_in(username, lang)
    at.query_params["visit"] = visit_no
    at.switch_page("pages/maintenance.py").run()
    assert not at.exception, at.exception
    return at


def test_a_visit_link_opens_the_visit_with_its_form(maint_db):
    at = linked("engineer", "MP-1-20261116")
    headings = [m.value for m in at.markdown if "MP-1-20261116" in m.value]
    assert len(headings) == 1  # above the views, not again in the week's list
    assert any("逾期 7 天" in t.value for t in at.text)
    at.button(key="maint.done.MP-1-20261116.save").click().run()
    assert not at.exception, at.exception
    with db.read(maint_db) as s:
        status = s.scalars(
            select(MaintenanceVisit.status).where(MaintenanceVisit.visit_no == "MP-1-20261116")
        ).one()
    assert status == "done"
    at.button(key="maint.linked.close").click().run()
    assert not [m for m in at.markdown if m.value.startswith("**MP-1-20261116**")]


def test_a_visit_link_for_a_reader_has_no_form_and_a_wrong_one_says_so(maint_db):
    at = linked("agent", "MP-1-20261116", "en")
    assert any("MP-1-20261116" in m.value for m in at.markdown)
    assert not [b for b in at.button if b.key == "maint.done.MP-1-20261116.save"]
    at = linked("agent", "MP-404", "en")
    assert any("MP-404" in w.value and "does not exist" in w.value for w in at.warning)
