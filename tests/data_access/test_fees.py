"""Fees in the data layer on SQLite and PostgreSQL: lines built from the service report
and priced by the coverage rule, quote → confirmation, changes after confirmation
(reason, manager, audit), settlement locks, payments, bank statements, ageing, rights."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import openpyxl
import pytest
from sqlalchemy import func, select

from data_access import db
from data_access import fees as fees_da
from data_access.errors import NotAllowed, Refused
from data_access.lines import list_lines
from data_access.models import (
    AuditLog,
    Customer,
    Device,
    FeeLine,
    MaintenancePackage,
    MaintenancePlan,
    MaintenanceVisit,
    Part,
    Payment,
    RateCardItem,
    ServiceReport,
    Settlement,
    StockMovement,
    Ticket,
    TicketPart,
    User,
    Warehouse,
)
from data_access.registers import save_changes
from imports.bank_statement import import_bank_statement
from rules import fees as F
from rules.access import Actor, Role

NOW = dt.datetime(2026, 11, 20, 10, 0)
JAN, JUL = dt.date(2026, 1, 1), dt.date(2026, 7, 1)

RATES = [
    # code, kind, variant, basis, price, valid_from, valid_to, km_from, km_to
    ("DIAG", "diagnosis", None, "fixed", "300", JAN, dt.date(2026, 6, 30), None, None),
    ("DIAG", "diagnosis", None, "fixed", "320", JUL, None, None, None),
    ("LAB-STD", "labour", "standard", "per_unit", "280", JAN, None, None, None),
    ("TRV-CITY", "travel", None, "fixed", "200", JAN, None, "0", "50"),
    ("TRV-KM", "travel", None, "per_unit", "3.50", JAN, None, "50", None),
    ("RUSH-N", "rush", "night", "percent", "50", JAN, None, None, None),
    ("RUSH-D", "rush", "day", "fixed", "500", JAN, None, None, None),
    ("MIN", "minimum", None, "fixed", "1000", JAN, None, None, None),
]


def _user(s, name, role):
    u = User(username=name, display_name=name, role=role, password_hash="x")
    s.add(u)
    s.flush()
    return Actor(u.id, role)


@pytest.fixture
def shop(db_engine):
    """Rate card; three devices (in warranty, out with a contract, out); tickets with
    service reports and parts; a manager, an agent and two engineers."""
    with db.write(db_engine) as s:
        actors = {
            "manager": _user(s, "mgr", Role.MANAGER),
            "agent": _user(s, "agt", Role.AGENT),
            "eng": _user(s, "eng", Role.ENGINEER),
            "eng2": _user(s, "eng2", Role.ENGINEER),
        }
        for code, kind, variant, basis, price, start, end, lo, hi in RATES:
            s.add(RateCardItem(rate_key=F.rate_key(code, start), code=code, kind=kind,
                               variant=variant, name_zh=code, name_en=code, unit="次",
                               basis=basis, price=D(price), valid_from=start, valid_to=end,
                               km_from=D(lo) if lo else None, km_to=D(hi) if hi else None))  # fmt: skip
        c1 = Customer(code="C1", name="甲公司", region="华东")
        c2 = Customer(code="C2", name="乙公司", region="华东")
        s.add_all([c1, c2])
        s.flush()
        devs = {
            "warranty": Device(serial_no="D-W", customer_id=c1.id, install_date=dt.date(2026, 1, 5),
                               warranty_end=dt.date(2027, 1, 4)),
            "contract": Device(serial_no="D-C", customer_id=c2.id, install_date=dt.date(2023, 1, 1),
                               warranty_end=dt.date(2024, 1, 1), contract_end=dt.date(2026, 12, 31)),
            "out": Device(serial_no="D-O", customer_id=c1.id, install_date=dt.date(2023, 1, 1),
                          warranty_end=dt.date(2024, 1, 1)),
        }  # fmt: skip
        s.add_all(devs.values())
        package = MaintenancePackage(code="comprehensive", name_zh="全面", name_en="Full",
                                     repair_discount_pct=D("20"))  # fmt: skip
        s.add(package)
        s.flush()
        s.add(MaintenancePlan(plan_no="MP1", name="全面维保", customer_id=c2.id,
                              device_id=devs["contract"].id, package_id=package.id,
                              frequency="quarterly", start_date=dt.date(2025, 1, 1)))  # fmt: skip
        wear = Part(part_no="W-1", name="密封圈", unit_cost=D("35.00"), price=D("60.00"),
                    warranty_months=3, is_wear=True)  # fmt: skip
        board = Part(part_no="K-1", name="主板", unit_cost=D("900.00"), price=D("1500.00"))
        s.add_all([wear, board])
        s.flush()

        def ticket(no, dev, received, *, hours="2", km="30", parts=(), priority="standard",
                   engineer="eng", result="fixed"):  # fmt: skip
            t = Ticket(ticket_no=no, customer_id=dev.customer_id, device_id=dev.id,
                       priority=priority, received_at=received, channel="phone", status="repaired",
                       fault_description="故障", engineer_id=actors[engineer].id)  # fmt: skip
            s.add(t)
            s.flush()
            s.add(ServiceReport(ticket_id=t.id, labour_hours=D(hours), travel_km=D(km),
                                result=result, engineer_id=actors[engineer].id))  # fmt: skip
            for i, (part, qty) in enumerate(parts, 1):
                s.add(TicketPart(ticket_id=t.id, line_no=i, part_id=part.id,
                                 part_no=part.part_no, description=part.name, qty=qty))  # fmt: skip

        ticket("SR-OUT", devs["out"], dt.datetime(2026, 8, 3, 10), parts=[(board, 1)])
        ticket("SR-OLD", devs["out"], dt.datetime(2026, 3, 3, 10), hours="1", km="0")
        ticket("SR-WAR", devs["warranty"], dt.datetime(2026, 9, 1, 10),
               parts=[(wear, 2), (board, 1)])  # fmt: skip
        ticket("SR-CON", devs["contract"], dt.datetime(2026, 9, 2, 10), hours="3", km="120")
        ticket("SR-SMALL", devs["out"], dt.datetime(2026, 9, 8, 10), hours="0.5", km="10")
        ticket("SR-NIGHT", devs["out"], dt.datetime(2026, 9, 5, 23, 30), priority="emergency",
               engineer="eng2")  # fmt: skip
    return db_engine, actors


def build(engine, no, actor):
    with db.write(engine) as s:
        return fees_da.build_lines(s, no, actor=actor, now=NOW)


def lines(engine, no):
    with db.read(engine) as s:
        return list_lines(s, "fees", no)


def by_kind(rows):
    return {(r["kind"], r.get("part_no")): r for r in rows}


def test_out_of_warranty_lines_from_the_service_report(shop):
    engine, a = shop
    assert build(engine, "SR-OUT", a["eng"]) == 4
    got = by_kind(lines(engine, "SR-OUT"))
    assert {k: (r["rule"], r["qty"], r["list_amount"], r["amount"]) for k, r in got.items()} == {
        ("diagnosis", None): ("rate_card", D("1"), D("320.00"), D("320.00")),
        ("labour", None): ("rate_card", D("2"), D("560.00"), D("560.00")),
        ("travel", None): ("rate_card", D("1"), D("200.00"), D("200.00")),
        ("parts", "K-1"): ("rate_card", D("1"), D("900.00"), D("900.00")),  # at cost
    }


def test_on_site_minimum_charge_tops_up_a_small_job(shop):
    engine, a = shop
    assert build(engine, "SR-SMALL", a["eng"]) == 4
    got = by_kind(lines(engine, "SR-SMALL"))
    assert (got[("minimum", None)]["rate_code"], got[("minimum", None)]["amount"]) == (
        "MIN",
        D("340.00"),  # 1000 − (320 + 140 + 200)
    )
    assert sum(r["amount"] for r in got.values()) == D("1000.00")


def test_historic_ticket_keeps_the_rate_valid_on_its_date(shop):
    engine, a = shop
    build(engine, "SR-OLD", a["eng"])
    diag = by_kind(lines(engine, "SR-OLD"))[("diagnosis", None)]
    assert diag["unit_price"] == D("300.00")  # March: the first version


def test_in_warranty_device_pays_only_the_wear_part_out_of_its_own_warranty(shop):
    engine, a = shop
    build(engine, "SR-WAR", a["eng"])
    got = {k: (r["rule"], r["amount"]) for k, r in by_kind(lines(engine, "SR-WAR")).items()}
    assert got == {
        ("diagnosis", None): ("warranty", D("0.00")),
        ("labour", None): ("warranty", D("0.00")),
        ("travel", None): ("warranty", D("0.00")),
        ("parts", "W-1"): ("part_expired", D("70.00")),  # 3 months from 5 Jan: over
        ("parts", "K-1"): ("warranty", D("0.00")),
    }


def test_contract_customer_gets_the_package_discount(shop):
    engine, a = shop
    build(engine, "SR-CON", a["eng"])
    got = {k: (r["rule"], r["discount_pct"], r["discount"], r["amount"])
           for k, r in by_kind(lines(engine, "SR-CON")).items()}  # fmt: skip
    assert got == {
        ("diagnosis", None): ("contract", D("20"), D("64.00"), D("256.00")),
        ("labour", None): ("contract", D("20"), D("168.00"), D("672.00")),
        ("travel", None): ("rate_card", D("0"), D("0.00"), D("420.00")),  # 120 km × 3.50
    }


def test_part_pricing_setting_switches_to_sale_price(shop):
    engine, a = shop
    from data_access.settings import put_setting

    with db.write(engine) as s:
        put_setting(s, F.SETTING_PART_PRICING, "price", NOW)
    build(engine, "SR-OUT", a["eng"])
    assert by_kind(lines(engine, "SR-OUT"))[("parts", "K-1")]["amount"] == D("1500.00")


def test_night_emergency_gets_the_percent_rush(shop):
    engine, a = shop
    build(engine, "SR-NIGHT", a["eng2"])
    rush = by_kind(lines(engine, "SR-NIGHT"))[("rush", None)]
    assert (rush["rate_code"], rush["amount"]) == ("RUSH-N", D("440.00"))  # 50 % of 320 + 560


def _save(engine, no, rows, actor):
    with db.write(engine) as s:
        return fees_da.save_fee_lines(s, no, rows, actor=actor, now=NOW)


def _edit(engine, no, line_no, actor, **changes):
    rows = lines(engine, no)
    for r in rows:
        if r["line_no"] == line_no:
            r.update(changes)
    return _save(engine, no, rows, actor)


def test_covered_line_with_a_price_needs_an_override_reason(shop):
    engine, a = shop
    build(engine, "SR-WAR", a["eng"])
    labour = by_kind(lines(engine, "SR-WAR"))[("labour", None)]["line_no"]
    with pytest.raises(Refused) as err:
        _edit(engine, "SR-WAR", labour, a["manager"], unit_price=D("300"))
    assert err.value.code == "fees.err.covered_price"
    assert by_kind(lines(engine, "SR-WAR"))[("labour", None)]["unit_price"] == D("280.00")
    _edit(engine, "SR-WAR", labour, a["manager"], unit_price=D("300"), override_reason="人为损坏")
    row = by_kind(lines(engine, "SR-WAR"))[("labour", None)]
    assert (row["rule"], row["amount"]) == ("override", D("600.00"))


def test_negative_quantity_is_refused_nothing_written(shop):
    engine, a = shop
    build(engine, "SR-OUT", a["eng"])
    result = _edit(engine, "SR-OUT", 2, a["manager"], qty=D("-1"))
    assert [p.code for p in result.problems] == ["err.min"]
    assert by_kind(lines(engine, "SR-OUT"))[("labour", None)]["qty"] == D("2")


def _quote_and_confirm(engine, no, a):
    with db.write(engine) as s:
        total = fees_da.quote(s, no, actor=a["agent"], now=NOW)
    with db.write(engine) as s:
        fees_da.confirm(s, no, by="张经理", at=NOW, via="phone", actor=a["agent"], now=NOW)
    return total


def test_quote_then_confirmation_then_changes_need_reason_and_manager(shop):
    engine, a = shop
    build(engine, "SR-OUT", a["eng"])
    assert _quote_and_confirm(engine, "SR-OUT", a) == D("1980.00")
    with db.read(engine) as s:
        q = fees_da.quote_of(s, "SR-OUT")
    assert (q.status, q.confirmed_by, q.confirmed_via) == ("confirmed", "张经理", "phone")
    # an engineer may not change a confirmed job's fees, even with a reason
    with pytest.raises(Refused) as err:
        _edit(engine, "SR-OUT", 2, a["eng"], qty=D("3"), change_reason="多做一小时")
    assert err.value.code == "fees.err.manager_only"
    # a manager without a reason for this change: refused
    with pytest.raises(Refused) as err:
        _edit(engine, "SR-OUT", 2, a["manager"], qty=D("3"))
    assert err.value.code == "fees.err.change_reason"
    assert by_kind(lines(engine, "SR-OUT"))[("labour", None)]["qty"] == D("2")
    _edit(engine, "SR-OUT", 2, a["manager"], qty=D("3"), change_reason="客户同意加一小时")
    with db.read(engine) as s:
        row = s.execute(
            select(AuditLog).where(
                AuditLog.entity == "fee_change", AuditLog.entity_key == "SR-OUT/2"
            )
        ).scalar_one()
        audit_rows = fees_da.fee_audit(s)
    assert row.username == "mgr"
    assert row.changes == {"qty": ["2.00", "3"], "reason": "客户同意加一小时"}
    assert {r["entity"] for r in audit_rows} >= {"fee_quote", "fee_change"}
    # a confirmed line is not deleted: a correction is an adjustment line
    with pytest.raises(Refused):
        _save(engine, "SR-OUT", lines(engine, "SR-OUT")[:-1], a["manager"])


def test_quote_rights_and_order(shop):
    engine, a = shop
    build(engine, "SR-OUT", a["eng"])
    with pytest.raises(NotAllowed), db.write(engine) as s:
        fees_da.quote(s, "SR-OUT", actor=a["eng"], now=NOW)
    with pytest.raises(Refused) as err, db.write(engine) as s:
        fees_da.confirm(s, "SR-OUT", by="x", at=NOW, via="phone", actor=a["agent"], now=NOW)
    assert err.value.code == "fees.err.not_quoted"
    with db.write(engine) as s:
        fees_da.quote(s, "SR-OUT", actor=a["agent"], now=NOW)
    with pytest.raises(Refused) as err, db.write(engine) as s:
        fees_da.confirm(s, "SR-OUT", by=" ", at=NOW, via="phone", actor=a["agent"], now=NOW)
    assert err.value.code == "fees.err.confirm_fields"
    with pytest.raises(Refused) as err, db.write(engine) as s:
        fees_da.quote(s, "SR-CON", actor=a["agent"], now=NOW)
    assert err.value.code == "fees.err.no_lines"


def test_engineers_propose_their_own_tickets_only(shop):
    engine, a = shop
    with pytest.raises(NotAllowed):
        build(engine, "SR-NIGHT", a["eng"])  # eng2's ticket
    assert lines(engine, "SR-NIGHT") == []


def test_settled_lines_are_locked_and_corrected_by_adjustments(shop):
    engine, a = shop
    build(engine, "SR-OUT", a["eng"])
    with pytest.raises(NotAllowed), db.write(engine) as s:
        fees_da.settle_ticket(s, "SR-OUT", actor=a["agent"], now=NOW)
    with db.write(engine) as s:
        no = fees_da.settle_ticket(s, "SR-OUT", actor=a["manager"], now=NOW)
    assert no == "JS202611-0001"
    with pytest.raises(Refused) as err:
        _edit(engine, "SR-OUT", 1, a["manager"], qty=D("2"), change_reason="x")
    assert err.value.code == "fees.err.settled"
    with pytest.raises(Refused):
        _save(engine, "SR-OUT", lines(engine, "SR-OUT")[1:], a["manager"])
    with pytest.raises(Refused):  # a new ordinary line: refused too
        _save(engine, "SR-OUT", [*lines(engine, "SR-OUT"), {"kind": "other", "qty": 1,
                                 "unit_price": D("10")}], a["manager"])  # fmt: skip
    adj = {"kind": "adjustment", "qty": D("1"), "unit_price": D("-20"), "change_reason": "少退运费"}
    assert not _save(engine, "SR-OUT", [*lines(engine, "SR-OUT"), adj], a["manager"]).problems
    with db.write(engine) as s:
        second = fees_da.settle_ticket(s, "SR-OUT", actor=a["manager"], now=NOW)
    with db.read(engine) as s:
        totals = dict(s.execute(select(Settlement.settlement_no, Settlement.total)).all())
        summed = s.execute(select(func.sum(FeeLine.amount))).scalar()
    assert totals == {no: D("1980.00"), second: D("-20.00")}
    assert sum(totals.values()) == summed
    with pytest.raises(Refused) as err, db.write(engine) as s:
        fees_da.settle_ticket(s, "SR-OUT", actor=a["manager"], now=NOW)
    assert err.value.code == "fees.err.nothing_to_settle"


def test_monthly_statement_per_customer(shop):
    engine, a = shop
    for no in ("SR-OUT", "SR-WAR", "SR-NIGHT"):
        build(engine, no, a["manager"])
    with pytest.raises(Refused) as err, db.write(engine) as s:
        fees_da.settle_month(s, "C2", dt.date(2026, 9, 1), actor=a["manager"], now=NOW)
    assert err.value.code == "fees.err.nothing_to_settle"
    with db.write(engine) as s:
        no = fees_da.settle_month(s, "C1", dt.date(2026, 9, 15), actor=a["manager"], now=NOW)
    with db.read(engine) as s:
        head = fees_da.statement_rows(s, statement_no=no)[0]
        tickets = {r["doc_no"] for r in fees_da.statement_lines(s, no)}
        _, printed = fees_da.statement_display(s, no)
        month = dict(fees_da.monthly_totals(s, dt.date(2026, 9, 1), dt.date(2026, 9, 30)))
    assert tickets == {"SR-WAR", "SR-NIGHT"}  # August's SR-OUT is not September's
    build(engine, "SR-CON", a["manager"])
    with pytest.raises(NotAllowed), db.write(engine) as s:
        fees_da.settle_months(s, dt.date(2026, 9, 1), actor=a["agent"], now=NOW)
    with db.write(engine) as s:  # every customer at once: only C2 is left for September
        made = fees_da.settle_months(s, dt.date(2026, 9, 1), actor=a["manager"], now=NOW)
    assert made == ["YJ202611-0002"]
    with db.read(engine) as s:
        assert fees_da.statement_rows(s, statement_no=made[0])[0]["total"] == D("1348.00")
        assert fees_da.settle_months(s, dt.date(2026, 9, 1), actor=a["manager"], now=NOW) == []
    assert head["total"] == D("70.00") + D("1520.00")
    assert printed[-3][-1] == head["total"]
    assert sum(month.values()) == head["total"]


def _settled(engine, a, no="SR-OUT"):
    build(engine, no, a["manager"])
    with db.write(engine) as s:
        return fees_da.settle_ticket(s, no, actor=a["manager"], now=NOW)


def _pay(engine, statement, amount, actor, kind="payment", reason=None):
    with db.write(engine) as s:
        return fees_da.record_payment(s, statement, amount=D(amount), paid_on=NOW.date(),
                                      method="wechat" if kind == "payment" else None, kind=kind,
                                      reason=reason, actor=actor, now=NOW)  # fmt: skip


def _head(engine, no):
    with db.read(engine) as s:
        return fees_da.statement_rows(s, statement_no=no)[0]


def test_partial_payments_outstanding_and_write_off(shop):
    engine, a = shop
    no = _settled(engine, a)  # 1980.00
    with pytest.raises(NotAllowed):
        _pay(engine, no, "100", a["agent"])
    assert _pay(engine, no, "1000", a["manager"]) == f"{no}-1"
    assert _head(engine, no)["outstanding"] == D("980.00")
    with pytest.raises(Refused) as err:  # above the outstanding amount
        _pay(engine, no, "980.01", a["manager"])
    assert err.value.code == "fees.err.overpaid"
    _pay(engine, no, "950", a["manager"])
    from data_access.settings import put_setting

    with db.write(engine) as s:
        put_setting(s, F.SETTING_WRITE_OFF_LIMIT, "20", NOW)
    with pytest.raises(Refused) as err:  # a write-off above the limit
        _pay(engine, no, "30", a["manager"], kind="write_off", reason="差额")
    assert err.value.code == "fees.err.write_off_limit"
    with pytest.raises(Refused) as err:  # without a reason
        _pay(engine, no, "30", a["manager"], kind="write_off")
    assert err.value.code == "fees.err.reason_needed"
    with db.write(engine) as s:
        put_setting(s, F.SETTING_WRITE_OFF_LIMIT, "30", NOW)
    _pay(engine, no, "30", a["manager"], kind="write_off", reason="银行手续费")
    head = _head(engine, no)
    assert (head["status"], head["outstanding"], head["paid"]) == ("paid", D("0.00"), D("1980.00"))
    with db.read(engine) as s:
        n = s.execute(select(func.count(Payment.id))).scalar()
        money = s.execute(
            select(func.count(AuditLog.id)).where(AuditLog.entity == "payments")
        ).scalar()
    assert n == 3 and money >= 3


def test_payments_ledger_refuses_edits(shop):
    engine, a = shop
    no = _settled(engine, a)
    _pay(engine, no, "100", a["manager"])
    with db.read(engine) as s:
        pid, version = s.execute(select(Payment.id, Payment.version)).one()
    with db.write(engine) as s:
        result = save_changes(s, "payments", inserts=[], deletes=[], actor=a["manager"], now=NOW,
                              updates=[{"id": pid, "version": version, "amount": "90"}])  # fmt: skip
    assert [p.code for p in result.problems] == ["err.ledger"]


def _bank(rows):
    wb = openpyxl.Workbook()
    wb.active.append(["交易日期", "收入金额", "摘要", "流水号"])
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_bank_statement_matches_statement_or_ticket_no(shop):
    engine, a = shop
    first = _settled(engine, a, "SR-OUT")  # 1980
    second = _settled(engine, a, "SR-NIGHT")  # 1520
    data = _bank([
        ("2026-11-18", 1000, f"货款 {first}", "B1"),
        ("2026-11-19", "1,520.00", "维修费 工单SR-NIGHT", "B2"),
    ])  # fmt: skip
    with db.write(engine) as s:
        posted = import_bank_statement(s, data, actor=a["manager"], now=NOW)
    assert posted == [f"{first}-1", f"{second}-1"]
    assert _head(engine, second)["status"] == "paid"
    bad = _bank([("2026-11-20", 10, f"{first}", "B3"), ("2026-11-20", 10, "无关转账", "B4")])
    with pytest.raises(Refused) as err, db.write(engine) as s:
        import_bank_statement(s, bad, actor=a["manager"], now=NOW)
    assert (err.value.code, err.value.params["row"]) == ("fees.err.bank_row", 3)
    assert _head(engine, first)["paid"] == D("1000.00")  # nothing of the bad file written


def test_bank_statement_bad_file(shop):
    engine, a = shop
    with pytest.raises(Refused) as err, db.write(engine) as s:
        import_bank_statement(s, b"not a workbook", actor=a["manager"], now=NOW)
    assert err.value.code == "fees.err.bank_file"
    wb = openpyxl.Workbook()
    wb.active.append(["a", "b"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(Refused) as err, db.write(engine) as s:
        import_bank_statement(s, buf.getvalue(), actor=a["manager"], now=NOW)
    assert err.value.code == "fees.err.bank_columns"


def test_receivables_ageing(shop):
    engine, a = shop
    no = _settled(engine, a)
    _pay(engine, no, "980", a["manager"])
    with db.read(engine) as s:
        got = fees_da.receivables(s, (NOW + dt.timedelta(days=45)).date())
    assert got == [{"customer": "C1", "0-30": D("0.00"), "31-60": D("1000.00"),
                    "61-90": D("0.00"), ">90": D("0.00"), "total": D("1000.00")}]  # fmt: skip


def _rate_row(engine, key):
    with db.read(engine) as s:
        return s.execute(
            select(RateCardItem.id, RateCardItem.version).where(RateCardItem.rate_key == key)
        ).one()


def test_rate_card_change_needs_reason_is_audited_and_managers_only(shop):
    engine, a = shop
    rid, version = _rate_row(engine, "LAB-STD@2026-01-01")
    upd = {"id": rid, "version": version, "price": "290"}
    with pytest.raises(NotAllowed), db.write(engine) as s:
        save_changes(s, "ratecard", inserts=[], updates=[upd], deletes=[], actor=a["agent"],
                     now=NOW)  # fmt: skip
    with pytest.raises(Refused) as err, db.write(engine) as s:
        save_changes(s, "ratecard", inserts=[], updates=[upd], deletes=[], actor=a["manager"],
                     now=NOW)  # fmt: skip
    assert err.value.code == "fees.err.rate_reason"
    assert _rate_row(engine, "LAB-STD@2026-01-01") == (rid, version)  # nothing written
    with db.write(engine) as s:
        save_changes(s, "ratecard", inserts=[], deletes=[], actor=a["manager"], now=NOW,
                     updates=[{**upd, "change_reason": "年度调价"}])  # fmt: skip
    with db.read(engine) as s:
        row = s.execute(
            select(AuditLog).where(AuditLog.entity == "ratecard", AuditLog.action == "money")
        ).scalar_one()
    assert row.changes == {"price": ["280.00", "290.00"], "reason": "年度调价"}
    overlap = {"rate_key": "DIAG@2026-06-01", "code": "DIAG", "kind": "diagnosis",
               "name_zh": "诊断", "name_en": "Diag", "unit": "次", "basis": "fixed",
               "price": "310", "valid_from": "2026-06-01"}  # fmt: skip
    with pytest.raises(Refused) as err, db.write(engine) as s:
        save_changes(s, "ratecard", inserts=[overlap], updates=[], deletes=[], actor=a["manager"],
                     now=NOW)  # fmt: skip
    assert err.value.code == "fees.err.rate_overlap"


def _lines_file(rows):
    wb = openpyxl.Workbook()
    wb.active.append(["工单号", "行号", "费用类别", "数量", "单价", "特批收费原因"])
    for r in rows:
        wb.active.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_fee_lines_import_is_priced_by_the_rule_and_refuses_a_covered_price(shop):
    from imports.engine import import_file

    engine, a = shop
    build(engine, "SR-WAR", a["eng"])
    build(engine, "SR-OUT", a["eng"])

    def run(data):
        with db.write(engine) as s:
            return import_file(s, "fees", data, file_name="f.xlsx", now=NOW, actor=a["manager"])

    # a new line on an out-of-warranty ticket: priced at the import like in the grid
    report = run(_lines_file([("SR-OUT", 9, "其他", 2, "15.5", None)]))
    assert report.inserted == 1
    row = {r["line_no"]: r for r in lines(engine, "SR-OUT")}[9]
    assert (row["rule"], row["list_amount"], row["amount"]) == ("rate_card", D("31.00"), D("31.00"))
    # the labour line of the in-warranty ticket at another price, without a reason
    labour = by_kind(lines(engine, "SR-WAR"))[("labour", None)]["line_no"]
    with pytest.raises(Refused) as err:
        run(_lines_file([("SR-WAR", labour, "工时费", 2, "350", None)]))
    assert err.value.code == "fees.err.covered_price"
    assert by_kind(lines(engine, "SR-WAR"))[("labour", None)]["unit_price"] == D("280.00")
    report = run(_lines_file([("SR-WAR", labour, "工时费", 2, "350", "客户原因")]))
    assert report.updated == 1
    row = by_kind(lines(engine, "SR-WAR"))[("labour", None)]
    assert (row["rule"], row["amount"]) == ("override", D("700.00"))


def test_cli_import_refused_by_a_rule_is_a_message(sqlite_url, tmp_path):
    """A payment above what is outstanding, imported from the command line: one line
    naming the statement, exit code 2, no traceback, nothing written."""
    from tests.helpers import cli

    engine = db.make_engine(sqlite_url)
    with db.write(engine) as s:
        c = Customer(code="C1", name="甲")
        s.add(c)
        s.flush()
        s.add(Settlement(settlement_no="JS202611-0001", kind="ticket", customer_id=c.id,
                         status="settled", total=D("100.00"), settled_at=NOW))  # fmt: skip
    wb = openpyxl.Workbook()
    wb.active.append(["收款编号", "结算单号", "类型", "收款日期", "金额", "方式"])
    wb.active.append(["P-1", "JS202611-0001", "收款", "2026-11-21", "150", "微信"])
    path = tmp_path / "pay.xlsx"
    wb.save(path)
    done = cli(sqlite_url, "import", "payments", str(path))
    assert done.returncode == 2
    assert "JS202611-0001" in done.stderr + done.stdout and "Traceback" not in done.stderr
    with db.read(engine) as s:
        assert s.execute(select(func.count(Payment.id))).scalar() == 0
    engine.dispose()


def test_a_settled_line_is_not_deleted_by_a_grid_or_import_either(shop):
    from data_access.registers import save_changes

    engine, a = shop
    build(engine, "SR-OUT", a["eng"])
    with db.write(engine) as s:
        fees_da.settle_ticket(s, "SR-OUT", actor=a["manager"], now=NOW)
    first = lines(engine, "SR-OUT")[0]
    with pytest.raises(Refused) as err, db.write(engine) as s:
        save_changes(s, "fees", inserts=[], updates=[], actor=a["manager"], now=NOW,
                     deletes=[{"id": first["id"], "version": first["version"]}])  # fmt: skip
    assert err.value.code == "fees.err.settled"
    with db.read(engine) as s:
        assert s.get(FeeLine, first["id"]) is not None


def test_labour_is_priced_at_the_engineers_level_from_his_user_record(shop):
    from data_access.registers import save_changes
    from data_access.settings import put_setting
    from tests.actors import ADMIN

    engine, a = shop
    with db.write(engine) as s:
        s.add(RateCardItem(rate_key="LAB-SR@2026-01-01", code="LAB-SR", kind="labour",
                           variant="senior", name_zh="工时费（高级）", name_en="Labour (senior)",
                           unit="小时", basis="per_unit", price=D("380"), valid_from=JAN))  # fmt: skip
        # the older setting still counts where the user record says nothing …
        put_setting(s, F.SETTING_LEVELS, {"eng": "senior"}, NOW)
        assert fees_da.engineer_level(s, a["eng"].id) == "senior"
        # … and the record wins once it is set (edited on the users grid)
        _user(s, "root", "admin")  # a users write keeps an active admin
        row = s.execute(select(User.id, User.version).where(User.username == "eng")).one()
        done = save_changes(s, "users", inserts=[], deletes=[], actor=ADMIN, now=NOW,
                            updates=[{"id": row.id, "version": row.version,
                                      "engineer_level": "standard"}])  # fmt: skip
        assert done.problems == []
        assert fees_da.engineer_level(s, a["eng"].id) == "standard"
        s.execute(User.__table__.update().where(User.username == "eng")
                  .values(engineer_level="senior"))  # fmt: skip
    build(engine, "SR-OUT", a["eng"])
    labour = by_kind(lines(engine, "SR-OUT"))[("labour", None)]
    assert (labour["rate_code"], labour["list_amount"]) == ("LAB-SR", D("760.00"))


# ---------------------------------------------------------------- a visit outside a contract
@pytest.fixture
def visits(shop):
    """Visits of the out-of-warranty device without a contract (done, with a wear part
    issued through the stock ledger; and one still planned) and one of the contract
    device; customer C1 in the 西北 travel zone, 80 km away."""
    engine, a = shop
    with db.write(engine) as s:
        s.add_all([
            RateCardItem(rate_key="INSP-V@2026-01-01", code="INSP-V", kind="inspection",
                         variant=F.VISIT, name_zh="巡检费", name_en="Inspection", unit="次",
                         basis="fixed", price=D("150"), valid_from=JAN),
            RateCardItem(rate_key="TRV-NW@2026-01-01", code="TRV-NW", kind="travel",
                         variant="西北", name_zh="差旅费（西北）", name_en="Travel NW", unit="公里",
                         basis="per_unit", price=D("4.50"), km_from=D("50"), valid_from=JAN),
        ])  # fmt: skip
        c1 = s.scalar(select(Customer).where(Customer.code == "C1"))
        c1.travel_zone, c1.travel_km = "西北", D("80")
        out = s.scalar(select(Device).where(Device.serial_no == "D-O"))
        con = s.scalar(select(Device).where(Device.serial_no == "D-C"))
        plan = MaintenancePlan(plan_no="MP-O", name="按次保养", customer_id=c1.id,
                               device_id=out.id, frequency="yearly",
                               start_date=dt.date(2026, 1, 1), no_contract_confirmed=True)  # fmt: skip
        cplan = s.scalar(select(MaintenancePlan).where(MaintenancePlan.device_id == con.id))
        s.add(plan)
        s.flush()
        eng = a["eng"].id

        def visit(no, p, status, day, *, arrived=None, departed=None):
            v = MaintenanceVisit(visit_no=no, plan_id=p.id, planned_date=day, due_date=day,
                                 status=status, engineer_id=eng, arrived_at=arrived,
                                 departed_at=departed, done_at=departed)  # fmt: skip
            s.add(v)
            s.flush()
            return v

        done = visit("BY-O-1", plan, "done", dt.date(2026, 9, 10),
                     arrived=dt.datetime(2026, 9, 10, 9), departed=dt.datetime(2026, 9, 10, 11, 10))  # fmt: skip
        visit("BY-O-2", plan, "planned", dt.date(2026, 12, 10))
        visit("BY-C-1", cplan, "done", dt.date(2026, 9, 12),
              arrived=dt.datetime(2026, 9, 12, 9), departed=dt.datetime(2026, 9, 12, 10))  # fmt: skip
        van = Warehouse(code="VAN-E", name="车载", kind="van", user_id=eng)
        s.add(van)
        s.flush()
        wear = s.scalar(select(Part).where(Part.part_no == "W-1"))
        s.add(StockMovement(entry="LY-1/1", doc_no="LY-1", line_no=1, part_id=wear.id,
                            warehouse_id=van.id, at=dt.datetime(2026, 9, 10, 10), kind="issue",
                            qty=-2, unit_cost=D("35.00"), visit_id=done.id))  # fmt: skip
        s.add(StockMovement(entry="TH-1/1", doc_no="TH-1", line_no=1, part_id=wear.id,
                            warehouse_id=van.id, at=dt.datetime(2026, 9, 10, 12), kind="return",
                            qty=1, unit_cost=D("35.00"), visit_id=done.id))  # fmt: skip
    return engine, a


def test_a_visit_outside_a_contract_is_billed_by_the_one_rule(visits):
    engine, a = visits
    with db.read(engine) as s:
        assert fees_da.billable_visit(s, "BY-O-1")
    with db.write(engine) as s:
        assert fees_da.bill_visit(s, "BY-O-1", actor=a["eng"], now=NOW) == 4
    got = {k: (r["rule"], r["qty"], r["unit_price"], r["amount"])
           for k, r in by_kind(lines(engine, "BY-O-1")).items()}  # fmt: skip
    assert got == {
        ("inspection", None): ("rate_card", D("1"), D("150.00"), D("150.00")),
        ("labour", None): ("rate_card", D("2.5"), D("280.00"), D("700.00")),  # 9:00–11:10
        ("travel", None): ("rate_card", D("80"), D("4.50"), D("360.00")),  # zone 西北, 80 km
        ("parts", "W-1"): ("rate_card", D("1"), D("35.00"), D("35.00")),  # 2 issued, 1 back
    }
    with db.read(engine) as s:
        assert not fees_da.billable_visit(s, "BY-O-1")  # billed once
        view = fees_da.quote_of(s, "BY-O-1")
    assert view.visit and view.totals["amount"] == D("1245.00")


def test_a_visit_is_quoted_confirmed_and_settled_like_a_ticket(visits):
    engine, a = visits
    with db.write(engine) as s:
        fees_da.bill_visit(s, "BY-O-1", actor=a["manager"], now=NOW)
        assert fees_da.quote(s, "BY-O-1", actor=a["agent"], now=NOW) == D("1245.00")
        fees_da.confirm(s, "BY-O-1", by="王经理", at=NOW, via="phone", actor=a["agent"], now=NOW)
    with db.write(engine) as s, pytest.raises(Refused) as err:  # after confirmation: a reason
        rows = list_lines(s, "fees", "BY-O-1")
        rows[0] = {**rows[0], "qty": D("2")}
        fees_da.save_fee_lines(s, "BY-O-1", rows, actor=a["manager"], now=NOW)
    assert err.value.code == "fees.err.change_reason"
    with db.write(engine) as s:
        no = fees_da.settle_ticket(s, "BY-O-1", actor=a["manager"], now=NOW)
    with db.read(engine) as s:
        head = fees_da.statement_rows(s, statement_no=no)[0]
        assert {r["doc_no"] for r in fees_da.statement_lines(s, no)} == {"BY-O-1"}
        from data_access import documents as docs

        pdf = docs.statement(s, no, actor=a["manager"], lang="en", now=NOW)
    assert (head["ticket_no"], head["total"], head["customer"]) == ("BY-O-1", D("1245.00"), "C1")
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "BY-O-1" in text and "1,245.00" in text
    with db.write(engine) as s:  # paid through a bank statement naming the visit
        wb = openpyxl.Workbook()
        wb.active.append(["日期", "金额", "摘要"])
        wb.active.append([dt.date(2026, 11, 21), 1245, "保养费 BY-O-1"])
        buf = io.BytesIO()
        wb.save(buf)
        assert len(import_bank_statement(s, buf.getvalue(), actor=a["manager"], now=NOW))
    with db.read(engine) as s:
        assert fees_da.statement_rows(s, statement_no=no)[0]["status"] == "paid"


def test_the_monthly_statement_holds_the_visits_of_the_month(visits):
    engine, a = visits
    build(engine, "SR-SMALL", a["eng"])  # C1, received 8 September
    with db.write(engine) as s:
        fees_da.bill_visit(s, "BY-O-1", actor=a["eng"], now=NOW)
        no = fees_da.settle_month(s, "C1", dt.date(2026, 9, 1), actor=a["manager"], now=NOW)
    with db.read(engine) as s:
        docs_ = {r["doc_no"] for r in fees_da.statement_lines(s, no)}
        total = fees_da.statement_rows(s, statement_no=no)[0]["total"]
        assert (
            dict(fees_da.monthly_totals(s, dt.date(2026, 9, 1), dt.date(2026, 9, 30)))[
                s.scalar(select(Customer.id).where(Customer.code == "C1"))
            ]
            == total
        )
    assert docs_ == {"SR-SMALL", "BY-O-1"}
    assert total == D("2245.00")  # 1000 (the minimum) + 1245


@pytest.mark.parametrize(
    ("visit", "code"),
    [("BY-C-1", "fees.err.visit_contract"), ("BY-O-2", "fees.err.visit_not_done"),
     ("BY-NONE", "fees.err.no_ticket")],
)  # fmt: skip
def test_a_visit_under_contract_or_not_done_is_not_billed(visits, visit, code):
    engine, a = visits
    with db.write(engine) as s, pytest.raises(Refused) as err:
        fees_da.bill_visit(s, visit, actor=a["manager"], now=NOW)
    assert err.value.code == code
    with db.write(engine) as s, pytest.raises(Refused) as err:  # nor by a typed line
        fees_da.save_fee_lines(s, visit, [{"kind": "other", "qty": 1, "unit_price": 10}],
                               actor=a["manager"], now=NOW)  # fmt: skip
    assert err.value.code == code
    with db.read(engine) as s:
        assert not fees_da.billable_visit(s, visit)
        assert s.scalar(select(func.count(FeeLine.id))) == 0


def test_an_engineer_proposes_lines_of_his_own_visits_only(visits):
    engine, a = visits
    with db.write(engine) as s, pytest.raises(NotAllowed):
        fees_da.bill_visit(s, "BY-O-1", actor=a["eng2"], now=NOW)
    with db.write(engine) as s, pytest.raises(NotAllowed):
        fees_da.quote(s, "BY-O-1", actor=a["eng"], now=NOW)


def test_fees_register_round_trips_visit_lines_and_imports_a_new_visit(visits):
    from imports.engine import import_file
    from imports.writer import export_bytes

    engine, a = visits
    build(engine, "SR-OUT", a["eng"])
    with db.read(engine) as s:
        data = export_bytes(s, "fees", lang="zh", today=NOW.date())
    with db.write(engine) as s:  # a visit's lines typed in a sheet: its document is made
        report = import_file(s, "fees", _sheet([("BY-O-1", 1, "检测诊断费", 1, 100)]),
                             file_name="v.xlsx", now=NOW, actor=a["manager"])  # fmt: skip
    assert report.problems == [] and report.inserted == 1
    with db.read(engine) as s:
        data = export_bytes(s, "fees", lang="zh", today=NOW.date())
    with db.write(engine) as s:
        again = import_file(s, "fees", data, file_name="x.xlsx", now=NOW, actor=a["manager"])
    assert again.problems == []
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 5)
    with db.read(engine) as s:
        assert fees_da.quote_of(s, "BY-O-1").totals["amount"] == D("100.00")
    with db.write(engine) as s, pytest.raises(Refused) as err:  # under contract: refused
        import_file(s, "fees", _sheet([("BY-C-1", 1, "其他", 1, 100)]), file_name="c.xlsx",
                    now=NOW, actor=a["manager"])  # fmt: skip
    assert err.value.code == "fees.err.visit_contract"


def _sheet(rows) -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(["工单/保养单号", "行号", "费用类别", "数量", "单价"])
    for r in rows:
        wb.active.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_travel_zone_and_distance_come_from_the_customer(visits):
    """A ticket whose report gives no distance travels the customer's (80 km, zone 西北);
    a customer without a travel zone travels by its region."""
    engine, a = visits
    with db.write(engine) as s:
        report = s.scalar(select(ServiceReport).join(Ticket).where(Ticket.ticket_no == "SR-OUT"))
        report.travel_km = None
    build(engine, "SR-OUT", a["eng"])
    travel = by_kind(lines(engine, "SR-OUT"))[("travel", None)]
    assert (travel["rate_code"], travel["qty"], travel["amount"]) == (
        "TRV-NW",
        D("80"),
        D("360.00"),
    )
    with db.read(engine) as s:
        c1 = s.scalar(select(Customer.id).where(Customer.code == "C1"))
        c2 = s.scalar(select(Customer.id).where(Customer.code == "C2"))
        assert fees_da.customer_travel(s, c1) == ("西北", D("80"))
        assert fees_da.customer_travel(s, c2) == ("华东", None)
