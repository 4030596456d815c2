"""Complaints and follow-ups in the data layer, on SQLite and PostgreSQL: commands,
bad input (nothing written), permissions, numbering under concurrency, the queue."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from data_access import complaints as CP
from data_access import db
from data_access import followups as FU
from data_access.complaint_register import Intake, log_complaint
from data_access.errors import InvalidInput, NotAllowed, Refused
from data_access.models import (
    Complaint,
    ComplaintEvent,
    Customer,
    Device,
    FaultCode,
    FollowUp,
    FollowUpRating,
    ProductModel,
    SatisfactionReview,
    Ticket,
)
from rules import complaints as R
from rules.access import Actor, Role
from tests.data_access.test_tickets import user

NOW = dt.datetime(2026, 11, 20, 10, 0)
ADMIN = Actor(None, Role.ADMIN)


@pytest.fixture
def shop(db_engine):
    """Customers A (grade A) and B, a device of model M1, a fault code, a closed ticket
    repaired by eng1, and an agent, a quality officer, a manager and two engineers."""
    with db.write(db_engine) as s:
        a = Customer(code="C0001", name="华东精密", grade="A", contact_name="张伟", phone="138")
        b = Customer(code="C0002", name="南方电子", grade="B")
        m = ProductModel(code="M1", name="数控车床")
        fc = FaultCode(code="E01", name_zh="主轴异响", name_en="Spindle noise")
        s.add_all([a, b, m, fc])
        s.flush()
        d = Device(
            serial_no="SN1", customer_id=a.id, model_id=m.id, install_date=dt.date(2026, 3, 1)
        )
        s.add(d)
        ids = {"a": a.id, "b": b.id, "model": m.id, "fault": fc.id}
        for name, role in (("agent", "agent"), ("qa", "quality"), ("boss", "manager"),
                           ("eng1", "engineer"), ("eng2", "engineer")):  # fmt: skip
            ids[name] = user(s, name, role, name.upper()).id
        s.flush()
        t = Ticket(
            ticket_no="SR-20261101-0001", customer_id=a.id, device_id=d.id, channel="phone",
            priority="standard", status="closed", fault_description="异响", fault_code_id=fc.id,
            received_at=dt.datetime(2026, 11, 1, 9), closed_at=dt.datetime(2026, 11, 3, 9),
            engineer_id=ids["eng1"], escalation_level=1, remote_resolved=False,
        )  # fmt: skip
        s.add(t)
        s.flush()
        ids["ticket"] = t.id
    return db_engine, ids


def actor(ids, name, role):
    return Actor(ids[name], role)


def intake(**kw):
    base = dict(customer="C0001", complainant="张伟", channel="hotline", content="维修后又坏了",
                severity="low", urgency="low", received_at=NOW, category="quality",
                ticket="SR-20261101-0001")  # fmt: skip
    return Intake(**{**base, **kw})


def log(engine, ids, who="agent", role=Role.AGENT, **kw) -> str:
    with db.write(engine) as s:
        return log_complaint(s, intake(**kw), actor=actor(ids, who, role), now=NOW)


def row(engine, no):
    with db.read(engine) as s:
        return s.scalars(select(Complaint).where(Complaint.complaint_no == no)).one()


def count(engine, model, *where):
    with db.read(engine) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


QA = ("qa", Role.QUALITY)


def handle(engine, ids, no, *, done=True, root="工艺不当"):
    with db.write(engine) as s:
        a = actor(ids, *QA)
        CP.assign(s, no, handler="qa", group="质量小组", actor=a, now=NOW)
        CP.set_root_cause(s, no, category="workmanship", analysis=root, actor=a, now=NOW,
                          capa_criterion="90天内无同类投诉")  # fmt: skip
        CP.add_action(s, no, kind="corrective", description="更换轴承", actor=a, now=NOW,
                      status="done" if done else "doing")  # fmt: skip


# ---------------------------------------------------------------- intake
def test_an_agent_logs_a_complaint_with_priority_deadline_and_the_tickets_facts(shop):
    engine, ids = shop
    no = log(engine, ids)
    assert no == "TS-20261120-0001"
    c = row(engine, no)
    # quality never stays low: medium, front line, 24 working hours from Friday 10:00
    assert (c.priority, c.tier, c.status, c.rounds) == ("medium", 1, "received", 1)
    assert c.investigate_by == dt.datetime(2026, 11, 23, 15, 0)
    assert (c.engineer_id, c.model_id, c.fault_code_id) == (ids["eng1"], ids["model"], ids["fault"])
    assert log(engine, ids, severity="high", urgency="high") == "TS-20261120-0002"
    assert row(engine, "TS-20261120-0002").tier == 2


def test_concurrent_intakes_get_distinct_numbers(shop):
    engine, ids = shop
    got, errors = [], []
    barrier = threading.Barrier(3)

    def one():
        barrier.wait()
        try:
            got.append(log(engine, ids))
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(got) == [f"TS-20261120-000{i}" for i in (1, 2, 3)]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"customer": "NOPE"}, "customer", "err.unknown_ref"),
        ({"channel": "fax"}, "channel", "err.enum"),
        ({"severity": "huge"}, "severity", "err.enum"),
        ({"content": ""}, "content", "err.required"),
    ],
)
def test_bad_intake_is_refused_and_nothing_written(shop, change, field, code):
    engine, ids = shop
    with pytest.raises(InvalidInput) as err:
        log(engine, ids, **change)
    assert (field, code) in {(p.field, p.code) for p in err.value.problems}
    assert count(engine, Complaint) == 0


def test_engineers_cannot_log_and_only_see_complaints_on_their_own_tickets(shop):
    engine, ids = shop
    with pytest.raises(NotAllowed):
        log(engine, ids, who="eng1", role=Role.ENGINEER)
    on_his = log(engine, ids)
    log(engine, ids, ticket=None, customer="C0002")
    with db.read(engine) as s:
        mine, n = CP.list_complaints(
            s, CP.ComplaintFilter(), actor=actor(ids, "eng1", Role.ENGINEER)
        )
        other, m = CP.list_complaints(
            s, CP.ComplaintFilter(), actor=actor(ids, "eng2", Role.ENGINEER)
        )
        every, k = CP.list_complaints(
            s, CP.ComplaintFilter(), actor=actor(ids, "agent", Role.AGENT)
        )
        assert CP.complaint_detail(s, on_his, actor=actor(ids, "eng1", Role.ENGINEER))
        with pytest.raises(NotAllowed):
            CP.complaint_detail(s, on_his, actor=actor(ids, "eng2", Role.ENGINEER))
    assert ([r["complaint_no"] for r in mine], n, other, m, k) == ([on_his], 1, [], 0, 2)


@pytest.mark.parametrize(("who", "role"), [("agent", Role.AGENT), ("eng1", Role.ENGINEER)])
def test_agents_and_engineers_cannot_close(shop, who, role):
    engine, ids = shop
    no = log(engine, ids)
    handle(engine, ids, no)
    with db.write(engine) as s, pytest.raises(NotAllowed):
        CP.confirm(s, no, R.Confirmation("hotline", "张伟", NOW, True), actor=actor(ids, who, role),
                   now=NOW)  # fmt: skip
    assert row(engine, no).status == "handling"


# ---------------------------------------------------------------- closing and rounds
def test_closing_without_the_three_things_says_each_and_writes_nothing(shop):
    engine, ids = shop
    no = log(engine, ids)
    with db.write(engine) as s, pytest.raises(InvalidInput) as err:
        CP.confirm(s, no, R.Confirmation(None, "张伟", NOW, True), actor=actor(ids, *QA), now=NOW)
    codes = [p.code for p in err.value.problems]
    assert codes == ["complaints.err.no_root_cause", "complaints.err.no_done_action",
                     "complaints.err.confirmation"]  # fmt: skip
    assert row(engine, no).status == "received"
    handle(engine, ids, no, done=False)
    with db.write(engine) as s, pytest.raises(InvalidInput) as err:
        CP.confirm(s, no, R.Confirmation("hotline", "张伟", NOW, True), actor=actor(ids, *QA),
                   now=NOW)  # fmt: skip
    assert [p.code for p in err.value.problems] == ["complaints.err.no_done_action"]


def test_satisfied_closes_plans_a_call_and_opens_the_capa(shop):
    engine, ids = shop
    no = log(engine, ids)
    handle(engine, ids, no)
    with db.write(engine) as s:
        CP.inform(s, no, channel="hotline", what="已告知处理方案", person="张伟",
                  actor=actor(ids, "agent", Role.AGENT), now=NOW)  # fmt: skip
        got = CP.confirm(s, no, R.Confirmation("hotline", "张伟", NOW, True),
                         actor=actor(ids, *QA), now=NOW)  # fmt: skip
    c = row(engine, no)
    assert (got, c.status, c.satisfied, c.closed_at, c.confirm_person) == (
        "closed",
        "closed",
        True,
        NOW,
        "张伟",
    )
    assert (c.capa_status, c.capa_verify_by) == ("open", dt.date(2027, 2, 18))
    with db.read(engine) as s:
        fu = s.scalars(select(FollowUp).where(FollowUp.complaint_id == c.id)).one()
        kinds = s.scalars(
            select(ComplaintEvent.kind).where(ComplaintEvent.complaint_id == c.id)
        ).all()
    assert (fu.followup_no, fu.reason, fu.due_date) == (
        f"HF-{no}-1",
        "complaint",
        dt.date(2026, 11, 27),
    )
    assert kinds == ["status", "inform", "confirm"]
    with db.write(engine) as s, pytest.raises(InvalidInput):  # closed: lines are locked
        CP.add_action(s, no, kind="measure", description="再处理", actor=actor(ids, *QA), now=NOW)


def test_not_satisfied_reopens_rounds_and_round_three_goes_to_the_expert_and_manager(shop):
    engine, ids = shop
    no = log(engine, ids)
    handle(engine, ids, no)
    unhappy = R.Confirmation("hotline", "张伟", NOW, False)
    with db.write(engine) as s:
        assert CP.confirm(s, no, unhappy, actor=actor(ids, *QA), now=NOW) == "handling"
    c = row(engine, no)
    assert (c.rounds, c.tier, c.manager_id, c.satisfied) == (2, 1, None, False)
    with db.write(engine) as s:
        CP.confirm(s, no, unhappy, actor=actor(ids, *QA), now=NOW)
    c = row(engine, no)
    assert (c.rounds, c.tier, c.manager_id, c.status) == (3, 3, ids["boss"], "handling")
    with db.read(engine) as s:
        detail = CP.complaint_detail(s, no, actor=ADMIN)
    assert [e["kind"] for e in detail["events"]] == ["status", "round", "round", "escalate"]
    with db.write(engine) as s:  # satisfied at last: closes
        CP.confirm(
            s, no, R.Confirmation("email", "张伟", NOW, True), actor=actor(ids, *QA), now=NOW
        )
    assert row(engine, no).status == "closed"


def test_inform_needs_a_channel_and_what_was_said(shop):
    engine, ids = shop
    no = log(engine, ids)
    with db.write(engine) as s, pytest.raises(InvalidInput) as err:
        CP.inform(s, no, channel="pigeon", what=" ", actor=ADMIN, now=NOW)
    assert {p.code for p in err.value.problems} == {"err.enum", "err.required"}
    assert count(engine, ComplaintEvent, ComplaintEvent.kind == "inform") == 0


# ---------------------------------------------------------------- CAPA
def closed_with_capa(engine, ids) -> str:
    no = log(engine, ids)
    handle(engine, ids, no)
    with db.write(engine) as s:
        CP.confirm(s, no, R.Confirmation("hotline", "张伟", NOW, True), actor=actor(ids, *QA),
                   now=NOW)  # fmt: skip
    return no


def test_a_repeat_on_the_same_model_and_fault_makes_the_capa_not_effective(shop):
    engine, ids = shop
    no = closed_with_capa(engine, ids)
    with db.write(engine) as s:  # another complaint on the same ticket's model and fault
        log_complaint(s, intake(received_at=NOW + dt.timedelta(days=10)),
                         actor=actor(ids, "agent", Role.AGENT), now=NOW)  # fmt: skip
    assert row(engine, no).capa_status == "not_effective"


def test_a_complaint_on_another_model_leaves_the_capa_open(shop):
    engine, ids = shop
    no = closed_with_capa(engine, ids)
    log(engine, ids, ticket=None, received_at=NOW + dt.timedelta(days=10))
    assert row(engine, no).capa_status == "open"


def test_verifying_a_capa(shop):
    engine, ids = shop
    no = closed_with_capa(engine, ids)
    with db.write(engine) as s, pytest.raises(InvalidInput) as err:
        CP.verify_capa(s, no, verifier=None, verified_on=None, result="", effective=True,
                       actor=actor(ids, *QA), now=NOW)  # fmt: skip
    assert {p.field for p in err.value.problems} == {
        "capa_verifier",
        "capa_verified_at",
        "capa_result",
    }
    with db.write(engine) as s:
        got = CP.verify_capa(s, no, verifier="qa", verified_on=dt.date(2027, 2, 20),
                             result="无重复投诉", effective=True, actor=actor(ids, *QA), now=NOW)  # fmt: skip
    c = row(engine, no)
    assert (got, c.capa_status, c.capa_verifier_id) == ("effective", "effective", ids["qa"])


def test_a_capa_is_not_verified_before_its_action_is_done(shop):
    engine, ids = shop
    no = log(engine, ids)
    handle(engine, ids, no)
    with db.write(engine) as s:
        CP.add_action(s, no, kind="preventive", description="修订作业指导书", actor=ADMIN, now=NOW)
        CP.confirm(s, no, R.Confirmation("hotline", "张伟", NOW, True), actor=ADMIN, now=NOW)
    with db.write(engine) as s, pytest.raises(InvalidInput) as err:
        CP.verify_capa(s, no, verifier="qa", verified_on=dt.date(2027, 2, 20), result="好",
                       effective=True, actor=ADMIN, now=NOW)  # fmt: skip
    assert [p.code for p in err.value.problems] == ["complaints.err.capa_not_done"]
    assert row(engine, no).capa_status == "open"


def test_timed_escalation_moves_overdue_complaints_up(shop):
    engine, ids = shop
    no = log(engine, ids)
    with db.write(engine) as s:
        assert CP.escalate_overdue(s, NOW + dt.timedelta(days=5)) == [no]
        assert CP.escalate_overdue(s, NOW + dt.timedelta(days=5)) == [no]
        assert CP.escalate_overdue(s, NOW + dt.timedelta(days=5)) == []
    assert row(engine, no).tier == 3


# ---------------------------------------------------------------- follow-ups
def planned(engine, ids, no="FU-1", engineer=None, attempts=0):
    with db.write(engine) as s:
        s.add(FollowUp(followup_no=no, customer_id=ids["a"], ticket_id=ids["ticket"],
                       engineer_id=engineer, reason="ticket", mode="phone",
                       due_date=dt.date(2026, 11, 18), status="planned", attempts=attempts))  # fmt: skip


def call(engine, ids, result, no="FU-1", who="agent", role=Role.AGENT):
    with db.write(engine) as s:
        return FU.record_outcome(s, no, result, actor=actor(ids, who, role), now=NOW)


def test_retries_up_to_three_then_a_fourth_is_refused(shop):
    engine, ids = shop
    planned(engine, ids)
    for n in (1, 2, 3):
        got = call(engine, ids, FU.CallResult("no_answer"))
        assert (got["status"], got["attempts"]) == ("planned", n)
    got = call(engine, ids, FU.CallResult("no_answer"))  # the third retry, unanswered
    assert (got["status"], got["attempts"]) == ("unreachable", 4)
    with pytest.raises(InvalidInput) as err:
        call(engine, ids, FU.CallResult("no_answer"))
    assert [p.code for p in err.value.problems] == ["followups.err.retries"]


def test_every_rating_is_kept_and_csat_reads_the_latest(shop):
    engine, ids = shop
    planned(engine, ids)
    call(engine, ids, FU.CallResult("done", quality=3, attitude=3, efficiency=3))
    call(engine, ids, FU.CallResult("done", quality=5, attitude=5, efficiency=4))
    with db.read(engine) as s:
        scores = s.scalars(select(FollowUpRating.score).order_by(FollowUpRating.id)).all()
        engineers = set(s.scalars(select(FollowUpRating.engineer_id)))
        latest = FU.latest_scores(s, dt.datetime(2026, 11, 1), dt.datetime(2026, 12, 1))
    assert [str(x) for x in scores] == ["3.00", "4.67"]
    assert engineers == {ids["eng1"]}
    assert {k: str(v) for k, v in latest.items()} == {ids["ticket"]: "4.67"}


@pytest.mark.parametrize(
    ("result", "code"),
    [
        (FU.CallResult("done", quality=6, attitude=5, efficiency=5), "followups.err.score_range"),
        (FU.CallResult("done", quality=0, attitude=5, efficiency=5), "followups.err.score_range"),
        (
            FU.CallResult("done", quality=2, attitude=5, efficiency=5),
            "followups.err.low_needs_comment",
        ),
        (FU.CallResult("maybe"), "err.enum"),
    ],
)
def test_bad_call_results_write_nothing(shop, result, code):
    engine, ids = shop
    planned(engine, ids)
    with pytest.raises(InvalidInput) as err:
        call(engine, ids, result)
    assert code in [p.code for p in err.value.problems]
    assert count(engine, FollowUpRating) == 0
    assert count(engine, FollowUp, FollowUp.status == "planned", FollowUp.attempts == 0) == 1


def test_a_low_score_opens_a_complaint_on_the_ticket_and_engineer(shop):
    engine, ids = shop
    planned(engine, ids)
    got = call(engine, ids, FU.CallResult("done", quality=2, attitude=4, efficiency=4,
                                           comment="修了三次"))  # fmt: skip
    assert got["complaint_no"] == "TS-20261120-0001"
    c = row(engine, got["complaint_no"])
    assert (c.ticket_id, c.engineer_id, c.status) == (ids["ticket"], ids["eng1"], "received")
    assert "修了三次" in c.content


def test_the_rated_engineer_cannot_record_his_own_rating(shop):
    engine, ids = shop
    planned(engine, ids, engineer=ids["agent"])  # the agent's own work is rated
    with pytest.raises(InvalidInput) as err:
        call(engine, ids, FU.CallResult("done", quality=5, attitude=5, efficiency=5))
    assert [p.code for p in err.value.problems] == ["followups.err.self_rating"]
    with pytest.raises(NotAllowed):  # engineers do not take calls at all
        call(engine, ids, FU.CallResult("done"), who="eng1", role=Role.ENGINEER)


def test_a_follow_up_for_an_unknown_customer_is_refused(shop):
    engine, ids = shop
    with db.write(engine) as s, pytest.raises(InvalidInput) as err:
        FU.add_followup(s, customer="NOPE", due=dt.date(2026, 12, 1), reason="periodic",
                        actor=actor(ids, "agent", Role.AGENT), now=NOW)  # fmt: skip
    assert [p.code for p in err.value.problems] == ["err.unknown_ref"]
    assert count(engine, FollowUp) == 0


def test_queue_generation_follows_the_rules_and_is_idempotent(shop):
    engine, ids = shop
    with db.write(engine) as s:
        s.add(FollowUp(followup_no="FU-x", customer_id=ids["b"], reason="ticket", mode="phone",
                       due_date=dt.date(2026, 5, 10), status="done"))  # fmt: skip
    with db.write(engine) as s:
        n = FU.generate_queue(s, 2026, actor=actor(ids, "agent", Role.AGENT), now=NOW)
    with db.write(engine) as s:
        again = FU.generate_queue(s, 2026, actor=actor(ids, "agent", Role.AGENT), now=NOW)
    with db.read(engine) as s:
        by = dict(s.execute(select(FollowUp.reason, func.count()).group_by(FollowUp.reason)).all())
        b_periodic = s.scalars(select(FollowUp.due_date).where(
            FollowUp.customer_id == ids["b"], FollowUp.reason == "periodic").order_by(FollowUp.due_date)).all()  # fmt: skip
        plan = FU.annual_plan(s, ids["a"], 2026)
    # A monthly (12), B quarterly but Q2 is covered (3); the device installed in March
    assert (n, again) == (16, 0)
    assert by == {"periodic": 15, "install": 1, "ticket": 1}
    assert b_periodic == [dt.date(2026, 1, 15), dt.date(2026, 7, 15), dt.date(2026, 10, 15)]
    assert len(plan) == 13


def test_the_callers_queue_puts_overdue_first(shop):
    engine, ids = shop
    with db.write(engine) as s:
        for no, due in (("FU-today", dt.date(2026, 11, 20)), ("FU-old", dt.date(2026, 11, 2)),
                        ("FU-later", dt.date(2026, 11, 25))):  # fmt: skip
            s.add(FollowUp(followup_no=no, customer_id=ids["a"], reason="periodic", mode="phone",
                           due_date=due, status="planned", attempts=0))  # fmt: skip
    with db.read(engine) as s:
        rows = FU.queue(s, dt.date(2026, 11, 20), actor=actor(ids, "agent", Role.AGENT))
    assert [(r["followup_no"], r["overdue"]) for r in rows] == [
        ("FU-old", True),
        ("FU-today", False),
    ]


def test_below_the_threshold_a_review_opens_once_and_the_manager_closes_it(shop):
    engine, ids = shop
    planned(engine, ids)
    call(engine, ids, FU.CallResult("done", quality=3, attitude=4, efficiency=4))
    with db.write(engine) as s:
        review = FU.check_period(s, NOW.date(), actor=ADMIN, now=NOW)
        assert review is not None
        assert (float(review.satisfaction), review.ticket_ids) == (0.0, [ids["ticket"]])
        assert FU.check_period(s, NOW.date(), actor=ADMIN, now=NOW).id == review.id
        rid = review.id
    with db.write(engine) as s, pytest.raises(NotAllowed):
        FU.close_review(s, rid, "复盘", actor=actor(ids, "agent", Role.AGENT), now=NOW)
    with db.write(engine) as s:
        FU.close_review(s, rid, "复盘", actor=actor(ids, "boss", Role.MANAGER), now=NOW)
    assert count(engine, SatisfactionReview, SatisfactionReview.status == "closed") == 1


def test_a_month_at_the_threshold_opens_no_review(shop):
    engine, ids = shop
    planned(engine, ids)
    call(engine, ids, FU.CallResult("done", quality=4, attitude=4, efficiency=4))
    with db.write(engine) as s:
        assert FU.check_period(s, NOW.date(), actor=ADMIN, now=NOW) is None


# ---------------------------------------------------------------- Excel: report and call list
def test_the_complaint_report_has_its_five_sections_and_no_formula(shop):
    import io

    import openpyxl

    from imports.complaint_report import report_bytes

    engine, ids = shop
    no = log(engine, ids, content='=HYPERLINK("http://x")')
    handle(engine, ids, no)
    with db.read(engine) as s:
        d = CP.complaint_detail(s, no, actor=ADMIN)
    ws = openpyxl.load_workbook(io.BytesIO(report_bytes(d, "zh"))).active
    cells = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    for title in ("基本信息", "处理过程", "处理结果", "原因分析", "改进措施"):
        assert title in cells
    assert "工艺不当" in cells and "更换轴承" in cells
    typed = [c for row in ws.iter_rows() for c in row if c.value == '=HYPERLINK("http://x")']
    assert typed and typed[0].data_type == "s"  # text, never a formula


def test_the_weeks_call_list_exports_planned_calls_of_the_week_and_imports_back(shop):
    import datetime as _dt

    from imports.engine import import_file
    from imports.writer import export_bytes

    engine, ids = shop
    with db.write(engine) as s:
        for no, due, status in (("FU-mon", _dt.date(2026, 11, 16), "planned"),
                                ("FU-sun", _dt.date(2026, 11, 22), "planned"),
                                ("FU-next", _dt.date(2026, 11, 23), "planned"),
                                ("FU-done", _dt.date(2026, 11, 17), "done")):  # fmt: skip
            s.add(FollowUp(followup_no=no, customer_id=ids["a"], reason="periodic", mode="phone",
                           due_date=due, status=status, attempts=0))  # fmt: skip
    with db.read(engine) as s:
        data = export_bytes(s, "followups", lang="zh", today=NOW.date(),
                            selection=FU.week_of(NOW.date()), now=NOW)  # fmt: skip
    import io

    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sorted(r[0] for r in ws.iter_rows(min_row=2, values_only=True)) == ["FU-mon", "FU-sun"]
    with db.write(engine) as s:
        report = import_file(s, "followups", data, file_name="week.xlsx", now=NOW, actor=ADMIN)
    assert report.problems == [] and (report.inserted, report.updated) == (0, 0)


@pytest.mark.parametrize(
    ("comment", "problems", "complaints"), [(None, 1, 0), ("一直没修好", 0, 1)]
)
def test_call_results_imported_from_the_sheet_keep_ratings_like_the_app(
    shop, comment, problems, complaints
):
    import io

    import openpyxl

    from imports.engine import import_file
    from imports.writer import export_bytes
    from rules.followups import FOLLOWUPS

    engine, ids = shop
    planned(engine, ids)
    with db.read(engine) as s:
        data = export_bytes(s, "followups", lang="zh", today=NOW.date(),
                            selection=FU.week_of(NOW.date()), now=NOW)  # fmt: skip
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.active
    col = {c.value: c.column for c in ws[1]}
    values = {"status": "已回访", "outcome": "已完成", "attempts": 1, "rating_quality": 1,
              "rating_attitude": 2, "rating_efficiency": 2, "rating_comment": comment}  # fmt: skip
    for name, value in values.items():
        ws.cell(row=2, column=col[FOLLOWUPS.field(name).label("zh")], value=value)
    buf = io.BytesIO()
    wb.save(buf)
    with db.write(engine) as s:
        report = import_file(s, "followups", buf.getvalue(), file_name="w.xlsx", now=NOW,
                             actor=Actor(ids["agent"], Role.AGENT))  # fmt: skip
    assert len(report.problems) == problems
    assert count(engine, FollowUpRating) == 1 - problems
    assert count(engine, Complaint) == complaints


def test_investigation_hours_come_from_the_setting(shop):
    from data_access.models import Setting

    engine, ids = shop
    with db.write(engine) as s:
        s.add(Setting(key=R.INVESTIGATE_HOURS_SETTING, value={"medium": 2}))
    no = log(engine, ids)  # medium
    assert row(engine, no).investigate_by == dt.datetime(2026, 11, 20, 12, 0)


def test_an_issue_raised_on_a_call_opens_a_ticket_tracked_to_closure(shop):
    engine, ids = shop
    planned(engine, ids)
    call(engine, ids, FU.CallResult("done", issue="设备偶发异响"))
    with db.write(engine) as s:
        no = FU.open_issue_ticket(s, "FU-1", actor=actor(ids, "agent", Role.AGENT), now=NOW)
        assert FU.open_issue_ticket(s, "FU-1", actor=actor(ids, "agent", Role.AGENT), now=NOW) == no
    with db.write(engine) as s:
        t = s.scalars(select(Ticket).where(Ticket.ticket_no == no)).one()
        assert (t.customer_id, t.fault_description) == (ids["a"], "设备偶发异响")
        assert FU.sync_issue_status(s) == 0
        t.status = "closed"
    with db.write(engine) as s:
        assert FU.sync_issue_status(s) == 1
        f = s.scalars(select(FollowUp).where(FollowUp.followup_no == "FU-1")).one()
        assert (f.issue_ticket_id, f.issue_closed) == (t.id, True)


def test_no_issue_no_ticket(shop):
    engine, ids = shop
    planned(engine, ids)
    with db.write(engine) as s, pytest.raises(InvalidInput):
        FU.open_issue_ticket(s, "FU-1", actor=ADMIN, now=NOW)
    assert count(engine, Ticket) == 1


@pytest.mark.parametrize(
    ("register", "who", "role", "allowed"),
    [
        ("complaints", "eng1", Role.ENGINEER, False),
        ("complaints", "agent", Role.AGENT, False),  # agents log through intake only
        ("complaints", "qa", Role.QUALITY, True),
        ("complaint_actions", "eng1", Role.ENGINEER, False),
        ("followups", "agent", Role.AGENT, True),
        ("followups", "eng1", Role.ENGINEER, False),
    ],
)
def test_register_saves_need_the_pages_edit_right(shop, register, who, role, allowed):
    from data_access.registers import save_changes

    engine, ids = shop
    rows = {
        "complaints": {"complaint_no": "TS-X", "customer": "C0001", "complainant": "王",
                       "channel": "hotline", "received_at": NOW, "content": "慢",
                       "severity": "low", "urgency": "low", "status": "received"},
        "complaint_actions": {"complaint": "TS-X", "line_no": 1, "kind": "measure",
                              "description": "x"},
        "followups": {"followup_no": "HF-X", "customer": "C0001", "reason": "periodic",
                      "mode": "phone", "due_date": dt.date(2026, 12, 1), "status": "planned"},
    }  # fmt: skip
    with db.write(engine) as s:
        if not allowed:
            with pytest.raises(NotAllowed):
                save_changes(s, register, inserts=[rows[register]], updates=[], deletes=[],
                             actor=actor(ids, who, role), now=NOW)  # fmt: skip
            return
        result = save_changes(s, register, inserts=[rows[register]], updates=[], deletes=[],
                              actor=actor(ids, who, role), now=NOW)  # fmt: skip
    assert result.problems == [] and result.inserted == 1


# ---------------------------------------------------------------- the demo
def test_the_demo_covers_every_state_and_low_scores_have_their_complaint(db_engine):
    from data_access import demo
    from data_access.models import ComplaintAction
    from rules import followups as RF

    demo.load(db_engine, customers=12, tickets=160)
    with db.read(db_engine) as s:

        def values(col):
            return set(s.scalars(select(col).distinct().where(col.is_not(None))))

        assert values(Complaint.status) == set(R.Status)
        assert values(Complaint.capa_status) == set(R.CapaStatus)
        assert values(Complaint.rounds) >= {1, 2, 3}
        assert values(ComplaintAction.status) == set(R.ActionStatus)
        assert values(FollowUp.status) == set(RF.Status)
        assert values(FollowUp.outcome) == set(RF.Outcome)
        assert values(SatisfactionReview.status) == set(RF.ReviewStatus)
        low = s.execute(
            select(FollowUp.complaint_id, FollowUp.ticket_id).where(
                FollowUp.rating_comment.is_not(None), FollowUp.ticket_id.is_not(None)
            )
        ).all()
        assert low and all(c is not None for c, _ in low)
        linked = s.execute(
            select(Complaint.ticket_id).where(Complaint.id.in_([c for c, _ in low]))
        ).scalars()
        assert sorted(linked) == sorted(t for _, t in low)
        # every rated follow-up has its rating row
        rated = s.scalar(select(func.count()).where(FollowUp.rating_quality.is_not(None)))
        assert rated == s.scalar(select(func.count(FollowUpRating.id)))


def test_closing_in_the_grid_needs_a_completed_action_too(shop):
    from data_access.registers import save_changes

    engine, ids = shop
    no = log(engine, ids)
    handle(engine, ids, no, done=False)
    c = row(engine, no)
    closing = {"id": c.id, "version": c.version, "status": "closed", "satisfied": True,
               "confirm_channel": "hotline", "confirm_person": "张伟", "confirm_at": NOW}  # fmt: skip
    with pytest.raises(Refused) as err, db.write(engine) as s:
        save_changes(s, "complaints", inserts=[], updates=[closing], deletes=[],
                     actor=actor(ids, *QA), now=NOW)  # fmt: skip
    assert (err.value.code, err.value.params["value"]) == ("complaints.err.no_done_action_of", no)
    assert row(engine, no).status != "closed"
    with db.write(engine) as s:
        CP.add_action(s, no, kind="corrective", description="更换轴承", status="done",
                      actor=actor(ids, *QA), now=NOW)  # fmt: skip
    closing["version"] = row(engine, no).version
    with db.write(engine) as s:
        done = save_changes(s, "complaints", inserts=[], updates=[closing], deletes=[],
                            actor=actor(ids, *QA), now=NOW)  # fmt: skip
    assert done.problems == []
    assert row(engine, no).status == "closed"
