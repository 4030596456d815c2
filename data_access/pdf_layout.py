"""The one look of every printed document: a header (company name, title, number), key-value
blocks, line tables that break across pages with their heading row repeated, totals,
signature lines and a footer with "page x/y" and the time it was printed.

Drawn with fpdf2 (maintained, pure Python, embeds a subset of a TrueType/TTC font).
Chinese needs a CJK font: :func:`find_font` looks at ``PDF_FONT``, a short list of
known paths and ``fc-match``; with none, :class:`FontMissing` names the package to
install. The texts come in already translated: this module knows no language.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

FONT_ENV = "PDF_FONT"
FONT_PACKAGE = "fonts-wqy-microhei"  # Debian/Ubuntu: apt-get install fonts-wqy-microhei
KNOWN_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
)
FONT_SUFFIXES = (".ttf", ".ttc", ".otf")
FAMILY = "cjk"
BASE_PT = 9.5
TABLE_PT = 8
LINE_MM = 5
TABLE_LINE_MM = 4.4
GREY = (235, 235, 235)


class FontMissing(LookupError):
    """No CJK font on this machine (or ``PDF_FONT`` names a file that is not one)."""

    def __init__(self, tried: str | None = None):
        super().__init__(tried or FONT_PACKAGE)
        self.tried = tried
        self.package = FONT_PACKAGE


def _fc_match() -> str | None:
    """The file fontconfig picks for Chinese, when fontconfig is installed."""
    if shutil.which("fc-match") is None:
        return None
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}", ":lang=zh-cn"],
            capture_output=True, text=True, timeout=5, check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    path = out.stdout.strip()
    # without a CJK font fontconfig still answers, with a Latin one: accept known CJK names
    looks_cjk = any(k in path.lower() for k in ("wqy", "cjk", "hei", "song", "ming", "han"))
    return path if path and looks_cjk and path.lower().endswith(FONT_SUFFIXES) else None


def find_font() -> str:
    """The CJK font file to embed: ``PDF_FONT``, else a known path, else ``fc-match``."""
    chosen = os.environ.get(FONT_ENV, "").strip()
    if chosen:
        if Path(chosen).is_file() and chosen.lower().endswith(FONT_SUFFIXES):
            return chosen
        raise FontMissing(chosen)
    for path in KNOWN_FONTS:
        if Path(path).is_file():
            return path
    found = _fc_match()
    if found and Path(found).is_file():
        return found
    raise FontMissing()


@dataclass(frozen=True)
class Column:
    label: str
    width: float  # a share of the page width
    align: str = "LEFT"  # LEFT | RIGHT | CENTER


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class Sheet:
    """One document being drawn. Every text passed in is shown as is (already translated)."""

    def __init__(
        self,
        *,
        title: str,
        number: str,
        company: str | None,
        printed: str,
        page_label: str,
        font: str | None = None,
    ):
        from fpdf import FPDF

        font = font or find_font()
        pdf = FPDF(orientation="P", unit="mm", format="A4")
        pdf.set_margins(15, 15, 15)
        pdf.set_auto_page_break(True, margin=18)
        try:
            pdf.add_font(FAMILY, "", font)
        except Exception as exc:  # fpdf2 raises several types for a file that is no font
            raise FontMissing(font) from exc
        pdf.set_title(f"{title} {number}")
        pdf.set_creator("Aftersales Desk")
        pdf.footer = self._footer  # type: ignore[method-assign]
        self.pdf = pdf
        self._printed = printed
        self._page_label = page_label
        pdf.add_page()
        pdf.set_font(FAMILY, size=BASE_PT)
        if company:
            pdf.set_font_size(10)
            pdf.cell(0, 6, company, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font_size(16)
        pdf.cell(0, 10, title, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font_size(BASE_PT)
        pdf.cell(0, 6, number, align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def _footer(self) -> None:
        pdf = self.pdf
        pdf.set_y(-13)
        pdf.set_font(FAMILY, size=8)
        pdf.set_text_color(90)
        pdf.cell(0, 5, self._printed, align="L")
        pdf.set_x(pdf.l_margin)
        pdf.cell(0, 5, f"{self._page_label} {pdf.page_no()}/{{nb}}", align="R")
        pdf.set_text_color(0)
        pdf.set_font_size(BASE_PT)

    # ------------------------------------------------------------ blocks
    def heading(self, text: str) -> None:
        pdf = self.pdf
        pdf.ln(2)
        pdf.set_font_size(11.5)
        pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(120)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.set_font_size(BASE_PT)
        pdf.ln(1)

    def fields(self, pairs: Sequence[tuple[str, object]], columns: int = 2) -> None:
        """Label–value pairs, ``columns`` pairs a row; a long value wraps in its cell."""
        from fpdf.fonts import FontFace

        rows = []
        for i in range(0, len(pairs), columns):
            row: list[str] = []
            for label, value in pairs[i : i + columns]:
                row += [label, _text(value)]
            row += [""] * (2 * columns - len(row))
            rows.append(row)
        if not rows:
            return
        widths = (1, 2) * columns
        with self.pdf.table(
            col_widths=widths,
            first_row_as_headings=False,
            line_height=LINE_MM,
            text_align="LEFT",
            borders_layout="HORIZONTAL_LINES",
            padding=(1, 1.5),
        ) as table:
            label_style = FontFace(fill_color=GREY)
            for cells in rows:
                r = table.row()
                for j, text in enumerate(cells):
                    r.cell(text, style=label_style if j % 2 == 0 else None)

    def paragraph(self, label: str, text: object) -> None:
        """A labelled block of free text (work done, root cause …)."""
        self.fields([(label, text)], columns=1)

    def table(self, columns: Sequence[Column], rows: Sequence[Sequence[object]]) -> None:
        """A lines table: its heading row repeats on every page it spans."""
        from fpdf.fonts import FontFace

        head = FontFace(emphasis="", fill_color=GREY)
        self.pdf.set_font_size(TABLE_PT)
        with self.pdf.table(
            col_widths=tuple(c.width for c in columns),
            text_align=tuple(c.align for c in columns),
            headings_style=head,
            line_height=TABLE_LINE_MM,
            padding=(0.8, 1.2),
            repeat_headings=1,
        ) as table:
            heading = table.row()
            for c in columns:
                heading.cell(c.label)
            for values in rows:
                r = table.row()
                for v in values:
                    r.cell(_text(v))
        self.pdf.set_font_size(BASE_PT)
        self.pdf.ln(1)

    def totals(self, pairs: Sequence[tuple[str, object]]) -> None:
        """Right-aligned label: amount rows under a table."""
        pdf = self.pdf
        width = pdf.w - pdf.l_margin - pdf.r_margin
        for label, value in pairs:
            pdf.cell(width * 0.75, LINE_MM + 0.5, label, align="R")
            pdf.cell(width * 0.25, LINE_MM + 0.5, _text(value), align="R", border="B",
                     new_x="LMARGIN", new_y="NEXT")  # fmt: skip
        pdf.ln(1)

    def note(self, text: str) -> None:
        pdf = self.pdf
        pdf.set_font_size(8.5)
        pdf.multi_cell(0, 4.5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font_size(BASE_PT)

    def signatures(self, labels: Sequence[str], date_label: str) -> None:
        """One signature line and a date line per signer, side by side; never split
        across a page break."""
        pdf = self.pdf
        if pdf.get_y() + 28 > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.ln(6)
        width = (pdf.w - pdf.l_margin - pdf.r_margin) / max(1, len(labels))
        y = pdf.get_y()
        for i, label in enumerate(labels):
            x = pdf.l_margin + i * width
            pdf.set_xy(x, y)
            pdf.cell(width - 6, 6, label)
            pdf.line(x, y + 12, x + width - 8, y + 12)
            pdf.set_xy(x, y + 13)
            pdf.cell(width - 6, 6, date_label)
            pdf.line(x + 12, y + 18.5, x + width - 8, y + 18.5)
        pdf.set_xy(pdf.l_margin, y + 22)

    def output(self) -> bytes:
        return bytes(self.pdf.output())
