"""Complaints page and the caller's screen (follow-ups): AppTest."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data_access import db
from data_access.complaint_register import Intake, log_complaint
from data_access.models import Complaint, Customer, FollowUp, FollowUpRating, User
from rules.i18n import t
from tests.actors import ADMIN
from tests.app.conftest import CLOCK, signed_in


@pytest.fixture
def desk(app_db):
    with db.write(app_db) as s:
        c = Customer(code="C0001", name="华东精密", grade="A")
        s.add(c)
        s.flush()
        no = log_complaint(
            s,
            Intake(customer="C0001", complainant="张伟", channel="hotline", content="又坏了",
                      severity="high", urgency="high", received_at=CLOCK - dt.timedelta(hours=3)),
            actor=ADMIN,
            now=CLOCK,
        )  # fmt: skip
        for k, due in enumerate((CLOCK.date() - dt.timedelta(days=3), CLOCK.date()), 1):
            s.add(FollowUp(followup_no=f"FU-{k}", customer_id=c.id, reason="periodic",
                           mode="phone", due_date=due, status="planned", attempts=0))  # fmt: skip
    return app_db, no


def open_page(username: str, page: str) -> AppTest:
    at = signed_in(username)
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception
    return at


def submit(at: AppTest, label: str) -> AppTest:
    (button,) = [b for b in at.button if b.label == label]
    return button.click().run()


def texts(at: AppTest) -> str:
    return " ".join(str(e.value) for e in [*at.error, *at.success, *at.info, *at.caption])


def test_quality_sees_the_list_and_closing_without_the_three_things_is_refused(desk):
    engine, no = desk
    at = open_page("quality", "complaints")
    assert at.selectbox(key="complaints.pick").value == no
    at.text_input(key="complaints.confirm_person").input("张伟")
    at = submit(at, t("complaints.confirm.save", "zh"))
    assert not at.exception
    shown = texts(at) + " ".join(str(d.value) for d in at.dataframe)
    assert t("complaints.err.no_root_cause", "zh") in shown
    assert t("complaints.err.no_done_action", "zh") in shown
    with db.read(engine) as s:
        assert s.scalar(select(Complaint.status)) == "received"


def test_an_agent_logs_a_complaint_but_cannot_close(desk):
    engine, _ = desk
    at = open_page("agent", "complaints")
    assert not [b for b in at.button if b.label == t("complaints.confirm.save", "zh")]
    at.text_input(key="complaints.in_customer").input("C0001")
    at.text_input(key="complaints.in_who").input("李四")
    at.text_area(key="complaints.in_content").input("收费不透明")
    at = submit(at, t("complaints.tab.intake", "zh"))
    assert not at.exception
    with db.read(engine) as s:
        assert len(s.scalars(select(Complaint.id)).all()) == 2


def test_an_engineer_sees_no_complaint_about_others(desk):
    at = open_page("engineer", "complaints")
    assert t("complaints.none", "zh") in texts(at)


def test_the_caller_records_a_rated_call_overdue_first(desk):
    engine, _ = desk
    at = open_page("agent", "followups")
    assert at.selectbox(key="followups.pick").value == "FU-1"  # three days overdue: first
    at.selectbox(key="followups.outcome").set_value("done")
    at.selectbox(key="followups.q").set_value(5)
    at.selectbox(key="followups.a").set_value(4)
    at.selectbox(key="followups.e").set_value(4)
    at = submit(at, t("followups.outcome.save", "zh"))
    assert not at.exception
    with db.read(engine) as s:
        f = s.scalars(select(FollowUp).where(FollowUp.followup_no == "FU-1")).one()
        agent = s.scalar(select(User.id).where(User.username == "agent"))
        assert (f.status, f.user_id, f.attempts) == ("done", agent, 1)
        assert [str(x) for x in s.scalars(select(FollowUpRating.score))] == ["4.33"]
    assert at.selectbox(key="followups.pick").value == "FU-2"


def test_a_low_score_without_comment_is_refused_on_the_page(desk):
    engine, _ = desk
    at = open_page("agent", "followups")
    at.selectbox(key="followups.outcome").set_value("done")
    for k in ("q", "a", "e"):
        at.selectbox(key=f"followups.{k}").set_value(1)
    at = submit(at, t("followups.outcome.save", "zh"))
    shown = " ".join(str(d.value) for d in at.dataframe) + texts(at)
    assert t("followups.err.low_needs_comment", "zh") in shown
    with db.read(engine) as s:
        assert s.scalars(select(FollowUpRating.id)).all() == []


def test_an_issue_raised_on_the_call_opens_a_ticket(desk):
    from data_access.models import Ticket

    engine, _ = desk
    at = open_page("agent", "followups")
    at.selectbox(key="followups.outcome").set_value("done")
    at.text_input(key="followups.issue").input("偶发异响")
    at.checkbox(key="followups.issue_ticket").check()
    at = submit(at, t("followups.outcome.save", "zh"))
    assert not at.exception
    with db.read(engine) as s:
        ticket = s.scalars(select(Ticket)).one()
        f = s.scalars(select(FollowUp).where(FollowUp.followup_no == "FU-1")).one()
    assert (f.issue_ticket_id, ticket.fault_description) == (ticket.id, "偶发异响")
    assert t("followups.issue.opened", "zh", value=ticket.ticket_no).split(" ")[0] in texts(at)


def test_a_complaint_link_opens_it(desk):
    """``/complaints?complaint=…``: the list shows that complaint alone, its detail open."""
    _, no = desk
    at = signed_in("quality")
    at.query_params["complaint"] = no
    at.switch_page("pages/complaints.py").run()
    assert not at.exception, at.exception
    assert at.text_input(key="complaints.search").value == no
    assert at.selectbox(key="complaints.pick").value == no


def test_the_list_pages_fifty_at_a_time_and_keeps_the_page_in_range(desk):
    engine, _ = desk
    with db.write(engine) as s:
        for i in range(60):
            log_complaint(
                s,
                Intake(customer="C0001", complainant="张伟", channel="hotline", content=f"第{i}次",
                       severity="low", urgency="low",
                       received_at=CLOCK - dt.timedelta(days=1, minutes=i)),
                actor=ADMIN,
                now=CLOCK,
            )  # fmt: skip
    at = open_page("quality", "complaints")
    assert len(at.dataframe[0].value) == 50  # the list comes first
    assert t("ui.page_of", "zh", page=1, pages=2, total=61) in texts(at)
    at.number_input(key="complaints.page").set_value(2).run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 11
    at.text_input(key="complaints.search").input("第59次").run()  # one row: back to page 1
    assert not at.exception
    assert at.number_input(key="complaints.page").value == 1
    assert len(at.dataframe[0].value) == 1
