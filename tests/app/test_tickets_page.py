"""Tickets page: intake → dispatch → report → close, list order, role rights."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data_access import db
from data_access import tickets as T
from data_access.models import (
    Customer,
    Device,
    FollowUp,
    Part,
    ServiceReport,
    Ticket,
    TicketEvent,
    TicketPart,
    User,
)
from tests.actors import ADMIN
from tests.app.conftest import CLOCK, signed_in


@pytest.fixture
def tickets_db(app_db):
    with db.write(app_db) as s:
        c = Customer(code="007", name="恒达精密", grade="A", region="华东")
        s.add(c)
        s.flush()
        s.add(
            Device(
                serial_no="0012345",
                customer_id=c.id,
                warranty_end=CLOCK.date() + dt.timedelta(days=200),
            )
        )
        s.add(Part(part_no="0042", name="主轴轴承", uom="个"))  # report lines pick from the master
    return app_db


def open_tickets(username: str, lang: str = "en") -> AppTest:
    at = signed_in(username, lang)
    at.switch_page("pages/tickets.py").run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, key: str):
    return next(b for b in at.button if b.key == key)


def form_button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def by_key(widgets, key: str):
    return next(w for w in widgets if w.key == key)


def note_box(at: AppTest):
    return next(w for w in at.text_input if (w.key or "").startswith("tickets.detail_note."))


def test_intake_dispatch_report_close(tickets_db):
    at = open_tickets("agent")
    at.radio(key="tickets.view.en").set_value("new").run()
    # cover status shows as soon as the device is picked
    device = by_key(at.selectbox, "tickets.new_device")
    device.set_value(_device_ids(tickets_db)[0]).run()
    assert any("In warranty" in s.value for s in at.success)
    at.selectbox(key="tickets.new_priority.en").set_value("emergency")
    at.text_input(key="tickets.new_contact").input("张伟")
    at.text_input(key="tickets.new_phone").input("013800138000")
    at.text_area(key="tickets.new_description").input("主轴异响")
    form_button(at, "Create ticket").click().run()
    assert not at.exception, at.exception
    assert any("SR-" in s.value and "created" in s.value for s in at.success)
    with db.read(tickets_db) as s:
        t = s.scalars(select(Ticket)).one()
        assert (t.priority, t.status, t.contact_phone) == ("emergency", "received", "013800138000")
        assert t.warranty_status == "in_warranty" and t.respond_due is not None
        engineer_id = s.scalar(select(User.id).where(User.username == "engineer"))

    # the detail opened: dispatch to the engineer
    assert at.radio(key="tickets.view.en").value == "detail"
    at.selectbox(key=f"tickets.detail_engineer.{t.id}").set_value(engineer_id)
    button(at, "tickets.dispatch").click().run()
    assert not at.exception, at.exception
    with db.read(tickets_db) as s:
        t = s.get(Ticket, t.id)
        assert (t.status, t.engineer_id) == ("dispatched", engineer_id)
    # the picker now shows the ticket's engineer: reassigning takes a choice
    assert at.selectbox(key=f"tickets.detail_engineer.{t.id}").value == engineer_id
    note_box(at).input("工程师已到场")

    # only allowed moves are offered
    keys = {b.key for b in at.button if (b.key or "").startswith("tickets.to_")}
    assert keys == {
        "tickets.to_on_site",
        "tickets.to_diagnosing",
        "tickets.to_waiting_parts",
        "tickets.to_waiting_customer",
        "tickets.to_cancelled",
    }
    for status in ("on_site", "repaired"):
        button(at, f"tickets.to_{status}").click().run()
        assert not at.exception, at.exception
        assert note_box(at).value == ""  # one note, one change

    # service report with a part and ratings
    text_areas = at.text_area
    text_areas[0].input("更换主轴轴承")
    next(i for i in at.text_input if i.label.startswith("Accepted by")).input("张伟")
    for sb in at.selectbox:
        if sb.label in ("Quality rating", "Attitude rating", "Efficiency rating"):
            sb.set_value(5)
    form_button(at, "Save").click().run()
    assert not at.exception, at.exception
    # the parts used, as lines of the report
    grid = next(e for e in at.data_editor if e.key.startswith("tickets.parts.ticket_parts."))
    at.session_state[grid.key] = {
        "edited_rows": {},
        "deleted_rows": [],
        "added_rows": [{"part_no": "0042", "qty": 2}],
    }
    button(at, grid.key.replace(".grid.0", ".save")).click().run()
    assert not at.exception, at.exception
    with db.read(tickets_db) as s:
        r = s.scalars(select(ServiceReport)).one()
        assert (r.work_done, r.accepted_by, r.rating_quality) == ("更换主轴轴承", "张伟", 5)
        assert s.execute(select(TicketPart.part_no, TicketPart.qty)).all() == [("0042", 2)]

    for status in ("accepted", "closed"):
        button(at, f"tickets.to_{status}").click().run()
        assert not at.exception, at.exception
    with db.read(tickets_db) as s:
        t = s.get(Ticket, t.id)
        assert t.status == "closed" and t.closed_at is not None
        assert s.scalars(select(FollowUp.status)).all() == ["planned"]
    assert {b.key for b in at.button if (b.key or "").startswith("tickets.to_")} == {
        "tickets.to_reopened"
    }


def _device_ids(engine) -> list[int]:
    with db.read(engine) as s:
        return list(s.scalars(select(Device.id)))


def _make(engine, priority: str, received: dt.datetime) -> str:
    with db.write(engine) as s:
        cid = s.scalar(select(Customer.id))
        return T.create_ticket(
            s,
            customer_id=cid,
            channel="phone",
            priority=priority,
            fault_description="x",
            received_at=received,
            actor=ADMIN,
            now=received,
        ).ticket_no


def test_list_is_sorted_by_urgency_and_marks_overdue(tickets_db):
    long_ago = CLOCK - dt.timedelta(days=30)
    low = _make(tickets_db, "low", CLOCK)
    late = _make(tickets_db, "emergency", long_ago)
    at = open_tickets("manager")
    table = at.dataframe[0].value
    assert list(table["Ticket no."]) == [late, low]
    assert list(table["Overdue"]) == ["⚠", ""]
    at.selectbox(key="tickets.filter_sla.en").set_value("overdue").run()
    assert list(at.dataframe[0].value["Ticket no."]) == [late]


def test_illegal_or_stale_change_shows_a_message(tickets_db):
    no = _make(tickets_db, "high", CLOCK)
    at = open_tickets("agent")
    at.radio(key="tickets.view.en").set_value("detail").run()
    at.text_input(key="tickets.detail_no").input(no).run()
    # someone else moves the ticket meanwhile
    with db.write(tickets_db) as s:
        tid = T.find_ticket_id(s, no)
        T.change_status(s, tid, "responded", actor=ADMIN, now=CLOCK, expected_version=1)
    button(at, "tickets.to_diagnosing").click().run()
    assert not at.exception
    assert any("changed by someone else" in e.value for e in at.error)
    with db.read(tickets_db) as s:
        assert s.get(Ticket, tid).status == "responded"


def test_read_only_roles_get_no_buttons(tickets_db):
    no = _make(tickets_db, "high", CLOCK)
    at = open_tickets("quality")
    assert [o for o in at.radio(key="tickets.view.en").options] == ["Tickets", "Ticket detail"]
    at.radio(key="tickets.view.en").set_value("detail").run()
    at.text_input(key="tickets.detail_no").input(no).run()
    assert not at.exception
    # no button that changes the ticket; printing the service form is a read
    changes = [b for b in at.button if (b.key or "").startswith("tickets.")]
    assert [b.key for b in changes] == ["tickets.detail.pdf_build"]


def test_chinese_labels(tickets_db):
    _make(tickets_db, "emergency", CLOCK)
    at = open_tickets("manager", lang="zh")
    table = at.dataframe[0].value
    assert list(table["优先级"]) == ["紧急"]
    assert list(table["状态"]) == ["已受理"]


def test_history_imports_from_excel_on_the_list(tickets_db):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["历史工单", None])  # a title row above the header, as registers have
    ws.append(["工单号", "报修单位", "序列号", "渠道", "紧急程度", "工单状态", "故障现象", "报修时间",
               "响应时间", "完成时间", "结案时间", "工程师"])  # fmt: skip
    ws.append(["SR-2024-0001", "007", "0012345", "电话", "高", "已结案", "液压站漏油",
               dt.datetime(2024, 5, 6, 9, 0), dt.datetime(2024, 5, 6, 10, 0),
               dt.datetime(2024, 5, 7, 16, 0), dt.datetime(2024, 5, 8, 9, 0), "engineer"])  # fmt: skip
    buf = io.BytesIO()
    wb.save(buf)

    at = open_tickets("manager", "zh")
    at.file_uploader(key="tickets.excel.upload").set_value(
        ("历史工单.xlsx", buf.getvalue(), "application/octet-stream")
    )
    at.run()
    assert not at.exception
    at.button(key="tickets.excel.preview").click().run()
    assert not at.button(key="tickets.excel.commit").disabled
    [sample] = [d.value for d in at.dataframe if "操作" in d.value.columns]
    # as the sheet said it, not the stored codes
    assert (sample["状态"][0], sample["优先级"][0], sample["受理渠道"][0]) == (
        "已关闭",
        "高",
        "电话",
    )
    at.button(key="tickets.excel.commit").click().run()
    assert not at.exception
    with db.read(tickets_db) as s:
        ticket = s.scalars(select(Ticket).where(Ticket.ticket_no == "SR-2024-0001")).one()
        assert (ticket.status, ticket.priority, ticket.device_id is not None) == (
            "closed",
            "high",
            True,
        )
        assert ticket.engineer_id is not None and ticket.respond_due is not None
        assert [e.to_status for e in ticket.events if e.kind == "status"] == [
            "received",
            "responded",
            "repaired",
            "closed",
        ]
    at.radio(key="tickets.view.zh").set_value("detail").run()
    at.text_input(key="tickets.detail_no").input("SR-2024-0001").run()
    assert not at.exception
    notes = [v for d in at.dataframe if "备注" in d.value.columns for v in d.value["备注"]]
    assert notes and set(notes) == {"由台账导入"}


def test_agents_export_but_do_not_import_the_ticket_history(tickets_db):
    at = open_tickets("agent", "zh")
    assert not any(u.key == "tickets.excel.upload" for u in at.get("file_uploader"))
    assert any(b.key == "tickets.excel.export_build" for b in at.button)


def test_list_filters_by_engineer_and_customer(tickets_db):
    moment = CLOCK
    mine = _make(tickets_db, "high", moment)
    theirs = _make(tickets_db, "low", moment)
    with db.write(tickets_db) as s:
        other = Customer(code="008", name="北方重工", grade="B", region="华北")
        s.add(other)
        s.flush()
        elsewhere = T.create_ticket(
            s, customer_id=other.id, channel="phone", priority="low", fault_description="y",
            received_at=moment, actor=ADMIN, now=moment,
        ).ticket_no  # fmt: skip
        engineer = s.scalar(select(User.id).where(User.username == "engineer"))
        T.dispatch(s, T.find_ticket_id(s, mine), engineer, actor=ADMIN, now=moment,
                   expected_version=1)  # fmt: skip
    at = open_tickets("manager")
    assert sorted(at.dataframe[0].value["Ticket no."]) == sorted([mine, theirs, elsewhere])
    at.selectbox(key="tickets.filter_engineer.en").set_value(engineer).run()
    assert list(at.dataframe[0].value["Ticket no."]) == [mine]
    at.selectbox(key="tickets.filter_engineer.en").set_value(None).run()
    at.text_input(key="tickets.filter_customer").input("北方").run()
    assert list(at.dataframe[0].value["Ticket no."]) == [elsewhere]


def test_export_holds_the_filtered_list(tickets_db):
    moment = CLOCK
    urgent = _make(tickets_db, "emergency", moment)
    _make(tickets_db, "low", moment)
    at = open_tickets("manager")
    at.multiselect(key="tickets.filter_priority.en").set_value(["emergency"]).run()
    at.button(key="tickets.excel.export_build").click().run()
    assert not at.exception
    _, data = at.session_state["tickets.excel.export"]
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)] == [urgent]
    assert at.download_button(key="tickets.excel.export_download")
    # another filter: the export made for the first one is no longer offered
    at.multiselect(key="tickets.filter_priority.en").set_value([]).run()
    assert not any(b.key == "tickets.excel.export_download" for b in at.get("download_button"))


# ---------------------------------------------------------------- detail fixes
def _detail(at: AppTest, ticket_no: str) -> AppTest:
    next(r for r in at.radio if r.key.startswith("tickets.view")).set_value("detail").run()
    at.text_input(key="tickets.detail_no").input(ticket_no).run()
    assert not at.exception, at.exception
    return at


def test_a_note_is_recorded_with_its_own_change_only(tickets_db):
    no = _make(tickets_db, "high", CLOCK)
    at = _detail(open_tickets("agent"), no)
    box = note_box(at)
    box.input("客户来电催促")
    button(at, "tickets.to_diagnosing").click().run()
    # a browser keeps the text of a widget whose identity did not change
    for w in at.text_input:
        if w.id == box.id:
            w.set_value("客户来电催促")
    button(at, "tickets.to_dispatched").click().run()
    assert not at.exception, at.exception
    with db.read(tickets_db) as s:
        notes = s.execute(
            select(TicketEvent.to_status, TicketEvent.note)
            .where(TicketEvent.kind == "status")
            .order_by(TicketEvent.id)
        ).all()
    assert [tuple(n) for n in notes][1:] == [("diagnosing", "客户来电催促"), ("dispatched", None)]


def test_a_closed_tickets_report_is_shown_locked(tickets_db):
    no = _make(tickets_db, "high", CLOCK)
    with db.write(tickets_db) as s:
        tid = T.find_ticket_id(s, no)
        for status in ("diagnosing", "repaired", "accepted", "closed"):
            T.change_status(s, tid, status, actor=ADMIN, now=CLOCK, expected_version=None)
    at = _detail(open_tickets("agent"), no)
    assert any("report is locked" in i.value for i in at.info)
    assert form_button(at, "Save").disabled
    assert all(a.disabled for a in at.text_area)


def test_the_header_shows_a_long_customer_name_whole(tickets_db):
    name = "上海市浦东新区张江高科技园区恒达精密机械制造股份有限公司第二分公司（设备维修中心）"
    with db.write(tickets_db) as s:
        s.scalars(select(Customer)).one().name = name
    no = _make(tickets_db, "high", CLOCK)
    at = _detail(open_tickets("agent"), no)
    assert any(name in m.value for m in at.markdown)
    assert not [m for m in at.metric if m.label == "Customer"]


def test_list_filters_and_view_switch_follow_a_language_switch(tickets_db):
    _make(tickets_db, "high", CLOCK)
    at = open_tickets("agent", lang="zh")
    at.multiselect(key="tickets.filter_priority.zh").set_value(["high"]).run()
    before = _labelled_widgets(at)
    at.session_state["lang"] = "en"  # the sidebar switch, as a person clicks it
    at.run()
    assert not at.exception, at.exception
    # new widgets (the browser draws their options afresh), in English, choices kept
    view = at.radio(key="tickets.view.en")
    assert view.options == ["Tickets", "New ticket", "Ticket detail"]
    priority = at.multiselect(key="tickets.filter_priority.en")
    assert priority.value == ["high"] and "High" in priority.options
    assert "Overdue" in at.selectbox(key="tickets.filter_sla.en").options
    after = _labelled_widgets(at)
    assert len(after) == len(before) == 5 and not after & before


def _labelled_widgets(at: AppTest) -> set[str]:
    """Ids of the list's widgets whose options are labelled in the page's language."""
    return {
        w.id
        for w in (*at.multiselect, *at.selectbox, *at.radio)
        if (w.key or "").startswith(("tickets.filter_", "tickets.view"))
    }


def test_the_intake_form_keeps_what_was_typed_on_an_error(tickets_db):
    at = open_tickets("agent")
    at.radio(key="tickets.view.en").set_value("new").run()
    at.selectbox(key="tickets.new_priority.en").set_value("emergency")
    at.text_input(key="tickets.new_contact").input("张伟")
    at.text_input(key="tickets.new_phone").input("013800138000")
    at.text_area(key="tickets.new_description").input("   ")  # blank: refused
    form_button(at, "Create ticket").click().run()
    assert not at.exception, at.exception
    assert at.error, "the problem is shown"
    assert at.text_input(key="tickets.new_contact").value == "张伟"
    assert at.text_input(key="tickets.new_phone").value == "013800138000"
    assert at.selectbox(key="tickets.new_priority.en").value == "emergency"
    # fixed and sent again: created, and the next intake starts empty
    at.text_area(key="tickets.new_description").input("主轴异响")
    form_button(at, "Create ticket").click().run()
    assert any("created" in s.value for s in at.success)
    at.radio(key="tickets.view.en").set_value("new").run()
    assert at.text_input(key="tickets.new_contact").value == ""
    with db.read(tickets_db) as s:
        assert s.scalars(select(Ticket.contact_name)).all() == ["张伟"]


def test_an_engineer_is_offered_only_what_they_may_do(tickets_db):
    mine, theirs = _make(tickets_db, "high", CLOCK), _make(tickets_db, "high", CLOCK)
    with db.write(tickets_db) as s:
        me = s.scalar(select(User.id).where(User.username == "engineer"))
        other = User(username="eng2", display_name="工程师二", role="engineer", password_hash="-")
        s.add(other)
        s.flush()
        for no, who in ((mine, me), (theirs, other.id)):
            T.dispatch(s, T.find_ticket_id(s, no), who, actor=ADMIN, now=CLOCK,
                       expected_version=None)  # fmt: skip
    at = _detail(open_tickets("engineer"), mine)
    keys = {b.key for b in at.button if b.key}
    assert "tickets.to_on_site" in keys
    assert not keys & {"tickets.dispatch", "tickets.escalate"}  # the desk's
    assert not form_button(at, "Save").disabled
    at = _detail(at, theirs)
    assert not [k for k in (b.key or "" for b in at.button) if k.startswith("tickets.to_")]
    assert form_button(at, "Save").disabled


def test_the_detail_shows_the_tickets_follow_ups_and_complaints(app_db):
    """Planned and rated calls, and the complaints about the ticket as links."""
    import datetime as dt

    from sqlalchemy import select

    from data_access import db
    from data_access.complaint_register import Intake, log_complaint
    from data_access.models import Customer, FollowUp, Ticket
    from tests.actors import ADMIN
    from tests.app.conftest import CLOCK, signed_in
    from tests.helpers import one_open_ticket

    one_open_ticket(app_db, CLOCK - dt.timedelta(hours=2), ADMIN)
    with db.write(app_db) as s:
        t = s.scalar(select(Ticket))
        c = s.get(Customer, t.customer_id)
        s.add(FollowUp(followup_no="FU-1", customer_id=c.id, ticket_id=t.id, reason="ticket",
                       mode="phone", due_date=CLOCK.date(), status="done", attempts=1,
                       rating_quality=5, rating_attitude=4, rating_efficiency=3))  # fmt: skip
        no = log_complaint(
            s,
            Intake(customer=c.code, complainant="张伟", channel="hotline", content="又坏了",
                      severity="high", urgency="high", received_at=CLOCK, ticket=t.ticket_no),
            actor=ADMIN,
            now=CLOCK,
        )  # fmt: skip
        ticket_no = t.ticket_no
    at = signed_in("manager", "en")
    at.query_params["ticket"] = ticket_no
    at.switch_page("pages/tickets.py").run()
    assert not at.exception, at.exception
    (calls,) = [d.value for d in at.dataframe if "Follow-up no." in d.value.columns]
    assert list(calls["Follow-up no."]) == ["FU-1"] and list(calls["Satisfaction"]) == [4.0]
    links = [p for p in at.get("page_link") if p.label.startswith(no)]
    assert len(links) == 1 and links[0].proto.query_string == f"complaint={no}"
    # an engineer who does not hold the ticket reads neither
    at = signed_in("engineer", "en")
    at.query_params["ticket"] = ticket_no
    at.switch_page("pages/tickets.py").run()
    assert not [p for p in at.get("page_link") if p.label.startswith(no)]
