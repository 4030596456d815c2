"""Write registers to .xlsx in exactly the layout the importer reads.

Exports stream rows in xlsxwriter ``constant_memory`` mode, writing each row
ourselves (``DataFrame.to_excel`` drops cells in that mode) after the column formats
are set. Text that a spreadsheet would evaluate is written as a guarded string.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import xlsxwriter
from sqlalchemy.orm import Session

from data_access import audit as log
from data_access.registers import adapter, iter_display
from imports.engine import ImportReport
from imports.reader import DANGEROUS, escape_text, sheet_title
from rules.fields import Field, Kind, Register
from rules.i18n import t

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MONEY_FORMAT = "#,##0.00"
ERROR_FILL = "#FFC7CE"
Out = str | Path | BinaryIO


def _width(f: Field, lang: str) -> float:
    label = f.label(lang)
    wide = sum(2 if ord(ch) > 0x2E80 else 1 for ch in label)
    by_kind = {
        Kind.DATE: 12,
        Kind.DATETIME: 17,
        Kind.MONEY: 14,
        Kind.DECIMAL: 12,
        Kind.INT: 10,
        Kind.BOOL: 8,
        Kind.LONGTEXT: 40,
    }.get(f.kind)
    if by_kind is None:
        by_kind = min(max(12, (f.max_len or 20) // 4), 40)
    if f.kind is Kind.ENUM:
        by_kind = max(sum(2 if ord(c) > 0x2E80 else 1 for c in o.label(lang)) for o in f.options)
    return max(wide + 4, by_kind)


_EXCEL_EPOCH = dt.date(1899, 12, 31).toordinal()
# first characters after which a text cell needs a look from escape_text()
_GUARDED = frozenset(DANGEROUS | {"'"})
MEMO_LIMIT = 50_000


def excel_serial(day: dt.date) -> float:
    """A date as Excel's 1900-system serial (what xlsxwriter's write_datetime stores)."""
    days = day.toordinal() - _EXCEL_EPOCH
    return float(days + 1 if days > 59 else days)  # Excel's phantom 1900-02-29


def _cell_writers(ws) -> tuple[Callable[..., int], Callable[..., int]]:
    """(write_string, write_number) taking (row, col, value, format) as numbers.

    xlsxwriter's public methods first try the row as "A1" text (a wrapper per cell: a
    tenth of a 100k-row export); its own ``write_row`` calls the undecorated versions,
    and so do we when this xlsxwriter has them (same arguments, same checks)."""
    return (
        getattr(ws, "_write_string", ws.write_string),
        getattr(ws, "_write_number", ws.write_number),
    )


class _Cells:
    """Per-field cell writers (chosen once per column, not per cell)."""

    def __init__(self, wb: xlsxwriter.Workbook, lang: str):
        self.lang = lang
        self.date = wb.add_format({"num_format": DATE_FORMAT})
        self.datetime = wb.add_format({"num_format": DATETIME_FORMAT})
        self.money = wb.add_format({"num_format": MONEY_FORMAT})
        self.text = wb.add_format({"num_format": "@"})
        self.header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        self.yes, self.no = t("ui.yes", lang), t("ui.no", lang)

    def column_format(self, f: Field):
        return {
            Kind.DATE: self.date,
            Kind.DATETIME: self.datetime,
            Kind.MONEY: self.money,
        }.get(f.kind, self.text if f.kind in (Kind.TEXT, Kind.REF) else None)

    def writer(self, ws, f: Field) -> Callable[[int, int, Any], None]:
        lang = self.lang
        write_string, write_number = _cell_writers(ws)
        if f.kind is Kind.DATE:
            return self._date_writer(ws)
        if f.kind is Kind.DATETIME:
            fmt = self.datetime
            return lambda r, c, v: ws.write_datetime(r, c, v, fmt)
        if f.kind in (Kind.MONEY, Kind.DECIMAL):
            fmt = self.money if f.kind is Kind.MONEY else None
            return lambda r, c, v: write_number(r, c, float(v), fmt)
        if f.kind is Kind.INT:
            return lambda r, c, v: write_number(r, c, v)
        if f.kind is Kind.BOOL:
            yes, no = self.yes, self.no
            return lambda r, c, v: write_string(r, c, yes if v else no)
        if f.kind is Kind.ENUM:
            labels = {o.value: o.label(lang) for o in f.options}
            return lambda r, c, v: write_string(r, c, labels[v] if v in labels else str(v))

        def text(r: int, c: int, v: Any) -> None:
            s = v if v.__class__ is str else str(v)
            write_string(r, c, escape_text(s) if s[0] in _GUARDED else s)

        return text

    def _date_writer(self, ws) -> Callable[[int, int, Any], None]:
        """Dates repeat: convert each distinct one once, write the serial with the format."""
        fmt, write_number = self.date, _cell_writers(ws)[1]
        serials: dict[dt.date, float] = {}

        def date(r: int, c: int, v: Any) -> None:
            if v.__class__ is not dt.date:  # a datetime or anything odd: xlsxwriter's way
                ws.write_datetime(r, c, v, fmt)
                return
            serial = serials.get(v)
            if serial is None:
                if len(serials) >= MEMO_LIMIT:
                    serials.clear()
                serial = serials[v] = excel_serial(v)
            write_number(r, c, serial, fmt)

        return date


def write_tuples(out: Out, register: Register, rows: Iterable[Sequence[Any]], *, lang: str) -> int:
    """Stream ``rows`` (display values in ``register.fields`` order) into a styled sheet."""
    fields = register.fields
    wb = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False})
    try:
        ws = wb.add_worksheet(register.label(lang)[:31])
        cells = _Cells(wb, lang)
        for c, f in enumerate(fields):  # formats before rows (constant_memory)
            ws.set_column(c, c, _width(f, lang), cells.column_format(f))
        ws.write_row(0, 0, [f.label(lang) for f in fields], cells.header)
        ws.freeze_panes(1, 0)
        columns = range(len(fields))
        writers = [cells.writer(ws, f) for f in fields]
        r = 0
        for r, row in enumerate(rows, start=1):
            for c, write, v in zip(columns, writers, row, strict=True):
                if v is not None and v != "":
                    write(r, c, v)
        ws.autofilter(0, 0, max(r, 1), len(fields) - 1)
    finally:
        wb.close()
    return r


def export_register(
    session: Session,
    register: str,
    out: Out,
    *,
    lang: str,
    today: dt.date,
    filters: dict | None = None,
    search: str | None = None,
    where: Sequence[Any] = (),
    selection: Any = None,
    now: dt.datetime | None = None,
) -> int:
    """Every (matching) row of ``register`` to ``out``; returns the row count.

    ``selection``: a page's filter (a plain dataclass) that the register's adapter turns
    into conditions at ``now``, so the export holds what the page's list shows."""
    ad = adapter(register)
    if selection is not None and ad.where_of is not None:
        moment = now or dt.datetime.combine(today, dt.time())
        where = [*where, *ad.where_of(selection, moment)]
    rows = iter_display(session, register, filters=filters, search=search, today=today, where=where)
    return write_tuples(out, ad.register, rows, lang=lang)


def export_bytes(session: Session, register: str, *, lang: str, today: dt.date, **kw) -> bytes:
    buf = io.BytesIO()
    export_register(session, register, buf, lang=lang, today=today, **kw)
    return buf.getvalue()


# ---------------------------------------------------------------- plain rows
def write_plain(
    out: Out, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], *, lang: str
) -> int:
    """Rows of plain values that no register describes (a dashboard figure's rows) in one
    streamed sheet: numbers as numbers, dates as dates, yes/no in ``lang``, and any text
    written as a guarded string. Returns the row count."""
    wb = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False})
    try:
        ws = wb.add_worksheet(sheet_title(title))
        cells = _Cells(wb, lang)
        for c, h in enumerate(headers):
            ws.set_column(c, c, max(12, min(40, sum(2 if ord(ch) > 0x2E80 else 1 for ch in h) + 4)))
        ws.write_row(0, 0, list(headers), cells.header)
        ws.freeze_panes(1, 0)
        r = 0
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row):
                _write_plain(ws, r, c, v, cells)
        ws.autofilter(0, 0, max(r, 1), max(len(headers) - 1, 0))
    finally:
        wb.close()
    return r


def _write_plain(ws, r: int, c: int, v: Any, cells: _Cells) -> None:
    if v is None or v == "":
        return
    if isinstance(v, bool):
        ws.write_string(r, c, cells.yes if v else cells.no)
    elif isinstance(v, int | float | Decimal):
        ws.write_number(r, c, float(v))
    elif isinstance(v, dt.datetime):
        ws.write_datetime(r, c, v, cells.datetime)
    elif isinstance(v, dt.date):
        ws.write_number(r, c, excel_serial(v), cells.date)
    else:
        s = str(v)
        ws.write_string(r, c, escape_text(s) if s[0] in _GUARDED else s)


# ---------------------------------------------------------------- template
def write_template(out: Out, register: str, *, lang: str) -> None:
    """Blank register: header comments, dropdowns for enums, one example row."""
    reg = adapter(register).register
    fields = reg.input_fields
    wb = xlsxwriter.Workbook(out, {"strings_to_formulas": False})
    try:
        ws = wb.add_worksheet(reg.label(lang)[:31])
        cells = _Cells(wb, lang)
        required = wb.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1})
        for c, f in enumerate(fields):
            ws.set_column(c, c, _width(f, lang), cells.column_format(f))
            ws.write_string(0, c, f.label(lang), required if f.required else cells.header)
            ws.write_comment(0, c, _comment(f, lang), {"x_scale": 2, "y_scale": 1.5})
            if f.kind is Kind.ENUM:
                ws.data_validation(
                    1,
                    c,
                    10000,
                    c,
                    {"validate": "list", "source": [o.label(lang) for o in f.options]},
                )
            if f.example is not None:
                value = f.example
                if f.kind is Kind.ENUM:
                    value = f.option_label(value, lang)
                cells.writer(ws, f)(1, c, value)
        ws.write_comment(1, 0, t("imports.example_note", lang))
        ws.freeze_panes(1, 0)
    finally:
        wb.close()


def _comment(f: Field, lang: str) -> str:
    parts = [f.label(lang)]
    if f.required:
        parts.append(f"({t('imports.required_note', lang)})")
    text = " ".join(parts)
    if f.help(lang):
        text += "\n" + f.help(lang)
    if f.kind is Kind.ENUM:
        text += "\n" + " / ".join(o.label(lang) for o in f.options)
    if f.kind is Kind.DATE:
        text += "\nYYYY-MM-DD"
    return text


def template_bytes(register: str, *, lang: str) -> bytes:
    buf = io.BytesIO()
    write_template(buf, register, lang=lang)
    return buf.getvalue()


# ---------------------------------------------------------------- rejected rows
def write_rejected(out: Out, report: ImportReport, *, lang: str) -> int:
    """The rejected rows in the user's own columns, an error column, bad cells marked."""
    header = report.header
    texts = header.texts if header else []
    wb = xlsxwriter.Workbook(out, {"strings_to_formulas": False})
    try:
        ws = wb.add_worksheet(sheet_title(report.sheet))
        bold = wb.add_format({"bold": True})
        bad = wb.add_format({"bg_color": ERROR_FILL})
        bad_date = wb.add_format({"bg_color": ERROR_FILL, "num_format": DATE_FORMAT})
        date = wb.add_format({"num_format": DATE_FORMAT})
        width = max([len(texts), *(len(r.cells) for r in report.rejected_rows)])
        error_col = width
        for c in range(width):
            ws.write_string(0, c, texts[c] if c < len(texts) else "", bold)
        ws.write_string(0, error_col, t("imports.error_column", lang), bold)
        ws.set_column(error_col, error_col, 60)
        position = {text: i for i, text in reversed(list(enumerate(texts))) if text}
        for r, rej in enumerate(report.rejected_rows, start=1):
            marks: dict[int, list[str]] = {}
            for p in rej.problems:
                c = position.get(p.column or "")
                if c is not None:
                    marks.setdefault(c, []).append(p.message(lang))
            for c in range(width):
                v = rej.cells[c] if c < len(rej.cells) else None
                fmt = bad if c in marks else None
                _write_any(ws, r, c, v, fmt, bad_date if c in marks else date)
                if c in marks:
                    ws.write_comment(r, c, "\n".join(marks[c]))
            messages = [
                (f"{c}: " if (c := p.column_label(lang)) else "") + p.message(lang)
                for p in rej.problems
            ]
            ws.write_string(r, error_col, "; ".join(messages), bad)
        ws.freeze_panes(1, 0)
    finally:
        wb.close()
    return len(report.rejected_rows)


def _write_any(ws, r: int, c: int, v: Any, fmt, date_fmt) -> None:
    if v is None or v == "":
        if fmt is not None:
            ws.write_blank(r, c, None, fmt)
        return
    if isinstance(v, bool):
        ws.write_boolean(r, c, v, fmt)
    elif isinstance(v, int | float | Decimal):
        ws.write_number(r, c, float(v), fmt)
    elif isinstance(v, dt.datetime | dt.date):
        ws.write_datetime(r, c, v, date_fmt)
    else:
        s = str(v)  # keep a quote the user already has; guard anything else
        ws.write_string(r, c, s if s.startswith("'") else escape_text(s), fmt)


def rejected_bytes(report: ImportReport, *, lang: str) -> bytes:
    buf = io.BytesIO()
    write_rejected(buf, report, lang=lang)
    return buf.getvalue()


def export_audit(session: Session, f: Any, *, lang: str) -> tuple[bytes, int]:
    """The audit log rows matching ``f`` (:class:`data_access.audit.AuditFilter`) as
    .xlsx, text a spreadsheet would evaluate guarded; returns the file and its count."""

    buf = io.BytesIO()
    rows = log.display_rows(log.search(session, f, limit=None))
    n = write_tuples(buf, log.AUDIT_LOG, rows, lang=lang)
    return buf.getvalue(), n
