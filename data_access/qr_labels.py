"""A printable sheet of scan-to-report QR labels (PNG, A4 at 150 dpi) for a customer's
devices: the QR of each device's link, its model, serial and site.

QR codes by ``segno`` (maintained, pure Python, no dependencies); the sheet is drawn
with Pillow (which Streamlit already depends on). Chinese captions use a CJK font when
the machine has one (``fonts-wqy-microhei`` or Noto CJK), else the English caption.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from data_access.public_intake import Label

COLS, ROWS = 3, 4  # labels per A4 page
PAGE = (1240, 1754)  # A4 at 150 dpi
CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)


def link(base_url: str, token: str) -> str:
    """The device's public link: the app's address with ``?r=<token>``."""
    return f"{base_url.rstrip('/')}/?r={quote(token, safe='')}"


def _font(size: int):
    from PIL import ImageFont

    for path in CJK_FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size), True
    return ImageFont.load_default(size), False


def sheet_png(labels: Sequence[Label], base_url: str) -> list[bytes]:
    """One PNG per page of labels (an empty list for no labels)."""
    import segno
    from PIL import Image, ImageDraw

    font, cjk = _font(22)
    small, _ = _font(18)
    caption = "扫码报修 Scan to report" if cjk else "Scan to report"
    cell_w, cell_h = PAGE[0] // COLS, PAGE[1] // ROWS
    pages: list[bytes] = []
    for start in range(0, len(labels), COLS * ROWS):
        page = Image.new("RGB", PAGE, "white")
        draw = ImageDraw.Draw(page)
        for i, label in enumerate(labels[start : start + COLS * ROWS]):
            x, y = (i % COLS) * cell_w, (i // COLS) * cell_h
            draw.rectangle([x + 8, y + 8, x + cell_w - 8, y + cell_h - 8], outline="#999999")
            buf = io.BytesIO()
            segno.make(link(base_url, label.token), error="m").save(
                buf, kind="png", scale=8, border=2
            )
            qr = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
            qr = qr.resize((cell_w - 120, cell_w - 120), Image.NEAREST)
            page.paste(qr, (x + 60, y + 24))
            ty = y + 24 + qr.height + 6
            for text, f in ((caption, font), (label.model or "", small),
                            (f"SN {label.serial_no}", small), ((label.location or "")[:24], small)):  # fmt: skip
                if not text or (not cjk and not text.isascii()):
                    continue
                draw.text((x + 24, ty), text, fill="black", font=f)
                ty += 26
        out = io.BytesIO()
        page.save(out, format="PNG", optimize=True)
        pages.append(out.getvalue())
    return pages
