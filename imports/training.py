"""Training's own sheets: reading a sign-in sheet / score list (the header found by the
attendance register's labels and aliases, plus a course column), and writing the
printed attendance sheet and a customer's certificate list.

The matching of names to people and the write are in
:func:`imports.sign_in.import_sign_in`.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

from data_access.catalog import adapter
from imports.books import open_book
from imports.mapping import HEADER_SCAN_ROWS, header_index
from imports.reader import ReadError, escape_text
from rules.fields import normalize_label
from rules.i18n import t
from rules.training import ATTENDANCE, PRESENCE_OPTIONS

COURSE_HEADERS = ("课程", "课程编号", "课程代码", "course", "course code")
# a sheet row's cells the import takes (who, and the marks)
TAKEN = ("name", "phone", "job", "presence", "test_score", "practical", "rating", "comment")
_GUARDED = ("=", "+", "-", "@", "\t", "\r", "\0")


def read_sign_in(source: bytes | Path, file_name: str) -> tuple[str, list[dict[str, Any]]]:
    """(sheet name, rows as field → cell with ``_row`` the Excel row number) of the
    first sheet. Raises :class:`ReadError` for unreadable files; a sheet without a name
    column raises ``training.err.no_header``."""
    book = open_book(source, file_name)
    try:
        sheet = book.sheet_names[0]
        first, rows = book.rows(sheet)
        cells = [list(r) for r in rows]
    finally:
        book.close()
    index = {k: v for k, v in header_index(adapter("attendance")).items() if v in TAKEN}
    index.update({normalize_label(h): "course" for h in COURSE_HEADERS})
    header_at, columns = None, {}
    for i, row in enumerate(cells[:HEADER_SCAN_ROWS]):
        found = {}
        for c, value in enumerate(row):
            name = index.get(normalize_label(value))
            if name and name not in found.values():
                found[c] = name
        if "name" in found.values():
            header_at, columns = i, found
            break
    if header_at is None:
        raise ReadError("training.err.no_header")
    out = []
    for i, row in enumerate(cells[header_at + 1 :], start=first + header_at + 1):
        values = {name: _cell(row[c]) for c, name in columns.items() if c < len(row)}
        if any(v is not None for v in values.values()):
            out.append({"_row": i, **values})
    return sheet, out


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _text(ws, r: int, c: int, value: Any, fmt=None) -> None:
    if value is None or value == "":
        return
    if isinstance(value, int | float) and not isinstance(value, bool):
        ws.write_number(r, c, value, fmt)
        return
    s = str(value)
    ws.write_string(r, c, escape_text(s) if s[0] in _GUARDED else s, fmt)


def attendance_sheet_bytes(
    header: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], *, lang: str
) -> bytes:
    """The sign-in sheet to print: the session on top, one row per attendee with empty
    attendance, score and signature cells to fill in by hand (or the marks taken)."""
    fields = {f.name: f for f in ATTENDANCE.fields}
    cols = ["line_no", "name", "customer", "job", "phone", "presence", "test_score"]
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"strings_to_formulas": False})
    try:
        ws = wb.add_worksheet(t("training.attendees", lang)[:31])
        bold = wb.add_format({"bold": True, "font_size": 14})
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        cell = wb.add_format({"border": 1})
        title = header.get("title_zh") if lang == "zh" else header.get("title_en") or header.get("title_zh")  # fmt: skip
        _text(ws, 0, 0, f"{header.get('course')} {title}", bold)
        starts = header.get("starts_at")
        facts = [
            (t("training.col.session", lang), header.get("session_no")),
            (t("training.col.starts", lang), f"{starts:%Y-%m-%d %H:%M}" if starts else ""),
            (t("training.col.customer", lang), header.get("customer_name") or ""),
            (t("training.col.trainer", lang), header.get("trainer") or ""),
            (fields["presence"].label(lang), " / ".join(o.label(lang) for o in PRESENCE_OPTIONS)),
        ]
        for r, (label, value) in enumerate(facts, start=1):
            _text(ws, r, 0, label)
            _text(ws, r, 1, value)
        top = len(facts) + 2
        labels = [fields[c].label(lang) for c in cols] + [t("training.col.signature", lang)]
        for c, label in enumerate(labels):
            ws.write_string(top, c, label, head)
            ws.set_column(c, c, 10 if c == 0 else 16)
        presence = fields["presence"]
        for r, line in enumerate(lines, start=top + 1):
            for c, name in enumerate(cols):
                value = line.get(name)
                if name == "presence":
                    value = presence.option_label(value, lang) if value else None
                if name == "test_score" and value is not None:
                    value = float(value)
                if value is None:
                    ws.write_blank(r, c, None, cell)
                else:
                    _text(ws, r, c, value, cell)
            ws.write_blank(r, len(cols), None, cell)
        ws.set_landscape()
        ws.repeat_rows(top)
    finally:
        wb.close()
    return buf.getvalue()


def certificates_bytes(rows: Sequence[Mapping[str, Any]], *, lang: str) -> bytes:
    """A certificate list (per customer) as a sheet."""
    cols = [
        ("customer", "training.col.customer"),
        ("customer_name", "training.col.customer_name"),
        ("name", "training.col.name"),
        ("course", "training.col.course"),
        ("certificate_no", "training.col.certificate"),
        ("held_on", "training.col.starts"),
        ("certificate_expires", "training.col.expires"),
    ]
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"strings_to_formulas": False})
    try:
        ws = wb.add_worksheet(t("training.certificates", lang)[:31])
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        date = wb.add_format({"num_format": "yyyy-mm-dd"})
        for c, (_, key) in enumerate(cols):
            ws.write_string(0, c, t(key, lang), head)
            ws.set_column(c, c, 18)
        for r, row in enumerate(rows, start=1):
            for c, (name, _) in enumerate(cols):
                value = row.get(name)
                if isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date)
                else:
                    _text(ws, r, c, value)
        ws.autofilter(0, 0, max(len(rows), 1), len(cols) - 1)
    finally:
        wb.close()
    return buf.getvalue()
