"""The complaint report (投诉报告) as a workbook: basics, process, result, cause analysis,
improvement measures. Text is written as text (no formula from what people typed)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import xlsxwriter

from rules.complaints import CAPA_KINDS, COMPLAINT_ACTIONS, COMPLAINTS
from rules.i18n import t


def _text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value)


def report_sections(d: Mapping[str, Any], lang: str) -> list[tuple[str, list[list[str]]]]:
    """The report's sections as rows of cells, in ``lang`` (also what the page prints)."""
    f = COMPLAINTS.field

    def line(name: str, value: Any = None) -> list[str]:
        fld = f(name)
        raw = d.get(name) if value is None else value
        shown = fld.option_label(raw, lang) if fld.options else _text(raw)
        return [fld.label(lang), shown]

    basics = [line("complaint_no"), line("customer", d.get("customer")),
              line("ticket", d.get("ticket_no")), line("complainant"), line("contact"),
              line("channel"), line("received_at"), line("category"), line("severity"),
              line("urgency"), line("priority"), line("content")]  # fmt: skip
    a = COMPLAINT_ACTIONS.field
    head = [a(n).label(lang) for n in ("line_no", "round", "kind", "description",
                                       "department", "responsible", "deadline", "status",
                                       "done_at")]  # fmt: skip
    process = [head] + [
        [_text(x["line_no"]), _text(x["round"]), a("kind").option_label(x["kind"], lang),
         _text(x["description"]), _text(x["department"]), _text(x["responsible"]),
         _text(x["deadline"]), a("status").option_label(x["status"], lang), _text(x["done_at"])]
        for x in d.get("actions", [])
    ] + [[_text(e["at"]), e["kind"], _text(e["channel"]), _text(e["person"]), _text(e["note"])]
         for e in d.get("events", [])]  # fmt: skip
    result = [line("status"), line("rounds"), line("result"), line("satisfied"),
              line("confirm_channel"), line("confirm_person"), line("confirm_at"),
              line("closed_at")]  # fmt: skip
    cause = [line("cause_category"), line("root_cause")]
    improve = [
        [a("kind").option_label(x["kind"], lang), _text(x["description"]),
         a("status").option_label(x["status"], lang)]
        for x in d.get("actions", []) if x["kind"] in CAPA_KINDS
    ] + [line("capa_criterion"), line("capa_verify_by"), line("capa_status"),
         line("capa_verifier", d.get("capa_verifier")), line("capa_verified_at"),
         line("capa_result")]  # fmt: skip
    return [
        (t("complaints.report.basics", lang), basics),
        (t("complaints.report.process", lang), process),
        (t("complaints.report.result", lang), result),
        (t("complaints.report.cause", lang), cause),
        (t("complaints.report.improve", lang), improve),
    ]


def report_bytes(d: Mapping[str, Any], lang: str) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False})
    ws = wb.add_worksheet(str(d["complaint_no"])[:31])
    bold = wb.add_format({"bold": True, "font_size": 12})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    ws.set_column(0, 0, 18)
    ws.set_column(1, 8, 24)
    ws.write_string(0, 0, t("complaints.title", lang) + " " + str(d["complaint_no"]), bold)
    r = 2
    for title, rows in report_sections(d, lang):
        ws.write_string(r, 0, title, bold)
        r += 1
        for cells in rows:
            for c, value in enumerate(cells):
                ws.write_string(r, c, value, wrap)
            r += 1
        r += 1
    wb.close()
    return buf.getvalue()
