"""A lines register through the Excel engine: each line names its document, and the
(document, line) pair is its key — line 1 of one ticket is not line 1 of another."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
import xlsxwriter

from data_access import db
from data_access.lines import list_lines
from data_access.models import Customer, Part, Ticket
from imports.engine import import_file, undo_last_import
from imports.writer import export_bytes, template_bytes
from tests.actors import ADMIN

NOW = dt.datetime(2026, 11, 23, 9, 0)
HEAD = ["工单号", "行号", "配件编号", "配件名称", "数量", "单价", "目录外", "目录外原因"]


def xlsx(rows: list[list]) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"strings_to_numbers": False})
    ws = wb.add_worksheet("配件")
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if isinstance(v, str):
                ws.write_string(r, c, v)
            elif v is not None:
                ws.write(r, c, v)
    wb.close()
    return buf.getvalue()


def run(engine, data, **kw):
    with db.write(engine) as s:
        return import_file(
            s, "ticket_parts", data, file_name="parts.xlsx", now=NOW, actor=ADMIN, **kw
        )


def lines(engine, ticket):
    with db.read(engine) as s:
        return [
            (r["line_no"], r["part_no"], r["qty"]) for r in list_lines(s, "ticket_parts", ticket)
        ]


@pytest.fixture
def tickets(db_engine):
    with db.write(db_engine) as s:
        c = Customer(code="C0001", name="华东精密机械")
        s.add(c)
        s.flush()
        for no in ("SR1", "SR2"):
            s.add(
                Ticket(
                    ticket_no=no,
                    customer_id=c.id,
                    channel="phone",
                    priority="standard",
                    status="on_site",
                    fault_description="异响",
                    received_at=NOW,
                )
            )
        s.add(Part(part_no="0042", name="主轴轴承", price=Decimal("120.00")))
    return db_engine


ROWS = [
    HEAD,
    ["SR1", 1, "0042", None, 2, None],
    ["SR1", 2, "X-9", "密封圈", 1, 8.5, "是", "客户自购"],  # not in the parts master
    ["SR2", 1, "0042", None, 1, None],
]


def test_lines_import_by_document_and_line(tickets):
    report = run(tickets, xlsx(ROWS))
    assert (report.inserted, report.problems) == (3, [])
    assert lines(tickets, "SR1") == [(1, "0042", 2), (2, "X-9", 1)]
    assert lines(tickets, "SR2") == [(1, "0042", 1)]
    again = run(tickets, xlsx(ROWS))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    # line 1 of SR2 changes; line 1 of SR1 stays
    changed = [*ROWS[:3], ["SR2", 1, "0042", None, 4, None]]
    third = run(tickets, xlsx(changed))
    assert (third.inserted, third.updated, third.unchanged) == (0, 1, 2)
    assert lines(tickets, "SR1")[0] == (1, "0042", 2) and lines(tickets, "SR2") == [(1, "0042", 4)]
    with db.write(tickets) as s:
        undo_last_import(s, "ticket_parts", ADMIN, now=NOW)
    assert lines(tickets, "SR2") == [(1, "0042", 1)]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_lines_export_round_trips(tickets, lang):
    run(tickets, xlsx(ROWS))
    with db.read(tickets) as s:
        data = export_bytes(s, "ticket_parts", lang=lang, today=NOW.date())
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    keys = [(r[0], r[1]) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert keys == [("SR1", 1), ("SR1", 2), ("SR2", 1)]  # a document's lines together
    back = run(tickets, data)
    assert (back.unchanged, back.inserted, back.updated, back.problems) == (3, 0, 0, [])


def test_same_document_and_line_twice_in_a_file_flags_both(tickets):
    report = run(tickets, xlsx([*ROWS, ["SR1", 2, "0042", None, 1, None]]))
    flagged = sorted(p.row for p in report.problems if p.code == "imports.duplicate_in_file")
    assert flagged == [3, 5] and not report.committed
    assert lines(tickets, "SR1") == []


def test_lines_without_their_document_column_are_refused(tickets):
    report = run(tickets, xlsx([HEAD[1:], *(r[1:] for r in ROWS[1:])]))
    assert [p.code for p in report.problems] == ["imports.missing_column"]


def test_lines_template_names_the_document(tickets):
    data = template_bytes("ticket_parts", lang="en")
    head = [c.value for c in openpyxl.load_workbook(io.BytesIO(data)).active[1]]
    assert head == [
        "Ticket no.",
        "Line",
        "Part no.",
        "Description",
        "Qty",
        "Unit price",
        "Non-catalogue",
        "Non-catalogue reason",
    ]


def test_a_closed_documents_lines_reimport_unchanged_but_do_not_change(tickets):
    run(tickets, xlsx(ROWS))
    with db.write(tickets) as s:
        s.query(Ticket).filter(Ticket.ticket_no == "SR1").update({"status": "closed"})
    again = run(tickets, xlsx(ROWS))
    assert (again.unchanged, again.problems) == (3, [])
    changed = run(tickets, xlsx([*ROWS[:2], ["SR1", 2, "X-9", "密封圈", 5, 8.5, "是", "客户自购"]]))
    assert [(p.row, p.code) for p in changed.problems] == [(3, "lines.err.parent_closed")]
    assert lines(tickets, "SR1")[1] == (2, "X-9", 1)
