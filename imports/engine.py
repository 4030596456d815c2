"""Import a register from a spreadsheet: read → map headers → validate → preview → write.

This module is the pipeline; each step has its own module: :mod:`imports.mapping`
(the header row and its mapping), :mod:`imports.cells` (cell coercion),
:mod:`imports.rows` (which rows are data), :mod:`imports.checks` (a chunk's checks),
:mod:`imports.commit` (the write, journalled for undo: the batch SQL is in
:mod:`data_access.batches`) and :mod:`imports.report` (what the reader is shown).

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
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import chain, islice
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data_access import db
from data_access.batches import (
    UndoError,
    UndoResult,
    close_batch,
    last_batch,
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
)
from imports.books import open_book
from imports.cells import make_coercer
from imports.checks import Ctx, Looked, convert, duplicate_keys, look_up, numbered, settle
from imports.commit import finish, write_chunk
from imports.mapping import (
    HEADER_SCAN_ROWS,
    Header,
    find_header,
    map_header,
    mapping_key,
    remember_mapping,
    remembered_mapping,
    sheet_header,
)
from imports.reader import Book, ReadError
from imports.report import (
    ImportProblem,
    ImportReport,
    RejectedRow,
    conflict_what,
    field_label,
    labelled,
    register_label,
)
from imports.rows import Row
from rules.access import Acting, may_import

# rows checked and written together: a ledger's hooks post balances once per chunk
# (one upsert per touched part and warehouse), so 5,000-row chunks posted 100k receipt
# lines as ~100k upserts; at 20,000 the same lines post about a third of them.
CHUNK = 20_000
# ... and no more cells than that of a 10-column sheet: a wide sheet's chunk holds fewer
# rows (at least 1,000), so the memory a chunk takes stays about the same
CHUNK_CELLS = 200_000

Progress = Callable[[int, int], None]


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
    book = open_book(source, file_name, ahead=sheet or "")
    try:
        sheet = sheet or book.sheet_names[0]
        first, rows = book.rows(sheet)
        head = [list(r) for _, r in zip(range(HEADER_SCAN_ROWS), rows, strict=False)]
        return sheet_header(session, ad, head, first, mapping, book.first_col(sheet))
    finally:
        book.close()


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
    book = open_book(source, file_name, ahead=sheet or "")
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
# allocations between young collections during an import: a chunk's rows (20,000 rows,
# a few containers each) are alive together; at 50,000 the collector walked them about
# once per chunk and its older generations often (+40% on the cell coercion, measured)
BULK_GC_THRESHOLD = 200_000


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
    header = sheet_header(session, ad, head, first, mapping, book.first_col(sheet))
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
        if key == ad.register.key and numbered(ad):
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
    ctx = Ctx(
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
    duplicates = None  # found while the first chunks are converted
    if ad.register.key in header.mapping.values():
        duplicates = duplicate_keys(ctx, book, sheet, header_pos)
    total = max(0, book.height(sheet) - header_pos - 1)
    savepoint = session.begin_nested() if ctx.write else None
    try:
        done = 0
        per_row = max([ctx.width, *map(len, head)])
        size = min(CHUNK, max(1_000, CHUNK_CELLS // per_row))
        chunks = _chunks(head, rows, header_pos, header.row, _sizes(total, size))
        following = _Following(ctx, chunks)
        pending: tuple[int, list, list] | None = None  # checked, not written yet
        while (this := following.take()) is not None or pending is not None:
            step = None
            if this is not None:  # its reads first: no write is in flight
                following = _Following(ctx, chunks)
                if duplicates is not None:  # the first chunk: the next converted meanwhile
                    following.run()
                    duplicates()
                    duplicates = None
                looked = look_up(ctx, this[1])
                step = _Settle(ctx, this[0], looked, following)
            if pending is not None:
                count, inserts, updates = pending
                if ctx.write:  # this chunk is settled, the next converted, meanwhile
                    write_chunk(ctx, inserts, updates, meanwhile=step.run if step else None)
                done += count
                if on_progress:
                    on_progress(min(done, total), total)
            pending = step.take() if step else None
        report.total = done
        report.totals_rows = [r.row for r in ctx.totals]
        finish(ctx, savepoint)
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


class _Settle:
    """The in-memory rest of one chunk's checks (:func:`imports.checks.settle`) and the
    conversion of the chunk after it, done once: while the chunk before is written
    (SQLite moving its rows holds no Python lock), or when taken."""

    def __init__(self, ctx: Ctx, count: int, looked: Looked, following: _Following):
        self.ctx, self.count, self.looked, self.following = ctx, count, looked, following
        self.value: tuple[int, list, list] | None = None

    def run(self) -> None:
        if self.value is None:
            self.value = (self.count, *settle(self.ctx, self.looked))
            self.following.run()

    def take(self) -> tuple[int, list, list]:
        """(rows read, inserts, updates)."""
        self.run()
        return self.value  # type: ignore[return-value]


class _Following:
    """The next chunk of rows, read from the parser and converted (no database work:
    :func:`imports.checks.convert`) once — while the chunk before it is written
    (:meth:`Writer.apply`'s ``meanwhile``), or when it is taken."""

    def __init__(self, ctx: Ctx, chunks: Iterator[tuple[int, list[list[Any]]]]):
        self.ctx, self.chunks = ctx, chunks
        self.done = False
        self.value: tuple[int, list[Row]] | None = None

    def run(self) -> None:
        if self.done:
            return
        self.done = True
        nxt = next(self.chunks, None)
        if nxt is not None:
            start, chunk = nxt
            self.value = (len(chunk), convert(self.ctx, start, chunk))

    def take(self) -> tuple[int, list[Row]] | None:
        """(rows read, converted rows), None past the last chunk."""
        self.run()
        return self.value


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


def _sizes(total: int, size: int) -> Iterator[int]:
    """Rows per chunk for about ``total`` rows (the sheet's height: a hint) and chunks
    of ``size``: a larger import starts and ends with an eighth of a chunk. The first
    chunk is checked before any write can run beside it, and the last one's write has
    no next chunk to check meanwhile; small, they keep the time nothing overlaps short
    (100k ledger rows: an eighth was ~5% faster than a quarter, a sixteenth no better).
    The chunks between share the rest evenly."""
    if total <= size:
        yield size
        return
    edge = max(1, size // 8)
    middle = max(0, total - 2 * edge)
    count = -(-middle // size)
    yield edge
    for i in range(count):
        yield middle * (i + 1) // count - middle * i // count
    while True:  # past the hint: the last eighth, then whatever the sheet still holds
        yield edge


def _chunks(
    head: list[list[Any]],
    rest: Iterator[list[Any]],
    header_pos: int,
    header_row: int,
    sizes: Iterator[int],
) -> Iterator[tuple[int, list[list[Any]]]]:
    """(Excel row number of the first, rows): the rows below the header, in chunks of
    the ``sizes`` given."""
    data = chain(head[header_pos + 1 :], rest)
    row = header_row + 1
    for size in sizes:
        chunk = list(islice(data, size))
        if not chunk:
            return
        yield row, chunk
        row += len(chunk)


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
