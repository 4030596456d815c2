"""Checking an import's rows, a chunk at a time: cells coerced, keys looked up
(duplicates in the file, rows already stored), required fields, references, derived
values and cross-field checks. Problems are collected as data, every one of them; what
passes is split into inserts and updates for :mod:`imports.commit` to write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import count
from operator import itemgetter
from typing import Any

from sqlalchemy.orm import Session

from data_access.registers import (
    Adapter,
    NewRows,
    RefResolver,
    changed_columns,
    complete_row,
    fetch_by_keys,
)
from data_access.writes import Writer
from imports.cells import Coercer, coerce_column, file_keys
from imports.reader import Book
from imports.report import Header, ImportProblem, ImportReport, RejectedRow
from imports.rows import Row, example_values, is_blank, is_example, is_totals
from rules.fields import Problem, ValueProblem

SAMPLE_SIZE = 20


@dataclass
class Ctx:
    """One import's state across its chunks: the sheet's mapped columns, what the whole
    file holds (duplicate keys, typed numbers), the report being filled, and the batch
    and writer :mod:`imports.commit` keeps between chunks."""

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
    totals: list[Row] = field(default_factory=list)
    # a register the desk numbers: the file's typed keys, and the free numbers
    typed: set[Any] = field(default_factory=set)
    numbers: Iterator[str] | None = None
    # the required fields' values of a clean row, as a tuple (two fields or more)
    required_values: Callable[[dict[str, Any]], tuple] | None = None

    def __post_init__(self) -> None:
        header, reg = self.header, self.ad.register
        self.positions = {name: i for i, name in header.mapping.items()}
        self.columns = {name: header.texts[i] for i, name in header.mapping.items()}
        self.required = [f.name for f in reg.input_fields if f.required]
        if len(self.required) > 1:
            self.required_values = itemgetter(*self.required)
        self.example = example_values(reg, self.positions)


def convert(ctx: Ctx, start: int, chunk: list[list[Any]]) -> list[Row]:
    """Every mapped cell of the chunk's non-blank rows coerced; problems as data."""
    cols, width, error_cells = ctx.cols, ctx.width, ctx.error_cells
    key = ctx.ad.register.key
    example = ctx.example
    example_key = example.get(key)
    out: list[Row] = []
    padded = chunk  # every row as long as the widest mapped position
    if any(len(cells) < width for cells in chunk):
        padded = [c if len(c) >= width else [*c, *[None] * (width - len(c))] for c in chunk]
    cleans = _convert_columns(cols, padded)
    for row, cells, full in zip(count(start), chunk, padded, strict=False):
        if error_cells and row in error_cells:
            clean, problems = _convert_slowly(ctx, row, full)
        elif cleans is not None:
            clean, problems = cleans[row - start], []
        else:
            try:  # every cell fine: no per-cell bookkeeping
                clean = {name: coerce(full[i]) for i, name, coerce in cols}
                problems: list[ImportProblem] = []
            except ValueProblem:
                clean, problems = _convert_slowly(ctx, row, full)
        if clean.get(key) is None and is_blank(full, ctx.positions.values()):
            continue
        if example and clean.get(key) == example_key and is_example(clean, example):
            ctx.report.example_rows.append(row)
            continue
        if is_totals(full):
            ctx.totals.append(Row(row, cells, clean, problems))
            continue
        if ctx.totals:  # data below it: not a trailing totals row, checked like any row
            out.extend(ctx.totals)
            ctx.totals = []
        out.append(Row(row, cells, clean, problems))
    return out


def _convert_columns(
    cols: list[tuple[int, str, Coercer]], chunk: list[list[Any]]
) -> list[dict[str, Any]] | None:
    """Each row's coerced cells, one column at a time (:func:`coerce_column`, then one
    dict per row: about 2 µs a row of eight cells against 3 µs row by row), or None when a
    cell of the chunk does not coerce: its rows then go one by one, problems collected.
    Rows are as long as the widest mapped position."""
    names = [name for _, name, _ in cols]
    try:
        columns = [coerce_column(coerce, list(map(itemgetter(i), chunk))) for i, _, coerce in cols]
    except ValueProblem:
        return None
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def _convert_slowly(
    ctx: Ctx, row: int, full: list[Any]
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


def _cell_of(ctx: Ctx, r: Row, name: str | None) -> Any:
    i = ctx.positions.get(name or "")
    return r.cells[i] if i is not None and i < len(r.cells) else None


def _field_problem(ctx: Ctx, r: Row, p: Problem) -> ImportProblem:
    name = p.field
    column = ctx.columns.get(name) if name else None  # no column: the edge labels the field
    value = _cell_of(ctx, r, name) if p.value is None else p.value
    return ImportProblem(ctx.sheet, r.row, column, value, p.code, dict(p.params), name, ctx.ad.name)


@dataclass
class Looked:
    """A chunk's converted rows and what the database holds for them (:func:`look_up`)."""

    rows: list[Row]
    keys: list[Any]  # each row's natural key (None: missing or bad)
    existing: dict[Any, dict[str, Any]]  # stored rows by key
    old_refs: dict[str, dict[int, Any]]  # the rows the stored rows refer to, by field


def look_up(ctx: Ctx, rows: list[Row]) -> Looked:
    """The part of a chunk's checks that reads the database: numbers for rows without
    one, the stored rows of the chunk's keys, its references and those of the stored
    rows. The engine runs it before the previous chunk's write starts; a key of this
    chunk in the previous one is a duplicate in the file, so nothing read here depends
    on that write."""
    ad = ctx.ad
    key = ad.register.key
    if numbered(ad):
        _number_blank(ctx, rows)
    dups = ctx.duplicates
    keys = list(map(ad.natural_key, [r.clean for r in rows]))
    for r, k in zip(rows, keys, strict=True):
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
        keyed = [k for k in keys if k is not None and k not in dups]
        existing = fetch_by_keys(ctx.session, ad, keyed)
    # every row without a problem so far: a superset of the rows that pass
    ctx.resolver.load([r.clean for r in rows if not r.problems], ctx.positions)
    old_refs = _old_refs(ctx, list(existing.values())) if existing and ad.derives else {}
    return Looked(rows, keys, existing, old_refs)


def settle(
    ctx: Ctx, looked: Looked
) -> tuple[list[dict[str, Any]], list[tuple[dict[str, Any], dict[str, Any]]]]:
    """The rest of a chunk's checks, in memory only (the engine runs it while SQLite
    writes the previous chunk): required fields, references from the resolver's cache,
    derived values, cross-field checks, and the report."""
    rows, existing = looked.rows, looked.existing
    for r, k in zip(rows, looked.keys, strict=True):
        _required(ctx, r, existing.get(k) is None)
    good = [r for r in rows if not r.problems]
    inserts, updates = _complete(ctx, good, existing, looked.old_refs)
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
    return [v for _, v in inserts], [(b, v) for _, b, v in updates]


def _complete(
    ctx: Ctx,
    good: list[Row],
    existing: dict[Any, dict[str, Any]],
    old_refs: dict[str, dict[int, Any]],
) -> tuple[list[tuple[Row, dict]], list[tuple[Row, dict, dict]]]:
    """References, derived values and cross-field checks: (inserts, updates)."""
    ad = ctx.ad
    key = ad.register.key
    complete_new = ctx.new_rows.complete
    inserts: list[tuple[Row, dict[str, Any]]] = []
    updates: list[tuple[Row, dict[str, Any], dict[str, Any]]] = []
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


def _old_refs(ctx: Ctx, befores: list[dict[str, Any]]) -> dict[str, dict[int, Any]]:
    return {
        f.name: ctx.resolver.by_id(f, [b[ctx.ad.column(f)] for b in befores])
        for f in ctx.resolver.refs
    }


_ABSENT = object()


def _required(ctx: Ctx, r: Row, inserting: bool) -> None:
    """Required fields that are blank (or, for a new row, have no column)."""
    clean = r.clean
    every = ctx.required_values
    if every is not None and not r.problems:
        try:  # the common row: every required field there and filled, in one C call
            if None not in every(clean):
                return
        except KeyError:
            pass
    for name in ctx.required:
        v = clean.get(name, _ABSENT)
        blank = v is None or (v is _ABSENT and inserting)
        if blank and not any(p.field == name for p in r.problems):
            r.problems.append(_field_problem(ctx, r, Problem(name, "err.required")))


def _sample(ctx: Ctx, r: Row, action: str) -> None:
    if len(ctx.report.sample) < SAMPLE_SIZE:
        ctx.report.sample.append({"_row": r.row, "_action": action, **r.clean})


def duplicate_keys(ctx: Ctx, book: Book, sheet: str, header_pos: int) -> Callable[[], None]:
    """Find the keys that occur more than once in the file (→ every row they occur on)
    into ``ctx.duplicates``; returns the function that waits for them.

    A pass over the key column before any row is written, so every occurrence
    (the first one too) is rejected, with or without ``skip_bad_rows``. A sandboxed
    workbook is scanned where it was parsed (:meth:`Book.remote_keys`) while the
    caller converts its first chunks.
    """
    reg = ctx.ad.register
    names = [reg.key] if reg.parent is None else [reg.parent, reg.key]
    positions = [ctx.positions[n] for n in names]
    collect = numbered(ctx.ad)
    fields = [(ctx.positions[n], reg.field(n)) for n in names]
    remote = book.remote_keys(sheet, header_pos, fields, collect)

    def found() -> tuple[dict[Any, list[int]], set[Any] | None]:
        if remote is not None:
            return remote()
        wanted = [(pos, next(c for i, _, c in ctx.cols if i == pos)) for pos in positions]
        first, rows = book.rows(sheet, columns=positions)
        return file_keys(rows, first, header_pos, wanted, collect)

    def wait() -> None:
        dups, seen = found()
        if collect:
            ctx.typed = seen or set()  # numbers given to blank rows skip them
        ctx.duplicates = dups

    return wait


def numbered(ad: Adapter) -> bool:
    """The desk numbers the register's new rows (:attr:`Adapter.numbering`)."""
    return ad.parent is None and ad.numbering is not None


def _number_blank(ctx: Ctx, rows: list[Row]) -> None:
    """Rows without a number get the next free ones (preview and import alike)."""
    key = ctx.ad.register.key
    for r in rows:
        if r.clean.get(key) is not None or any(p.field == key for p in r.problems):
            continue
        if ctx.numbers is None:
            ctx.numbers = ctx.ad.numbering(ctx.session, ctx.now)
        r.clean[key] = next(n for n in ctx.numbers if n not in ctx.typed)
