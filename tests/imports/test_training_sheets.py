"""Training's own sheets: a sign-in sheet read by its header (title rows above it,
labels or aliases), the printed attendance sheet and the certificate list."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
import xlsxwriter

from imports.reader import ReadError
from imports.training import attendance_sheet_bytes, certificates_bytes, read_sign_in


def _book(rows) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf)
    ws = wb.add_worksheet("签到表")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                ws.write(r, c, value)
    wb.close()
    return buf.getvalue()


def test_sign_in_sheet_found_below_its_title():
    data = _book(
        [
            ["设备操作培训 签到表"],
            [],
            ["序号", "学员姓名", "手机", "签到", "成绩", "课程编号", "备注列"],
            [1, "王伟", "13800000001", "√", 88, "OP-M1", "x"],
            [2, "李娜", None, "缺席", None, None, None],
            [],
        ]
    )
    sheet, rows = read_sign_in(data, "sign-in.xlsx")
    assert sheet == "签到表"
    assert rows == [
        {"_row": 4, "name": "王伟", "phone": "13800000001", "presence": "√",
         "test_score": 88.0, "course": "OP-M1"},
        {"_row": 5, "name": "李娜", "phone": None, "presence": "缺席", "test_score": None,
         "course": None},
    ]  # fmt: skip


def test_sign_in_sheet_without_a_name_column_is_refused():
    with pytest.raises(ReadError) as err:
        read_sign_in(_book([["电话", "成绩"], ["138", 90]]), "bad.xlsx")
    assert err.value.code == "training.err.no_header"


def test_attendance_sheet_for_printing():
    head = {"session_no": "PX-1", "course": "OP-M1", "title_zh": "操作培训",
            "starts_at": dt.datetime(2026, 12, 2, 9), "customer_name": "甲公司", "trainer": "陈静"}  # fmt: skip
    lines = [
        {"line_no": 1, "name": "王伟", "customer": "C1", "presence": "present", "test_score": Decimal("88")},
        {"line_no": 2, "name": "=HYPERLINK(\"x\")", "customer": "C1", "presence": None},
    ]  # fmt: skip
    ws = openpyxl.load_workbook(io.BytesIO(attendance_sheet_bytes(head, lines, lang="zh"))).active
    values = list(ws.iter_rows(values_only=True))
    assert values[0][0] == "OP-M1 操作培训"
    header_at = next(i for i, row in enumerate(values) if row[0] == "序号")
    assert values[header_at][-1] == "签名"
    assert values[header_at + 1][:7] == (1, "王伟", "C1", None, None, "出席", 88)
    # a name that a spreadsheet would evaluate stays text
    assert values[header_at + 2][1] == '\'=HYPERLINK("x")'


def test_certificate_list():
    rows = [{"customer": "C1", "customer_name": "甲公司", "name": "王伟", "course": "OP-M1",
             "certificate_no": "CERT-PX-1-001", "held_on": dt.date(2026, 6, 1),
             "certificate_expires": dt.date(2027, 5, 31)}]  # fmt: skip
    ws = openpyxl.load_workbook(io.BytesIO(certificates_bytes(rows, lang="en"))).active
    values = list(ws.iter_rows(values_only=True))
    assert values[0][4] == "Certificate no."
    assert values[1][4] == "CERT-PX-1-001"
    assert values[1][6] == dt.datetime(2027, 5, 31)


def test_attendance_import_over_capacity_is_one_clear_message(sqlite_url, tmp_path):
    """The attendance register through the Excel engine and the command line: a sheet
    that overfills a session is refused with the session, count and capacity, nothing
    written, no traceback."""
    from data_access import db
    from data_access.lines import list_lines
    from data_access.models import Customer
    from data_access.registers import save_changes
    from tests.actors import ADMIN
    from tests.helpers import cli

    engine = db.make_engine(sqlite_url)
    now = dt.datetime(2026, 11, 23, 9)
    with db.write(engine) as s:
        s.add(Customer(code="C1", name="甲公司"))
        s.flush()
        course = {"code": "OP", "title_zh": "操作", "topic": "operation",
                  "delivery": "online_live", "audience": "operators"}  # fmt: skip
        save_changes(s, "courses", inserts=[course], updates=[], deletes=[], actor=ADMIN, now=now)
        session = {"session_no": "PX-1", "course": "OP", "customer": "C1", "capacity": 2,
                   "starts_at": now, "status": "planned"}  # fmt: skip
        save_changes(s, "training_sessions", inserts=[session], updates=[], deletes=[], actor=ADMIN, now=now)  # fmt: skip
    path = tmp_path / "attendance.xlsx"
    path.write_bytes(
        _book(
            [["场次编号", "序号", "人员类型", "姓名"]]
            + [["PX-1", k, "客户联系人", name] for k, name in enumerate(("甲", "乙", "丙"), 1)]
        )
    )
    done = cli(sqlite_url, "import", "attendance", str(path), "--lang", "en")
    assert done.returncode != 0
    assert "Session PX-1 is over capacity: 3 attendees for 2 places" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    with db.read(engine) as s:
        assert list_lines(s, "attendance", "PX-1") == []
    engine.dispose()
