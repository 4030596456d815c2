"""Open a spreadsheet safely and hand out its rows.

Every file is checked before a parser sees it: size limit, zip bombs (declared
uncompressed size and ratio) and the real cell extent of each sheet (calamine
allocates height × width cells, so one stray cell at XFD1048576 would abort the
process). Anything unreadable becomes one :class:`ReadError` with an i18n code.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import python_calamine as pc

from rules.i18n import t

MB = 1024 * 1024
DANGEROUS = frozenset("=+-@\t\r\0")
EXCEL_ERRORS = frozenset(
    {"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}
)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, "") or default)
    except ValueError:
        return default


def max_upload_mb() -> int:
    return _env_int("AFTERSALES_MAX_UPLOAD_MB", 50)


def max_unzipped_mb() -> int:
    return _env_int("AFTERSALES_MAX_UNZIPPED_MB", 2048)


def max_cells() -> int:
    return _env_int("AFTERSALES_MAX_CELLS", 50_000_000)


MAX_RATIO = 200  # uncompressed / compressed, for members above 1 MB


class ReadError(Exception):
    """The file cannot be read; ``code`` is an i18n key, ``params`` its values."""

    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self, lang: str) -> str:
        return t(self.code, lang, **self.params)


# ---------------------------------------------------------------- formula injection
def escape_text(s: str) -> str:
    """Text that a spreadsheet would evaluate gets a leading ``'`` (CWE-1236)."""
    if not s:
        return s
    first = s[0]
    if first in DANGEROUS:
        return "'" + s
    if first == "'":
        rest = s.lstrip("'")[:1]
        if rest and rest in DANGEROUS:
            return "'" + s
    return s


def unescape_text(s: str) -> str:
    """Undo :func:`escape_text` (only a quote that guards a dangerous first character)."""
    if len(s) > 1 and s[0] == "'":
        rest = s[1:].lstrip("'")[:1]
        if rest and rest in DANGEROUS:
            return s[1:]
    return s


# ---------------------------------------------------------------- the guard
@dataclass
class SheetScan:
    rows: int = 0
    cols: int = 0
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (row0, col0) → #N/A


@dataclass
class Book:
    """An opened workbook or CSV file."""

    kind: str  # xlsx | xls | csv
    sheet_names: list[str]
    date1904: bool = False
    scans: dict[str, SheetScan] = field(default_factory=dict)
    _calamine: Any = None
    _csv_text: str | None = None
    _csv_delimiter: str = ","
    _loaded: tuple[str, Any] | None = None

    def rows(self, sheet: str) -> tuple[int, Iterator[list[Any]]]:
        """(Excel row number of the first row, iterator over rows as lists)."""
        if sheet not in self.sheet_names:
            raise ReadError("imports.err.no_sheet", sheet=sheet)
        if self.kind == "csv":
            reader = csv.reader(io.StringIO(self._csv_text or ""), delimiter=self._csv_delimiter)
            return 1, iter(reader)
        ws = self._sheet(sheet)
        start = ws.start
        return (start[0] + 1 if start else 1), ws.iter_rows()

    def _sheet(self, sheet: str) -> Any:
        """The loaded sheet (calamine parses a whole sheet per call: do it once)."""
        if self._loaded is None or self._loaded[0] != sheet:
            self._loaded = None  # free the previous sheet first
            try:
                self._loaded = (sheet, self._calamine.get_sheet_by_name(sheet))
            except pc.CalamineError as exc:
                raise _calamine_error(exc) from None
        return self._loaded[1]

    def first_col(self, sheet: str) -> int:
        if self.kind == "csv":
            return 0
        start = self._sheet(sheet).start
        return start[1] if start else 0

    def height(self, sheet: str) -> int:
        if self.kind == "csv":
            return (self._csv_text or "").count("\n") + 1
        return self._sheet(sheet).height

    def close(self) -> None:
        self._loaded = None
        if self._calamine is not None:
            self._calamine.close()
            self._calamine = None


def _size(source: bytes | Path) -> int:
    return len(source) if isinstance(source, bytes) else Path(source).stat().st_size


def _head(source: bytes | Path, n: int = 65536) -> bytes:
    if isinstance(source, bytes):
        return source[:n]
    with open(source, "rb") as fh:
        return fh.read(n)


def open_book(source: bytes | Path, name: str) -> Book:
    """Check then open ``source`` (bytes of an upload, or a path). Raises ReadError."""
    size = _size(source)
    limit = max_upload_mb()
    if size > limit * MB:
        raise ReadError("imports.err.too_large", size=round(size / MB, 1), limit=limit)
    head = _head(source)
    suffix = Path(name).suffix.lower()
    if head.startswith(ZIP_MAGIC):
        return _open_zip(source)
    if head.startswith(OLE_MAGIC):
        if ENCRYPTED_STREAM in _head(source, 1 << 20):
            raise ReadError("imports.err.password")
        return _open_calamine(source, "xls", False, {})
    if suffix in (".xlsx", ".xlsm", ".xls") or b"\0" in head[:4096]:
        raise ReadError("imports.err.not_excel")
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    return _open_csv(data, Path(name).stem or "csv")


def _calamine_error(exc: Exception) -> ReadError:
    if isinstance(exc, pc.PasswordError):
        return ReadError("imports.err.password")
    return ReadError("imports.err.corrupt")


def _open_calamine(source: bytes | Path, kind: str, date1904: bool, scans: dict) -> Book:
    try:
        if isinstance(source, bytes):
            wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(source))
        else:
            wb = pc.CalamineWorkbook.from_path(str(source))
        names = list(wb.sheet_names)
    except pc.CalamineError as exc:
        raise _calamine_error(exc) from None
    except (OSError, ValueError):
        raise ReadError("imports.err.corrupt") from None
    return Book(kind, names, date1904, scans, _calamine=wb)


# ---------------------------------------------------------------- xlsx checks
_SHEET_TAG = re.compile(rb'<sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"')
_SHEET_TAG_REV = re.compile(rb'<sheet\b[^>]*?\br:id="([^"]*)"[^>]*?\bname="([^"]*)"')
_REL_TAG = re.compile(rb"<Relationship\b[^>]*>")
_ATTR = re.compile(rb'\b(Id|Target)="([^"]*)"')
_DATE1904 = re.compile(rb'\bdate1904="(1|true)"')
_ROW_R = re.compile(rb'<row\b[^>]*?\br="(\d+)"')
_WIDE_REF = re.compile(rb'\br="([A-Z]{2,3})\d+"')
# literal prefix: the regex engine skims a 30 MB sheet for it in ~30 ms, where the
# \b pattern above takes ~0.5 s; most sheets (≤ 26 columns) never need the slow one
_WIDE_HINT = re.compile(rb'r="[A-Z][A-Z]')
_ERR_CELL = re.compile(
    rb'<c\b([^>]*\bt="e"[^>]*)>(?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)?<v>([^<]*)</v>'
)
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')


def col_index(letters: bytes | str) -> int:
    """``"A"`` → 1, ``"XFD"`` → 16384."""
    n = 0
    for ch in letters if isinstance(letters, str) else letters.decode():
        n = n * 26 + ord(ch) - 64
    return n


def col_letters(index: int) -> str:
    """1 → ``"A"``."""
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _open_zip(source: bytes | Path) -> Book:
    try:
        zf = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (zipfile.BadZipFile, OSError):
        raise ReadError("imports.err.corrupt") from None
    with zf:
        names = set(zf.namelist())
        if "xl/workbook.xml" not in names:
            raise ReadError("imports.err.not_excel")
        _check_bomb(zf)
        try:
            workbook = zf.read("xl/workbook.xml")
            sheets = _sheet_parts(zf, workbook)
            scans = {}
            for sheet, part in sheets.items():
                if part in names:
                    scans[sheet] = _scan_sheet(zf, part, sheet)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
            raise ReadError("imports.err.corrupt") from None
        date1904 = bool(_DATE1904.search(workbook))
    return _open_calamine(source, "xlsx", date1904, scans)


def _check_bomb(zf: zipfile.ZipFile) -> None:
    total = 0
    for info in zf.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MB and ratio > MAX_RATIO:
            raise ReadError("imports.err.bomb", detail=f"{info.filename} ×{ratio:.0f}")
    if total > max_unzipped_mb() * MB:
        raise ReadError("imports.err.bomb", detail=f"{total // MB} MB")


def _sheet_parts(zf: zipfile.ZipFile, workbook: bytes) -> dict[str, str]:
    """Sheet name → worksheet part path, from workbook.xml and its relationships."""
    rels: dict[str, str] = {}
    try:
        rel_xml = zf.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        rel_xml = b""
    for tag in _REL_TAG.findall(rel_xml):
        attrs = dict(_ATTR.findall(tag))
        target = attrs.get(b"Target", b"").decode()
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        rels[attrs.get(b"Id", b"").decode()] = target
    out: dict[str, str] = {}
    pairs = [(n, r) for n, r in _SHEET_TAG.findall(workbook)]
    pairs += [(n, r) for r, n in _SHEET_TAG_REV.findall(workbook)]
    for raw_name, rid in pairs:
        name = _unxml(raw_name.decode())
        out.setdefault(name, rels.get(rid.decode(), ""))
    return out


def _unxml(s: str) -> str:
    return (
        s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


def _scan_sheet(zf: zipfile.ZipFile, part: str, sheet: str) -> SheetScan:
    """Real extent (last row, widest column) and error cells of one worksheet, streamed."""
    scan = SheetScan()
    carry = b""
    limit = max_cells()
    with zf.open(part) as fh:
        while True:
            chunk = fh.read(4 * MB)
            data = carry + chunk
            cut = data.rfind(b"</row>") + 6 if chunk else len(data)
            if cut < 6:
                cut = 0 if chunk else len(data)
            body, carry = data[:cut], data[cut:]
            if body:
                _scan_body(body, scan)
                if scan.rows * max(scan.cols, 1) > limit:
                    raise _too_big(sheet, scan)
            if not chunk:
                break
    if scan.rows * max(scan.cols, 1) > limit:
        raise _too_big(sheet, scan)
    return scan


def _too_big(sheet: str, scan: SheetScan) -> ReadError:
    ref = f"A1:{col_letters(max(scan.cols, 1))}{scan.rows}"
    return ReadError("imports.err.dimension", sheet=sheet, ref=ref, cells=scan.rows * scan.cols)


def _scan_body(body: bytes, scan: SheetScan) -> None:
    last = body.rfind(b"<row ")
    if last >= 0:
        m = _ROW_R.match(body, last)
        if m:
            scan.rows = max(scan.rows, int(m[1]))
    scan.cols = max(scan.cols, 26 if b"<c " in body else 0)
    if _WIDE_HINT.search(body):
        for m in _WIDE_REF.finditer(body):
            scan.cols = max(scan.cols, col_index(m[1]))
    if b't="e"' in body:
        for m in _ERR_CELL.finditer(body):
            ref = _REF.search(m[1])
            if ref:
                row0, col0 = int(ref[2]) - 1, col_index(ref[1]) - 1
                scan.errors[(row0, col0)] = m[2].decode(errors="replace")


# ---------------------------------------------------------------- csv
def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ReadError("imports.err.encoding") from None


def sniff_delimiter(text: str) -> str:
    """The candidate that splits the first lines into the most, most regular columns."""
    sample = text[:65536].splitlines()[:30]
    best, best_score = ",", -1.0
    for delim in (",", ";", "\t"):
        widths = [len(r) for r in csv.reader(sample, delimiter=delim) if any(r)]
        if not widths:
            continue
        common = max(set(widths), key=widths.count)
        if common < 2:
            continue
        score = common * widths.count(common) / len(widths)
        if score > best_score:
            best, best_score = delim, score
    return best


def _open_csv(data: bytes, stem: str) -> Book:
    try:
        text = _decode(data)
    except UnicodeDecodeError:
        raise ReadError("imports.err.encoding") from None
    return Book("csv", [stem], False, {}, _csv_text=text, _csv_delimiter=sniff_delimiter(text))
