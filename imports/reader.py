"""Open a spreadsheet safely and hand out its rows.

Every file is checked before a parser sees it: size limit, zip bombs (declared
uncompressed size and ratio) and the real cell extent of each sheet (calamine
allocates height × width cells, so one stray cell at XFD1048576 would abort the
process). Anything unreadable becomes one :class:`ReadError` with an i18n code.
"""

from __future__ import annotations

import codecs
import csv
import functools
import html
import io
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import python_calamine as pc

MB = 1024 * 1024
# a leading line feed too: "\n=cmd()" is a formula once a spreadsheet trims the cell
DANGEROUS = frozenset("=+-@\t\r\n\0")
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


def sparse_ratio() -> int:
    """A sheet whose extent exceeds this many times its cells is refused (0: never)."""
    return _env_int("AFTERSALES_SPARSE_RATIO", 1000)


MAX_RATIO = 200  # uncompressed / compressed, for members above 1 MB


class ReadError(Exception):
    """The file cannot be read; ``code`` is an i18n key, ``params`` its values."""

    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self, lang: str) -> str:
        # imported here: the sandboxed parser never shows a message (its start-up is
        # paid by every workbook import)
        from rules.i18n import t

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


_SHEET_BAD = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


def sheet_title(name: str | None, default: str = "rejected") -> str:
    """A name Excel accepts for a sheet (a CSV's file stem may hold ``[1]``)."""
    title = _SHEET_BAD.sub("_", name or "").strip("'")[:31].strip("'")
    if title.lower() == "history":  # reserved by Excel
        title = title[:30] + "_"
    return title or default


# ---------------------------------------------------------------- the guard
@dataclass
class SheetScan:
    rows: int = 0
    cols: int = 0
    cells: int = 0  # <c> tags present (a huge extent holding a few cells is refused)
    row: int = 0  # the last row seen, for rows without ``r`` in the next chunk
    col: int = 0  # the last cell's column, when a chunk ends inside a row
    wide_ref: str = ""
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (row0, col0) → #N/A


@dataclass
class Book:
    """An opened workbook or CSV file."""

    kind: str  # xlsx | xls | csv
    sheet_names: list[str]
    date1904: bool = False
    scans: dict[str, SheetScan] = field(default_factory=dict)
    _calamine: Any = None
    _remote: Any = None  # imports.sandbox.Child: the parser runs in a child process
    _csv_text: str | None = None
    _csv_delimiter: str = ","
    _loaded: tuple[str, Any] | None = None

    def rows(
        self, sheet: str, columns: Sequence[int] | None = None
    ) -> tuple[int, Iterator[list[Any]]]:
        """(Excel row number of the first row, iterator over rows as lists).

        ``columns``: the only positions the caller reads; others may come as None (rows
        from the sandbox then cross the pipe with just those cells)."""
        if sheet not in self.sheet_names:
            raise ReadError("imports.err.no_sheet", sheet=sheet)
        if self.kind == "csv":
            reader = csv.reader(io.StringIO(self._csv_text or ""), delimiter=self._csv_delimiter)
            return 1, iter(reader)
        if self._remote is not None:
            return self._remote.rows(sheet, columns)
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

    def remote_keys(
        self, sheet: str, header_pos: int, fields: Sequence[tuple[int, Any]], collect: bool
    ) -> Callable[[], tuple[dict[Any, list[int]], set[Any] | None]] | None:
        """:func:`imports.cells.file_keys` of ``sheet`` run in the sandbox beside the parsed
        sheet, for ``fields`` as (column position, field): asked for now, the returned
        function waits for the answer (the caller works meanwhile). None when the book is
        read in this process (the caller scans its rows)."""
        if self._remote is None or sheet not in self.sheet_names:
            return None
        return self._remote.later("keys", sheet, header_pos, list(fields), collect)

    def first_col(self, sheet: str) -> int:
        if self.kind == "csv":
            return 0
        if self._remote is not None:
            return self._remote.info(sheet)[1]
        start = self._sheet(sheet).start
        return start[1] if start else 0

    def height(self, sheet: str) -> int:
        if self.kind == "csv":
            return (self._csv_text or "").count("\n") + 1
        if self._remote is not None:
            return self._remote.info(sheet)[2]
        return self._sheet(sheet).height

    def close(self) -> None:
        if self._remote is not None:
            self._remote.close()
            self._remote = None
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


def open_local(source: bytes | Path, name: str) -> Book:
    """Check and open a workbook in this process: only ever called in the sandbox child."""
    if _head(source).startswith(ZIP_MAGIC):
        return _open_zip(source)
    return _open_calamine(source, "xls", False, {})


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
_WIDE_REF = re.compile(rb' r="([A-Z]{2,3})\d')
# literal prefix: the regex engine skims a 30 MB sheet for it in ~30 ms
_WIDE_HINT = re.compile(rb' r="[A-Z][A-Z]')
# the fast path reads canonical references only (` r="AB12"` on <c>, ` r="12"` on <row>);
# anything else in the chunk sends it through the slow, general path
_ODD_REF = re.compile(rb' r="(?![A-Z]{0,3}[1-9][0-9]{0,6}")')
_ODD = (b"r =", b":row", b":c")  # spaced attributes, prefixed tags
_ODD_WS = (b"r\t=", b"r\n=", b"r\r=", b"<c\t", b"<c\n", b"<c\r", b"<row\t", b"<row\n", b"<row\r")
_CELL_TAGS = (b"<c ", b"<c>", b"<c/>")
_ROW_TAGS = (b"<row ", b"<row>", b"<row/>")
# slow path: every <row>/<c> start tag (any prefix, any quoting) with its attributes
_TAG = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*/?>"
)
_TAG_ATTR = re.compile(rb"""([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_TAG_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:row|c)[\s/>]")
_CELL_REF = re.compile(r"([A-Za-z]+)([0-9]{1,9})")
_ROW_NUMBER = re.compile(r"[0-9]{1,9}")
MAX_COL = 16384  # XFD
SPARSE_MIN = 5_000_000  # extent (cells) from which a nearly empty sheet is refused
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
    """Real extent (every row and cell reference) and error cells of a worksheet, streamed."""
    scan = SheetScan()
    carry = b""
    with zf.open(part) as fh:
        while True:
            chunk = fh.read(4 * MB)
            data = carry + chunk
            # cut after a whole row; without one in sight, after a whole cell
            cut = data.rfind(b"</row>") + 6 if chunk else len(data)
            whole_rows = cut >= 6 or not chunk
            if not whole_rows:
                cut = max(data.rfind(b"</c>") + 4, data.rfind(b"/>") + 2, 0)
            body, carry = data[:cut], data[cut:]
            if body:
                _scan_body(body, scan, whole_rows)
                _check_extent(sheet, scan)
            if not chunk:
                break
    _check_extent(sheet, scan)
    extent, ratio = scan.rows * scan.cols, sparse_ratio()
    if ratio and extent > SPARSE_MIN and extent > ratio * max(scan.cells, 1):
        raise ReadError("imports.err.sparse", sheet=sheet, ref=_ref(scan), cells=scan.cells)
    return scan


def _ref(scan: SheetScan) -> str:
    return f"A1:{col_letters(max(min(scan.cols, MAX_COL), 1))}{scan.rows}"


def _check_extent(sheet: str, scan: SheetScan) -> None:
    if scan.cols > MAX_COL:
        raise ReadError("imports.err.wide", sheet=sheet, ref=scan.wide_ref)
    if scan.rows * max(scan.cols, 1) > max_cells():
        raise ReadError(
            "imports.err.dimension", sheet=sheet, ref=_ref(scan), cells=scan.rows * scan.cols
        )


def _scan_body(body: bytes, scan: SheetScan, whole_rows: bool = True) -> None:
    cells = sum(body.count(t) for t in _CELL_TAGS)
    tags = cells + sum(body.count(t) for t in _ROW_TAGS)
    refs = body.count(b' r="')
    if (
        tags != refs
        # r='…', x:r="…" (or merely an attribute like operator=)
        or body.count(b"r=") != refs + body.count(b"xmlns:r=")
        or not whole_rows
        or scan.col
        or any(odd in body for odd in _ODD)
        or (_has_ws(body) and any(odd in body for odd in _ODD_WS))
        or _ODD_REF.search(body)
    ):
        _scan_tags(body, scan, whole_rows)
    else:
        scan.cells += cells
        _scan_refs(body, scan, bool(cells))
    if b't="e"' in body:
        for m in _ERR_CELL.finditer(body):
            ref = _REF.search(m[1])
            if ref:
                row0, col0 = int(ref[2]) - 1, col_index(ref[1]) - 1
                scan.errors[(row0, col0)] = m[2].decode(errors="replace")


def _has_ws(body: bytes) -> bool:
    return b"\n" in body or b"\t" in body or b"\r" in body


@functools.lru_cache(maxsize=64)
def _at_least(n: int) -> re.Pattern[bytes]:
    """Cell references whose row number may exceed ``n`` (same first two digits or more)."""
    d = str(n)
    if len(d) < 2:
        return re.compile(rb' r="[A-Z]+([0-9]+)"')
    parts = [f"[0-9]{{{len(d) + 1},}}", f"{d[0]}[{d[1]}-9][0-9]{{{len(d) - 2}}}"]
    if d[0] != "9":
        parts.append(f"[{int(d[0]) + 1}-9][0-9]{{{len(d) - 1}}}")
    return re.compile(rb' r="[A-Z]+(' + "|".join(parts).encode() + rb')"')


def _scan_refs(body: bytes, scan: SheetScan, any_cell: bool) -> None:
    """Fast path: every tag carries a canonical reference (what Excel and our exports write)."""
    rows = _ROW_R.findall(body)
    if rows:
        scan.rows = max(scan.rows, max(map(int, rows)))
        scan.row = int(rows[-1])
    # a cell may name a row below every <row r>: look only at references that may
    longer = _at_least(scan.rows).findall(body)
    if longer:
        scan.rows = max(scan.rows, max(map(int, longer)))
    if any_cell:
        scan.cols = max(scan.cols, 26)  # one letter: at most Z
    if _WIDE_HINT.search(body):
        widest = max(set(_WIDE_REF.findall(body)), key=lambda c: (len(c), c))
        scan.cols = max(scan.cols, col_index(widest))


def _scan_tags(body: bytes, scan: SheetScan, whole_rows: bool) -> None:
    """Slow path: every <row>/<c> tag in order; without ``r`` one counts by position
    (a row is the previous row + 1, a cell the previous cell of its row + 1), as Excel does."""
    row, col = scan.row, scan.col
    found = 0
    for m in _TAG.finditer(body):
        found += 1
        ref = None
        for key, dq, sq in _TAG_ATTR.findall(m[2]):
            if key.rsplit(b":", 1)[-1] == b"r":
                ref = html.unescape((dq or sq).decode("utf-8", "replace")).strip()
        if m[1] == b"row":
            if ref is None:
                row += 1
            elif _ROW_NUMBER.fullmatch(ref):
                row = int(ref)
            else:
                raise ReadError("imports.err.corrupt")
            col = 0
            scan.rows = max(scan.rows, row)
            continue
        scan.cells += 1
        if ref is None:
            col += 1
            scan.rows = max(scan.rows, row, 1)
        else:
            cell = _CELL_REF.fullmatch(ref)
            if cell is None:
                raise ReadError("imports.err.corrupt")
            letters = cell[1].upper()
            if len(letters) > 3:
                scan.wide_ref = ref[:20]
                col = MAX_COL + 1
            else:
                col = col_index(letters)
            scan.rows = max(scan.rows, int(cell[2]))
        if col > scan.cols:
            scan.cols = col
            if col > MAX_COL:
                scan.wide_ref = scan.wide_ref or ref or col_letters(col)
    scan.row, scan.col = row, 0 if whole_rows else col
    if found != len(_TAG_START.findall(body)):  # a tag the pattern could not read
        raise ReadError("imports.err.corrupt")


# ---------------------------------------------------------------- csv
GB_FAMILY = frozenset({"gb18030", "gbk", "gb2312", "cp936", "hz"})
# how much more chaos than the detector's favourite GB18030 may show and still win: short
# Chinese files are often scored cp949 or cp932 by a hair, Shift-JIS ones by far
GB_MARGIN = 0.1
_NAMES = {"cp932": "Shift-JIS (cp932)", "shift_jis": "Shift-JIS", "cp949": "EUC-KR (cp949)"}


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) or GB18030; anything else is refused by name."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    import charset_normalizer  # CSV only: kept out of the sandboxed parser's start-up

    results = list(charset_normalizer.from_bytes(data[:65536]))
    best = results[0] if results else None
    gb = next((r for r in results if r.encoding in GB_FAMILY), None)
    if gb is not None and gb.chaos <= best.chaos + GB_MARGIN:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            pass
    if best is None:
        raise ReadError("imports.err.encoding")
    name = _NAMES.get(best.encoding, best.encoding.replace("_", "-").upper())
    raise ReadError("imports.err.encoding_guess", encoding=name)


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
