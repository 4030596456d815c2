"""The stock-take count sheet (盘点表): exported with the book quantity frozen at the
snapshot, read back with the counted column filled in (blank = not counted).

Every row carries the take number, so a sheet of another take is refused row by row;
the book column is checked against the stored book on import (an edited book is
refused). The data layer (:mod:`data_access.stocktake`) records the counts.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import xlsxwriter
from sqlalchemy.orm import Session

from data_access.errors import InvalidInput
from data_access.stocktake import Count, take_lines
from rules.access import Acting
from rules.fields import Problem, normalize_label

COLUMNS = ("take_no", "warehouse", "part_no", "name", "book", "counted")
HEADERS = {
    "take_no": ("盘点单号", "Stock-take no."),
    "warehouse": ("仓库", "Warehouse"),
    "part_no": ("配件编号", "Part no."),
    "name": ("配件名称", "Name"),
    "book": ("账面数量", "Book qty"),
    "counted": ("实盘数量", "Counted qty"),
}


def header(name: str, lang: str) -> str:
    zh, en = HEADERS[name]
    return zh if lang == "zh" else en


def count_sheet_bytes(session: Session, take_no: str, *, actor: Acting, lang: str) -> bytes:
    """The count sheet of ``take_no``: one row per line, the book column locked."""
    rows = take_lines(session, take_no, actor)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"strings_to_formulas": False, "strings_to_numbers": False})
    try:
        ws = wb.add_worksheet(take_no[:31])
        locked = wb.add_format({"locked": True, "bg_color": "#EEEEEE"})
        head = wb.add_format({"bold": True, "locked": True})
        free = wb.add_format({"locked": False})
        ws.write_row(0, 0, [header(c, lang) for c in COLUMNS], head)
        for r, line in enumerate(rows, start=1):
            ws.write_string(r, 0, take_no, locked)
            ws.write_string(r, 1, line["warehouse"], locked)
            ws.write_string(r, 2, line["part_no"], locked)
            ws.write_string(r, 3, line["name"] or "", locked)
            ws.write_number(r, 4, line["book_qty"], locked)
            if line["counted_qty"] is None:
                ws.write_blank(r, 5, None, free)
            else:
                ws.write_number(r, 5, line["counted_qty"], free)
        ws.set_column(0, 3, 16)
        ws.set_column(4, 5, 12)
        ws.freeze_panes(1, 0)
        ws.protect("", {"autofilter": True, "sort": True})  # the book stays as frozen
    finally:
        wb.close()
    return buf.getvalue()


def read_counts(source: bytes | Path) -> tuple[str, list[Count]]:
    """(sheet name, rows) of a count sheet; columns found by header in either language."""
    data = source.read_bytes() if isinstance(source, Path) else source
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        first = next(it, ())
        labels = {normalize_label(v): i for i, v in enumerate(first) if v is not None}
        pos: dict[str, int] = {}
        for name, pair in HEADERS.items():
            for text in (*pair, name):
                if normalize_label(text) in labels:
                    pos[name] = labels[normalize_label(text)]
                    break
        missing = [
            n for n in ("take_no", "warehouse", "part_no", "book", "counted") if n not in pos
        ]
        if missing:
            raise InvalidInput([Problem(missing[0], "imports.missing_column",
                                        {"field": ", ".join(missing)}, 1, None, ws.title)])  # fmt: skip
        out = []
        for r, cells in enumerate(it, start=2):

            def cell(name: str, cells=cells) -> Any:
                i = pos.get(name)
                return cells[i] if i is not None and i < len(cells) else None

            if all(v is None for v in cells):
                continue
            take = cell("take_no")
            out.append(Count(r, None if take is None else str(take).strip(),
                             _text(cell("warehouse")), _text(cell("part_no")),
                             cell("book"), cell("counted")))  # fmt: skip
        return ws.title, out
    finally:
        wb.close()


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip() or None
