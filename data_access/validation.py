"""Validating register rows before any write: references, derived defaults,
cross-field checks and duplicate keys, every problem returned as data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.adapters import Adapter, RowProblem
from data_access.bulk import _chunks
from data_access.reads import fetch_by_keys
from data_access.references import RefResolver
from rules.fields import Kind, Problem, Register


# ---------------------------------------------------------------- validation core
def stored_values(
    ad: Adapter,
    clean: dict[str, Any],
    resolver: RefResolver,
    *,
    row: int | None,
    sheet: str | None,
    raw: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Mapping[str, Any] | None], list[Problem]]:
    """Clean field values → column values (REF → id), the referenced rows, problems."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    refs: dict[str, Mapping[str, Any] | None] = {}
    fields = ad.fields_by_name
    for name, value in clean.items():
        f = fields[name]
        if f.kind is Kind.REF:
            hit, code = resolver.resolve(f, value)
            loose = ad.loose_refs.get(name)
            if code == "err.unknown_ref" and loose:
                hit, code = None, None
            if code:
                problems.append(Problem(name, code, {"value": value}, row, raw.get(name), sheet))
                continue
            refs[name] = hit
            values[ad.column(f)] = hit["id"] if hit else None
            if loose:
                values[loose] = hit[ad.ref_target(f).keys[0]] if hit else value
        else:
            values[name] = value
    return values, refs, problems


def run_checks(
    register: Register,
    merged: dict[str, Any],
    *,
    row: int | None,
    sheet: str | None,
    raw: Mapping[str, Any],
) -> list[Problem]:
    return [
        Problem(p.field, p.code, p.params, row, raw.get(p.field or ""), sheet)
        for check in register.checks
        for p in check(merged)
    ]


def unchecked(register: Register) -> Register:
    """The register without cross-field checks (run on the merged row instead)."""
    return dataclasses.replace(register, checks=())


def changed_columns(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """Columns of ``after`` whose value differs from ``before``."""
    return {k: v for k, v in after.items() if not _same(before.get(k), v)}


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        try:
            return Decimal(str(a)) == Decimal(str(b))
        except ArithmeticError:
            return False
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return a.replace(microsecond=0) == b.replace(microsecond=0)
    return a == b


def _fields_only(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k not in ("id", "version")}


def _old_refs(
    ad: Adapter, resolver: RefResolver, befores: list[dict[str, Any]]
) -> dict[str, dict[int, Mapping[str, Any]]]:
    """Rows the stored rows refer to now, one query per REF field."""
    return {f.name: resolver.by_id(f, [b[ad.column(f)] for b in befores]) for f in resolver.refs}


def complete_row(
    ad: Adapter,
    resolver: RefResolver,
    clean: dict[str, Any],
    problems: list[Problem],
    base: tuple[Mapping[str, Any], Mapping[str, Any]] | None,
    row: int | None,
    raw: Mapping[str, Any],
    sheet: str | None = None,
) -> tuple[dict[str, Any], list[Problem]]:
    """Resolve references, apply derived defaults, run cross-field checks.

    ``base`` is (stored row, its referenced rows) for an update: only the fields in
    ``clean`` change, and checks see the merged row.
    """
    values, refs, ref_problems = stored_values(ad, clean, resolver, row=row, sheet=sheet, raw=raw)
    problems = problems + ref_problems
    if problems:
        return values, problems
    names = ad.column_names
    stored, old_refs = base if base else (dict.fromkeys(names), {})
    merged = {**{k: v for k, v in stored.items() if k in names}, **values}
    all_refs = {**old_refs, **refs}
    derived: list[Problem] = []
    if ad.derives:
        derived = ad.hooks.derive(merged, all_refs)
        # an insert takes every derived value; an update changes only what it was given
        values = merged if base is None else {k: merged[k] for k in values}
    view = _field_view(ad, merged, clean)
    for name in ad.side_fields():
        view[name] = merged[name] if name in merged else stored.get(name)
    for name, hit in old_refs.items():
        if name not in view and hit:
            view[name] = hit[ad.ref_target(ad.register.field(name)).keys[0]]
    problems = run_checks(ad.register, view, row=row, sheet=sheet, raw=raw)
    problems.extend(
        Problem(p.field, p.code, p.params, row, raw.get(p.field or ""), sheet) for p in derived
    )
    return values, problems


def _field_view(ad: Adapter, values: Mapping[str, Any], clean: Mapping[str, Any]) -> dict:
    """Column values seen by field name (REF fields keep their natural key text)."""
    out: dict[str, Any] = {}
    for f in ad.stored_fields():
        if f.kind is Kind.REF:
            if f.name in clean:
                out[f.name] = clean[f.name]
        elif f.name in values:
            out[f.name] = values[f.name]
    return out


def _duplicate_keys(
    session: Session,
    ad: Adapter,
    inserts: list[dict],
    updates: list[dict],
    deletes: list[dict],
    current: dict[int, dict[str, Any]],
) -> list[Problem]:
    key = ad.register.key
    deleted = {int(d["id"]) for d in deletes}
    # final key of every row touched by this batch: (kind, index, key, own id)
    claims: list[tuple[str, int, Any, int | None]] = []
    for i, raw in enumerate(inserts):
        claims.append(("insert", i, _key_text(raw.get(key)), None))
    for i, raw in enumerate(updates):
        if key in raw:
            claims.append(("update", i, _key_text(raw.get(key)), int(raw["id"])))
    claims = [c for c in claims if c[2] is not None]
    counts: dict[Any, int] = {}
    for c in claims:
        counts[c[2]] = counts.get(c[2], 0) + 1
    # keys released by this batch: rows deleted, or updated to another key
    released = {current[i][ad.key_column] for i in deleted if i in current}
    for raw in updates:
        if key in raw and _key_text(raw[key]) != current[int(raw["id"])][ad.key_column]:
            released.add(current[int(raw["id"])][ad.key_column])
    in_db = fetch_by_keys(session, ad, sorted({c[2] for c in claims}))
    problems: list[Problem] = []
    for kind, i, k, own in claims:
        existing = in_db.get(k)
        taken = existing is not None and existing["id"] != own and k not in released
        if counts[k] > 1 or taken:
            problems.append(RowProblem(key, "err.duplicate_key", {"value": k}, i, k, None, kind))
    return problems


def _key_text(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return None if value is None else str(value)


class NewRows:
    """:func:`complete_row` for inserts, planned once when the input fields are known.

    Gives the same values and problems as ``complete_row(ad, resolver, clean, [],
    None, ...)`` for a ``clean`` holding exactly ``names``, without the per-row set-up:
    one dict copy, one cache lookup per reference (load the resolver first). The
    returned dict holds every column plus the REF fields' key texts (what checks see);
    problems carry no row or value (the caller knows the cells).
    """

    def __init__(self, ad: Adapter, resolver: RefResolver, names: Iterable[str]):
        fields = ad.fields_by_name
        self.template: dict[str, Any] = dict.fromkeys(ad.column_names)
        self.refs = [
            (n, ad.column(fields[n]), resolver.cache[n], ad.loose_refs.get(n))
            for n in names
            if fields[n].kind is Kind.REF
        ]
        self.keys = {n: ad.ref_target(fields[n]).keys[0] for n, *_ in self.refs}
        self.derive = ad.hooks.derive if ad.derives else None
        self.checks = ad.register.checks

    def complete(self, clean: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
        values = self.template.copy()
        values.update(clean)
        refs: dict[str, Mapping[str, Any] | None] = {}
        problems: list[Problem] = []
        for name, column, cache, loose in self.refs:
            text = clean[name]
            hit = None if text is None else cache.get(text)
            if hit is None and text is not None and not loose:
                problems.append(Problem(name, "err.unknown_ref", {"value": text}))
            elif hit.__class__ is str:  # "ambiguous"
                problems.append(Problem(name, "imports.ref_ambiguous", {"value": text}))
            else:
                values[column] = hit["id"] if hit else None
                refs[name] = hit
                if loose:  # the typed text, or the matched row's own spelling
                    values[loose] = hit[self.keys[name]] if hit else text
        if problems:
            return values, problems
        derived = self.derive(values, refs) if self.derive else ()
        for check in self.checks:
            found = check(values)
            if found:
                problems.extend(Problem(p.field, p.code, p.params) for p in found)
        problems.extend(derived)
        return values, problems


def duplicate_lines(
    session: Session,
    ad: Adapter,
    new_rows: list[dict[str, Any]],
    changed_rows: list[tuple[dict[str, Any], dict[str, Any]]],
    deletes: list[dict],
) -> list[Problem]:
    """Duplicate (parent, line) keys of a lines register, within the batch and against
    the stored lines of the same parents (in column values: parent id, line key)."""
    parent_col, key_col = ad.column(ad.parent), ad.key_column  # type: ignore[arg-type]
    claims: list[tuple[str, int, tuple, int | None]] = []
    for i, v in enumerate(new_rows):
        claims.append(("insert", i, (v.get(parent_col), v.get(key_col)), None))
    for i, (before, v) in enumerate(changed_rows):
        merged = {**before, **v}
        claims.append(("update", i, (merged.get(parent_col), merged.get(key_col)), before["id"]))
    claims = [c for c in claims if None not in c[2]]
    counts: dict[tuple, int] = {}
    for c in claims:
        counts[c[2]] = counts.get(c[2], 0) + 1
    moving = {c[3] for c in claims if c[3] is not None} | {int(d["id"]) for d in deletes}
    table = ad.table
    parents = sorted({c[2][0] for c in claims})
    stored: dict[tuple, int] = {}
    for part in _chunks(parents):
        query = select(table.c.id, table.c[parent_col], table.c[key_col]).where(
            table.c[parent_col].in_(part)
        )
        for row_id, parent, key in session.execute(query):
            stored[(parent, key)] = row_id
    problems: list[Problem] = []
    key = ad.register.key
    for kind, i, k, _own in claims:
        holder = stored.get(k)
        if counts[k] > 1 or (holder is not None and holder not in moving):
            problems.append(
                RowProblem(key, "err.duplicate_key", {"value": k[1]}, i, k[1], None, kind)
            )
    return problems
