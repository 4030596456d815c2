"""Dashboard KPIs: numerators and denominators on a hand-built data set whose answers are
worked out below, roles, bad input and keyset paging, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from data_access import dashboard as DB
from data_access import db
from data_access import followups as FU
from data_access.errors import InvalidInput, NotAllowed
from data_access.models import (
    Complaint,
    Customer,
    Device,
    FaultCode,
    FollowUp,
    FollowUpRating,
    MaintenancePlan,
    MaintenanceVisit,
    Part,
    ProductModel,
    SatisfactionReview,
    ServiceReport,
    Setting,
    StockMovement,
    Ticket,
    TicketPart,
    TrainingAttendance,
    TrainingCourse,
    TrainingSession,
    User,
    Warehouse,
)
from rules.access import Actor, Role
from rules.dashboard import KPIS, visible

D = dt.datetime
MARCH = DB.Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
NOW = D(2026, 3, 20, 12, 0)
ADMIN = Actor(None, Role.ADMIN)
NONE = DB.Filters()


def _t(no, customer, **kw) -> Ticket:
    base = dict(ticket_no=no, customer_id=customer.id, channel="phone", priority="high",
                status="closed", fault_description="停机")  # fmt: skip
    return Ticket(**{**base, **kw})


@pytest.fixture
def data(db_engine):
    """Four tickets in March 2026 (T1–T4), one in February (T0); the expected figures
    are worked out in each test."""
    with db.write(db_engine) as s:
        c1 = Customer(code="C1", name="恒达", grade="A", region="华东")
        c2 = Customer(code="C2", name="南方", grade="B", region="华南")
        m1 = ProductModel(code="M1", name="数控车床")
        e1 = User(username="e1", display_name="工程师一", role="engineer", password_hash="-")
        e2 = User(username="e2", display_name="工程师二", role="engineer", password_hash="-")
        f1, f2 = FaultCode(code="F1", name_zh="主轴"), FaultCode(code="F2", name_zh="电源")
        s.add_all([c1, c2, m1, e1, e2, f1, f2])
        s.flush()
        d1 = Device(serial_no="D1", customer_id=c1.id, model_id=m1.id,
                    install_date=dt.date(2025, 1, 1))  # fmt: skip
        d2 = Device(serial_no="D2", customer_id=c2.id, install_date=dt.date(2025, 6, 1))
        d3 = Device(serial_no="D3", customer_id=c1.id, model_id=m1.id)  # not installed
        s.add_all([d1, d2, d3])
        s.flush()
        common = dict(customer=c1, device_id=d1.id, engineer_id=e1.id, service_type="repair")
        t1 = _t("T1", **common, fault_code_id=f1.id, first_time_fix=True,
                received_at=D(2026, 3, 2, 9), responded_at=D(2026, 3, 2, 9, 10),
                resolved_at=D(2026, 3, 2, 15), respond_due=D(2026, 3, 2, 13),
                resolve_due=D(2026, 3, 3, 9), response_business_s=600.0,
                resolution_business_s=6 * 3600.0)  # fmt: skip
        t2 = _t("T2", **common, fault_code_id=f1.id, first_time_fix=True,
                received_at=D(2026, 3, 5, 9), responded_at=D(2026, 3, 5, 9, 30),
                resolved_at=D(2026, 3, 6, 9), respond_due=D(2026, 3, 5, 9, 20),
                resolve_due=D(2026, 3, 5, 18), response_business_s=1800.0,
                resolution_business_s=9.5 * 3600.0)  # fmt: skip
        # received Friday 17:00, answered Monday 09:00: 90 business minutes (Mon–Fri
        # 08:30–18:00), 64 wall-clock hours
        t3 = _t("T3", customer=c2, device_id=d2.id, engineer_id=e2.id, channel="email",
                service_type="consultation", status="dispatched",
                received_at=D(2026, 3, 13, 17), responded_at=D(2026, 3, 16, 9),
                respond_due=D(2026, 3, 13, 17, 30), resolve_due=D(2026, 3, 16, 12),
                response_business_s=5400.0)  # fmt: skip
        t4 = _t("T4", customer=c2, engineer_id=e2.id, channel="email", service_type="repair",
                status="cancelled", received_at=D(2026, 3, 12, 9))  # fmt: skip
        t0 = _t("T0", customer=c1, device_id=d2.id, engineer_id=e1.id, service_type="repair",
                received_at=D(2026, 2, 10, 9), responded_at=D(2026, 2, 10, 9, 20),
                resolved_at=D(2026, 2, 10, 10, 20), respond_due=D(2026, 2, 10, 13),
                resolve_due=D(2026, 2, 11, 9), response_business_s=1200.0,
                resolution_business_s=4800.0, first_time_fix=False)  # fmt: skip
        s.add_all([t1, t2, t3, t4, t0])
        s.flush()
        full = dict(work_done="换轴承", diagnosis="轴承磨损", labour_hours=Decimal("2.5"),
                    accepted_by="李", accepted_at=D(2026, 3, 2, 16))  # fmt: skip
        s.add_all([
            ServiceReport(ticket_id=t1.id, result="fixed", fault_code_id=f1.id, **full),
            ServiceReport(ticket_id=t2.id, result="not_fixed", fault_code_id=f2.id,
                          corrected_at=D(2026, 3, 7), **full),
            ServiceReport(ticket_id=t3.id, result="fixed", work_done="x", diagnosis="y",
                          labour_hours=Decimal("1")),
        ])  # fmt: skip
        # ratings: T1 rated twice in March (the latest, 3.00, counts), T2 once, T3 in
        # February only
        ratings = [(t1, D(2026, 3, 5), 5, 5, 5, "5.00"), (t1, D(2026, 3, 6), 3, 3, 3, "3.00"),
                   (t2, D(2026, 3, 8), 4, 4, 5, "4.33"), (t3, D(2026, 2, 20), 2, 2, 2, "2.00")]  # fmt: skip
        for i, (t, at, q, a, e, score) in enumerate(ratings):
            fu = FollowUp(followup_no=f"FU-{i}", customer_id=t.customer_id, ticket_id=t.id,
                          reason="ticket", mode="phone", due_date=at.date(), status="done")  # fmt: skip
            s.add(fu)
            s.flush()
            s.add(FollowUpRating(followup_id=fu.id, ticket_id=t.id, rated_at=at, quality=q,
                                 attitude=a, efficiency=e, score=Decimal(score)))  # fmt: skip
        base = dict(complainant="王", channel="phone", content="慢", severity="minor",
                    urgency="normal", priority="standard", status="closed")  # fmt: skip
        s.add_all([
            Complaint(complaint_no="K1", customer_id=c1.id, ticket_id=t1.id, engineer_id=e1.id,
                      received_at=D(2026, 3, 9), satisfied=True, **base),
            Complaint(complaint_no="K2", customer_id=c2.id, received_at=D(2026, 3, 18), **base),
        ])  # fmt: skip
        plan = MaintenancePlan(plan_no="P1", name="年检", customer_id=c1.id, device_id=d1.id,
                               frequency="monthly", start_date=dt.date(2026, 1, 1))  # fmt: skip
        s.add(plan)
        s.flush()
        visits = [("V1", dt.date(2026, 3, 10), "done", D(2026, 3, 10, 15)),
                  ("V2", dt.date(2026, 3, 15), "done", D(2026, 3, 24, 10)),  # past its window
                  ("V3", dt.date(2026, 3, 20), "planned", None),
                  ("V4", dt.date(2026, 3, 25), "cancelled", None)]  # fmt: skip
        for no, due, status, done in visits:
            s.add(MaintenanceVisit(visit_no=no, plan_id=plan.id, planned_date=due, due_date=due,
                                   status=status, done_at=done, engineer_id=e1.id))  # fmt: skip
        course = TrainingCourse(code="TC1", title_zh="操作", topic="operation",
                                delivery="onsite", audience="operators")  # fmt: skip
        s.add(course)
        s.flush()
        session = TrainingSession(session_no="S1", course_id=course.id,
                                  starts_at=D(2026, 1, 5, 9), status="held")  # fmt: skip
        s.add(session)
        s.flush()
        s.add(TrainingAttendance(session_id=session.id, line_no=1, kind="customer", name="张",
                                 customer_id=c1.id, presence="present"))  # fmt: skip
        key, plain = Part(part_no="P1", name="主板", is_key=True), Part(part_no="P2", name="螺丝")
        wh = Warehouse(code="W1", name="总库", kind="central")
        s.add_all([key, plain, wh])
        s.flush()

        def issue(no, at, requested):
            m = StockMovement(entry=f"{no}/1", doc_no=no, line_no=1, part_id=key.id,
                              warehouse_id=wh.id, at=at, kind="issue", qty=-1,
                              requested_at=requested)  # fmt: skip
            s.add(m)
            s.flush()
            return m.id

        # T1's key part issued 23 h after the request; T2's 5 days after the ticket
        # (no request time recorded); T3's not issued; T1's plain part not counted
        lines = [(t1, 1, key, issue("I1", D(2026, 3, 3, 9), D(2026, 3, 2, 10))),
                 (t2, 1, key, issue("I2", D(2026, 3, 10, 9), None)),
                 (t3, 1, key, None), (t1, 2, plain, None)]  # fmt: skip
        for t, n, part, movement in lines:
            s.add(TicketPart(ticket_id=t.id, line_no=n, part_id=part.id, part_no=part.part_no,
                             qty=1, movement_id=movement))  # fmt: skip
        ids = {"e1": e1.id, "e2": e2.id, "t1": t1.id, "t2": t2.id}
    return db_engine, ids


def _figs(engine, actor=ADMIN, filters=NONE, period=MARCH):
    with db.read(engine) as s:
        return DB.figures(s, actor, period, filters, NOW)


def _nd(fig):
    return fig.numerator, fig.denominator


def test_ticket_figures(data):
    engine, _ = data
    f = _figs(engine)
    assert f["tickets_received"].value == 4
    assert f["tickets_open"].value == 1  # T3
    assert f["tickets_overdue"].value == 1  # T3 past its resolve-by at NOW
    # business: (10 + 30 + 90) / 3 minutes; wall clock: (10 + 30 + 64 × 60) / 3
    assert f["first_response_min"].value == pytest.approx(130 / 3)
    assert _nd(f["first_response_min"]) == (pytest.approx(130), 3)
    assert f["first_response_wall_min"].value == pytest.approx((10 + 30 + 3840) / 3)
    assert f["resolution_h"].value == pytest.approx((6 + 9.5) / 2)
    assert f["resolution_wall_h"].value == pytest.approx((6 + 24) / 2)
    assert _nd(f["response_compliance"]) == (1, 3)  # only T1 in time
    assert _nd(f["on_time_repair"]) == (1, 2)  # T1 in time, T2 late
    # T1 had another ticket (T2) on its device within 7 days: not fixed first time
    assert _nd(f["first_time_fix"]) == (1, 2)
    # the previous period (Jan 29 – Feb 28) holds T0 only
    assert f["first_response_min"].previous == pytest.approx(20)
    assert f["first_response_min"].change == pytest.approx(130 / 3 - 20)


def test_first_time_fix_repeat_window_is_a_setting(data):
    engine, _ = data
    with db.write(engine) as s:
        s.add(Setting(key="dashboard.ftf_repeat_days", value=0))
    # T2 came in three days after T1 was resolved: outside a 0-day window
    assert _nd(_figs(engine)["first_time_fix"]) == (2, 2)


def test_report_figures(data):
    engine, _ = data
    f = _figs(engine)
    assert _nd(f["repair_success"]) == (1, 2)  # T1 fixed, T2 not; T3 not resolved
    # R1 complete; R2 corrected after acceptance; R3 not accepted
    assert _nd(f["work_order_accuracy"]) == (1, 3)
    assert _nd(f["diagnosis_accuracy"]) == (1, 2)  # R3 has no confirmed code


def test_satisfaction_agrees_with_followups(data):
    engine, _ = data
    f = _figs(engine)
    assert f["csat"].value == pytest.approx((3.00 + 4.33) / 2)
    assert _nd(f["satisfaction_rate"]) == (1, 2)
    with db.read(engine) as s:
        start, end = MARCH.bounds()
        scores = FU.latest_scores(s, start, end)
    assert f["csat"].denominator == len(scores)
    assert f["csat"].value == pytest.approx(float(sum(scores.values())) / len(scores))


def test_complaints_maintenance_training_parts_devices(data):
    engine, _ = data
    f = _figs(engine)
    assert _nd(f["complaint_rate"]) == (2, 4)
    assert _nd(f["complaint_satisfaction"]) == (1, 1)
    assert _nd(f["maintenance_completion"]) == (1, 3)  # V1 on time; V2 late; V3 open
    assert _nd(f["training_coverage"]) == (1, 2)
    assert _nd(f["key_parts_72h"]) == (1, 3)
    # two repair tickets on devices, two installed devices, over 31 days, per year
    assert f["failure_rate"].value == pytest.approx(100 * 2 / 2 * 365 / 31)


def test_filters(data):
    engine, ids = data
    south = _figs(engine, filters=DB.Filters(region="华南"))
    assert south["tickets_received"].value == 2
    assert south["first_response_min"].value == pytest.approx(90)
    model = _figs(engine, filters=DB.Filters(product_model="M1"))
    assert model["tickets_received"].value == 2
    assert _nd(model["maintenance_completion"]) == (1, 3)
    email = _figs(engine, filters=DB.Filters(channel="email"))
    assert email["tickets_received"].value == 2
    assert email["maintenance_completion"].value is None  # visits have no channel
    nothing = _figs(engine, filters=DB.Filters(region="无此区域"))
    assert all(v.value is None for k, v in nothing.items()), nothing


def test_no_data_gives_no_figure_and_no_error(data):
    engine, _ = data
    empty = DB.Period(dt.date(2020, 1, 1), dt.date(2020, 1, 31))
    f = _figs(engine, period=empty)
    assert set(f) == {k.key for k in KPIS}
    quiet = {k: v.value for k, v in f.items() if k != "training_coverage"}
    assert all(v is None for v in quiet.values()), quiet


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        (dt.date(2026, 3, 31), dt.date(2026, 3, 1), "dashboard.err.end_before_start"),
        (dt.date(2016, 1, 1), dt.date(2025, 12, 31), "dashboard.err.too_long"),
    ],
)
def test_bad_period(data, start, end, code):
    engine, _ = data
    period = DB.Period(start, end)
    with db.read(engine) as s:
        for call in (
            lambda: DB.figures(s, ADMIN, period, NONE, NOW),
            lambda: DB.breakdown(s, ADMIN, period, NONE, "region"),
            lambda: DB.drill(s, ADMIN, "tickets_received", period, NONE),
        ):
            with pytest.raises(InvalidInput) as e:
                call()
            assert [p.code for p in e.value.problems] == [code]


def test_roles(data):
    engine, ids = data
    me = Actor(ids["e1"], Role.ENGINEER)
    # an engineer's figures are his own, whatever filter he asks for
    own = _figs(engine, actor=me, filters=DB.Filters(engineer_id=ids["e2"]))
    assert own["tickets_received"].value == 2
    assert "complaint_rate" not in own and "training_coverage" not in own
    quality = _figs(engine, actor=Actor(None, Role.QUALITY))
    assert set(quality) == {"csat", "satisfaction_rate", "complaint_rate",
                            "complaint_satisfaction"}  # fmt: skip
    agent = _figs(engine, actor=Actor(None, Role.AGENT))
    assert set(agent) == {k.key for k in KPIS if k.topic == "tickets"}
    assert set(_figs(engine, actor=Actor(None, Role.MANAGER))) == {k.key for k in KPIS}
    with db.read(engine) as s:
        with pytest.raises(NotAllowed):
            DB.figures(s, Actor(None, Role.PARTS_KEEPER), MARCH, NONE, NOW)
        with pytest.raises(NotAllowed):
            DB.drill(s, Actor(None, Role.AGENT), "csat", MARCH, NONE)
        rows = list(DB.drill_rows(s, me, "tickets_received", MARCH, NONE))
    assert {r["ticket_no"] for r in rows} == {"T1", "T2"}
    assert visible(Role.TRAINER) == ()


def test_drill_pages_every_row_once_and_marks_the_numerator(data):
    engine, _ = data
    with db.read(engine) as s:
        seen, after = [], None
        while True:
            page = DB.drill(s, ADMIN, "tickets_received", MARCH, NONE, after=after, limit=1)
            seen += [r["ticket_no"] for r in page.rows]
            if page.next_after is None:
                break
            after = page.next_after
        assert sorted(seen) == ["T1", "T2", "T3", "T4"] and len(seen) == 4
        ftf = list(DB.drill_rows(s, ADMIN, "first_time_fix", MARCH, NONE))
        assert {r["ticket_no"]: r["counted"] for r in ftf} == {"T1": False, "T2": True}
        parts = DB.drill(s, ADMIN, "key_parts_72h", MARCH, NONE)
        assert sum(r["counted"] for r in parts.rows) == 1 and len(parts.rows) == 3
        for kpi in KPIS:  # every KPI drills; the counted rows are its numerator
            fig = DB.figures(s, ADMIN, MARCH, NONE, NOW)[kpi.key]
            rows = list(DB.drill_rows(s, ADMIN, kpi.key, MARCH, NONE, now=NOW))
            if kpi.unit == "%" and kpi.key not in ("failure_rate", "complaint_rate"):
                assert sum(r["counted"] for r in rows) == (fig.numerator or 0), kpi.key
                assert len(rows) == (fig.denominator or 0), kpi.key
        with pytest.raises(InvalidInput):
            DB.drill(s, ADMIN, "tickets_received", MARCH, NONE, after="x")


def test_breakdown_trend_engineers(data):
    engine, ids = data
    with db.read(engine) as s:
        by_channel = {r["key"]: r for r in DB.breakdown(s, ADMIN, MARCH, NONE, "channel", NOW)}
        assert {k: (r["tickets"], r["share"]) for k, r in by_channel.items()} == {
            "phone": (2, 50.0), "email": (2, 50.0)}  # fmt: skip
        assert by_channel["phone"]["resolution_h"] == pytest.approx(7.75)
        assert by_channel["phone"]["csat"] == pytest.approx((3.00 + 4.33) / 2)
        by_eng = {r["key"]: r for r in DB.breakdown(s, ADMIN, MARCH, NONE, "engineer", NOW)}
        assert by_eng[ids["e1"]]["label"] == "工程师一"
        models = {r["key"]: r["tickets"] for r in DB.breakdown(s, ADMIN, MARCH, NONE,
                                                              "product_model", NOW)}  # fmt: skip
        assert models == {"M1": 2, None: 2}
        months = DB.trend(s, ADMIN, MARCH, NONE, "month", NOW)
        assert [(r["bucket"], r["tickets"]) for r in months] == [(dt.date(2026, 3, 1), 4)]
        assert months[0]["satisfaction_rate"] == 50.0
        weeks = DB.trend(s, ADMIN, MARCH, NONE, "week", NOW)
        assert [r["bucket"] for r in weeks][:2] == [dt.date(2026, 3, 2), dt.date(2026, 3, 9)]
        assert sum(r["tickets"] for r in weeks) == 4
        table = {r["engineer_id"]: r for r in DB.engineers(s, ADMIN, MARCH, NONE, NOW)}
        assert table[ids["e1"]]["hours"] == pytest.approx(5.0)
        assert table[ids["e1"]]["first_time_fix"] == 50.0
        with pytest.raises(InvalidInput):
            DB.breakdown(s, ADMIN, MARCH, NONE, "colour")


def test_targets_from_settings(data):
    engine, _ = data
    with db.write(engine) as s:
        s.add(Setting(key="dashboard.target.first_time_fix", value=90))
        s.add(Setting(key="dashboard.target.csat", value=None))
    with db.read(engine) as s:
        t = DB.targets(s)
    assert t["first_time_fix"] == 90 and t["csat"] is None and t["first_response_min"] == 15


def test_review_due_opens_the_review_once(data):
    engine, _ = data
    with db.write(engine) as s:
        due = DB.review_due(s, MARCH, NOW)
    assert due["rate"] == 50.0 and due["threshold"] == 85.0
    with db.write(engine) as s:
        again = DB.review_due(s, MARCH, NOW)
        reviews = s.scalars(select(SatisfactionReview)).all()
    assert again["review_id"] == due["review_id"] and len(reviews) == 1
    assert reviews[0].period_start == MARCH.start
    with db.write(engine) as s:
        quiet = DB.review_due(s, DB.Period(dt.date(2020, 1, 1), dt.date(2020, 1, 31)), NOW)
    assert quiet is None
