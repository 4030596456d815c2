"""Maintenance plans and visits in the database, on SQLite and PostgreSQL: the plan
register's derived values and bad input, idempotent generation on the working
calendar, the bulk shift, completion with checklist results, a ticket from a visit's
failures, the figures, and who may do what."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import case, func, select

from data_access import db, sla_config
from data_access import maintenance as dm
from data_access import parts as stock
from data_access.errors import InvalidInput, NotAllowed, Refused
from data_access.maintenance_register import RouteFilter
from data_access.models import (
    Customer,
    Device,
    MaintenancePlan,
    MaintenanceVisit,
    Part,
    StockMovement,
    Ticket,
    User,
    VisitResultLine,
    Warehouse,
)
from data_access.registers import save_changes
from data_access.settings import put_setting
from rules import maintenance as mr
from rules.access import Actor, Role
from rules.sla import DEFAULT_WEEKLY
from tests.actors import ADMIN

NOW = dt.datetime(2026, 1, 10, 9, 0)
TODAY = NOW.date()
SPRING_FESTIVAL = [dt.date(2026, 2, 15) + dt.timedelta(days=i) for i in range(9)]
MAKEUP = [dt.date(2026, 2, 14), dt.date(2026, 2, 28)]


def _save(s, register, inserts=(), updates=(), actor=ADMIN, now=NOW):
    return save_changes(
        s, register, inserts=list(inserts), updates=list(updates), deletes=[], actor=actor, now=now
    )


@pytest.fixture
def base(db_engine):
    """Calendar with Spring Festival 2026, a manager and two engineers, a customer with
    a contract device (SN1) and one without (SN2), packages with checklists."""
    with db.write(db_engine) as s:
        sla_config.seed_sla_defaults(s)
        sla_config.save_calendar(s, weekly=DEFAULT_WEEKLY)
        for day in SPRING_FESTIVAL:
            sla_config.set_calendar_day(s, day, "holiday", "春节")
        for day in MAKEUP:
            sla_config.set_calendar_day(s, day, "workday", "春节调休上班")
        ids = {}
        for name, role in (("mgr", Role.MANAGER), ("eng1", Role.ENGINEER), ("eng2", Role.ENGINEER)):
            u = User(username=name, display_name=name, role=role, password_hash="x", region="华东")
            s.add(u)
            s.flush()
            ids[name] = u.id
        c = Customer(code="C1", name="恒达精密", grade="A", region="华东")
        other = Customer(code="C2", name="北方重工", grade="B", region="华北")
        s.add_all([c, other])
        s.flush()
        s.add(Device(serial_no="SN1", customer_id=c.id, contract_end=dt.date(2027, 6, 30)))
        s.add(Device(serial_no="SN2", customer_id=c.id))
        s.add(Device(serial_no="SN3", customer_id=other.id, contract_end=dt.date(2027, 6, 30)))
        assert not _save(s, "packages", [
            {"code": "basic", "name_zh": "基础保养", "name_en": "Basic", "repair_discount_pct": 0},
            {"code": "comprehensive", "name_zh": "全面保养", "name_en": "Comprehensive",
             "repair_discount_pct": 10},
        ]).problems  # fmt: skip
        assert not _save(s, "checklists", [
            {"package": "comprehensive", "seq": 1, "item": "清洁关键部件", "result_kind": "pass_fail"},
            {"package": "comprehensive", "seq": 2, "item": "校准传感器", "result_kind": "number",
             "lower": "-0.02", "upper": "0.02", "unit": "mm"},
            {"package": "comprehensive", "seq": 3, "item": "固件版本", "result_kind": "text"},
        ]).problems  # fmt: skip
    return db_engine, ids


def plan(**kw):
    row = {"plan_no": "MP-1", "name": "全面保养", "device": "SN1", "package": "comprehensive",
           "kind": "inspection", "frequency": "monthly", "start_date": "2026-01-17",
           "responsible": "eng1"}  # fmt: skip
    return {**row, **kw}


@pytest.fixture
def planned(base):
    engine, ids = base
    with db.write(engine) as s:
        assert not _save(s, "plans", [plan()]).problems
        added = dm.generate_visits(s, today=TODAY, actor=ADMIN, now=NOW)
    assert added == 12
    return engine, ids


def visits(engine) -> dict[dt.date, MaintenanceVisit]:
    with db.read(engine) as s:
        rows = s.scalars(select(MaintenanceVisit).order_by(MaintenanceVisit.planned_date)).all()
        s.expunge_all()
    return {v.planned_date: v for v in rows}


def test_a_plan_takes_customer_and_end_from_its_device(base):
    engine, ids = base
    with db.write(engine) as s:
        assert not _save(s, "plans", [plan()]).problems
    with db.read(engine) as s:
        p = s.scalars(select(MaintenancePlan)).one()
        customer = s.get(Customer, p.customer_id)
        assert (customer.code, p.end_date, p.mode, p.window_days) == (
            "C1",
            dt.date(2027, 6, 30),
            "fixed",
            7,
        )
        assert (p.responsible_id, p.no_contract_confirmed) == (ids["eng1"], False)


@pytest.mark.parametrize(
    ("row", "field", "code"),
    [
        (plan(end_date="2026-01-01"), "end_date", "err.date_order"),
        (plan(frequency="every_n_months", every_n=0), "every_n", "err.min"),
        (plan(frequency="every_n_weeks"), "every_n", "maint.err.every_n"),
        (plan(device="NO-SUCH"), "device", "err.unknown_ref"),
        (plan(package="gold"), "package", "err.unknown_ref"),
        (plan(device="SN2"), "no_contract_confirmed", "maint.err.no_contract"),
        (
            plan(start_date="2027-07-01", end_date="2028-06-30"),
            "no_contract_confirmed",
            "maint.err.no_contract",
        ),
        (plan(customer="C2"), "device", "maint.err.device_customer"),
        (plan(device=None), "customer", "maint.err.customer"),
    ],
)
def test_bad_plans_are_refused_and_nothing_is_written(base, row, field, code):
    engine, _ = base
    with db.write(engine) as s:
        result = _save(s, "plans", [row])
    assert [(p.field, p.code) for p in result.problems] == [(field, code)]
    with db.read(engine) as s:
        assert s.scalar(select(func.count(MaintenancePlan.id))) == 0


def test_a_plan_without_a_contract_is_stored_with_its_confirmation(base):
    engine, _ = base
    with db.write(engine) as s:
        result = _save(
            s, "plans", [plan(device="SN2", end_date="2026-12-31", no_contract_confirmed="是")]
        )
    assert result.problems == []
    with db.read(engine) as s:
        assert s.scalars(select(MaintenancePlan.no_contract_confirmed)).one() is True


def test_generation_follows_calendar_months_and_the_holidays(planned):
    engine, _ = planned
    got = visits(engine)
    assert sorted(got)[:4] == [
        dt.date(2026, 1, 17),
        dt.date(2026, 2, 17),
        dt.date(2026, 3, 17),
        dt.date(2026, 4, 17),
    ]
    # 17 Feb 2026 is in the Spring Festival: due the next working day, 24 Feb
    assert got[dt.date(2026, 2, 17)].due_date == dt.date(2026, 2, 24)
    assert got[dt.date(2026, 1, 17)].visit_no == "MP-1-20260117"
    assert {v.status for v in got.values()} == {"planned"}
    with db.read(engine) as s:
        assert s.scalars(select(MaintenancePlan.next_due)).one() == dt.date(2026, 1, 17)


def test_holiday_shift_backwards_is_a_setting(base):
    engine, _ = base
    with db.write(engine) as s:
        put_setting(s, mr.HOLIDAY_SHIFT_SETTING, "previous", NOW)
        assert not _save(s, "plans", [plan()]).problems
        dm.generate_visits(s, today=TODAY, actor=ADMIN, now=NOW)
    # backwards from 17 Feb: the make-up Saturday 14 Feb is a working day
    assert visits(engine)[dt.date(2026, 2, 17)].due_date == dt.date(2026, 2, 14)


def test_generation_twice_adds_nothing_and_a_moved_visit_stays_moved(planned):
    engine, _ = planned
    before = visits(engine)
    march = before[dt.date(2026, 3, 17)]
    with db.write(engine) as s:
        result = _save(
            s,
            "visits",
            updates=[{"id": march.id, "version": march.version, "due_date": "2026-03-20"}],
        )
        assert result.problems == []
        assert dm.generate_visits(s, today=TODAY, actor=ADMIN, now=NOW) == 0
        # a later day extends the horizon by the new month only
        assert dm.generate_visits(s, today=dt.date(2026, 2, 10), actor=ADMIN, now=NOW) == 1
    after = visits(engine)
    assert after[dt.date(2026, 3, 17)].due_date == dt.date(2026, 3, 20)
    unchanged = [d for d in before if d != dt.date(2026, 3, 17)]
    assert all(
        (after[d].due_date, after[d].version) == (before[d].due_date, before[d].version)
        for d in unchanged
    )


def test_from_last_completion_keeps_one_open_visit(base):
    engine, ids = base
    with db.write(engine) as s:
        assert not _save(s, "plans", [plan(mode="from_last")]).problems
        assert dm.generate_visits(s, today=TODAY, actor=ADMIN, now=NOW) == 1
        assert dm.generate_visits(s, today=TODAY, actor=ADMIN, now=NOW) == 0
        first = s.scalars(select(MaintenanceVisit)).one()
        dm.complete_visit(
            s, first.visit_no, {"status": "done", "done_at": "2026-01-20 15:00"}, [],
            actor=Actor(ids["eng1"], Role.ENGINEER), now=NOW,
        )  # fmt: skip
        assert dm.generate_visits(s, today=TODAY, actor=ADMIN, now=NOW) == 1
    # one month after the completion on 20 Jan
    assert sorted(visits(engine)) == [dt.date(2026, 1, 17), dt.date(2026, 2, 20)]


def test_shift_moves_the_customers_open_visits_in_the_range_only(planned):
    engine, ids = planned
    before = visits(engine)
    with db.write(engine) as s:
        jan = before[dt.date(2026, 1, 17)]
        dm.complete_visit(s, jan.visit_no, {"status": "done", "done_at": "2026-01-17 15:00"}, [],
                          actor=ADMIN, now=NOW)  # fmt: skip
        moved = dm.shift_open_visits(s, "C1", dt.date(2026, 1, 1), dt.date(2026, 3, 31), 7,
                                     actor=Actor(ids["mgr"], Role.MANAGER), now=NOW)  # fmt: skip
    assert moved == 2  # Feb and Mar; Jan is done
    after = visits(engine)
    assert after[dt.date(2026, 1, 17)].due_date == dt.date(2026, 1, 17)
    assert after[dt.date(2026, 2, 17)].due_date == dt.date(2026, 3, 3)  # 24 Feb + 7
    assert after[dt.date(2026, 3, 17)].due_date == dt.date(2026, 3, 24)
    assert after[dt.date(2026, 4, 17)].due_date == before[dt.date(2026, 4, 17)].due_date


@pytest.mark.parametrize(
    ("customer", "days", "codes"),
    [("C1", 0, ["maint.err.shift_days"]), ("NOPE", 3, ["err.unknown_ref"])],
)
def test_shift_bad_input(planned, customer, days, codes):
    engine, _ = planned
    with pytest.raises(InvalidInput) as exc, db.write(engine) as s:
        dm.shift_open_visits(s, customer, TODAY, TODAY, days, actor=ADMIN, now=NOW)
    assert [p.code for p in exc.value.problems] == codes


def test_engineers_may_not_shift_generate_or_plan(planned):
    engine, ids = planned
    eng = Actor(ids["eng1"], Role.ENGINEER)
    with pytest.raises(NotAllowed), db.write(engine) as s:
        dm.shift_open_visits(s, "C1", TODAY, TODAY, 3, actor=eng, now=NOW)
    with pytest.raises(NotAllowed), db.write(engine) as s:
        dm.generate_visits(s, today=TODAY, actor=eng, now=NOW)
    with pytest.raises(Refused), db.write(engine) as s:
        _save(s, "plans", [plan(plan_no="MP-2")], actor=eng)
    with db.read(engine) as s:
        assert s.scalar(select(func.count(MaintenancePlan.id))) == 1


def _results(engine, visit_no, changes=None):
    with db.read(engine) as s:
        lines = dm.checklist_for(s, visit_no)
    for line in lines:
        line.update((changes or {}).get(line["line_no"], {}))
    return lines


def test_completion_with_results_and_a_ticket_in_one_step(planned):
    engine, ids = planned
    eng = Actor(ids["eng1"], Role.ENGINEER)
    jan = visits(engine)[dt.date(2026, 1, 17)]
    lines = _results(engine, jan.visit_no, {
        1: {"passed": "是"}, 2: {"measured": "0.05", "note": "超差已调整"}, 3: {"observation": "V3.4"},
    })  # fmt: skip
    assert [ln["item"] for ln in lines] == ["清洁关键部件", "校准传感器", "固件版本"]
    with db.write(engine) as s:
        dm.complete_visit(s, jan.visit_no, {
            "status": "done", "arrived_at": "2026-01-17 09:00", "departed_at": "2026-01-17 12:00",
            "done_at": "2026-01-17 12:00", "customer_rep": "张伟", "accepted": "是",
        }, lines, actor=eng, now=NOW)  # fmt: skip
    with db.read(engine) as s:
        got = s.scalars(select(VisitResultLine).order_by(VisitResultLine.line_no)).all()
        assert [r.passed for r in got] == [True, False, None]  # 0.05 is outside ±0.02
        assert s.scalars(select(MaintenancePlan.next_due)).one() == dt.date(2026, 2, 24)
    with db.write(engine) as s:
        no = dm.open_ticket_for_visit(s, jan.visit_no, actor=eng, now=NOW)
        assert dm.open_ticket_for_visit(s, jan.visit_no, actor=eng, now=NOW) == no
    with db.read(engine) as s:
        ticket = s.scalars(select(Ticket)).one()
        assert ticket.ticket_no == no and "校准传感器" in ticket.fault_description
        assert (
            s.scalars(select(MaintenanceVisit.ticket_id).where(MaintenanceVisit.id == jan.id)).one()
            == ticket.id
        )


@pytest.mark.parametrize(
    ("values", "changes", "codes"),
    [
        ({"status": "done", "done_at": "2026-01-17 12:00"}, {2: {"measured": "0.05"}},
         ["maint.err.out_of_limits"]),
        ({"status": "done"}, {}, ["maint.err.done_at"]),
        ({"status": "done", "done_at": "2026-01-16 12:00"}, {}, ["maint.err.early"]),
        ({"status": "skipped"}, {}, ["maint.err.skip_reason", "maint.err.skipped_by"]),
        ({"status": "skipped", "skip_reason": "shutdown"}, {}, ["maint.err.skipped_by"]),
        ({"status": "done", "done_at": "2026-01-17 12:00", "kind": "firmware"}, {},
         ["maint.err.backup"]),
    ],
)  # fmt: skip
def test_bad_completion_writes_nothing(planned, values, changes, codes):
    engine, ids = planned
    jan = visits(engine)[dt.date(2026, 1, 17)]
    lines = _results(engine, jan.visit_no, changes)
    with pytest.raises(InvalidInput) as exc, db.write(engine) as s:
        dm.complete_visit(
            s, jan.visit_no, values, lines, actor=Actor(ids["eng1"], Role.ENGINEER), now=NOW
        )
    assert [p.code for p in exc.value.problems] == codes
    after = visits(engine)[dt.date(2026, 1, 17)]
    assert (after.status, after.version) == ("planned", jan.version)
    with db.read(engine) as s:
        assert s.scalar(select(func.count(VisitResultLine.id))) == 0


def test_an_upgrade_with_its_backup_is_done(planned):
    engine, _ = planned
    jan = visits(engine)[dt.date(2026, 1, 17)]
    with db.write(engine) as s:
        dm.complete_visit(s, jan.visit_no, {"status": "done", "done_at": "2026-01-17 12:00",
                          "kind": "firmware", "backup_done": "是", "version_from": "V1",
                          "version_to": "V2"}, [], actor=ADMIN, now=NOW)  # fmt: skip
    assert visits(engine)[dt.date(2026, 1, 17)].status == "done"


def test_engineers_change_their_own_visits_only(planned):
    engine, ids = planned
    other = Actor(ids["eng2"], Role.ENGINEER)
    jan = visits(engine)[dt.date(2026, 1, 17)]
    with pytest.raises(NotAllowed), db.write(engine) as s:
        dm.complete_visit(s, jan.visit_no, {"status": "done", "done_at": "2026-01-17 12:00"}, [],
                          actor=other, now=NOW)  # fmt: skip
    with pytest.raises(Refused), db.write(engine) as s:  # the grid / import path too
        _save(
            s, "visits", updates=[{"id": jan.id, "version": jan.version, "note": "x"}], actor=other
        )
    with pytest.raises(Refused), db.write(engine) as s:  # nor hand a visit to themselves
        _save(
            s,
            "visits",
            updates=[{"id": jan.id, "version": jan.version, "engineer": "eng2"}],
            actor=other,
        )
    with db.write(engine) as s:  # a manager changes any
        assert not _save(s, "visits", updates=[{"id": jan.id, "version": jan.version, "engineer": "eng2"}],
                         actor=Actor(ids["mgr"], Role.MANAGER)).problems  # fmt: skip


def test_a_visit_without_failures_opens_no_ticket(planned):
    engine, _ = planned
    jan = visits(engine)[dt.date(2026, 1, 17)]
    with pytest.raises(Refused), db.write(engine) as s:
        dm.open_ticket_for_visit(s, jan.visit_no, actor=ADMIN, now=NOW)
    with pytest.raises(InvalidInput), db.write(engine) as s:
        dm.open_ticket_for_visit(s, "NO-SUCH", actor=ADMIN, now=NOW)


def test_figures_my_visits_ageing_month_and_completion(planned):
    engine, ids = planned
    got = visits(engine)
    with db.write(engine) as s:
        dm.complete_visit(s, got[dt.date(2026, 1, 17)].visit_no,
                          {"status": "done", "done_at": "2026-01-19 12:00"}, [], actor=ADMIN, now=NOW)  # fmt: skip
    today = dt.date(2026, 3, 5)  # Feb's visit (due 24 Feb) is 9 days overdue
    with db.read(engine) as s:
        mine = dm.my_visits(s, ids["eng1"], today)
        assert [(r["due_date"], r["overdue"], r["days_overdue"]) for r in mine] == [
            (dt.date(2026, 2, 24), True, 9)
        ]
        assert dm.my_visits(s, ids["eng2"], today) == []
        ageing = dm.overdue_ageing(s, today, by="engineer")
        assert ageing == [{"who": "eng1", "1-7": 0, "8-30": 1, ">30": 0, "total": 1}]
        assert dm.overdue_ageing(s, dt.date(2026, 4, 1), by="region")[0]["total"] == 2
        assert dm.completion_rate(s, dt.date(2026, 1, 1), dt.date(2026, 1, 31)) == 1.0
        assert dm.completion_rate(s, dt.date(2026, 1, 1), dt.date(2026, 2, 28)) == 0.5
        assert dm.completion_rate(s, dt.date(2025, 1, 1), dt.date(2025, 1, 31)) is None
        month = dm.month_counts(s, dt.date(2026, 2, 1), dt.date(2026, 2, 28), today)
        assert month == {dt.date(2026, 2, 24): {"overdue": 1}}
        assert (
            dm.month_counts(
                s, dt.date(2026, 1, 1), dt.date(2026, 3, 31), today, dm.MonthFilter(ids["eng2"])
            )
            == {}
        )
        by_region = dm.MonthFilter(region="华东")
        assert dm.month_counts(s, dt.date(2026, 1, 1), dt.date(2026, 3, 31), today, by_region) == {
            dt.date(2026, 1, 17): {"done": 1}, dt.date(2026, 2, 24): {"overdue": 1},
            dt.date(2026, 3, 17): {"planned": 1},
        }  # fmt: skip
        assert (
            dm.month_counts(
                s, dt.date(2026, 1, 1), dt.date(2026, 3, 31), today, dm.MonthFilter(region="华北")
            )
            == {}
        )
        grid, rate = dm.month_view(s, dt.date(2026, 2, 10), today, by_region)
        days = {d.day: d for week in grid for d in week if d}
        assert rate == 0.0 and days[dt.date(2026, 2, 24)].counts == (("overdue", 1),)
        assert days[dt.date(2026, 2, 16)].kind == mr.DayKind.HOLIDAY  # Spring Festival
        assert days[dt.date(2026, 2, 14)].kind == mr.DayKind.MAKEUP  # a make-up Saturday
        assert days[dt.date(2026, 2, 8)].kind == mr.DayKind.OFF
        assert dm.regions(s) == sorted(["华北", "华东"])


def test_generation_on_the_demo_adds_nothing(db_engine):
    """The demo lays its visits out by the same rule and calendar, twelve months ahead."""
    from data_access import demo

    demo.load(db_engine, customers=20, tickets=40)  # enough plans for every state
    with db.write(db_engine) as s:
        assert (
            dm.generate_visits(s, today=demo.DEMO_NOW.date(), actor=ADMIN, now=demo.DEMO_NOW) == 0
        )
        states = set(s.scalars(select(MaintenanceVisit.status).distinct()))
    assert states == {"planned", "done", "partly_done", "skipped", "cancelled"}


def test_route_sheet_holds_one_engineers_month(planned):
    import io

    import openpyxl

    from imports.writer import export_bytes

    engine, ids = planned
    feb = RouteFilter(ids["eng1"], dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    with db.read(engine) as s:
        data = export_bytes(s, "visits", lang="zh", today=TODAY, selection=feb, now=NOW)
        nobody = export_bytes(
            s, "visits", lang="zh", today=TODAY, now=NOW,
            selection=RouteFilter(ids["eng2"], dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        )  # fmt: skip
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["MP-1-20260217"]
    assert len(list(openpyxl.load_workbook(io.BytesIO(nobody)).active.iter_rows())) == 1


# ---------------------------------------------------------------- parts used on a visit
@pytest.fixture
def van(planned):
    """eng1 has a van (VAN-1) holding 3 units of part 000101; eng2 has none."""
    engine, ids = planned
    with db.write(engine) as s:
        s.add(Warehouse(code="VAN-1", name="VAN-1", kind="van", user_id=ids["eng1"], active=True))
        s.add(Part(part_no="000101", name="滤芯", uom="个", unit_cost=Decimal("100"),
                   price=Decimal("200"), is_key=True, reorder_point=0, reorder_qty=0,
                   on_hand=0, active=True))  # fmt: skip
        s.flush()
        stock.post_document(s, "receipt", "VAN-1", [stock.Line("000101", 3)],
                            at=dt.datetime(2026, 1, 12, 9, 0), actor=ADMIN, now=NOW)  # fmt: skip
    return engine, ids


DONE = {"status": "done", "arrived_at": "2026-01-17 09:00", "departed_at": "2026-01-17 12:00",
        "done_at": "2026-01-17 12:00", "customer_rep": "张伟", "accepted": "是"}  # fmt: skip


def test_parts_used_on_a_visit_leave_the_van_through_the_ledger(van):
    engine, ids = van
    eng = Actor(ids["eng1"], Role.ENGINEER)
    jan = visits(engine)[dt.date(2026, 1, 17)]
    with db.write(engine) as s:
        doc = dm.complete_visit(s, jan.visit_no, DONE, None, actor=eng, now=NOW,
                                parts=[stock.Line("000101", 2)])  # fmt: skip
    assert doc
    with db.read(engine) as s:
        row = s.execute(
            select(StockMovement.doc_no, StockMovement.qty, StockMovement.kind,
                   StockMovement.visit_id, StockMovement.at)
            .where(StockMovement.kind == "issue")
        ).one()  # fmt: skip
        assert tuple(row) == (doc, -2, "issue", jan.id, dt.datetime(2026, 1, 17, 12, 0))
        assert stock.part_card(s, "000101", ADMIN)["balances"] == {"VAN-1": 1}
        assert stock.balances_agree(s)
        card = dm.visit_card(s, jan.visit_no, TODAY)
    assert card["status"] == "done"
    assert [(p["part_no"], p["qty"]) for p in card["parts"]] == [("000101", -2)]


@pytest.mark.parametrize(
    ("engineer", "parts", "error", "code"),
    [
        ("eng1", [stock.Line("000101", 5)], Refused, "parts.err.negative"),
        ("eng1", [stock.Line("NOPE", 1)], InvalidInput, "parts.err.unknown_part"),
        ("eng1", [stock.Line("000101", 0)], InvalidInput, "parts.err.qty_positive"),
        ("eng2", [stock.Line("000101", 1)], Refused, "parts.err.no_van"),
    ],
)
def test_a_visit_whose_parts_cannot_be_issued_is_not_completed(van, engineer, parts, error, code):
    engine, ids = van
    jan = visits(engine)[dt.date(2026, 1, 17)]
    if engineer != "eng1":
        with db.write(engine) as s:
            v = s.get(MaintenanceVisit, jan.id)
            v.engineer_id = ids[engineer]
    actor = Actor(ids[engineer], Role.ENGINEER)
    with pytest.raises(error) as caught, db.write(engine) as s:
        dm.complete_visit(s, jan.visit_no, DONE, None, actor=actor, now=NOW, parts=parts)
    got = caught.value.code if error is Refused else caught.value.problems[0].code
    assert got == code
    with db.read(engine) as s:
        assert s.get(MaintenanceVisit, jan.id).status == "planned"
        assert stock.part_card(s, "000101", ADMIN)["balances"] == {"VAN-1": 3}


def test_an_engineer_cannot_delete_another_engineers_result_lines(planned):
    engine, ids = planned
    jan = visits(engine)[dt.date(2026, 1, 17)]
    with db.write(engine) as s:
        dm.complete_visit(s, jan.visit_no, DONE, _results(engine, jan.visit_no),
                          actor=Actor(ids["eng1"], Role.ENGINEER), now=NOW)  # fmt: skip
    with db.read(engine) as s:
        stored = s.execute(
            select(VisitResultLine.id, VisitResultLine.version).where(
                VisitResultLine.visit_id == jan.id
            )
        ).all()
    deletes = [{"id": i, "version": v} for i, v in stored]
    with pytest.raises(Refused) as err, db.write(engine) as s:
        save_changes(s, "visit_results", inserts=[], updates=[], deletes=deletes,
                     actor=Actor(ids["eng2"], Role.ENGINEER), now=NOW)  # fmt: skip
    assert err.value.code == "maint.err.own_visits"
    with pytest.raises(Refused) as err, db.write(engine) as s:  # nor the visit itself
        save_changes(s, "visits", inserts=[], updates=[], now=NOW,
                     deletes=[{"id": jan.id, "version": visits(engine)[jan.due_date].version}],
                     actor=Actor(ids["eng2"], Role.ENGINEER))  # fmt: skip
    assert err.value.code == "maint.err.own_visits"
    with db.read(engine) as s:
        assert s.scalar(select(func.count()).select_from(VisitResultLine)) == len(stored)
    with db.write(engine) as s:  # the visit's own engineer may
        save_changes(s, "visit_results", inserts=[], updates=[], deletes=deletes,
                     actor=Actor(ids["eng1"], Role.ENGINEER), now=NOW)  # fmt: skip
    with db.read(engine) as s:
        assert s.scalar(select(func.count()).select_from(VisitResultLine)) == 0


@pytest.mark.parametrize("window_days", [1, 7, 30])
def test_completion_counts_in_sql_follow_the_rule(planned, window_days):
    """The SQL counts (the page's and the dashboard's) give what the pure rule gives
    over the same visits: done on the due day, at the window's last day, one day
    after, partly done, skipped with and without approval, cancelled, open."""
    from sqlalchemy import update

    from data_access.maintenance_register import counts_as_due, done_in_window

    engine, _ = planned
    v = MaintenanceVisit.__table__
    with db.write(engine) as s:
        s.execute(update(MaintenancePlan.__table__).values(window_days=window_days))
        ids = [r.id for r in sorted(visits(engine).values(), key=lambda x: x.planned_date)]
        cases = [
            ("done", 0, False), ("done", window_days - 1, False), ("done", window_days, False),
            ("partly_done", 0, False), ("skipped", None, True), ("skipped", None, False),
            ("cancelled", None, False), ("planned", None, False), ("done", -2, False),
        ]  # fmt: skip
        for visit_id, (status, late, approved) in zip(ids, cases, strict=False):
            due = s.scalar(select(v.c.due_date).where(v.c.id == visit_id))
            done_at = None if late is None else dt.datetime.combine(
                due + dt.timedelta(days=late), dt.time(23, 30)
            )  # fmt: skip
            s.execute(update(v).where(v.c.id == visit_id).values(
                status=status, done_at=done_at, skip_approved=approved, note="x"))  # fmt: skip
    first, last = dt.date(2026, 1, 1), dt.date(2027, 12, 31)
    with db.read(engine) as s:
        facts = [
            mr.VisitFact(r.status, r.due_date, r.done_at, window_days, r.skip_approved)
            for r in s.execute(select(v))
        ]
        due, done = dm.completion_counts(s, first, last)
        assert (due, done) == (
            sum(1 for f in facts if f.status != "cancelled"
                and not (f.status == "skipped" and f.skip_approved)),
            sum(mr.done_in_window(f.status, f.due, f.done_at, f.window_days) for f in facts),
        )  # fmt: skip
        assert done / due == mr.completion_rate(facts, first, last)
        # the dashboard's form: no join, the window read per visit
        joined = s.execute(
            select(func.count(), func.sum(case((done_in_window(), 1), else_=0)))
            .where(counts_as_due())
        ).one()  # fmt: skip
        assert (joined[0], joined[1]) == (due, done)


def test_plans_without_a_number_are_numbered_typed_ones_kept(base):
    """A new plan left without a number (grid or import) gets MP-<year>-NNNNN after the
    year's highest; a typed number is kept and never handed out again; an export of
    them re-imported unchanged reports nothing to change."""
    from imports.engine import import_file
    from imports.writer import export_bytes

    engine, _ = base
    with db.write(engine) as s:
        got = _save(s, "plans", [plan(plan_no=None), plan(plan_no="MP-2026-00002", device="SN3"),
                                 plan(plan_no="", name="第三")])  # fmt: skip
        assert not got.problems
        assert _save(s, "plans", [plan(plan_no="自编-7", name="手工")]).inserted == 1
    with db.read(engine) as s:
        nos = set(s.scalars(select(MaintenancePlan.plan_no)))
    assert nos == {"MP-2026-00001", "MP-2026-00002", "MP-2026-00003", "自编-7"}
    # an import: a file without the number column, and one with a blank and a typed row
    sheet = io.BytesIO()
    wb = openpyxl.Workbook()
    wb.active.append(["计划名称", "设备序列号", "保养套餐", "计划类型", "频次", "开始日期"])
    wb.active.append(["导入一", "SN1", "basic", "inspection", "yearly", "2026-03-01"])
    wb.save(sheet)
    sheet2 = io.BytesIO()
    wb = openpyxl.Workbook()
    wb.active.append(
        ["计划编号", "计划名称", "设备序列号", "保养套餐", "计划类型", "频次", "开始日期"]
    )
    wb.active.append([None, "导入二", "SN1", "basic", "inspection", "yearly", "2026-03-01"])
    wb.active.append(
        ["MP-2026-00005", "导入三", "SN1", "basic", "inspection", "yearly", "2026-03-01"]
    )
    wb.save(sheet2)
    for data, expected in ((sheet, 1), (sheet2, 2)):
        with db.write(engine) as s:
            report = import_file(s, "plans", data.getvalue(), file_name="p.xlsx", now=NOW,
                                 actor=ADMIN)  # fmt: skip
        assert (report.problems, report.inserted) == ([], expected)
    with db.read(engine) as s:
        names = dict(s.execute(select(MaintenancePlan.name, MaintenancePlan.plan_no)).all())
        exported = export_bytes(s, "plans", lang="zh", today=TODAY)
    assert (names["导入一"], names["导入二"], names["导入三"]) == (
        "MP-2026-00004", "MP-2026-00006", "MP-2026-00005"
    )  # fmt: skip
    with db.write(engine) as s:
        back = import_file(s, "plans", exported, file_name="e.xlsx", now=NOW, actor=ADMIN)
    assert (back.problems, back.inserted, back.updated, back.unchanged) == ([], 0, 0, 7)


def test_concurrent_new_plans_get_distinct_numbers(base):
    """Three managers save a plan without a number at the same moment: each gets its
    own (PostgreSQL: the year's advisory lock; SQLite: one writer at a time)."""
    import threading

    engine, _ = base
    errors: list[Exception] = []
    barrier = threading.Barrier(3)

    def one(i: int) -> None:
        barrier.wait()
        try:
            with db.write(engine) as s:
                result = _save(s, "plans", [plan(plan_no=None, name=f"并发 {i}")])
                assert not result.problems, result.problems
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with db.read(engine) as s:
        nos = sorted(s.scalars(select(MaintenancePlan.plan_no)))
    assert nos == [f"MP-2026-0000{i}" for i in (1, 2, 3)]
