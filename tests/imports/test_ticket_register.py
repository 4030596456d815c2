"""The ticket register through the Excel engine: historic tickets in, the same out.

Runs on SQLite and PostgreSQL. Files are real workbooks written by the tests.
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import insert, select

from data_access import db
from data_access.models import (
    Customer,
    Device,
    FaultCode,
    ServiceReport,
    Ticket,
    TicketEvent,
    User,
)
from data_access.registers import list_rows
from imports.engine import import_file, undo_last_import
from imports.writer import export_bytes, template_bytes
from tests.actors import ADMIN
from tests.helpers import count
from tests.imports.test_engine import xlsx

NOW = dt.datetime(2025, 6, 2, 9, 0)
D = dt.datetime

HEAD = [
    "工单编号", "客户", "设备序列号", "受理渠道", "优先级", "状态", "故障描述", "故障代码",
    "受理时间", "响应时间", "解决时间", "关闭时间", "服务工程师",
    "服务质量评分", "服务态度评分", "服务效率评分",
]  # fmt: skip
CLOSED = [
    "SR-1", "C1", "SN1", "电话", "紧急", "已关闭", "主轴异响", "E01",
    D(2025, 3, 3, 9, 0), D(2025, 3, 3, 9, 30), D(2025, 3, 3, 15, 0), D(2025, 3, 4, 10, 0),
    "wang", 5, 4, 5,
]  # fmt: skip
# English labels, an unregistered serial, the engineer by display name
ON_SITE = [
    "SR-2", "C1", "NEW-SN", "E-mail", "High", "On site", "Alarm E12", None,
    D(2025, 5, 30, 10, 0), D(2025, 5, 30, 11, 0), None, None, "王工",
]  # fmt: skip
RECEIVED = [
    "SR-3",
    "客户二",
    None,
    "在线表单",
    "标准",
    "已受理",
    "漏油",
    None,
    D(2025, 5, 31, 8, 0),
]


@pytest.fixture
def seeded(db_engine):
    with db.write(db_engine) as s:
        s.execute(
            insert(Customer.__table__),
            [
                {"code": "C1", "name": "客户一", "grade": "A", "version": 1},
                {"code": "C2", "name": "客户二", "grade": "C", "version": 1},
            ],
        )
        ids = dict(s.execute(select(Customer.code, Customer.id)).all())
        s.execute(
            insert(Device.__table__),
            [
                {"serial_no": "SN1", "customer_id": ids["C1"], "version": 1,
                 "warranty_end": dt.date(2026, 1, 1)},
                {"serial_no": "SN2", "customer_id": ids["C2"], "version": 1, "warranty_end": None},
            ],
        )  # fmt: skip
        s.add(User(username="wang", display_name="王工", role="engineer", password_hash="x"))
        s.add(FaultCode(code="E01", name_zh="主轴故障"))
    return db_engine


def run(engine, data, name="tickets.xlsx", **kw):
    with db.write(engine) as s:
        return import_file(s, "tickets", data, file_name=name, now=NOW, actor=ADMIN, **kw)


def tickets(engine) -> dict[str, Ticket]:
    with db.read(engine) as s:
        return {t.ticket_no: t for t in s.scalars(select(Ticket)).all()}


def history(engine, ticket_no: str, kind: str = "status") -> list[tuple]:
    with db.read(engine) as s:
        query = (
            select(TicketEvent.at, TicketEvent.from_status, TicketEvent.to_status)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(Ticket.ticket_no == ticket_no, TicketEvent.kind == kind)
            .order_by(TicketEvent.at, TicketEvent.id)
        )
        return [tuple(r) for r in s.execute(query)]


def test_historic_tickets_import_with_history_cover_and_ratings(seeded):
    report = run(seeded, xlsx([HEAD, CLOSED, ON_SITE, RECEIVED]))
    assert report.problems == [] and (report.inserted, report.committed) == (3, True)
    found = tickets(seeded)
    closed, on_site = found["SR-1"], found["SR-2"]
    assert (closed.status, closed.priority, closed.channel) == ("closed", "emergency", "phone")
    assert closed.device_id is not None and closed.serial_no == "SN1"
    assert closed.warranty_status == "in_warranty" and closed.contract_status == "none"
    assert (on_site.device_id, on_site.serial_no, on_site.warranty_status) == (
        None,
        "NEW-SN",
        "unknown",
    )
    assert on_site.channel == "email" and on_site.status == "on_site"
    assert found["SR-3"].escalation_level == 1
    # the history the dates tell, so the SLA clocks have something to derive from
    assert history(seeded, "SR-1") == [
        (D(2025, 3, 3, 9, 0), None, "received"),
        (D(2025, 3, 3, 9, 30), "received", "responded"),
        (D(2025, 3, 3, 15, 0), "responded", "repaired"),
        (D(2025, 3, 4, 10, 0), "repaired", "closed"),
    ]
    assert [h[2] for h in history(seeded, "SR-2")] == ["received", "responded", "on_site"]
    assert len(history(seeded, "SR-2", "assign")) == 1
    # emergency: respond within 4 business hours of a 09:00 Monday call
    assert closed.respond_due == D(2025, 3, 3, 13, 0)
    assert on_site.resolve_due is not None and on_site.resolve_due > on_site.received_at
    with db.read(seeded) as s:
        report_row = s.scalars(select(ServiceReport)).one()
        assert (report_row.rating_quality, report_row.rating_attitude) == (5, 4)
        rows = {
            r["ticket_no"]: r for r in list_rows(s, "tickets", page_size=10, today=NOW.date())[0]
        }
    assert rows["SR-1"]["satisfaction"] == pytest.approx(4.67)
    assert rows["SR-1"]["engineer"] == "wang" and rows["SR-2"]["serial_no"] == "NEW-SN"
    assert rows["SR-3"]["satisfaction"] is None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_export_round_trips_in_both_languages(seeded, lang):
    run(seeded, xlsx([HEAD, CLOSED, ON_SITE, RECEIVED]))
    events = count(seeded, TicketEvent)
    with db.read(seeded) as s:
        data = export_bytes(s, "tickets", lang=lang, today=NOW.date())
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    header = [c.value for c in ws[1]]
    assert header[0] == ("工单编号" if lang == "zh" else "Ticket no.")
    status_col = header.index("状态" if lang == "zh" else "Status")
    statuses = sorted(ws.cell(r, status_col + 1).value for r in range(2, 5))
    expected = (
        ["已关闭", "已受理", "现场处理中"] if lang == "zh" else ["Closed", "On site", "Received"]
    )
    assert statuses == sorted(expected)
    back = run(seeded, data, name="export.xlsx")
    assert back.problems == []
    assert (back.unchanged, back.inserted, back.updated) == (3, 0, 0)
    assert count(seeded, TicketEvent) == events == 10  # the re-import added nothing


def test_bad_rows_are_reported_by_cell_and_nothing_is_written(seeded):
    bad = [
        ["SR-9", "C9", None, "电话", "紧急", "已受理", "x", None, D(2025, 5, 1, 9, 0)],
        ["SR-8", "C1", "SN2", "电话", "紧急", "已受理", "x", None, D(2025, 5, 1, 9, 0)],
        ["SR-7", "C1", None, "电话", "紧急", "随便", "x", None, D(2025, 5, 1, 9, 0)],
        ["SR-6", "C1", None, "电话", "紧急", "已关闭", "x", None, D(2025, 5, 2), D(2025, 5, 3),
         D(2025, 5, 1)],
        ["SR-5", "C1", None, "电话", "紧急", "已关闭", "x", None, D(2025, 5, 2), None, None, None,
         "nobody"],
        ["SR-4", "C1", None, "电话", "紧急", "已关闭", "x", None, D(2025, 5, 2), None, None, None,
         None, 5, 4],
    ]  # fmt: skip
    report = run(seeded, xlsx([HEAD, CLOSED, *bad]))
    assert not report.committed and report.rejected == 6
    where = {(p.row, p.column, p.code) for p in report.problems}
    assert (3, "客户", "err.unknown_ref") in where
    assert (4, "设备序列号", "tickets.err.unknown_device") in where
    assert (5, "状态", "err.enum") in where
    assert (6, "解决时间", "err.date_order") in where
    assert (7, "服务工程师", "err.unknown_ref") in where
    assert (8, "服务效率评分", "tickets.err.rating_incomplete") in where
    assert count(seeded, Ticket) == 0 and count(seeded, TicketEvent) == 0


def test_reimport_changes_status_and_ratings_then_undo_restores(seeded):
    run(seeded, xlsx([HEAD, CLOSED, ON_SITE, RECEIVED]))
    repaired = [*ON_SITE[:5], "已修复", *ON_SITE[6:10], D(2025, 6, 1, 16, 0), None, "wang"]
    rated = [*RECEIVED, None, None, None, None, 3, 3, 4]
    report = run(seeded, xlsx([HEAD, CLOSED, repaired, rated]))
    assert report.problems == [] and (report.updated, report.unchanged) == (2, 1)
    found = tickets(seeded)
    assert found["SR-2"].status == "repaired" and found["SR-2"].version == 2
    assert history(seeded, "SR-2")[-1] == (D(2025, 6, 1, 16, 0), "on_site", "repaired")
    with db.read(seeded) as s:
        rated_row = s.scalars(
            select(ServiceReport).where(ServiceReport.ticket_id == found["SR-3"].id)
        ).one()
        assert (rated_row.rating_quality, rated_row.rating_efficiency) == (3, 4)

    with db.write(seeded) as s:
        undone = undo_last_import(s, "tickets", ADMIN, now=NOW)
    assert (undone.deleted, undone.restored) == (0, 2)
    found = tickets(seeded)
    assert found["SR-2"].status == "on_site" and found["SR-2"].resolved_at is None
    assert history(seeded, "SR-2")[-1] == (NOW, "repaired", "on_site")
    with db.read(seeded) as s:
        assert (
            s.scalar(
                select(ServiceReport.rating_quality).where(
                    ServiceReport.ticket_id == found["SR-3"].id
                )
            )
            is None
        )


def test_undo_of_new_tickets_removes_their_history_and_reports(seeded):
    run(seeded, xlsx([HEAD, CLOSED, ON_SITE, RECEIVED]))
    assert count(seeded, TicketEvent) == 10 and count(seeded, ServiceReport) == 1
    with db.write(seeded) as s:
        undone = undo_last_import(s, "tickets", ADMIN, now=NOW)
    assert undone.deleted == 3
    assert count(seeded, Ticket) == count(seeded, TicketEvent) == count(seeded, ServiceReport) == 0


def _followups(engine) -> list[tuple]:
    from data_access.models import FollowUp

    with db.read(engine) as s:
        query = select(FollowUp.followup_no, FollowUp.ticket_id, FollowUp.status)
        return [tuple(r) for r in s.execute(query.order_by(FollowUp.followup_no))]


def test_undo_of_new_closed_tickets_removes_their_planned_followups(seeded):
    run(seeded, xlsx([HEAD, CLOSED, ON_SITE]))
    assert [(no, status) for no, _, status in _followups(seeded)] == [("FU-SR-1-1", "planned")]
    with db.write(seeded) as s:
        assert undo_last_import(s, "tickets", ADMIN, now=NOW).deleted == 2
    assert _followups(seeded) == []


def test_undo_of_a_closing_removes_the_followup_it_planned(seeded):
    from data_access.models import FollowUp

    run(seeded, xlsx([HEAD, CLOSED, ON_SITE]))
    with db.write(seeded) as s:  # the call of the first closing is made: it stays
        s.execute(FollowUp.__table__.update().values(status="done"))
    closed = [*ON_SITE[:5], "已关闭", *ON_SITE[6:10], D(2025, 5, 31, 15, 0), D(2025, 6, 1, 10, 0)]
    run(seeded, xlsx([HEAD, CLOSED, closed]))
    assert [(no, status) for no, _, status in _followups(seeded)] == [
        ("FU-SR-1-1", "done"),
        ("FU-SR-2-1", "planned"),
    ]
    with db.write(seeded) as s:
        assert undo_last_import(s, "tickets", ADMIN, now=NOW).restored == 1
    assert tickets(seeded)["SR-2"].status == "on_site"
    assert [(no, status) for no, _, status in _followups(seeded)] == [("FU-SR-1-1", "done")]


def test_template_lists_the_importable_fields(seeded):
    wb = openpyxl.load_workbook(io.BytesIO(template_bytes("tickets", lang="en")))
    header = [c.value for c in wb.active[1]]
    assert header[:3] == ["Ticket no.", "Customer", "Serial no."]
    assert "Quality rating" in header and "Satisfaction" not in header
    assert "Respond by" not in header


def test_closing_by_import_uses_the_dates_in_the_file(seeded):
    run(seeded, xlsx([HEAD, ON_SITE]))
    closed = [*ON_SITE[:5], "已关闭", *ON_SITE[6:10], D(2025, 5, 31, 15, 0), D(2025, 6, 1, 10, 0)]
    report = run(seeded, xlsx([HEAD, closed]))
    assert report.problems == [] and report.updated == 1
    assert history(seeded, "SR-2")[-2:] == [
        (D(2025, 5, 31, 15, 0), "on_site", "repaired"),
        (D(2025, 6, 1, 10, 0), "repaired", "closed"),
    ]
    # without dates in the row, the change is dated when it was imported
    reopened = [
        *ON_SITE[:5],
        "重新打开",
        *ON_SITE[6:10],
        D(2025, 5, 31, 15, 0),
        D(2025, 6, 1, 10, 0),
    ]
    run(seeded, xlsx([HEAD, reopened]))
    assert history(seeded, "SR-2")[-1] == (NOW, "closed", "reopened")


def _derived(engine, ticket_no: str, now: dt.datetime) -> dict:
    """Every column and figure closing a ticket derives, and its follow-ups."""
    from data_access import tickets as T
    from data_access.models import FollowUp

    with db.read(engine) as s:
        t = s.scalars(select(Ticket).where(Ticket.ticket_no == ticket_no)).one()
        clock = T.ticket_detail(s, t.id, now)["sla"]
        (row,) = T.list_tickets(s, T.TicketFilter(text=ticket_no), now=now)
        followups = s.execute(
            select(FollowUp.due_date, FollowUp.status, FollowUp.mode, FollowUp.reason).where(
                FollowUp.ticket_id == t.id
            )
        ).all()
        names = (
            "status", "responded_at", "resolved_at", "closed_at", "respond_due", "resolve_due",
            "first_time_fix", "remote_resolved", "warranty_status", "contract_status",
            "escalation_level",
        )  # fmt: skip
        return {
            **{n: getattr(t, n) for n in names},
            "clock": (clock.respond_state, clock.resolve_state, clock.overdue),
            "sla_state": row["sla_state"],
            "followups": [tuple(f) for f in followups],
        }


def _close_in_app(engine, steps: list[tuple[dt.datetime, str]]) -> str:
    from data_access import tickets as T

    with db.write(engine) as s:
        customer = s.scalar(select(Customer.id).where(Customer.code == "C1"))
        t = T.create_ticket(
            s,
            customer_id=customer,
            serial_no="SN1",
            channel="phone",
            priority="emergency",
            fault_description="主轴异响",
            received_at=D(2025, 3, 3, 9, 0),
            actor=ADMIN,
            now=D(2025, 3, 3, 9, 0),
        )
        for at, status in steps:
            T.change_status(s, t.id, status, actor=ADMIN, now=at, expected_version=None)
        return t.ticket_no


@pytest.mark.parametrize(
    ("visits", "remote"),
    [
        ([], True),
        ([(D(2025, 3, 3, 11, 0), "dispatched"), (D(2025, 3, 3, 13, 0), "on_site")], False),
    ],
)
def test_an_imported_closed_ticket_equals_one_closed_in_the_app(seeded, visits, remote):
    in_app = _close_in_app(
        seeded,
        [
            (D(2025, 3, 3, 9, 30), "responded"),
            *visits,
            (D(2025, 3, 3, 15, 0), "repaired"),
            (D(2025, 3, 4, 10, 0), "accepted"),
            (D(2025, 3, 4, 10, 0), "closed"),
        ],
    )
    if visits:  # imported on site first, then closed by a re-import with its dates
        run(seeded, xlsx([HEAD, [*CLOSED[:5], "现场处理中", *CLOSED[6:10]]]))
        with db.write(seeded) as s:  # the on-site step dated as in the app
            s.execute(
                TicketEvent.__table__.update()
                .where(TicketEvent.to_status.in_(("on_site",)), TicketEvent.note == "import")
                .values(at=D(2025, 3, 3, 13, 0))
            )
    report = run(seeded, xlsx([HEAD, CLOSED]))
    assert report.problems == [] and report.committed
    imported, app = _derived(seeded, "SR-1", NOW), _derived(seeded, in_app, NOW)
    assert imported == app
    assert (app["remote_resolved"], app["first_time_fix"]) == (remote, True)
    assert app["followups"] == [(dt.date(2025, 3, 7), "planned", "phone", "ticket")]


def test_reimporting_a_finished_ticket_keeps_its_deadlines(seeded):
    from data_access import tickets as T

    run(seeded, xlsx([HEAD, CLOSED]))
    before = tickets(seeded)["SR-1"]
    with db.write(seeded) as s:
        T.save_policy(s, priority="emergency", respond_hours=1, resolve_hours=2)
    report = run(seeded, xlsx([HEAD, [*CLOSED[:-3], 3, 3, 3]]))  # new ratings only
    assert report.problems == [] and report.updated == 1
    after = tickets(seeded)["SR-1"]
    assert (after.respond_due, after.resolve_due) == (before.respond_due, before.resolve_due)


def test_export_of_a_page_filter_holds_what_the_list_shows(seeded):
    """The page hands the export its filter (a plain dataclass), not SQL."""
    from data_access.tickets import TicketFilter

    run(seeded, xlsx([HEAD, CLOSED, ON_SITE, RECEIVED]))
    with db.read(seeded) as s:
        data = export_bytes(
            s,
            "tickets",
            lang="en",
            today=NOW.date(),
            selection=TicketFilter(statuses=("on_site",)),
            now=NOW,
        )
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [r[0] for r in ws.iter_rows(min_row=2, values_only=True)] == ["SR-2"]
