"""Import a register from a spreadsheet: read → map headers → validate → preview → write.

Driven entirely by the register's field specs and its adapter in
``data_access.registers``; a new register needs no code here. Rows stream through in
chunks (validate, resolve references, look up existing keys, write with one
executemany) so a million-row sheet never exists as a million dicts at once; only
calamine's parsed sheet and the set of keys (for duplicates) span the whole file.

Where the time goes, per row: one coercer per column chosen from the field kind
(typed cells pass straight through, text dates are parsed once per distinct value),
no problem objects unless something is wrong, references resolved once per distinct
value, no lookup of existing rows when the table starts empty, and on SQLite the
insert goes to the driver as tuples with undo records made by one INSERT … SELECT.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain, islice
from pathlib import Path
from typing import Any

from sqlalchemy import (
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data_access import db
from data_access.batches import (
    UndoError,
    UndoResult,
    close_batch,
    last_batch,
    start_batch,
)
from data_access.batches import undo_last_import as _undo_last_import
from data_access.errors import NotAllowed
from data_access.models import User
from data_access.registers import (
    Adapter,
    ConflictError,
    NewRows,
    RefResolver,
    adapter,
    audit,
    changed_columns,
    complete_row,
    fetch_by_keys,
)
from data_access.writes import Writer
from imports.books import open_book
from imports.mapping import (
    HEADER_SCAN_ROWS,
    Header,
    find_header,
    header_index,
    map_header,
    mapping_key,
    remember_mapping,
    remembered_mapping,
)
from imports.reader import (
    EXCEL_ERRORS,
    Book,
    ReadError,
    unescape_text,
)
from imports.report import (
    ImportProblem,
    ImportReport,
    RejectedRow,
    conflict_what,
    field_label,
    labelled,
    register_label,
)
from rules.access import Acting, may_import
from rules.fields import (
    Field,
    Kind,
    Problem,
    ValueProblem,
    clean_text,
    normalize_label,
    parse_date,
    parse_value,
)

CHUNK = 5000
SAMPLE_SIZE = 20
MEMO_LIMIT = 50_000

Progress = Callable[[int, int], None]


# ---------------------------------------------------------------- cell coercion
Coercer = Callable[[Any], Any]


def _cell_error(value: Any) -> None:
    raise ValueProblem("imports.cell_error", value=value)


def make_coercer(f: Field, date1904: bool) -> Coercer:
    """A fast path per field kind; anything unusual falls back to ``parse_value``.

    Blank cells (None, "", spaces) give None; a cell holding an Excel error text
    (``#N/A`` …) raises ``imports.cell_error``.
    """
    if f.kind in (Kind.TEXT, Kind.LONGTEXT, Kind.REF):
        max_len = f.max_len

        def text(v: Any) -> str | None:
            if v.__class__ is str:
                if not v:
                    return None
                s = v.strip()
                if not s:
                    return None
                if "\0" in s:  # PostgreSQL refuses it, SQLite would keep it
                    raise ValueProblem("imports.err.nul")
                first = s[0]
                if first == "'":
                    s = unescape_text(s)
                elif first == "#" and v in EXCEL_ERRORS:
                    _cell_error(v)
            else:
                s = clean_text(v)
                if s is None:
                    return None
            if max_len and len(s) > max_len:
                raise ValueProblem("err.too_long", max=max_len)
            return s

        return text
    memo: dict[Any, Any] = {}

    def slow(v: Any) -> Any:
        if isinstance(v, str):
            if v in EXCEL_ERRORS:
                _cell_error(v)
            v = v.strip()
            if v[:1] == "'":
                v = unescape_text(v)
        try:
            return memo[v]
        except KeyError:
            pass
        except TypeError:  # unhashable: never memoised
            return parse_value(f, v, date1904)
        value = parse_value(f, v, date1904) if f.kind is not Kind.DATE else parse_date(v, date1904)
        if len(memo) > MEMO_LIMIT:
            memo.clear()
        memo[v] = value
        return value

    if f.kind is Kind.DATE:

        def date(v: Any) -> dt.date | None:
            cls = v.__class__
            if cls is dt.date:
                return v
            if cls is dt.datetime:
                return v.date()
            if v is None or v == "":
                return None
            return slow(v)

        return date
    if f.kind is Kind.DATETIME:
        # a real Excel datetime cell: nearly every one is distinct, so the memo only costs

        def moment(v: Any) -> dt.datetime | None:
            if v.__class__ is dt.datetime:
                if v.microsecond or v.tzinfo is not None:
                    return v.replace(microsecond=0, tzinfo=None)
                return v
            if v is None or v == "":
                return None
            return slow(v)

        return moment
    return lambda v: None if v is None or v == "" else slow(v)


# ---------------------------------------------------------------- the import
@dataclass
class _Ctx:
    session: Session
    ad: Adapter
    report: ImportReport
    header: Header
    sheet: str
    cols: list[tuple[int, str, Coercer]]  # column position, field, coercer
    width: int  # cells a row must have to reach every mapped column
    error_cells: dict[int, dict[int, str]]  # Excel row → column position → error text
    duplicates: dict[Any, list[int]]
    resolver: RefResolver
    new_rows: NewRows
    table_empty: bool  # nothing to update: skip looking up existing rows
    write: bool
    now: dt.datetime
    user_id: int | None
    batch_id: int | None = None
    writer: Writer | None = None
    # derived from the header: field → position / user's column text / label
    positions: dict[str, int] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    required: list[str] = field(default_factory=list)
    example: dict[str, Any] = field(default_factory=dict)
    # totals-looking rows not yet followed by data: skipped if nothing follows them
    totals: list[_Row] = field(default_factory=list)
    # a register the desk numbers: the file's typed keys, and the free numbers
    typed: set[Any] = field(default_factory=set)
    numbers: Iterator[str] | None = None

    def __post_init__(self) -> None:
        header, reg = self.header, self.ad.register
        self.positions = {name: i for i, name in header.mapping.items()}
        self.columns = {name: header.texts[i] for i, name in header.mapping.items()}
        self.required = [f.name for f in reg.input_fields if f.required]
        self.example = _example(reg, self.positions)


def _example(reg, mapped: dict[str, int]) -> dict[str, Any]:
    """The template's example row as clean values of the mapped fields (empty when the
    key column has no example: nothing to recognise it by)."""
    key = reg.field(reg.key)
    if key.example is None or reg.key not in mapped:
        return {}
    out: dict[str, Any] = {}
    for f in reg.input_fields:
        if f.example is None or f.name not in mapped:
            continue
        try:
            out[f.name] = parse_value(f, f.example)
        except ValueProblem:
            continue
    return out


def sha256_of(source: bytes | Path) -> str:
    h = hashlib.sha256()
    if isinstance(source, bytes):
        h.update(source)
    else:
        with open(source, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def list_sheets(source: bytes | Path, name: str) -> list[str]:
    book = open_book(source, name)
    try:
        return book.sheet_names
    finally:
        book.close()


def read_header(
    session: Session,
    register: str,
    source: bytes | Path,
    *,
    file_name: str,
    sheet: str | None = None,
    mapping: dict[str, str | None] | None = None,
) -> Header | None:
    """The header row and its mapping (for the page's mapping editor)."""
    ad = adapter(register)
    book = open_book(source, file_name)
    try:
        sheet = sheet or book.sheet_names[0]
        first, rows = book.rows(sheet)
        head = [list(r) for _, r in zip(range(HEADER_SCAN_ROWS), rows, strict=False)]
        return _header_of(session, ad, head, first, mapping, book.first_col(sheet))
    finally:
        book.close()


def _header_of(
    session: Session,
    ad: Adapter,
    head: list[list[Any]],
    first: int,
    mapping: dict | None,
    first_col: int = 0,
) -> Header | None:
    remembered = remembered_mapping(session, ad.name)
    known = {**header_index(ad), **remembered}
    known.update({normalize_label(h): (f or "") for h, f in (mapping or {}).items()})
    found = find_header(ad, head, first, known)
    if found is None:
        return None
    pos = found[0]
    return map_header(
        ad, head[pos], first + pos, remembered=remembered, override=mapping, first_col=first_col
    )


def import_file(
    session: Session,
    register: str,
    source: bytes | Path,
    *,
    file_name: str,
    now: dt.datetime,
    sheet: str | None = None,
    mapping: dict[str, str | None] | None = None,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    actor: Acting,
    on_progress: Progress | None = None,
) -> ImportReport:
    """Validate (and unless ``dry_run``, write) one sheet. Raises ReadError.

    All-or-nothing unless ``skip_bad_rows``: with any problem nothing is written
    (a savepoint is rolled back) and the report lists every problem. The caller owns
    the transaction. :class:`NotAllowed` (before the file is read) unless ``actor`` may
    import this register.
    """
    ad = adapter(register)
    _require_import(actor, register)
    user_id = actor.id
    report = ImportReport(register, file_name, dry_run=dry_run, skip_bad_rows=skip_bad_rows)
    report.sha256 = sha256_of(source)
    book = open_book(source, file_name)
    labels = (ad.register.label("zh"), ad.register.label("en"))
    who = session.scalar(select(User.display_name).where(User.id == user_id)) if user_id else None
    try:
        report.sheets = list(book.sheet_names)
        report.sheet = sheet = sheet or book.sheet_names[0]
        with (
            _fewer_collections(),
            db.import_running(session.get_bind(), labels, who),
            db.bulk_cache(session),
        ):
            _run(session, ad, book, sheet, report, mapping, user_id, now, on_progress)
    finally:
        book.close()
    return report


_GC_LOCK = threading.Lock()
_GC_STATE = {"depth": 0, "threshold": gc.get_threshold()}
BULK_GC_THRESHOLD = 50_000  # allocations between young collections during an import


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """An import makes millions of short-lived rows and dicts but no cycles worth
    chasing: Python's cyclic collector ran every 700 allocations and took a quarter of a
    100k-ticket import. Meanwhile it runs far less often (reference counting still frees
    everything as it goes); the old threshold is back when the last import ends."""
    with _GC_LOCK:
        if _GC_STATE["depth"] == 0:
            _GC_STATE["threshold"] = gc.get_threshold()
            young, *older = _GC_STATE["threshold"]
            gc.set_threshold(max(young, BULK_GC_THRESHOLD), *older)
        _GC_STATE["depth"] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_STATE["depth"] -= 1
            if _GC_STATE["depth"] == 0:
                gc.set_threshold(*_GC_STATE["threshold"])


def _require_import(actor: Acting, register: str) -> None:
    if not may_import(actor.role, register):
        raise NotAllowed("import", register)


def undo_last_import(
    session: Session, register: str, actor: Acting, *, now: dt.datetime | None = None
) -> UndoResult:
    """:func:`data_access.batches.undo_last_import` for an ``actor`` who may import the
    register (undoing an import rewrites as much as the import did)."""
    _require_import(actor, register)
    return _undo_last_import(session, register, actor.id, now=now)


def _run(
    session: Session,
    ad: Adapter,
    book: Book,
    sheet: str,
    report: ImportReport,
    mapping: dict | None,
    user_id: int | None,
    now: dt.datetime,
    on_progress: Progress | None,
) -> None:
    first, rows = book.rows(sheet)
    head = [list(r) for _, r in zip(range(HEADER_SCAN_ROWS), rows, strict=False)]
    header = _header_of(session, ad, head, first, mapping, book.first_col(sheet))
    if header is None:
        report.problems.append(
            ImportProblem(sheet, None, None, None, "imports.no_header", {"rows": HEADER_SCAN_ROWS})
        )
        return
    report.header = header
    report.warnings.extend(header.duplicate_problems(sheet, ad.name))
    # a line names its document: both columns make its key (a register the desk
    # numbers takes a file without its key column: every row is then a new one)
    for key in (ad.register.parent, ad.register.key):
        if key is None or key in header.mapping.values():
            continue
        if key == ad.register.key and _numbered(ad):
            continue
        report.problems.append(
            ImportProblem(
                sheet,
                header.row,
                None,
                None,
                "imports.missing_column",
                {"field": key},
                key,
                ad.name,
            )
        )
        return
    date1904 = book.date1904
    cols = [
        (i, name, make_coercer(ad.register.field(name), date1904))
        for i, name in header.mapping.items()
    ]
    resolver = RefResolver(session, ad)
    ctx = _Ctx(
        session,
        ad,
        report,
        header,
        sheet,
        cols,
        max(header.mapping) + 1,
        _error_cells(book, sheet),
        {},
        resolver,
        NewRows(ad, resolver, header.mapping.values()),
        session.execute(select(ad.table.c.id).limit(1)).first() is None,
        write=not report.dry_run,
        now=now,
        user_id=user_id,
    )
    header_pos = header.row - first
    if ad.register.key in header.mapping.values():
        ctx.duplicates = _duplicate_keys(ctx, book, sheet, header_pos)
    total = max(0, book.height(sheet) - header_pos - 1)
    savepoint = session.begin_nested() if ctx.write else None
    try:
        done = 0
        for start, chunk in _chunks(head, rows, header_pos, header.row):
            _process(ctx, start, chunk)
            done += len(chunk)
            if on_progress:
                on_progress(min(done, total), total)
        report.total = done
        report.totals_rows = [r.row for r in ctx.totals]
        _finish(ctx, savepoint)
    except IntegrityError as exc:
        # another import or editor wrote one of these keys after we looked (PostgreSQL
        # makes us wait, then fails us): nothing of ours stays; the user tries again
        if savepoint is not None and savepoint.is_active:
            savepoint.rollback()
        raise ConflictError(ad.name) from exc  # labelled at the edge: conflict_what()
    except BaseException:
        if savepoint is not None and savepoint.is_active:
            savepoint.rollback()
        raise
    if on_progress:
        on_progress(total, total)


def _error_cells(book: Book, sheet: str) -> dict[int, dict[int, str]]:
    """Error cells the guard found (#N/A …) by Excel row, then column position."""
    scan = book.scans.get(sheet)
    if not scan or not scan.errors:
        return {}
    first_col = book.first_col(sheet)
    out: dict[int, dict[int, str]] = {}
    for (row0, col0), text in scan.errors.items():
        out.setdefault(row0 + 1, {})[col0 - first_col] = text
    return out


def _chunks(
    head: list[list[Any]], rest: Iterator[list[Any]], header_pos: int, header_row: int
) -> Iterator[tuple[int, list[list[Any]]]]:
    """(Excel row number of the first, rows): the rows below the header, CHUNK at a time."""
    data = chain(head[header_pos + 1 :], rest)
    row, size = header_row + 1, CHUNK
    while chunk := list(islice(data, size)):
        yield row, chunk
        row += len(chunk)


def _duplicate_keys(ctx: _Ctx, book: Book, sheet: str, header_pos: int) -> dict[Any, list[int]]:
    """Keys that occur more than once in the file → every row they occur on.

    A pass over the key column before any row is written, so every occurrence
    (the first one too) is rejected, with or without ``skip_bad_rows``.
    """
    reg = ctx.ad.register
    names = [reg.key] if reg.parent is None else [reg.parent, reg.key]
    wanted = [
        (ctx.positions[n], next(c for i, _, c in ctx.cols if i == ctx.positions[n])) for n in names
    ]
    first, rows = book.rows(sheet, columns=[pos for pos, _ in wanted])
    seen: dict[Any, int] = {}
    dups: dict[Any, list[int]] = {}
    row = first + header_pos
    for cells in islice(rows, header_pos + 1, None):
        row += 1
        if any(pos >= len(cells) for pos, _ in wanted):
            continue
        try:
            parts = [coerce(cells[pos]) for pos, coerce in wanted]
        except ValueProblem:
            continue
        if None in parts:
            continue
        key = parts[0] if len(parts) == 1 else tuple(parts)
        earlier = seen.setdefault(key, row)
        if earlier != row:
            dups.setdefault(key, [earlier]).append(row)
    if _numbered(ctx.ad):
        ctx.typed = set(seen)  # numbers given to blank rows skip them
    return dups


def _numbered(ad: Adapter) -> bool:
    """The desk numbers the register's new rows (:attr:`Adapter.numbering`)."""
    return ad.parent is None and ad.numbering is not None


def _number_blank(ctx: _Ctx, rows: list[_Row]) -> None:
    """Rows without a number get the next free ones (preview and import alike)."""
    key = ctx.ad.register.key
    for r in rows:
        if r.clean.get(key) is not None or any(p.field == key for p in r.problems):
            continue
        if ctx.numbers is None:
            ctx.numbers = ctx.ad.numbering(ctx.session, ctx.now)
        r.clean[key] = next(n for n in ctx.numbers if n not in ctx.typed)


def _is_blank(cells: list[Any], positions) -> bool:
    n = len(cells)
    for i in positions:
        if i < n:
            v = cells[i]
            if v is not None and v != "" and not (v.__class__ is str and not v.strip()):
                return False
    return True


class _Row:
    __slots__ = ("cells", "clean", "problems", "row")

    def __init__(self, row: int, cells: list[Any], clean: dict[str, Any], problems: list):
        self.row = row
        self.cells = cells
        self.clean = clean
        self.problems: list[ImportProblem] = problems


def _convert(ctx: _Ctx, start: int, chunk: list[list[Any]]) -> list[_Row]:
    """Every mapped cell of the chunk's non-blank rows coerced; problems as data."""
    cols, width, error_cells = ctx.cols, ctx.width, ctx.error_cells
    key = ctx.ad.register.key
    example = ctx.example
    example_key = example.get(key)
    out: list[_Row] = []
    for row, cells in enumerate(chunk, start):
        full = cells if len(cells) >= width else [*cells, *[None] * (width - len(cells))]
        if error_cells and row in error_cells:
            clean, problems = _convert_slowly(ctx, row, full)
        else:
            try:  # the common case: every cell fine, no per-cell bookkeeping
                clean = {name: coerce(full[i]) for i, name, coerce in cols}
                problems: list[ImportProblem] = []
            except ValueProblem:
                clean, problems = _convert_slowly(ctx, row, full)
        if clean.get(key) is None and _is_blank(full, ctx.positions.values()):
            continue
        if example and clean.get(key) == example_key and _is_example(clean, example):
            ctx.report.example_rows.append(row)
            continue
        if _is_totals(full):
            ctx.totals.append(_Row(row, cells, clean, problems))
            continue
        if ctx.totals:  # data below it: not a trailing totals row, checked like any row
            out.extend(ctx.totals)
            ctx.totals = []
        out.append(_Row(row, cells, clean, problems))
    return out


TOTAL_WORDS = frozenset(
    {"合计", "总计", "小计", "total", "totals", "grandtotal", "subtotal", "sum"}
)
# cheap first look before normalising: first characters of the words, any case and width
_TOTAL_FIRST = frozenset(
    ch for w in TOTAL_WORDS for c in (w[0], w[0].upper()) for ch in (c, chr(ord(c) + 0xFEE0))
)
# a count or amount, maybe with a currency sign or a short unit: "4 台", "¥1,200.00"
_AMOUNT = re.compile(r"^[¥￥$€]?\s*[-+]?[\d,]*\.?\d+\s*[^\d\s]{0,3}$")


def _is_totals(cells: list[Any]) -> bool:
    """A row whose first filled cell is 合计 / 总计 / 小计 / Total(s) / Sum and whose
    other cells are mostly empty or amounts (a person's totals under the data)."""
    for i, c in enumerate(cells):  # runs on every row: the first filled cell decides fast
        if c is None:
            continue
        if c.__class__ is not str:
            return False
        first = c.strip()
        if not first:
            continue
        if first[0] not in _TOTAL_FIRST or normalize_label(first) not in TOTAL_WORDS:
            return False
        rest = cells[i + 1 :]
        wordy = sum(1 for v in rest if _filled(v) and not _amount(v))
        return 2 * wordy < max(len(cells) - 1, 1)
    return False


def _filled(value: Any) -> bool:
    return value is not None and (value.__class__ is not str or bool(value.strip()))


def _amount(value: Any) -> bool:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return True
    return isinstance(value, str) and bool(_AMOUNT.match(unicodedata.normalize("NFKC", value)))


def _is_example(clean: dict[str, Any], example: dict[str, Any]) -> bool:
    return all(clean.get(name) == value for name, value in example.items())


def _convert_slowly(
    ctx: _Ctx, row: int, full: list[Any]
) -> tuple[dict[str, Any], list[ImportProblem]]:
    """Cell by cell, collecting every problem of the row."""
    sheet, texts, register = ctx.sheet, ctx.header.texts, ctx.ad.name
    bad = ctx.error_cells.get(row) or {}
    clean: dict[str, Any] = {}
    problems: list[ImportProblem] = []
    for i, name, coerce in ctx.cols:
        v = full[i]
        if i in bad:
            err = bad[i]
            problems.append(
                ImportProblem(
                    sheet, row, texts[i], err, "imports.cell_error", {"value": err}, name, register
                )
            )
            continue
        try:
            clean[name] = coerce(v)
        except ValueProblem as exc:
            problems.append(
                ImportProblem(sheet, row, texts[i], v, exc.code, dict(exc.params), name, register)
            )
    return clean, problems


def _cell_of(ctx: _Ctx, r: _Row, name: str | None) -> Any:
    i = ctx.positions.get(name or "")
    return r.cells[i] if i is not None and i < len(r.cells) else None


def _field_problem(ctx: _Ctx, r: _Row, p: Problem) -> ImportProblem:
    name = p.field
    column = ctx.columns.get(name) if name else None  # no column: the edge labels the field
    value = _cell_of(ctx, r, name) if p.value is None else p.value
    return ImportProblem(ctx.sheet, r.row, column, value, p.code, dict(p.params), name, ctx.ad.name)


def _process(ctx: _Ctx, start: int, chunk: list[list[Any]]) -> None:
    ad = ctx.ad
    key = ad.register.key
    rows = _convert(ctx, start, chunk)
    if _numbered(ad):
        _number_blank(ctx, rows)
    dups = ctx.duplicates
    natural = ad.natural_key
    for r in rows:
        k = natural(r.clean)
        if k is None:
            for name in (ad.register.parent, key):
                if (
                    name
                    and r.clean.get(name) is None
                    and not any(p.field == name for p in r.problems)
                ):
                    r.problems.append(_field_problem(ctx, r, Problem(name, "err.required")))
        elif dups and k in dups:
            rows_text = ", ".join(str(x) for x in dups[k][:10])
            p = Problem(key, "imports.duplicate_in_file", {"rows": rows_text}, value=k)
            r.problems.append(_field_problem(ctx, r, p))
    existing: dict[Any, dict[str, Any]] = {}
    if not ctx.table_empty:
        keyed = [k for r in rows if (k := natural(r.clean)) is not None]
        existing = fetch_by_keys(ctx.session, ad, [k for k in keyed if k not in dups])
    for r in rows:
        _required(ctx, r, existing.get(natural(r.clean)) is None)
    good = [r for r in rows if not r.problems]
    ctx.resolver.load([r.clean for r in good])
    inserts, updates = _complete(ctx, good, existing)
    report = ctx.report
    for r in rows:
        if r.problems:
            report.problems.extend(r.problems)
            report.rejected += 1
            report.rejected_rows.append(RejectedRow(r.row, list(r.cells), r.problems))
    if len(report.sample) < SAMPLE_SIZE:
        for r, _ in inserts[:SAMPLE_SIZE]:
            _sample(ctx, r, "insert")
        for r, _, _ in updates[:SAMPLE_SIZE]:
            _sample(ctx, r, "update")
    report.inserted += len(inserts)
    report.updated += len(updates)
    if report.problems and not report.skip_bad_rows:
        ctx.write = False  # all-or-nothing: keep validating, stop writing
    if ctx.write:
        _write_chunk(ctx, [v for _, v in inserts], [(b, v) for _, b, v in updates])


def _complete(
    ctx: _Ctx, good: list[_Row], existing: dict[Any, dict[str, Any]]
) -> tuple[list[tuple[_Row, dict]], list[tuple[_Row, dict, dict]]]:
    """References, derived values and cross-field checks: (inserts, updates)."""
    ad = ctx.ad
    key = ad.register.key
    old_refs = _old_refs(ctx, list(existing.values())) if existing and ad.derives else {}
    complete_new = ctx.new_rows.complete
    inserts: list[tuple[_Row, dict[str, Any]]] = []
    updates: list[tuple[_Row, dict[str, Any], dict[str, Any]]] = []
    for r in good:
        before = existing.get(ad.natural_key(r.clean)) if existing else None
        if before is None:
            values, probs = complete_new(r.clean)
        else:
            refs = {
                n: rows_by_id.get(before[ad.column(ad.register.field(n))])
                for n, rows_by_id in old_refs.items()
            }
            raw = {name: _cell_of(ctx, r, name) for name in r.clean}
            values, probs = complete_row(
                ad, ctx.resolver, r.clean, [], (before, refs), r.row, raw, ctx.sheet
            )
        changed = before is None or bool(changed_columns(before, values))
        # a row left as it is may stay where only a lock forbids a change (closed document)
        if probs and (changed or any(p.code not in ad.hooks.locks for p in probs)):
            r.problems.extend(_field_problem(ctx, r, p) for p in probs)
        elif before is None:
            inserts.append((r, values))
        elif changed:
            if ad.register.ledger:  # a posted row stays: a correction is a reversing row
                r.problems.append(_field_problem(ctx, r, Problem(key, "err.ledger")))
            else:
                updates.append((r, before, values))
        else:
            ctx.report.unchanged += 1
            _sample(ctx, r, "unchanged")
    return inserts, updates


def _old_refs(ctx: _Ctx, befores: list[dict[str, Any]]) -> dict[str, dict[int, Any]]:
    return {
        f.name: ctx.resolver.by_id(f, [b[ctx.ad.column(f)] for b in befores])
        for f in ctx.resolver.refs
    }


_ABSENT = object()


def _required(ctx: _Ctx, r: _Row, inserting: bool) -> None:
    """Required fields that are blank (or, for a new row, have no column)."""
    clean = r.clean
    for name in ctx.required:
        v = clean.get(name, _ABSENT)
        blank = v is None or (v is _ABSENT and inserting)
        if blank and not any(p.field == name for p in r.problems):
            r.problems.append(_field_problem(ctx, r, Problem(name, "err.required")))


def _sample(ctx: _Ctx, r: _Row, action: str) -> None:
    if len(ctx.report.sample) < SAMPLE_SIZE:
        ctx.report.sample.append({"_row": r.row, "_action": action, **r.clean})


# ---------------------------------------------------------------- writing
def _write_chunk(
    ctx: _Ctx, inserts: list[dict[str, Any]], updates: list[tuple[dict, dict]]
) -> None:
    """Write one chunk through the register's one write path, journalled for undo."""
    if not inserts and not updates:
        return
    if ctx.batch_id is None:
        report = ctx.report
        ctx.batch_id = start_batch(
            ctx.session,
            ctx.ad.name,
            user_id=ctx.user_id,
            file_name=report.file_name,
            sha256=report.sha256,
            sheet=report.sheet,
            now=ctx.now,
        )
    if ctx.writer is None:
        ctx.writer = Writer(
            ctx.session,
            ctx.ad,
            now=ctx.now,
            user_id=ctx.user_id,
            journal=ctx.batch_id,
            audit_rows=False,  # the batch is audited as one import
        )
    ctx.writer.apply(inserts, updates)


def _finish(ctx: _Ctx, savepoint) -> None:
    report = ctx.report
    failed = bool(report.problems) and not report.skip_bad_rows
    if savepoint is None:
        return
    if failed:
        savepoint.rollback()
        return
    if ctx.batch_id is not None:  # no batch when nothing changed: nothing to undo
        close_batch(
            ctx.session,
            ctx.batch_id,
            inserted=report.inserted,
            updated=report.updated,
            unchanged=report.unchanged,
            rejected=report.rejected,
        )
    audit(
        ctx.session,
        [
            {
                "key": report.file_name,
                "action": "import",
                "changes": {
                    "batch_id": ctx.batch_id,
                    "inserted": report.inserted,
                    "updated": report.updated,
                    "rejected": report.rejected,
                },
            }
        ],
        entity=ctx.ad.name,
        user_id=ctx.user_id,
        now=ctx.now,
    )
    if report.header:
        mapping = {report.header.texts[i]: n for i, n in report.header.mapping.items()}
        remember_mapping(ctx.session, ctx.ad.name, mapping, ctx.now)
    savepoint.commit()
    report.committed = True
    report.batch_id = ctx.batch_id


__all__ = [
    "HEADER_SCAN_ROWS",
    "Header",
    "ImportProblem",
    "RejectedRow",
    "close_batch",
    "conflict_what",
    "field_label",
    "find_header",
    "labelled",
    "last_batch",
    "map_header",
    "mapping_key",
    "register_label",
    "ImportReport",
    "ReadError",
    "UndoError",
    "UndoResult",
    "import_file",
    "list_sheets",
    "read_header",
    "remember_mapping",
    "remembered_mapping",
    "undo_last_import",
]
