"""Ticket commands and queries on SQLite and PostgreSQL (``db_engine``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from data_access import db
from data_access import ticket_reports as R
from data_access import tickets as T
from data_access.models import (
    Customer,
    Device,
    FollowUp,
    Part,
    ServiceReport,
    Setting,
    Ticket,
    TicketEvent,
    TicketPart,
    User,
)
from rules.sla import EscalationLevel, business_seconds
from rules.tickets import IllegalTransition, Status
from tests.actors import ADMIN, agent, engineer

MON = dt.datetime(2026, 11, 23, 9, 0)  # a Monday; default calendar Mon–Sat 08:30–18:00
H = 3600


def at(hours: float = 0, days: int = 0) -> dt.datetime:
    return MON + dt.timedelta(days=days, hours=hours)


def user(s, username, role, name, region=None) -> User:
    # no argon2 hashing here: log-in is not under test and hashing is slow
    u = User(username=username, display_name=name, role=role, region=region, password_hash="-")
    s.add(u)
    s.flush()
    return u


@pytest.fixture
def world(db_engine):
    """Two customers (A in 华东, B in 华南), devices, an agent and three engineers."""
    with db.write(db_engine) as s:
        a = Customer(code="C0001", name="华东精密机械", grade="A", region="华东")
        b = Customer(code="C0002", name="南方电子", grade="B", region="华南")
        s.add_all([a, b])
        s.flush()
        s.add_all(
            [
                Device(
                    serial_no="0012345",
                    customer_id=a.id,
                    warranty_end=dt.date(2027, 6, 30),
                    contract_end=dt.date(2026, 1, 1),
                ),
                Device(serial_no="SN-B-1", customer_id=b.id, warranty_end=dt.date(2025, 1, 1)),
                Part(part_no="0042", name="主轴轴承", price=Decimal("120.00")),
            ]
        )
        agent = user(s, "agent", "agent", "客服")
        e1 = user(s, "eng1", "engineer", "工程师一", "华东")
        e2 = user(s, "eng2", "engineer", "工程师二", "华东")
        e3 = user(s, "eng3", "engineer", "工程师三", "华南")
        ids = {
            "a": a.id,
            "b": b.id,
            "agent": agent.id,
            "e1": e1.id,
            "e2": e2.id,
            "e3": e3.id,
        }
    return db_engine, ids


def new_ticket(engine, ids, *, customer="a", received=MON, priority="standard", **kw):
    with db.write(engine) as s:
        t = T.create_ticket(
            s,
            customer_id=ids[customer],
            channel=kw.pop("channel", "phone"),
            priority=priority,
            fault_description=kw.pop("fault_description", "主轴异响"),
            received_at=received,
            actor=agent(ids["agent"]),
            now=kw.pop("now", received),
            **kw,
        )
        return t.id


def move(engine, tid, status, now, ids, note=None):
    with db.write(engine) as s:
        version = s.get(Ticket, tid).version
        return T.change_status(
            s, tid, status, actor=agent(ids["agent"]), now=now, expected_version=version, note=note
        ).status


# ---------------------------------------------------------------- intake
def test_create_ticket_numbers_covers_and_sets_deadlines(world):
    engine, ids = world
    tid = new_ticket(engine, ids, serial_no=" 0012345 ")
    tid2 = new_ticket(engine, ids, customer="b", serial_no="UNREG-007", priority="emergency")
    with db.read(engine) as s:
        t, t2 = s.get(Ticket, tid), s.get(Ticket, tid2)
        assert t.ticket_no == "SR-20261123-0001"
        assert t2.ticket_no == "SR-20261123-0002"
        assert t.device_id is not None and t.serial_no == "0012345"
        assert (t.warranty_status, t.contract_status) == ("in_warranty", "expired")
        assert t2.device_id is None and t2.serial_no == "UNREG-007"
        assert (t2.warranty_status, t2.contract_status) == ("unknown", "none")
        # standard defaults: respond 12 business h, resolve 3 working days (28.5 h)
        assert t.respond_due == dt.datetime(2026, 11, 24, 11, 30)
        assert t.resolve_due == dt.datetime(2026, 11, 26, 9, 0)  # 9 + 9.5 + 9.5 + 0.5
        assert t2.respond_due == at(4)
        events = s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == tid)).all()
        assert [(e.kind, e.to_status, e.at) for e in events] == [("status", "received", MON)]


def test_ticket_numbers_continue_past_9999(world):
    engine, ids = world
    with db.write(engine) as s:
        t = T.create_ticket(
            s,
            customer_id=ids["a"],
            channel="phone",
            priority="low",
            fault_description="x",
            received_at=MON,
            actor=ADMIN,
            now=MON,
        )
        t.ticket_no = "SR-20261123-9999"
    tid = new_ticket(engine, ids)
    tid2 = new_ticket(engine, ids)
    with db.read(engine) as s:
        assert s.get(Ticket, tid).ticket_no == "SR-20261123-10000"
        assert s.get(Ticket, tid2).ticket_no == "SR-20261123-10001"


def test_concurrent_intakes_get_consecutive_numbers(world):
    """The second intake picks the same number, waits for the first to commit, then
    takes the next one (PostgreSQL: a retry; SQLite: the write lock orders them)."""
    engine, ids = world
    got: list = []

    def second() -> None:
        try:
            got.append(new_ticket(engine, ids))
        except Exception as exc:  # reported by the assertion below
            got.append(exc)

    with db.write(engine) as s:
        first = T.create_ticket(
            s,
            customer_id=ids["a"],
            channel="phone",
            priority="standard",
            fault_description="主轴异响",
            received_at=MON,
            actor=agent(ids["agent"]),
            now=MON,
        )
        assert first.ticket_no == "SR-20261123-0001"
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)  # the second intake is now waiting on the first
    thread.join(20)
    assert len(got) == 1 and isinstance(got[0], int), got
    with db.read(engine) as s:
        numbers = sorted(s.scalars(select(Ticket.ticket_no)))
    assert numbers == ["SR-20261123-0001", "SR-20261123-0002"]


def test_create_ticket_reports_every_problem(world):
    engine, ids = world
    with pytest.raises(T.InvalidInput) as info, db.write(engine) as s:
        T.create_ticket(
            s,
            customer_id=ids["a"],
            serial_no="SN-B-1",  # belongs to customer B
            channel="pigeon",
            priority="urgent",
            fault_description="  ",
            received_at=MON,
            actor=ADMIN,
            now=MON,
        )
    assert sorted(p.field for p in info.value.problems) == [
        "channel",
        "fault_description",
        "priority",
        "serial_no",
    ]
    with db.read(engine) as s:
        assert s.scalar(select(func.count(Ticket.id))) == 0


def test_grade_policy_and_calendar_come_from_the_database(world):
    engine, ids = world
    with db.write(engine) as s:
        T.seed_sla_defaults(s)
        T.save_policy(s, priority="standard", customer_grade="A", respond_hours=2, resolve_hours=8)
        T.set_calendar_day(s, dt.date(2026, 11, 23), "holiday", "test")
    tid = new_ticket(engine, ids)  # grade A, Monday is a holiday now
    tid_b = new_ticket(engine, ids, customer="b")
    with db.read(engine) as s:
        assert s.get(Ticket, tid).respond_due == dt.datetime(2026, 11, 24, 10, 30)
        assert s.get(Ticket, tid_b).respond_due == dt.datetime(2026, 11, 25, 11, 0)


# ---------------------------------------------------------------- status changes
def test_lifecycle_sets_times_and_schedules_one_followup(world):
    engine, ids = world
    with db.write(engine) as s:
        s.add(Setting(key="tickets.followup_delay_days", value=5))
    tid = new_ticket(engine, ids)
    assert move(engine, tid, "responded", at(0.5), ids) == "responded"
    move(engine, tid, "diagnosing", at(1), ids)
    move(engine, tid, "repaired", at(2), ids)  # remote resolution
    move(engine, tid, "accepted", at(3), ids)
    move(engine, tid, "closed", at(4), ids)
    with db.read(engine) as s:
        t = s.get(Ticket, tid)
        assert (t.responded_at, t.resolved_at, t.closed_at) == (at(0.5), at(2), at(4))
        assert t.remote_resolved is True and t.first_time_fix is True
        f = s.scalars(select(FollowUp).where(FollowUp.ticket_id == tid)).one()
        assert (f.followup_no, f.reason, f.status, f.due_date) == (
            "FU-SR-20261123-0001-1",
            "ticket",
            "planned",
            dt.date(2026, 11, 28),
        )
        statuses = s.scalars(
            select(TicketEvent.to_status)
            .where(TicketEvent.ticket_id == tid, TicketEvent.kind == "status")
            .order_by(TicketEvent.at)
        ).all()
        assert statuses == ["received", "responded", "diagnosing", "repaired", "accepted", "closed"]


def test_reopen_then_close_again_gets_a_second_followup(world):
    engine, ids = world
    tid = new_ticket(engine, ids)
    for i, status in enumerate(["diagnosing", "repaired", "accepted", "closed", "reopened"]):
        move(engine, tid, status, at(i + 1), ids)
    with db.read(engine) as s:
        t = s.get(Ticket, tid)
        assert (t.resolved_at, t.closed_at, t.first_time_fix) == (None, None, False)
        assert t.resolve_due is not None
    for i, status in enumerate(["repaired", "accepted", "closed"]):
        move(engine, tid, status, at(i + 1, days=2), ids)
    with db.read(engine) as s:
        nos = s.scalars(select(FollowUp.followup_no).order_by(FollowUp.id)).all()
        assert nos == ["FU-SR-20261123-0001-1", "FU-SR-20261123-0001-2"]


def test_illegal_change_is_refused_and_nothing_is_written(world):
    engine, ids = world
    tid = new_ticket(engine, ids)
    with pytest.raises(IllegalTransition) as info, db.write(engine) as s:
        T.change_status(s, tid, "closed", actor=ADMIN, now=at(1), expected_version=1)
    assert "Responded" in info.value.message("en")
    with db.read(engine) as s:
        assert s.get(Ticket, tid).status == "received"
        assert s.scalar(select(func.count(TicketEvent.id))) == 1


def test_stale_version_is_a_conflict(world):
    engine, ids = world
    tid = new_ticket(engine, ids)
    move(engine, tid, "responded", at(1), ids)  # version 1 → later
    with pytest.raises(T.ConflictError), db.write(engine) as s:
        T.change_status(s, tid, "diagnosing", actor=ADMIN, now=at(2), expected_version=1)
    with db.read(engine) as s:
        assert s.get(Ticket, tid).status == "responded"


def test_pause_moves_the_stored_deadline_in_business_time(world):
    engine, ids = world
    tid = new_ticket(engine, ids, priority="emergency")  # resolve 9.5 business h
    move(engine, tid, "diagnosing", at(1), ids)
    move(engine, tid, "waiting_parts", at(2), ids)
    with db.read(engine) as s:
        assert s.get(Ticket, tid).resolve_due is None  # paused: no fixed deadline
    move(engine, tid, "dispatched", at(1, days=1), ids)  # Tue 10:00; paused 9.5 h
    with db.read(engine) as s:
        # 2 h used Monday, 7.5 h left from Tue 10:00 → Tue 17:30
        assert s.get(Ticket, tid).resolve_due == dt.datetime(2026, 11, 24, 17, 30)


# ---------------------------------------------------------------- dispatch, escalation
def test_dispatch_reassign_and_engineer_load(world):
    engine, ids = world
    t1 = new_ticket(engine, ids)
    t2 = new_ticket(engine, ids)
    with db.write(engine) as s:
        T.dispatch(s, t1, ids["e1"], actor=agent(ids["agent"]), now=at(1), expected_version=1)
        T.dispatch(s, t2, ids["e1"], actor=agent(ids["agent"]), now=at(1), expected_version=1)
    with db.read(engine) as s:
        loads = {e["username"]: e["open_load"] for e in T.engineers(s, region="华东")}
        assert loads == {"eng1": 2, "eng2": 0}
        assert [e["username"] for e in T.engineers(s)][:1] in (["eng2"], ["eng3"])
        t = s.get(Ticket, t1)
        assert (t.status, t.engineer_id, t.responded_at) == ("dispatched", ids["e1"], at(1))
        version = t.version
    with db.write(engine) as s:
        T.reassign(s, t1, ids["e2"], actor=agent(ids["agent"]), now=at(2), expected_version=version)
    with db.read(engine) as s:
        assert s.get(Ticket, t1).status == "dispatched"
        assigns = s.execute(
            select(TicketEvent.from_user_id, TicketEvent.to_user_id)
            .where(TicketEvent.ticket_id == t1, TicketEvent.kind == "assign")
            .order_by(TicketEvent.id)
        ).all()
        assert assigns == [(None, ids["e1"]), (ids["e1"], ids["e2"])]
        loads = {e["username"]: e["open_load"] for e in T.engineers(s, region="华东")}
        assert loads == {"eng1": 1, "eng2": 1}


def test_escalate_by_hand_and_refuse_lowering(world):
    engine, ids = world
    tid = new_ticket(engine, ids)
    with db.write(engine) as s:
        assert T.escalate(s, tid, actor=agent(ids["agent"]), now=at(1)).escalation_level == 2
        assert (
            T.escalate(s, tid, level=4, actor=agent(ids["agent"]), now=at(1)).escalation_level == 4
        )
    with pytest.raises(T.InvalidInput), db.write(engine) as s:
        T.escalate(s, tid, level=3, actor=ADMIN, now=at(2))


def test_auto_escalate_uses_business_time_and_skips_paused_time(world):
    engine, ids = world
    running = new_ticket(engine, ids)
    paused = new_ticket(engine, ids)
    fresh = new_ticket(engine, ids, received=at(8))  # Mon 17:00
    move(engine, paused, "responded", at(0.5), ids)
    move(engine, paused, "waiting_customer", at(1), ids)
    with db.write(engine) as s:
        # Mon 09:00 → Tue 09:30: 9 + 1 = 10 business hours → L2 (after 4 h), not L3 (13.5 h)
        done = T.auto_escalate(s, at(0.5, days=1))
    with db.read(engine) as s:
        levels = {tid: s.get(Ticket, tid).escalation_level for tid in (running, paused, fresh)}
    assert levels == {running: 2, paused: 1, fresh: 1}
    assert done == ["SR-20261123-0001"]
    with db.write(engine) as s:
        T.save_escalation_levels(
            s, [EscalationLevel(1, "一线", "L1", 1.5), EscalationLevel(2, "二线", "L2", None)]
        )
        assert T.auto_escalate(s, at(0.5, days=1)) == ["SR-20261123-0003"]
        assert T.auto_escalate(s, at(0.5, days=1)) == []


# ---------------------------------------------------------------- report
def test_save_report_with_parts_and_ratings(world):
    engine, ids = world
    tid = new_ticket(engine, ids)
    with db.write(engine) as s:
        T.dispatch(s, tid, ids["e1"], actor=agent(ids["agent"]), now=at(1), expected_version=1)
    with db.write(engine) as s:
        r = R.save_report(
            s,
            tid,
            actor=engineer(ids["e1"]),
            now=at(3),
            work_done="更换主轴轴承",
            result="fixed",
            labour_hours=Decimal("2.5"),
            accepted_by="张伟",
            accepted_at=at(3),
            rating_quality=5,
            rating_attitude=4,
            rating_efficiency=4,
            parts=[
                {"part_no": "0042", "qty": 2},
                # not in the parts master: kept only as an explicit non-catalogue part
                {"part_no": "X-9", "qty": 1, "description": "密封圈", "non_catalogue": True,
                 "non_catalogue_reason": "客户自购"},
            ],
        )  # fmt: skip
        version = r.version
    with db.read(engine) as s:
        lines = s.execute(
            select(
                TicketPart.part_no,
                TicketPart.qty,
                TicketPart.part_id.is_not(None),
                TicketPart.unit_price,
            ).order_by(TicketPart.id)
        ).all()
        assert lines == [("0042", 2, True, Decimal("120.00")), ("X-9", 1, False, None)]
    with db.write(engine) as s:
        R.save_report(
            s,
            tid,
            actor=ADMIN,
            now=at(4),
            expected_version=version,
            parts=[{"part_no": "0042", "qty": 1}],
        )
    with db.read(engine) as s:
        assert s.execute(select(TicketPart.part_no, TicketPart.qty)).all() == [("0042", 1)]
        detail = T.ticket_detail(s, tid, at(4))
        assert detail["report"].accepted_by == "张伟"
    with pytest.raises(T.ConflictError), db.write(engine) as s:
        R.save_report(s, tid, actor=ADMIN, now=at(5), expected_version=version, diagnosis="x")


def test_save_report_returns_every_problem(world):
    engine, ids = world
    tid = new_ticket(engine, ids)
    with pytest.raises(T.InvalidInput) as info, db.write(engine) as s:
        R.save_report(
            s,
            tid,
            actor=ADMIN,
            now=at(1),
            rating_quality=7,
            labour_hours=-1,
            parts=[{"part_no": "", "qty": 0}],
        )
    codes = sorted((p.field, p.code) for p in info.value.problems)
    assert codes == [
        ("labour_hours", "err.min"),
        ("part_no", "err.required"),
        ("qty", "err.min"),
        ("rating_attitude", "tickets.err.rating_incomplete"),
        ("rating_efficiency", "tickets.err.rating_incomplete"),
        ("rating_quality", "err.max"),
    ]


# ---------------------------------------------------------------- recompute
def test_recompute_after_policy_change(world):
    engine, ids = world
    tid = new_ticket(engine, ids)
    closed = new_ticket(engine, ids)
    for status in ("diagnosing", "repaired", "accepted", "closed"):
        move(engine, closed, status, at(1), ids)
    with db.read(engine) as s:
        before_closed = s.get(Ticket, closed).resolve_due
        version = s.get(Ticket, tid).version
    with db.write(engine) as s:
        loaded = s.get(Ticket, tid)
        T.save_policy(s, priority="standard", respond_hours=1, resolve_hours=2)
        assert T.recompute_open_deadlines(s, at(0.5)) == 1
        assert loaded.resolve_due == at(2)  # a ticket loaded before sees the new deadline
    with db.read(engine) as s:
        assert (s.get(Ticket, tid).respond_due, s.get(Ticket, tid).resolve_due) == (at(1), at(2))
        assert s.get(Ticket, closed).resolve_due == before_closed
        # derived data: an agent editing the ticket meanwhile gets no conflict
        assert s.get(Ticket, tid).version == version


def test_policy_validation_and_conflict(world):
    engine, ids = world
    with pytest.raises(T.InvalidInput) as info, db.write(engine) as s:
        T.save_policy(s, priority="nope", respond_hours=0, resolve_hours=-1)
    assert len(info.value.problems) == 3
    with db.write(engine) as s:
        T.save_policy(s, priority="low", respond_hours=24, resolve_hours=66.5)
    with pytest.raises(T.ConflictError), db.write(engine) as s:
        T.save_policy(s, priority="low", respond_hours=20, resolve_hours=60, expected_version=7)
    with db.read(engine) as s:
        rows = T.list_policies(s)
        assert [(r["priority"], r["respond_hours"]) for r in rows] == [("low", 24.0)]


def test_calendar_editing_round_trip(world):
    engine, _ = world
    with db.write(engine) as s:
        T.save_calendar(s, weekly={0: [("09:00", "12:00"), ("13:00", "17:00")]})
        T.set_calendar_day(s, dt.date(2026, 10, 1), "holiday", "国庆节")
        T.set_calendar_day(s, dt.date(2026, 10, 10), "workday", "调休")
    with db.read(engine) as s:
        cal = T.load_calendar(s)
        assert cal.weekly == {0: (("09:00", "12:00"), ("13:00", "17:00"))}
        assert cal.day_seconds(dt.date(2026, 10, 10)) == 7 * H
        assert [d["kind"] for d in T.list_calendar_days(s)] == ["holiday", "workday"]
    with db.write(engine) as s:
        T.remove_calendar_day(s, dt.date(2026, 10, 1))
    with db.read(engine) as s:
        assert len(T.list_calendar_days(s)) == 1
    with pytest.raises(ValueError), db.write(engine) as s:
        T.save_calendar(s, weekly={0: [("18:00", "09:00")]})


# ---------------------------------------------------------------- list and detail
def test_list_sorts_by_urgency_pages_and_flags_overdue(world):
    engine, ids = world
    low = new_ticket(engine, ids, priority="low")
    emergency = new_ticket(engine, ids, priority="emergency")
    high = new_ticket(engine, ids, priority="high", customer="b")
    done = new_ticket(engine, ids, priority="emergency")
    for status in ("diagnosing", "repaired"):
        move(engine, done, status, at(1), ids)
    move(engine, high, "responded", at(1), ids)
    now = at(5)  # emergency respond-by (13:00) has passed
    with db.read(engine) as s:
        rows = T.list_tickets(s, T.TicketFilter(), now=now, page_size=10)
        assert [r["id"] for r in rows] == [emergency, high, low, done]
        assert [r["overdue"] for r in rows] == [True, False, False, False]
        assert T.count_tickets(s, T.TicketFilter(), now) == 4
        page2 = T.list_tickets(s, T.TicketFilter(), now=now, page=2, page_size=3)
        assert [r["id"] for r in page2] == [done]
        page1 = T.list_tickets(s, T.TicketFilter(), now=now, page=1, page_size=3)
        assert [r["id"] for r in page1] == [emergency, high, low]


@pytest.mark.parametrize(
    ("filt", "expected"),
    [
        (T.TicketFilter(open_only=True), ["emergency", "high", "low"]),
        (T.TicketFilter(statuses=("repaired",)), ["done"]),
        (T.TicketFilter(priorities=("low", "high")), ["high", "low"]),
        (T.TicketFilter(region="华南"), ["high"]),
        (T.TicketFilter(sla_state="overdue"), ["emergency"]),
        (T.TicketFilter(sla_state="on_track"), ["high", "low"]),
        (T.TicketFilter(sla_state="paused"), []),
        (T.TicketFilter(text="南方"), ["high"]),
        (T.TicketFilter(text="0003"), ["high"]),
        (T.TicketFilter(text="100%"), []),
        (T.TicketFilter(received_from=dt.date(2026, 11, 24)), []),
        (T.TicketFilter(received_to=dt.date(2026, 11, 23)), ["emergency", "high", "low", "done"]),
    ],
)
def test_list_filters(world, filt, expected):
    engine, ids = world
    made = {
        "low": new_ticket(engine, ids, priority="low"),
        "emergency": new_ticket(engine, ids, priority="emergency"),
        "high": new_ticket(engine, ids, priority="high", customer="b"),
        "done": new_ticket(engine, ids, priority="emergency"),
    }
    for status in ("diagnosing", "repaired"):
        move(engine, made["done"], status, at(1), ids)
    move(engine, made["high"], "responded", at(1), ids)
    names = {v: k for k, v in made.items()}
    with db.read(engine) as s:
        rows = T.list_tickets(s, filt, now=at(5))
        assert [names[r["id"]] for r in rows] == expected
        assert T.count_tickets(s, filt, at(5)) == len(expected)


def test_my_tickets_come_first(world):
    engine, ids = world
    urgent = new_ticket(engine, ids, priority="emergency")
    mine = new_ticket(engine, ids, priority="low")
    with db.write(engine) as s:
        T.dispatch(s, mine, ids["e1"], actor=ADMIN, now=at(1), expected_version=1)
    with db.read(engine) as s:
        rows = T.list_tickets(s, T.TicketFilter(), now=at(2), my_user_id=ids["e1"])
        assert [r["id"] for r in rows] == [mine, urgent]
        assert rows[0]["engineer"] == "工程师一"
        rows = T.list_tickets(s, T.TicketFilter(), now=at(2))
        assert [r["id"] for r in rows] == [urgent, mine]
        mine_only = T.TicketFilter(engineer_id=ids["e1"])
        assert [r["id"] for r in T.list_tickets(s, mine_only, now=at(2))] == [mine]


def test_detail_explains_the_clock(world):
    engine, ids = world
    tid = new_ticket(engine, ids, priority="emergency")
    move(engine, tid, "diagnosing", at(1), ids)
    move(engine, tid, "waiting_customer", at(2), ids, note="等客户停机窗口")
    move(engine, tid, "diagnosing", at(1, days=1), ids)
    with db.read(engine) as s:
        d = T.ticket_detail(s, tid, at(3, days=1))
        clock = d["sla"]
        assert [e["to_status"] for e in d["events"]] == [
            "received",
            "diagnosing",
            "waiting_customer",
            "diagnosing",
        ]
        assert d["events"][2]["note"] == "等客户停机窗口"
        assert clock.by_status == {"received": 1 * H, "diagnosing": 3 * H}
        waited = [seg for seg in clock.segments if not seg.counted]
        assert waited[0].status == "waiting_customer"
        assert waited[0].business_seconds == business_seconds(
            T.load_calendar(s), at(2), at(1, days=1)
        )
        assert d["allowed"] == [
            Status.DISPATCHED,
            Status.WAITING_PARTS,
            Status.WAITING_CUSTOMER,
            Status.RETURNED_TO_FACTORY,
            Status.REPAIRED,
            Status.CANCELLED,
        ]
    with pytest.raises(T.TicketNotFound), db.read(engine) as s:
        T.ticket_detail(s, 999_999, at(0))


def test_finished_ticket_cannot_be_dispatched(world):
    engine, ids = world
    tid = new_ticket(engine, ids)
    move(engine, tid, "cancelled", at(1), ids)
    with pytest.raises(T.TicketFinished), db.write(engine) as s:
        T.dispatch(s, tid, ids["e1"], actor=ADMIN, now=at(2), expected_version=None)
    with db.read(engine) as s:
        assert s.scalar(select(func.count(User.id))) == 4


@pytest.mark.parametrize(("days", "code"), [(-1, "err.min"), (91, "err.max"), ("7", "err.integer")])
def test_follow_up_delay_is_checked(world, days, code):
    engine, _ = world
    with pytest.raises(T.InvalidInput) as info, db.write(engine) as s:
        T.set_followup_delay_days(s, days, MON)
    assert [p.code for p in info.value.problems] == [code]
    with db.write(engine) as s:
        T.set_followup_delay_days(s, 0, MON)
        T.set_followup_delay_days(s, 5, MON)
    with db.read(engine) as s:
        assert T.followup_delay_days(s) == 5


def test_every_open_ticket_is_in_exactly_one_sla_state(world):
    """Paused tickets have no resolve-by stored: they must still be found (a NULL
    deadline once made the paused filter always empty)."""
    engine, ids = world
    paused = new_ticket(engine, ids, priority="low")
    move(engine, paused, "responded", at(0.5), ids)
    move(engine, paused, "waiting_customer", at(1), ids)
    soon = new_ticket(engine, ids, priority="emergency")  # not responded; due by 13:00
    calm = new_ticket(engine, ids, priority="low", customer="b")
    late = new_ticket(engine, ids, priority="emergency", received=at(days=-7))
    now = at(0.75, days=0)  # Mon 09:45
    found = {}
    with db.read(engine) as s:
        for state in T.SLA_STATES:
            rows = T.list_tickets(s, T.TicketFilter(sla_state=state), now=now, page_size=50)
            found[state] = {r["id"] for r in rows}
    assert found == {
        "overdue": {late},
        "due_soon": {soon},
        "on_track": {calm},
        "paused": {paused},
    }
    with db.read(engine) as s:
        regional = T.list_tickets(s, T.TicketFilter(region="南"), now=now, page_size=50)
    assert {r["id"] for r in regional} == {calm}  # 华南: part of the region's name


# ---------------------------------------------------------------- finished deadlines
def test_finished_tickets_keep_their_deadlines_after_sla_and_calendar_edits(world):
    engine, ids = world
    tid = new_ticket(engine, ids)
    move(engine, tid, "diagnosing", at(1), ids)
    move(engine, tid, "repaired", at(5), ids)
    with db.read(engine) as s:
        t = s.get(Ticket, tid)
        stored = (t.respond_due, t.resolve_due)
    with db.write(engine) as s:  # tighter targets and a holiday on the day it was received
        T.save_policy(
            s, priority="standard", customer_grade="A", respond_hours=0.5, resolve_hours=2
        )
        T.set_calendar_day(s, MON.date(), "holiday", "test")
        T.recompute_open_deadlines(s, at(6))
    move(engine, tid, "accepted", at(7), ids)  # finished to finished: still history
    move(engine, tid, "closed", at(8), ids)
    with db.read(engine) as s:
        t = s.get(Ticket, tid)
        clock = T.ticket_detail(s, tid, at(9))["sla"]
        (row,) = T.list_tickets(s, T.TicketFilter(), now=at(9))
    assert (t.respond_due, t.resolve_due) == stored
    assert (clock.respond_by, clock.resolve_by) == stored
    assert (row["respond_due"], row["resolve_due"]) == stored
    assert (clock.respond_state, clock.resolve_state) == ("met", "met") and not clock.overdue
    # reopened, it is open again: today's rules apply
    move(engine, tid, "reopened", at(10), ids)
    with db.read(engine) as s:
        assert s.get(Ticket, tid).resolve_due != stored[1]


# ---------------------------------------------------------------- report lock, no note
def _report(engine, tid, now, **values):
    """Save the report as someone who saw its current version."""
    with db.write(engine) as s:
        seen = s.scalar(select(ServiceReport.version).where(ServiceReport.ticket_id == tid))
        return R.save_report(s, tid, actor=ADMIN, now=now, expected_version=seen, **values).version


def test_saving_a_report_writes_no_history_event(world):
    engine, ids = world
    tid = new_ticket(engine, ids)
    _report(engine, tid, at(1), work_done="换轴承")
    with db.read(engine) as s:
        kinds = s.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == tid)).all()
    assert kinds == ["status"]


def test_a_closed_tickets_report_is_locked_until_reopened(world):
    engine, ids = world
    tid = new_ticket(engine, ids)
    _report(engine, tid, at(1), work_done="换轴承")
    for i, status in enumerate(("diagnosing", "repaired", "accepted", "closed"), start=2):
        move(engine, tid, status, at(i), ids)
    with pytest.raises(T.ReportLocked):
        _report(engine, tid, at(7), work_done="改写")
    with db.read(engine) as s:
        assert T.ticket_detail(s, tid, at(7))["report_locked"] is True
    move(engine, tid, "reopened", at(8), ids)
    _report(engine, tid, at(9), work_done="重新处理")
    with db.read(engine) as s:
        assert T.ticket_detail(s, tid, at(9))["report"].work_done == "重新处理"


def test_ticket_detail_hands_pages_plain_values_only(world):
    """No ORM object reaches a page: nothing in the detail is bound to a session."""
    from data_access.models import Base

    engine, ids = world
    tid = new_ticket(engine, ids)
    with db.write(engine) as s:
        R.save_report(
            s, tid, actor=ADMIN, now=at(1), work_done="x", parts=[{"part_no": "0042", "qty": 1}]
        )
    with db.read(engine) as s:
        detail = T.ticket_detail(s, tid, at(2))

    def walk(value):
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)
        else:
            assert not isinstance(value, Base), type(value)

    walk(detail)
    assert detail["ticket"].ticket_no and detail["parts"][0].part_no == "0042"
    with pytest.raises(dataclasses.FrozenInstanceError):
        detail["ticket"].status = "closed"
