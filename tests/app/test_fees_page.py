"""Fees page: a ticket's lines built from the service report, quote, confirmation and
settlement by clicks; the statements, payments, ageing and audit tabs; role rights."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data_access import db
from data_access import fees as fees_da
from data_access.models import (
    AuditLog,
    Customer,
    Device,
    FeeLine,
    FeeQuote,
    RateCardItem,
    ServiceReport,
    Settlement,
    Ticket,
)
from rules import fees as F
from tests.app.conftest import CLOCK, signed_in


@pytest.fixture
def fees_db(app_db):
    with db.write(app_db) as s:
        for code, kind, basis, price in (
            ("DIAG", "diagnosis", "fixed", "300"),
            ("LAB-STD", "labour", "per_unit", "280"),
            ("TRV-CITY", "travel", "fixed", "200"),
        ):
            s.add(RateCardItem(rate_key=F.rate_key(code, dt.date(2026, 1, 1)), code=code,
                               kind=kind, name_zh=code, name_en=code, unit="次", basis=basis,
                               price=D(price), valid_from=dt.date(2026, 1, 1)))  # fmt: skip
        c = Customer(code="C1", name="甲公司", region="华东")
        s.add(c)
        s.flush()
        dev = Device(serial_no="D-O", customer_id=c.id, warranty_end=dt.date(2024, 1, 1))
        s.add(dev)
        s.flush()
        t = Ticket(ticket_no="SR-P1", customer_id=c.id, device_id=dev.id, priority="standard",
                   received_at=CLOCK - dt.timedelta(days=3), channel="phone", status="repaired",
                   fault_description="异响")  # fmt: skip
        s.add(t)
        s.flush()
        s.add(ServiceReport(ticket_id=t.id, labour_hours=D("2"), travel_km=D("20"), result="fixed"))
    return app_db


def open_fees(username: str) -> AppTest:
    at = signed_in(username)
    at.switch_page("pages/fees.py").run()
    assert not at.exception
    return at


def _button(at: AppTest, key: str):
    return next(b for b in at.button if b.key == key)


def test_manager_builds_quotes_confirms_and_settles(fees_db):
    at = open_fees("manager")
    at.text_input(key="fees.ticket").input("SR-P1").run()
    _button(at, "fees.build").click().run()
    assert not at.exception
    with db.read(fees_db) as s:
        nets = s.execute(select(FeeLine.kind, FeeLine.amount).order_by(FeeLine.line_no)).all()
    assert nets == [("diagnosis", D("300.00")), ("labour", D("560.00")), ("travel", D("200.00"))]
    _button(at, "fees.quote").click().run()
    assert not at.exception
    at.text_input(key="fees.confirm.by").input("张经理")
    next(b for b in at.button if "confirm_form" in str(b.id) or b.label == "记录客户确认").click()
    at.run()
    assert not at.exception
    with db.read(fees_db) as s:
        q = s.execute(select(FeeQuote)).scalar_one()
    assert (q.status, q.quoted_total, q.confirmed_by) == ("confirmed", D("1060.00"), "张经理")
    _button(at, "fees.settle").click().run()
    assert not at.exception
    with db.read(fees_db) as s:
        st = s.execute(select(Settlement)).scalar_one()
        audited = set(s.execute(select(AuditLog.entity)).scalars())
    assert (st.total, st.status) == (D("1060.00"), "settled")
    assert {"fee_quote", "settlements"} <= audited
    assert st.settlement_no in " ".join(str(m.value) for m in at.success)
    # the other sections: the statement (printable table and Excel), ageing, the audit
    section = lambda: at.radio(key="fees.section")  # noqa: E731 - fresh after each run
    section().set_value("statements").run()
    assert not at.exception
    assert any(b.key == "fees.st.download" for b in at.get("download_button"))
    section().set_value("ageing").run()
    ageing = at.dataframe[0].value
    assert list(ageing["customer"]) == ["C1"] and list(ageing["0-30"]) == [D("1060.00")]
    section().set_value("audit").run()
    assert any(b.key == "fees.audit.download" for b in at.get("download_button"))
    section().set_value("payments").run()
    assert not at.exception


def test_a_refusal_is_a_message_not_a_traceback(fees_db):
    at = open_fees("manager")
    at.text_input(key="fees.ticket").input("SR-P1").run()
    _button(at, "fees.quote").click().run()  # no lines yet
    assert not at.exception
    assert any("还没有费用明细" in str(e.value) for e in at.error)


def test_engineer_sees_lines_and_rate_card_only(fees_db):
    at = open_fees("engineer")
    assert at.radio(key="fees.section").options == ["工单费用", "价目表"]
    at.text_input(key="fees.ticket").input("SR-P1").run()
    assert not any(b.key in ("fees.quote", "fees.settle") for b in at.button)


def test_agent_quotes_but_does_not_settle(fees_db):
    at = open_fees("agent")
    at.text_input(key="fees.ticket").input("SR-P1").run()
    keys = {b.key for b in at.button}
    assert "fees.quote" in keys and "fees.settle" not in keys


@pytest.fixture
def visit_db(fees_db):
    """A done visit of the out-of-warranty device, on a plan without a contract."""
    from data_access.models import MaintenancePlan, MaintenanceVisit, User

    with db.write(fees_db) as s:
        s.add(RateCardItem(rate_key="INSP-V@2026-01-01", code="INSP-V", kind="inspection",
                           variant=F.VISIT, name_zh="巡检费", name_en="Inspection", unit="次",
                           basis="fixed", price=D("150"), valid_from=dt.date(2026, 1, 1)))  # fmt: skip
        c = s.scalar(select(Customer).where(Customer.code == "C1"))
        c.travel_km = D("20")
        dev = s.scalar(select(Device).where(Device.serial_no == "D-O"))
        plan = MaintenancePlan(plan_no="MP-O", name="按次保养", customer_id=c.id, device_id=dev.id,
                               frequency="yearly", start_date=dt.date(2026, 1, 1),
                               no_contract_confirmed=True)  # fmt: skip
        s.add(plan)
        s.flush()
        eng = s.scalar(select(User.id).where(User.username == "engineer"))
        day = (CLOCK - dt.timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
        s.add(MaintenanceVisit(visit_no="MP-O-1", plan_id=plan.id, planned_date=day.date(),
                               due_date=day.date(), status="done", engineer_id=eng,
                               arrived_at=day, departed_at=day + dt.timedelta(hours=2),
                               done_at=day + dt.timedelta(hours=2)))  # fmt: skip
    return fees_db


def test_bill_this_visit_from_the_maintenance_page_then_settle_on_the_fees_page(visit_db):
    at = signed_in("manager")
    at.query_params["visit"] = "MP-O-1"
    at.switch_page("pages/maintenance.py").run()
    assert not at.exception, at.exception
    _button(at, "maint.linked.bill").click().run()
    assert not at.exception, at.exception
    assert any("MP-O-1" in str(m.value) for m in at.success)
    at.run()
    assert not [b for b in at.button if b.key == "maint.linked.bill"]  # billed once
    with db.read(visit_db) as s:
        nets = s.execute(select(FeeLine.kind, FeeLine.amount).order_by(FeeLine.line_no)).all()
    # inspection, 2 h labour, travel 20 km (the customer's distance, the city band)
    assert nets == [("inspection", D("150.00")), ("labour", D("560.00")), ("travel", D("200.00"))]
    at = open_fees("manager")
    at.text_input(key="fees.ticket").input("MP-O-1").run()
    assert any("合同外保养" in c.value for c in at.caption)
    _button(at, "fees.quote").click().run()
    _button(at, "fees.settle").click().run()
    assert not at.exception, at.exception
    with db.read(visit_db) as s:
        st = s.execute(select(Settlement)).scalar_one()
        head = fees_da.statement_rows(s, statement_no=st.settlement_no)[0]
    assert (st.total, st.ticket_id, head["ticket_no"]) == (D("910.00"), None, "MP-O-1")


def test_a_visit_under_contract_offers_no_bill_button(visit_db):
    with db.write(visit_db) as s:
        dev = s.scalar(select(Device).where(Device.serial_no == "D-O"))
        dev.contract_end = CLOCK.date() + dt.timedelta(days=300)
    at = signed_in("manager")
    at.query_params["visit"] = "MP-O-1"
    at.switch_page("pages/maintenance.py").run()
    assert not at.exception, at.exception
    assert not [b for b in at.button if b.key == "maint.linked.bill"]
