"""The printed copy on a page: the ticket detail's PDF button makes a PDF of the service
form and offers it for download; an unknown visit number is said in words."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select

from data_access import db
from data_access.models import Customer, Device, Ticket, TicketPart
from tests.app.conftest import CLOCK, signed_in
from tests.app.test_tickets_page import _detail, open_tickets, tickets_db  # noqa: F401


def _ticket_with_a_part(engine) -> str:
    with db.write(engine) as s:
        c = s.scalar(select(Customer))
        d = s.scalar(select(Device))
        t = Ticket(ticket_no="SR-PDF-1", customer_id=c.id, device_id=d.id, serial_no=d.serial_no,
                   channel="phone", priority="standard", status="on_site",
                   fault_description="主轴异响", received_at=CLOCK)  # fmt: skip
        s.add(t)
        s.flush()
        s.add(TicketPart(ticket_id=t.id, line_no=1, part_no="0042", description="主轴轴承", qty=3))
    return "SR-PDF-1"


def test_ticket_detail_offers_the_service_form_as_pdf(tickets_db):  # noqa: F811
    no = _ticket_with_a_part(tickets_db)
    at = _detail(open_tickets("agent", "en"), no)
    assert not any(b.key == "tickets.detail.pdf_download" for b in at.get("download_button"))
    next(b for b in at.button if b.key == "tickets.detail.pdf_build").click().run()
    assert not at.exception, at.exception
    assert any(b.key == "tickets.detail.pdf_download" for b in at.get("download_button"))
    kind, number, lang, data = at.session_state["tickets.detail.pdf"]  # what it serves
    assert (kind, number, lang) == ("service_form", no, "en")
    assert data.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "On-site service form" in text and no in text
    assert any(row.split()[:2] == ["1", "0042"] and "3" in row.split() for row in text.splitlines())


def test_an_unknown_visit_number_is_said_not_raised(app_db):
    at = signed_in("manager", "en")
    at.switch_page("pages/maintenance.py").run()
    at.radio(key="maint.view").set_value("visits").run()
    at.text_input(key="maint.print.no").input("MP-NOPE").run()
    next(b for b in at.button if b.key == "maint.print.pdf_build").click().run()
    assert not at.exception, at.exception
    assert any("MP-NOPE" in str(e.value) for e in at.error)
    assert not any(b.key == "maint.print.pdf_download" for b in at.get("download_button"))
