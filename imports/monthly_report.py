"""The monthly service report (月度服务报告) as one workbook: a summary sheet with every
KPI against its target, a sheet per breakdown, the trends, the engineer table, and
charts drawn by the workbook itself.

Pure writing: :func:`data_access.reports.monthly_workbook` gathers the figures and hands
them over as a :class:`MonthlyReport`. Text is written as guarded strings (a group
name someone typed never becomes a formula).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import xlsxwriter

from imports.reader import escape_text, sheet_title
from imports.writer import DATE_FORMAT
from rules.dashboard import DIMENSIONS, Direction, Figure, Kpi
from rules.i18n import t
from rules.tickets import channel_label, service_type_label

# the unit of each column of the breakdown, trend and engineer tables
COLUMN_UNITS: dict[str, str] = {
    "tickets": "count",
    "share": "%",
    "response_min": "min",
    "first_response_min": "min",
    "resolution_h": "h",
    "response_compliance": "%",
    "on_time_repair": "%",
    "first_time_fix": "%",
    "csat": "score",
    "satisfaction_rate": "%",
    "hours": "h",
}
BREAKDOWN_COLUMNS = ("tickets", "share", "response_min", "resolution_h",
                     "response_compliance", "on_time_repair", "first_time_fix", "csat")  # fmt: skip
TREND_COLUMNS = ("tickets", "first_response_min", "resolution_h", "response_compliance",
                 "on_time_repair", "first_time_fix", "csat", "satisfaction_rate")  # fmt: skip
ENGINEER_COLUMNS = ("tickets", "on_time_repair", "first_time_fix", "csat", "hours")
NUMBER_FORMATS = {"count": "#,##0", "min": "0.0", "h": "0.0", "%": '0.0"%"', "score": "0.00"}


@dataclass(frozen=True)
class KpiLine:
    kpi: Kpi
    figure: Figure
    target: float | None  # the configured target (a setting may override the default)

    @property
    def met(self) -> bool | None:
        return self.kpi.met(self.figure.value, self.target)


@dataclass(frozen=True)
class MonthlyReport:
    month: str  # "2026-11"
    start: dt.date
    end: dt.date  # inclusive
    lines: Sequence[KpiLine]
    breakdowns: Mapping[str, Sequence[Mapping[str, Any]]]  # dimension -> groups
    months: Sequence[Mapping[str, Any]]  # the trend by month, up to this month
    weeks: Sequence[Mapping[str, Any]]  # the trend by week, this month
    engineers: Sequence[Mapping[str, Any]] | None  # None: the reader's role has no table


def group_label(dimension: str, key: Any, label: Any, lang: str) -> str:
    """A breakdown group's name: the data's own name where it has one (an engineer's
    name), a channel or service type in ``lang``, "not set" for a missing key, else the
    key itself."""
    if label not in (None, ""):
        return str(label)
    if key is None or key == "":
        return t("dashboard.unset", lang)
    if dimension == "channel":
        return channel_label(str(key), lang)
    if dimension == "service_type":
        return service_type_label(str(key), lang)
    return str(key)


def met_text(met: bool | None, lang: str) -> str:
    """Whether a figure meets its target in words and a sign (never colour alone)."""
    if met is None:
        return ""
    return "✔ " + t("dashboard.met", lang) if met else "✘ " + t("dashboard.missed", lang)


def target_text(kpi: Kpi, target: float | None) -> str:
    if target is None:
        return ""
    return ("≤ " if kpi.direction is Direction.AT_MOST else "≥ ") + f"{target:g}"


class _Book:
    def __init__(self, wb: xlsxwriter.Workbook, lang: str):
        self.wb, self.lang = wb, lang
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                                   "text_wrap": True, "valign": "top"})  # fmt: skip
        self.good = wb.add_format({"font_color": "#006100", "bg_color": "#C6EFCE"})
        self.bad = wb.add_format({"font_color": "#9C0006", "bg_color": "#FFC7CE"})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.date = wb.add_format({"num_format": DATE_FORMAT})
        self.units = {u: wb.add_format({"num_format": f}) for u, f in NUMBER_FORMATS.items()}

    def text(self, ws, r: int, c: int, value: Any, fmt=None) -> None:
        if value is None or value == "":
            return
        ws.write_string(r, c, escape_text(str(value)), fmt)

    def number(self, ws, r: int, c: int, value: Any, unit: str | None) -> None:
        if value is None:
            return
        ws.write_number(r, c, float(value), self.units.get(unit or "", None))

    def header(self, ws, r: int, labels: Sequence[str]) -> None:
        for c, label in enumerate(labels):
            ws.write_string(r, c, label, self.head)


def workbook_bytes(report: MonthlyReport, lang: str) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                   "strings_to_numbers": False})  # fmt: skip
    try:
        book = _Book(wb, lang)
        _summary(book, report)
        for dimension in DIMENSIONS:
            if dimension in report.breakdowns:
                _breakdown(book, report, dimension)
        _trend(book, report)
        if report.engineers is not None:
            _engineers(book, report)
    finally:
        wb.close()
    return buf.getvalue()


def _summary(book: _Book, report: MonthlyReport) -> None:
    lang = book.lang
    ws = book.wb.add_worksheet(sheet_title(t("dashboard.sheet.summary", lang)))
    title = t("dashboard.report.title", lang, month=report.month)
    ws.write_string(0, 0, title, book.title)
    period = f"{report.start:%Y-%m-%d} – {report.end:%Y-%m-%d}"
    ws.write_string(1, 0, t("dashboard.report.period", lang, period=period))
    cols = ("kpi", "value", "target", "met", "numerator", "denominator", "previous",
            "change", "formula")  # fmt: skip
    book.header(ws, 3, [t(f"dashboard.sum.{c}", lang) for c in cols])
    for r, line in enumerate(report.lines, start=4):
        kpi, fig, unit = line.kpi, line.figure, str(line.kpi.unit)
        book.text(ws, r, 0, t(f"kpi.{kpi.key}", lang))
        if fig.value is None:
            ws.write_string(r, 1, "—")
        else:
            book.number(ws, r, 1, fig.value, unit)
        book.text(ws, r, 2, target_text(kpi, line.target))
        met = line.met
        book.text(ws, r, 3, met_text(met, lang), None if met is None else
                  (book.good if met else book.bad))  # fmt: skip
        book.number(ws, r, 4, fig.numerator, None)
        book.number(ws, r, 5, fig.denominator, None)
        book.number(ws, r, 6, fig.previous, unit)
        book.number(ws, r, 7, fig.change, unit)
        book.text(ws, r, 8, t(f"kpi.{kpi.key}.formula", lang), book.wrap)
    ws.set_column(0, 0, 26)
    ws.set_column(1, 7, 12)
    ws.set_column(3, 3, 14)
    ws.set_column(8, 8, 60)
    ws.freeze_panes(4, 1)


def _table(book: _Book, ws, top: int, first: str, rows, columns, names) -> int:
    """A header and one row per group; returns the last row written."""
    book.header(ws, top, [first, *(t(f"dashboard.col.{c}", book.lang) for c in columns)])
    r = top
    for r, (name, row) in enumerate(zip(names, rows, strict=True), start=top + 1):
        if isinstance(name, dt.date):
            ws.write_datetime(r, 0, dt.datetime.combine(name, dt.time()), book.date)
        else:
            book.text(ws, r, 0, name)
        for c, col in enumerate(columns, start=1):
            book.number(ws, r, c, row.get(col), COLUMN_UNITS.get(col))
    ws.set_column(0, 0, 22)
    ws.set_column(1, len(columns), 13)
    return r


def _breakdown(book: _Book, report: MonthlyReport, dimension: str) -> None:
    lang = book.lang
    dim_label = t(f"dashboard.dim.{dimension}", lang)
    ws = book.wb.add_worksheet(sheet_title(t("dashboard.sheet.by", lang, dim=dim_label)))
    rows = report.breakdowns[dimension]
    names = [group_label(dimension, g.get("key"), g.get("label"), lang) for g in rows]
    last = _table(book, ws, 0, dim_label, rows, BREAKDOWN_COLUMNS, names)
    ws.freeze_panes(1, 1)
    if dimension == "service_type" and rows:  # seed 000 §5.1.1's table, drawn
        name = ws.get_name()
        chart = book.wb.add_chart({"type": "column"})
        chart.add_series({
            "name": t("dashboard.col.tickets", lang),
            "categories": [name, 1, 0, last, 0],
            "values": [name, 1, 1, last, 1],
        })  # fmt: skip
        chart.set_title({"name": t("dashboard.chart.by_service_type", lang)})
        chart.set_legend({"none": True})
        ws.insert_chart(last + 2, 0, chart)
        pie = book.wb.add_chart({"type": "pie"})
        pie.add_series({
            "name": t("dashboard.col.share", lang),
            "categories": [name, 1, 0, last, 0],
            "values": [name, 1, 2, last, 2],
            "data_labels": {"percentage": True},
        })  # fmt: skip
        pie.set_title({"name": t("dashboard.col.share", lang)})
        ws.insert_chart(last + 2, 6, pie)


def _trend(book: _Book, report: MonthlyReport) -> None:
    lang = book.lang
    ws = book.wb.add_worksheet(sheet_title(t("dashboard.sheet.trend", lang)))
    name = ws.get_name()
    ws.write_string(0, 0, t("dashboard.trend.month", lang), book.title)
    months = report.months
    top = 1
    last = _table(book, ws, top, t("dashboard.col.bucket", lang), months, TREND_COLUMNS,
                  [m["bucket"] for m in months])  # fmt: skip
    week_top = last + 3
    ws.write_string(week_top - 1, 0, t("dashboard.trend.week", lang), book.title)
    _table(book, ws, week_top, t("dashboard.col.bucket", lang), report.weeks, TREND_COLUMNS,
           [w["bucket"] for w in report.weeks])  # fmt: skip
    if not months:
        return
    volume = book.wb.add_chart({"type": "column"})
    volume.add_series({
        "name": t("dashboard.col.tickets", lang),
        "categories": [name, top + 1, 0, last, 0],
        "values": [name, top + 1, 1, last, 1],
    })  # fmt: skip
    volume.set_title({"name": t("dashboard.chart.volume", lang)})
    volume.set_x_axis({"date_axis": True, "num_format": "yyyy-mm"})
    volume.set_legend({"none": True})
    ws.insert_chart(1, len(TREND_COLUMNS) + 2, volume)
    rates = book.wb.add_chart({"type": "line"})
    for col in ("response_compliance", "on_time_repair", "first_time_fix", "satisfaction_rate"):
        c = TREND_COLUMNS.index(col) + 1
        rates.add_series({
            "name": t(f"dashboard.col.{col}", lang),
            "categories": [name, top + 1, 0, last, 0],
            "values": [name, top + 1, c, last, c],
            "marker": {"type": "circle"},
        })  # fmt: skip
    rates.set_title({"name": t("dashboard.chart.rates", lang)})
    rates.set_x_axis({"date_axis": True, "num_format": "yyyy-mm"})
    rates.set_y_axis({"min": 0, "max": 100})
    ws.insert_chart(17, len(TREND_COLUMNS) + 2, rates)


def _engineers(book: _Book, report: MonthlyReport) -> None:
    lang = book.lang
    ws = book.wb.add_worksheet(sheet_title(t("dashboard.sheet.engineers", lang)))
    rows = report.engineers or []
    names = [r.get("engineer") or t("dashboard.unset", lang) for r in rows]
    last = _table(book, ws, 0, t("dashboard.col.engineer", lang), rows, ENGINEER_COLUMNS, names)
    ws.freeze_panes(1, 1)
    if rows:
        name = ws.get_name()
        chart = book.wb.add_chart({"type": "bar"})
        chart.add_series({
            "name": t("dashboard.col.tickets", lang),
            "categories": [name, 1, 0, last, 0],
            "values": [name, 1, 1, last, 1],
        })  # fmt: skip
        chart.set_title({"name": t("dashboard.sheet.engineers", lang)})
        chart.set_legend({"none": True})
        ws.insert_chart(1, len(ENGINEER_COLUMNS) + 2, chart)
