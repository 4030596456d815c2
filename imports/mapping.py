"""Finding a sheet's header row and mapping its columns to a register's fields, in
either language, with the user's mapping remembered per register."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from data_access.registers import (
    Adapter,
    get_setting,
    put_setting,
)
from imports.report import Header
from rules.fields import (
    normalize_label,
)

HEADER_SCAN_ROWS = 30


def mapping_key(register: str) -> str:
    return f"import_mapping.{register}"


def remembered_mapping(session: Session, register: str) -> dict[str, str]:
    """Normalized header text → field name ("" = ignore), as last confirmed."""
    value = get_setting(session, mapping_key(register))
    return dict(value) if isinstance(value, dict) else {}


def remember_mapping(
    session: Session, register: str, mapping: dict[str, str | None], now: dt.datetime
) -> None:
    stored = remembered_mapping(session, register)
    stored.update({normalize_label(h): (f or "") for h, f in mapping.items() if normalize_label(h)})
    stored = {h: f for h, f in stored.items() if "\0" not in h}  # PostgreSQL JSON refuses NUL
    put_setting(session, mapping_key(register), stored, now)


def header_index(ad: Adapter) -> dict[str, str]:
    """Normalized header text → field name: labels first, then names, then aliases."""
    index: dict[str, str] = {}
    fields = ad.register.fields
    for texts in (lambda f: (f.zh, f.en), lambda f: (f.name,), lambda f: f.aliases):
        for f in fields:
            for text in texts(f):
                index.setdefault(normalize_label(text), f.name)
    return index


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def find_header(
    ad: Adapter, rows: list[list[Any]], first_row: int, known: dict[str, str]
) -> tuple[int, int] | None:
    """(position in ``rows``, score) of the row that best matches the register's headers."""
    best: tuple[int, int] | None = None
    for i, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        hits = {known[n] for c in cells if (n := normalize_label(_cell_text(c))) in known}
        score = len(hits - {""})
        if score and (best is None or score > best[1]):
            best = (i, score)
    needed = min(2, len(ad.register.input_fields))
    return best if best and best[1] >= needed else None


def map_header(
    ad: Adapter,
    cells: list[Any],
    row: int,
    *,
    remembered: dict[str, str],
    override: dict[str, str | None] | None,
    first_col: int = 0,
) -> Header:
    auto = header_index(ad)
    override_n = {normalize_label(h): (f or "") for h, f in (override or {}).items()}
    fields = {f.name: f for f in ad.register.fields}
    texts = [_cell_text(c) for c in cells]
    mapping: dict[int, str] = {}
    unknown: list[str] = []
    duplicates: dict[str, list[int]] = {}
    seen: dict[str, int] = {}
    for i, text in enumerate(texts):
        if not text:
            continue
        n = normalize_label(text)
        name = override_n.get(n, remembered.get(n, auto.get(n)))
        if name is None or (name and name not in fields):
            unknown.append(text)
            continue
        if not name or fields[name].computed:
            continue  # ignored on purpose, or shown-only (computed) columns
        if name in seen:
            duplicates.setdefault(name, [seen[name]]).append(i)
            continue
        seen[name] = i
        mapping[i] = name
    missing = [f.name for f in ad.register.input_fields if f.required and f.name not in seen]
    return Header(row, texts, mapping, unknown, missing, duplicates, first_col)


def sheet_header(
    session: Session,
    ad: Adapter,
    head: list[list[Any]],
    first: int,
    mapping: dict | None,
    first_col: int = 0,
) -> Header | None:
    """The header among a sheet's first rows (``head``, the first at Excel row ``first``)
    and its mapping: the user's ``mapping`` over the remembered one over the labels."""
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
